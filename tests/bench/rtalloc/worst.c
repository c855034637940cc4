/* SPDX-License-Identifier: MIT */
/*
 * rt-alloc's constructed worst cases (rt-alloc/rtalloc.c explains why
 * these are the longest paths). Each case rebuilds the heap from scratch
 * (rt_heap_reset, rt_heap_add of the whole heap), arranges the blocks,
 * and measures one call. Both series hold every case, RTB_WORST_REPS
 * times each: their maximum is the longest of the constructed paths.
 *
 * rt_malloc: case "fresh", a heap whose only free block is the big one
 * in the top level (the request's class is empty, the search goes to
 * the top level, the block taken is the last of its list and level, the
 * rest goes into an empty list); case "rest_joins", the same with a
 * second free block in the rest's class, so that the insertion also
 * links a list head; case "longest" (below).
 *
 * rt_free of a block between two free blocks: both are merged. Case
 * "alone": each neighbour is the only block of its list and level (each
 * removal clears both bits) and the merged block goes into an empty list
 * of an empty level. Case "crowded": each neighbour sits in the middle of
 * its list (both links updated) and the merged block joins a non-empty
 * list. Case "alone_joins": alone as above, and the merged block joins
 * a non-empty list.
 *
 * worst_malloc_longest and worst_free_alone_joins are the longest paths
 * (docs/rt-alloc.md counts their instructions); the others show how
 * little the branches change.
 */
#include "rtbench.h"

#define RTB_WORST_REPS 16
#define RTB_KIB(n) ((size_t)(n) << 10)

static uint32_t worst_malloc_v[3 * RTB_WORST_REPS], worst_free_v[3 * RTB_WORST_REPS];
/* Each of the cases below, RTB_WORST_REPS times. */
static unsigned worst_nm, worst_nf;

static void worst_heap(void *base, size_t size)
{
	rt_heap_reset();
	rt_heap_add(base, size);
}

/* A sample with a timer tick in it is left out (rtbench.h). */
static void worst_time_malloc(size_t n)
{
	void *p;
	uint32_t t = rtb_time_malloc(n, &p);

	if (t != RTB_INTERRUPTED)
		worst_malloc_v[worst_nm++] = p ? t : 0;
}

static void worst_time_free(void *p)
{
	uint32_t t = rtb_time_free(p);

	if (t != RTB_INTERRUPTED)
		worst_free_v[worst_nf++] = t;
}

static void worst_malloc_fresh(void *base, size_t size)
{
	worst_heap(base, size);
	worst_time_malloc(1);
}

/* A freed block of the same class as the rest the measured call splits
 * off: the rest joins a non-empty list. */
static void worst_malloc_rest_joins(void *base, size_t size)
{
	void *big, *guard;

	worst_heap(base, size);
	big = rt_malloc(size / 2 - 64);
	guard = rt_malloc(16);
	(void)guard;
	rt_free(big);          /* two blocks of about size/2: same class */
	worst_time_malloc(1);
}

static void worst_free_alone(void *base, size_t size)
{
	void *a, *b, *c;

	worst_heap(base, size);
	a = rt_malloc(RTB_KIB(1));
	b = rt_malloc(RTB_KIB(100));
	c = rt_malloc(RTB_KIB(5));
	rt_malloc(16);          /* keeps c apart from the rest of the heap */
	rt_free(a);
	rt_free(c);
	worst_time_free(b);
	(void)size;
}

/* Each neighbour in the middle of its list: a block of its class freed
 * before it and one after; a block of the merged class already free. */
static void worst_free_crowded(void *base, size_t size)
{
	void *a0, *a, *b, *c, *c0, *a2, *c2, *m;

	worst_heap(base, size);
	a0 = rt_malloc(RTB_KIB(1));
	rt_malloc(16);
	a = rt_malloc(RTB_KIB(1));
	b = rt_malloc(RTB_KIB(100));
	c = rt_malloc(RTB_KIB(5));
	rt_malloc(16);
	c0 = rt_malloc(RTB_KIB(5));
	rt_malloc(16);
	a2 = rt_malloc(RTB_KIB(1));
	rt_malloc(16);
	c2 = rt_malloc(RTB_KIB(5));
	rt_malloc(16);
	m = rt_malloc(RTB_KIB(106));
	rt_malloc(16);
	rt_free(a0);
	rt_free(c0);
	rt_free(m);
	rt_free(a);
	rt_free(c);
	rt_free(a2);
	rt_free(c2);
	worst_time_free(b);
}

/* The longest rt_malloc path: every size through the bit-scan branch of
 * the class mapping; the head of the request's own class, Y, is too
 * small; the search misses in the request's level (the blocks there, Y
 * and Z, are in classes below the fitting one) and finds B, the only
 * block of a higher level (both its bits cleared); the rest of B,
 * smaller than the request, joins Z's non-empty list. */
static void worst_malloc_longest(void *base, size_t size)
{
	void *b, *y, *z;

	worst_heap(base, size);
	b = rt_malloc(190000 - RT_OVERHEAD);     /* level 2^17: B */
	rt_malloc(16);
	y = rt_malloc(99000 - RT_OVERHEAD);      /* the request's class */
	rt_malloc(16);
	z = rt_malloc(89000 - RT_OVERHEAD);      /* the rest's class, 2^16 level */
	rt_malloc(16);
	rt_free(b);
	rt_free(y);
	rt_free(z);
	worst_time_malloc(100000);               /* rest: 190000 - 100016 */
}

/* The longest rt_free path: both neighbours merged, each the only block
 * of its list and level, and the merged block joins a non-empty list
 * (a block M of its class, in a level of its own). */
static void worst_free_alone_joins(void *base, size_t size)
{
	void *a, *b, *c, *m;
	size_t merged;

	worst_heap(base, size);
	a = rt_malloc(RTB_KIB(1));
	b = rt_malloc(RTB_KIB(100));
	c = rt_malloc(RTB_KIB(5));
	rt_malloc(16);
	merged = rtalloc_usable(a) + rtalloc_usable(b) + rtalloc_usable(c) + 3 * RT_OVERHEAD;
	m = rt_malloc(merged - RT_OVERHEAD);
	rt_malloc(16);
	rt_free(m);
	rt_free(a);
	rt_free(c);
	worst_time_free(b);
}

bool rtb_worst(void *base, size_t size, const char *suffix)
{
	static void (*const cases[])(void *, size_t) = {
		worst_malloc_fresh, worst_malloc_rest_joins, worst_malloc_longest,
		worst_free_alone, worst_free_crowded, worst_free_alone_joins,
	};

	worst_nm = worst_nf = 0;
	for (unsigned r = 0; r < RTB_WORST_REPS; r++)
		for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			cases[i](base, size);
			if (rtalloc_check(true))
				return false;
		}
	rt_heap_reset();
	rtb_report("malloc", "worst", suffix, worst_malloc_v, worst_nm);
	rtb_report("free", "worst", suffix, worst_free_v, worst_nf);
	return true;
}
