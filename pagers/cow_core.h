/* SPDX-License-Identifier: MIT */
/*
 * Copy-on-write sharing, the bookkeeping half of the cow pager
 * (pagers/cow.c): who shares which frame, who copies on a write. It works
 * on the pager framework's frames and page tables only, and makes no
 * system call but unmap, so tests/unit/test_cow.c builds it for the host.
 */
#ifndef PAGERS_COW_CORE_H
#define PAGERS_COW_CORE_H

#include <pager.h>

extern word_t cow_breaks;                /* write faults that copied a frame */

/* The cow pager's fault hook (struct pager_ops.fault): map a shared frame
 * read-only, copy it for a write, map a frame with one user as its page
 * table says; 0 refuses. A page c does not have yet is the default's. */
word_t cow_fault(struct pager *p, struct pager_client *c, word_t addr, unsigned access,
		 unsigned *rights);

/* The cow pager's fault-around (struct pager_ops.around): a read fault
 * (not an instruction fetch) on a shared page also maps the other pages of c's table in the same
 * aligned block of PAGER_AROUND_PAGES, each as a fault on it would (a
 * shared frame read-only, a private one with its rights): a child reading
 * what it inherited faults once per block, not once per page. */
unsigned cow_around(struct pager *p, struct pager_client *c, word_t va, unsigned access);

/* Add client `tid`, a copy of `parent`: its regions, and every page of
 * its table naming the same frame (frames lent to it excepted); take
 * write access to those frames away from every mapping. NULL if no client
 * slot or page-table entry is left: then the child is gone again and no
 * user count has changed. */
struct pager_client *cow_fork_client(struct pager *p, struct pager_client *parent, word_t tid);

#endif
