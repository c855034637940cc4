/* SPDX-License-Identifier: MIT */
/*
 * The user thread control block: one page per thread, allocated by the
 * kernel and mapped into the thread's space at the location given by
 * thread_control. %fs points at it: %fs:0 holds its own user address.
 */
#ifndef PAGODA_UTCB_H
#define PAGODA_UTCB_H

#include <pagoda/types.h>
#include <pagoda/msg.h>

#define UTCB_SIZE 4096
#define UTCB_BR_COUNT 8

/* Every space's UTCB area (room for 1024 UTCBs) and its KIP page are at
 * fixed addresses, placed by the kernel when the space is created. */
#define UTCB_AREA_BASE ((word_t)0x7ffffe000000ull)
#define UTCB_AREA_LOG2 22

struct utcb {
	word_t self;              /* user address of this UTCB */
	word_t my_id;             /* this thread's global id (kernel-written) */
	word_t pager;             /* current pager (kernel-written mirror) */
	word_t exc_handler;       /* exception handler (kernel-written mirror) */
	word_t user_handle;       /* free for the user */
	word_t error;             /* last failed IPC's error, or E_IPC_NOT_MAPPED */
	word_t sender;            /* actual sender of the last received message */
	word_t reserved[9];
	word_t br[UTCB_BR_COUNT]; /* buffer registers; br[0] = receive window fpage */
	word_t mr[MSG_MR_COUNT];  /* message registers; MR0..2 also in registers */
};

enum utcb_offsets {
	UTCB_OFF_SELF = 0,
	UTCB_OFF_MY_ID = 8,
	UTCB_OFF_BR = 128,
	UTCB_OFF_MR = 192,
	UTCB_LENGTH = 704
};

_Static_assert(__builtin_offsetof(struct utcb, br) == UTCB_OFF_BR, "utcb br");
_Static_assert(__builtin_offsetof(struct utcb, mr) == UTCB_OFF_MR, "utcb mr");
_Static_assert(sizeof(struct utcb) == UTCB_LENGTH, "utcb size");

#endif
