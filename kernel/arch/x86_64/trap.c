/* SPDX-License-Identifier: MIT */
/*
 * Trap dispatch: every exception and interrupt arrives here with a full
 * register frame. User-mode exceptions become fault IPC (kernel/fault.c),
 * interrupts go to kernel/irq.c, and an exception in kernel mode is a
 * kernel bug: it is reported in full and the kernel stops.
 */
#include <arch.h>
#include <klib.h>
#include <fault.h>
#include <irq.h>
#include <thread.h>
#include <pagoda/fpage.h>
#include "x86.h"
#include "entry.h"

static const char *const trap_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
	"reserved 27", "#HV hypervisor injection", "#VC VMM communication",
	"#SX security", "reserved 31",
};

const char *arch_trap_name(unsigned vector)
{
	return vector < 32 ? trap_names[vector] : "interrupt";
}

/* Print every register of a frame (used for kernel faults and for
 * diagnostics of user threads that nobody handles). */
void arch_frame_dump(const struct frame *f)
{
	kprintf("  rip=%016lx rsp=%016lx rflags=%016lx cs=%lx ss=%lx\n",
		f->rip, f->rsp, f->rflags, f->cs, f->ss);
	kprintf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("  r13=%016lx r14=%016lx r15=%016lx\n", f->r13, f->r14, f->r15);
}

static _Noreturn void trap_kernel_fault(struct frame *f)
{
	arch_interrupts_off();
	kprintf("\nKERNEL FAULT: %s (vector %lu) error=%lx at rip=%lx cr2=%lx thread=%lx\n",
		arch_trap_name((unsigned)f->vector), f->vector, f->error, f->rip,
		x86_read_cr2(), thread_current_tid());
	arch_frame_dump(f);
	panic("trap: exception in kernel mode");
}

/* The access that caused a page fault, from the error code. */
static unsigned trap_pf_access(word_t error)
{
	if (error & (1u << 4))
		return FPAGE_X;
	return (error & (1u << 1)) ? FPAGE_W : FPAGE_R;
}

/* NMI: nothing in this kernel asks for one; it is reported and ignored.
 * #MC: the hardware failed; the kernel stops. True if v was either. */
static bool trap_nmi_mc(struct frame *f, unsigned v)
{
	if (v == 18) {
		arch_interrupts_off();
		kprintf("\nKERNEL FAULT: #MC machine check at rip=%lx\n", f->rip);
		panic("trap: machine check");
	}
	if (v != 2)
		return false;
	kprintf("[kernel] NMI at rip=%lx ignored\n", f->rip);
	return true;
}

/* A trap in kernel mode: a #DB that a user's mov ss/pop ss delayed into
 * an entry (dropped), an NMI or #MC, or a kernel bug. */
static __attribute__((noinline)) void trap_kernel(struct frame *f, unsigned v)
{
	if (v == 1 || trap_nmi_mc(f, v))
		return;
	trap_kernel_fault(f);
}

/* Any other exception in user mode goes to the exception handler. */
static __attribute__((noinline)) void trap_user(struct frame *f, unsigned v)
{
	if (trap_nmi_mc(f, v))
		return;
	if (v == 16 || v == 19)                  /* x87 / SIMD: no error code */
		f->error = arch_fpu_exception_status(v);
	fault_exception(f);
}

void trap_dispatch(struct frame *f)
{
	unsigned v = (unsigned)f->vector;

	if (v >= 32 && v < 32 + ARCH_IRQ_COUNT) {
		arch_irq_eoi(v - 32);
		irq_raise(v - 32);
		return;
	}
	if (v >= 32)
		return;                          /* spurious */
	if ((f->cs & 3) == 0)
		trap_kernel(f, v);
	else if (v == 14)
		fault_page(f, x86_read_cr2(), trap_pf_access(f->error));
	else
		trap_user(f, v);
}
