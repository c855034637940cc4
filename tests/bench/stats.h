/* SPDX-License-Identifier: MIT */
/*
 * Benchmark measurement, shared by the Pagoda and the Linux programs.
 *
 * Under QEMU's -icount shift=0 the guest TSC advances by one per guest
 * instruction (user and kernel alike), so the difference of two rdtsc
 * readings is the number of instructions executed between them. Nothing
 * is subtracted from a sample: the cost of the two rdtsc themselves is
 * reported on its own ("rdtsc").
 *
 * Every benchmark prints its result as one line, the same on both sides:
 *
 *   BENCH name=<op> unit=<unit> iters=<n> min=<x> median=<x> max=<x>
 *
 * followed by its distribution as value x count pairs, over as many
 * lines as needed:
 *
 *   HIST name=<op> <value>x<count> <value>x<count> ...
 *
 * tools/bench.py parses both and pairs Pagoda and Linux operations by name.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdint.h>

#define STATS_MAX_SAMPLES 4096

/* Read the TSC. The "memory" clobber keeps the compiler from moving
 * loads and stores across it; under icount there is no out-of-order
 * execution to fence against, so no lfence (it would be counted too). */
static inline uint64_t stats_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Samples of one operation. */
struct stats {
	const char *name;
	const char *unit;
	unsigned n;
	uint64_t v[STATS_MAX_SAMPLES];
};

void stats_begin(struct stats *s, const char *name, const char *unit);
void stats_add(struct stats *s, uint64_t value);
/* Sort the samples and print the BENCH and HIST lines. */
void stats_report(struct stats *s);

/* One page zeroed with rep stosq and copied with rep movsq: 512
 * iterations each, the method both kernels use (Linux with -erms). */
static inline void stats_page_zero(void *page)
{
	uint64_t n = 512;

	__asm__ volatile("rep stosq" : "+D"(page), "+c"(n) : "a"(0) : "memory");
}

static inline void stats_page_copy(void *dst, const void *src)
{
	uint64_t n = 512;

	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

#endif
