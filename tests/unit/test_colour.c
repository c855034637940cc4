/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the colouring pager's core (rt-alloc/colour_core.c):
 * geometry, colour sets, and the pool against a model, with colour_check
 * after every operation.
 */
#include <check.h>
#include "unit.h"
#include <stdlib.h>
#include <string.h>

#include "../../rt-alloc/colour_core.h"

#define NPFN 4096

static uint32_t next_arr[NPFN];
static uint8_t state_arr[NPFN];
static struct colour_pool pool;

static void pool_setup(unsigned ncolours, uint32_t first, uint32_t n)
{
	memset(state_arr, 0, sizeof(state_arr));
	colour_pool_init(&pool, ncolours, next_arr, state_arr, NPFN);
	for (uint32_t f = first; f < first + n; f++)
		ck_assert(colour_pool_add(&pool, f));
	ck_assert_ptr_null(colour_check(&pool));
}

static struct colour_set set_of(const char *text, unsigned ncolours)
{
	struct colour_set s = { { 0 } };

	ck_assert_ptr_null(colour_set_parse(&s, text, ncolours));
	return s;
}

START_TEST(geometry_count)
{
	ck_assert_uint_eq(colour_count(1 << 20, 16), 16);       /* 64 KiB a way */
	ck_assert_uint_eq(colour_count(32 << 10, 8), 1);        /* L1: 4 KiB a way */
	ck_assert_uint_eq(colour_count(12 << 20, 16), 128);     /* 768 KiB: down to 2^7 */
	ck_assert_uint_eq(colour_count(1ull << 32, 1), COLOUR_MAX);
	ck_assert_uint_eq(colour_count(1 << 20, 0), 1);
}
END_TEST

START_TEST(geometry_parse)
{
	struct colour_geometry g = { 0 };

	ck_assert_ptr_null(colour_geometry_parse(&g, "1M/16"));
	ck_assert_uint_eq(g.colours, 16);
	ck_assert_uint_eq(g.lvl[0].sets, 1024);
	ck_assert_uint_eq(g.lvl[0].line, 64);
	ck_assert_ptr_null(colour_geometry_parse(&g, "256K/4/128"));
	ck_assert_uint_eq(g.lvl[0].sets, 512);
	ck_assert_uint_eq(g.colours, 16);
	ck_assert_ptr_nonnull(colour_geometry_parse(&g, "1M"));
	ck_assert_ptr_nonnull(colour_geometry_parse(&g, "1M/0"));
	ck_assert_ptr_nonnull(colour_geometry_parse(&g, "1M/16/63"));
	ck_assert_ptr_nonnull(colour_geometry_parse(&g, "1M/3"));
	ck_assert_ptr_nonnull(colour_geometry_parse(&g, "1M/16x"));
	ck_assert_ptr_nonnull(colour_geometry_parse(&g, "/16"));
	ck_assert_ptr_nonnull(colour_geometry_parse(&g, "99999999999M/16"));
}
END_TEST

START_TEST(geometry_llc)
{
	struct colour_geometry g = { .nlevels = 3 };

	g.lvl[0] = (struct colour_level){ 1, 'd', 64, 64, 8, 32 << 10 };
	g.lvl[1] = (struct colour_level){ 1, 'i', 64, 64, 8, 32 << 10 };
	g.lvl[2] = (struct colour_level){ 2, 'u', 64, 4096, 16, 4 << 20 };
	colour_geometry_finish(&g);
	ck_assert_ptr_eq(colour_llc(&g), &g.lvl[2]);
	ck_assert_uint_eq(g.colours, 64);
}
END_TEST

/* The registers QEMU 7.2's TCG -cpu max returns (tools/qemu.py), and a
 * leaf-4 description of a 32 KiB 8-way L1d and a 16 MiB 16-way L3. */
START_TEST(decode_cpuid)
{
	struct colour_level l;
	const uint32_t l1d[4] = { 0x21, (63u) | (7u << 22), 63, 0 };
	const uint32_t l3[4] = { 0x63, (63u) | (15u << 22), 16383, 0 };
	const uint32_t none[4] = { 0, 0, 0, 0 };

	ck_assert(colour_decode_leaf4(l1d, &l));
	ck_assert(l.level == 1 && l.type == 'd' && l.ways == 8 && l.sets == 64 && l.line == 64);
	ck_assert_uint_eq(l.size, 32 << 10);
	ck_assert(colour_decode_leaf4(l3, &l));
	ck_assert(l.level == 3 && l.type == 'u' && l.size == 16u << 20);
	ck_assert(!colour_decode_leaf4(none, &l));
	ck_assert(colour_decode_amd_l1(0x40020140, 'd', &l));          /* 64 KiB 2-way */
	ck_assert(l.size == 64 << 10 && l.ways == 2 && l.sets == 512);
	ck_assert(colour_decode_amd_l23(0x02008140, 2, &l));           /* 512 KiB 16-way */
	ck_assert(l.size == 512 << 10 && l.ways == 16 && l.sets == 512);
	ck_assert(colour_decode_amd_l23(0x00808140, 3, &l));           /* 16 MiB 16-way */
	ck_assert(l.size == 16u << 20 && l.ways == 16 && l.sets == 16384);
	ck_assert_uint_eq(colour_count(l.size, l.ways), 256);
	ck_assert(!colour_decode_amd_l23(0x00800140, 3, &l));          /* code 0: disabled */
	ck_assert(!colour_decode_amd_l23(0x00807140, 3, &l));          /* code 7: reserved */
	ck_assert(colour_decode_amd_l23(0x0200f140, 2, &l));           /* fully associative */
	ck_assert(l.sets == 1 && l.ways == 8192);
	ck_assert(!colour_decode_amd_l1(0, 'i', &l));
}
END_TEST

START_TEST(set_parse_format)
{
	struct colour_set s = set_of("0-3,8,10-11", 16), t;
	char buf[64];

	ck_assert_uint_eq(colour_set_count(&s), 7);
	ck_assert(colour_set_has(&s, 8) && !colour_set_has(&s, 9));
	colour_set_format(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0-3,8,10-11");
	t = s;
	ck_assert_ptr_nonnull(colour_set_parse(&t, "0-16", 16));
	ck_assert_ptr_nonnull(colour_set_parse(&t, "5-2", 16));
	ck_assert_ptr_nonnull(colour_set_parse(&t, "", 16));
	ck_assert_ptr_nonnull(colour_set_parse(&t, "1,", 16));
	ck_assert_ptr_nonnull(colour_set_parse(&t, "a", 16));
	ck_assert_ptr_nonnull(colour_set_parse(&t, "1-", 16));
	ck_assert_mem_eq(&t, &s, sizeof(s));            /* a refusal changes nothing */
	ck_assert(colour_set_disjoint(&s, &(struct colour_set){ { 0x200 } }));
	ck_assert(!colour_set_disjoint(&s, &(struct colour_set){ { 0x100 } }));
	colour_set_format(&s, buf, 4);
	ck_assert_str_eq(buf, "0-3");
}
END_TEST

START_TEST(alloc_colours_in_set)
{
	struct colour_set s = set_of("2,5", 8);
	unsigned cur = 0, seen[8] = { 0 };

	pool_setup(8, 100, 64);                         /* 8 frames of each colour */
	for (int i = 0; i < 16; i++) {
		uint32_t f = colour_alloc(&pool, &s, &cur);
		ck_assert_uint_ne(f, COLOUR_NONE);
		ck_assert(colour_set_has(&s, colour_of(&pool, f)));
		seen[colour_of(&pool, f)]++;
		ck_assert_ptr_null(colour_check(&pool));
	}
	ck_assert_uint_eq(seen[2], 8);                  /* dealt round the set in turn */
	ck_assert_uint_eq(seen[5], 8);
	ck_assert_uint_eq(colour_alloc(&pool, &s, &cur), COLOUR_NONE);
	ck_assert_uint_eq(colour_set_free(&pool, &s), 0);
	ck_assert_uint_eq(pool.free, 48);
}
END_TEST

START_TEST(alloc_round_robin)
{
	struct colour_set s = set_of("0-3", 16);
	unsigned cur = 0;

	pool_setup(16, 0, 64);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(colour_of(&pool, colour_alloc(&pool, &s, &cur)), i % 4);
}
END_TEST

START_TEST(free_and_refuse)
{
	struct colour_set s = set_of("1", 4);
	unsigned cur = 0;
	uint32_t f;

	pool_setup(4, 0, 8);
	f = colour_alloc(&pool, &s, &cur);
	ck_assert_uint_eq(colour_of(&pool, f), 1);
	ck_assert(colour_free(&pool, f));
	ck_assert(!colour_free(&pool, f));              /* twice */
	ck_assert(!colour_free(&pool, 9));              /* never in the pool */
	ck_assert(!colour_free(&pool, NPFN + 5));       /* out of range */
	ck_assert(!colour_pool_add(&pool, 3));          /* already there */
	ck_assert(!colour_pool_add(&pool, NPFN));
	ck_assert_ptr_null(colour_check(&pool));
}
END_TEST

START_TEST(check_catches)
{
	struct colour_set s = set_of("0-3", 4);
	unsigned cur = 0;
	uint32_t f;

	pool_setup(4, 0, 16);
	f = colour_alloc(&pool, &s, &cur);
	state_arr[f] = COLOUR_FREE;                     /* lost frame */
	ck_assert_ptr_nonnull(colour_check(&pool));
	state_arr[f] = COLOUR_USED;
	pool.nonempty[0] ^= 2;
	ck_assert_ptr_nonnull(colour_check(&pool));
	pool.nonempty[0] ^= 2;
	next_arr[pool.head[1]] = pool.head[2];          /* cross-linked lists */
	ck_assert_ptr_nonnull(colour_check(&pool));
}
END_TEST

/* Random allocations and frees against a model: per frame, taken or not;
 * colours always in the set used; counts agree; checker after each. */
START_TEST(random_model)
{
	static bool taken[NPFN];
	static uint32_t held[NPFN];
	struct colour_set sets[3] = { set_of("0-7", 32), set_of("8-9,30", 32), set_of("0-31", 32) };
	unsigned cur[3] = { 0 }, nheld = 0;

	memset(taken, 0, sizeof(taken));
	pool_setup(32, 64, 2048);
	srand(9);
	for (int i = 0; i < 100000; i++) {
		unsigned k = (unsigned)rand() % 3;
		if (nheld && rand() % 2) {
			unsigned j = (unsigned)rand() % nheld;
			ck_assert(colour_free(&pool, held[j]));
			taken[held[j]] = false;
			held[j] = held[--nheld];
		} else {
			uint32_t before = colour_set_free(&pool, &sets[k]);
			uint32_t f = colour_alloc(&pool, &sets[k], &cur[k]);
			ck_assert_uint_eq(f == COLOUR_NONE, before == 0);
			if (f == COLOUR_NONE)
				continue;
			ck_assert(f >= 64 && f < 64 + 2048 && !taken[f]);
			ck_assert(colour_set_has(&sets[k], colour_of(&pool, f)));
			taken[f] = true;
			held[nheld++] = f;
		}
		ck_assert_uint_eq(pool.free + nheld, 2048);
		if (i % 97 == 0)
			ck_assert_ptr_null(colour_check(&pool));
	}
	ck_assert_ptr_null(colour_check(&pool));
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "geometry_count", geometry_count, 0 },
		{ "geometry_parse", geometry_parse, 0 },
		{ "geometry_llc", geometry_llc, 0 },
		{ "decode_cpuid", decode_cpuid, 0 },
		{ "set_parse_format", set_parse_format, 0 },
		{ "alloc_colours_in_set", alloc_colours_in_set, 0 },
		{ "alloc_round_robin", alloc_round_robin, 0 },
		{ "free_and_refuse", free_and_refuse, 0 },
		{ "check_catches", check_catches, 0 },
		{ "random_model", random_model, 0 },
	};

	return unit_run(unit_suite("colour", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL, 0));
}
