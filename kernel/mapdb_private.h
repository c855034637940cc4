/* SPDX-License-Identifier: MIT */
/*
 * The inside of the mapping database, shared by its files and included by
 * nothing else: how does this mapping stuff work? (mapdb.h has the
 * interface and the invariants.)
 *
 * Nodes. Every page a user space has mapped through map, grant or a root
 * (4 KiB, or a 2 MiB superpage) is one node of 32 bytes -- exactly
 * MDB_NODE_BYTES, the smallest kmem object -- charged to the account of the
 * space that holds the mapping. Four words:
 *
 *   next    the next node of the same list, in preorder
 *   parent  the node this mapping was made from (NULL for a root)
 *   space   the address space that holds the mapping
 *   word    63..12 virtual address | 11..4 depth | 3 superpage | 2..0 rwx
 *
 * The frame is not stored: the list a node sits in names it.
 *
 * Trees as lists. The mappings of one frame form a tree: the root is what
 * the kernel gave sigma0, a node's children were mapped from it. The tree
 * is kept as a singly linked list in preorder, each node carrying its depth
 * (root = 0). A node's subtree is then the node plus the run of nodes after
 * it that are deeper: unmap is a walk along a list, map inserts the new node
 * right behind its parent (as first child), and nothing recurses. Nodes are
 * always reached by walking their list from the head, so the walker holds
 * the predecessor whenever it unlinks; the list needs no back pointer, and
 * the word saved holds the parent pointer instead. With it, "is X derived
 * from Y" costs O(depth), and a 4 KiB node can name a 2 MiB parent.
 *
 * One list per 4 KiB frame. Each 2 MiB frame F has a list of its 2 MiB
 * mappings (the "2M list" of F, one tree), and each of its 512 4 KiB frames
 * f has a list of the 4 KiB mappings of f (the "4K list" of f). A 2 MiB
 * node's parent is in the 2M list. A 4 KiB node's parent is a 4 KiB node of
 * the same frame, or the 2 MiB node it was cut from: sigma0 holds F as one
 * superpage and maps 4 KiB pieces of it onward. So a 4K list is a sequence
 * of segments, each a head followed by the head's subtree in preorder; a
 * head is a 4 KiB root or a node whose parent is a 2 MiB node. A node is a
 * head exactly when its parent is NULL or of the other size, and the run
 * rule becomes "the following nodes that are deeper and are not heads".
 *
 * The files: mapdb.c maps, grants and makes roots (decode, reserve,
 * commit; the costs of it all); mapdb_unmap.c revokes and unmaps;
 * mapdb_split.c splits superpages; mapdb_index.c is the frame index from
 * physical address to lists; mapdb_check.c checks every invariant. Each
 * starts with its part of this essay.
 *
 * Locking: everything here belongs to the kernel lock (one CPU).
 */
#ifndef KERNEL_MAPDB_PRIVATE_H
#define KERNEL_MAPDB_PRIVATE_H

#include <mapdb.h>
#include <klib.h>
#include <pagoda/error.h>

/* Map and unmap run on every page fault a pager resolves. Their steps are
 * folded into mdb_map and mdb_unmap (MDB_INLINE) and the rare branches kept
 * out of those frames (MDB_OUTLINE): the common case then makes no calls
 * but the hooks and kmem, and saves few registers. */
#define MDB_INLINE static inline __attribute__((always_inline))
#define MDB_OUTLINE static __attribute__((noinline))

/* ---- Nodes and their word. ---- */

struct mdb_node {
	struct mdb_node *next;    /* next node of the same list, in preorder */
	struct mdb_node *parent;  /* the node this one derives from; NULL: root */
	struct space *space;      /* holder of the mapping; pays for the node */
	word_t word;              /* va | depth | superpage | rights */
};
_Static_assert(sizeof(struct mdb_node) == MDB_NODE_BYTES, "a node is MDB_NODE_BYTES");
_Static_assert(MDB_NODE_BYTES >= KMEM_MIN_OBJECT && (MDB_NODE_BYTES & (MDB_NODE_BYTES - 1)) == 0,
	       "kmem charges exactly MDB_NODE_BYTES for a node");

#define MDB_RIGHTS_MASK ((word_t)0x7)
#define MDB_SUPER_BIT ((word_t)1 << 3)
#define MDB_DEPTH_SHIFT 4
#define MDB_DEPTH_MASK ((word_t)0xff)
#define MDB_VA_MASK (~(((word_t)1 << MDB_PAGE_LOG2) - 1))
_Static_assert(MDB_RIGHTS_MASK == FPAGE_RIGHTS_MASK, "rights are fpage rights");
_Static_assert(MDB_DEPTH_MASK >= MDB_MAX_DEPTH, "the depth field holds MDB_MAX_DEPTH");
_Static_assert(((MDB_DEPTH_MASK << MDB_DEPTH_SHIFT) & MDB_VA_MASK) == 0, "depth under the va");
_Static_assert(((MDB_DEPTH_MASK << MDB_DEPTH_SHIFT) & (MDB_SUPER_BIT | MDB_RIGHTS_MASK)) == 0 &&
		       (MDB_SUPER_BIT & MDB_RIGHTS_MASK) == 0,
	       "fields do not overlap");

/* Pack a node's word; the accessors below take it apart. */
static inline word_t mdb_word(word_t va, unsigned depth, bool super, unsigned rights)
{
	assert((va & ~MDB_VA_MASK) == 0 && depth <= MDB_MAX_DEPTH &&
	       (rights & ~MDB_RIGHTS_MASK) == 0);
	return va | ((word_t)depth << MDB_DEPTH_SHIFT) | (super ? MDB_SUPER_BIT : 0) | rights;
}

static inline word_t mdb_va(const struct mdb_node *n)
{
	return n->word & MDB_VA_MASK;
}

static inline unsigned mdb_depth(const struct mdb_node *n)
{
	return (unsigned)((n->word >> MDB_DEPTH_SHIFT) & MDB_DEPTH_MASK);
}

static inline bool mdb_super(const struct mdb_node *n)
{
	return (n->word & MDB_SUPER_BIT) != 0;
}

static inline unsigned mdb_rights(const struct mdb_node *n)
{
	return (unsigned)(n->word & MDB_RIGHTS_MASK);
}

static inline unsigned mdb_log2(const struct mdb_node *n)
{
	return mdb_super(n) ? MDB_SUPER_LOG2 : MDB_PAGE_LOG2;
}

static inline void mdb_set_rights(struct mdb_node *n, unsigned rights)
{
	n->word = mdb_word(mdb_va(n), mdb_depth(n), mdb_super(n), rights);
}

static inline void mdb_set_depth(struct mdb_node *n, unsigned depth)
{
	n->word = mdb_word(mdb_va(n), depth, mdb_super(n), mdb_rights(n));
}

/* Does n start a segment of its list (a root, or derived from a node of
 * the other size)? */
static inline bool mdb_is_head(const struct mdb_node *n)
{
	return !n->parent || mdb_super(n->parent) != mdb_super(n);
}

/* The last node of n's run: n's subtree as far as it lies in n's list. */
static inline struct mdb_node *mdb_run_last(struct mdb_node *n)
{
	struct mdb_node *last = n;
	unsigned depth = mdb_depth(n);

	while (last->next && mdb_depth(last->next) > depth && !mdb_is_head(last->next))
		last = last->next;
	return last;
}

/* Is a the node n itself or one n derives from? O(depth). */
static inline bool mdb_is_ancestor_or_self(const struct mdb_node *a, const struct mdb_node *n)
{
	while (n && mdb_depth(n) > mdb_depth(a))
		n = n->parent;
	return n == a;
}

/* Is n (in a 4K list) a head hanging from the 2 MiB node p or from a
 * 2 MiB node derived from p? */
static inline bool mdb_bridges_from(const struct mdb_node *n, const struct mdb_node *p)
{
	const struct mdb_node *q = n->parent;

	if (!q || !mdb_super(q) || mdb_super(n))
		return false;
	while (mdb_depth(q) > mdb_depth(p))
		q = q->parent;
	return q == p;
}

/* ---- Database state and node memory. ---- */

#define MDB_PIECES 512        /* 4 KiB frames in a 2 MiB frame */
#define MDB_DIR_FRAMES 128    /* frame entries in a directory page */
#define MDB_TOP_DIRS 512      /* directory pointers in the top page */

/* The lists of one 2 MiB frame. */
struct mdb_frame {
	struct mdb_node *head;     /* the 2M list */
	struct mdb_node **pieces;  /* page of MDB_PIECES 4K list heads, or NULL */
	size_t pieces_used;        /* 4K lists holding a node; 0 frees the page */
	word_t spare;              /* pads the entry to a power of two */
};

struct mdb_dir {
	struct mdb_frame frame[MDB_DIR_FRAMES];
};
_Static_assert(sizeof(struct mdb_dir) == KMEM_PAGE, "a directory is a page");
_Static_assert(MDB_PIECES * sizeof(struct mdb_node *) == KMEM_PAGE, "4K heads fill a page");
_Static_assert(MDB_TOP_DIRS * sizeof(struct mdb_dir *) == KMEM_PAGE, "the top is a page");
_Static_assert(MDB_PIECES == 1u << (MDB_SUPER_LOG2 - MDB_PAGE_LOG2), "pieces of a superpage");

/* The database; one instance (mapdb_index.c), protected by the kernel lock. */
struct mdb_db {
	struct mdb_dir **top;          /* MDB_TOP_DIRS directories, NULL if unused */
	struct kmem_account *kacct;    /* pays for the index pages */
	size_t nodes;                  /* nodes in all lists */
};
extern struct mdb_db mdb;

/* A node charged to s (space set, the rest zero); NULL if s's account or
 * the pool is exhausted. */
static inline struct mdb_node *mdb_node_alloc(struct space *s)
{
	struct mdb_space *info = mdb_space_info(s);
	struct mdb_node *n = kmem_alloc(info->acct, MDB_NODE_BYTES);

	if (!n)
		return NULL;
	n->space = s;
	mdb.nodes++;
	info->nodes++;
	return n;
}

/* Give back a node that is in no list. */
static inline void mdb_node_free(struct mdb_node *n)
{
	struct mdb_space *info = mdb_space_info(n->space);

	assert(mdb.nodes > 0);
	mdb.nodes--;
	info->nodes--;
	kmem_free(info->acct, n, MDB_NODE_BYTES);
}

/* ---- The frame index (mapdb_index.c has the rest). ---- */

/* The number of the 2 MiB frame holding pa, and pa's 4 KiB piece in it. */
static inline word_t mdb_frame_number(word_t pa)
{
	return pa >> MDB_SUPER_LOG2;
}

static inline unsigned mdb_piece(word_t pa)
{
	return (unsigned)(pa >> MDB_PAGE_LOG2) & (MDB_PIECES - 1);
}

/* Does the index reach physical address pa? */
static inline bool mdb_pa_indexed(word_t pa)
{
	return mdb_frame_number(pa) < (word_t)MDB_TOP_DIRS * MDB_DIR_FRAMES;
}

/* The entry of the 2 MiB frame holding pa; NULL if it has no directory. */
static inline struct mdb_frame *mdb_frame(word_t pa)
{
	word_t f = mdb_frame_number(pa);
	struct mdb_dir *dir;

	if (!mdb_pa_indexed(pa))
		return NULL;
	dir = mdb.top[f / MDB_DIR_FRAMES];
	return dir ? &dir->frame[f % MDB_DIR_FRAMES] : NULL;
}

/* Make sure fr has its page of 4K list heads; false if memory is lacking. */
static inline bool mdb_pieces_make(struct mdb_frame *fr)
{
	if (!fr->pieces)
		fr->pieces = kmem_alloc(mdb.kacct, KMEM_PAGE);
	return fr->pieces != NULL;
}

/* The head slot of the list of frame (pa, log2), whose entry is fr (or
 * NULL); NULL if it has none. */
static inline struct mdb_node **mdb_frame_list(struct mdb_frame *fr, word_t pa, unsigned log2)
{
	if (!fr)
		return NULL;
	if (log2 == MDB_SUPER_LOG2)
		return &fr->head;
	return fr->pieces ? &fr->pieces[mdb_piece(pa)] : NULL;
}

/* The head slot of the list of frame (pa, log2); NULL if it has none. */
static inline struct mdb_node **mdb_list(word_t pa, unsigned log2)
{
	return mdb_frame_list(mdb_frame(pa), pa, log2);
}

/* Does any list of frame fr hold a node? */
static inline bool mdb_frame_used(const struct mdb_frame *fr)
{
	return fr->head || fr->pieces_used;
}

/* Put n (its word set) at the head of the list *head of frame fr. */
static inline void mdb_push(struct mdb_frame *fr, struct mdb_node **head, struct mdb_node *n)
{
	if (!*head && !mdb_super(n))
		fr->pieces_used++;
	n->next = *head;
	*head = n;
}

/* Count the 4K list *head of fr out if it has just lost its last node. */
static inline void mdb_piece_drained(struct mdb_frame *fr, struct mdb_node *const *head)
{
	if (!*head) {
		assert(fr->pieces_used > 0);
		fr->pieces_used--;
	}
}

void mdb_dir_tidy(word_t d);

/* Free the index pages of pa's frame, whose entry is fr (or NULL), that
 * no node needs any more: the page of 4K heads once no 4K list is used,
 * the directory once no frame in it is. O(1) unless the whole frame just
 * emptied. */
static inline void mdb_frame_tidy_at(struct mdb_frame *fr, word_t pa)
{
	if (!fr)
		return;
	if (fr->pieces && !fr->pieces_used) {
		kmem_free(mdb.kacct, fr->pieces, KMEM_PAGE);
		fr->pieces = NULL;
	}
	if (!fr->head && !fr->pieces)
		mdb_dir_tidy(mdb_frame_number(pa) / MDB_DIR_FRAMES);
}

struct mdb_frame *mdb_frame_make(word_t pa);
void mdb_frame_tidy(word_t pa);
bool mdb_frame_taken(word_t pa, unsigned log2);

/* ---- Finding nodes. ---- */

/* A node with where it is: the slot pointing to it, its frame and size,
 * and the frame's index entry (good while the node is in its list). */
struct mdb_ref {
	struct mdb_node *node;
	struct mdb_node **link;   /* the list head or the predecessor's next */
	word_t pa;                /* the node's frame, aligned to 2^log2 */
	unsigned log2;
	struct mdb_frame *fr;     /* the entry of the 2 MiB frame holding pa */
};

/* The slot pointing to n in the list starting at *head. */
static inline struct mdb_node **mdb_link_to(struct mdb_node **head, struct mdb_node *n)
{
	struct mdb_node **link = head;

	for (; *link != n; link = &(*link)->next)
		assert(*link);
	return link;
}

/* Find s's node at va in the list of frame (pa, log2); false if none. */
static inline bool mdb_find(struct space *s, word_t va, word_t pa, unsigned log2,
			    struct mdb_ref *ref)
{
	struct mdb_frame *fr = mdb_frame(pa);
	struct mdb_node **link = mdb_frame_list(fr, pa, log2);

	*ref = (struct mdb_ref){ .pa = pa, .log2 = log2, .fr = fr };
	for (; link && *link; link = &(*link)->next)
		if ((*link)->space == s && mdb_va(*link) == va) {
			ref->node = *link;
			ref->link = link;
			return true;
		}
	return false;
}

/* s's mapping covering va, with its node; false if s maps nothing there.
 * slot (may be NULL) receives mdb_pte_get's slot for va. A user mapping
 * without a node breaks the database's invariant. */
MDB_INLINE bool mdb_resolve(struct space *s, word_t va, struct mdb_ref *ref, void **slot)
{
	word_t pa;
	unsigned log2, rights;

	if (!mdb_pte_get(s, va, &pa, &log2, &rights, slot))
		return false;
	if (!mdb_find(s, ALIGN_DOWN(va, (word_t)1 << log2), pa, log2, ref))
		panic("mapdb: mapping at %lx without a node", (unsigned long)va);
	return true;
}

/* ---- Revoking (mapdb_unmap.c). ---- */

struct mdb_revoke {
	const struct mdb_node *own;  /* the caller's node: revoked only with flush */
	void *own_slot;              /* its slot from mdb_pte_get, or NULL */
	bool own_clean;              /* own's PTE has no status: nothing to collect */
	unsigned mask;               /* rights taken away */
	bool flush;
	bool collect;                /* gather (and reset) status of untouched nodes */
	unsigned status;             /* gathered accessed/dirty bits */
};

void mdb_revoke(const struct mdb_ref *ref, struct mdb_revoke *rv);
void mdb_remove(struct mdb_node *n, word_t pa, unsigned log2);

/* ---- Splitting superpages (mapdb_split.c). ---- */

bool mdb_split_nodes(word_t pa, struct mdb_node **link, struct mdb_node *after);
bool mdb_split(word_t pa, struct mdb_node **link);

/* log2 is a page size and both addresses are aligned to it. */
static inline void mdb_assert_pages(word_t a, word_t b, unsigned log2)
{
	assert(log2 == MDB_PAGE_LOG2 || log2 == MDB_SUPER_LOG2);
	assert(IS_ALIGNED(a | b, (word_t)1 << log2));
}

#endif
