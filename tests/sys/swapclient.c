/* SPDX-License-Identifier: MIT */
/*
 * A client of pagers/swap, which keeps 4 of its heap pages in frames and
 * the rest in a backing store: 16 pages written, then read back through
 * evictions (dirty pages written back, clean ones dropped, pages coming
 * back in other frames), then half of them given back with
 * PAGER_RELEASE: those read as zeros, the rest keep their contents.
 */
#include "tap.h"
#include <fork.h>

#define NPAGES 16

static volatile word_t *page(unsigned i)
{
	return (volatile word_t *)(USER_HEAP_BASE + (word_t)i * 4096);
}

static word_t word(unsigned i, unsigned j, unsigned round)
{
	return (word_t)round << 48 | (word_t)i << 16 | j;
}

static void write_all(unsigned round)
{
	for (unsigned i = 0; i < NPAGES; i++)
		for (unsigned j = 0; j < 512; j += 37)
			page(i)[j] = word(i, j, round);
}

/* Pages [from, to) hold round's words (round 0: zeros). */
static bool holds(unsigned from, unsigned to, unsigned round)
{
	for (unsigned i = from; i < to; i++)
		for (unsigned j = 0; j < 512; j += 37)
			if (page(i)[j] != (round ? word(i, j, round) : 0)) {
				printf("# page %u word %u: %lx\n", i, j, page(i)[j]);
				return false;
			}
	return true;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	write_all(1);
	ok(holds(0, NPAGES, 1), "16 pages written through a 4-frame resident set read back");
	ok(holds(0, NPAGES, 1), "and again, clean this time");
	write_all(2);
	ok(holds(0, NPAGES, 2), "rewritten pages come back with the new contents");
	ok_err(pager_release(USER_HEAP_BASE + 8 * 4096, 8 * 4096), E_OK,
	       "PAGER_RELEASE of pages 8..15");
	ok(holds(8, NPAGES, 0), "they read as zeros");
	ok(holds(0, 8, 2), "pages 0..7 kept their contents");
	ok_err(pager_release(USER_HEAP_BASE + 100, 4096), E_BAD_ARGUMENT,
	       "an unaligned PAGER_RELEASE is refused");
	return tap_done("swapclient");
}
