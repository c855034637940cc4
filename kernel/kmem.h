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
 *
 * Accounts nest. A nested account draws *credit* from its parent in
 * KMEM_CREDIT steps (a new space with one thread needs one): `held`
 * bytes are charged to the parent on its behalf
 * (the parent's `used` counts them like its own objects), and the account
 * may charge up to min(quota, held) (`avail`) without asking anyone; past
 * that it asks its parent for more, which must fit the parent's `limit`
 * (7/8 of its quota: the last eighth stays for the parent's own objects)
 * and, if the parent is nested too, its own credit, and so on up. Credit
 * more than 2 * KMEM_CREDIT above `used` goes back. So everything below an
 * account together never exceeds its quota, and the allocation path tests
 * one bound, as for a root account (whose avail is its quota).
 * Ownership: the space holding the account; the parent is fixed for the
 * account's life and outlives it (a space's children end first).
 */
struct kmem_account {
	size_t used;                  /* own objects + credit held by children */
	size_t avail;                 /* used may grow to this at no cost */
	size_t quota;                 /* bytes that may be charged; SIZE_MAX = unlimited */
	size_t limit;                 /* what children may hold together */
	size_t held;                  /* nested: credit charged to the parent */
	size_t low;                   /* used below this: give credit back */
	struct kmem_account *parent;  /* NULL for a root account */
	bool leave_reserve;           /* may not take the pool's reserve (below) */
};

/* A root account with quota q, as a static initializer. */
#define KMEM_ACCOUNT_ROOT(q) \
	{ .avail = (q), .quota = (q), .limit = (q) == (size_t)-1 ? (q) : (q) - (q) / 8 }

#define KMEM_CREDIT (32u << 10)       /* credit is drawn in these steps */
#define KMEM_NEST_MAX 8               /* spaces in a chain of owners (kmem_grow recurses) */

/* The pool's reserve: allocations for accounts with `leave_reserve` fail when
 * they would leave fewer than 1/KMEM_RESERVE_SHARE of the pool's pages
 * free (at least KMEM_RESERVE_MIN bytes), so the boot spaces (sigma0, the
 * root task) and the kernel never find the pool empty because of others. */
#define KMEM_RESERVE_SHARE 16u
#define KMEM_RESERVE_MIN (256u << 10)

/* A fresh account with `quota` under `parent` (NULL: a root). */
void kmem_account_init(struct kmem_account *acct, struct kmem_account *parent, size_t quota,
		       bool leave_reserve);

/* An account that is going away (nothing charged to it any more): its
 * credit goes back to the parent. */
void kmem_account_fini(struct kmem_account *acct);

/* Set acct's quota (not below used; the limit of its children is 7/8 of
 * it); credit above the new quota goes back. */
void kmem_set_quota(struct kmem_account *acct, size_t quota);

/* Can `bytes` more be charged to acct? Draws credit from the parents if
 * needed (so the answer holds until something else is charged). */
bool kmem_fits(struct kmem_account *acct, size_t bytes);

/* Move the charge of `bytes` from one account to another (a granted
 * mapping node changes hands); the caller checked kmem_fits(to) before. */
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
