/* SPDX-License-Identifier: MIT */
/*
 * What the assembly (boot.S, entry.S) defines for arch C code, and the
 * arch C functions it calls. Generic functions it calls are declared
 * in arch.h.
 */
#ifndef ARCH_ENTRY_H
#define ARCH_ENTRY_H

#include <arch.h>

/* boot.S: the boot page tables' PML4, kept as every space's kernel half. */
extern word_t boot_pml4[512];

/* entry.S: the ways into the kernel and the stacks' first returns. */
extern const word_t isr_table[32 + ARCH_IRQ_COUNT];  /* vectors 0..63 */
extern const word_t isr_spurious;            /* vector 255 */
void syscall_entry(void);
void trap_return(void);                      /* a new user thread's first return */
void kthread_trampoline(void);               /* a new kernel thread's start */
void arch_switch_xsave(struct tcb *from, struct tcb *to);
void arch_switch_fxsave(struct tcb *from, struct tcb *to);

/* Called by entry.S. */
void trap_dispatch(struct frame *f);                 /* trap.c */
_Noreturn void entry_bad_return(struct frame *f);    /* cpu.c */

#endif
