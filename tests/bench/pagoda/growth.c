/* SPDX-License-Identifier: MIT */
/*
 * How costs grow: the points of the growth series (tools/bench.py GROWTH)
 * that the single-point benchmarks do not measure already. They run last,
 * after every other benchmark, so that their extra frames, spaces and
 * mappings cannot change the figures measured before them.
 *
 *   ipc_inter_<u>    IPC call + reply across spaces (main -> S1's echo
 *                    server) with u = 1, 2, 3, 4, 16, 32, 63 untyped words
 *                    each way (63 is the most a message holds: u + t <=
 *                    63); 0 and 8 are ipc.c's
 *   map_<n>,         map n pages (one fpage of n 4 KiB frames) to S1's
 *   unmap_<n>        server in an IPC call, and revoke them with sys_unmap
 *                    of main's fpage, as map.c does for 1 and 512: n = 8
 *                    and 64 from map.c's pool, n = 4,096 (16 MiB) from a
 *                    pool of its own taken from sigma0 here
 *   unmap_chain_<d>  512 pages mapped down a chain of d spaces (main -> S1
 *                    -> S2 -> ... -> Sd, each forwarding what it got),
 *                    revoked by main's unmap: d = 4 to 8 (1 to 3 are
 *                    map.c's); spaces S4..S8 are started here
 *
 * Long operations (millions of instructions) get few iterations: the
 * counts are exact, only the timer ticks that fall into a sample differ.
 */
#include "bench.h"

#define POOL_GROW ((word_t)0x30001000000ull)   /* 4,096 frames, 16 MiB aligned */
#define CHILD_GROW ((word_t)0x40001000000ull)  /* their target in S1 */
#define GROW_PAGES 4096
#define GROW_LOG2 24
#define GROW_MAGIC 0x5a5a0002ull
#define GROW_DEPTH 8                           /* the longest chain */

#define GROW_IPC_ITERS 200
#define GROW_IPC_WARMUP 20
#define GROW_MAP_ITERS 100
#define GROW_MAP_WARMUP 10
#define GROW_BIG_ITERS 5
#define GROW_BIG_WARMUP 2
#define GROW_CHAIN_ITERS 10
#define GROW_CHAIN_WARMUP 2

static struct bthread grow_srv[GROW_DEPTH - 3];   /* S4..S8 */
static struct stats grow_unmap_stats;

/* The server of S(k+1): map.c's three, then this file's. */
static word_t grow_chain_tid(unsigned k)
{
	return k < 3 ? bt_srv[k].tid : grow_srv[k - 3].tid;
}

/* Map 2^log2 bytes from src (here) to dst in server k's space; the
 * instructions the call took. */
static uint64_t grow_map(unsigned k, word_t src, word_t dst, unsigned log2)
{
	uint64_t t0, t1;

	msg_tag(LBL_MAP, 0, 2);
	msg_map_item(1, dst, fpage_make(src, log2, FPAGE_RW), false);
	t0 = stats_rdtsc();
	ipc_call(grow_chain_tid(k));
	t1 = stats_rdtsc();
	return t1 - t0;
}

/* Revoke every mapping derived from 2^log2 bytes at src (no flush). */
static uint64_t grow_unmap(word_t src, unsigned log2)
{
	uint64_t t0, t1;

	utcb()->mr[0] = fpage_make(src, log2, FPAGE_RWX);
	t0 = stats_rdtsc();
	sys_unmap(0);
	t1 = stats_rdtsc();
	return t1 - t0;
}

static void grow_map_series(const char *map_name, const char *unmap_name, word_t src, word_t dst,
			    unsigned log2, unsigned warmup, unsigned iters)
{
	struct stats *m = &bench_stats, *u = &grow_unmap_stats;

	if (!bench_want(map_name) && !bench_want(unmap_name))
		return;
	stats_begin(m, map_name, "instructions");
	stats_begin(u, unmap_name, "instructions");
	room_begin(1u << (log2 - 12));
	for (unsigned i = 0; i < warmup + bench_iters(iters); i++) {
		uint64_t tm = grow_map(0, src, dst, log2), tu = grow_unmap(src, log2);
		if (i >= warmup) {
			stats_add(m, tm);
			stats_add(u, tu);
		}
	}
	room_end();
	stats_report(m);
	stats_report(u);
}

/* Server k (in S(k+1)) maps its 512 pages at CHILD_MAP on to server k+1. */
static void grow_forward(unsigned k)
{
	struct utcb *u = utcb();

	msg_tag(LBL_FWD, 2, 0);
	u->mr[1] = fpage_make(CHILD_MAP, MAP_LOG2, FPAGE_RW);
	u->mr[2] = grow_chain_tid(k + 1);
	ipc_call(grow_chain_tid(k));
}

/* Does S(depth) see the word at `addr`? Says "not ok" if not. */
static bool grow_check(unsigned depth, word_t addr, word_t magic)
{
	struct utcb *u = utcb();

	msg_tag(LBL_PEEK, 1, 0);
	u->mr[1] = addr;
	if (ipc_call(grow_chain_tid(depth - 1)) || u->mr[1] != magic) {
		printf("not ok - bench: growth: S%u does not see 0x%lx at 0x%lx\n", depth, magic,
		       addr);
		return false;
	}
	return true;
}

/* False if the chain does not reach S(depth). */
static bool grow_chain(const char *name, unsigned depth)
{
	struct stats *s = &bench_stats;

	if (!bench_want(name))
		return true;
	stats_begin(s, name, "instructions");
	room_begin(MAP_PAGES * depth);
	for (unsigned i = 0; i < GROW_CHAIN_WARMUP + bench_iters(GROW_CHAIN_ITERS); i++) {
		uint64_t t;

		grow_map(0, POOL_MAP, CHILD_MAP, MAP_LOG2);
		for (unsigned k = 0; k + 1 < depth; k++)
			grow_forward(k);
		if (i == 0 && !grow_check(depth, CHILD_MAP + (MAP_PAGES - 1) * 4096, MAP_MAGIC)) {
			grow_unmap(POOL_MAP, MAP_LOG2);
			room_end();
			return false;
		}
		t = grow_unmap(POOL_MAP, MAP_LOG2);
		if (i >= GROW_CHAIN_WARMUP)
			stats_add(s, t);
	}
	room_end();
	stats_report(s);
	return true;
}

static bool grow_want_any(const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (bench_want(names[i]))
			return true;
	return false;
}

/* The 16 MiB pool, if a series wants it; false if sigma0 said no. */
static bool grow_setup_pool(void)
{
	static const char *const big[] = { "map_4096", "unmap_4096" };
	word_t err;

	if (!grow_want_any(big, 2))
		return true;
	if ((err = frames_alloc(POOL_GROW, GROW_PAGES))) {
		printf("not ok - bench: growth: no frames from sigma0 (error %lu)\n", err);
		return false;
	}
	*(volatile word_t *)(POOL_GROW + (GROW_PAGES - 1) * 4096) = GROW_MAGIC;
	return true;
}

/* Spaces S4..S8, if a chain series wants them. */
static bool grow_setup_spaces(void)
{
	static const char *const chains[] = { "unmap_chain_4", "unmap_chain_5", "unmap_chain_6",
					      "unmap_chain_7", "unmap_chain_8" };
	word_t err;

	if (!grow_want_any(chains, 5))
		return true;
	for (unsigned k = 0; k < GROW_DEPTH - 3; k++)
		if ((err = spawn(&grow_srv[k], TID_NIL, bt_pager.tid, server_loop))) {
			printf("not ok - bench: growth: cannot create space S%u (error %lu)\n",
			       k + 4, err);
			return false;
		}
	return true;
}

bool bench_growth(void)
{
	static const char *const chains[] = { "unmap_chain_4", "unmap_chain_5", "unmap_chain_6",
					      "unmap_chain_7", "unmap_chain_8" };
	static const unsigned words[] = { 1, 2, 3, 4, 16, 32, 63 };
	static const char *const ipc_names[] = { "ipc_inter_1", "ipc_inter_2",  "ipc_inter_3",
						 "ipc_inter_4", "ipc_inter_16", "ipc_inter_32",
						 "ipc_inter_63" };
	bool ok = grow_setup_pool() && grow_setup_spaces();

	for (unsigned i = 0; ok && i < 7; i++)
		bench_ipc_round_trip(ipc_names[i], bt_srv[0].tid, words[i], GROW_IPC_ITERS,
				     GROW_IPC_WARMUP);
	if (ok) {
		grow_map_series("map_8", "unmap_8", POOL_MAP, CHILD_MAP, 15, GROW_MAP_WARMUP,
				GROW_MAP_ITERS);
		grow_map_series("map_64", "unmap_64", POOL_MAP, CHILD_MAP, 18, GROW_MAP_WARMUP,
				GROW_MAP_ITERS);
	}
	if (ok && (bench_want("map_4096") || bench_want("unmap_4096"))) {
		grow_map(0, POOL_GROW, CHILD_GROW, GROW_LOG2);
		ok = grow_check(1, CHILD_GROW + (GROW_PAGES - 1) * 4096, GROW_MAGIC);
		grow_unmap(POOL_GROW, GROW_LOG2);
		if (ok)
			grow_map_series("map_4096", "unmap_4096", POOL_GROW, CHILD_GROW, GROW_LOG2,
					GROW_BIG_WARMUP, GROW_BIG_ITERS);
	}
	for (unsigned d = 4; ok && d <= GROW_DEPTH; d++)
		ok = grow_chain(chains[d - 4], d);
	for (unsigned k = GROW_DEPTH - 3; k-- > 0;)
		spawn_kill(&grow_srv[k]);
	return ok;
}
