/* SPDX-License-Identifier: MIT */
/*
 * The mapping database's checker: mdb_check walks every directory, frame
 * and list of the frame index and checks each node against its list, its
 * parent and its PTE, then each space's count of its nodes (the
 * invariants listed in mapdb.h). mdb_check_at is the same check of the
 * lists of one frame, for the DEBUG=1 kernel's check after each change
 * (kdebug.c): mdb_check is it applied to every frame, plus the counts
 * that only a whole walk can tally. Every branch has a damage test in
 * tests/unit/test_mapdb.c that breaks one structure and expects the
 * branch's message.
 */
#include <mapdb_private.h>

#define MDB_FAIL(...) CHECK_FAIL("mdb_check: " __VA_ARGS__)

/* Is p a node of the 2M list of fr? */
static bool mdb_in_list(const struct mdb_node *list, const struct mdb_node *p)
{
	for (; list; list = list->next)
		if (list == p)
			return true;
	return false;
}

/* A node by itself: fields, rights against its parent, its PTE. */
static bool mdb_check_node(const struct mdb_node *n, word_t pa, unsigned log2)
{
	word_t ppa;
	unsigned plog2, prights;

	if (mdb_log2(n) != log2 || !IS_ALIGNED(mdb_va(n), (word_t)1 << log2))
		return MDB_FAIL("node %p in the wrong list or misaligned", (void *)n);
	if (!mdb_rights(n) || (n->parent && (mdb_rights(n) & ~mdb_rights(n->parent))))
		return MDB_FAIL("node %p: rights %x, parent's not a superset", (void *)n,
				mdb_rights(n));
	if (!mdb_pte_get(n->space, mdb_va(n), &ppa, &plog2, &prights, NULL) || ppa != pa ||
	    plog2 != log2 || prights != mdb_rights(n))
		return MDB_FAIL("node %p (va %lx, frame %lx) disagrees with its PTE", (void *)n,
				(unsigned long)mdb_va(n), (unsigned long)pa);
	return true;
}

/* A head: a root (first of a 2M list, or the only root of a 4K list of a
 * frame without a 2M tree), or a 4 KiB node of a 2 MiB node of fr. */
static bool mdb_check_head(const struct mdb_frame *fr, const struct mdb_node *n,
			   const struct mdb_node *first, unsigned *roots)
{
	const struct mdb_node *p = n->parent;

	if (!p && (mdb_depth(n) != 0 || ++*roots > 1))
		return MDB_FAIL("root %p at depth %u, or a second root", (void *)n, mdb_depth(n));
	if (!p && (mdb_super(n) ? n != first : fr->head != NULL))
		return MDB_FAIL("root %p not alone in its frame", (void *)n);
	if (p && (mdb_super(n) || !mdb_in_list(fr->head, p)))
		return MDB_FAIL("node %p derives from %p outside its 2 MiB frame", (void *)n,
				(void *)p);
	if (p && mdb_depth(n) != mdb_depth(p) + 1)
		return MDB_FAIL("node %p: depth %u under %u", (void *)n, mdb_depth(n),
				mdb_depth(p));
	return true;
}

/* A node inside a segment: its parent must be the nearest shallower node
 * on the path from the previous node up (amortised O(1) per node). */
static bool mdb_check_inner(const struct mdb_node *n, const struct mdb_node *prev)
{
	const struct mdb_node *a = prev;

	while (a && mdb_depth(a) >= mdb_depth(n)) {
		if (mdb_is_head(a))
			return MDB_FAIL("node %p escapes its segment", (void *)n);
		a = a->parent;
	}
	if (!a || a != n->parent || mdb_depth(n) != mdb_depth(a) + 1)
		return MDB_FAIL("node %p out of preorder (parent %p)", (void *)n,
				(void *)n->parent);
	return true;
}

/* One list of frame fr: the nodes of frame (pa, log2). */
static bool mdb_check_list(const struct mdb_frame *fr, const struct mdb_node *list, word_t pa,
			   unsigned log2, size_t *seen)
{
	const struct mdb_node *prev = NULL;
	unsigned roots = 0;

	for (const struct mdb_node *n = list; n; prev = n, n = n->next) {
		if (++*seen > mdb.nodes)
			return MDB_FAIL("more nodes in lists than counted (%lu)",
					(unsigned long)mdb.nodes);
		if (!n->space)
			return MDB_FAIL("node %p names no space", (void *)n);
		mdb_space_info(n->space)->seen++;
		if (!mdb_check_node(n, pa, log2))
			return false;
		if (mdb_is_head(n) ? !mdb_check_head(fr, n, list, &roots)
				   : !mdb_check_inner(n, prev))
			return false;
	}
	return true;
}

/* The count of used 4K lists, and a page of them only while one is used. */
static bool mdb_check_pieces(const struct mdb_frame *fr, word_t pa)
{
	size_t used = 0;

	for (unsigned i = 0; fr->pieces && i < MDB_PIECES; i++)
		used += fr->pieces[i] != NULL;
	if (used != fr->pieces_used || (fr->pieces && !used))
		return MDB_FAIL("frame %lx: %lu 4K lists used, %lu counted", (unsigned long)pa,
				(unsigned long)used, (unsigned long)fr->pieces_used);
	return true;
}

/* The 4K lists of the 2 MiB frame at pa (all of them, with its 2M list
 * and count of used 4K lists, for log2 = MDB_SUPER_LOG2), or only the
 * one of the 4 KiB frame pa (log2 = MDB_PAGE_LOG2) with them: what a
 * change of the lists of frame (pa, log2) can have broken. */
static bool mdb_check_frame(const struct mdb_frame *fr, word_t pa, unsigned log2, size_t *seen)
{
	word_t base = ALIGN_DOWN(pa, (word_t)1 << MDB_SUPER_LOG2);

	if (!mdb_check_pieces(fr, base))
		return false;
	if (!mdb_check_list(fr, fr->head, base, MDB_SUPER_LOG2, seen))
		return false;
	if (log2 == MDB_PAGE_LOG2)
		return !fr->pieces || mdb_check_list(fr, fr->pieces[mdb_piece(pa)],
						     ALIGN_DOWN(pa, 4096), MDB_PAGE_LOG2, seen);
	for (unsigned i = 0; fr->pieces && i < MDB_PIECES; i++)
		if (!mdb_check_list(fr, fr->pieces[i], base + ((word_t)i << MDB_PAGE_LOG2),
				    MDB_PAGE_LOG2, seen))
			return false;
	return true;
}

/* A directory is kept only while a frame in it holds a node. */
static bool mdb_check_dir_used(word_t d)
{
	const struct mdb_dir *dir = mdb.top[d];

	for (unsigned i = 0; i < MDB_DIR_FRAMES; i++)
		if (dir->frame[i].head || dir->frame[i].pieces)
			return true;
	return MDB_FAIL("empty directory %lu kept", (unsigned long)d);
}

/* Every frame of directory d, which must not be empty. */
static bool mdb_check_dir(word_t d, size_t *seen)
{
	for (unsigned i = 0; i < MDB_DIR_FRAMES; i++) {
		word_t pa = (d * MDB_DIR_FRAMES + i) << MDB_SUPER_LOG2;
		if (!mdb_check_frame(&mdb.top[d]->frame[i], pa, MDB_SUPER_LOG2, seen))
			return false;
	}
	return mdb_check_dir_used(d);
}

/* Each space's count of its nodes against the lists' (the tally mdb_check
 * just made) and its account; and no node of a space that is not there. */
static bool mdb_check_spaces(size_t seen)
{
	for (struct space *s = mdb_space_next(NULL); s; s = mdb_space_next(s)) {
		const struct mdb_space *c = mdb_space_info(s);
		size_t used = c->acct->used;

		if (c->seen != c->nodes)
			return MDB_FAIL("space %p holds %lu nodes in the lists, pays for %lu",
					(void *)s, (unsigned long)c->seen, (unsigned long)c->nodes);
		if (c->nodes > used / MDB_NODE_BYTES)
			return MDB_FAIL("space %p pays for %lu nodes, its account has %lu bytes",
					(void *)s, (unsigned long)c->nodes, (unsigned long)used);
		seen -= c->seen;
	}
	return seen == 0 || MDB_FAIL("%lu nodes of spaces that are gone", (unsigned long)seen);
}

bool mdb_check(void)
{
	size_t seen = 0;

	for (struct space *s = mdb_space_next(NULL); s; s = mdb_space_next(s))
		mdb_space_info(s)->seen = 0;
	for (word_t d = 0; mdb.top && d < MDB_TOP_DIRS; d++)
		if (mdb.top[d] && !mdb_check_dir(d, &seen))
			return false;
	if (seen != mdb.nodes)
		return MDB_FAIL("%lu nodes in lists, %lu counted", (unsigned long)seen,
				(unsigned long)mdb.nodes);
	return mdb_check_spaces(seen);
}

bool mdb_check_at(word_t pa, unsigned log2)
{
	const struct mdb_frame *fr = mdb_frame(pa);
	size_t seen = 0;

	if (!fr)
		return true;
	if (!mdb_check_dir_used(mdb_frame_number(pa) / MDB_DIR_FRAMES))
		return false;
	return mdb_check_frame(fr, pa, log2, &seen);
}

bool mdb_has_node(struct space *s, word_t va, word_t pa, unsigned log2, unsigned rights)
{
	struct mdb_ref ref;

	return mdb_find(s, va, pa, log2, &ref) && mdb_rights(ref.node) == rights;
}
