/* SPDX-License-Identifier: MIT */
/*
 * Threads. A thread's TCB and its kernel stack share one page from the
 * kernel pool: the TCB at the bottom, the stack growing down from the top
 * where the user register frame (struct frame) lives.
 *
 * Thread numbers index thread_table. The creator chooses a new thread's
 * version (non-zero); an id whose number is live but whose version differs
 * is stale (E_STALE_THREAD). Creators pick a new version when they reuse a
 * number, so old ids stay stale.
 */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include <pagoda/types.h>
#include <pagoda/utcb.h>
#include <arch.h>
#include <cpu.h>
#include <lib/list.h>

struct space;

enum thread_state {
	TS_HALTED,       /* created, not yet resumed; or on its way to deletion or TS_DEAD
	                  * (ipc_cancel_all). EXREG_HALT sets `halted` instead */
	TS_READY,        /* runnable (in a run queue unless current) */
	TS_SEND,         /* blocked sending to ipc_partner */
	TS_RECV,         /* blocked receiving from ipc_partner (or TID_ANY) */
	TS_DEAD,         /* stopped for good after an unhandled fault */
};

#define THREAD_MAX 1024                  /* thread numbers 0..THREAD_MAX-1 */
#define THREAD_USER_BASE 32              /* numbers below are interrupt threads */
#define THREAD_CANARY 0x5ca1ab1e

struct tcb {
	word_t ksp;                      /* saved kernel sp; offset 0 (entry.S) */
	/* x87/SSE/AVX registers while the thread is not running (arch
	 * fpu.c); offset ARCH_TCB_FPU (entry.S), 64-byte aligned. */
	uint8_t fpu[ARCH_FPU_AREA_BYTES] __attribute__((aligned(64)));
	word_t tid;                      /* global id */
	struct space *space;
	struct utcb *utcb;               /* kernel view of the UTCB (physmap) */
	word_t utcb_user;                /* user address of the UTCB */
	enum thread_state state;
	bool halted;                     /* exchange_registers HALT: do not run */
	bool in_kernel_ipc;              /* ipc sent on behalf of the kernel (faults) */
	uint8_t prio;
	word_t timeslice;                /* ticks per slice */
	word_t slice_left;
	struct list rq;                  /* in a run queue (sched.c) while linked */

	/* IPC (ipc.c) */
	word_t ipc_partner;              /* whom we send to / receive from */
	struct list sendq;               /* threads blocked sending to us, by .sq */
	struct list sq;                  /* in ipc_partner's sendq while linked */
	word_t timeout_at;               /* tick at which the block times out; 0 = never */
	struct list tq;                  /* on the timeout list (sched.c) while linked */
	word_t ipc_from;                 /* receive phase still to come (TID_NIL: none) */
	word_t ipc_rcv_timeout;          /* its timeout */
	word_t ipc_result;               /* error delivered on wake-up */
	word_t kmsg[1 + 21];             /* message of a kernel IPC (fault, exception) */

	word_t pager;
	word_t exc_handler;
	struct list space_link;          /* on space->threads */
	uint32_t canary;                 /* THREAD_CANARY: kernel stack overflow check */
};

_Static_assert(__builtin_offsetof(struct tcb, fpu) == ARCH_TCB_FPU, "tcb: fpu offset (entry.S)");

/* The running thread: this CPU's (kernel/cpu.h). */
#define thread_current (cpu_this()->current)

extern struct tcb *thread_table[THREAD_MAX];       /* thread number -> TCB (thread.c) */

struct tcb *thread_lookup(word_t tid, int *err);   /* checks number and version */
word_t thread_current_tid(void);
struct tcb *thread_create(word_t tid, struct space *s, word_t utcb_user, int *err);
void thread_destroy(struct tcb *t);
void thread_free(struct tcb *t);                   /* release TCB page (sched_reap) */
void thread_stop(struct tcb *t, const char *why);  /* unhandled fault: dead */
void thread_check_failed(struct tcb *t);
static inline void thread_check(struct tcb *t)     /* canary; panics */
{
	if (__builtin_expect(t->canary != THREAD_CANARY, 0))
		thread_check_failed(t);
}
void thread_init(void);

#endif
