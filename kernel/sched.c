/* SPDX-License-Identifier: MIT */
/*
 * Scheduling and the timer. One queue per priority with a bitmap for
 * find-first-set; the idle thread runs when every queue is empty. The
 * running thread is not in a queue, so an IPC that blocks the caller and
 * runs its partner touches no queue at all.
 * Timeouts live on an unsorted list checked at each tick (the number of
 * threads blocked with a finite timeout is small in practice; a timer
 * wheel would make it O(1) if that ever matters).
 */
#include <sched.h>
#include <thread.h>
#include <space.h>
#include <ipc.h>
#include <kip.h>
#include <klib.h>
#include <arch.h>

#define SCHED_TIMER_HZ 1000

word_t sched_ticks;                          /* ticks since boot */
static struct list rq_head[256];             /* ready queues by priority, by .rq */
uint64_t sched_rq_bitmap[4];                 /* bit p: rq_head[p] non-empty */
static struct list timeout_list = LIST_INIT(timeout_list); /* blocked with a timeout, by .tq */
static uint8_t idle_page[4096] __attribute__((aligned(4096)));  /* the idle thread's */

static bool rq_queued(struct tcb *t)
{
	return list_linked(&t->rq);
}

static bool sched_runnable(struct tcb *t)
{
	return t->state == TS_READY && !t->halted && t != cpu_this()->idle;
}

/* Put t into its priority's queue, first or last. */
static void rq_insert(struct tcb *t, bool front)
{
	struct list *h = &rq_head[t->prio];

	if (front)
		list_push_front(h, &t->rq);
	else
		list_push_back(h, &t->rq);
	sched_rq_bitmap[t->prio / 64] |= 1ull << (t->prio % 64);
}

void sched_ready(struct tcb *t)
{
	if (sched_runnable(t) && !rq_queued(t) && t != thread_current)
		rq_insert(t, false);
}

void sched_ready_front(struct tcb *t)
{
	if (sched_runnable(t) && !rq_queued(t) && t != thread_current)
		rq_insert(t, true);
}

void sched_unready(struct tcb *t)
{
	if (!rq_queued(t))
		return;
	list_remove(&t->rq);
	if (list_empty(&rq_head[t->prio]))
		sched_rq_bitmap[t->prio / 64] &= ~(1ull << (t->prio % 64));
}

/* The first thread of the highest non-empty queue, or NULL. */
static struct tcb *sched_best(void)
{
	for (int w = 3; w >= 0; w--)
		if (sched_rq_bitmap[w])
			return list_entry(
				rq_head[w * 64 + 63 - __builtin_clzll(sched_rq_bitmap[w])].next,
				struct tcb, rq);
	return NULL;
}

/*
 * The running thread is never in a queue. schedule() keeps it if it can
 * still run and nothing of higher priority waits; otherwise it requeues
 * it (first in its queue: it was preempted, its slice goes on) and runs
 * the best queued thread, or the idle thread.
 */
void schedule(void)
{
	struct tcb *cur = thread_current, *best = sched_best();

	if (sched_runnable(cur) && (!best || best->prio <= cur->prio))
		return;
	if (sched_runnable(cur))
		rq_insert(cur, true);
	if (best)
		sched_unready(best);
	sched_switch_to(best ? best : cpu_this()->idle);
}

/* Give up the CPU to the threads of the same or higher priority. */
void sched_yield(void)
{
	struct tcb *cur = thread_current, *best = sched_best();

	cur->slice_left = cur->timeslice;
	if (!best || !sched_runnable(cur) || best->prio < cur->prio) {
		schedule();
		return;
	}
	rq_insert(cur, false);
	sched_unready(best);
	sched_switch_to(best);
}

/* Run t now, donating the caller's turn (thread_switch). */
void sched_donate(struct tcb *t)
{
	struct tcb *cur = thread_current;

	if (t == cur || !sched_runnable(t))
		return;
	sched_unready(t);
	if (sched_runnable(cur))
		rq_insert(cur, false);
	sched_switch_to(t);
}

void sched_set_prio(struct tcb *t, unsigned prio)
{
	bool queued = rq_queued(t);

	sched_unready(t);
	t->prio = (uint8_t)prio;
	if (queued)
		rq_insert(t, false);
}

word_t sched_us_to_ticks(word_t us)
{
	word_t tick_us = 1000000 / SCHED_TIMER_HZ;

	return us / tick_us + (us % tick_us ? 1 : 0);
}

void sched_timeout_add(struct tcb *t, word_t ticks)
{
	t->timeout_at = sched_ticks + (ticks ? ticks : 1);
	list_push_front(&timeout_list, &t->tq);
}

void sched_timeout_unlink(struct tcb *t)
{
	list_remove(&t->tq);
	t->timeout_at = 0;
}

static void sched_expire_timeouts(void)
{
	struct list *n, *next;

	list_for_each_safe(n, next, &timeout_list) {
		struct tcb *t = list_entry(n, struct tcb, tq);
		if (t->timeout_at <= sched_ticks) {
			sched_timeout_remove(t);
			ipc_timeout(t);
		}
	}
}

void sched_tick(void)
{
	struct tcb *t = thread_current;

	sched_ticks++;
	kip->ticks = sched_ticks;
	sched_expire_timeouts();
	if (t != cpu_this()->idle && t->slice_left && --t->slice_left == 0)
		sched_yield();                       /* slice used up: to the tail */
	else
		schedule();
}

void sched_defer_free(struct tcb *t)
{
	struct cpu *c = cpu_this();

	assert(!c->zombie);
	c->zombie = t;
}

void sched_reap_zombie(void)
{
	struct cpu *c = cpu_this();

	if (c->zombie != c->current) {
		struct tcb *z = c->zombie;
		c->zombie = NULL;
		thread_free(z);
	}
}

static void sched_idle_loop(void)
{
	for (;;) {
		sched_reap();
		arch_idle();
		schedule();
	}
}

void sched_init(void)
{
	struct tcb *idle = (struct tcb *)idle_page;

	for (unsigned p = 0; p < ARRAY_SIZE(rq_head); p++)
		list_init(&rq_head[p]);
	idle->canary = THREAD_CANARY;
	idle->state = TS_READY;
	arch_fpu_init_state(idle->fpu);
	arch_thread_init_kernel(idle, sched_idle_loop);
	cpu_this()->idle = idle;
	kip->timer_hz = SCHED_TIMER_HZ;
	kip->tick_us = 1000000 / SCHED_TIMER_HZ;
}

/* Leave the boot stack for good: the boot context becomes nothing. */
_Noreturn void sched_start(void)
{
	static struct tcb boot_ctx;

	boot_ctx.canary = THREAD_CANARY;
	arch_fpu_init_state(boot_ctx.fpu);
	thread_current = &boot_ctx;
	arch_irq_init(SCHED_TIMER_HZ);
	schedule();
	panic("sched: boot context resumed");
}
