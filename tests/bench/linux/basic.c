/* SPDX-License-Identifier: MIT */
/*
 * The measurement itself, the cheapest system call (getppid: enters the
 * kernel, reads one field, returns), and zeroing and copying one page
 * with rep stosq / rep movsq as Linux's clear_page and copy_page do on
 * this CPU model (-erms: no rep stosb).
 */
#include <sys/syscall.h>
#include "lbench.h"

#define BASIC_ITERS 2000
#define BASIC_WARMUP 100

static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));

static void basic_rdtsc(void)
{
	struct stats *s = &lbench_stats;

	stats_begin(s, "rdtsc", "instructions");
	for (unsigned i = 0; i < BASIC_WARMUP + BASIC_ITERS; i++) {
		uint64_t t0 = stats_rdtsc(), t1 = stats_rdtsc();
		if (i >= BASIC_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

static void basic_getppid(void)
{
	struct stats *s = &lbench_stats;

	stats_begin(s, "getppid", "instructions");
	for (unsigned i = 0; i < BASIC_WARMUP + BASIC_ITERS; i++) {
		uint64_t t0 = stats_rdtsc(), t1;
		lbench_syscall0(SYS_getppid);
		t1 = stats_rdtsc();
		if (i >= BASIC_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

static void basic_zero_copy(void)
{
	struct stats *s = &lbench_stats;

	stats_begin(s, "page_zero", "instructions");
	for (unsigned i = 0; i < BASIC_WARMUP + BASIC_ITERS; i++) {
		uint64_t t0 = stats_rdtsc(), t1;
		stats_page_zero(page_a);
		t1 = stats_rdtsc();
		if (i >= BASIC_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
	stats_begin(s, "page_copy", "instructions");
	for (unsigned i = 0; i < BASIC_WARMUP + BASIC_ITERS; i++) {
		uint64_t t0 = stats_rdtsc(), t1;
		stats_page_copy(page_b, page_a);
		t1 = stats_rdtsc();
		if (i >= BASIC_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

void lbench_basic(void)
{
	basic_rdtsc();
	basic_getppid();
	basic_zero_copy();
}
