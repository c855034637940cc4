/* SPDX-License-Identifier: MIT */
/*
 * The mapping database: splitting superpages.
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
 */
#include <mapdb_private.h>

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
bool mdb_split_nodes(word_t pa, struct mdb_node **link, struct mdb_node *after)
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
bool mdb_split(word_t pa, struct mdb_node **link)
{
	return mdb_split_nodes(pa, link, mdb_run_last(*link)->next);
}
