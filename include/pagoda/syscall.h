/* SPDX-License-Identifier: MIT */
/*
 * System call numbers and register conventions (x86-64 `syscall`).
 *
 * rax = number on entry, result (enum pagoda_error) on return.
 * Arguments in rdi, rsi, rdx, r10, r8, r9 (r10 instead of rcx, which the
 * `syscall` instruction clobbers together with r11). All other registers
 * are preserved except where a call documents an output register.
 * See docs/abi.md for every call.
 */
#ifndef PAGODA_SYSCALL_H
#define PAGODA_SYSCALL_H

#include <pagoda/types.h>

enum pagoda_syscall {
	SYS_KDEBUG = 0,          /* debug console and diagnostics (not ABI proper) */
	SYS_IPC = 1,
	SYS_UNMAP = 2,
	SYS_THREAD_CONTROL = 3,  /* privileged */
	SYS_SPACE_CONTROL = 4,   /* privileged */
	SYS_EXCHANGE_REGISTERS = 5,
	SYS_THREAD_SWITCH = 6,
	SYS_SCHEDULE = 7,
	SYS_NULL = 8,            /* does nothing; the null-syscall benchmark */
	SYS_COUNT
};

/* SYS_KDEBUG operations (rdi); arguments in rsi, rdx. */
enum kdebug_op {
	KDB_PUTC = 0,       /* rsi = character */
	KDB_PUTS = 1,       /* rsi = user pointer, rdx = length (<= 4096) */
	KDB_EXIT_QEMU = 2,  /* privileged: rsi = status; ends the machine (tests) */
	KDB_STOP_SELF = 3,  /* stop the calling thread for good (diagnostic exit) */
	KDB_KMEM_FREE = 4,  /* rsi <- free kernel-pool bytes, rdx <- mapdb index bytes */
	KDB_SPACE_KMEM = 5, /* rsi = tid; rsi <- bytes used, rdx <- quota of its space */
	KDB_CHECK = 6,      /* run the invariant checkers; E_BROKEN, rsi = checker, rdx = line */
	KDB_RAISE_IRQ = 7,  /* privileged: rsi = line (not the timer); inject that interrupt */
	KDB_PHYS = 8,       /* privileged: rsi = va of the caller; rsi <- its physical address,
			     * rdx <- rights; E_BAD_FPAGE if unmapped */
	KDB_SPACE_TRIM = 9, /* privileged: rsi = tid, rdx = 1: count only; free its space's
			     * empty page tables; rsi <- bytes */
	KDB_OP_COUNT
};

/*
 * SYS_IPC: rdi = to, rsi = from specifier (tid, TID_ANY or TID_NIL),
 * rdx = timeouts (msg.h), r8..r10 = MR0..MR2. Returns rax = error
 * (| IPC_ERR_RECV_PHASE), rsi = actual sender, r8..r10 = received MR0..MR2.
 * to = TID_NIL: receive only; from = TID_NIL: send only.
 */

/* SYS_UNMAP: rdi = control; fpages in MR0..MRk of the UTCB. */
#define UNMAP_COUNT_MASK 0x3fu  /* k: number of fpages minus one */
#define UNMAP_FLUSH 0x40u       /* also remove the caller's own mappings */

/*
 * SYS_THREAD_CONTROL (privileged): rdi = dest tid, rsi = space specifier,
 * rdx = exception handler (used with TC_FLAG_EXC_HANDLER), r10 = pager,
 * r8 = UTCB location (user address), r9 = flags.
 *   create:  dest unknown, space = dest (a new space, with the standard KIP
 *            and UTCB areas) or a thread of an existing space; the thread
 *            is created halted: exchange_registers with EXREG_RESUME (and
 *            IP/SP) starts it.
 *   modify:  dest exists, space = TID_ANY (unchanged); pager != nil sets the
 *            pager; r9 & TC_FLAG_EXC_HANDLER sets the exception handler.
 *   delete:  dest exists, space = TID_NIL.
 *   irq:     dest = irq thread: pager = handler attaches, pager = dest detaches.
 */
#define TC_FLAG_EXC_HANDLER 1u  /* r9: set the exception handler to rdx */

/*
 * SYS_SPACE_CONTROL (privileged): rdi = a thread of the space, rsi =
 * control, r8 = kernel-memory quota in bytes (with SC_SET_QUOTA). Returns
 * rdx = bytes of kernel memory the space uses. The KIP and UTCB areas are
 * fixed (KIP_DEFAULT_ADDR, UTCB_AREA_BASE); SC_SET_AREAS is refused with
 * E_BAD_ARGUMENT. A quota below the current use is refused (E_NO_MEMORY);
 * quota 0 keeps the quota (docs/abi.md §5.4).
 */
#define SC_PRIVILEGED 1u      /* the space may call privileged syscalls */
#define SC_SET_AREAS 2u       /* refused (E_BAD_ARGUMENT): the areas are fixed */
#define SC_SET_QUOTA 4u

/*
 * SYS_EXCHANGE_REGISTERS: rdi = dest, rsi = control, rdx = sp, r10 = ip,
 * r8 = rflags, r9 = pager. Returns old values in the same registers and the
 * old state in rsi (EXREG_STATE_*). Allowed on threads of the caller's own
 * space, and on any thread for a privileged caller.
 */
#define EXREG_HALT 0x01u         /* stop the thread */
#define EXREG_RESUME 0x02u       /* let a halted thread run */
#define EXREG_ABORT_SEND 0x04u
#define EXREG_ABORT_RECV 0x08u
#define EXREG_SET_SP 0x10u
#define EXREG_SET_IP 0x20u
#define EXREG_SET_FLAGS 0x40u
#define EXREG_SET_PAGER 0x80u
#define EXREG_STATE_HALTED 0x1u
#define EXREG_STATE_SENDING 0x2u
#define EXREG_STATE_RECEIVING 0x4u
#define EXREG_STATE_FAULTING 0x8u    /* ... in a page-fault or exception IPC */

/* SYS_THREAD_SWITCH: rdi = dest (TID_NIL = yield to any). */
/* SYS_SCHEDULE: rdi = dest, rsi = priority (0..255, ~0 = keep),
 * rdx = time slice in microseconds (0 = keep). An unprivileged caller may
 * only change threads of its own space, and not above its own priority
 * and time slice. Returns rsi = the old priority. */
#define SCHED_PRIO_MAX 255
#define SCHED_KEEP (~(word_t)0)

#endif
