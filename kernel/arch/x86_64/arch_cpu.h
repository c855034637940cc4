/* SPDX-License-Identifier: MIT */
/*
 * The x86-64 part of the per-CPU structure (struct cpu, kernel/cpu.h):
 * what the entry code, the switch path and the CPU tables of one CPU
 * need. entry.S reaches the first two fields at the CPU_* offsets of
 * layout.h (cpu.c asserts them).
 */
#ifndef ARCH_ARCH_CPU_H
#define ARCH_ARCH_CPU_H

#include <pagoda/types.h>

/* The task-state segment: rsp0 is the kernel stack for traps from user
 * mode, ist[] the stacks of the traps that may come at any moment. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

/* Stacks of their own (IST) for #DF, #DB, NMI and #MC (entry.S, cpu.c). */
enum { IST_DF = 1, IST_DB, IST_NMI, IST_MC, IST_COUNT };

struct arch_cpu {
	word_t kstack_top;             /* kernel stack top of the running thread */
	word_t user_rsp;               /* scratch: user rsp during syscall entry */
	word_t *pt_active;             /* the PML4 in CR3 */
	struct tss tss;                /* in the first page: a TSS must not cross one */
	uint64_t gdt[8];               /* its descriptor holds the TSS's busy bit */
	uint8_t ist_stack[IST_COUNT - 1][4096] __attribute__((aligned(16)));
};

#endif
