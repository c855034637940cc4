/* SPDX-License-Identifier: MIT */
/*
 * Multiboot entry: QEMU's -kernel loader jumps here in 32-bit protected
 * mode with paging off, eax = multiboot magic, ebx = multiboot info.
 *
 * 1. build boot page tables (2 MiB pages): identity 0..4 GiB, the same
 *    4 GiB at PHYSMAP_BASE, and 0..1 GiB at KERNEL_VBASE;
 * 2. enable PAE, long mode and paging; load a 64-bit GDT;
 * 3. jump to the higher half and call kmain(magic, info).
 * The multiboot header uses the a.out kludge (flag 16) so the image can be
 * a flat binary made from the ELF64 kernel.
 */
#include "layout.h"
#include "msr.h"

#define MB_MAGIC 0x1badb002
#define MB_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))
#define PHYS(x) ((x) - KERNEL_VBASE)

	.section .multiboot, "a"
	.align 4
multiboot_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long multiboot_header          /* header_addr */
	.long KERNEL_PBASE              /* load_addr */
	.long kernel_load_end           /* load_end_addr */
	.long kernel_bss_end_phys       /* bss_end_addr */
	.long boot_start32              /* entry_addr */

	.section .boot.text, "ax"
	.code32
	.globl boot_start32
boot_start32:
	cli
	movl %eax, %edi                 /* keep magic and info for kmain */
	movl %ebx, %esi
	movl $PHYS(boot_stack_top), %esp

	/* boot_pd[0..2047]: 2 MiB pages covering 0..4 GiB */
	movl $PHYS(boot_pd), %ebx
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax                 /* present, writable, 2 MiB */
	movl %eax, (%ebx, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax                  /* high bits of (ecx << 21) */
	movl %eax, 4(%ebx, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 1b

	/* boot_pdpt_low[0..3] -> the four page directories */
	movl $PHYS(boot_pdpt_low), %edx
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $12, %eax
	addl $PHYS(boot_pd) + 3, %eax
	movl %eax, (%edx, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jne 2b

	/* boot_pdpt_high[510] -> first page directory (0..1 GiB) */
	movl $PHYS(boot_pdpt_high), %edx
	movl $PHYS(boot_pd) + 3, 510*8(%edx)

	/* PML4: [0] identity, [256] physmap, [511] kernel image */
	movl $PHYS(boot_pml4), %edx
	movl $PHYS(boot_pdpt_low) + 3, (%edx)
	movl $PHYS(boot_pdpt_low) + 3, 256*8(%edx)
	movl $PHYS(boot_pdpt_high) + 3, 511*8(%edx)

	movl %cr4, %eax
	orl $(1 << 5), %eax             /* PAE */
	movl %eax, %cr4
	movl %edx, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax           /* PG, WP, PE */
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $SEL_KCODE, $boot_start64

	.code64
boot_start64:
	movabsq $boot_high, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: kernel code, 64-bit */
	.quad 0x00cf92000000ffff        /* 0x10: kernel data */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt

	.text
boot_high:
	movw $SEL_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	/* edi = magic, esi = info (zero-extended by the 32-bit moves) */
	call kmain
3:	cli
	hlt
	jmp 3b

	.bss
	.align 4096
	.globl boot_pml4
boot_pml4:
	.space 4096
boot_pdpt_low:
	.space 4096
boot_pdpt_high:
	.space 4096
boot_pd:
	.space 4 * 4096
	.globl boot_stack_top
boot_stack:
	.space 16384
boot_stack_top:
