/* SPDX-License-Identifier: MIT */
/*
 * The kernel memory pool: every byte the kernel allocates after boot (TCBs
 * with their stacks, page tables, UTCBs, mapping nodes) comes from here and
 * is charged to an account, one per address space. Exhaustion of the pool
 * or of an account's quota is an error returned to the caller (NULL), never
 * a panic.
 */
#ifndef KERNEL_KMEM_H
#define KERNEL_KMEM_H

#include <pagoda/types.h>

#define KMEM_PAGE 4096u
#define KMEM_MIN_OBJECT 32u   /* smallest size class */

/* Charged kernel memory of one address space (or of the kernel itself). */
struct kmem_account {
	size_t used;    /* bytes currently charged */
	size_t quota;   /* bytes that may be charged; SIZE_MAX = unlimited */
};

/* Forget all memory; the pool is empty afterwards. */
void kmem_init(void);

/* Donate [virt, virt + bytes) to the pool (page-aligned pages only). */
void kmem_add_region(uintptr_t virt, size_t bytes);

/* Allocate `size` zeroed bytes (a power of two from 32 to 4096, aligned to
 * its size) charged to `acct`; NULL if the quota or the pool is exhausted. */
void *kmem_alloc(struct kmem_account *acct, size_t size);

/* Return an object from kmem_alloc with the same account and size. */
void kmem_free(struct kmem_account *acct, void *p, size_t size);

/* Bytes not handed out (total minus allocated, by rounded size): back at
 * its old value exactly when everything allocated since was freed. Slab
 * headers and partly used slab pages are not subtracted. */
size_t kmem_free_bytes(void);

/* Total bytes ever donated to the pool. */
size_t kmem_total_bytes(void);

/* Walk every free list and counter; true if all invariants hold. */
bool kmem_check(void);

#endif
