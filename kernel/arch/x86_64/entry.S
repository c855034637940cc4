/* SPDX-License-Identifier: MIT */
/*
 * Every way into and out of the kernel: the syscall entry, the interrupt
 * and exception stubs, and the kernel-stack switch.
 *
 * All entries build a struct frame (arch.h) at the top of the current
 * thread's kernel stack. The syscall path saves only what C code may
 * clobber; the callee-saved registers stay in the CPU (C preserves them)
 * and their frame slots are left unwritten. Interrupts and exceptions
 * save everything, so an exception handler can see and set all registers.
 * The per-CPU words the entries need (the kernel stack top, a scratch
 * slot) are in cpu_boot, this CPU's struct cpu, at the CPU_* offsets of
 * layout.h; with more CPUs they are reached through %gs instead.
 */
#include "layout.h"

/* Offsets in struct frame (arch.h; cpu.c asserts them). */
#define F_R10 56
#define F_R9 64
#define F_R8 72
#define F_RDX 80
#define F_RSI 96
#define F_RDI 104
#define F_RAX 112
#define F_RIP 136
#define F_CS 144
#define F_RFLAGS 152
#define F_RSP 160
#define FRAME_SIZE 176

	.text
	.globl syscall_entry
	.align 16
syscall_entry:
	/*
	 * rcx = user rip, r11 = user rflags; IF/DF/TF/AC masked by FMASK.
	 * A syscall frame holds only what a syscall needs: rip, rflags, rsp
	 * and the argument and result registers (rax is stored only for the
	 * dispatch: SYS_IPC never reads it, and always writes its result).
	 * Its cs, ss, vector, error and callee-saved slots are neither
	 * written nor read (sysret needs none of them; the callee-saved
	 * registers stay live in the CPU).
	 */
	movq %rsp, cpu_boot+CPU_USER_RSP(%rip)
	movq cpu_boot+CPU_KSTACK_TOP(%rip), %rsp
	subq $FRAME_SIZE, %rsp
	movq %rcx, F_RIP(%rsp)
	movq %r11, F_RFLAGS(%rsp)
	movq cpu_boot+CPU_USER_RSP(%rip), %rcx
	movq %rcx, F_RSP(%rsp)
	movq %rdi, F_RDI(%rsp)
	movq %rsi, F_RSI(%rsp)
	movq %rdx, F_RDX(%rsp)
	movq %r8, F_R8(%rsp)
	movq %r9, F_R9(%rsp)
	movq %r10, F_R10(%rsp)
	movq %rsp, %rdi
	cmpq $ARCH_SYSCALL_DIRECT, %rax /* SYS_IPC goes straight to its handler */
	jne syscall_other
	call sys_ipc
	/*
	 * Every return to user mode (here and trap_return) checks the saved
	 * rip first: a non-canonical rcx makes sysret fault in ring 0 on
	 * Intel CPUs, on the user's stack, and iretq fault in ring 0. Nothing
	 * should put one there (exchange_registers and exception replies
	 * check theirs, the top user page is never mapped); if something
	 * did, the thread is stopped, never the kernel.
	 */
	.globl syscall_return
syscall_return:
	movq F_RIP(%rsp), %rcx
	cmpq entry_user_end(%rip), %rcx
	jae entry_bad_rip
	movq F_RFLAGS(%rsp), %r11
	movq F_RAX(%rsp), %rax
	movq F_RDI(%rsp), %rdi
	movq F_RSI(%rsp), %rsi
	movq F_RDX(%rsp), %rdx
	movq F_R8(%rsp), %r8
	movq F_R9(%rsp), %r9
	movq F_R10(%rsp), %r10
	movq F_RSP(%rsp), %rsp
	sysretq
syscall_other:
	movq %rax, F_RAX(%rsp)
	call syscall_dispatch
	jmp syscall_return
/* A return to a non-user rip (either path; rsp = the frame): the thread
 * is stopped with a diagnostic, and this never returns. */
entry_bad_rip:
	movq %rsp, %rdi
	call entry_bad_return

	.section .rodata
	.align 8
entry_user_end:
	.quad USER_END
	.text

/* Exception and interrupt stubs: push a dummy error code where the CPU
 * pushes none, then the vector, then join trap_common. */
.macro ISR_NOERR n
	.align 16
isr_\n:
	pushq $0
	pushq $\n
	jmp trap_common
.endm
.macro ISR_ERR n
	.align 16
isr_\n:
	pushq $\n
	jmp trap_common
.endm

/*
 * #DB, NMI and #MC arrive on stacks of their own (IST, cpu.c), whatever
 * the CPU was doing: an NMI or #MC can come before syscall_entry has left
 * the user's stack, and a #DB that a `mov ss`/`pop ss` delayed comes
 * right at syscall_entry (or any other entry), in ring 0. From the kernel
 * they are handled on that stack (trap.c: the #DB is dropped). From user
 * mode the frame moves to the thread's kernel stack, as if the CPU had
 * put it there, and goes the way of every trap (a #DB becomes an
 * exception message, which may block: the IST stack must be free again
 * for the next one).
 */
.macro ISR_IST n
	.align 16
isr_\n:
	pushq $0
	pushq $\n
	testb $3, 24(%rsp)              /* cs of the interrupted code */
	jz trap_common
	jmp trap_ist_user
.endm

ISR_NOERR 0
ISR_IST 1
ISR_IST 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_IST 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR 29
ISR_ERR 30
ISR_NOERR 31
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
ISR_NOERR \n
.endr
.irp n, 48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,255
ISR_NOERR \n
.endr

/* Copy vector, error, rip, cs, rflags, rsp, ss (7 words) from the IST
 * stack to the top of the thread's kernel stack, and go on there. */
trap_ist_user:
	pushq %rax
	pushq %rcx
	movq cpu_boot+CPU_KSTACK_TOP(%rip), %rax
	subq $56, %rax
	.irp i, 0, 1, 2, 3, 4, 5, 6
	movq 16+8*\i(%rsp), %rcx
	movq %rcx, 8*\i(%rax)
	.endr
	popq %rcx
	xchgq %rax, (%rsp)              /* rax back; the new stack on top */
	popq %rsp
	jmp trap_common

trap_common:
	pushq %rax
	pushq %rdi
	pushq %rsi
	pushq %rcx
	pushq %rdx
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq $2                        /* rflags: DF and AC clear (a user AC */
	popfq                           /* would switch SMAP off in here) */
	movq %rsp, %rdi
	call trap_dispatch
	/* Back to user mode only at a user-half rip (see syscall_return). */
	.globl trap_return
trap_return:
	testb $3, F_CS(%rsp)
	jz 1f
	movq F_RIP(%rsp), %rax          /* rax is reloaded from the frame */
	cmpq entry_user_end(%rip), %rax
	jae entry_bad_rip
1:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdx
	popq %rcx
	popq %rsi
	popq %rdi
	popq %rax
	addq $16, %rsp
	iretq

/* The stub table the IDT is built from: isr_table[v] for v in 0..63, 255. */
	.section .rodata
	.align 8
	.globl isr_table
isr_table:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	.quad isr_\n
.endr
	.globl isr_spurious
isr_spurious:
	.quad isr_255

	.text
/*
 * arch_switch(from, to): save the callee-saved registers on from's kernel
 * stack, store its stack pointer in from->ksp (offset 0), save from's
 * x87/SSE/AVX registers in from->fpu (offset ARCH_TCB_FPU) and load to's,
 * and resume `to` where it last called arch_switch (or at its start
 * trampoline). Two variants: XSAVEOPT/XRSTOR (edx:eax = all components
 * XCR0 enables), or FXSAVE/FXRSTOR on a CPU without XSAVEOPT; fpu.c points
 * arch_switch_fn at the right one.
 */
	.set TCB_FPU, ARCH_TCB_FPU
	.macro switch_stacks save, restore
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	\save
	\restore
	movq (%rsi), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.endm

	.globl arch_switch_xsave
	.align 16
arch_switch_xsave:
	movl $-1, %eax                  /* components 0-31: all XCR0 enables (none above) */
	switch_stacks "xsaveopt64 TCB_FPU(%rdi)", "xrstor64 TCB_FPU(%rsi)"

	.globl arch_switch_fxsave
	.align 16
arch_switch_fxsave:
	switch_stacks "fxsave64 TCB_FPU(%rdi)", "fxrstor64 TCB_FPU(%rsi)"

/* First run of a kernel thread: rbx holds its function. */
	.globl kthread_trampoline
kthread_trampoline:
	call *%rbx
	ud2
