/* SPDX-License-Identifier: MIT */
/*
 * The architecture interface: everything generic kernel code may ask of
 * the CPU and the platform. Implemented in kernel/arch/x86_64/.
 */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <pagoda/types.h>
#include "layout.h"
#include "frame.h"
#include "msr.h"
#include <cpu.h>

struct kmem_account;
struct tcb;

/* Generic code the arch layer calls: boot.S enters kmain (main.c); entry.S
 * calls sys_ipc (ipc.h) and syscall_dispatch (syscall.c) for system
 * calls, trap.c fault_page and fault_exception (fault.h). */
void kmain(uint32_t magic, uint32_t mbi);
void syscall_dispatch(struct frame *f);
extern char kernel_end[];                    /* the end of the kernel image (kernel.ld) */

/* The frame of a thread: at the top of its one-page TCB/kernel stack. */
static inline struct frame *arch_frame(struct tcb *t)
{
	return (struct frame *)((uintptr_t)t + 4096 - sizeof(struct frame));
}

/* Boot: CPU tables (GDT, TSS, IDT), syscall MSRs, NX/SMEP/SMAP. */
void arch_cpu_init(void);
unsigned arch_cpu_features(void);            /* KIP_CPU_* bits */
void arch_console_init(void);
void arch_console_putc(char c);
_Noreturn void arch_halt_forever(void);
void arch_exit_qemu(unsigned status);
/* The platform's MMIO ranges the kernel keeps for itself (local APIC,
 * I/O APIC, HPET): fn(physical base, size) for each, page aligned. */
void arch_kernel_devices(void (*fn)(word_t base, word_t size));
void arch_interrupts_off(void);
void arch_idle(void);                        /* sti; hlt; cli */

/* Physical <-> kernel virtual through the physmap. */
static inline void *phys_to_virt(word_t pa)
{
	return (void *)(pa + PHYSMAP_BASE);
}

static inline word_t virt_to_phys(const void *va)
{
	word_t v = (word_t)va;
	return v >= KERNEL_VBASE ? v - KERNEL_VBASE : v - PHYSMAP_BASE;
}

/* Interrupts: the timer, and device lines delivered to interrupt threads:
 * 0..15 are the 8259 lines, 16..31 message-signalled (MSI/MSI-X) vectors. */
#define ARCH_IRQ_COUNT 32
#define ARCH_IRQ_MSI_FIRST 16
#define ARCH_TIMER_IRQ 0
void arch_irq_init(unsigned timer_hz);
void arch_irq_mask(unsigned irq);
void arch_irq_unmask(unsigned irq);
/* The MSI address and data a device must write to raise MSI line irq. */
void arch_irq_msi_message(unsigned irq, word_t *addr, word_t *data);

/* Threads: prepare a new kernel stack so that the first switch to it
 * enters user mode at ip/sp (user) or calls fn (kernel thread). */
void arch_thread_init_user(struct tcb *t, word_t ip, word_t sp);
void arch_thread_init_kernel(struct tcb *t, void (*fn)(void));
/* Switch kernel stacks and extended register state from `from` to `to`
 * (returns when from runs again). The variant for this CPU is chosen at
 * boot: an indirect call costs no more instructions than a direct one. */
extern void (*arch_switch_fn)(struct tcb *from, struct tcb *to);
static inline void arch_switch(struct tcb *from, struct tcb *to)
{
	arch_switch_fn(from, to);
}
extern const uint16_t cpu_null_selector;      /* 0, for the selector loads below */

/* Kernel stack top for syscall entries and traps from user mode (this
 * CPU's; inline: it runs per IPC). */
static inline void arch_set_kernel_stack(word_t top)
{
	struct arch_cpu *c = &cpu_this()->arch;

	c->kstack_top = top;
	c->tss.rsp0 = top;
}

/*
 * Segment state a user thread can change (docs/security.md, class 2):
 * any thread may load the null selector or the user selectors into %ds,
 * %es, %fs and %gs, and a load into %fs or %gs replaces that base with
 * the descriptor's (0; a null load zeroes it on Intel, keeps it on AMD).
 * CR4.FSGSBASE stays off, so no other way to set a base exists. Hence:
 * the GS base is 0 always; the FS base is written on every switch to a
 * user thread (no cache: a thread may have zeroed it behind the
 * kernel's back); the four selectors are reset to null whenever the CPU
 * enters another address space (threads of one space share everything
 * anyway). What is written below is all of it.
 */

/* FS base = the running thread's UTCB; `addr` points at its user address
 * (two 32-bit loads straight into wrmsr's registers). */
static inline void arch_set_utcb(const word_t *addr)
{
	const uint32_t __attribute__((may_alias)) *half = (const uint32_t *)addr;

	__asm__ volatile("wrmsr" : : "c"(MSR_FS_BASE), "a"(half[0]), "d"(half[1]));
}

/* Null selectors in %ds, %es, %fs and %gs (before the FS base is set). */
static inline void arch_reset_user_segments(void)
{
	__asm__ volatile("movw %0, %%ds\n\tmovw %0, %%es\n\tmovw %0, %%fs\n\tmovw %0, %%gs"
			 : : "m"(cpu_null_selector));
}
/* Extended register state (fpu.c): every thread keeps its x87/SSE/AVX
 * registers in its TCB at offset ARCH_TCB_FPU while it does not run; the
 * switch (entry.S) saves the outgoing thread's and loads the incoming
 * thread's. The area is the standard XSAVE layout of x87 + SSE + AVX. */
#define ARCH_FPU_AREA_BYTES 832                  /* ARCH_TCB_FPU: layout.h */
extern unsigned arch_fpu_features;           /* KIP_CPU_XSAVE, KIP_CPU_AVX */
void arch_fpu_init(void);                    /* boot: CR0/CR4/XCR0, pick the switch */
void arch_fpu_init_state(void *area);        /* the clean state, in a zeroed area */
word_t arch_fpu_exception_status(unsigned vector);
/* May a thread resume at va (a user-half, canonical address)? */
bool arch_user_address_ok(word_t va);
/* Diagnostics: a trap vector's name, and every register of a frame. */
const char *arch_trap_name(unsigned vector);
void arch_frame_dump(const struct frame *f);

/* Page tables. Rights are FPAGE_R/W/X; attr ARCH_PT_UNCACHED for MMIO. */
#define ARCH_PT_UNCACHED 1u
#define ARCH_PT_KERNEL_OWNED 2u               /* UTCB/KIP: not in the mapdb */
word_t *arch_pt_create(struct kmem_account *a);
void arch_pt_destroy(word_t *pml4, struct kmem_account *a);
/* Load pml4 (whose physical address is phys) into CR3 unless it is there
 * (this CPU's pt_active); a new space also gets null data selectors. */
static inline void arch_pt_activate(word_t *pml4, word_t phys)
{
	struct arch_cpu *c = &cpu_this()->arch;

	if (pml4 != c->pt_active) {
		c->pt_active = pml4;
		__asm__ volatile("mov %0, %%cr3" : : "r"(phys) : "memory");
		arch_reset_user_segments();   /* no selector crosses spaces */
	}
}
/* A slot (void *) is an opaque handle on one page-table entry: what a
 * lookup or prepare found, so that a set, protect or clear need not walk
 * again. It stays good while the table holding it stays in place (tables
 * are freed with the whole tree, or by arch_pt_trim between operations). */

/* The user mapping at va: frame base, log2 (12 or 21) and rights; false
 * if there is none. slot (may be NULL) receives the slot of va's 4 KiB
 * entry when a page table covers va, else NULL. */
bool arch_pt_lookup(word_t *pml4, word_t va, word_t *pa, unsigned *log2, unsigned *rights,
		    void **slot);
/* The same for mappings the mapping database knows: kernel-owned ones
 * count as absent. */
bool arch_pt_lookup_db(word_t *pml4, word_t va, word_t *pa, unsigned *log2, unsigned *rights,
		       void **slot);
/* Make the tables for a log2 mapping at va (charged to a): E_OK or
 * E_NO_MEMORY. *slot receives the entry to set, or NULL when a 2 MiB
 * mapping is still in the way of a 4 KiB one (a spare table is kept for
 * after its removal). */
int arch_pt_prepare(word_t *pml4, word_t va, unsigned log2, struct kmem_account *a, void **slot);
/* Install a mapping in prepared tables: at slot, or (NULL) where a walk
 * finds the entry. */
void arch_pt_set(word_t *pml4, word_t va, word_t pa, unsigned log2, unsigned rights,
		 unsigned attr, void *slot);
/* Change the rights of / remove the log2 mapping at va, flush it and
 * return its accessed/dirty status as FPAGE_R/W. slot: the mapping's slot
 * (a 4 KiB one, from arch_pt_lookup), or NULL to walk to it. */
unsigned arch_pt_protect(word_t *pml4, word_t va, unsigned log2, unsigned rights, void *slot);
unsigned arch_pt_clear(word_t *pml4, word_t va, unsigned log2, void *slot);
/* Raise the rights of the log2 mapping at va to `rights` (a superset),
 * keeping its accessed/dirty status; slot as for arch_pt_protect. */
void arch_pt_raise(word_t *pml4, word_t va, unsigned log2, unsigned rights, void *slot);
int arch_pt_split(word_t *pml4, word_t va, struct kmem_account *a);
/* Find the first present user mapping in [*va, end); *va moves to it. */
bool arch_pt_next(word_t *pml4, word_t *va, word_t end, unsigned *log2, unsigned *attr);
/* The first user mapping in [*va, end) that the mapping database knows
 * (kernel-owned ones are skipped): *va moves into it; pa, log2, rights and
 * slot as arch_pt_lookup gives them there, *status its accessed/dirty bits
 * as FPAGE_R/W (not reset). */
bool arch_pt_next_db(word_t *pml4, word_t *va, word_t end, word_t *pa, unsigned *log2,
		     unsigned *rights, unsigned *status, void **slot);
void arch_pt_kernel_init(void);               /* drop the boot identity map */
/* Free every table below the PML4 that maps nothing, and the spare;
 * returns the bytes given back to a (with count_only: that it would). */
size_t arch_pt_trim(word_t *pml4, struct kmem_account *a, bool count_only);

#endif
