/* SPDX-License-Identifier: MIT */
/*
 * fork_save(ctx): save the callee-saved registers, the stack pointer and
 * the return address in ctx; return 0.
 * fork_child_entry: where a forked child starts, with rsp = ctx (in its
 * copy of the parent's stack): restore what fork_save saved and return 1
 * from fork_save.
 */
	.text
	.globl fork_save
fork_save:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rax
	movq %rax, 48(%rdi)             /* rsp after return */
	movq (%rsp), %rax
	movq %rax, 56(%rdi)             /* return address */
	xorl %eax, %eax
	ret

	.globl fork_child_entry
fork_child_entry:
	movq %rsp, %rdi
	movq 0(%rdi), %rbx
	movq 8(%rdi), %rbp
	movq 16(%rdi), %r12
	movq 24(%rdi), %r13
	movq 32(%rdi), %r14
	movq 40(%rdi), %r15
	movq 48(%rdi), %rsp
	movl $1, %eax
	jmpq *56(%rdi)
