/* SPDX-License-Identifier: MIT */
/*
 * The mapping database's frame index: from physical address to lists.
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
 * The lookups, which the map and unmap paths run on every call, are inline
 * in mapdb_private.h; here is what makes and frees index pages.
 */
#include <mapdb_private.h>

struct mdb_db mdb;
/* The account the kernel pays the index from (mdb_init's kacct). */
struct kmem_account mdb_index_acct = KMEM_ACCOUNT_ROOT((size_t)-1);

/* The entry of pa's frame, making its directory if needed; NULL if the
 * kernel account or the pool is exhausted. pa must be indexed. */
struct mdb_frame *mdb_frame_make(word_t pa)
{
	word_t f = mdb_frame_number(pa);
	struct mdb_dir **dir = &mdb.top[f / MDB_DIR_FRAMES];

	assert(mdb_pa_indexed(pa));
	if (!*dir)
		*dir = kmem_alloc(mdb.kacct, KMEM_PAGE);
	return *dir ? &(*dir)->frame[f % MDB_DIR_FRAMES] : NULL;
}

/* Free directory d if none of its frames has a list. */
void mdb_dir_tidy(word_t d)
{
	struct mdb_dir *dir = mdb.top[d];

	for (unsigned i = 0; i < MDB_DIR_FRAMES; i++)
		if (dir->frame[i].head || dir->frame[i].pieces)
			return;
	kmem_free(mdb.kacct, dir, KMEM_PAGE);
	mdb.top[d] = NULL;
}

/* The same, for pa's frame. */
void mdb_frame_tidy(word_t pa)
{
	mdb_frame_tidy_at(mdb_frame(pa), pa);
}

/* Is frame (pa, log2) in a tree already, or does a tree cover part of it? */
bool mdb_frame_taken(word_t pa, unsigned log2)
{
	struct mdb_frame *fr = mdb_frame(pa);

	if (!fr)
		return false;
	if (fr->head || log2 == MDB_SUPER_LOG2)
		return mdb_frame_used(fr);
	return fr->pieces && fr->pieces[mdb_piece(pa)];
}

int mdb_init(struct kmem_account *kacct)
{
	mdb.kacct = kacct;
	mdb.nodes = 0;
	mdb.top = kmem_alloc(kacct, KMEM_PAGE);
	return mdb.top ? E_OK : E_NO_MEMORY;
}

size_t mdb_node_count(void)
{
	return mdb.nodes;
}
