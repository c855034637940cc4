/* SPDX-License-Identifier: MIT */
/*
 * Synchronous IPC: send, receive, call and reply-and-wait between threads,
 * from interrupt threads, and on behalf of the kernel (page faults and
 * exceptions are IPC the kernel sends in the faulting thread's name).
 */
#ifndef KERNEL_IPC_H
#define KERNEL_IPC_H

#include <pagoda/types.h>

struct tcb;
struct frame;

/* The IPC system call (entry.S): returns its result, which the entry
 * stores in the frame; a non-zero one goes on to ipc_failed(f). */
word_t sys_ipc(struct frame *f);
void ipc_failed(struct frame *f);

/* A kernel call in t's name: send t->kmsg to `to`, receive its reply into
 * t->kmsg. Map items in the reply land in t's space (complete window).
 * Returns E_OK or an IPC error. */
word_t ipc_kernel_call(struct tcb *t, word_t to);

/* Deliver an interrupt message from irq thread `irq_tid` to handler h if
 * it waits for one; false if it does not (the interrupt stays pending). */
bool ipc_deliver_irq(struct tcb *h, word_t irq_tid);

/* t's blocking timed out. */
void ipc_timeout(struct tcb *t);

/* Abort t's IPC: a send (EXREG_ABORT_SEND) and/or a receive. */
void ipc_abort(struct tcb *t, bool send, bool recv);

/* t is going away: wake everyone sending to or receiving from it with
 * `err`, and take t out of any send queue. */
void ipc_cancel_all(struct tcb *t, word_t err);

#endif
