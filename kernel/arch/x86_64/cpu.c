/* SPDX-License-Identifier: MIT */
/*
 * CPU set-up: descriptor tables (GDT with a TSS, IDT), the syscall MSRs,
 * and the protection features (NX, SMEP, SMAP) where the CPU has them.
 * One CPU: its per-CPU state is cpu_boot (struct cpu, kernel/cpu.h), with
 * its TSS, GDT and IST stacks; the IDT is the same for every CPU.
 */
#include <arch.h>
#include <klib.h>
#include <sched.h>
#include <thread.h>
#include <pagoda/kip.h>
#include <pagoda/syscall.h>
#include "x86.h"
#include "entry.h"

/* The per-CPU structure of the one CPU; page aligned, so its TSS (near
 * the start) crosses no page boundary. */
struct cpu cpu_boot __attribute__((aligned(4096)));
const uint16_t cpu_null_selector; /* 0: loaded into user data selectors */
static unsigned cpu_features;    /* KIP_CPU_*: the same on every CPU */
static uint64_t cpu_idt[256 * 2];  /* shared by every CPU */

/* entry.S addresses the frame with these offsets (its F_*), and sends
 * one system call around the table in syscall.c: the IPC. */
_Static_assert(__builtin_offsetof(struct frame, r10) == 56, "frame r10");
_Static_assert(__builtin_offsetof(struct frame, r9) == 64, "frame r9");
_Static_assert(__builtin_offsetof(struct frame, r8) == 72, "frame r8");
_Static_assert(__builtin_offsetof(struct frame, rdx) == 80, "frame rdx");
_Static_assert(__builtin_offsetof(struct frame, rsi) == 96, "frame rsi");
_Static_assert(__builtin_offsetof(struct frame, rdi) == 104, "frame rdi");
_Static_assert(__builtin_offsetof(struct frame, rax) == 112, "frame rax");
_Static_assert(__builtin_offsetof(struct frame, rip) == 136, "frame rip");
_Static_assert(__builtin_offsetof(struct frame, cs) == 144, "frame cs");
_Static_assert(__builtin_offsetof(struct frame, rflags) == 152, "frame rflags");
_Static_assert(__builtin_offsetof(struct frame, rsp) == 160, "frame rsp");
_Static_assert(sizeof(struct frame) == 176, "frame size");
_Static_assert(ARCH_SYSCALL_DIRECT == SYS_IPC, "entry.S: the direct syscall is SYS_IPC");
/* ... and finds this CPU's kernel stack and scratch word at these. */
_Static_assert(__builtin_offsetof(struct cpu, arch.tss.rsp0) == CPU_KSTACK_TOP, "cpu kstack");
_Static_assert(__builtin_offsetof(struct cpu, arch.user_rsp) == CPU_USER_RSP, "cpu user_rsp");
_Static_assert(__builtin_offsetof(struct cpu, arch.tss) + sizeof(struct tss) <= 4096,
	       "the TSS is in the first page of struct cpu");

/* A code or data segment descriptor: flags are the access byte and the
 * high nibble (L, D/B, G). Base and limit are ignored in long mode. */
static uint64_t gdt_seg(unsigned access, unsigned flags)
{
	return ((uint64_t)access << 40) | ((uint64_t)flags << 52) | 0xffff |
	       ((uint64_t)0xf << 48);
}

/* This CPU's GDT and TSS, with stacks of their own (IST) for the traps
 * that may come at any moment, even before an entry has left the user's
 * stack (entry.S). */
static void gdt_init(void)
{
	struct arch_cpu *c = &cpu_this()->arch;
	uint64_t *gdt = c->gdt, base = (uint64_t)&c->tss, limit = sizeof(c->tss) - 1;

	gdt[SEL_KCODE / 8] = gdt_seg(0x9a, 0xa);     /* present, ring 0, code, L */
	gdt[SEL_KDATA / 8] = gdt_seg(0x92, 0xc);
	gdt[SEL_UCODE32 / 8] = gdt_seg(0xfa, 0xc);   /* unused; sysret layout */
	gdt[SEL_UDATA / 8] = gdt_seg(0xf2, 0xc);
	gdt[SEL_UCODE / 8] = gdt_seg(0xfa, 0xa);
	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | ((uint64_t)0x89 << 40) |
			   (((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
	for (unsigned i = IST_DF; i < IST_COUNT; i++)
		c->tss.ist[i - 1] = (uint64_t)c->ist_stack[i - 1] + sizeof(c->ist_stack[0]);
	c->tss.iomap_base = sizeof(c->tss);              /* no I/O bitmap */
	x86_lgdt(gdt, sizeof(c->gdt));
	x86_reload_segments(SEL_KCODE, SEL_KDATA);
	x86_ltr(SEL_TSS);
}

/* An interrupt gate: ring-0 target, callable from `dpl`, stack `ist`. */
static void idt_set(unsigned v, word_t handler, unsigned dpl, unsigned ist)
{
	cpu_idt[v * 2] = (handler & 0xffff) | ((uint64_t)SEL_KCODE << 16) |
			 ((uint64_t)ist << 32) | ((uint64_t)(0x8e | (dpl << 5)) << 40) |
			 ((handler >> 16 & 0xffff) << 48);
	cpu_idt[v * 2 + 1] = handler >> 32;
}

static void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, isr_spurious, 0, 0);
	for (unsigned v = 0; v < 32 + ARCH_IRQ_COUNT; v++)
		idt_set(v, isr_table[v], 0, 0);
	idt_set(3, isr_table[3], 3, 0);     /* int3 from user mode */
	idt_set(1, isr_table[1], 0, IST_DB);    /* these on their own stacks */
	idt_set(2, isr_table[2], 0, IST_NMI);
	idt_set(8, isr_table[8], 0, IST_DF);
	idt_set(18, isr_table[18], 0, IST_MC);
	x86_lidt(cpu_idt, sizeof(cpu_idt));
}

static void features_init(void)
{
	uint32_t a, b, c, d;

	x86_cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (d & (1u << 20)) {
		x86_wrmsr(MSR_EFER, x86_rdmsr(MSR_EFER) | EFER_NXE);
		cpu_features |= KIP_CPU_NX;
	}
	if (d & (1u << 26))
		cpu_features |= KIP_CPU_PDPE1GB;
	x86_cpuid(7, 0, &a, &b, &c, &d);
	if (b & (1u << 7)) {
		x86_write_cr4(x86_read_cr4() | CR4_SMEP);
		cpu_features |= KIP_CPU_SMEP;
	}
	if (b & (1u << 20)) {
		x86_write_cr4(x86_read_cr4() | CR4_SMAP);
		cpu_features |= KIP_CPU_SMAP;
	}
	if (c & (1u << 2))                   /* UMIP: no sgdt/sidt/sldt/str/smsw */
		x86_write_cr4(x86_read_cr4() | CR4_UMIP);   /* in user mode */
	x86_write_cr4(x86_read_cr4() | CR4_PGE);
}

/* syscall/sysret: STAR selects the segments (see layout.h), FMASK clears
 * IF, DF, TF and AC on entry. */
static void syscall_init(void)
{
	x86_wrmsr(MSR_EFER, x86_rdmsr(MSR_EFER) | EFER_SCE);
	x86_wrmsr(MSR_STAR, ((uint64_t)(SEL_UCODE32 | 3) << 48) | ((uint64_t)SEL_KCODE << 32));
	x86_wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	x86_wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC | RFLAGS_NT);
}

/*
 * User-visible CPU state starts as every thread will find it (see
 * arch.h, class 2): null data selectors, GS base 0, CR4.FSGSBASE off (no
 * wrfsbase/wrgsbase for user code). The x87/SSE/AVX registers are each
 * thread's own (fpu.c sets CR0 and CR4 for them).
 */
static void user_state_init(void)
{
	arch_reset_user_segments();
	x86_wrmsr(MSR_GS_BASE, 0);
	x86_wrmsr(MSR_KERNEL_GS_BASE, 0);
	x86_write_cr4(x86_read_cr4() & ~(uint64_t)CR4_FSGSBASE);
}

void arch_cpu_init(void)
{
	gdt_init();
	idt_init();
	features_init();
	arch_fpu_init();
	syscall_init();
	user_state_init();
}

unsigned arch_cpu_features(void)
{
	return cpu_features | arch_fpu_features;
}


word_t arch_user_flags(word_t rflags)
{
	const word_t user = RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF |
			    RFLAGS_DF | RFLAGS_OF | RFLAGS_TF;

	return (rflags & user) | RFLAGS_IF | RFLAGS_RESERVED1;
}

bool arch_user_address_ok(word_t va)
{
	return va < USER_END - 4096;
}

void arch_interrupts_off(void)
{
	__asm__ volatile("cli");
}

void arch_idle(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

_Noreturn void arch_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* QEMU's isa-debug-exit device: the machine exits with (status << 1) | 1. */
void arch_exit_qemu(unsigned status)
{
	x86_outl(0xf4, status);
}

/* Bring a thread's entry in user mode at ip with stack sp. */
void arch_thread_init_user(struct tcb *t, word_t ip, word_t sp)
{
	struct frame *f = arch_frame(t);
	word_t *sw = (word_t *)f - 7;

	memset(f, 0, sizeof(*f));
	f->rip = ip;
	f->rsp = sp;
	f->cs = SEL_UCODE | 3;
	f->ss = SEL_UDATA | 3;
	f->rflags = RFLAGS_IF | RFLAGS_RESERVED1;
	memset(sw, 0, 6 * sizeof(word_t));
	sw[6] = (word_t)trap_return;
	*(word_t *)t = (word_t)sw;       /* tcb->ksp is the first field */
}

void arch_thread_init_kernel(struct tcb *t, void (*fn)(void))
{
	word_t *sw = (word_t *)((uintptr_t)t + 4096) - 9;  /* fn entry ABI-aligned */

	memset(sw, 0, 9 * sizeof(word_t));
	sw[4] = (word_t)fn;              /* popped into rbx */
	sw[6] = (word_t)kthread_trampoline;
	*(word_t *)t = (word_t)sw;
}

/* A return to user mode found a rip outside the user half (entry.S): the
 * thread is stopped for good (a defined outcome; nothing should get
 * there, see docs/security.md class 11). */
_Noreturn void entry_bad_return(struct frame *f)
{
	char why[64];

	ksnprintf(why, sizeof(why), "return to non-user address %lx", f->rip);
	thread_stop(thread_current, why);
	schedule();
	panic("entry: stopped thread %lx resumed", thread_current_tid());
}
