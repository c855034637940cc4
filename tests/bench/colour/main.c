/* SPDX-License-Identifier: MIT */
/*
 * The page level of rt-alloc: from "colour frame requested" to "mapped".
 * A client of the colouring pager (rt-alloc/colour) writes to heap pages
 * it does not have; each write faults, the kernel sends the fault to the
 * pager, which takes a frame of the client's colours from its per-colour
 * pool (colour_alloc: a bitmap search and a pop), zeroes it, enters it in
 * the client's page table and replies with a map item. Measured around the
 * faulting store, after a warm-up of 8 faults.
 *
 *   bench/colour NAME N      print NAME with N samples (at most 4096)
 *
 * tests/bench/colour.cfg runs it as pf_colour: 16 colours, the client has
 * all of them. tests/bench/colour_wide.cfg as pf_colour_wide: 512 colours
 * (the most the pager keeps) and the client has only colour 0, so every
 * search starts just past colour 0 and wraps through the whole bitmap: the
 * longest path colour_alloc has. Its maximum is the page level's worst case.
 */
#include <libmap.h>
#include <layout.h>
#include "../stats.h"

#define COLOUR_WARMUP 8

static struct stats colour_stats;

static unsigned colour_number(const char *s)
{
	unsigned v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned)(*s++ - '0');
	return v;
}

/* Fault on heap page i; returns the instructions it took. */
static uint64_t colour_fault_once(unsigned i)
{
	volatile word_t *p = (volatile word_t *)(USER_HEAP_BASE + (word_t)i * 4096);
	uint64_t t0 = stats_rdtsc(), t1;

	*p = 1;
	t1 = stats_rdtsc();
	return t1 - t0;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "pf_colour";
	unsigned n = argc > 2 ? colour_number(argv[2]) : 1024;

	if (n > STATS_MAX_SAMPLES)
		n = STATS_MAX_SAMPLES;
	printf("bench: colouring pager faults, unit = guest instructions (QEMU -icount shift=0)\n");
	stats_begin(&colour_stats, name, "instructions");
	for (unsigned i = 0; i < COLOUR_WARMUP + n; i++) {
		uint64_t cost = colour_fault_once(i);
		if (i >= COLOUR_WARMUP)
			stats_add(&colour_stats, cost);
	}
	stats_report(&colour_stats);
	printf("BENCH-END ok\n");
	return 0;
}
