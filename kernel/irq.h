/* SPDX-License-Identifier: MIT */
/*
 * Interrupts as IPC. Interrupt line n is the thread id tid_irq(n). A
 * handler thread is attached with thread_control; each interrupt then
 * arrives as a message (label LABEL_IRQ) from that id, and a PIC line
 * stays masked until the handler acknowledges it by sending to that id (an
 * MSI line is never masked: what arrives before the acknowledgement stays
 * pending, docs/abi.md §13).
 */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include <pagoda/types.h>

struct tcb;

extern unsigned irq_pending_count;             /* interrupts raised, not yet received */

int irq_from_tid(word_t tid);                  /* line number, or -1 */
void irq_raise(unsigned irq);                  /* from the trap handler */
int irq_attach(unsigned irq, struct tcb *h);   /* E_OK, E_BUSY */
int irq_detach(unsigned irq, struct tcb *t);   /* E_OK, E_BUSY: another space's line */
void irq_detach_all(struct tcb *t);            /* t goes away */
word_t irq_ack(struct tcb *self, int irq);     /* E_OK or E_BAD_THREAD */
bool irq_take_pending(struct tcb *self, word_t from, word_t *irq_tid);
bool irq_pending_for(struct tcb *t, word_t from);      /* without taking it */
struct tcb *irq_handler(unsigned irq);         /* the line's handler, or NULL */

#endif
