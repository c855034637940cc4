/* SPDX-License-Identifier: MIT */
/*
 * The measurement itself (two rdtsc back to back), the null system call,
 * and the cost of zeroing and copying one page with rep stosq / rep
 * movsq in user space -- the part of a fault that is the same on every
 * kernel, reported so that paths can be compared without it.
 */
#include "bench.h"

#define BASIC_ITERS 2000
#define BASIC_WARMUP 100

static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));

static void basic_rdtsc(void)
{
	struct stats *s = &bench_stats;

	if (!bench_want("rdtsc"))
		return;
	stats_begin(s, "rdtsc", "instructions");
	for (unsigned i = 0; i < BASIC_WARMUP + bench_iters(BASIC_ITERS); i++) {
		uint64_t t0 = stats_rdtsc(), t1 = stats_rdtsc();
		if (i >= BASIC_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

static void basic_null(void)
{
	struct stats *s = &bench_stats;

	if (!bench_want("null_syscall"))
		return;
	stats_begin(s, "null_syscall", "instructions");
	for (unsigned i = 0; i < BASIC_WARMUP + bench_iters(BASIC_ITERS); i++) {
		uint64_t t0 = stats_rdtsc(), t1;
		syscall0(SYS_NULL);
		t1 = stats_rdtsc();
		if (i >= BASIC_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

static void basic_zero_copy(bool copy)
{
	struct stats *s = &bench_stats;

	if (!bench_want(copy ? "page_copy" : "page_zero"))
		return;
	stats_begin(s, copy ? "page_copy" : "page_zero", "instructions");
	for (unsigned i = 0; i < BASIC_WARMUP + bench_iters(BASIC_ITERS); i++) {
		uint64_t t0 = stats_rdtsc(), t1;
		if (copy)
			stats_page_copy(page_b, page_a);
		else
			stats_page_zero(page_a);
		t1 = stats_rdtsc();
		if (i >= BASIC_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

void bench_basic(void)
{
	basic_rdtsc();
	basic_null();
	basic_zero_copy(false);
	basic_zero_copy(true);
}
