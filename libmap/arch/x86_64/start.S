/* SPDX-License-Identifier: MIT */
/*
 * Program entry. The stack pointer points at two words: the argument
 * string (or 0) and the parent to report exit to (or nil). The KIP is at
 * KIP_DEFAULT_ADDR in every space. Align the stack and call
 * libmap_start(kip, args, parent), which never returns.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	movq (%rsp), %rsi
	movq 8(%rsp), %rdx
	movabsq $0x7fffff000000, %rdi
	andq $-16, %rsp
	xorl %ebp, %ebp
	call libmap_start
	ud2
