/* SPDX-License-Identifier: MIT */
/*
 * Flexpage decoding and the receive-window placement rule
 * (kernel/fpage.c), built from the real source for the host.
 */
#include <check.h>
#include "unit.h"
#include <stdlib.h>
#include <fpage.h>

#define KB(n) ((word_t)(n) << 10)
#define MB(n) ((word_t)(n) << 20)
#define GB(n) ((word_t)(n) << 30)

static struct map_place place(word_t snd, word_t hot, word_t win, bool *ok)
{
	struct map_place p = { 0, 0, 0 };

	*ok = map_placement(snd, hot, win, &p);
	return p;
}

START_TEST(decode_edges)
{
	word_t base;
	unsigned log2;

	ck_assert(!fpage_decode(FPAGE_NIL, &base, &log2));
	ck_assert(fpage_decode(FPAGE_COMPLETE, &base, &log2));
	ck_assert_uint_eq(base, 0);
	ck_assert_uint_eq(log2, FPAGE_MAX_LOG2);
	ck_assert(fpage_decode(fpage_make(0x7ffffffff000, 12, FPAGE_R), &base, &log2));
	ck_assert_uint_eq(base, 0x7ffffffff000);
	ck_assert(!fpage_decode(fpage_make(0x1000, 11, 0), &base, &log2));     /* too small */
	ck_assert(!fpage_decode(fpage_make(0, 48, 0), &base, &log2));          /* too big */
	ck_assert(!fpage_decode(fpage_make(0x1000, 13, 0), &base, &log2));     /* unaligned */
	ck_assert(!fpage_decode(fpage_make(0x800000000000, 12, 0), &base, &log2)); /* kernel */
	ck_assert(!fpage_decode(fpage_make(0x1000, 12, 0) | 0x400, &base, &log2)); /* reserved */
	ck_assert(fpage_decode(fpage_make(0, 47, 0), &base, &log2));
	ck_assert_uint_eq(log2, 47);
}
END_TEST

/* s == r: the fpage fills the window exactly, whatever the hot spot. */
START_TEST(same_size)
{
	bool ok;
	struct map_place p = place(fpage_make(MB(4), 12, FPAGE_RW), 0xdead000,
				   fpage_make(GB(1), 12, 0), &ok);

	ck_assert(ok);
	ck_assert_uint_eq(p.src, MB(4));
	ck_assert_uint_eq(p.dst, GB(1));
	ck_assert_uint_eq(p.size, KB(4));
}
END_TEST

/* s < r: the hot spot modulo the window, rounded down to the fpage size. */
START_TEST(small_into_large)
{
	bool ok;
	struct map_place p = place(fpage_make(MB(4), 12, FPAGE_RW), 0x12345678,
				   fpage_make(GB(1), 20, 0), &ok);

	ck_assert(ok);
	ck_assert_uint_eq(p.src, MB(4));
	ck_assert_uint_eq(p.dst, GB(1) + 0x45000);
	ck_assert_uint_eq(p.size, KB(4));
	/* a 2 MiB fpage into a 1 GiB window lands 2 MiB aligned */
	p = place(fpage_make(MB(2), 21, FPAGE_R), MB(3) + 0x1234, fpage_make(GB(1), 30, 0), &ok);
	ck_assert(ok);
	ck_assert_uint_eq(p.dst, GB(1) + MB(2));
	ck_assert_uint_eq(p.size, MB(2));
}
END_TEST

/* s > r: only the window-sized part holding the hot spot is sent. */
START_TEST(large_into_small)
{
	bool ok;
	struct map_place p = place(fpage_make(GB(1), 30, FPAGE_RW), GB(5) + MB(7) + 0x123,
				   fpage_make(MB(64), 21, 0), &ok);

	ck_assert(ok);
	ck_assert_uint_eq(p.src, GB(1) + MB(6));
	ck_assert_uint_eq(p.dst, MB(64));
	ck_assert_uint_eq(p.size, MB(2));
}
END_TEST

/* The complete window: the hot spot is the destination (pager replies). */
START_TEST(complete_window)
{
	bool ok;
	struct map_place p = place(fpage_make(0x30000004000, 12, FPAGE_RW), 0x10000005abc,
				   FPAGE_COMPLETE, &ok);

	ck_assert(ok);
	ck_assert_uint_eq(p.src, 0x30000004000);
	ck_assert_uint_eq(p.dst, 0x10000005000);
	/* a complete send fpage into a page window: the page at the hot spot */
	p = place(FPAGE_COMPLETE, 0x7000, fpage_make(MB(1), 12, 0), &ok);
	ck_assert(ok);
	ck_assert_uint_eq(p.src, 0x7000);
	ck_assert_uint_eq(p.dst, MB(1));
	ck_assert_uint_eq(p.size, KB(4));
	/* complete into complete: identity */
	p = place(FPAGE_COMPLETE, 0, FPAGE_COMPLETE, &ok);
	ck_assert(ok);
	ck_assert_uint_eq(p.src, 0);
	ck_assert_uint_eq(p.dst, 0);
	ck_assert_uint_eq(p.size, (word_t)1 << 47);
}
END_TEST

/* Nil or malformed fpages and windows transfer nothing. */
START_TEST(nothing_transferred)
{
	bool ok;

	place(FPAGE_NIL, 0, FPAGE_COMPLETE, &ok);
	ck_assert(!ok);
	place(fpage_make(MB(4), 12, FPAGE_RW), 0, FPAGE_NIL, &ok);
	ck_assert(!ok);
	place(fpage_make(MB(4) + KB(4), 13, FPAGE_RW), 0, FPAGE_COMPLETE, &ok);
	ck_assert(!ok);
	place(fpage_make(MB(4), 12, FPAGE_RW), 0, fpage_make(0xffff800000000000, 12, 0), &ok);
	ck_assert(!ok);
}
END_TEST

/* Random fpages and windows: the placement always stays inside both. */
START_TEST(random_inside)
{
	uint64_t x = 88172645463325252ull;

	for (int i = 0; i < 20000; i++) {
		unsigned s, r;
		word_t sb, wb, hot;
		struct map_place p;
		bool ok;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		s = 12 + (unsigned)(x % 36);
		r = 12 + (unsigned)((x >> 8) % 36);
		sb = (x >> 3) & (((word_t)1 << 47) - 1) & ~(((word_t)1 << s) - 1);
		wb = (x >> 5) & (((word_t)1 << 47) - 1) & ~(((word_t)1 << r) - 1);
		hot = x * 0x9e3779b97f4a7c15ull;
		p = place(fpage_make(sb, s, FPAGE_R), hot, fpage_make(wb, r, 0), &ok);
		ck_assert(ok);
		ck_assert_uint_eq(p.size, (word_t)1 << (s < r ? s : r));
		ck_assert(p.src >= sb && p.src + p.size <= sb + ((word_t)1 << s));
		ck_assert(p.dst >= wb && p.dst + p.size <= wb + ((word_t)1 << r));
		ck_assert_uint_eq(p.src & (p.size - 1), 0);
		ck_assert_uint_eq(p.dst & (p.size - 1), 0);
	}
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "decode_edges", decode_edges, 0 },
		{ "same_size", same_size, 0 },
		{ "small_into_large", small_into_large, 0 },
		{ "large_into_small", large_into_small, 0 },
		{ "complete_window", complete_window, 0 },
		{ "nothing_transferred", nothing_transferred, 0 },
		{ "random_inside", random_inside, 0 },
	};

	return unit_run(unit_suite("fpage", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL, 0));
}
