/* SPDX-License-Identifier: MIT */
/* Interrupt lines delivered as IPC to attached handler threads. */
#include <irq.h>
#include <ipc.h>
#include <thread.h>
#include <sched.h>
#include <klib.h>
#include <arch.h>
#include <pagoda/error.h>
#include <pagoda/thread.h>

/* Per line: the attached handler, and whether an interrupt waits for it. */
static struct {
	struct tcb *handler;
	bool pending;            /* raised, not yet received */
	bool in_service;         /* received, not yet acknowledged (masked) */
} irq_line[ARCH_IRQ_COUNT];
unsigned irq_pending_count;          /* lines with pending set: the IPC fast path checks it */

int irq_from_tid(word_t tid)
{
	word_t n = tid_number(tid);

	if (tid_version(tid) != 1 || n >= ARCH_IRQ_COUNT || n == ARCH_TIMER_IRQ)
		return -1;
	return (int)n;
}

void irq_raise(unsigned irq)
{
	if (irq == ARCH_TIMER_IRQ) {
		sched_tick();
		return;
	}
	if (irq >= ARCH_IRQ_COUNT || !irq_line[irq].handler)
		return;
	arch_irq_mask(irq);
	irq_line[irq].in_service = true;
	if (ipc_deliver_irq(irq_line[irq].handler, tid_irq(irq)))
		schedule();
	else if (!irq_line[irq].pending) {
		irq_line[irq].pending = true;
		irq_pending_count++;
	}
}

int irq_attach(unsigned irq, struct tcb *h)
{
	if (irq_line[irq].handler && irq_line[irq].handler != h)
		return E_BUSY;
	irq_line[irq].handler = h;
	arch_irq_unmask(irq);
	return E_OK;
}

struct tcb *irq_handler(unsigned irq)
{
	return irq < ARCH_IRQ_COUNT ? irq_line[irq].handler : NULL;
}

int irq_detach(unsigned irq, struct tcb *t)
{
	if (irq_line[irq].handler && irq_line[irq].handler->space != t->space)
		return E_BUSY;
	arch_irq_mask(irq);
	if (irq_line[irq].pending)
		irq_pending_count--;
	irq_line[irq].handler = NULL;
	irq_line[irq].pending = irq_line[irq].in_service = false;
	return E_OK;
}

void irq_detach_all(struct tcb *t)
{
	for (unsigned i = 0; i < ARCH_IRQ_COUNT; i++)
		if (irq_line[i].handler == t)
			irq_detach(i, t);
}

word_t irq_ack(struct tcb *self, int irq)
{
	if (irq_line[irq].handler != self)
		return E_BAD_THREAD;
	if (irq_line[irq].in_service && !irq_line[irq].pending) {
		irq_line[irq].in_service = false;
		arch_irq_unmask((unsigned)irq);
	}
	return E_OK;
}

bool irq_pending_for(struct tcb *t, word_t from)
{
	if (!irq_pending_count)
		return false;
	for (unsigned i = 0; i < ARCH_IRQ_COUNT; i++)
		if (irq_line[i].handler == t && irq_line[i].pending &&
		    (from == TID_ANY || from == tid_irq(i)))
			return true;
	return false;
}

bool irq_take_pending(struct tcb *self, word_t from, word_t *irq_tid)
{
	if (!irq_pending_count)
		return false;
	for (unsigned i = 0; i < ARCH_IRQ_COUNT; i++) {
		if (irq_line[i].handler != self || !irq_line[i].pending)
			continue;
		if (from != TID_ANY && from != tid_irq(i))
			continue;
		irq_line[i].pending = false;
		irq_pending_count--;
		*irq_tid = tid_irq(i);
		return true;
	}
	return false;
}
