/* SPDX-License-Identifier: MIT */
/*
 * thread_control, space_control and exchange_registers.
 *
 * thread_control and space_control are privileged: only threads of a
 * space with SPACE_PRIVILEGED (sigma0, the root task, and the spaces it
 * marks) may call them. thread_control then acts only where the caller has
 * authority, as a capability would give it: on threads of its own space
 * and of the spaces it created, directly or not; the boot spaces (sigma0,
 * the root task) act on any. Otherwise a privileged task could make
 * threads in a space it did not create -- sigma0's, the root task's --
 * whose kernel memory that space pays and never gets back (a thread of
 * sigma0's space that touches device memory makes the kernel map it there
 * as a root sigma0 knows nothing of). The same rule (control_authority)
 * holds for exchange_registers, space_control, attaching an interrupt
 * line to a thread, schedule (kernel/syscall.c) and KDB_SPACE_TRIM and
 * KDB_RAISE_IRQ (kernel/kdebug.c): an unprivileged caller acts on its own
 * space only. Whether a thread id exists stays visible to everyone (the
 * lookup's errors come first, as in IPC): the FAT server's sweep asks
 * exchange_registers so whether a caller is gone.
 */
#include <control.h>
#include <thread.h>
#include <space.h>
#include <sched.h>
#include <ipc.h>
#include <irq.h>
#include <klib.h>
#include <arch.h>
#include <pagoda/error.h>
#include <pagoda/fpage.h>
#include <pagoda/kip.h>
#include <pagoda/syscall.h>
#include <pagoda/thread.h>
#include <pagoda/utcb.h>

/* The arguments of each call by their place (include/pagoda/syscall.h);
 * outputs come back in argument places. */
enum { TC_ARG_DEST, TC_ARG_SPACE, TC_ARG_EXC, TC_ARG_PAGER, TC_ARG_UTCB, TC_ARG_FLAGS };
enum { SC_ARG_THREAD, SC_ARG_CONTROL, SC_ARG_USED, SC_ARG_QUOTA = 4 };
enum {
	EXREG_ARG_DEST,
	EXREG_ARG_CONTROL,
	EXREG_ARG_SP,
	EXREG_ARG_IP,
	EXREG_ARG_FLAGS,
	EXREG_ARG_PAGER
};

static bool control_privileged(void)
{
	return thread_current->space->flags & SPACE_PRIVILEGED;
}

/* May the caller act on threads of space s (create, change, delete them,
 * read or set their registers, their scheduling, its quota)? Its own
 * space always; a privileged caller also the spaces it created, directly
 * or not; a boot space (sigma0, the root task) every space. */
bool control_authority(const struct space *s)
{
	const struct space *mine = thread_current->space;

	if (s == mine)
		return true;
	return (mine->flags & SPACE_PRIVILEGED) && (!mine->owner || space_within(s, mine));
}

/* Attach (pager = handler) or detach (pager = the irq id) a line. */
static word_t control_irq(word_t dest, word_t pager)
{
	int irq = irq_from_tid(dest), err;
	struct tcb *h;

	if (pager == dest)
		return (word_t)irq_detach((unsigned)irq, thread_current);
	if (!(h = thread_lookup(pager, &err)))
		return (word_t)err;
	if (!control_authority(h->space))
		return E_NO_PRIVILEGE;
	return (word_t)irq_attach((unsigned)irq, h);
}

/* Deleting t's space's last thread ends every space that space owns: not
 * allowed to a caller in one of those (it would delete itself unasked). */
static word_t control_delete(struct tcb *t)
{
	struct space *mine = thread_current->space;

	if (t->space->nthreads == 1 && mine != t->space && space_within(mine, t->space))
		return E_NO_PRIVILEGE;
	sched_reap();                       /* no half-deleted space in the way */
	thread_destroy(t);
	if (t == thread_current)
		schedule();                 /* never returns to t */
	return E_OK;
}

static word_t control_modify(struct tcb *t, struct frame *f)
{
	word_t flags = arch_syscall_arg(f, TC_ARG_FLAGS), pager = arch_syscall_arg(f, TC_ARG_PAGER);

	if (flags & ~(word_t)TC_FLAG_EXC_HANDLER)
		return E_BAD_ARGUMENT;
	if (pager != TID_NIL)
		t->pager = pager;
	if (flags & TC_FLAG_EXC_HANDLER)
		t->exc_handler = arch_syscall_arg(f, TC_ARG_EXC);
	t->utcb->pager = t->pager;
	t->utcb->exc_handler = t->exc_handler;
	return E_OK;
}

/* A new space with the standard KIP and UTCB areas. */
static struct space *control_new_space(int *err)
{
	struct space *s = space_create(thread_current->space, err);

	if (s && (*err = space_set_areas(s, fpage_make(KIP_DEFAULT_ADDR, 12, 0),
					 fpage_make(UTCB_AREA_BASE, UTCB_AREA_LOG2, 0)))) {
		space_destroy(s);
		return NULL;
	}
	return s;
}

static word_t control_create(word_t dest, struct frame *f)
{
	word_t spec = arch_syscall_arg(f, TC_ARG_SPACE), flags = arch_syscall_arg(f, TC_ARG_FLAGS);
	struct space *s;
	struct tcb *t, *other;
	int err;

	if (flags & ~(word_t)TC_FLAG_EXC_HANDLER)
		return E_BAD_ARGUMENT;
	if (spec == dest) {
		if (!(s = control_new_space(&err)))
			return (word_t)err;
	} else if ((other = thread_lookup(spec, &err))) {
		s = other->space;
	} else {
		return E_BAD_SPACE;
	}
	if (!control_authority(s))
		return E_NO_PRIVILEGE;
	t = thread_create(dest, s, arch_syscall_arg(f, TC_ARG_UTCB), &err);
	if (!t) {
		if (s->nthreads == 0)
			space_destroy(s);
		return (word_t)err;
	}
	t->pager = arch_syscall_arg(f, TC_ARG_PAGER);
	t->exc_handler = (flags & TC_FLAG_EXC_HANDLER) ? arch_syscall_arg(f, TC_ARG_EXC) : TID_NIL;
	t->prio = thread_current->prio < SCHED_DEFAULT_PRIO ? thread_current->prio : SCHED_DEFAULT_PRIO;
	t->utcb->pager = t->pager;
	t->utcb->exc_handler = t->exc_handler;
	return E_OK;
}

/* thread_control on an interrupt thread; attaching an MSI line returns
 * the message its device must write (in the space and exc places). */
static void control_irq_call(struct frame *f, word_t dest)
{
	word_t pager = arch_syscall_arg(f, TC_ARG_PAGER), addr, data, err;

	err = control_irq(dest, pager);
	arch_syscall_set_result(f, err);
	if (err == E_OK && pager != dest && irq_from_tid(dest) >= ARCH_IRQ_MSI_FIRST) {
		arch_irq_msi_message((unsigned)irq_from_tid(dest), &addr, &data);
		arch_syscall_set_arg(f, TC_ARG_SPACE, addr);
		arch_syscall_set_arg(f, TC_ARG_EXC, data);
	}
}

void sys_thread_control(struct frame *f)
{
	word_t dest = arch_syscall_arg(f, TC_ARG_DEST), spec = arch_syscall_arg(f, TC_ARG_SPACE);
	struct tcb *t;
	int err;

	if (!control_privileged()) {
		arch_syscall_set_result(f, E_NO_PRIVILEGE);
		return;
	}
	if (irq_from_tid(dest) >= 0) {
		control_irq_call(f, dest);
		return;
	}
	t = thread_lookup(dest, &err);
	if (t && (spec == TID_NIL || spec == TID_ANY) && !control_authority(t->space))
		arch_syscall_set_result(f, E_NO_PRIVILEGE);
	else if (spec == TID_NIL)
		arch_syscall_set_result(f, t ? control_delete(t) : (word_t)err);
	else if (spec == TID_ANY)
		arch_syscall_set_result(f, t ? control_modify(t, f) : (word_t)err);
	else if (t || err == E_STALE_THREAD)
		arch_syscall_set_result(f, E_EXISTS);
	else
		arch_syscall_set_result(f, control_create(dest, f));
}

/* May the caller give s the quota q? Its owner, or an owner above it,
 * may set any (what s and its own spaces use still counts against
 * theirs); a boot space (sigma0, the root task) any but its own; s itself
 * may lower its quota and raise it again up to what it was given. */
static int control_quota_check(struct space *s, word_t q)
{
	struct space *mine = thread_current->space;

	if (!s->owner)
		return E_NO_PRIVILEGE;              /* boot spaces have no quota */
	if (s == mine ? q > s->quota_ceiling : mine->owner && !space_within(s, mine))
		return E_NO_PRIVILEGE;
	if (q < s->acct.used)
		return E_NO_MEMORY;                 /* it already uses more than that */
	return E_OK;
}

static void control_quota_set(struct space *s, word_t q)
{
	kmem_set_quota(&s->acct, q);
	if (s != thread_current->space)
		s->quota_ceiling = q;
}

void sys_space_control(struct frame *f)
{
	word_t control = arch_syscall_arg(f, SC_ARG_CONTROL),
	       quota = arch_syscall_arg(f, SC_ARG_QUOTA);
	struct tcb *t;
	int err;

	if (!control_privileged()) {
		arch_syscall_set_result(f, E_NO_PRIVILEGE);
		return;
	}
	if (!(t = thread_lookup(arch_syscall_arg(f, SC_ARG_THREAD), &err))) {
		arch_syscall_set_result(f, (word_t)err);
		return;
	}
	if (!control_authority(t->space)) {
		arch_syscall_set_result(f, E_NO_PRIVILEGE);
		return;
	}
	if (control & ~(word_t)(SC_PRIVILEGED | SC_SET_QUOTA)) {
		arch_syscall_set_result(f, E_BAD_ARGUMENT);
		return;
	}
	if ((control & SC_SET_QUOTA) && quota && (err = control_quota_check(t->space, quota))) {
		arch_syscall_set_result(f, (word_t)err);
		return;
	}
	if (control & SC_PRIVILEGED)
		t->space->flags |= SPACE_PRIVILEGED;
	if ((control & SC_SET_QUOTA) && quota)  /* quota 0: keep */
		control_quota_set(t->space, quota);
	arch_syscall_set_arg(f, SC_ARG_USED, t->space->acct.used);
	arch_syscall_set_result(f, E_OK);
}

/* exchange_registers: decode everything, then apply. */
static word_t exreg_check(struct tcb *t, struct frame *f)
{
	word_t control = arch_syscall_arg(f, EXREG_ARG_CONTROL);
	const word_t known = EXREG_HALT | EXREG_RESUME | EXREG_ABORT_SEND | EXREG_ABORT_RECV |
			     EXREG_SET_SP | EXREG_SET_IP | EXREG_SET_FLAGS | EXREG_SET_PAGER;

	if (!control_authority(t->space))
		return E_NO_PRIVILEGE;
	if (control & ~known)
		return E_BAD_ARGUMENT;
	if ((control & EXREG_SET_IP) && !arch_user_address_ok(arch_syscall_arg(f, EXREG_ARG_IP)))
		return E_BAD_ARGUMENT;
	if ((control & EXREG_SET_SP) && arch_syscall_arg(f, EXREG_ARG_SP) > USER_END)
		return E_BAD_ARGUMENT;
	if ((control & EXREG_RESUME) && t->state == TS_DEAD)
		return E_BAD_THREAD;
	return E_OK;
}

static void exreg_apply(struct tcb *t, word_t control, word_t sp, word_t ip, word_t fl,
			word_t pager)
{
	struct frame *tf = arch_frame(t);

	if (control & (EXREG_ABORT_SEND | EXREG_ABORT_RECV))
		ipc_abort(t, control & EXREG_ABORT_SEND, control & EXREG_ABORT_RECV);
	if (control & EXREG_SET_SP)
		arch_frame_set_sp(tf, sp);
	if (control & EXREG_SET_IP)
		arch_frame_set_ip(tf, ip);
	if (control & EXREG_SET_FLAGS)
		arch_frame_set_flags(tf, arch_user_flags(fl));
	if (control & EXREG_SET_PAGER)
		t->utcb->pager = t->pager = pager;
	if (control & EXREG_HALT) {
		t->halted = true;
		sched_unready(t);
	}
	if ((control & EXREG_RESUME) && !(control & EXREG_HALT)) {
		t->halted = false;
		if (t->state == TS_HALTED)
			t->state = TS_READY;
		sched_ready(t);
	}
}

void sys_exchange_registers(struct frame *f)
{
	struct tcb *t;
	struct frame *tf;
	word_t control = arch_syscall_arg(f, EXREG_ARG_CONTROL),
	       sp = arch_syscall_arg(f, EXREG_ARG_SP);
	word_t ip = arch_syscall_arg(f, EXREG_ARG_IP), fl = arch_syscall_arg(f, EXREG_ARG_FLAGS);
	word_t pager = arch_syscall_arg(f, EXREG_ARG_PAGER), state;
	int err;

	if (!(t = thread_lookup(arch_syscall_arg(f, EXREG_ARG_DEST), &err)) ||
	    (err = (int)exreg_check(t, f))) {
		arch_syscall_set_result(f, (word_t)err);
		return;
	}
	tf = arch_frame(t);
	state = (t->halted ? EXREG_STATE_HALTED : 0) |
		(t->state == TS_SEND ? EXREG_STATE_SENDING : 0) |
		(t->state == TS_RECV ? EXREG_STATE_RECEIVING : 0) |
		((t->state == TS_SEND || t->state == TS_RECV) && t->in_kernel_ipc ?
		 EXREG_STATE_FAULTING : 0);
	arch_syscall_set_arg(f, EXREG_ARG_SP, arch_frame_sp(tf));
	arch_syscall_set_arg(f, EXREG_ARG_IP, arch_frame_ip(tf));
	arch_syscall_set_arg(f, EXREG_ARG_FLAGS, arch_frame_flags(tf));
	arch_syscall_set_arg(f, EXREG_ARG_PAGER, t->pager);
	arch_syscall_set_arg(f, EXREG_ARG_CONTROL, state);
	arch_syscall_set_result(f, E_OK);
	exreg_apply(t, control, sp, ip, fl, pager);
	if (t == thread_current && (control & EXREG_HALT))
		schedule();
}
