/* SPDX-License-Identifier: MIT */
/*
 * Map and unmap. main holds MAP_PAGES frames (4 KiB each, from sigma0)
 * at POOL_MAP and maps them to S1's server with a map item in an IPC
 * call (measured around the call: the IPC round trip is included; see
 * ipc_inter_0 for it alone), then revokes them with sys_unmap of its own
 * fpage, without flush (measured around the system call).
 *
 * Pager chains: the pages go from main to S1, then S1 forwards them to
 * S2, and S2 to S3 (not measured); main's unmap then revokes 512, 1024
 * or 1536 mappings, over one, two or three tiers.
 *
 * Each series runs with room for its mapping nodes (room.c), so that no
 * iteration takes a fresh kmem slab page and gives it back.
 */
#include "bench.h"

#define MAP_ITERS_1 1000
#define MAP_WARMUP_1 50
#define MAP_ITERS_N 30
#define MAP_WARMUP_N 3

/* Map POOL_MAP's first 2^log2 bytes to S1's server at CHILD_MAP;
 * returns the instructions the call took. */
static uint64_t map_to_s1(unsigned log2)
{
	uint64_t t0, t1;

	msg_tag(LBL_MAP, 0, 2);
	msg_map_item(1, CHILD_MAP, fpage_make(POOL_MAP, log2, FPAGE_RW), false);
	t0 = stats_rdtsc();
	ipc_call(bt_srv[0].tid);
	t1 = stats_rdtsc();
	return t1 - t0;
}

static uint64_t map_unmap_pool(unsigned log2)
{
	uint64_t t0, t1;

	utcb()->mr[0] = fpage_make(POOL_MAP, log2, FPAGE_RWX);
	t0 = stats_rdtsc();
	sys_unmap(0);
	t1 = stats_rdtsc();
	return t1 - t0;
}

/* Server k (in S(k+1)) maps what it has at CHILD_MAP on to server k+1. */
static void map_forward(unsigned k, unsigned log2)
{
	struct utcb *u = utcb();

	msg_tag(LBL_FWD, 2, 0);
	u->mr[1] = fpage_make(CHILD_MAP, log2, FPAGE_RW);
	u->mr[2] = bt_srv[k + 1].tid;
	ipc_call(bt_srv[k].tid);
}

static void map_series(const char *map_name, const char *unmap_name, unsigned log2,
		       unsigned warmup, unsigned iters)
{
	static struct stats unmap_stats;
	struct stats *m = &bench_stats, *u = &unmap_stats;

	if (!bench_want(map_name) && !bench_want(unmap_name))
		return;
	stats_begin(m, map_name, "instructions");
	stats_begin(u, unmap_name, "instructions");
	room_begin(1u << (log2 - 12));
	for (unsigned i = 0; i < warmup + bench_iters(iters); i++) {
		uint64_t tm = map_to_s1(log2), tu = map_unmap_pool(log2);
		if (i >= warmup) {
			stats_add(m, tm);
			stats_add(u, tu);
		}
	}
	room_end();
	stats_report(m);
	stats_report(u);
}

/* Does the last server of the chain see the pool's last page? */
static void map_check(unsigned depth)
{
	struct utcb *u = utcb();

	msg_tag(LBL_PEEK, 1, 0);
	u->mr[1] = CHILD_MAP + (MAP_PAGES - 1) * 4096;
	if (ipc_call(bt_srv[depth - 1].tid) || u->mr[1] != MAP_MAGIC)
		printf("not ok - chain of depth %u does not reach S%u\n", depth, depth);
}

static void map_chain(const char *name, unsigned depth)
{
	struct stats *s = &bench_stats;

	if (!bench_want(name))
		return;
	stats_begin(s, name, "instructions");
	room_begin(MAP_PAGES * depth);
	for (unsigned i = 0; i < MAP_WARMUP_N + bench_iters(MAP_ITERS_N); i++) {
		map_to_s1(MAP_LOG2);
		for (unsigned k = 0; k + 1 < depth; k++)
			map_forward(k, MAP_LOG2);
		if (i == 0)
			map_check(depth);
		if (i >= MAP_WARMUP_N)
			stats_add(s, map_unmap_pool(MAP_LOG2));
		else
			map_unmap_pool(MAP_LOG2);
	}
	room_end();
	stats_report(s);
}

void bench_map(void)
{
	*(volatile word_t *)(POOL_MAP + (MAP_PAGES - 1) * 4096) = MAP_MAGIC;
	map_series("map_1", "unmap_1", 12, MAP_WARMUP_1, MAP_ITERS_1);
	map_series("map_512", "unmap_512", MAP_LOG2, MAP_WARMUP_N, MAP_ITERS_N);
	map_chain("unmap_chain_1", 1);
	map_chain("unmap_chain_2", 2);
	map_chain("unmap_chain_3", 3);
}
