/* SPDX-License-Identifier: MIT */
/*
 * System call dispatch: one table from number to handler. Every handler
 * decodes and validates all of its arguments before it changes anything,
 * and reports a caller's mistake as an error code in rax.
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

void syscall_dispatch(struct frame *f);

static void sys_null(struct frame *f)
{
	f->rax = E_OK;
}

/* thread_switch(dest): give the rest of our slice to dest, or yield. */
static void sys_thread_switch(struct frame *f)
{
	struct tcb *t = NULL;
	int err = E_OK;

	if (f->rdi != TID_NIL && !(t = thread_lookup(f->rdi, &err))) {
		f->rax = (word_t)err;
		return;
	}
	f->rax = E_OK;
	if (t && t != thread_current && t->state == TS_READY && !t->halted) {
		sched_donate(t);
		return;
	}
	sched_yield();
}

/* schedule(dest, prio, slice_us): set priority and time slice. */
static void sys_schedule(struct frame *f)
{
	struct tcb *self = thread_current, *t;
	word_t prio = f->rsi, slice = f->rdx;
	int err;

	if (!(t = thread_lookup(f->rdi, &err))) {
		f->rax = (word_t)err;
		return;
	}
	if (prio != SCHED_KEEP && (prio > SCHED_PRIO_MAX ||
	    (!(self->space->flags & SPACE_PRIVILEGED) && prio > self->prio))) {
		f->rax = E_BAD_SCHEDULER;
		return;
	}
	if (!(self->space->flags & SPACE_PRIVILEGED) && t->space != self->space) {
		f->rax = E_NO_PRIVILEGE;
		return;
	}
	if (slice != 0 && (slice > 10000000 || slice == SCHED_KEEP)) {
		f->rax = E_BAD_SCHEDULER;
		return;
	}
	f->rsi = t->prio;
	if (slice)
		t->timeslice = t->slice_left = sched_us_to_ticks(slice);
	if (prio != SCHED_KEEP)
		sched_set_prio(t, (unsigned)prio);
	f->rax = E_OK;
	schedule();
}

typedef void (*syscall_fn)(struct frame *f);

static const syscall_fn syscall_table[SYS_COUNT] = {
	[SYS_KDEBUG] = sys_kdebug,
	[SYS_IPC] = sys_ipc,
	[SYS_UNMAP] = sys_unmap,
	[SYS_THREAD_CONTROL] = sys_thread_control,
	[SYS_SPACE_CONTROL] = sys_space_control,
	[SYS_EXCHANGE_REGISTERS] = sys_exchange_registers,
	[SYS_THREAD_SWITCH] = sys_thread_switch,
	[SYS_SCHEDULE] = sys_schedule,
	[SYS_NULL] = sys_null,
};

/* Every system call but SYS_IPC, which entry.S calls directly. */
void syscall_dispatch(struct frame *f)
{
	word_t n = f->rax;

	if (n >= SYS_COUNT) {
		f->rax = E_BAD_SYSCALL;
		return;
	}
	syscall_table[n](f);
	sched_reap();
}
