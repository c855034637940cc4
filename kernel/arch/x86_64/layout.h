/* SPDX-License-Identifier: MIT */
/*
 * The kernel's virtual memory layout on x86-64, shared by assembly and C.
 *
 *   0x0000000000000000 .. 0x00007fffffffffff   user half (per space)
 *   0xffff800000000000 .. +4 GiB               physmap: all physical memory
 *   0xffffffff80000000 .. +1 GiB               the kernel image (-2 GiB)
 *
 * The kernel is loaded at physical 1 MiB; its image is linked at
 * KERNEL_VBASE + physical address (so -mcmodel=kernel works).
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

#define KERNEL_PBASE 0x100000
#define KERNEL_VBASE 0xffffffff80000000
#define PHYSMAP_BASE 0xffff800000000000
#define PHYSMAP_SIZE 0x100000000          /* 4 GiB mapped by the boot tables */
#define USER_END 0x0000800000000000

/* The one system call entry.S sends straight to its handler, around the
 * syscall table (cpu.c asserts that it is SYS_IPC). */
#define ARCH_SYSCALL_DIRECT 1

/* Offsets in struct cpu (kernel/cpu.h) for entry.S: this CPU's kernel
 * stack top and the syscall entry's scratch word (cpu.c asserts them). */
#define CPU_KSTACK_TOP 0
#define CPU_USER_RSP 8

/* Offset of a thread's x87/SSE/AVX save area in its TCB (entry.S, thread.h). */
#define ARCH_TCB_FPU 64

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18
#define SEL_UDATA 0x20
#define SEL_UCODE 0x28
#define SEL_TSS 0x30

#endif
