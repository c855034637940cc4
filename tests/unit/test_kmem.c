/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for kernel/kmem.c, xv6 style: each test counts the pool's free
 * bytes before and after, and kmem_check runs after every change of state.
 * The pool is donated from one page-aligned host buffer, filled with junk
 * first so that "zeroed" means zeroed by kmem. Each test is its own TCase:
 * CK_RUN_CASE=name runs one alone.
 */
#include <check.h>
#include "unit.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>

#define POOL_PAGES 64
#define POISON 0xdb

static uint8_t *pool;
static size_t baseline;

/* A fresh pool of `pages` pages. */
static void pool_setup(size_t pages)
{
	kmem_init();
	free(pool);
	pool = aligned_alloc(KMEM_PAGE, pages * KMEM_PAGE);
	ck_assert_ptr_nonnull(pool);
	memset(pool, 0x5a, pages * KMEM_PAGE);
	kmem_add_region((uintptr_t)pool, pages * KMEM_PAGE);
	baseline = kmem_free_bytes();
	ck_assert_uint_eq(baseline, pages * KMEM_PAGE);
	ck_assert(kmem_check());
}

static void setup(void)
{
	pool_setup(POOL_PAGES);
}

static void teardown(void)
{
	kmem_init();
	free(pool);
	pool = NULL;
}

static bool inside_pool(const void *p, size_t size, size_t pages)
{
	return (const uint8_t *)p >= pool && (const uint8_t *)p + size <= pool + pages * KMEM_PAGE;
}

/* The size kmem charges for `size`: the next power of two, at least 32. */
static size_t rounded(size_t size)
{
	size_t r = KMEM_MIN_OBJECT;

	while (r < size)
		r *= 2;
	return r;
}

static bool all_bytes(const void *p, int c, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (uint8_t)c)
			return false;
	return true;
}

START_TEST(add_region)
{
	ck_assert_uint_eq(kmem_total_bytes(), POOL_PAGES * KMEM_PAGE);
	/* An unaligned donation keeps only the whole pages inside it. */
	kmem_init();
	kmem_add_region((uintptr_t)pool + 100, 3 * KMEM_PAGE);
	ck_assert_uint_eq(kmem_total_bytes(), 2 * KMEM_PAGE);
	ck_assert_uint_eq(kmem_free_bytes(), 2 * KMEM_PAGE);
	kmem_add_region((uintptr_t)pool + 3 * KMEM_PAGE, KMEM_PAGE - 1);
	ck_assert_uint_eq(kmem_total_bytes(), 2 * KMEM_PAGE);
	ck_assert(kmem_check());
	kmem_init();
	ck_assert_uint_eq(kmem_free_bytes(), 0);
	ck_assert_uint_eq(kmem_total_bytes(), 0);
	ck_assert(kmem_check());
}
END_TEST

START_TEST(each_size_class)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);

	for (size_t size = KMEM_MIN_OBJECT; size <= KMEM_PAGE; size *= 2) {
		uint8_t *p = kmem_alloc(&a, size);
		ck_assert_ptr_nonnull(p);
		ck_assert(inside_pool(p, size, POOL_PAGES));
		ck_assert_uint_eq((uintptr_t)p % size, 0);
		ck_assert(all_bytes(p, 0, size));
		ck_assert_uint_eq(a.used, size);
		ck_assert(kmem_check());
		memset(p, 0xee, size);
		kmem_free(&a, p, size);
		ck_assert_uint_eq(a.used, 0);
		ck_assert_uint_eq(kmem_free_bytes(), baseline);
		ck_assert(kmem_check());
	}
}
END_TEST

START_TEST(rounded_sizes)
{
	static const size_t sizes[][2] = {
		{ 1, 32 }, { 31, 32 }, { 33, 64 }, { 100, 128 }, { 257, 512 },
		{ 1025, 2048 }, { 2049, 4096 }, { 4095, 4096 },
	};
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);
	void *p[8];
	size_t used = 0;

	for (int i = 0; i < 8; i++) {
		p[i] = kmem_alloc(&a, sizes[i][0]);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq((uintptr_t)p[i] % sizes[i][1], 0);
		ck_assert(all_bytes(p[i], 0, sizes[i][1]));
		used += sizes[i][1];
		ck_assert_uint_eq(a.used, used);
	}
	for (int i = 0; i < 8; i++) {
		kmem_free(&a, p[i], sizes[i][0]);
		used -= sizes[i][1];
		ck_assert_uint_eq(a.used, used);
		ck_assert(kmem_check());
	}
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
}
END_TEST

START_TEST(zeroed_after_reuse)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);

	for (size_t size = KMEM_MIN_OBJECT; size <= KMEM_PAGE; size *= 2) {
		void *keep = kmem_alloc(&a, size);   /* keeps a small page alive */
		uint8_t *p = kmem_alloc(&a, size);
		memset(p, 0xff, size);
		kmem_free(&a, p, size);
		ck_assert(all_bytes(p + 8, POISON, size - 8));   /* poisoned, but for the link */
		p = kmem_alloc(&a, size);
		ck_assert(all_bytes(p, 0, size));
		kmem_free(&a, p, size);
		kmem_free(&a, keep, size);
	}
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
	ck_assert(kmem_check());
}
END_TEST

/* Fill the pool with objects of one class; they are distinct, aligned and
 * keep what is written into them. */
START_TEST(objects_disjoint)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);
	static void *p[POOL_PAGES * 128];

	for (size_t size = KMEM_MIN_OBJECT; size <= KMEM_PAGE; size *= 2) {
		size_t n = 0;
		while ((p[n] = kmem_alloc(&a, size)) != NULL) {
			ck_assert(inside_pool(p[n], size, POOL_PAGES));
			memset(p[n], (int)(n & 0xff), size);
			n++;
		}
		/* Every page used; each page loses one slot to the header. */
		size_t per_page = size == KMEM_PAGE ? 1 : KMEM_PAGE / size - 1;
		ck_assert_uint_eq(n, POOL_PAGES * per_page);
		/* free bytes = total - allocated: the header slots stay "free" */
		ck_assert_uint_eq(kmem_free_bytes(), size == KMEM_PAGE ? 0 : POOL_PAGES * size);
		ck_assert(kmem_check());
		for (size_t i = 0; i < n; i++)
			if (!all_bytes(p[i], (int)(i & 0xff), size))
				ck_abort_msg("object %zu of size %zu overwritten", i, size);
		for (size_t i = 0; i < n; i++)
			kmem_free(&a, p[i], size);
		ck_assert_uint_eq(a.used, 0);
		ck_assert_uint_eq(kmem_free_bytes(), baseline);
		ck_assert(kmem_check());
	}
}
END_TEST

START_TEST(per_account)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX), b = KMEM_ACCOUNT_ROOT(SIZE_MAX);
	void *pa = kmem_alloc(&a, 64), *pb = kmem_alloc(&b, 4096), *pa2 = kmem_alloc(&a, 100);

	ck_assert_uint_eq(a.used, 64 + 128);
	ck_assert_uint_eq(b.used, 4096);
	kmem_free(&a, pa, 64);
	ck_assert_uint_eq(a.used, 128);
	ck_assert_uint_eq(b.used, 4096);
	kmem_free(&b, pb, 4096);
	kmem_free(&a, pa2, 100);
	ck_assert_uint_eq(a.used, 0);
	ck_assert_uint_eq(b.used, 0);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
}
END_TEST

START_TEST(quota_exhaustion)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(128);
	void *p1, *p2;
	size_t before;

	ck_assert_ptr_nonnull(p1 = kmem_alloc(&a, 64));
	ck_assert_ptr_nonnull(p2 = kmem_alloc(&a, 64));   /* exactly the quota */
	ck_assert_uint_eq(a.used, 128);
	before = kmem_free_bytes();
	ck_assert_ptr_null(kmem_alloc(&a, 1));
	ck_assert_ptr_null(kmem_alloc(&a, 4096));
	ck_assert_uint_eq(a.used, 128);
	ck_assert_uint_eq(kmem_free_bytes(), before);
	ck_assert(kmem_check());
	kmem_free(&a, p1, 64);
	ck_assert_ptr_nonnull(p1 = kmem_alloc(&a, 33));   /* room again */
	kmem_free(&a, p1, 33);
	kmem_free(&a, p2, 64);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);

	/* A zero quota: every allocation fails, the pool is not touched. */
	a = (struct kmem_account)KMEM_ACCOUNT_ROOT(0);
	ck_assert_ptr_null(kmem_alloc(&a, 32));
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
	ck_assert(kmem_check());
}
END_TEST

START_TEST(pool_exhaustion)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);
	void *p[4];

	pool_setup(4);
	for (int i = 0; i < 4; i++)
		ck_assert_ptr_nonnull(p[i] = kmem_alloc(&a, KMEM_PAGE));
	ck_assert_uint_eq(kmem_free_bytes(), 0);
	ck_assert_ptr_null(kmem_alloc(&a, KMEM_PAGE));
	ck_assert_ptr_null(kmem_alloc(&a, 32));
	ck_assert_uint_eq(a.used, 4 * KMEM_PAGE);
	ck_assert(kmem_check());
	for (int i = 0; i < 4; i++)
		kmem_free(&a, p[i], KMEM_PAGE);
	ck_assert_uint_eq(a.used, 0);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
	ck_assert(kmem_check());
}
END_TEST

/* Nested accounts: children draw credit from their parent in
 * KMEM_CREDIT steps, together at most its limit (7/8 of its quota); the
 * parent's own objects may use the rest; unused credit goes back. */
START_TEST(nested_quotas)
{
	enum { C = KMEM_CREDIT, P = KMEM_PAGE };
	struct kmem_account parent, c1, c2;
	void *p1[7 * C / P], *p2[C / P + 2], *pp[C / P + 2];
	unsigned n1 = 0, n2 = 0, np = 0;

	pool_setup(9 * C / P);
	kmem_account_init(&parent, NULL, 8 * C, false);
	kmem_account_init(&c1, &parent, 8 * C, false);
	kmem_account_init(&c2, &parent, 8 * C, false);
	ck_assert_uint_eq(parent.limit, 7 * C);
	while (n1 < 7 * C / P && (p1[n1] = kmem_alloc(&c1, P)))
		n1++;
	ck_assert_uint_eq(n1, 7 * C / P);                  /* all of the children's share */
	ck_assert_ptr_null(kmem_alloc(&c1, 32));
	ck_assert_uint_eq(parent.used, 7 * C);
	ck_assert_ptr_null(kmem_alloc(&c2, 32));
	for (unsigned i = 0; i < 2 * C / P; i++)
		kmem_free(&c1, p1[--n1], P);
	ck_assert_uint_eq(c1.held, 7 * C);                 /* two steps of slack are kept */
	kmem_free(&c1, p1[--n1], P);
	ck_assert_uint_eq(c1.held, 6 * C - P);             /* beyond one step goes back */
	while (n2 < C / P + 2 && (p2[n2] = kmem_alloc(&c2, P)))
		n2++;
	ck_assert_uint_eq(n2, C / P + 1);                  /* a step, then what is left */
	ck_assert_uint_eq(parent.used, 7 * C);
	while (np < C / P + 2 && (pp[np] = kmem_alloc(&parent, P)))
		np++;
	ck_assert_uint_eq(np, C / P);                      /* the parent's own eighth */
	ck_assert(kmem_fits(&c2, 0) && !kmem_fits(&c2, P));
	kmem_move(&c1, &c2, 32);                           /* a grant moves a charge */
	kmem_move(&c2, &c1, 32);
	while (np)
		kmem_free(&parent, pp[--np], P);
	while (n2)
		kmem_free(&c2, p2[--n2], P);
	while (n1)
		kmem_free(&c1, p1[--n1], P);
	kmem_account_fini(&c1);
	kmem_account_fini(&c2);
	ck_assert_uint_eq(parent.used, 0);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
	ck_assert(kmem_check());
}
END_TEST

/* The reserve: accounts that leave it stop 1/16 of the pool (at least
 * KMEM_RESERVE_MIN) before the end; the others go on to the last page. */
START_TEST(pool_reserve)
{
	enum { PAGES = 128 };
	struct kmem_account task, boot;
	size_t reserve = KMEM_RESERVE_MIN / KMEM_PAGE, n = 0, m = 0;
	void *p[PAGES];

	pool_setup(PAGES);
	kmem_account_init(&task, NULL, SIZE_MAX, true);
	kmem_account_init(&boot, NULL, SIZE_MAX, false);
	while (n < PAGES && (p[n] = kmem_alloc(&task, KMEM_PAGE)))
		n++;
	ck_assert_uint_eq(n, PAGES - reserve);
	ck_assert_ptr_null(kmem_alloc(&task, 32));         /* a fresh slab page: no */
	while (n + m < PAGES && (p[n + m] = kmem_alloc(&boot, KMEM_PAGE)))
		m++;
	ck_assert_uint_eq(m, reserve);
	ck_assert_uint_eq(kmem_free_bytes(), 0);
	ck_assert(kmem_check());
	for (size_t i = 0; i < n + m; i++)
		kmem_free(i < n ? &task : &boot, p[i], KMEM_PAGE);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
}
END_TEST

START_TEST(slab_page_returned)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);
	void *small, *big;

	pool_setup(2);
	ck_assert_ptr_nonnull(small = kmem_alloc(&a, 32));
	/* Free bytes are total minus allocated: only the object counts. */
	ck_assert_uint_eq(kmem_free_bytes(), baseline - 32);
	ck_assert_ptr_nonnull(big = kmem_alloc(&a, KMEM_PAGE));
	ck_assert_ptr_null(kmem_alloc(&a, KMEM_PAGE));
	kmem_free(&a, small, 32);
	ck_assert(kmem_check());
	ck_assert_uint_eq(kmem_free_bytes(), KMEM_PAGE);
	ck_assert_ptr_nonnull(small = kmem_alloc(&a, KMEM_PAGE));   /* the slab's page */
	kmem_free(&a, small, KMEM_PAGE);
	kmem_free(&a, big, KMEM_PAGE);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
	ck_assert(kmem_check());
}
END_TEST

/* A full slab (off the partial list) goes back to the list on its first
 * free and to the page list on its last. */
START_TEST(slab_full_then_empty)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);
	void *p[3];

	pool_setup(1);
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(p[i] = kmem_alloc(&a, 1024));   /* 3 per page */
	ck_assert_ptr_null(kmem_alloc(&a, 1024));
	ck_assert(kmem_check());
	kmem_free(&a, p[1], 1024);
	ck_assert(kmem_check());
	ck_assert_ptr_eq(kmem_alloc(&a, 1024), p[1]);
	kmem_free(&a, p[0], 1024);
	kmem_free(&a, p[2], 1024);
	kmem_free(&a, p[1], 1024);
	ck_assert(kmem_check());
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
	ck_assert_ptr_nonnull(p[0] = kmem_alloc(&a, KMEM_PAGE));
	kmem_free(&a, p[0], KMEM_PAGE);
}
END_TEST

START_TEST(free_null)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);

	kmem_free(&a, NULL, 64);
	ck_assert_uint_eq(a.used, 0);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
	ck_assert(kmem_check());
}
END_TEST

START_TEST(page_poisoned)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);
	uint8_t *p = kmem_alloc(&a, KMEM_PAGE);

	memset(p, 0x11, KMEM_PAGE);
	kmem_free(&a, p, KMEM_PAGE);
	ck_assert(all_bytes(p + sizeof(void *), POISON, KMEM_PAGE - sizeof(void *)));
}
END_TEST

/* The checker notices a freed object written after free. */
START_TEST(check_catches_corruption)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);
	void *keep = kmem_alloc(&a, 64);
	void **p = kmem_alloc(&a, 64);

	kmem_free(&a, p, 64);
	ck_assert(kmem_check());
	*p = pool + 5 * KMEM_PAGE + 64;   /* a link into another page */
	ck_assert(!kmem_check());
	*p = p;                           /* a cycle */
	ck_assert(!kmem_check());
	(void)keep;
}
END_TEST

/* The checker notices a broken link of a class's list of partial slabs
 * (lib/list.h; the slab header in slot 0 starts with its links). */
START_TEST(check_catches_broken_partial_list)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);
	void *p = kmem_alloc(&a, 64);
	void **links = (void **)((uintptr_t)p & ~(uintptr_t)(KMEM_PAGE - 1));
	void *prev = links[1];

	ck_assert(kmem_check());
	links[1] = links;                 /* the back link points at itself */
	ck_assert(!kmem_check());
	links[1] = prev;
	ck_assert(kmem_check());
	kmem_free(&a, p, 64);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
}
END_TEST

/* Kernel-internal misuse is an assertion, not an error code. */
START_TEST(oversize_asserts)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);

	kmem_alloc(&a, KMEM_PAGE + 1);
}
END_TEST

START_TEST(zero_size_asserts)
{
	struct kmem_account a = KMEM_ACCOUNT_ROOT(SIZE_MAX);

	kmem_alloc(&a, 0);
}
END_TEST

/* Random allocations and frees of every class against two accounts. */
START_TEST(stress)
{
	enum { SLOTS = 512 };
	static struct { void *p; size_t size; int acct; } live[SLOTS];
	struct kmem_account acct[2] = { KMEM_ACCOUNT_ROOT(SIZE_MAX), KMEM_ACCOUNT_ROOT(8 * KMEM_PAGE) };
	size_t used[2] = { 0, 0 };
	unsigned seed = 7, refused[2] = { 0, 0 };

	pool_setup(24);   /* small enough to run dry now and then */
	memset(live, 0, sizeof(live));
	for (int step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned i = (seed >> 8) % SLOTS;
		if (live[i].p) {
			if (!all_bytes(live[i].p, (int)(i & 0xff), live[i].size))
				ck_abort_msg("step %d: object %u overwritten", step, i);
			kmem_free(&acct[live[i].acct], live[i].p, live[i].size);
			used[live[i].acct] -= rounded(live[i].size);
			live[i].p = NULL;
		} else {
			size_t size = 1 + (seed >> 12) % (1u << ((seed >> 20) % 13));
			int ac = (seed >> 28) & 1;
			if (size > KMEM_PAGE)
				size = KMEM_PAGE;
			live[i].p = kmem_alloc(&acct[ac], size);
			if (live[i].p) {
				live[i].size = size, live[i].acct = ac;
				used[ac] += rounded(size);
				if (!all_bytes(live[i].p, 0, size))
					ck_abort_msg("step %d: not zeroed", step);
				memset(live[i].p, (int)(i & 0xff), size);
			} else {
				refused[ac]++;
			}
		}
		if (!kmem_check() || acct[0].used != used[0] || acct[1].used != used[1])
			ck_abort_msg("step %d: check failed", step);
	}
	/* Both the pool (account 0 is unlimited) and the quota ran out. */
	ck_assert_uint_gt(refused[0], 0);
	ck_assert_uint_gt(refused[1], 0);
	for (unsigned i = 0; i < SLOTS; i++)
		if (live[i].p)
			kmem_free(&acct[live[i].acct], live[i].p, live[i].size);
	ck_assert_uint_eq(acct[0].used, 0);
	ck_assert_uint_eq(acct[1].used, 0);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
	ck_assert(kmem_check());
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "add_region", add_region, 0 },
		{ "each_size_class", each_size_class, 0 },
		{ "rounded_sizes", rounded_sizes, 0 },
		{ "zeroed_after_reuse", zeroed_after_reuse, 0 },
		{ "objects_disjoint", objects_disjoint, 0 },
		{ "per_account", per_account, 0 },
		{ "quota_exhaustion", quota_exhaustion, 0 },
		{ "pool_exhaustion", pool_exhaustion, 0 },
		{ "nested_quotas", nested_quotas, 0 },
		{ "pool_reserve", pool_reserve, 0 },
		{ "slab_page_returned", slab_page_returned, 0 },
		{ "slab_full_then_empty", slab_full_then_empty, 0 },
		{ "free_null", free_null, 0 },
		{ "page_poisoned", page_poisoned, 0 },
		{ "check_catches_corruption", check_catches_corruption, 0 },
		{ "check_catches_broken_partial_list", check_catches_broken_partial_list, 0 },
		{ "oversize_asserts", oversize_asserts, SIGABRT },
		{ "zero_size_asserts", zero_size_asserts, SIGABRT },
		{ "stress", stress, 0 },
	};

	return unit_run(unit_suite("kmem", tests, sizeof(tests) / sizeof(tests[0]), setup, teardown, 0));
}
