/* SPDX-License-Identifier: MIT */
/*
 * Extended register state: x87, SSE and AVX.
 *
 * How it works. Every thread has a save area in its TCB (the standard
 * XSAVE layout of x87 + SSE + AVX, 832 bytes) that holds its registers
 * whenever it is not running.
 * The switch is eager: switching from one user thread to another saves the
 * outgoing thread's registers (XSAVEOPT, or FXSAVE on a CPU without XSAVEOPT)
 * and loads the incoming thread's (XRSTOR / FXRSTOR). The registers
 * therefore hold the running thread's own state and nobody else's at every
 * moment a user thread runs: no thread can read a neighbour's registers,
 * not even speculatively (the "lazy FP state restore" leak, CVE-2018-3665,
 * needs a stale owner's state left in the registers with CR0.TS set, which
 * never happens here). The idle thread and the boot context have areas
 * too and are switched like any other thread (what their areas hold is
 * never loaded into a user thread), so the switch tests nothing.
 *
 * Why eager rather than lazy through #NM: user programs are compiled with
 * ordinary flags, so the compiler uses SSE for copies, zeroing and
 * varargs, and almost every thread touches these registers within any
 * time slice; lazy switching would then add a #NM trap and CR0 writes to
 * the save and restore it was meant to avoid, and it leaves one thread's
 * state in the registers while another runs. The eager switch costs three
 * instructions per switch (docs/design.md).
 *
 * A new thread starts from the clean state: x87 and SSE registers at their
 * reset values, FCW = 0x037f, MXCSR = 0x1f80, AVX upper halves zero (the
 * XSAVE header's XSTATE_BV = 0 makes XRSTOR load the initial values).
 *
 * The kernel itself is built general-registers-only and never touches
 * these registers, so they need no saving on kernel entry.
 */
#include <arch.h>
#include <pagoda/kip.h>
#include <klib.h>
#include "x86.h"
#include "entry.h"

#define XCR0_X87 (1u << 0)
#define XCR0_SSE (1u << 1)
#define XCR0_AVX (1u << 2)

#define FPU_FCW_INIT 0x037fu
#define FPU_MXCSR_INIT 0x1f80u
#define FPU_MXCSR_FLAGS 0x3fu             /* the six sticky exception flags */

unsigned arch_fpu_features;               /* KIP_CPU_XSAVE, KIP_CPU_AVX */
/* The switch for this CPU (chosen once, in arch_fpu_init). */
word_t (*arch_switch_fn)(struct tcb *from, struct tcb *to) = arch_switch_fxsave;

static void fpu_xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* XSAVE with x87, SSE and (where present) AVX; the area size from CPUID.
 * Only with XSAVEOPT: otherwise FXSAVE, and AVX stays disabled (#UD). */
static void fpu_init_xsave(void)
{
	uint32_t a, b, c, d, xcr0 = XCR0_X87 | XCR0_SSE;

	x86_cpuid(0, 0, &a, &b, &c, &d);
	if (a < 0xd)
		return;
	x86_cpuid(0xd, 1, &a, &b, &c, &d);
	if (!(a & 1))
		return;
	x86_cpuid(0xd, 0, &a, &b, &c, &d);
	if (a & XCR0_AVX) {
		xcr0 |= XCR0_AVX;
		arch_fpu_features |= KIP_CPU_AVX;
	}
	x86_write_cr4(x86_read_cr4() | CR4_OSXSAVE);
	fpu_xsetbv(0, xcr0);
	x86_cpuid(0xd, 0, &a, &b, &c, &d);     /* ebx: area size for XCR0 now */
	if (b > ARCH_FPU_AREA_BYTES)
		panic("fpu: XSAVE area of %u bytes", b);
	arch_switch_fn = arch_switch_xsave;
	arch_fpu_features |= KIP_CPU_XSAVE;
}

void arch_fpu_init(void)
{
	uint32_t a, b, c, d;

	x86_cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & (1u << 24)))
		panic("fpu: no FXSAVE");
	x86_write_cr0((x86_read_cr0() | CR0_MP | CR0_NE) & ~(uint64_t)(CR0_EM | CR0_TS));
	x86_write_cr4(x86_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	if (c & (1u << 26))
		fpu_init_xsave();
	__asm__ volatile("fninit");
}

/* A zeroed area (a new TCB is zeroed) becomes the clean state. */
void arch_fpu_init_state(void *area)
{
	uint16_t *fcw = area;
	uint32_t *mxcsr = (uint32_t *)((char *)area + 24);

	*fcw = FPU_FCW_INIT;                  /* used by FXRSTOR; XRSTOR inits x87 */
	*mxcsr = FPU_MXCSR_INIT;              /* loaded by both */
}

/*
 * The status an x87 (#MF, vector 16) or SIMD (#XM, vector 19) exception
 * reports to the handler: the x87 status word or MXCSR at the fault. The
 * sticky exception flags are cleared so that the thread can go on once the
 * handler has resumed it past the faulting instruction.
 */
word_t arch_fpu_exception_status(unsigned vector)
{
	uint32_t mxcsr, cleared;
	uint16_t fsw;

	if (vector == 16) {
		__asm__ volatile("fnstsw %0; fnclex" : "=m"(fsw));
		return fsw;
	}
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	cleared = mxcsr & ~FPU_MXCSR_FLAGS;
	__asm__ volatile("ldmxcsr %0" : : "m"(cleared));
	return mxcsr;
}
