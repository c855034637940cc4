/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: fixed priorities 0..255 (higher runs first), round robin
 * within a priority, time slices counted in timer ticks. O(1): one queue
 * per priority and a bitmap of non-empty queues. Ready threads wait in the
 * queues; the running thread is in none.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <pagoda/types.h>
#include <thread.h>
#include <space.h>
#include <arch.h>
#include <cpu.h>

struct tcb;

#define SCHED_DEFAULT_PRIO 100
#define SCHED_DEFAULT_SLICE_US 10000

extern word_t sched_ticks;          /* ticks since boot */

void sched_init(void);
void sched_ready(struct tcb *t);     /* make runnable (no-op if halted) */
void sched_ready_front(struct tcb *t);/* runnable, first of its priority */
void sched_unready(struct tcb *t);   /* leave the run queue */
void schedule(void);                 /* run the best ready thread */
void sched_donate(struct tcb *t);    /* run ready t now; current to its queue's tail */
void sched_yield(void);              /* current to the tail of its queue */
void sched_tick(void);               /* timer interrupt */
void sched_set_prio(struct tcb *t, unsigned prio);
_Noreturn void sched_start(void);
word_t sched_us_to_ticks(word_t us);

/* Is a thread of priority above prio ready? The IPC fast paths run a
 * woken partner of lower priority than the caller at once only if none
 * is (then schedule() would pick it too: it is woken first of its
 * priority). Bit p of sched_rq_bitmap: queue p is not empty (sched.c). */
extern uint64_t sched_rq_bitmap[4];
static inline bool sched_ready_above(unsigned prio)
{
	uint64_t above = sched_rq_bitmap[prio / 64] & (~1ull << (prio % 64));

	for (unsigned w = prio / 64 + 1; w < 4; w++)
		above |= sched_rq_bitmap[w];
	return above != 0;
}

/* Timeouts of blocked threads. */
void sched_timeout_add(struct tcb *t, word_t ticks);
void sched_timeout_unlink(struct tcb *t);
static inline void sched_timeout_remove(struct tcb *t)
{
	if (__builtin_expect(t->timeout_at != 0, 0)) {
		list_remove(&t->tq);         /* sched_timeout_unlink, inline: */
		t->timeout_at = 0;           /* the IPC fast path calls nothing */
	}
}

/* A thread deleting itself is freed once the CPU has left its stack. */
void sched_defer_free(struct tcb *t);
void sched_reap_zombie(void);
static inline void sched_reap(void)
{
	if (__builtin_expect(cpu_this()->zombie != NULL, 0))
		sched_reap_zombie();
}

/* Switch from the running thread prev to another user thread t (it has a
 * space and a UTCB; it is not the idle thread). The IPC fast paths call it
 * directly; it returns prev's ipc_result when prev runs again. The
 * caller has checked prev's canary (the syscall fast path: a failed check
 * goes the general way, whose switch checks it again and panics). */
static inline __attribute__((always_inline)) word_t sched_switch_user_checked(struct tcb *prev,
									      struct tcb *t)
{
	space_activate(t->space);
	arch_set_kernel_stack((word_t)t + 4096);
	arch_set_utcb(&t->utcb_user);
	thread_current = t;
	return arch_switch(prev, t);
}

/* The same; the caller has not checked prev's canary (thread_check). */
static inline __attribute__((always_inline)) word_t sched_switch_user(struct tcb *prev,
								      struct tcb *t)
{
	thread_check(prev);
	return sched_switch_user_checked(prev, t);
}

/* Switch the CPU to t (not queued: runnable, or the idle thread); the
 * caller has queued or blocked the current thread. Inline: every IPC that
 * blocks runs it. */
static inline __attribute__((always_inline)) void sched_switch_to(struct tcb *t)
{
	struct tcb *prev = thread_current;

	if (t == prev)
		return;
	if (t->space) {
		sched_switch_user(prev, t);
		return;
	}
	thread_check(prev);                  /* the idle thread: no space, no UTCB */
	arch_set_kernel_stack((word_t)t + 4096);
	thread_current = t;
	arch_switch(prev, t);
}

#endif
