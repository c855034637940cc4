/* SPDX-License-Identifier: MIT */
/*
 * Register-level helpers of tests/sys/fpu.c: the vector registers are
 * loaded, carried across a system call or a spin, and stored in assembly
 * so that no compiled code can touch them in between.
 *
 * fpu_cross(in, out, avx, dest, spin_until):
 *   load xmm0-15 (ymm0-15 if avx) from in (16 x 32 bytes); then
 *   if spin_until != 0, spin until the KIP tick counter (at the address
 *   spin_until points to) changes twice (the timer preempts us meanwhile);
 *   else SYS_THREAD_SWITCH(dest); store the registers to out.
 * fpu_dump(out): store xmm0-15 (ymm0-15 if avx), MXCSR and FCW: the state
 *   a thread starts with (out: 16 x 32 bytes, then mxcsr (4), fcw (2)).
 * fpu_entry_dump: thread entry that dumps into fpu_dump_area, then calls
 *   fpu_dumped (C) on an aligned stack.
 */
	.text
	.macro loadall insn, reg, stride
	\insn 0*\stride(%rdi), %\reg\()0
	\insn 1*\stride(%rdi), %\reg\()1
	\insn 2*\stride(%rdi), %\reg\()2
	\insn 3*\stride(%rdi), %\reg\()3
	\insn 4*\stride(%rdi), %\reg\()4
	\insn 5*\stride(%rdi), %\reg\()5
	\insn 6*\stride(%rdi), %\reg\()6
	\insn 7*\stride(%rdi), %\reg\()7
	\insn 8*\stride(%rdi), %\reg\()8
	\insn 9*\stride(%rdi), %\reg\()9
	\insn 10*\stride(%rdi), %\reg\()10
	\insn 11*\stride(%rdi), %\reg\()11
	\insn 12*\stride(%rdi), %\reg\()12
	\insn 13*\stride(%rdi), %\reg\()13
	\insn 14*\stride(%rdi), %\reg\()14
	\insn 15*\stride(%rdi), %\reg\()15
	.endm
	.macro storeall insn, reg, stride, base
	\insn %\reg\()0, 0*\stride(%\base)
	\insn %\reg\()1, 1*\stride(%\base)
	\insn %\reg\()2, 2*\stride(%\base)
	\insn %\reg\()3, 3*\stride(%\base)
	\insn %\reg\()4, 4*\stride(%\base)
	\insn %\reg\()5, 5*\stride(%\base)
	\insn %\reg\()6, 6*\stride(%\base)
	\insn %\reg\()7, 7*\stride(%\base)
	\insn %\reg\()8, 8*\stride(%\base)
	\insn %\reg\()9, 9*\stride(%\base)
	\insn %\reg\()10, 10*\stride(%\base)
	\insn %\reg\()11, 11*\stride(%\base)
	\insn %\reg\()12, 12*\stride(%\base)
	\insn %\reg\()13, 13*\stride(%\base)
	\insn %\reg\()14, 14*\stride(%\base)
	\insn %\reg\()15, 15*\stride(%\base)
	.endm

	.globl fpu_cross
fpu_cross:
	pushq %rbx
	pushq %r12
	pushq %r13
	movq %rsi, %rbx                 /* out */
	movq %rdx, %r12                 /* avx */
	movq %r8, %r13                  /* spin_until */
	testq %r12, %r12
	jz 1f
	loadall vmovdqu, ymm, 32
	jmp 2f
1:	loadall movdqu, xmm, 32
2:	testq %r13, %r13
	jz 4f
	movq (%r13), %rax               /* spin over two tick changes */
	addq $2, %rax
3:	pause
	cmpq (%r13), %rax
	ja 3b
	jmp 5f
4:	movq %rcx, %rdi                 /* SYS_THREAD_SWITCH(dest) */
	movl $6, %eax
	syscall
5:	testq %r12, %r12
	jz 6f
	storeall vmovdqu, ymm, 32, rbx
	jmp 7f
6:	storeall movdqu, xmm, 32, rbx
7:	popq %r13
	popq %r12
	popq %rbx
	ret

	.globl fpu_dump
fpu_dump:
	cmpb $0, fpu_have_avx(%rip)
	je 1f
	storeall vmovdqu, ymm, 32, rdi
	jmp 2f
1:	storeall movdqu, xmm, 32, rdi
2:	stmxcsr 512(%rdi)
	fnstcw 516(%rdi)
	ret

	.globl fpu_entry_dump
fpu_entry_dump:
	leaq fpu_dump_area(%rip), %rdi
	call fpu_dump
	andq $-16, %rsp
	call fpu_dumped
	ud2
