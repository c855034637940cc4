/* SPDX-License-Identifier: MIT */
/*
 * Copy-on-write sharing.
 *
 * Each client's page table maps its pages to frames the pager holds; a
 * frame's user count says how many clients' tables name it. fork gives
 * the child a table naming the same frames (each frame gets one more
 * user) and takes write access away by revoking W from the pager's own
 * frame, which the kernel applies to every mapping derived from it. From
 * then on:
 *   - a read fault maps the frame read-only while it is shared;
 *   - a write fault on a shared frame copies it into a new frame, maps
 *     that writable, and drops one user of the old frame;
 *   - a write fault on a frame with a single user left maps it writable
 *     again, without a copy.
 * So whoever writes first copies, and the last sharer to write keeps the
 * original frame.
 *
 * What makes it safe: a frame is mapped writable somewhere only while it
 * has one user. A fork that raises a frame's count to 2 revokes W from it;
 * a frame that already had two or more users is read-only everywhere, so
 * a second fork, or a grandchild's, has nothing to revoke. Frames lent to
 * a client that is a pager itself (PAGER_PAGE_LENT) are that pager's own
 * memory and are not shared.
 *
 * The revocations of one fork are gathered into runs of adjacent frames,
 * each sent as the fewest aligned fpages that cover it, and batched, up to
 * 64 fpages (MR0..MR63) to an unmap: the kernel revokes W over a large
 * fpage in one pass over the pager's page table, so a fork of a process
 * whose frames came from the pool in order costs a few system calls.
 */
#include "cow_core.h"

word_t cow_breaks;
static bool cow_shared_read;     /* the last fault was a data read of a shared page */

word_t cow_fault(struct pager *p, struct pager_client *c, word_t addr, unsigned access,
		 unsigned *rights)
{
	word_t va = ALIGN_DOWN(addr, 4096), frame, copy;
	unsigned r;

	cow_shared_read = false;
	if (!pager_page_lookup(c, va, &frame, &r))
		return pager_fault_default(p, c, addr, access, rights);
	*rights = r & FPAGE_RWX;
	if (pager_frame_users(frame) == 1)
		return frame;                       /* private, or the last sharer */
	if (!(access & FPAGE_W)) {
		*rights &= ~FPAGE_W;                /* shared: read-only */
		cow_shared_read = access == FPAGE_R;
		return frame;
	}
	if (!(*rights & FPAGE_W))
		return 0;
	if (pager_client_full(c)) {
		p->refusal = PAGER_REFUSE_NO_MEMORY;   /* the copy would pass its bound */
		return 0;
	}
	if (!(copy = pager_frame_alloc(p, false)))
		return 0;
	memcpy((void *)copy, (void *)frame, 4096);
	pager_page_update(c, va, copy, r);
	pager_frame_put(frame);
	cow_breaks++;
	return copy;
}

/* The map items of cow_around, at MR3.. */
static __attribute__((noinline)) unsigned cow_around_block(struct pager_client *c, word_t va)
{
	word_t base = ALIGN_DOWN(va, PAGER_AROUND_PAGES * 4096), frame;
	unsigned n = 0, r;

	for (word_t a = base; a < base + PAGER_AROUND_PAGES * 4096; a += 4096) {
		if (a == va || !pager_page_lookup(c, a, &frame, &r) || (r & PAGER_PAGE_LENT))
			continue;
		r &= FPAGE_RWX;
		if (pager_frame_users(frame) > 1)
			r &= ~FPAGE_W;
		if (r)
			msg_map_item(3 + 2 * n++, a, fpage_make(frame, 12, r), false);
	}
	return n;
}

unsigned cow_around(struct pager *p, struct pager_client *c, word_t va, unsigned access)
{
	(void)p, (void)access;
	if (!cow_shared_read)
		return 0;                /* only where a fork left a client's data unmapped */
	return cow_around_block(c, va);
}

/* ---- fork ---- */

/* The unmap being assembled: fpages to write-protect in MR0.. */
static unsigned cow_nwp;

static void cow_wp_flush(void)
{
	if (cow_nwp)
		sys_unmap(cow_nwp - 1);
	cow_nwp = 0;
}

/* Revoke W from every mapping of the frames [lo, hi) (in the next batch):
 * as few fpages as cover them, each the largest aligned one that fits.
 * Frames come in runs (the pool hands them out in order, and a client's
 * page list holds them in the order it faulted them in, or the reverse),
 * so a fork sends a few large fpages, one pass of the kernel over each. */
static void cow_wp_range(word_t lo, word_t hi)
{
	while (lo < hi) {
		unsigned log2 = 12;

		for (word_t twice = 8192; log2 < 47 && IS_ALIGNED(lo, twice) && lo + twice <= hi;
		     twice <<= 1)
			log2++;
		utcb()->mr[cow_nwp++] = fpage_make(lo, log2, FPAGE_W);
		if (cow_nwp == MSG_MR_COUNT)
			cow_wp_flush();
		lo += (word_t)1 << log2;
	}
}

struct pager_client *cow_fork_client(struct pager *p, struct pager_client *parent, word_t tid)
{
	struct pager_client *child = pager_client_add(p, tid, parent->tid);
	bool full;

	if (!child)
		return NULL;
	child->nregions = parent->nregions;
	memcpy(child->region, parent->region, sizeof(parent->region));
	full = !pager_page_share(parent, child, cow_wp_range);
	cow_wp_flush();
	if (full) {
		pager_client_remove(p, child);   /* puts back what it shared */
		return NULL;
	}
	return child;
}
