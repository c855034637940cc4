/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for rt-alloc/rtalloc.c. Every test builds a heap in a host
 * buffer filled with junk, checks the heap with rtalloc_check after each
 * change, and ends with the heap's free bytes back at the baseline.
 *
 * "random" runs seeded random operations (rt_malloc, rt_free,
 * rt_memalign, rt_realloc; sizes 1 B to 1 MiB, log-uniform) against a
 * model: the table of live blocks with their sizes and content patterns.
 * After each operation it checks the pointer (aligned, inside the heap,
 * overlapping no live block), the contents of the block touched (every
 * block is filled with its own byte; its ends and one byte per 4 KiB are
 * compared), that a NULL happened only when no free block was large
 * enough, the free bytes against the model's, and rtalloc_check.
 * Environment: RTALLOC_OPS (default 100000), RTALLOC_SEED,
 * RTALLOC_CHECK_EVERY (default 1: the checker after every operation);
 * `make soak-rtalloc` runs 10^7 operations.
 */
#include <check.h>
#include "unit.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rtalloc.h>

#define HEAP_BYTES (16u << 20)
#define SLOTS 512
#define MAX_REQUEST (1u << 20)

static uint8_t *heap_buf;
static size_t heap_usable;

static void heap_setup(size_t bytes)
{
	free(heap_buf);
	heap_buf = aligned_alloc(4096, bytes);
	ck_assert_ptr_nonnull(heap_buf);
	memset(heap_buf, 0xa5, bytes);
	rt_heap_reset();
	heap_usable = rt_heap_add(heap_buf, bytes);
	ck_assert_uint_eq(heap_usable, bytes - RT_REGION_OVERHEAD);
	ck_assert_uint_eq(rtalloc_check(true), 0);
}

static void setup(void)
{
	heap_setup(HEAP_BYTES);
}

static void teardown(void)
{
	rt_heap_reset();
	free(heap_buf);
	heap_buf = NULL;
}

static size_t free_bytes(void)
{
	struct rt_heap_stats st;

	rtalloc_stats(&st);
	return st.free_bytes;
}

static void assert_baseline(void)
{
	struct rt_heap_stats st;

	ck_assert_uint_eq(rtalloc_check(true), 0);
	rtalloc_stats(&st);
	ck_assert_uint_eq(st.free_bytes, heap_usable);
	ck_assert_uint_eq(st.used_blocks, 0);
	ck_assert_uint_eq(st.free_blocks, st.regions);
}

/* ------------------------------------------------------------ edge cases */

START_TEST(zero_bytes)
{
	void *p = rt_malloc(16);

	ck_assert_ptr_null(rt_malloc(0));
	ck_assert_ptr_null(rt_memalign(64, 0));
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(rt_realloc(p, 0));       /* frees p */
	ck_assert_int_eq(rt_free(NULL), 0);
	assert_baseline();
}
END_TEST

START_TEST(huge)
{
	ck_assert_ptr_null(rt_malloc(SIZE_MAX));
	ck_assert_ptr_null(rt_malloc(RT_REQUEST_MAX + 1));
	ck_assert_ptr_null(rt_malloc(RT_REQUEST_MAX));          /* valid, no room */
	ck_assert_ptr_null(rt_malloc(HEAP_BYTES));
	ck_assert_ptr_null(rt_memalign(4096, SIZE_MAX));
	ck_assert_ptr_null(rt_memalign(4096, SIZE_MAX - 4096));
	ck_assert_ptr_null(rt_realloc(NULL, SIZE_MAX));
	assert_baseline();
}
END_TEST

START_TEST(misaligned_heap)
{
	uint8_t *lo = heap_buf + 3, *hi = heap_buf + (1u << 20) - 5;
	void *p[64];

	rt_heap_reset();
	heap_usable = rt_heap_add(lo, (size_t)(hi - lo));
	ck_assert_uint_gt(heap_usable, 0);
	ck_assert_uint_eq(heap_usable % RT_ALIGN, 0);
	for (unsigned i = 0; i < 64; i++) {
		p[i] = rt_malloc(1 + i * 97);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq((uintptr_t)p[i] % RT_ALIGN, 0);
		ck_assert((uint8_t *)p[i] >= lo && (uint8_t *)p[i] + 1 + i * 97 <= hi);
		memset(p[i], i, 1 + i * 97);
	}
	ck_assert_uint_eq(rtalloc_check(true), 0);
	for (unsigned i = 0; i < 64; i++)
		ck_assert_int_eq(rt_free(p[i]), 0);
	assert_baseline();
}
END_TEST

START_TEST(tiny_heap_refused)
{
	rt_heap_reset();
	ck_assert_uint_eq(rt_heap_add(heap_buf, 79), 0);
	ck_assert_uint_eq(rt_heap_add(heap_buf + 1, 80), 0);
	ck_assert_uint_eq(rt_heap_add((void *)(UINTPTR_MAX - 100), 200), 0);
	ck_assert_ptr_null(rt_malloc(1));
	ck_assert_uint_eq(rtalloc_check(true), 0);
	ck_assert_uint_eq(rt_heap_add(heap_buf, 80), 32);
	ck_assert_ptr_nonnull(rt_malloc(1));
	ck_assert_ptr_null(rt_malloc(1));
	ck_assert_uint_eq(rtalloc_check(true), 0);
}
END_TEST

START_TEST(alignments)
{
	for (size_t align = 1; align <= (1u << 20); align <<= 1) {
		void *a = rt_malloc(40), *p = rt_memalign(align, 3 * align + 5), *b = rt_malloc(24);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % align, 0);
		ck_assert_uint_ge(rtalloc_usable(p), 3 * align + 5);
		memset(p, 0x11, 3 * align + 5);
		ck_assert_uint_eq(rtalloc_check(true), 0);
		ck_assert_int_eq(rt_free(p), 0);
		ck_assert_int_eq(rt_free(a), 0);
		ck_assert_int_eq(rt_free(b), 0);
		assert_baseline();
	}
	ck_assert_ptr_null(rt_memalign(48, 16));
	ck_assert_ptr_null(rt_memalign(RT_ALIGN_MAX * 2, 16));
	ck_assert_ptr_null(rt_memalign(1u << 25, 16));            /* no room */
	assert_baseline();
}
END_TEST

START_TEST(double_free_detected)
{
	void *a = rt_malloc(100), *b = rt_malloc(100), *c = rt_malloc(100);
	size_t before;

	ck_assert_int_eq(rt_free(b), 0);
	before = free_bytes();
	ck_assert_int_eq(rt_free(b), -1);
	ck_assert_int_eq(rt_free((char *)a + 8), -1);
	ck_assert_uint_eq(free_bytes(), before);
	ck_assert_uint_eq(rtalloc_check(true), 0);
	ck_assert_int_eq(rt_free(a), 0);                         /* merges into b's block */
	ck_assert_int_eq(rt_free(b), -1);
	ck_assert_int_eq(rt_free(a), -1);
	ck_assert_int_eq(rt_free(c), 0);
	assert_baseline();
}
END_TEST

START_TEST(exhaustion)
{
	static void *p[HEAP_BYTES / 4096];
	unsigned n = 0;

	while ((p[n] = rt_malloc(4096 - RT_OVERHEAD)) != NULL)
		n++;
	ck_assert_uint_gt(n, HEAP_BYTES / 4096 - 4);
	ck_assert_ptr_null(rt_malloc(1u << 16));
	ck_assert_ptr_null(rt_memalign(4096, 4096));
	ck_assert_uint_eq(rtalloc_check(true), 0);
	while (n)
		ck_assert_int_eq(rt_free(p[--n]), 0);
	assert_baseline();
	p[0] = rt_malloc(heap_usable - heap_usable / 16);     /* almost all, in one */
	ck_assert_ptr_nonnull(p[0]);
	ck_assert_int_eq(rt_free(p[0]), 0);
	assert_baseline();
}
END_TEST

START_TEST(merge_both_neighbours)
{
	void *a = rt_malloc(1000), *b = rt_malloc(2000), *c = rt_malloc(3000), *d = rt_malloc(10);
	struct rt_heap_stats st;

	ck_assert_int_eq(rt_free(a), 0);
	ck_assert_int_eq(rt_free(c), 0);
	rtalloc_stats(&st);
	ck_assert_uint_eq(st.free_blocks, 3);
	ck_assert_int_eq(rt_free(b), 0);
	rtalloc_stats(&st);
	ck_assert_uint_eq(st.free_blocks, 2);
	ck_assert_uint_ge(st.largest_free, 6000);
	ck_assert_uint_eq(rtalloc_check(true), 0);
	ck_assert_int_eq(rt_free(d), 0);
	assert_baseline();
}
END_TEST

START_TEST(realloc_in_place_and_moving)
{
	uint8_t *a = rt_malloc(100), *b, *c, *m;

	memset(a, 7, 100);
	b = rt_malloc(100);
	ck_assert_ptr_eq(rt_realloc(a, 60), a);                  /* shrink in place */
	ck_assert_ptr_eq(rt_realloc(b, 5000), b);                /* grow into free next */
	memset(b, 9, 5000);
	c = rt_malloc(10);                                        /* blocks b's growth */
	m = rt_realloc(a, 3000);                                  /* must move */
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_ne(m, a);
	for (unsigned i = 0; i < 60; i++)
		ck_assert_uint_eq(m[i], 7);
	ck_assert_ptr_null(rt_realloc(m, HEAP_BYTES));            /* fails: m intact */
	for (unsigned i = 0; i < 60; i++)
		ck_assert_uint_eq(m[i], 7);
	ck_assert_uint_eq(rtalloc_check(true), 0);
	ck_assert_ptr_eq(rt_realloc(b, 100), b);
	for (unsigned i = 0; i < 100; i++)
		ck_assert_uint_eq(b[i], 9);
	ck_assert_ptr_null(rt_realloc(m, 0));
	ck_assert_int_eq(rt_free(b), 0);
	ck_assert_int_eq(rt_free(c), 0);
	assert_baseline();
}
END_TEST

START_TEST(two_regions)
{
	struct rt_heap_stats st;
	void *p, *q;

	rt_heap_reset();
	ck_assert_uint_gt(rt_heap_add(heap_buf, 1u << 20), 0);
	ck_assert_uint_gt(rt_heap_add(heap_buf + (2u << 20), 1u << 20), 0);
	heap_usable = 2 * ((1u << 20) - RT_REGION_OVERHEAD);
	p = rt_malloc(900000);
	q = rt_malloc(900000);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_null(rt_malloc(900000));
	rtalloc_stats(&st);
	ck_assert_uint_eq(st.regions, 2);
	ck_assert_uint_eq(rtalloc_check(true), 0);
	ck_assert_int_eq(rt_free(p), 0);
	ck_assert_int_eq(rt_free(q), 0);
	assert_baseline();
}
END_TEST

/* The checker must notice a broken boundary tag, a broken free-list
 * link and adjacent free blocks. */
START_TEST(check_catches_corruption)
{
	uint8_t *a = rt_malloc(100), *b = rt_malloc(100), *c = rt_malloc(100);
	size_t saved;
	uint64_t link;

	rt_free(b);
	ck_assert_uint_eq(rtalloc_check(false), 0);
	memcpy(&saved, c - 8, 8);                    /* c's size field */
	memset(c - 8, 0x40, 8);
	ck_assert_uint_gt(rtalloc_check(false), 0);
	memcpy(c - 8, &saved, 8);
	ck_assert_uint_eq(rtalloc_check(false), 0);
	memcpy(&link, b + 8, 8);                     /* b's prev_free link */
	memcpy(b + 8, &a, 8);
	ck_assert_uint_gt(rtalloc_check(false), 0);
	memcpy(b + 8, &link, 8);
	ck_assert_uint_eq(rtalloc_check(false), 0);
	memcpy(&saved, a - 8, 8);                    /* a "free" beside free b */
	*(a - 8) |= 1;
	ck_assert_uint_gt(rtalloc_check(false), 0);
	memcpy(a - 8, &saved, 8);
	ck_assert_uint_eq(rtalloc_check(false), 0);
	rt_free(a);
	rt_free(c);
	assert_baseline();
}
END_TEST

/* ---------------------------------------------------------- random model */

/* Check records the place of every ck_assert it passes (a write to a
 * file each): too slow for millions of checks, so the model checks with
 * this and calls Check only to fail. */
#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond))                                                 \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

struct slot {
	uint8_t *p;
	size_t n;
	uint8_t fill;
};

static struct slot slots[SLOTS];
static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* 1 B to 1 MiB, log-uniform. */
static size_t random_size(void)
{
	unsigned bits = (unsigned)(rng() % 21);
	size_t lo = (size_t)1 << bits >> 1;

	return lo + 1 + rng() % (lo ? lo : 1);
}

static unsigned long env_ulong(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : dflt;
}

/* Does the block of slot s hold its pattern (ends, and a byte per 4 KiB)? */
static void slot_verify(const struct slot *s)
{
	size_t edge = s->n < 256 ? s->n : 256;

	for (size_t i = 0; i < edge; i++) {
		REQUIRE((s->p[i]) == (s->fill));
		REQUIRE((s->p[s->n - 1 - i]) == (s->fill));
	}
	for (size_t i = 0; i < s->n; i += 4096)
		REQUIRE((s->p[i]) == (s->fill));
}

/* A new block p of n bytes: aligned, inside the heap, apart from every
 * live block; then filled with its pattern. */
static void slot_fill(struct slot *s, uint8_t *p, size_t n, size_t align)
{
	REQUIRE(((uintptr_t)p % align) == (0));
	REQUIRE(p >= heap_buf && p + n <= heap_buf + HEAP_BYTES);
	REQUIRE(rtalloc_usable(p) >= n);
	for (unsigned i = 0; i < SLOTS; i++)
		if (slots[i].p && &slots[i] != s)
			REQUIRE(p + n <= slots[i].p || slots[i].p + slots[i].n <= p);
	s->p = p;
	s->n = n;
	s->fill = (uint8_t)rng();
	memset(p, s->fill, n);
}

/* A NULL for n bytes (plus alignment slack) is right only if no free
 * block could hold it: the search skips at most 1/32 of a size class. */
static void null_allowed(size_t n, size_t slack)
{
	struct rt_heap_stats st;
	size_t need = n + slack;

	rtalloc_stats(&st);
	REQUIRE(st.largest_free < need + need / 32 + 2 * RT_OVERHEAD + 32);
}

static size_t model_used;      /* bytes of the live blocks, headers included */

static void op_alloc(struct slot *s, bool aligned)
{
	size_t n = random_size(), align = aligned ? (size_t)1 << (rng() % 21) : RT_ALIGN;
	uint8_t *p = aligned ? rt_memalign(align, n) : rt_malloc(n);

	if (!p) {
		null_allowed(n, aligned ? align + 32 : 0);
		return;
	}
	slot_fill(s, p, n, align < RT_ALIGN ? RT_ALIGN : align);
	model_used += rtalloc_usable(p) + RT_OVERHEAD;
}

static void op_free(struct slot *s)
{
	slot_verify(s);
	model_used -= rtalloc_usable(s->p) + RT_OVERHEAD;
	REQUIRE(rt_free(s->p) == 0);
	s->p = NULL;
}

static void op_realloc(struct slot *s)
{
	size_t n = random_size(), keep = n < s->n ? n : s->n, old = rtalloc_usable(s->p);
	uint8_t *p;

	slot_verify(s);
	p = rt_realloc(s->p, n);
	if (!p) {
		null_allowed(n, 0);
		slot_verify(s);
		return;
	}
	for (size_t i = 0; i < keep; i += 1 + keep / 64)
		REQUIRE((p[i]) == (s->fill));
	s->p = NULL;
	model_used += rtalloc_usable(p) - old;
	slot_fill(s, p, n, RT_ALIGN);
}

static void random_op(void)
{
	struct slot *s = &slots[rng() % SLOTS];
	unsigned what = (unsigned)(rng() % 100);

	if (!s->p)
		op_alloc(s, what < 20);
	else if (what < 70)
		op_free(s);
	else
		op_realloc(s);
}

START_TEST(random_ops)
{
	unsigned long ops = env_ulong("RTALLOC_OPS", 100000);
	unsigned long every = env_ulong("RTALLOC_CHECK_EVERY", 1);

	rng_state = env_ulong("RTALLOC_SEED", 0x9e3779b97f4a7c15ull) | 1;
	memset(slots, 0, sizeof(slots));
	model_used = 0;
	for (unsigned long i = 1; i <= ops; i++) {
		random_op();
		if (i % every)
			continue;
		REQUIRE((rtalloc_check(true)) == (0));
		REQUIRE((free_bytes()) == (heap_usable - model_used));
	}
	for (unsigned i = 0; i < SLOTS; i++)
		if (slots[i].p)
			op_free(&slots[i]);
	assert_baseline();
	if (ops >= 1000000)
		printf("rtalloc: %lu random operations, checker every %lu, seed %#lx: ok\n", ops,
		       every, (unsigned long)env_ulong("RTALLOC_SEED", 0x9e3779b97f4a7c15ull));
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "zero_bytes", zero_bytes, 0 },
		{ "huge", huge, 0 },
		{ "misaligned_heap", misaligned_heap, 0 },
		{ "tiny_heap_refused", tiny_heap_refused, 0 },
		{ "alignments", alignments, 0 },
		{ "double_free_detected", double_free_detected, 0 },
		{ "exhaustion", exhaustion, 0 },
		{ "merge_both_neighbours", merge_both_neighbours, 0 },
		{ "realloc_in_place_and_moving", realloc_in_place_and_moving, 0 },
		{ "two_regions", two_regions, 0 },
		{ "check_catches_corruption", check_catches_corruption, 0 },
		{ "random_ops", random_ops, 0 },
	};

	return unit_run(unit_suite("rtalloc", tests, sizeof(tests) / sizeof(tests[0]), setup,
				   teardown, 600));
}
