/* SPDX-License-Identifier: MIT */
/*
 * fork() latency: from the parent's call until fork() returns in the
 * parent. The pager creates the child's space and thread, gives the
 * child a page table naming the parent's frames and revokes write access
 * to them (pagers/cow_core.c); nothing is copied and nothing is mapped
 * into the child yet. The child exits at once; the parent waits for it
 * after the second rdtsc, outside the measured window.
 *
 * fork_cycle is the whole life of a child that does nothing: from fork()
 * until wait() returns in the parent, with no heap written -- creating
 * the child, its start, its exit and the deletion of its space.
 *
 * fork_4m (1,024 pages) is a point between them for the growth series of
 * the report (the series run in growing order: a fork shares every page
 * the parent still has, written this time or not).
 *
 * fork_64m (16,384 pages) ends the growth series; it runs only when named
 * (tests/bench/fork64.cfg boots it alone), since its 64 MiB cover the
 * regions of the other benchmarks.
 *
 * fork_16m_read: fork with 16 MiB written, the child reads one word of
 * every page and exits; measured until wait() returns in the parent.
 *
 * Before each fork the parent writes every page of its region again, and
 * the stack below its frame (not measured): the previous fork left them
 * mapped read-only, so each fork finds the same state, N pages written and
 * writable, and fork() itself does not fault. The series differ
 * only in N: 0, 256 (1 MiB) and 4,096 (16 MiB) pages of heap, besides
 * the image, stack and data every run has.
 */
#include "forkbench.h"

#define FORK_WARMUP 2

/* Wait for the child; true if it exited with status 0. */
static bool fork_reap(word_t child)
{
	int status = -1;

	return child != FORK_FAILED && wait(child, &status) == E_OK && status == 0;
}

/* One fork; its cost in *cost. False if the fork or the wait failed.
 * Nothing between fork() and the second rdtsc writes memory: the fork
 * has just made the stack read-only, and a store there would copy it. */
static bool fork_once(uint64_t *cost)
{
	uint64_t t0 = stats_rdtsc(), t1;
	word_t child = fork();

	t1 = stats_rdtsc();
	if (child == 0)
		exit(0);
	*cost = t1 - t0;
	return fork_reap(child);
}

static bool fork_series(const char *name, unsigned pages, unsigned iters)
{
	struct stats *s = &bench_stats;
	uint64_t cost;

	if (!bench_want(name))
		return true;
	bench_begin(name);
	for (unsigned i = 0; i < FORK_WARMUP + bench_iters(iters); i++) {
		bench_touch(FORK_REGION, pages);
		bench_touch_stack();
		if (!fork_once(&cost)) {
			printf("not ok - bench/fork: %s: fork or wait failed\n", name);
			return false;
		}
		if (i >= FORK_WARMUP)
			stats_add(s, cost);
	}
	stats_report(s);
	return true;
}

/* fork, exit, wait: the whole cycle measured. */
static bool fork_cycle(unsigned iters)
{
	struct stats *s = &bench_stats;

	if (!bench_want("fork_cycle"))
		return true;
	bench_begin("fork_cycle");
	for (unsigned i = 0; i < FORK_WARMUP + bench_iters(iters); i++) {
		uint64_t t0, t1;
		word_t child;
		bool ok;

		bench_touch_stack();
		t0 = stats_rdtsc();
		child = fork();
		if (child == 0)
			exit(0);
		ok = fork_reap(child);
		t1 = stats_rdtsc();
		if (!ok) {
			printf("not ok - bench/fork: fork_cycle: fork or wait failed\n");
			return false;
		}
		if (i >= FORK_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
	return true;
}

/* The child reads one word of each of the pages the parent wrote, then
 * exits. */
static void fork_read_child(unsigned pages)
{
	word_t sum = 0;

	for (unsigned i = 0; i < pages; i++)
		sum += *(volatile word_t *)(FORK_REGION + (word_t)i * 4096);
	exit(sum == (word_t)-1);
}

/* fork, the child reads every page written, exits; until wait() returns
 * in the parent: what the fork costs once the child has used its memory
 * (on Pagoda each page the child reads is a fault the pager resolves). */
static bool fork_read_series(const char *name, unsigned pages, unsigned iters)
{
	struct stats *s = &bench_stats;

	if (!bench_want(name))
		return true;
	bench_begin(name);
	for (unsigned i = 0; i < FORK_WARMUP + bench_iters(iters); i++) {
		uint64_t t0, t1;
		word_t child;
		bool ok;

		bench_touch(FORK_REGION, pages);
		bench_touch_stack();
		t0 = stats_rdtsc();
		child = fork();
		if (child == 0)
			fork_read_child(pages);
		ok = fork_reap(child);
		t1 = stats_rdtsc();
		if (!ok) {
			printf("not ok - bench/fork: %s: fork or wait failed\n", name);
			return false;
		}
		if (i >= FORK_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
	return true;
}

bool bench_fork(void)
{
	return fork_series("fork_0", 0, 200) && fork_cycle(100) &&
	       fork_series("fork_1m", 256, 100) && fork_series("fork_4m", 1024, 50) &&
	       fork_series("fork_16m", 4096, 20) && fork_read_series("fork_16m_read", 4096, 10) &&
	       (!bench_named("fork_64m") || fork_series("fork_64m", FORK_64M_PAGES, 5));
}
