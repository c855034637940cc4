/* SPDX-License-Identifier: MIT */
/*
 * rt-alloc: a two-level segregated-fit allocator (after TLSF, Masmano,
 * Ripoll, Crespo and Real, ECRTS 2004) whose every call does a bounded
 * number of steps, whatever the heap size and whatever happened before.
 *
 * How it works
 * ------------
 * The heap is a set of regions the caller adds (rt_heap_add). Each region
 * is cut into blocks that tile it without gaps:
 *
 *   | prologue | block | block | ... | block | epilogue |
 *
 * Every block starts with a 16-byte header: the address of the block
 * physically before it (prev_phys) and its own size in bytes, header
 * included, a multiple of 16 whose bit 0 says "free". The block after b
 * is at b + size(b), the block before at b->prev_phys: both neighbours
 * are one load away. The prologue (a used block of 16 bytes) and the
 * epilogue (a used block of size 0) bound the region, so the first and
 * the last block have neighbours like any other and no code asks "is
 * there a neighbour?". The prologue (32 bytes) also links the regions and
 * records where each ends, for the checker.
 *
 * A free block also holds, after its header, the links of a doubly
 * linked free list. Free blocks are sorted into lists by size class:
 *
 *   first level  fl = floor(log2(size)) - 8 (sizes from 512 on), fl 0
 *                for sizes below 512;
 *   second level sl = the next RTALLOC_SL_LOG2 = 5 bits of the size
 *                below its leading one: each power-of-two range is cut
 *                into 32 equal classes (below 512: 32 classes of 16).
 *
 * So a class spans at most 1/32 of its sizes (about 3 %). Two bitmaps say
 * which lists are non-empty: fl_map (bit fl: some list of level fl is
 * non-empty) and sl_map[fl] (bit sl: list [fl][sl] is non-empty).
 *
 * rt_malloc(n) turns n into a block size (n + header, rounded up to 16,
 * at least 32) and that into its class. If the head of that class is
 * large enough, it takes it (one comparison: a good fit that keeps larger
 * blocks whole). Otherwise it looks only at the classes above, where
 * *every* block is large enough (no list is ever searched), and finds the
 * first non-empty one with at most two find-first-set instructions: in
 * sl_map[fl] masked to the classes above sl, and if that is empty, in
 * fl_map masked to the levels above fl and then in that level's sl_map. It takes the head block of that list, and if the
 * block is larger than needed by at least a minimum block (32 bytes), it
 * splits the tail off and files it as a free block.
 *
 * rt_free(p) marks the block free and merges it with its physical
 * neighbours where they are free (each taken out of its list first), so
 * that no two free blocks are ever adjacent, then files the result.
 *
 * rt_memalign asks for align + a minimum block more than it needs, cuts
 * the front off where the aligned address lies (a free block of its
 * own), and trims the tail as rt_malloc does. rt_realloc shrinks in
 * place, grows into a free next block, or moves.
 *
 * The worst case, by construction
 * -------------------------------
 * No function has a loop or recursion (the checker and the stats walk,
 * which are not on any allocation path, are the only loops in this
 * file). The mapping from a size to (fl, sl) is a bit scan and shifts;
 * the search is at most three masked bit scans, the same number for a
 * 1 MiB heap and a 1 TiB one: the heap size only changes which bits are
 * set. Taking a block from the head of a list, or putting one there, is a
 * fixed number of pointer updates plus, when a list becomes empty or
 * non-empty, one bit in sl_map and possibly one in fl_map. Hence:
 *
 *   rt_malloc <= 1 mapping + 1 head probe + 3 bit scans + 1 list
 *                removal + 1 split (3 header stores) + 1 list insertion
 *   rt_free   <= 2 list removals (both neighbours merged; a mapping
 *                each) + the header and boundary-tag stores + 1 list
 *                insertion (a mapping)
 *
 * and the longest path of each is the one where every branch goes the
 * expensive way: for rt_malloc, the head of the request's own class is
 * too small, the search misses at the second level and the first-level
 * scan finds a higher level, the block taken was the last of its list
 * and of its level (both bits cleared), and the split remainder joins a
 * non-empty list (the bits are set unconditionally; a list head costs a
 * link more); for rt_free, both neighbours are free and each was the last
 * block of its list and level, and the merged block joins a non-empty
 * list. tests/bench/rtalloc/worst.c builds these cases and measures them;
 * docs/rt-alloc.md gives the figures and where each instruction goes.
 *
 * What it costs: 16 bytes per block; a block is at least 32 bytes. The
 * search may pass over blocks of the request's own class that would fit
 * (all but the head: at most 1/32 above the request); the block keeps
 * only what it needs after the split. Memory is never moved:
 * fragmentation is kept down by the good fit, not by compaction
 * (docs/rt-alloc.md has the figures).
 */
#include "rtalloc.h"
#include <stdint.h>
#include <lib/string.h>

#ifdef HOST_TEST
#include <stdio.h>
#define rtalloc_say(...) fprintf(stderr, __VA_ARGS__)
#else
#include <libmap.h>
#define rtalloc_say(...) printf(__VA_ARGS__)
#endif

#define RTALLOC_ALIGN_LOG2 4
#define RTALLOC_SL_LOG2 5
#define RTALLOC_SL_COUNT (1u << RTALLOC_SL_LOG2)
/* Sizes below RTALLOC_SMALL all live in level 0, 16 bytes per class. */
#define RTALLOC_FL_SHIFT (RTALLOC_SL_LOG2 + RTALLOC_ALIGN_LOG2)
#define RTALLOC_SMALL ((size_t)1 << RTALLOC_FL_SHIFT)
/* Block sizes are below 2^RTALLOC_SIZE_LOG2. */
#define RTALLOC_SIZE_LOG2 40
#define RTALLOC_FL_COUNT (RTALLOC_SIZE_LOG2 - RTALLOC_FL_SHIFT + 1)
#define RTALLOC_REGION_MAX ((size_t)1 << (RTALLOC_SIZE_LOG2 - 1))

#define RTALLOC_FREE ((size_t)1)
#define RTALLOC_HEADER ((size_t)16)
#define RTALLOC_MIN_BLOCK ((size_t)32)
#define RTALLOC_PROLOGUE ((size_t)32)

_Static_assert(RT_OVERHEAD == RTALLOC_HEADER, "header size");
_Static_assert(RT_ALIGN == 1u << RTALLOC_ALIGN_LOG2, "alignment");
_Static_assert(RTALLOC_FL_COUNT < 64, "fl_map is one 64-bit word");
_Static_assert(RT_REQUEST_MAX + RT_ALIGN_MAX + 2 * RTALLOC_MIN_BLOCK < RTALLOC_REGION_MAX,
	       "a rounded request stays below the largest level");

/* A block. prev_phys and size are its header; the free-list links are
 * valid only while it is free (then they overlay the first 16 bytes of
 * what would be its payload). */
struct rtalloc_block {
	struct rtalloc_block *prev_phys;  /* the block physically before */
	size_t size;                      /* bytes incl. header | RTALLOC_FREE */
	struct rtalloc_block *next_free;  /* in its class's list; NULL: last */
	struct rtalloc_block *prev_free;  /* NULL: the list's head */
};

_Static_assert(sizeof(struct rtalloc_block) == RTALLOC_MIN_BLOCK, "min block");

/* A region's prologue: a used block of its own size. */
struct rtalloc_region {
	struct rtalloc_region *next;      /* the region added before */
	size_t size;                      /* RTALLOC_PROLOGUE, used */
	struct rtalloc_block *epilogue;   /* where the region's blocks end */
	size_t pad;
};

_Static_assert(sizeof(struct rtalloc_region) == RTALLOC_PROLOGUE, "prologue");
_Static_assert(RT_REGION_OVERHEAD == RTALLOC_PROLOGUE + RTALLOC_HEADER, "region overhead");

/* The heap. One per program; rt_heap_reset empties it. */
static struct rtalloc_heap {
	uint64_t fl_map;                                /* bit fl: level non-empty */
	uint32_t sl_map[RTALLOC_FL_COUNT];              /* bit sl: list non-empty */
	struct rtalloc_block *heads[RTALLOC_FL_COUNT][RTALLOC_SL_COUNT];
	struct rtalloc_region *regions;                 /* prologues, linked */
	size_t free_bytes;                              /* sum of free blocks */
} rtalloc_heap;

/* ---------------------------------------------------------------- blocks */

static inline size_t rtalloc_size(const struct rtalloc_block *b)
{
	return b->size & ~RTALLOC_FREE;
}

static inline bool rtalloc_is_free(const struct rtalloc_block *b)
{
	return b->size & RTALLOC_FREE;
}

static inline struct rtalloc_block *rtalloc_next(const struct rtalloc_block *b)
{
	return (struct rtalloc_block *)((uintptr_t)b + rtalloc_size(b));
}

static inline struct rtalloc_block *rtalloc_at(uintptr_t addr)
{
	return (struct rtalloc_block *)addr;
}

static inline void *rtalloc_payload(struct rtalloc_block *b)
{
	return (char *)b + RTALLOC_HEADER;
}

static inline struct rtalloc_block *rtalloc_block_of(const void *p)
{
	return rtalloc_at((uintptr_t)p - RTALLOC_HEADER);
}

/* The block size that holds n payload bytes (n <= RT_REQUEST_MAX). */
static inline size_t rtalloc_block_size(size_t n)
{
	size_t s = (n + RTALLOC_HEADER + RT_ALIGN - 1) & ~(size_t)(RT_ALIGN - 1);

	return s < RTALLOC_MIN_BLOCK ? RTALLOC_MIN_BLOCK : s;
}

/* ----------------------------------------------------------- size classes */

/* The class (fl, sl) that a free block of `size` bytes is filed in. */
static inline void rtalloc_class(size_t size, unsigned *fl, unsigned *sl)
{
	unsigned f;

	if (size < RTALLOC_SMALL) {
		*fl = 0;
		*sl = (unsigned)(size >> RTALLOC_ALIGN_LOG2);
		return;
	}
	f = 63u - (unsigned)__builtin_clzll(size);
	*sl = (unsigned)(size >> (f - RTALLOC_SL_LOG2)) ^ RTALLOC_SL_COUNT;
	*fl = f - RTALLOC_FL_SHIFT + 1;
}

/* -------------------------------------------------------------- free lists */

/* Put free block b at the head of its class's list. */
static inline void rtalloc_insert(struct rtalloc_heap *h, struct rtalloc_block *b)
{
	unsigned fl, sl;
	struct rtalloc_block *head;

	rtalloc_class(rtalloc_size(b), &fl, &sl);
	head = h->heads[fl][sl];
	b->next_free = head;
	b->prev_free = NULL;
	if (head)
		head->prev_free = b;
	h->heads[fl][sl] = b;
	h->sl_map[fl] |= 1u << sl;
	h->fl_map |= (uint64_t)1 << fl;
}

/* Take free block b out of its list (fl, sl), clearing the bitmaps'
 * bits when the list becomes empty. */
static inline void rtalloc_unlink(struct rtalloc_heap *h, struct rtalloc_block *b, unsigned fl,
				  unsigned sl)
{
	struct rtalloc_block *next = b->next_free, *prev = b->prev_free;

	if (next)
		next->prev_free = prev;
	if (prev) {
		prev->next_free = next;
		return;
	}
	h->heads[fl][sl] = next;
	if (next)
		return;
	h->sl_map[fl] &= ~(1u << sl);
	if (!h->sl_map[fl])
		h->fl_map &= ~((uint64_t)1 << fl);
}

/* Take free block b out of whatever list holds it. */
static inline void rtalloc_remove(struct rtalloc_heap *h, struct rtalloc_block *b)
{
	unsigned fl, sl;

	rtalloc_class(rtalloc_size(b), &fl, &sl);
	rtalloc_unlink(h, b, fl, sl);
}

/* The head of the first non-empty list of a class above (fl, sl), taken
 * out of its list; NULL if there is none. Every block there is larger
 * than any block of (fl, sl). */
static inline struct rtalloc_block *rtalloc_take_above(struct rtalloc_heap *h, unsigned fl,
						       unsigned sl)
{
	uint32_t slmap = h->sl_map[fl] & (~0u << sl << 1);
	struct rtalloc_block *b;

	if (!slmap) {
		uint64_t flmap = h->fl_map & (~(uint64_t)0 << (fl + 1));
		if (!flmap)
			return NULL;
		fl = (unsigned)__builtin_ctzll(flmap);
		slmap = h->sl_map[fl];
	}
	sl = (unsigned)__builtin_ctz(slmap);
	b = h->heads[fl][sl];
	rtalloc_unlink(h, b, fl, sl);
	return b;
}

/* The free block for `size` bytes, taken out of its list: the head of
 * the size's own class if that one is large enough (a good fit, one
 * comparison), else the head of the first non-empty class above it, whose
 * every block is large enough; NULL if there is none. */
static inline __attribute__((always_inline)) struct rtalloc_block *
rtalloc_find(struct rtalloc_heap *h, size_t size)
{
	unsigned fl, sl;
	struct rtalloc_block *b;

	rtalloc_class(size, &fl, &sl);
	b = h->heads[fl][sl];
	if (b && rtalloc_size(b) >= size) {
		rtalloc_unlink(h, b, fl, sl);
		return b;
	}
	return rtalloc_take_above(h, fl, sl);
}

/* ---------------------------------------------------------- split, merge */

/* Used block b of at least `size` bytes: cut off what lies beyond size as
 * a free block if that is at least a minimum block. next is b's physical
 * successor, which is used (a block next to a free one never is free). */
static inline void rtalloc_trim(struct rtalloc_heap *h, struct rtalloc_block *b, size_t size)
{
	size_t have = rtalloc_size(b);
	struct rtalloc_block *rest;

	if (have - size < RTALLOC_MIN_BLOCK)
		return;
	rest = rtalloc_at((uintptr_t)b + size);
	rest->prev_phys = b;
	rest->size = (have - size) | RTALLOC_FREE;
	rtalloc_at((uintptr_t)b + have)->prev_phys = rest;
	b->size = size;
	h->free_bytes += have - size;
	rtalloc_insert(h, rest);
}

/* ------------------------------------------------------------ debug builds */

/* Debug builds (RTALLOC_DEBUG: `make DEBUG=1`) run the checker after every
 * call and stop the program with a trap at the first violation (a broken
 * invariant of the allocator, or a caller that wrote outside its block),
 * and fill freed payloads with RTALLOC_POISON. */
#ifdef RTALLOC_DEBUG
#define RTALLOC_POISON 0xdb

static void rtalloc_debug_check(void)
{
	if (rtalloc_check(true))
		__builtin_trap();
}

static void rtalloc_debug_poison(struct rtalloc_block *b)
{
	memset((char *)b + RTALLOC_MIN_BLOCK, RTALLOC_POISON, rtalloc_size(b) - RTALLOC_MIN_BLOCK);
}
#else
static inline void rtalloc_debug_check(void)
{
}

static inline void rtalloc_debug_poison(struct rtalloc_block *b)
{
	(void)b;
}
#endif

/* ------------------------------------------------------------ public calls */

void rt_heap_reset(void)
{
	memset(&rtalloc_heap, 0, sizeof(rtalloc_heap));
}

static size_t rtalloc_add(void *base, size_t size)
{
	struct rtalloc_heap *h = &rtalloc_heap;
	uintptr_t start = ((uintptr_t)base + RT_ALIGN - 1) & ~(uintptr_t)(RT_ALIGN - 1);
	uintptr_t end = ((uintptr_t)base + size) & ~(uintptr_t)(RT_ALIGN - 1);
	struct rtalloc_region *pro;
	struct rtalloc_block *blk, *epi;
	size_t bytes;

	if ((uintptr_t)base + size < (uintptr_t)base || end < start ||
	    end - start < RT_REGION_OVERHEAD + RTALLOC_MIN_BLOCK)
		return 0;
	bytes = end - start - RT_REGION_OVERHEAD;
	if (bytes > RTALLOC_REGION_MAX)
		bytes = RTALLOC_REGION_MAX;
	pro = (struct rtalloc_region *)start;
	blk = rtalloc_at(start + RTALLOC_PROLOGUE);
	epi = rtalloc_at(start + RTALLOC_PROLOGUE + bytes);
	pro->next = h->regions;
	pro->size = RTALLOC_PROLOGUE;
	pro->epilogue = epi;
	blk->prev_phys = (struct rtalloc_block *)pro;
	blk->size = bytes | RTALLOC_FREE;
	epi->prev_phys = blk;
	epi->size = 0;
	h->regions = pro;
	h->free_bytes += bytes;
	rtalloc_insert(h, blk);
	return bytes;
}

/* The calls' bodies; the public functions below add the debug check. */
static inline __attribute__((always_inline)) void *rtalloc_malloc(size_t n)
{
	struct rtalloc_heap *h = &rtalloc_heap;
	struct rtalloc_block *b;
	size_t size;

	if (n - 1 >= RT_REQUEST_MAX)          /* 0, or too large */
		return NULL;
	size = rtalloc_block_size(n);
	b = rtalloc_find(h, size);
	if (!b)
		return NULL;
	b->size &= ~RTALLOC_FREE;
	h->free_bytes -= b->size;
	rtalloc_trim(h, b, size);
	return rtalloc_payload(b);
}

static inline __attribute__((always_inline)) int rtalloc_free(void *p)
{
	struct rtalloc_heap *h = &rtalloc_heap;
	struct rtalloc_block *b, *prev, *next;
	size_t size;

	if (!p)
		return 0;
	b = rtalloc_block_of(p);
	if (((uintptr_t)p & (RT_ALIGN - 1)) || rtalloc_is_free(b))
		return -1;
	rtalloc_debug_poison(b);
	size = b->size;
	h->free_bytes += size;
	prev = b->prev_phys;
	if (rtalloc_is_free(prev)) {
		rtalloc_remove(h, prev);
		size += rtalloc_size(prev);
		b = prev;
	}
	next = rtalloc_at((uintptr_t)b + size);
	if (rtalloc_is_free(next)) {
		rtalloc_remove(h, next);
		size += rtalloc_size(next);
		next = rtalloc_at((uintptr_t)b + size);
	}
	/* Also marks the block free where a neighbour was merged into it. */
	rtalloc_block_of(p)->size |= RTALLOC_FREE;
	b->size = size | RTALLOC_FREE;
	next->prev_phys = b;
	rtalloc_insert(h, b);
	return 0;
}

/* Free block b (out of its list) is larger than needed at the front: cut
 * off the `gap` bytes before the aligned block as a free block of their
 * own and return the block after them. b's predecessor is used (b was
 * free), so the gap stays apart from other free blocks. */
static struct rtalloc_block *rtalloc_cut_front(struct rtalloc_heap *h, struct rtalloc_block *b,
					       size_t gap)
{
	struct rtalloc_block *a = rtalloc_at((uintptr_t)b + gap);
	size_t have = rtalloc_size(b);

	a->prev_phys = b;
	a->size = have - gap;
	rtalloc_at((uintptr_t)b + have)->prev_phys = a;
	b->size = gap | RTALLOC_FREE;
	h->free_bytes += gap;
	rtalloc_insert(h, b);
	return a;
}

static void *rtalloc_memalign(size_t align, size_t n)
{
	struct rtalloc_heap *h = &rtalloc_heap;
	struct rtalloc_block *b;
	uintptr_t pay, want;
	size_t size;

	if (align & (align - 1) || align > RT_ALIGN_MAX)
		return NULL;
	if (align <= RT_ALIGN)
		return rtalloc_malloc(n);
	if (n - 1 >= RT_REQUEST_MAX)
		return NULL;
	size = rtalloc_block_size(n);
	b = rtalloc_find(h, size + align + RTALLOC_MIN_BLOCK);
	if (!b)
		return NULL;
	b->size &= ~RTALLOC_FREE;
	h->free_bytes -= b->size;
	pay = (uintptr_t)rtalloc_payload(b);
	want = (pay + align - 1) & ~(uintptr_t)(align - 1);
	if (want != pay && want - pay < RTALLOC_MIN_BLOCK)
		want += align;
	if (want != pay)
		b = rtalloc_cut_front(h, b, want - pay);
	rtalloc_trim(h, b, size);
	return rtalloc_payload(b);
}

/* Grow used block b in place to `size` bytes by taking in its free
 * successor, if that gives enough; then trim. Returns whether it did. */
static bool rtalloc_grow(struct rtalloc_heap *h, struct rtalloc_block *b, size_t size)
{
	struct rtalloc_block *next = rtalloc_next(b);
	size_t have = rtalloc_size(b);

	if (!rtalloc_is_free(next) || have + rtalloc_size(next) < size)
		return false;
	rtalloc_remove(h, next);
	h->free_bytes -= rtalloc_size(next);
	b->size = have + rtalloc_size(next);
	rtalloc_next(b)->prev_phys = b;
	rtalloc_trim(h, b, size);
	return true;
}

/* Shrink used block b to `size` bytes: the tail, merged with a free
 * successor, becomes a free block. */
static void rtalloc_shrink(struct rtalloc_heap *h, struct rtalloc_block *b, size_t size)
{
	struct rtalloc_block *next = rtalloc_next(b);

	if (rtalloc_is_free(next)) {
		rtalloc_remove(h, next);
		h->free_bytes -= rtalloc_size(next);
		b->size += rtalloc_size(next);
		rtalloc_next(b)->prev_phys = b;
	}
	rtalloc_trim(h, b, size);
}

static void *rtalloc_realloc(void *p, size_t n)
{
	struct rtalloc_heap *h = &rtalloc_heap;
	struct rtalloc_block *b;
	size_t size;
	void *q;

	if (!p)
		return rtalloc_malloc(n);
	if (!n) {
		rtalloc_free(p);
		return NULL;
	}
	b = rtalloc_block_of(p);
	if (n > RT_REQUEST_MAX || ((uintptr_t)p & (RT_ALIGN - 1)) || rtalloc_is_free(b))
		return NULL;
	size = rtalloc_block_size(n);
	if (size <= rtalloc_size(b)) {
		rtalloc_shrink(h, b, size);
		return p;
	}
	if (rtalloc_grow(h, b, size))
		return p;
	q = rtalloc_malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, rtalloc_size(b) - RTALLOC_HEADER);
	rtalloc_free(p);
	return q;
}

size_t rt_heap_add(void *base, size_t size)
{
	size_t bytes = rtalloc_add(base, size);

	rtalloc_debug_check();
	return bytes;
}

void *rt_malloc(size_t size)
{
	void *p = rtalloc_malloc(size);

	rtalloc_debug_check();
	return p;
}

int rt_free(void *p)
{
	int err = rtalloc_free(p);

	rtalloc_debug_check();
	return err;
}

void *rt_memalign(size_t align, size_t size)
{
	void *p = rtalloc_memalign(align, size);

	rtalloc_debug_check();
	return p;
}

void *rt_realloc(void *ptr, size_t size)
{
	void *q = rtalloc_realloc(ptr, size);

	rtalloc_debug_check();
	return q;
}

size_t rtalloc_usable(const void *p)
{
	return rtalloc_size(rtalloc_block_of(p)) - RTALLOC_HEADER;
}

/* ----------------------------------------------------------------- checker
 *
 * rtalloc_check verifies:
 *  - each region: the prologue is a used block of 32 bytes; the blocks
 *    tile the region up to its epilogue (size 0); each block's size is at
 *    least 32, a multiple of 16 and inside the region; each prev_phys
 *    names the block before;
 *  - no two free blocks are adjacent;
 *  - each free block of the walk is linked into the list of its own class
 *    (its list neighbours point back at it, or it is the list's head);
 *  - each list: its sl_map bit is set exactly when it is non-empty; every
 *    block on it is free, of the list's class, with a prev_free link that
 *    agrees, and is a block of the heap (its successor's prev_phys points
 *    back); it is not longer than the heap has free blocks (no cycle);
 *  - each level: its fl_map bit is set exactly when its sl_map is not 0;
 *    no fl_map bit beyond the last level;
 *  - totals: the lists hold as many blocks as the walk found free (with
 *    the above: every free block is in exactly one list), and the free
 *    bytes walked equal the heap's running count.
 */

/* The checker's tallies, compared at the end. */
struct rtalloc_tally {
	unsigned errors;
	bool report;
	size_t free_walked, free_listed, free_bytes;
};

#define RTALLOC_CHECK(t, cond, ...)                                  \
	do {                                                         \
		if (!(cond)) {                                       \
			(t)->errors++;                               \
			if ((t)->report) {                           \
				rtalloc_say("rtalloc_check: " __VA_ARGS__); \
				rtalloc_say("\n");                   \
			}                                            \
		}                                                    \
	} while (0)

/* Is free block b linked where its class's list says? (Its neighbours in
 * the list point back at it; the list's head if it has no predecessor.) */
static bool rtalloc_linked(const struct rtalloc_heap *h, const struct rtalloc_block *b)
{
	unsigned fl, sl;

	rtalloc_class(rtalloc_size(b), &fl, &sl);
	if (b->next_free && b->next_free->prev_free != b)
		return false;
	if (b->prev_free)
		return b->prev_free->next_free == b;
	return h->heads[fl][sl] == b;
}

/* One region, from its prologue: blocks tile it up to its epilogue,
 * every boundary tag agrees, no two free blocks touch, each free block is
 * in its list. */
static void rtalloc_check_region(const struct rtalloc_heap *h, struct rtalloc_region *pro,
				 struct rtalloc_tally *t)
{
	struct rtalloc_block *prev = (struct rtalloc_block *)pro, *b = rtalloc_next(prev);
	uintptr_t end = (uintptr_t)pro->epilogue;
	bool prev_free = false;

	RTALLOC_CHECK(t, pro->size == RTALLOC_PROLOGUE, "region %p: bad prologue", (void *)pro);
	for (; (uintptr_t)b < end; prev = b, b = rtalloc_next(b)) {
		size_t s = rtalloc_size(b);
		RTALLOC_CHECK(t, b->prev_phys == prev, "block %p: prev_phys %p, not %p", (void *)b,
			      (void *)b->prev_phys, (void *)prev);
		RTALLOC_CHECK(t, s >= RTALLOC_MIN_BLOCK && !(s & (RT_ALIGN - 1)) && s <= end - (uintptr_t)b,
			      "block %p: bad size %#lx", (void *)b, (unsigned long)b->size);
		if (s < RTALLOC_MIN_BLOCK || (s & (RT_ALIGN - 1)) || s > end - (uintptr_t)b)
			return;
		RTALLOC_CHECK(t, !(prev_free && rtalloc_is_free(b)), "blocks %p and %p: adjacent free",
			      (void *)prev, (void *)b);
		prev_free = rtalloc_is_free(b);
		if (!prev_free)
			continue;
		t->free_walked++;
		t->free_bytes += s;
		RTALLOC_CHECK(t, rtalloc_linked(h, b), "free block %p: not in its list", (void *)b);
	}
	RTALLOC_CHECK(t, (uintptr_t)b == end && b->prev_phys == prev && b->size == 0,
		      "region %p: bad epilogue %p", (void *)pro, (void *)b);
}

/* One list: every block free, of the list's class, with links that agree,
 * and the bitmaps' bit set exactly when it is non-empty. */
/* NOLINTNEXTLINE(readability-function-size): RTALLOC_CHECK's do/if adds two levels */
static void rtalloc_check_list(const struct rtalloc_heap *h, unsigned fl, unsigned sl,
			       struct rtalloc_tally *t)
{
	const struct rtalloc_block *b = h->heads[fl][sl], *prev = NULL;
	bool bit = h->sl_map[fl] >> sl & 1;
	unsigned f, s;

	RTALLOC_CHECK(t, bit == (b != NULL), "list [%u][%u]: bitmap says %d", fl, sl, bit);
	for (; b; prev = b, b = b->next_free) {
		if (++t->free_listed > t->free_walked + 1) {
			RTALLOC_CHECK(t, false, "list [%u][%u]: more blocks than the heap has", fl, sl);
			return;
		}
		rtalloc_class(rtalloc_size(b), &f, &s);
		RTALLOC_CHECK(t, rtalloc_is_free(b), "list [%u][%u]: used block %p", fl, sl, (void *)b);
		RTALLOC_CHECK(t, f == fl && s == sl, "list [%u][%u]: block %p of class [%u][%u]", fl,
			      sl, (void *)b, f, s);
		RTALLOC_CHECK(t, b->prev_free == prev, "list [%u][%u]: block %p: bad prev_free", fl,
			      sl, (void *)b);
		RTALLOC_CHECK(t, rtalloc_next(b)->prev_phys == b, "list [%u][%u]: block %p: not a "
			      "block of the heap", fl, sl, (void *)b);
	}
}

unsigned rtalloc_check(bool report)
{
	const struct rtalloc_heap *h = &rtalloc_heap;
	struct rtalloc_tally t = {.report = report};

	for (struct rtalloc_region *pro = h->regions; pro; pro = pro->next)
		rtalloc_check_region(h, pro, &t);
	for (unsigned fl = 0; fl < RTALLOC_FL_COUNT; fl++) {
		RTALLOC_CHECK(&t, !!(h->fl_map >> fl & 1) == !!h->sl_map[fl],
			      "level %u: fl_map and sl_map disagree", fl);
		for (unsigned sl = 0; sl < RTALLOC_SL_COUNT; sl++)
			rtalloc_check_list(h, fl, sl, &t);
	}
	RTALLOC_CHECK(&t, !(h->fl_map >> RTALLOC_FL_COUNT), "fl_map: bits beyond the levels");
	RTALLOC_CHECK(&t, t.free_listed == t.free_walked, "%lu free blocks in lists, %lu in the heap",
		      (unsigned long)t.free_listed, (unsigned long)t.free_walked);
	RTALLOC_CHECK(&t, t.free_bytes == h->free_bytes, "free bytes: %lu counted, %lu walked",
		      (unsigned long)h->free_bytes, (unsigned long)t.free_bytes);
	return t.errors;
}

void rtalloc_stats(struct rt_heap_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (struct rtalloc_region *pro = rtalloc_heap.regions; pro; pro = pro->next) {
		st->regions++;
		for (struct rtalloc_block *b = rtalloc_next((struct rtalloc_block *)pro);
		     b != pro->epilogue; b = rtalloc_next(b)) {
			size_t s = rtalloc_size(b);
			st->total_bytes += s;
			if (!rtalloc_is_free(b)) {
				st->used_blocks++;
				st->used_bytes += s;
				continue;
			}
			st->free_blocks++;
			st->free_bytes += s;
			if (s - RTALLOC_HEADER > st->largest_free)
				st->largest_free = s - RTALLOC_HEADER;
		}
	}
}
