/* SPDX-License-Identifier: MIT */
/*
 * The mapping database, or: how does this mapping stuff work?
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
 * Why per-4K lists: every operation starts from (space, va). mdb_pte_get
 * gives frame and size, the frame index gives the list, and a walk along it
 * finds the node with that (space, va). When sigma0 hands out 4 KiB pieces
 * of 2 MiB roots to pagers that map them on (sigma0 -> A -> B -> C, for
 * thousands of pages), one list per 2 MiB frame would make every lookup
 * wade through the mappings of all 512 pieces. Here a lookup costs the
 * number of mappings of that very 4 KiB frame (plus those of the 2 MiB
 * frame for the 2 MiB parent), and map is two such walks and an O(1)
 * insertion.
 *
 * The frame index is a radix table from physical address to lists: one top
 * page of 512 directory pointers; directory pages of 128 frame entries, one
 * per 2 MiB frame, holding the 2M list head and a pointer to a page of 512
 * 4K list heads. It covers 128 GiB. Index pages are charged to the kernel
 * account given to mdb_init and live only while needed: a directory page
 * while a node lives in its 256 MiB, a page of 4K heads while one of its
 * lists holds a node (the frame entry counts them), so that kernel memory
 * returns to its baseline when the mappings go.
 *
 * Unmap of node N revokes the rights from N's run (N only with flush);
 * nodes left without rights are unlinked and freed. Their descendants go
 * with them: a child's rights are a subset of its parent's, and the same
 * rights are taken from both. For a 2 MiB node the walk also visits the 512
 * 4K lists of the frame and takes the segments whose head's chain of 2 MiB
 * ancestors leads to N. Status is what mdb_pte_protect/clear return.
 *
 * Superpages split when a 4 KiB operation takes part of one (a 4 KiB unmap
 * with flush, the grant of a piece, a 4 KiB target inside a 2 MiB mapping):
 * the node and every 2 MiB node derived from it become 512 4 KiB nodes
 * each, with the same rights and depths, and the segments that hung from a
 * split node move under its piece of the right frame. A 4 KiB unmap without
 * flush leaves the caller's own mapping as it is, so only what derives from
 * it splits -- sigma0 reclaims 4 KiB frames that way from its 2 MiB roots,
 * which stay whole. The split goes deepest first: a split node's pieces are
 * heads under its still-2 MiB parent, which is a valid database, so when
 * memory runs out halfway the half-split state is consistent and differs
 * from the old one only in page sizes. Unmap then covers the whole 2 MiB
 * mapping (the documented fallback); map removes the receiver's whole 2 MiB
 * mapping, or fails with E_NO_MEMORY where that would take the sender's own
 * mapping or the one it would upgrade. Nothing ever merges pieces again.
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
	       (MDB_SUPER_BIT & MDB_RIGHTS_MASK) == 0, "fields do not overlap");

/* Pack a node's word; the accessors below take it apart. */
static inline word_t mdb_word(word_t va, unsigned depth, bool super, unsigned rights)
{
	assert((va & ~MDB_VA_MASK) == 0 && depth <= MDB_MAX_DEPTH && (rights & ~MDB_RIGHTS_MASK) == 0);
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
static bool mdb_is_head(const struct mdb_node *n)
{
	return !n->parent || mdb_super(n->parent) != mdb_super(n);
}

/* The last node of n's run: n's subtree as far as it lies in n's list. */
static struct mdb_node *mdb_run_last(struct mdb_node *n)
{
	struct mdb_node *last = n;
	unsigned depth = mdb_depth(n);

	while (last->next && mdb_depth(last->next) > depth && !mdb_is_head(last->next))
		last = last->next;
	return last;
}

/* Is a the node n itself or one n derives from? O(depth). */
static bool mdb_is_ancestor_or_self(const struct mdb_node *a, const struct mdb_node *n)
{
	while (n && mdb_depth(n) > mdb_depth(a))
		n = n->parent;
	return n == a;
}

/* Is n (in a 4K list) a head hanging from the 2 MiB node p or from a
 * 2 MiB node derived from p? */
static bool mdb_bridges_from(const struct mdb_node *n, const struct mdb_node *p)
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

/* The account the kernel pays the frame index from (mdb_init's kacct). */
struct kmem_account mdb_index_acct = KMEM_ACCOUNT_ROOT((size_t)-1);

/* The database; one instance, protected by the kernel lock. */
static struct {
	struct mdb_dir **top;          /* MDB_TOP_DIRS directories, NULL if unused */
	struct kmem_account *kacct;    /* pays for the index pages */
	size_t nodes;                  /* nodes in all lists */
} mdb;

/* A node charged to s (space set, the rest zero); NULL if s's account or
 * the pool is exhausted. */
static struct mdb_node *mdb_node_alloc(struct space *s)
{
	struct mdb_node *n = kmem_alloc(mdb_space_account(s), MDB_NODE_BYTES);

	if (!n)
		return NULL;
	n->space = s;
	mdb.nodes++;
	return n;
}

/* Give back a node that is in no list. */
static void mdb_node_free(struct mdb_node *n)
{
	assert(mdb.nodes > 0);
	mdb.nodes--;
	kmem_free(mdb_space_account(n->space), n, MDB_NODE_BYTES);
}

/* Free a chain of nodes linked through next. */
static void mdb_nodes_free(struct mdb_node *chain)
{
	while (chain) {
		struct mdb_node *next = chain->next;
		mdb_node_free(chain);
		chain = next;
	}
}

/* `count` nodes charged to s, chained through next; NULL, with nothing
 * allocated, if memory runs out. */
static struct mdb_node *mdb_nodes_alloc(struct space *s, unsigned count)
{
	struct mdb_node *chain = NULL;

	while (count--) {
		struct mdb_node *n = mdb_node_alloc(s);
		if (!n) {
			mdb_nodes_free(chain);
			return NULL;
		}
		n->next = chain;
		chain = n;
	}
	return chain;
}

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

/* ---- The frame index. ---- */

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
static bool mdb_pa_indexed(word_t pa)
{
	return mdb_frame_number(pa) < (word_t)MDB_TOP_DIRS * MDB_DIR_FRAMES;
}

/* The entry of the 2 MiB frame holding pa; NULL if it has no directory. */
static struct mdb_frame *mdb_frame(word_t pa)
{
	word_t f = mdb_frame_number(pa);
	struct mdb_dir *dir;

	if (!mdb_pa_indexed(pa))
		return NULL;
	dir = mdb.top[f / MDB_DIR_FRAMES];
	return dir ? &dir->frame[f % MDB_DIR_FRAMES] : NULL;
}

/* The entry of pa's frame, making its directory if needed; NULL if the
 * kernel account or the pool is exhausted. pa must be indexed. */
static struct mdb_frame *mdb_frame_make(word_t pa)
{
	word_t f = mdb_frame_number(pa);
	struct mdb_dir **dir = &mdb.top[f / MDB_DIR_FRAMES];

	assert(mdb_pa_indexed(pa));
	if (!*dir)
		*dir = kmem_alloc(mdb.kacct, KMEM_PAGE);
	return *dir ? &(*dir)->frame[f % MDB_DIR_FRAMES] : NULL;
}

/* Make sure fr has its page of 4K list heads; false if memory is lacking. */
static bool mdb_pieces_make(struct mdb_frame *fr)
{
	if (!fr->pieces)
		fr->pieces = kmem_alloc(mdb.kacct, KMEM_PAGE);
	return fr->pieces != NULL;
}

/* The head slot of the list of frame (pa, log2), whose entry is fr (or
 * NULL); NULL if it has none. */
static struct mdb_node **mdb_frame_list(struct mdb_frame *fr, word_t pa, unsigned log2)
{
	if (!fr)
		return NULL;
	if (log2 == MDB_SUPER_LOG2)
		return &fr->head;
	return fr->pieces ? &fr->pieces[mdb_piece(pa)] : NULL;
}

/* The head slot of the list of frame (pa, log2); NULL if it has none. */
static struct mdb_node **mdb_list(word_t pa, unsigned log2)
{
	return mdb_frame_list(mdb_frame(pa), pa, log2);
}

/* Does any list of frame fr hold a node? */
static bool mdb_frame_used(const struct mdb_frame *fr)
{
	return fr->head || fr->pieces_used;
}

/* Put n (its word set) at the head of the list *head of frame fr. */
static void mdb_push(struct mdb_frame *fr, struct mdb_node **head, struct mdb_node *n)
{
	if (!*head && !mdb_super(n))
		fr->pieces_used++;
	n->next = *head;
	*head = n;
}

/* Count the 4K list *head of fr out if it has just lost its last node. */
static void mdb_piece_drained(struct mdb_frame *fr, struct mdb_node *const *head)
{
	if (!*head) {
		assert(fr->pieces_used > 0);
		fr->pieces_used--;
	}
}

/* Free directory d if none of its frames has a list. */
static void mdb_dir_tidy(word_t d)
{
	struct mdb_dir *dir = mdb.top[d];

	for (unsigned i = 0; i < MDB_DIR_FRAMES; i++)
		if (dir->frame[i].head || dir->frame[i].pieces)
			return;
	kmem_free(mdb.kacct, dir, KMEM_PAGE);
	mdb.top[d] = NULL;
}

/* Free the index pages of pa's frame, whose entry is fr (or NULL), that
 * no node needs any more: the page of 4K heads once no 4K list is used,
 * the directory once no frame in it is. O(1) unless the whole frame just
 * emptied. */
static void mdb_frame_tidy_at(struct mdb_frame *fr, word_t pa)
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

/* The same, for pa's frame. */
static void mdb_frame_tidy(word_t pa)
{
	mdb_frame_tidy_at(mdb_frame(pa), pa);
}

/* Is frame (pa, log2) in a tree already, or does a tree cover part of it? */
static bool mdb_frame_taken(word_t pa, unsigned log2)
{
	struct mdb_frame *fr = mdb_frame(pa);

	if (!fr)
		return false;
	if (fr->head || log2 == MDB_SUPER_LOG2)
		return mdb_frame_used(fr);
	return fr->pieces && fr->pieces[mdb_piece(pa)];
}

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
static struct mdb_node **mdb_link_to(struct mdb_node **head, struct mdb_node *n)
{
	struct mdb_node **link = head;

	for (; *link != n; link = &(*link)->next)
		assert(*link);
	return link;
}

/* Find s's node at va in the list of frame (pa, log2); false if none. */
static bool mdb_find(struct space *s, word_t va, word_t pa, unsigned log2, struct mdb_ref *ref)
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

/* ---- Revoking: unmap, overmap, the rights a grant drops. ---- */

struct mdb_revoke {
	const struct mdb_node *own;  /* the caller's node: revoked only with flush */
	void *own_slot;              /* its slot from mdb_pte_get, or NULL */
	bool own_clean;              /* own's PTE has no status: nothing to collect */
	unsigned mask;               /* rights taken away */
	bool flush;
	bool collect;                /* gather (and reset) status of untouched nodes */
	unsigned status;             /* gathered accessed/dirty bits */
};

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
			link = mdb_bridges_from(*link, p) ? mdb_revoke_run(link, rv) : &(*link)->next;
		mdb_piece_drained(fr, &fr->pieces[i]);
	}
}

/* Revoke from ref's node and everything derived from it. */
static void mdb_revoke(const struct mdb_ref *ref, struct mdb_revoke *rv)
{
	if (ref->log2 == MDB_SUPER_LOG2)
		mdb_revoke_pieces(ref->fr, ref->node, rv);
	mdb_revoke_run(ref->link, rv);
	if (ref->log2 == MDB_PAGE_LOG2)
		mdb_piece_drained(ref->fr, mdb_frame_list(ref->fr, ref->pa, ref->log2));
}

/* Remove node n of frame (pa, log2) with everything derived from it. */
static void mdb_remove(struct mdb_node *n, word_t pa, unsigned log2)
{
	struct mdb_frame *fr = mdb_frame(pa);
	struct mdb_ref ref = { .node = n, .link = mdb_link_to(mdb_frame_list(fr, pa, log2), n),
			       .pa = pa, .log2 = log2, .fr = fr };
	struct mdb_revoke rv = { .own = n, .mask = FPAGE_RWX, .flush = true };

	mdb_revoke(&ref, &rv);
	mdb_frame_tidy_at(fr, pa);
}

/* ---- Splitting superpages. ---- */

/* Turn the detached 2 MiB node x into piece i: 4 KiB, same space, depth,
 * rights and parent (x itself becomes piece 0). */
static void mdb_piece_init(struct mdb_node *piece, const struct mdb_node *x, unsigned i)
{
	word_t va = mdb_va(x) + ((word_t)i << MDB_PAGE_LOG2);

	piece->space = x->space;
	piece->parent = x->parent;
	piece->word = mdb_word(va, mdb_depth(x), false, mdb_rights(x));
}

/* Make `piece` x's node for 4K list i: unlink the runs hanging from x in
 * that list, put piece at the head of the list and the runs behind it as
 * its children. x must still be marked 2 MiB while the runs are found. */
static void mdb_piece_adopt(struct mdb_frame *fr, unsigned i, struct mdb_node *x,
			    struct mdb_node *piece)
{
	struct mdb_node **link = &fr->pieces[i], *kids = NULL, **end = &kids;
	bool used = *link != NULL;

	while (*link) {
		struct mdb_node *n = *link, *last;

		if (n->parent != x) {
			link = &n->next;
			continue;
		}
		last = mdb_run_last(n);
		*link = last->next;
		*end = n;
		end = &last->next;
		n->parent = piece;
	}
	mdb_piece_init(piece, x, i);
	*end = fr->pieces[i];
	piece->next = kids;
	fr->pieces[i] = piece;
	fr->pieces_used += !used;
}

/* Split the detached 2 MiB node x of frame fr, whose 2 MiB descendants
 * are split already, into its 512 pieces. false, with nothing changed, if
 * nodes or page tables are lacking. */
static bool mdb_split_one(struct mdb_frame *fr, struct mdb_node *x)
{
	struct mdb_node *spare = mdb_nodes_alloc(x->space, MDB_PIECES - 1);

	if (!spare)
		return false;
	if (mdb_pte_split(x->space, mdb_va(x)) != E_OK) {
		mdb_nodes_free(spare);
		return false;
	}
	for (unsigned i = MDB_PIECES - 1; i > 0; i--) {
		struct mdb_node *piece = spare;
		spare = spare->next;
		mdb_piece_adopt(fr, i, x, piece);
	}
	mdb_piece_adopt(fr, 0, x, x);
	return true;
}

/* Reverse the chain from n up to (not including) stop, ending it in tail. */
static struct mdb_node *mdb_chain_reverse(struct mdb_node *n, struct mdb_node *stop,
					  struct mdb_node *tail)
{
	while (n != stop) {
		struct mdb_node *next = n->next;
		n->next = tail;
		tail = n;
		n = next;
	}
	return tail;
}

/* Split the 2 MiB nodes from *link up to `after` in the 2M list of frame
 * pa (a set that holds what derives from each of its nodes), deepest
 * first. true if all are split; false if memory ran out, leaving the nodes
 * not split yet (the first one always among them) in place as valid
 * 2 MiB nodes. */
static bool mdb_split_nodes(word_t pa, struct mdb_node **link, struct mdb_node *after)
{
	struct mdb_frame *fr = mdb_frame(pa);
	struct mdb_node *pending;

	if (*link == after)
		return true;
	if (!mdb_pieces_make(fr))
		return false;
	pending = mdb_chain_reverse(*link, after, NULL);
	while (pending) {
		struct mdb_node *next = pending->next;
		if (!mdb_split_one(fr, pending))
			break;
		pending = next;
	}
	*link = mdb_chain_reverse(pending, NULL, after);
	mdb_frame_tidy(pa);
	return !pending;
}

/* Split the 2 MiB node at *link and every 2 MiB node derived from it. */
static bool mdb_split(word_t pa, struct mdb_node **link)
{
	return mdb_split_nodes(pa, link, mdb_run_last(*link)->next);
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

/* log2 is a page size and both addresses are aligned to it. */
static void mdb_assert_pages(word_t a, word_t b, unsigned log2)
{
	assert(log2 == MDB_PAGE_LOG2 || log2 == MDB_SUPER_LOG2);
	assert(IS_ALIGNED(a | b, (word_t)1 << log2));
}

int mdb_init(struct kmem_account *kacct)
{
	mdb.kacct = kacct;
	mdb.nodes = 0;
	mdb.top = kmem_alloc(kacct, KMEM_PAGE);
	return mdb.top ? E_OK : E_NO_MEMORY;
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
	struct mdb_revoke rv = { .mask = rights & FPAGE_RIGHTS_MASK, .flush = flush, .collect = true };

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
	struct mdb_revoke rv = { .mask = rights & FPAGE_RIGHTS_MASK, .flush = flush,
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

size_t mdb_node_count(void)
{
	return mdb.nodes;
}

/* ---- The checker. ---- */

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
		return MDB_FAIL("node %p: rights %x, parent's not a superset", (void *)n, mdb_rights(n));
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
		return MDB_FAIL("node %p derives from %p outside its 2 MiB frame", (void *)n, (void *)p);
	if (p && mdb_depth(n) != mdb_depth(p) + 1)
		return MDB_FAIL("node %p: depth %u under %u", (void *)n, mdb_depth(n), mdb_depth(p));
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
		return MDB_FAIL("node %p out of preorder (parent %p)", (void *)n, (void *)n->parent);
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
			return MDB_FAIL("more nodes in lists than counted (%lu)", (unsigned long)mdb.nodes);
		if (!mdb_check_node(n, pa, log2))
			return false;
		if (mdb_is_head(n) ? !mdb_check_head(fr, n, list, &roots) : !mdb_check_inner(n, prev))
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

/* Every list of the 2 MiB frame at pa. */
static bool mdb_check_frame(const struct mdb_frame *fr, word_t pa, size_t *seen)
{
	if (!mdb_check_pieces(fr, pa))
		return false;
	if (!mdb_check_list(fr, fr->head, pa, MDB_SUPER_LOG2, seen))
		return false;
	for (unsigned i = 0; fr->pieces && i < MDB_PIECES; i++)
		if (!mdb_check_list(fr, fr->pieces[i], pa + ((word_t)i << MDB_PAGE_LOG2),
				    MDB_PAGE_LOG2, seen))
			return false;
	return true;
}

/* Every frame of directory d, which must not be empty. */
static bool mdb_check_dir(word_t d, size_t *seen)
{
	const struct mdb_dir *dir = mdb.top[d];
	bool used = false;

	for (unsigned i = 0; i < MDB_DIR_FRAMES; i++) {
		word_t pa = (d * MDB_DIR_FRAMES + i) << MDB_SUPER_LOG2;
		used |= dir->frame[i].head || dir->frame[i].pieces;
		if (!mdb_check_frame(&dir->frame[i], pa, seen))
			return false;
	}
	return used || MDB_FAIL("empty directory %lu kept", (unsigned long)d);
}

bool mdb_check(void)
{
	size_t seen = 0;

	for (word_t d = 0; mdb.top && d < MDB_TOP_DIRS; d++)
		if (mdb.top[d] && !mdb_check_dir(d, &seen))
			return false;
	if (seen != mdb.nodes)
		return MDB_FAIL("%lu nodes in lists, %lu counted", (unsigned long)seen,
				(unsigned long)mdb.nodes);
	return true;
}
