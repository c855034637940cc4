/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU state: what belongs to one CPU rather than to the machine, in
 * one structure reached one way, cpu_this(). One CPU for now: cpu_this()
 * is the one instance. An SMP kernel gives each CPU its own and finds it
 * through the GS base (docs/design.md, "Per-CPU state"). Every field is
 * read and written by its own CPU only, with interrupts off (the kernel
 * runs with them off).
 */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include <arch_cpu.h>

struct tcb;

struct cpu {
	struct arch_cpu arch;          /* first: entry.S reaches it at fixed offsets */
	struct tcb *current;           /* the running thread (thread_current) */
	struct tcb *idle;              /* runs when no thread is ready (sched.c) */
	struct tcb *zombie;            /* deleted itself; freed once this CPU has left
					* its stack (sched_reap) */
};

extern struct cpu cpu_boot;            /* the boot CPU, the only one (arch cpu.c) */

static inline struct cpu *cpu_this(void)
{
	return &cpu_boot;
}

#endif
