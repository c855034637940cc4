/* SPDX-License-Identifier: MIT */
/* The standard layout of a task's address space, as the root task and the
 * pagers set it up. */
#ifndef LIBMAP_LAYOUT_H
#define LIBMAP_LAYOUT_H

#define USER_IMAGE_BASE 0x400000ull           /* programs are linked here */
#define USER_HEAP_BASE 0x10000000000ull       /* anonymous memory, 1 GiB */
#define USER_HEAP_SIZE 0x40000000ull
#define USER_STACK_TOP 0x7f0000000000ull      /* main thread's stack, 1 MiB */
#define USER_STACK_SIZE 0x100000ull

#endif
