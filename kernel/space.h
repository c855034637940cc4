/* SPDX-License-Identifier: MIT */
/*
 * Address spaces: a page table, a kernel-memory account, the KIP and UTCB
 * areas, and the threads that live in it. A space exists while it has
 * threads; deleting its last thread deletes it, and with it every mapping
 * it holds and everything derived from them.
 *
 * Every space but the boot spaces (sigma0, the root task) has an owner:
 * the space whose thread created it. The owner pays for it (its struct
 * space, and through the nested accounts of kmem.h everything it uses)
 * and ends it: when the owner's last thread is deleted, every space it
 * created, directly or not, is deleted first, deepest first.
 */
#ifndef KERNEL_SPACE_H
#define KERNEL_SPACE_H

#include <pagoda/types.h>
#include <kmem.h>
#include <mapdb.h>
#include <arch.h>
#include <lib/list.h>

struct tcb;

#define SPACE_PRIVILEGED 1u      /* may call privileged syscalls */
#define SPACE_AREAS_SET 2u       /* KIP and UTCB areas placed */
#define SPACE_SIGMA0 4u          /* faults handled by the kernel, idempotently */
#define SPACE_BOOT_TASK 8u       /* sigma0 or the root task: console lines unmarked */

#define SPACE_DEFAULT_QUOTA (2u << 20)   /* kernel memory of a new space */

struct space {
	word_t *pml4;                /* page table root (kernel virtual) */
	word_t pml4_phys;            /* ... and its physical address, for CR3 */
	struct kmem_account acct;    /* kernel memory charged to this space */
	struct list threads;         /* its threads, by tcb.space_link */
	unsigned nthreads;
	unsigned flags;              /* SPACE_* */
	word_t kip_area;             /* fpage */
	word_t utcb_area;            /* fpage */
	struct list link;            /* on space_list: all spaces (checker) */
	struct space *owner;         /* who created it and ends it; NULL: boot space */
	struct list children;        /* spaces it created, by .sibling */
	struct list sibling;         /* on its owner's children */
	size_t quota_ceiling;        /* most the space may set its own quota to */
	struct mdb_space mdb;        /* the mapping database's count of its nodes */
};

extern struct kmem_account kernel_acct;   /* the kernel's own allocations */

/* A new space owned (and paid for) by `owner`, NULL for a boot space. */
struct space *space_create(struct space *owner, int *err);
void space_destroy(struct space *s);
/* Delete every thread of every space s owns, directly or not (deepest
 * first), so that those spaces end; s's last thread has just gone. */
void space_end_children(struct space *s);
/* Is s `anc` or owned by it, directly or not? */
bool space_within(const struct space *s, const struct space *anc);
int space_set_areas(struct space *s, word_t kip_area, word_t utcb_area);
bool space_in_kernel_area(struct space *s, word_t va, word_t size);
int space_map_utcb(struct space *s, word_t va, word_t pa);
void space_unmap_utcb(struct space *s, word_t va);
static inline void space_activate(struct space *s)
{
	arch_pt_activate(s->pml4, s->pml4_phys);
}
/* Copy bytes from a user address of s through its page tables; returns
 * the number of bytes copied (stops at the first unmapped page). */
size_t space_copy_in(struct space *s, word_t va, void *buf, size_t len);
/* space_check: s's own lists, counts and account (space_check_own), and
 * every user PTE of s has a node that says the same, or is a kernel page
 * in its KIP or UTCB area (space_check_range over the whole user half;
 * the DEBUG=1 kernel checks only the ranges a change wrote, kdebug.c). */
bool space_check(struct space *s);
bool space_check_own(struct space *s);
bool space_check_range(struct space *s, word_t va, word_t end);
bool space_check_all(void);

#endif
