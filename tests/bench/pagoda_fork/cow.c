/* SPDX-License-Identifier: MIT */
/*
 * The copy-on-write break: after fork, the parent's first write to a
 * page it shares with its child. The write faults (the page is mapped
 * read-only); the pager sees two users of the frame, copies it into a new
 * frame (memcpy: rep movsq), maps that writable in place of the old one
 * and drops one user of the old. Measured around the faulting store.
 *
 * The parent writes the pages, forks once, and breaks the sharing of
 * each page in turn while the child waits in a closed receive (a child
 * that exited would leave the frames with one user: no copy). The first
 * PAGER_POOL_KEEP pages are the warm-up: they use up the frames the
 * pager's pool may hold (earlier children's), so the measured copies go
 * into new frames from the pager below (sigma0), which the pager takes
 * PAGER_POOL_BATCH at a time: one break in 64 includes that request (the
 * maxima), the median does not.
 */
#include "forkbench.h"

#define COW_WARMUP PAGER_POOL_KEEP
#define COW_ITERS 1024

static void cow_child(word_t parent)
{
	ipc_receive(parent, TIMEOUT_NEVER, NULL);
	exit(0);
}

static void cow_measure(struct stats *s, unsigned pages)
{
	for (unsigned i = 0; i < pages; i++) {
		volatile word_t *p = (volatile word_t *)(COW_REGION + (word_t)i * 4096);
		uint64_t t0 = stats_rdtsc(), t1;
		*p = 1;
		t1 = stats_rdtsc();
		if (i >= COW_WARMUP)
			stats_add(s, t1 - t0);
	}
}

bool bench_cow(void)
{
	struct stats *s = &bench_stats;
	unsigned pages = COW_WARMUP + bench_iters(COW_ITERS);
	word_t parent = libmap_myself, child;
	int status = -1;

	if (!bench_want("cow_break"))
		return true;
	bench_begin("cow_break");
	bench_touch(COW_REGION, pages);
	child = fork();
	if (child == 0)
		cow_child(parent);
	if (child == FORK_FAILED) {
		printf("not ok - bench/fork: cow_break: fork failed\n");
		return false;
	}
	cow_measure(s, pages);
	msg_tag(0, 0, 0);
	if (ipc_send(child, TIMEOUT_NEVER) || wait(child, &status) || status) {
		printf("not ok - bench/fork: cow_break: the child did not end well\n");
		return false;
	}
	stats_report(s);
	return true;
}
