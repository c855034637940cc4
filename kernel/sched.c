/* SPDX-License-Identifier: MIT */
/*
 * Scheduling and the timer. One queue per priority with a bitmap for
 * find-first-set; the idle thread runs when every queue is empty.
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
static struct tcb *rq_head[256];             /* ready queues by priority */
static uint64_t rq_bitmap[4];                /* bit p: rq_head[p] non-empty */
static struct tcb *timeout_list;             /* blocked threads with a timeout */
static struct tcb *idle_thread;
static struct tcb *zombie;                   /* deleted self, free after switch */
static uint8_t idle_page[4096] __attribute__((aligned(4096)));

static bool rq_queued(struct tcb *t)
{
	return t->rq_next != NULL;
}

void sched_ready(struct tcb *t)
{
	struct tcb *h;

	if (t->halted || t->state != TS_READY || rq_queued(t) || t == idle_thread)
		return;
	h = rq_head[t->prio];
	if (!h) {
		t->rq_next = t->rq_prev = t;
		rq_head[t->prio] = t;
		rq_bitmap[t->prio / 64] |= 1ull << (t->prio % 64);
		return;
	}
	t->rq_next = h;
	t->rq_prev = h->rq_prev;
	h->rq_prev->rq_next = t;
	h->rq_prev = t;
}

void sched_ready_front(struct tcb *t)
{
	sched_ready(t);
	if (rq_queued(t))
		rq_head[t->prio] = t;
}

void sched_unready(struct tcb *t)
{
	if (!rq_queued(t))
		return;
	if (t->rq_next == t) {
		rq_head[t->prio] = NULL;
		rq_bitmap[t->prio / 64] &= ~(1ull << (t->prio % 64));
	} else {
		t->rq_prev->rq_next = t->rq_next;
		t->rq_next->rq_prev = t->rq_prev;
		if (rq_head[t->prio] == t)
			rq_head[t->prio] = t->rq_next;
	}
	t->rq_next = t->rq_prev = NULL;
}

static struct tcb *sched_pick(void)
{
	for (int w = 3; w >= 0; w--)
		if (rq_bitmap[w])
			return rq_head[w * 64 + 63 - __builtin_clzll(rq_bitmap[w])];
	return idle_thread;
}

void sched_switch_to(struct tcb *t)
{
	struct tcb *prev = thread_current;

	if (t == prev)
		return;
	thread_check(prev);
	if (t->space)
		space_activate(t->space);
	arch_set_kernel_stack((word_t)t + 4096);
	if (t->utcb_user)
		arch_set_utcb(t->utcb_user);
	thread_current = t;
	arch_switch(prev, t);
}

void schedule(void)
{
	sched_switch_to(sched_pick());
}

void sched_yield(void)
{
	struct tcb *t = thread_current;

	if (rq_queued(t) && rq_head[t->prio] == t)
		rq_head[t->prio] = t->rq_next;
	t->slice_left = t->timeslice;
	schedule();
}

void sched_set_prio(struct tcb *t, unsigned prio)
{
	bool queued = rq_queued(t);

	sched_unready(t);
	t->prio = (uint8_t)prio;
	if (queued)
		sched_ready(t);
}

word_t sched_us_to_ticks(word_t us)
{
	word_t tick_us = 1000000 / SCHED_TIMER_HZ;

	return us / tick_us + (us % tick_us ? 1 : 0);
}

void sched_timeout_add(struct tcb *t, word_t ticks)
{
	t->timeout_at = sched_ticks + (ticks ? ticks : 1);
	t->tq_prev = NULL;
	t->tq_next = timeout_list;
	if (timeout_list)
		timeout_list->tq_prev = t;
	timeout_list = t;
}

void sched_timeout_remove(struct tcb *t)
{
	if (!t->timeout_at)
		return;
	if (t->tq_prev)
		t->tq_prev->tq_next = t->tq_next;
	else
		timeout_list = t->tq_next;
	if (t->tq_next)
		t->tq_next->tq_prev = t->tq_prev;
	t->tq_next = t->tq_prev = NULL;
	t->timeout_at = 0;
}

static void sched_expire_timeouts(void)
{
	struct tcb *t = timeout_list, *next;

	for (; t; t = next) {
		next = t->tq_next;
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
	if (t != idle_thread && t->slice_left && --t->slice_left == 0) {
		t->slice_left = t->timeslice;
		if (rq_queued(t) && rq_head[t->prio] == t)
			rq_head[t->prio] = t->rq_next;
	}
	schedule();
}

void sched_defer_free(struct tcb *t)
{
	assert(!zombie);
	zombie = t;
}

void sched_reap(void)
{
	if (zombie && zombie != thread_current) {
		struct tcb *z = zombie;
		zombie = NULL;
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
	idle_thread = (struct tcb *)idle_page;
	idle_thread->canary = THREAD_CANARY;
	idle_thread->state = TS_READY;
	arch_thread_init_kernel(idle_thread, sched_idle_loop);
	kip->timer_hz = SCHED_TIMER_HZ;
	kip->tick_us = 1000000 / SCHED_TIMER_HZ;
}

/* Leave the boot stack for good: the boot context becomes nothing. */
_Noreturn void sched_start(void)
{
	static struct tcb boot_ctx;

	boot_ctx.canary = THREAD_CANARY;
	thread_current = &boot_ctx;
	arch_irq_init(SCHED_TIMER_HZ);
	schedule();
	panic("sched: boot context resumed");
}
