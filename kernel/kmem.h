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

/*
 * Charged kernel memory of one address space (or of the kernel itself).
 * Accounts nest: every byte charged to an account is charged to its parent
 * too (and so on up), so `used` counts the account's own objects and
 * everything of its descendants. A charge must fit the account's quota
 * and, at each ancestor, that ancestor's `limit` (what its descendants may
 * use together, a little less than its quota: the rest stays for its own
 * objects). Ownership: the space holding the account; parent is fixed for
 * the account's life and outlives it (a space's children end first).
 */
struct kmem_account {
	size_t used;                  /* bytes charged here and below */
	size_t quota;                 /* bytes that may be charged; SIZE_MAX = unlimited */
	size_t limit;                 /* bytes descendants may bring `used` to */
	struct kmem_account *parent;  /* charged too; NULL for a root account */
	bool leave_reserve;           /* may not take the pool's reserve (below) */
};

/* The pool's reserve: allocations for accounts with `leave_reserve` fail when
 * they would leave fewer than 1/KMEM_RESERVE_SHARE of the pool's pages
 * free (at least KMEM_RESERVE_MIN bytes), so the boot spaces (sigma0, the
 * root task) and the kernel never find the pool empty because of others. */
#define KMEM_RESERVE_SHARE 16u
#define KMEM_RESERVE_MIN (256u << 10)

/* A fresh account with `quota` under `parent` (NULL: a root). */
void kmem_account_init(struct kmem_account *acct, struct kmem_account *parent, size_t quota,
		       bool leave_reserve);

/* Set acct's quota (and the limit its descendants get: 7/8 of it). */
void kmem_set_quota(struct kmem_account *acct, size_t quota);

/* Would `bytes` more fit acct's quota and its ancestors' limits? */
bool kmem_fits(const struct kmem_account *acct, size_t bytes);

/* Move the charge of `bytes` from one account (and its ancestors) to
 * another (a granted mapping node changes hands); the caller checked
 * kmem_fits(to) before. */
void kmem_move(struct kmem_account *from, struct kmem_account *to, size_t bytes);

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
