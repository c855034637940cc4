/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: fixed priorities 0..255 (higher runs first), round robin
 * within a priority, time slices counted in timer ticks. O(1): one queue
 * per priority and a bitmap of non-empty queues. The running thread stays
 * at the head of its queue; a thread that blocks leaves its queue.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <pagoda/types.h>

struct tcb;

#define SCHED_DEFAULT_PRIO 100
#define SCHED_DEFAULT_SLICE_US 10000

extern word_t sched_ticks;          /* ticks since boot */

void sched_init(void);
void sched_ready(struct tcb *t);     /* make runnable (no-op if halted) */
void sched_ready_front(struct tcb *t);/* runnable, first of its priority */
void sched_unready(struct tcb *t);   /* leave the run queue */
void schedule(void);                 /* run the best ready thread */
void sched_switch_to(struct tcb *t); /* run t now (t must be ready) */
void sched_yield(void);              /* current to the tail of its queue */
void sched_tick(void);               /* timer interrupt */
void sched_set_prio(struct tcb *t, unsigned prio);
_Noreturn void sched_start(void);
word_t sched_us_to_ticks(word_t us);

/* Timeouts of blocked threads. */
void sched_timeout_add(struct tcb *t, word_t ticks);
void sched_timeout_remove(struct tcb *t);

/* A thread deleting itself is freed once the CPU has left its stack. */
void sched_defer_free(struct tcb *t);
void sched_reap(void);

#endif
