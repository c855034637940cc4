/* SPDX-License-Identifier: MIT */
/*
 * IPC messages: the message tag (MR0), typed items, and the layouts of the
 * messages the kernel itself sends (page faults, exceptions, interrupts).
 *
 * Message tag (MR0):
 *   63                      16 15  14 13 12 11        6 5         0
 *  +--------------------------+---+-----+--+-----------+-----------+
 *  |          label           | E | K |  0  | t (typed) | u (untyped)|
 *  +--------------------------+---+---+-----+-----------+-----------+
 * The message is MR1..MRu (untyped words) followed by t words of typed
 * items (two words per map or grant item). u + t <= 63.
 * E is set by the kernel in the received tag when the IPC failed.
 * K is set in the received tag of a message the kernel made (a page
 * fault, an exception, an interrupt) and cleared from every message a
 * thread sends: a receiver tells a real fault from a forged one by it.
 *
 * MR0..MR2 travel in registers (r8, r9, r10); MR3..MR63 in the UTCB.
 */
#ifndef PAGODA_MSG_H
#define PAGODA_MSG_H

#include <pagoda/types.h>

#define MSG_MR_COUNT 64
#define MSG_REG_MRS 3             /* MR0..MR2 are passed in registers */

#define TAG_U_MASK ((word_t)0x3f)
#define TAG_T_SHIFT 6
#define TAG_T_MASK ((word_t)0x3f)
#define TAG_E_FLAG ((word_t)1 << 15)
#define TAG_K_FLAG ((word_t)1 << 14)
#define TAG_LABEL_SHIFT 16

static inline word_t tag_make(word_t label, unsigned u, unsigned t)
{
	return (label << TAG_LABEL_SHIFT) | ((word_t)(t & TAG_T_MASK) << TAG_T_SHIFT) |
	       (u & TAG_U_MASK);
}

static inline unsigned tag_u(word_t tag)
{
	return (unsigned)(tag & TAG_U_MASK);
}

static inline unsigned tag_t(word_t tag)
{
	return (unsigned)((tag >> TAG_T_SHIFT) & TAG_T_MASK);
}

static inline word_t tag_label(word_t tag)
{
	return tag >> TAG_LABEL_SHIFT;
}

/* Did the kernel make this (received) message? No thread can forge it. */
static inline bool tag_from_kernel(word_t tag)
{
	return (tag & TAG_K_FLAG) != 0;
}

/*
 * Typed items: a map or grant item is two words.
 *   word 0: send base ("hot spot", bits 63..12) | item type (bits 3..0)
 *   word 1: the send fpage, in the sender's space, with the rights to pass
 */
#define ITEM_TYPE_MASK ((word_t)0xf)
#define ITEM_MAP ((word_t)0x8)
#define ITEM_GRANT ((word_t)0xa)
#define ITEM_WORDS 2

/*
 * The receive window (BR0) is an fpage. A receive from a named thread
 * uses it as it is; an open receive (from TID_ANY, also reply-and-wait)
 * accepts no map or grant item at all unless BR0 also carries
 * BR0_FROM_ANY (bit 3, reserved in fpages), so that a server waiting for
 * anyone never has a foreign mapping forced into its space (docs/abi.md
 * §6.3).
 */
#define BR0_FROM_ANY ((word_t)1 << 3)

static inline word_t item_hotspot(word_t w0)
{
	return w0 & ~(word_t)0xfff;
}

/* Labels of kernel-generated messages (tag bits 63..16). */
#define LABEL_PAGEFAULT ((word_t)0xffe0)  /* | access rights (FPAGE_R/W/X) */
#define LABEL_EXCEPTION ((word_t)0xffb0)
#define LABEL_IRQ ((word_t)0xfff0)
#define LABEL_KERNEL_MIN ((word_t)0xff00) /* labels >= this are the kernel's */

/* Page fault: tag(LABEL_PAGEFAULT|access, u=2), MR1 = address, MR2 = IP. */
enum pf_msg {
	PF_MSG_ADDR = 1,
	PF_MSG_IP = 2,
	PF_MSG_LENGTH = 2
};

/*
 * Exception: tag(LABEL_EXCEPTION, u = EXC_MSG_LENGTH). The reply, with the
 * same layout and label 0, sets the registers and resumes the thread; a
 * label-0 reply with fewer words resumes it unchanged; a reply with any other label
 * refuses, and the kernel stops the thread. A page fault that the pager
 * refuses (reply label != 0), or that no pager answers (none set, or it is
 * gone), arrives here too, as vector 14 with the access in EXC_MSG_ERROR
 * bits 2..0 (FPAGE_R/W/X), the pager's refusal label -- its reason, see
 * PAGER_REFUSE_* in proto.h; 0 when no pager answered -- in bits 63..8,
 * and the address in EXC_MSG_ADDR.
 */
enum exc_msg {
	EXC_MSG_RIP = 1,
	EXC_MSG_RSP,
	EXC_MSG_RFLAGS,
	EXC_MSG_VECTOR,
	EXC_MSG_ERROR,
	EXC_MSG_RAX,
	EXC_MSG_RBX,
	EXC_MSG_RCX,
	EXC_MSG_RDX,
	EXC_MSG_RSI,
	EXC_MSG_RDI,
	EXC_MSG_RBP,
	EXC_MSG_R8,
	EXC_MSG_R9,
	EXC_MSG_R10,
	EXC_MSG_R11,
	EXC_MSG_R12,
	EXC_MSG_R13,
	EXC_MSG_R14,
	EXC_MSG_R15,
	EXC_MSG_ADDR,             /* #PF: the faulting address (else 0) */
	EXC_MSG_LENGTH = EXC_MSG_ADDR
};
#define EXC_PF_ACCESS(error) ((error) & 7)       /* vector 14: the access */
#define EXC_PF_REASON(error) ((error) >> 8)      /* vector 14: the refusal label */

/* Timeouts (rdx of SYS_IPC): send timeout in bits 63..32, receive in 31..0.
 * Each is TIMEOUT_ZERO, TIMEOUT_NEVER or a relative time in microseconds. */
#define TIMEOUT_ZERO ((word_t)0)
#define TIMEOUT_NEVER ((word_t)0xffffffff)

static inline word_t timeouts(word_t snd, word_t rcv)
{
	return (snd << 32) | (rcv & 0xffffffff);
}

#endif
