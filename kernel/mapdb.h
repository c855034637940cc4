/* SPDX-License-Identifier: MIT */
/*
 * The mapping database: for every physical frame, the tree of mappings
 * derived from it, rooted at the mapping the kernel gave sigma0 (or at a
 * boot mapping the kernel made itself). It is what makes unmap recursive.
 *
 * The mapdb owns the semantics of map, grant and unmap on single pages
 * (4 KiB, or 2 MiB superpages); kernel/map.c turns fpages and receive
 * windows into calls of these. The mapdb never touches page tables itself:
 * it calls the mdb_pte_* hooks below, which kernel/space.c implements on
 * real x86-64 page tables and the host unit test implements on a model.
 *
 * Invariants (mdb_check verifies all of them):
 *  - every node's (space, va) has a PTE naming the node's frame, size and
 *    rights (the converse, every user PTE has a node, is space_check's);
 *  - a child's rights are a subset of its parent's;
 *  - a 2 MiB node's parent is a 2 MiB node; a 4 KiB node's parent is a
 *    4 KiB node of the same frame, or the 2 MiB node containing its frame;
 *  - each space's count of the nodes it pays for (struct mdb_space, kept
 *    where a node's charge is taken, given back or moved) equals the nodes
 *    in the lists that name it, every node names a space that is there,
 *    and its account carries at least that many times the node size;
 *  - the index holds no empty directory and counts its 4K lists right,
 *    and the lists hold as many nodes as the database counts.
 */
#ifndef KERNEL_MAPDB_H
#define KERNEL_MAPDB_H

#include <pagoda/types.h>
#include <pagoda/fpage.h>
#include <kmem.h>

struct space;                 /* opaque to the mapdb */

#define MDB_PAGE_LOG2 12
#define MDB_SUPER_LOG2 21
#define MDB_STATUS_ACCESSED FPAGE_R   /* status bits returned by unmap */
#define MDB_STATUS_DIRTY FPAGE_W

/* ---- Hooks: implemented by kernel/space.c (and by the unit test). ---- */

/* The mapping of s at va: frame base (aligned to 2^log2), log2 (12 or 21)
 * and rights. false if va is unmapped in s. If slot is not NULL, *slot
 * receives an opaque handle on the place of a 4 KiB mapping at va when s's
 * tables have one (such a mapping then needs no mdb_pte_prepare), else
 * NULL; it stays good until the next mdb_pte_split of s. */
bool mdb_pte_get(struct space *s, word_t va, word_t *pa, unsigned *log2, unsigned *rights,
		 void **slot);

/* The first mapping of s at or after *va and below end that the
 * database knows (kernel-owned pages are skipped): *va moves to an
 * address inside it (the first address >= the old *va it covers), and
 * pa, log2, rights and slot are as mdb_pte_get gives them for that
 * address; *status is the mapping's accessed/dirty status (MDB_STATUS_*)
 * as it stands (nothing is reset). false if there is none. Range
 * operations walk with it, so that holes and a space's tables cost one
 * pass, not a lookup per page. */
bool mdb_pte_next(struct space *s, word_t *va, word_t end, word_t *pa, unsigned *log2,
		  unsigned *rights, unsigned *status, void **slot);

/* Make sure a later mdb_pte_set(s, va, ., log2, ., *slot) cannot fail
 * (allocate page tables). Returns E_OK or E_NO_MEMORY (charged to s); on
 * E_OK *slot is a handle on the place to set, good until the next
 * mdb_pte_split of s, or NULL (then the set finds the place itself). */
int mdb_pte_prepare(struct space *s, word_t va, unsigned log2, void **slot);

/* Install a mapping where s has none (tables prepared). slot: a handle
 * on the place from mdb_pte_prepare, or for a 4 KiB mapping from
 * mdb_pte_get; NULL: the set finds the place itself. */
void mdb_pte_set(struct space *s, word_t va, word_t pa, unsigned log2, unsigned rights,
		 void *slot);

/* Reduce the rights of an existing mapping to `rights` (non-zero), flush
 * the TLB entry, return its accessed/dirty status and reset it. slot: for
 * a 4 KiB mapping, the handle mdb_pte_get gave for it (good until the
 * next mdb_pte_split of s), or NULL. */
unsigned mdb_pte_protect(struct space *s, word_t va, unsigned log2, unsigned rights, void *slot);

/* Raise the rights of an existing mapping to `rights` (a superset of
 * its own), keeping its accessed/dirty status. slot as for
 * mdb_pte_protect. */
void mdb_pte_raise(struct space *s, word_t va, unsigned log2, unsigned rights, void *slot);

/* Remove an existing mapping, flush the TLB entry, return its status.
 * slot as for mdb_pte_protect. */
unsigned mdb_pte_clear(struct space *s, word_t va, unsigned log2, void *slot);

/* Replace the 2 MiB mapping at va by 512 4 KiB mappings of the same
 * frames and rights (status carried over). E_OK or E_NO_MEMORY with
 * nothing changed. */
int mdb_pte_split(struct space *s, word_t va);

/* What the database keeps in each space (the space embeds it and sets
 * acct when it is made). */
struct mdb_space {
	struct kmem_account *acct;   /* the account s's nodes are charged to */
	size_t nodes;                /* nodes s holds: MDB_NODE_BYTES each on acct */
	size_t seen;                 /* mdb_check's tally of them in the lists */
};

/* s's struct mdb_space (one call on the map path gives account and count). */
struct mdb_space *mdb_space_info(struct space *s);

/* Every space that exists, for mdb_check: the first for NULL, else the
 * one after s; NULL after the last. */
struct space *mdb_space_next(struct space *s);

/* ---- The database. ---- */

/* Bytes of kernel memory one mapping costs (the node size). */
#define MDB_NODE_BYTES 32

/* Prepare an empty database. Kernel memory for its own indexes is charged
 * to `kacct`. Returns E_OK or E_NO_MEMORY. */
int mdb_init(struct kmem_account *kacct);
extern struct kmem_account mdb_index_acct;   /* the kernel's for it (main.c, kdebug.c) */

/* Create a root mapping: s maps frame pa (aligned to 2^log2) at va with
 * `rights`, derived from nothing. The frame must not be in any tree yet.
 * Installs the PTE. E_OK, E_NO_MEMORY or E_EXISTS (frame already has one). */
int mdb_root(struct space *s, word_t va, word_t pa, unsigned log2, unsigned rights);

/*
 * Map (grant = false) or grant (grant = true) the page of `from` at
 * from_va to `to` at to_va; log2 is 12 or 21 and both addresses are
 * aligned to it. A 4 KiB map may take a piece of a 2 MiB mapping of the
 * sender; a 2 MiB map needs a 2 MiB mapping in the sender.
 *   - The new mapping's rights are `rights` & the sender's rights.
 *   - map: the new node is a child of the sender's node.
 *     grant: the new node takes the sender's place in the tree (children
 *     stay) and the sender's mapping is removed (a grant of a 4 KiB piece
 *     of a 2 MiB mapping splits the sender's mapping first).
 *   - If `to` already has this very frame at to_va as a direct child of
 *     the sender's node, its rights are extended by the new rights (an
 *     upgrade, no new node). Any other mapping of `to` overlapping the
 *     target is first removed together with everything derived from it
 *     (overmapping; a 2 MiB mapping partly overlapped by a 4 KiB target is
 *     split, or removed whole if the split has no memory).
 * Returns E_OK; E_IPC_NOT_MAPPED if the sender has no mapping there or the
 * rights intersect to nothing (nothing changed); E_BAD_ARGUMENT for a
 * 2 MiB map from a sender that only has 4 KiB pages there; E_NO_MEMORY if
 * the receiver's account or the pool is exhausted or the tree would become
 * deeper than MDB_MAX_DEPTH (nothing changed).
 */
#define MDB_MAX_DEPTH 255
int mdb_map(struct space *from, word_t from_va, struct space *to, word_t to_va,
	    unsigned log2, unsigned rights, bool grant);

/* mdb_map where the caller has just read the sender's PTE (mdb_pte_get
 * or mdb_pte_next, nothing changed since): frame pa, aligned to 2^src_log2,
 * is from's mapping covering from_va. The same result, without the
 * sender's lookup. */
int mdb_map_found(struct space *from, word_t from_va, word_t pa, unsigned src_log2,
		  struct space *to, word_t to_va, unsigned log2, unsigned rights, bool grant);

/*
 * Unmap: for the mapping of s covering [va, va + 2^log2) (log2 12 or 21),
 * revoke `rights` from every mapping derived from it, recursively; a
 * mapping left with no rights is removed. With `flush` the rights are
 * revoked from s's own mapping as well (and it is removed when none are
 * left). A 4 KiB unmap inside a 2 MiB mapping splits that mapping (and
 * derived 2 MiB mappings) first; if kernel memory for the split is lacking
 * the whole 2 MiB mapping is treated as covered. rights = 0 revokes
 * nothing and only collects status.
 * Returns the accessed/dirty status (MDB_STATUS_*) gathered from s's own
 * mapping and all derived ones, and resets it. 0 if s has nothing there.
 */
unsigned mdb_unmap(struct space *s, word_t va, unsigned log2, unsigned rights, bool flush);

/*
 * Unmap over the range [va, va + size) of s (both 4 KiB aligned) in one
 * pass: exactly what mdb_unmap does for each mapping of s met in address
 * order -- a 2 MiB mapping lying wholly inside the range as one, one
 * partly inside page by page over the part inside -- but with one walk of
 * s's tables for the whole range instead of a lookup per page. Returns the
 * union of the status those calls would return.
 */
unsigned mdb_unmap_range(struct space *s, word_t va, word_t size, unsigned rights, bool flush);

/* Number of nodes in the database (all trees). */
size_t mdb_node_count(void);

/* Walk every tree and check every invariant above; false on the first
 * violation, printed as "mdb_check: what" (CHECK_FAIL). */
bool mdb_check(void);

/* mdb_check's checks of the lists of one frame: for log2 = MDB_SUPER_LOG2
 * every list of the 2 MiB frame holding pa, for MDB_PAGE_LOG2 its 2M list
 * and the 4K list of pa; each node against its list, parent and PTE.
 * What a change of that frame's lists can break, short of the counts
 * only mdb_check tallies. */
bool mdb_check_at(word_t pa, unsigned log2);

/* For space_check: has s's mapping of frame pa (aligned to 2^log2) at va
 * (aligned likewise) with `rights` a node that says the same? */
bool mdb_has_node(struct space *s, word_t va, word_t pa, unsigned log2, unsigned rights);

#endif
