/* SPDX-License-Identifier: MIT */
/* x86-64 instructions and register bits, for arch code only. */
#ifndef ARCH_X86_H
#define ARCH_X86_H

#include <pagoda/types.h>
#include "msr.h"

#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_NE (1u << 5)

#define CR4_PGE (1u << 7)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_OSXSAVE (1u << 18)
#define CR4_UMIP (1u << 11)
#define CR4_FSGSBASE (1u << 16)
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)

#define RFLAGS_CF 0x1u
#define RFLAGS_RESERVED1 0x2u
#define RFLAGS_PF 0x4u
#define RFLAGS_AF 0x10u
#define RFLAGS_ZF 0x40u
#define RFLAGS_SF 0x80u
#define RFLAGS_TF 0x100u
#define RFLAGS_IF 0x200u
#define RFLAGS_DF 0x400u
#define RFLAGS_OF 0x800u
#define RFLAGS_NT 0x4000u
#define RFLAGS_AC 0x40000u

static inline void x86_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
			     uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline uint64_t x86_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void x86_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t x86_read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void x86_write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t x86_read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void x86_write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t x86_read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void x86_write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void x86_invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void x86_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void x86_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t x86_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void x86_lgdt(void *base, uint16_t size)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = { size - 1, (uint64_t)base };
	__asm__ volatile("lgdt %0" : : "m"(d));
}

static inline void x86_lidt(void *base, uint16_t size)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = { size - 1, (uint64_t)base };
	__asm__ volatile("lidt %0" : : "m"(d));
}

static inline void x86_ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel));
}

/* Reload CS with a far return and the data segments. */
static inline void x86_reload_segments(uint16_t code, uint16_t data)
{
	__asm__ volatile("pushq %q0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w1, %%ds\n\t"
			 "movw %w1, %%es\n\t"
			 "movw %w1, %%ss\n\t"
			 : : "r"((uint64_t)code), "r"(data) : "rax", "memory");
}

/* End of interrupt: an 8259 line (platform.c), an MSI through the local
 * APIC (msi.c). */
void arch_irq_eoi(unsigned irq);
void msi_eoi(void);

#endif
