/* SPDX-License-Identifier: MIT */
/*
 * The mapping database: map, grant and root. (mapdb_private.h has how
 * nodes, trees and lists work; the other mapdb_*.c files the rest.)
 *
 * Map, grant and root follow decode, reserve, commit. Decode resolves the
 * sender's node and classifies the receiver's target: empty, a mapping in
 * the way (removed with its subtree: overmapping), the same frame derived
 * from the sender's node (upgrade in place), the sender's own node or an
 * ancestor of it (nothing to do), or a 2 MiB mapping to split first.
 * Reserve takes the node, the index page and the page tables. Only then
 * does the commit change what anybody can see, and it cannot fail.
 *
 * Grant moves the sender's node to the receiver in place: children stay,
 * lose the rights the grant dropped, the node's charge moves between the
 * accounts. A grant onto a mapping derived from the sender's node merges
 * the two: the rights unite, the derived node goes, its subtree moves up.
 * An upgrade raises the rights of the receiver's PTE in place, so its
 * accessed/dirty status stays for the next unmap; the status of the
 * sender's PTE in a grant and of derived PTEs whose rights a grant trims
 * is lost.
 *
 * Costs: a map walks the sender's and the receiver's frame lists (O(number
 * of mappings of those frames)) and inserts in O(1); a 4 KiB unmap is that
 * walk plus the subtree; anything on a 2 MiB node also looks at its 512
 * 4K lists; a split is O(512 * (nodes in the frame's 4K lists)) per node.
 * A space's page table is walked once per operation: mdb_pte_get hands
 * back a slot, an opaque handle on the place of a 4 KiB PTE, through which
 * a 4 KiB map sets the receiver's new PTE (needing no prepare), an upgrade
 * replaces it, and an unmap changes the caller's own. A slot stays good
 * until the space's next mdb_pte_split; an operation that splits resolves
 * again afterwards. A ref likewise keeps its frame's index entry, so an
 * operation looks its frame up once.
 *
 * Locking: everything here belongs to the kernel lock (one CPU).
 */
#include <mapdb_private.h>

/* Can `to` take over the charge of a node held by `from`? */
static bool mdb_charge_fits(struct space *from, struct space *to)
{
	struct kmem_account *a = mdb_space_account(from), *b = mdb_space_account(to);

	return a == b || kmem_fits(b, MDB_NODE_BYTES);
}

/* Move the charge of one node from `from`'s account to `to`'s (a grant). */
static void mdb_charge_move(struct space *from, struct space *to)
{
	kmem_move(mdb_space_account(from), mdb_space_account(to), MDB_NODE_BYTES);
}

/* ---- Map, grant and root: decode, reserve, commit. ---- */

enum mdb_kind {
	MDB_NEW,       /* a new mapping (after removing what is in the way) */
	MDB_NOOP,      /* the receiver has it already, nothing to do */
	MDB_UPGRADE,   /* the receiver's mapping derives from the sender's: extend */
	MDB_SPLIT,     /* a 2 MiB mapping of the receiver must split first */
};

struct mdb_op {
	struct space *from, *to;   /* from is NULL for a root */
	word_t from_va, to_va;
	unsigned log2;             /* size of the new mapping */
	unsigned want;             /* rights asked for */
	unsigned rights;           /* rights of the new mapping */
	bool grant;
	word_t pa;                 /* the frame (aligned to 2^log2) to map */
	struct mdb_ref src;        /* the sender's node */
	struct mdb_ref old;        /* the receiver's mapping at the target */
	bool scan;                 /* remove all 4 KiB mappings in a 2 MiB target */
	bool strict;               /* a failed split of old is E_NO_MEMORY */
	struct mdb_node *fresh;    /* the new node (map, root) */
	void *slot;                /* where the receiver's PTE goes (mdb_pte_prepare) */
};

/* Start a map or grant: the request, with nothing decided yet. The refs
 * are left to decode, which fills each in before anything reads it (an
 * initialiser would zero them first, on the map path's every call). */
static inline void mdb_op_init(struct mdb_op *op, struct space *from, word_t from_va,
			       struct space *to, word_t to_va, unsigned log2, unsigned want,
			       bool grant)
{
	op->from = from;
	op->to = to;
	op->from_va = from_va;
	op->to_va = to_va;
	op->log2 = log2;
	op->want = want;
	op->grant = grant;
	op->scan = op->strict = false;
	op->fresh = NULL;
	op->slot = NULL;
}

/* Resolve the sender's node and what it passes on. E_IPC_NOT_MAPPED or
 * E_BAD_ARGUMENT, nothing changed, if it has nothing fit. */
MDB_INLINE int mdb_op_source_take(struct mdb_op *op);

MDB_INLINE int mdb_op_source(struct mdb_op *op)
{
	if (!mdb_resolve(op->from, op->from_va, &op->src, NULL))
		return E_IPC_NOT_MAPPED;
	return mdb_op_source_take(op);
}

/* The same, where the caller has just read the sender's PTE: frame pa
 * (aligned to 2^src_log2) covering from_va. */
MDB_INLINE int mdb_op_source_found(struct mdb_op *op, word_t pa, unsigned src_log2)
{
	word_t va = ALIGN_DOWN(op->from_va, (word_t)1 << src_log2);

	if (!mdb_find(op->from, va, pa, src_log2, &op->src))
		panic("mapdb: mapping at %lx without a node", (unsigned long)va);
	return mdb_op_source_take(op);
}

/* What the resolved sender's node passes on. */
MDB_INLINE int mdb_op_source_take(struct mdb_op *op)
{
	struct mdb_ref *src = &op->src;

	if (src->log2 < op->log2)
		return E_BAD_ARGUMENT;
	op->pa = src->pa + (op->from_va - mdb_va(src->node));
	op->rights = op->want & mdb_rights(src->node);
	return op->rights ? E_OK : E_IPC_NOT_MAPPED;
}

/* Split the sender's 2 MiB mapping for the grant of a 4 KiB piece.
 * E_NO_MEMORY if it cannot (page sizes may have changed). Out of line:
 * rare. */
MDB_OUTLINE int mdb_op_split_source(struct mdb_op *op)
{
	bool split = mdb_split(op->src.pa, op->src.link);
	int err = mdb_op_source(op);

	assert(err == E_OK);
	return split ? E_OK : E_NO_MEMORY;
}

/* A grant of a 4 KiB piece of a 2 MiB mapping splits the sender's mapping
 * first. */
static int mdb_op_settle_source(struct mdb_op *op)
{
	return op->grant && op->src.log2 != op->log2 ? mdb_op_split_source(op) : E_OK;
}

/* The target is a 4 KiB page inside the receiver's 2 MiB mapping op->old. */
static enum mdb_kind mdb_op_target_super(struct mdb_op *op)
{
	const struct mdb_node *y = op->old.node, *src = op->src.node;
	bool same = op->from && op->old.pa + (op->to_va - mdb_va(y)) == op->pa;
	bool above = op->from && mdb_is_ancestor_or_self(y, src);
	bool child = op->from && y->parent == src;

	if (same && above)
		return MDB_NOOP;
	if (same && child && !op->grant && !(op->rights & ~mdb_rights(y)))
		return MDB_NOOP;
	op->strict = above || (same && child);
	return MDB_SPLIT;
}

/* Classify the receiver's target [to_va, to_va + 2^log2). */
MDB_INLINE enum mdb_kind mdb_op_target(struct mdb_op *op)
{
	struct mdb_ref *old = &op->old;

	op->scan = false;
	if (!mdb_resolve(op->to, op->to_va, old, &op->slot) || old->log2 < op->log2) {
		old->node = NULL;
		op->scan = op->log2 == MDB_SUPER_LOG2;
		return MDB_NEW;
	}
	if (old->log2 > op->log2)
		return mdb_op_target_super(op);
	if (!op->from || old->pa != op->pa)
		return MDB_NEW;
	if (mdb_is_ancestor_or_self(old->node, op->src.node))
		return MDB_NOOP;
	return old->node->parent == op->src.node ? MDB_UPGRADE : MDB_NEW;
}

/* Split the receiver's 2 MiB mapping that a 4 KiB target cuts into, and
 * classify the target again. If the split lacks memory, the whole 2 MiB
 * mapping is to go, unless it is the sender's own (or an ancestor) or the
 * one to upgrade: E_NO_MEMORY. Rare, so kept out of the map path's frame. */
MDB_OUTLINE int mdb_op_split_target(struct mdb_op *op, enum mdb_kind *kind)
{
	bool split = mdb_split(op->old.pa, op->old.link);

	if (op->from && mdb_op_source(op) != E_OK)
		panic("mapdb: a split lost the sender's mapping");
	if (!split && op->strict)
		return E_NO_MEMORY;
	*kind = split ? mdb_op_target(op) : MDB_NEW;
	assert(*kind != MDB_SPLIT);
	return E_OK;
}

/* Classify the target, splitting a 2 MiB mapping a 4 KiB target cuts into. */
MDB_INLINE int mdb_op_settle(struct mdb_op *op, enum mdb_kind *kind)
{
	*kind = mdb_op_target(op);
	return *kind == MDB_SPLIT ? mdb_op_split_target(op, kind) : E_OK;
}

/* Make the receiver's page tables ready for the new mapping: nothing to
 * do for a 4 KiB one whose place decode found (op->slot). */
static int mdb_op_prepare(struct mdb_op *op)
{
	if (op->log2 == MDB_PAGE_LOG2 && op->slot)
		return E_OK;
	return mdb_pte_prepare(op->to, op->to_va, op->log2, &op->slot);
}

/* Give back what a failed reserve took: the node, unneeded index pages. */
MDB_OUTLINE void mdb_op_unreserve(struct mdb_op *op)
{
	if (op->fresh) {
		mdb_node_free(op->fresh);
		op->fresh = NULL;
	}
	mdb_frame_tidy(op->pa);
}

/* Take the node and the page tables for the new mapping; E_NO_MEMORY with
 * nothing taken if either is lacking. */
MDB_INLINE int mdb_op_reserve_fresh(struct mdb_op *op)
{
	int err = E_NO_MEMORY;

	op->fresh = mdb_node_alloc(op->to);
	if (op->fresh)
		err = mdb_op_prepare(op);
	if (err != E_OK)
		mdb_op_unreserve(op);
	return err;
}

/* Take what a map or grant will need; on failure give back what was
 * taken and return E_NO_MEMORY. A grant moves the sender's node; a new
 * node of the sender's size joins the sender's list, one cut from a 2 MiB
 * node the 4K list of its frame, whose page of heads may be missing. */
MDB_INLINE int mdb_op_reserve(struct mdb_op *op, enum mdb_kind kind)
{
	if (kind == MDB_UPGRADE)
		return E_OK;
	if (op->grant)
		return mdb_charge_fits(op->from, op->to) ? mdb_op_prepare(op) : E_NO_MEMORY;
	if (mdb_depth(op->src.node) >= MDB_MAX_DEPTH)
		return E_NO_MEMORY;
	if (op->log2 != op->src.log2 && !mdb_pieces_make(mdb_frame(op->pa))) {
		mdb_frame_tidy(op->pa);
		return E_NO_MEMORY;
	}
	return mdb_op_reserve_fresh(op);
}

/* Take what a root will need: index pages, the node, page tables. */
static int mdb_root_reserve(struct mdb_op *op)
{
	struct mdb_frame *fr = mdb_frame_make(op->pa);

	if (!fr || (op->log2 == MDB_PAGE_LOG2 && !mdb_pieces_make(fr))) {
		mdb_frame_tidy(op->pa);
		return E_NO_MEMORY;
	}
	return mdb_op_reserve_fresh(op);
}

/* Link the new node: right behind its parent when both have one size,
 * else at the head of its list (a root, or cut from a 2 MiB node). */
static void mdb_link_fresh(struct mdb_op *op)
{
	struct mdb_node *n = op->fresh, *p = op->from ? op->src.node : NULL;
	bool super = op->log2 == MDB_SUPER_LOG2;

	n->parent = p;
	n->word = mdb_word(op->to_va, p ? mdb_depth(p) + 1 : 0, super, op->rights);
	if (p && mdb_super(p) == super) {
		n->next = p->next;
		p->next = n;
	} else {
		mdb_push(mdb_frame(op->pa), mdb_list(op->pa, op->log2), n);
	}
}

/* Remove the receiver's mappings in the target with what derives from them
 * (overmapping: out of line, the map path rarely needs it). */
MDB_OUTLINE void mdb_op_clear_target(struct mdb_op *op)
{
	struct mdb_ref ref;

	if (op->old.node)
		mdb_remove(op->old.node, op->old.pa, op->old.log2);
	if (!op->scan)
		return;
	for (unsigned i = 0; i < MDB_PIECES; i++)
		if (mdb_resolve(op->to, op->to_va + ((word_t)i << MDB_PAGE_LOG2), &ref, NULL))
			mdb_remove(ref.node, ref.pa, ref.log2);
}

/* Take from what derives from the sender's node the rights `keep` lacks. */
static void mdb_grant_trim(struct mdb_op *op, unsigned keep)
{
	struct mdb_node *s = op->src.node;
	struct mdb_revoke rv = { .own = s, .mask = mdb_rights(s) & ~keep };

	if (!rv.mask)
		return;
	op->src.link = mdb_link_to(mdb_list(op->src.pa, op->src.log2), s);
	mdb_revoke(&op->src, &rv);
	mdb_frame_tidy(op->src.pa);
}

/* The sender's node becomes the receiver's mapping, in place. */
static void mdb_grant_move(struct mdb_op *op, unsigned rights)
{
	struct mdb_node *s = op->src.node;

	mdb_grant_trim(op, rights);
	mdb_pte_clear(op->from, mdb_va(s), op->log2, NULL);
	mdb_charge_move(op->from, op->to);
	s->space = op->to;
	s->word = mdb_word(op->to_va, mdb_depth(s), mdb_super(s), rights);
}

/* One level up: n loses a level of depth, x's children become p's. */
static void mdb_lift_node(struct mdb_node *n, const struct mdb_node *x, struct mdb_node *p)
{
	mdb_set_depth(n, mdb_depth(n) - 1);
	if (n->parent == x)
		n->parent = p;
}

/* Lift the 4 KiB segments derived from the 2 MiB node x in frame fr. */
static void mdb_lift_pieces(struct mdb_frame *fr, const struct mdb_node *x, struct mdb_node *p)
{
	for (unsigned i = 0; fr->pieces && i < MDB_PIECES; i++) {
		struct mdb_node *n = fr->pieces[i], *end;
		while (n) {
			if (!mdb_bridges_from(n, x)) {
				n = n->next;
				continue;
			}
			for (end = mdb_run_last(n)->next; n != end; n = n->next)
				mdb_lift_node(n, x, p);
		}
	}
}

/* Free x, a direct child of p in frame (pa, log2), but keep what derives
 * from it: all of it moves one level up, x's children become p's. */
static void mdb_lift(struct mdb_node *x, struct mdb_node *p, word_t pa, unsigned log2)
{
	struct mdb_node **link = mdb_link_to(mdb_list(pa, log2), x);
	struct mdb_node *end = mdb_run_last(x)->next;

	if (mdb_super(x))
		mdb_lift_pieces(mdb_frame(pa), x, p);
	for (struct mdb_node *n = x->next; n != end; n = n->next)
		mdb_lift_node(n, x, p);
	*link = x->next;
	mdb_node_free(x);
}

/* Map onto a mapping derived from the sender's node: extend its rights
 * in place (its accessed/dirty status stays for the next unmap). */
static void mdb_upgrade(struct mdb_op *op)
{
	struct mdb_node *x = op->old.node;
	unsigned rights = mdb_rights(x) | op->rights;

	if (rights == mdb_rights(x))
		return;
	mdb_set_rights(x, rights);
	mdb_pte_raise(op->to, op->to_va, op->log2, rights, op->slot);
}

/* Grant onto a mapping x derived from the sender's node: the sender's node
 * takes over x's place in the receiver with the united rights, x's node
 * goes and what derived from x moves up under the sender's node. */
static void mdb_grant_merge(struct mdb_op *op)
{
	struct mdb_node *x = op->old.node;
	unsigned had = mdb_rights(x), rights = had | op->rights;

	mdb_lift(x, op->src.node, op->old.pa, op->old.log2);
	mdb_grant_move(op, rights);
	if (rights != had)
		mdb_pte_raise(op->to, op->to_va, op->log2, rights, op->slot);
}

/* Commit an upgrade (a map or grant onto a mapping derived from the
 * sender's): rare, so kept out of the map path's frame. */
MDB_OUTLINE void mdb_op_commit_upgrade(struct mdb_op *op)
{
	if (op->grant)
		mdb_grant_merge(op);
	else
		mdb_upgrade(op);
}

/* Change state; nothing here can fail. */
MDB_INLINE void mdb_op_commit(struct mdb_op *op, enum mdb_kind kind)
{
	if (kind == MDB_UPGRADE) {
		mdb_op_commit_upgrade(op);
		return;
	}
	if (op->fresh)
		mdb_link_fresh(op);
	if (op->old.node || op->scan)
		mdb_op_clear_target(op);
	if (op->grant)
		mdb_grant_move(op, op->rights);
	mdb_pte_set(op->to, op->to_va, op->pa, op->log2, op->rights, op->slot);
}

int mdb_root(struct space *s, word_t va, word_t pa, unsigned log2, unsigned rights)
{
	struct mdb_op op = { .to = s, .to_va = va, .log2 = log2, .pa = pa,
			     .rights = rights & FPAGE_RIGHTS_MASK };
	enum mdb_kind kind;
	int err;

	mdb_assert_pages(va, pa, log2);
	assert(op.rights != 0);
	if (!mdb_pa_indexed(pa))
		return E_BAD_ARGUMENT;
	if (mdb_frame_taken(pa, log2))
		return E_EXISTS;
	err = mdb_op_settle(&op, &kind);
	if (err == E_OK)
		err = mdb_root_reserve(&op);
	if (err == E_OK)
		mdb_op_commit(&op, kind);
	return err;
}

/* A map or grant once the sender's node is resolved (err: how that went). */
MDB_INLINE int mdb_map_resolved(struct mdb_op *op, int err)
{
	enum mdb_kind kind = MDB_NOOP;

	if (err == E_OK)
		err = mdb_op_settle_source(op);
	if (err == E_OK)
		err = mdb_op_settle(op, &kind);
	if (err != E_OK || kind == MDB_NOOP)
		return err;
	err = mdb_op_reserve(op, kind);
	if (err == E_OK)
		mdb_op_commit(op, kind);
	return err;
}

int mdb_map(struct space *from, word_t from_va, struct space *to, word_t to_va,
	    unsigned log2, unsigned rights, bool grant)
{
	struct mdb_op op;

	mdb_assert_pages(from_va, to_va, log2);
	mdb_op_init(&op, from, from_va, to, to_va, log2, rights & FPAGE_RIGHTS_MASK, grant);
	return mdb_map_resolved(&op, mdb_op_source(&op));
}

int mdb_map_found(struct space *from, word_t from_va, word_t pa, unsigned src_log2,
		  struct space *to, word_t to_va, unsigned log2, unsigned rights, bool grant)
{
	struct mdb_op op;

	mdb_assert_pages(from_va, to_va, log2);
	mdb_op_init(&op, from, from_va, to, to_va, log2, rights & FPAGE_RIGHTS_MASK, grant);
	return mdb_map_resolved(&op, mdb_op_source_found(&op, pa, src_log2));
}
