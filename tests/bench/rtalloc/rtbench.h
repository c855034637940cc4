/* SPDX-License-Identifier: MIT */
/*
 * The allocator benchmarks, shared by the Pagoda task (bench/rtalloc:
 * rt_malloc/rt_free, built with -DRTB_RTALLOC) and the Linux /init (glibc
 * malloc/free). Each operation is measured alone, rdtsc around the call
 * (../stats.h: one tick per guest instruction under -icount), and each
 * series prints the usual BENCH and HIST lines; tools/bench.py takes the
 * median, p99.9 and maximum from them.
 *
 *   seeded random workloads   rtb_random: slots chosen at random; an empty
 *                             slot gets a block, a full one is freed
 *   traces                    rtb_trace: the trace embedded at build time
 *                             (trace.S; tools/rtalloc_trace.py writes it)
 *
 * A series is named <allocator>_<malloc|free>_<workload>[_<heap>], e.g.
 * rtalloc_malloc_rand_64m or glibc_free_trace.
 */
#ifndef RTBENCH_H
#define RTBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../stats.h"

/* rtb_ticks: the timer ticks so far. A sample during which it changed
 * held a timer interrupt: it is left out and counted ("interrupted"), so
 * that a maximum is the allocator's own path. */
#ifdef RTB_RTALLOC
#include <libmap.h>
#include <pagoda/kip.h>
#include <rtalloc.h>
#define rtb_malloc rt_malloc
#define rtb_free rt_free
#define RTB_ALLOCATOR "rtalloc"
static inline uint64_t rtb_ticks(void)
{
	return libmap_kip->ticks;
}
#else
#include <stdlib.h>
#include <time.h>
#define rtb_malloc malloc
#define rtb_free free
#define RTB_ALLOCATOR "glibc"
#include <malloc.h>
/* glibc's footprint: bytes of its main arena (brk) and of mmapped chunks. */
static inline size_t rtb_footprint(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.arena + mi.hblkhd;
}

/* The coarse clock advances only at a tick (vDSO: no system call). */
static inline uint64_t rtb_ticks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#endif

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* At most this many samples of each operation per series. */
#define RTB_MAX_SAMPLES (1u << 18)

/* One seeded random workload. */
struct rtb_workload {
	const char *name;
	uint64_t seed;
	unsigned ops;           /* operations (allocations and frees) */
	unsigned slots;         /* live blocks at most */
	unsigned min_log2;      /* sizes 2^min_log2 .. 2^max_log2, log-uniform */
	unsigned max_log2;
};

/* The workloads both sides run. */
extern const struct rtb_workload rtb_workloads[];
extern const unsigned rtb_nworkloads;

/* What a run saw besides latencies (fragmentation). */
struct rtb_usage {
	unsigned failed;        /* allocations that returned NULL */
	unsigned interrupted;   /* samples left out: a timer tick fell in them */
	size_t live, peak_live; /* bytes requested and not yet freed */
	uintptr_t base;         /* the heap's first byte (0: glibc's heap) */
	size_t high_water;      /* rt-alloc: highest byte ever handed out, from
				 * base; glibc: its largest footprint */
};

/* Run workload w (scaled to ops operations if ops != 0), printing its
 * series with the name suffix (e.g. "_64m"). False if it went wrong. */
bool rtb_random(const struct rtb_workload *w, unsigned ops, const char *suffix,
		uintptr_t heap_base);
/* Replay the embedded trace, likewise. */
bool rtb_trace(const char *suffix, uintptr_t heap_base);
/* One call measured (the instructions from rdtsc to rdtsc), or
 * RTB_INTERRUPTED if a timer tick fell into it. */
#define RTB_INTERRUPTED UINT32_MAX
uint32_t rtb_time_malloc(size_t size, void **p);
uint32_t rtb_time_free(void *p);
/* A series of samples: print it (BENCH, HIST) and reset it. */
void rtb_report(const char *op, const char *workload, const char *suffix, uint32_t *v, unsigned n);

#endif
