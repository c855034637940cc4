/* SPDX-License-Identifier: MIT */
/*
 * The mapping database: revoking and unmap.
 *
 * Unmap of node N revokes the rights from N's run (N only with flush);
 * nodes left without rights are unlinked and freed. Their descendants go
 * with them: a child's rights are a subset of its parent's, and the same
 * rights are taken from both. For a 2 MiB node the walk also visits the 512
 * 4K lists of the frame and takes the segments whose head's chain of 2 MiB
 * ancestors leads to N. Status is what mdb_pte_protect/clear return.
 */
#include <mapdb_private.h>

/* Revoke from node n; true if n is left without rights (its PTE is gone
 * and it must leave its list). */
MDB_INLINE bool mdb_revoke_node(struct mdb_node *n, struct mdb_revoke *rv)
{
	unsigned old = mdb_rights(n);
	unsigned keep = n == rv->own && !rv->flush ? old : old & ~rv->mask;
	void *slot = n == rv->own ? rv->own_slot : NULL;

	if (!keep) {
		rv->status |= mdb_pte_clear(n->space, mdb_va(n), mdb_log2(n), slot);
		return true;
	}
	if (keep != old || (rv->collect && !(n == rv->own && rv->own_clean)))
		rv->status |= mdb_pte_protect(n->space, mdb_va(n), mdb_log2(n), keep, slot);
	n->word = (n->word & ~MDB_RIGHTS_MASK) | keep;     /* keep is a subset of old */
	return false;
}

/* Revoke from the run starting at *link, freeing the nodes left without
 * rights. Returns the slot now pointing past the run. */
static struct mdb_node **mdb_revoke_run(struct mdb_node **link, struct mdb_revoke *rv)
{
	struct mdb_node *end = mdb_run_last(*link)->next, *n;

	while ((n = *link) != end) {
		if (mdb_revoke_node(n, rv)) {
			*link = n->next;
			mdb_node_free(n);
		} else {
			link = &n->next;
		}
	}
	return link;
}

/* Revoke from every 4 KiB segment of frame fr derived from the 2 MiB node
 * p. Runs before p's own list is touched: the test follows 2 MiB parents. */
static void mdb_revoke_pieces(struct mdb_frame *fr, const struct mdb_node *p, struct mdb_revoke *rv)
{
	for (unsigned i = 0; fr->pieces && i < MDB_PIECES; i++) {
		struct mdb_node **link = &fr->pieces[i];
		if (!*link)
			continue;
		while (*link)
			link = mdb_bridges_from(*link, p) ? mdb_revoke_run(link, rv)
							  : &(*link)->next;
		mdb_piece_drained(fr, &fr->pieces[i]);
	}
}

/* Revoke from ref's node and everything derived from it. */
void mdb_revoke(const struct mdb_ref *ref, struct mdb_revoke *rv)
{
	if (ref->log2 == MDB_SUPER_LOG2)
		mdb_revoke_pieces(ref->fr, ref->node, rv);
	mdb_revoke_run(ref->link, rv);
	if (ref->log2 == MDB_PAGE_LOG2)
		mdb_piece_drained(ref->fr, mdb_frame_list(ref->fr, ref->pa, ref->log2));
}

/* Remove node n of frame (pa, log2) with everything derived from it. */
void mdb_remove(struct mdb_node *n, word_t pa, unsigned log2)
{
	struct mdb_frame *fr = mdb_frame(pa);
	struct mdb_ref ref = { .node = n,
			       .link = mdb_link_to(mdb_frame_list(fr, pa, log2), n),
			       .pa = pa,
			       .log2 = log2,
			       .fr = fr };
	struct mdb_revoke rv = { .own = n, .mask = FPAGE_RWX, .flush = true };

	mdb_revoke(&ref, &rv);
	mdb_frame_tidy_at(fr, pa);
}

/* ---- Unmap. ---- */

/* A 4 KiB unmap without flush inside the 2 MiB mapping ref: the caller's
 * own mapping keeps its rights, so it stays whole (its status is the whole
 * superpage's); the 2 MiB mappings derived from it split, and then the
 * 4 KiB runs derived from it in the piece lose the rights. If the split
 * lacks memory, everything derived from the whole mapping is covered. */
static void mdb_unmap_piece(const struct mdb_ref *ref, word_t va, struct mdb_revoke *rv)
{
	struct mdb_node *p = ref->node, **link;
	word_t pa = ref->pa + (va - mdb_va(p));

	rv->own = p;
	rv->own_slot = NULL;
	rv->own_clean = false;
	if (!mdb_split_nodes(ref->pa, &p->next, mdb_run_last(p)->next)) {
		mdb_revoke(ref, rv);
		return;
	}
	if (mdb_revoke_node(p, rv))
		panic("mapdb: unmap without flush took the caller's mapping");
	link = mdb_list(pa, MDB_PAGE_LOG2);
	if (!link || !*link)
		return;
	while (*link)
		link = (*link)->parent == p ? mdb_revoke_run(link, rv) : &(*link)->next;
	mdb_piece_drained(mdb_frame(pa), mdb_list(pa, MDB_PAGE_LOG2));
}

/* Unmap s's mapping covering va at size log2. A 4 KiB flush inside a
 * 2 MiB mapping splits it (or covers it whole if memory is lacking). */
MDB_INLINE void mdb_unmap_page(struct space *s, word_t va, unsigned log2, struct mdb_revoke *rv)
{
	struct mdb_ref ref;
	void *slot;

	if (!mdb_resolve(s, va, &ref, &slot))
		return;
	if (ref.log2 > log2 && !rv->flush) {
		mdb_unmap_piece(&ref, va, rv);
	} else {
		if (ref.log2 > log2 && mdb_split(ref.pa, ref.link))
			mdb_resolve(s, va, &ref, &slot);
		rv->own = ref.node;
		rv->own_slot = slot;
		rv->own_clean = false;
		mdb_revoke(&ref, rv);
	}
	mdb_frame_tidy_at(ref.fr, ref.pa);
}

/* Unmap the whole mapping of s at va (aligned to its size log2) that a
 * walk found: frame pa, slot and status as mdb_pte_next gave them. The
 * same as mdb_unmap_page at its own size, without the lookup; the
 * caller's own PTE, when it keeps its rights and has no status to give,
 * is not touched at all. */
MDB_INLINE void mdb_unmap_found(struct space *s, word_t va, word_t pa, unsigned log2, void *slot,
				unsigned status, struct mdb_revoke *rv)
{
	struct mdb_ref ref;

	if (!mdb_find(s, va, pa, log2, &ref))
		panic("mapdb: mapping at %lx without a node", (unsigned long)va);
	rv->own = ref.node;
	rv->own_slot = slot;
	rv->own_clean = status == 0;
	if (log2 == MDB_PAGE_LOG2) {                /* mdb_revoke, the 4 KiB case */
		mdb_revoke_run(ref.link, rv);
		mdb_piece_drained(ref.fr, mdb_frame_list(ref.fr, pa, log2));
	} else {
		mdb_revoke(&ref, rv);
	}
	mdb_frame_tidy_at(ref.fr, pa);
}

/* Does s map a 2 MiB page at va? */
static bool mdb_maps_super(struct space *s, word_t va)
{
	word_t pa;
	unsigned log2, rights;

	return mdb_pte_get(s, va, &pa, &log2, &rights, NULL) && log2 == MDB_SUPER_LOG2;
}

/* A 2 MiB unmap where s has no 2 MiB mapping unmaps each 4 KiB page. */
unsigned mdb_unmap(struct space *s, word_t va, unsigned log2, unsigned rights, bool flush)
{
	struct mdb_revoke rv = { .mask = rights & FPAGE_RIGHTS_MASK,
				 .flush = flush,
				 .collect = true };

	mdb_assert_pages(va, va, log2);
	if (log2 == MDB_PAGE_LOG2 || mdb_maps_super(s, va))
		mdb_unmap_page(s, va, log2, &rv);
	else
		for (unsigned i = 0; i < MDB_PIECES; i++)
			mdb_unmap_page(s, va + ((word_t)i << MDB_PAGE_LOG2), MDB_PAGE_LOG2, &rv);
	return rv.status;
}

/* One pass over s's tables: each mapping met is unmapped whole where it
 * lies wholly inside the range (a 4 KiB one always does), page by page
 * over the part inside otherwise, as mdb_unmap would for that part. */
unsigned mdb_unmap_range(struct space *s, word_t va, word_t size, unsigned rights, bool flush)
{
	struct mdb_revoke rv = { .mask = rights & FPAGE_RIGHTS_MASK,
				 .flush = flush,
				 .collect = true };
	word_t end = va + size, pa;
	unsigned log2, had, status;
	void *slot;

	assert(IS_ALIGNED(va | size, (word_t)1 << MDB_PAGE_LOG2) && end > va);
	while (mdb_pte_next(s, &va, end, &pa, &log2, &had, &status, &slot)) {
		word_t base = ALIGN_DOWN(va, (word_t)1 << log2), stop = base + ((word_t)1 << log2);

		if (stop <= end && base == va) {
			mdb_unmap_found(s, va, pa, log2, slot, status, &rv);
		} else {
			stop = MIN(stop, end);
			for (; va < stop; va += (word_t)1 << MDB_PAGE_LOG2)
				mdb_unmap_page(s, va, MDB_PAGE_LOG2, &rv);
		}
		va = stop;
	}
	return rv.status;
}
