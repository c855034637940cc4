/* SPDX-License-Identifier: MIT */
/*
 * System call dispatch: one table from number to handler. Every handler
 * decodes and validates all of its arguments before it changes anything,
 * and reports a caller's mistake as an error code in the result.
 */
#include <arch.h>
#include <ipc.h>
#include <map.h>
#include <sched.h>
#include <thread.h>
#include <space.h>
#include <control.h>
#include <kdebug.h>
#include <klib.h>
#include <pagoda/error.h>
#include <pagoda/syscall.h>
#include <pagoda/thread.h>

static void sys_null(struct frame *f)
{
	arch_syscall_set_result(f, E_OK);
}

/* thread_switch(dest): give the rest of our slice to dest, or yield. */
static void sys_thread_switch(struct frame *f)
{
	word_t dest = arch_syscall_arg(f, 0);
	struct tcb *t = NULL;
	int err = E_OK;

	if (dest != TID_NIL && !(t = thread_lookup(dest, &err))) {
		arch_syscall_set_result(f, (word_t)err);
		return;
	}
	arch_syscall_set_result(f, E_OK);
	if (t && t != thread_current && t->state == TS_READY && !t->halted) {
		sched_donate(t);
		return;
	}
	sched_yield();
}

/*
 * schedule(dest, prio, slice_us): set priority and time slice, on a
 * thread the caller has authority over (control_authority: its own space;
 * a privileged caller's descendants too; a boot space's any). An
 * unprivileged caller never goes beyond what it was itself given:
 * priority up to its own, time slice up to its own (docs/security.md,
 * class 8). A new slice never refills the one in
 * progress (it only cuts it short), so calling this in a loop cannot keep
 * a thread from being preempted by its neighbours.
 */
static word_t sched_check(struct tcb *self, struct tcb *t, word_t prio, word_t slice)
{
	bool priv = self->space->flags & SPACE_PRIVILEGED;

	if (prio != SCHED_KEEP && (prio > SCHED_PRIO_MAX || (!priv && prio > self->prio)))
		return E_BAD_SCHEDULER;
	if (!control_authority(t->space))
		return E_NO_PRIVILEGE;
	if (slice != 0 && (slice > 10000000 || slice == SCHED_KEEP))
		return E_BAD_SCHEDULER;
	if (slice != 0 && !priv && sched_us_to_ticks(slice) > self->timeslice)
		return E_BAD_SCHEDULER;
	return E_OK;
}

static void sys_schedule(struct frame *f)
{
	struct tcb *self = thread_current, *t;
	word_t dest = arch_syscall_arg(f, 0), prio = arch_syscall_arg(f, 1);
	word_t slice = arch_syscall_arg(f, 2), ticks;
	int err;

	if (!(t = thread_lookup(dest, &err)) || (err = (int)sched_check(self, t, prio, slice))) {
		arch_syscall_set_result(f, (word_t)err);
		return;
	}
	arch_syscall_set_arg(f, 1, t->prio);             /* the old priority */
	if (slice) {
		ticks = sched_us_to_ticks(slice);
		t->timeslice = ticks;
		t->slice_left = MIN(t->slice_left, ticks);
	}
	if (prio != SCHED_KEEP)
		sched_set_prio(t, (unsigned)prio);
	arch_syscall_set_result(f, E_OK);
	schedule();
}

typedef void (*syscall_fn)(struct frame *f);

static const syscall_fn syscall_table[SYS_COUNT] = {
	[SYS_KDEBUG] = sys_kdebug,             /* SYS_IPC never comes here: see below */
	[SYS_UNMAP] = sys_unmap,
	[SYS_THREAD_CONTROL] = sys_thread_control,
	[SYS_SPACE_CONTROL] = sys_space_control,
	[SYS_EXCHANGE_REGISTERS] = sys_exchange_registers,
	[SYS_THREAD_SWITCH] = sys_thread_switch,
	[SYS_SCHEDULE] = sys_schedule,
	[SYS_NULL] = sys_null,
};

/* Every system call but SYS_IPC, which entry.S calls directly
 * (ARCH_SYSCALL_DIRECT; cpu.c asserts it is SYS_IPC). */
void syscall_dispatch(struct frame *f)
{
	word_t n = arch_syscall_nr(f);

	if (n >= SYS_COUNT) {
		arch_syscall_set_result(f, E_BAD_SYSCALL);
		return;
	}
	syscall_table[n](f);
	sched_reap();
}
