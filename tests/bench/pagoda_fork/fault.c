/* SPDX-License-Identifier: MIT */
/*
 * A plain anonymous fault through the copy-on-write pager: the first
 * write to a heap page the task does not have. The kernel sends the fault
 * to the pager; the pager finds no page, takes a frame, zeroes it
 * (memset: rep stosq), enters it in the task's page table and replies
 * with a map item. Measured around the faulting store. Where the frame
 * comes from makes two series:
 *
 *   pf_cow       from a pool emptied first: the first PAGER_POOL_KEEP
 *                faults are the warm-up that empties it. The pager then
 *                asks the pager below (an ANY request to sigma0, through
 *                every tier of a deeper stack) for PAGER_POOL_BATCH frames
 *                at a time (libmap/pager.c), so one fault in 64 pays for
 *                the request (the maxima) and the median is a fault served
 *                from the block just taken. A tier that gives single frames
 *                (the tracing pager) is asked once per fault.
 *   pf_cow_pool  from the pager's pool of free frames, like the page a
 *                kernel takes from its free lists: batches of
 *                PAGER_POOL_KEEP faults, and between two batches the task
 *                gives the pages back (pager_release, not measured), so
 *                the pool holds a frame for each fault of the next batch;
 *                the first batch is the warm-up. Linux's anon_fault does
 *                the same with madvise(MADV_DONTNEED).
 *
 * tools/bench.py also boots this program under trace -> cow ("only=pf_cow,
 * pf_cow_pool suffix=_3tier"): there a frame from below comes from the
 * tracing pager, which takes it from sigma0.
 */
#include "forkbench.h"

#define FAULT_ITERS 1024

/* Fault on page i of region; returns the instructions it took. */
static uint64_t fault_once(word_t region, unsigned i)
{
	volatile word_t *p = (volatile word_t *)(region + (word_t)i * 4096);
	uint64_t t0 = stats_rdtsc(), t1;

	*p = 1;
	t1 = stats_rdtsc();
	return t1 - t0;
}

static void fault_from_below(void)
{
	struct stats *s = &bench_stats;

	bench_begin("pf_cow");
	for (unsigned i = 0; i < PAGER_POOL_KEEP + bench_iters(FAULT_ITERS); i++) {
		uint64_t cost = fault_once(FAULT_REGION, i);
		if (i >= PAGER_POOL_KEEP)
			stats_add(s, cost);
	}
	stats_report(s);
}

static bool fault_from_pool(void)
{
	struct stats *s = &bench_stats;
	unsigned iters = bench_iters(FAULT_ITERS);

	bench_begin("pf_cow_pool");
	for (unsigned b = 0, n = 0; n < iters; b++) {
		for (unsigned i = 0; i < PAGER_POOL_KEEP && n < iters; i++) {
			uint64_t cost = fault_once(POOL_REGION, i);
			if (b > 0) {
				stats_add(s, cost);
				n++;
			}
		}
		if (pager_release(POOL_REGION, PAGER_POOL_KEEP * 4096)) {
			printf("not ok - bench/fork: pf_cow_pool: pager_release failed\n");
			return false;
		}
	}
	stats_report(s);
	return true;
}

bool bench_fault(void)
{
	if (bench_want("pf_cow"))
		fault_from_below();
	return !bench_want("pf_cow_pool") || fault_from_pool();
}
