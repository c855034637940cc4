/* SPDX-License-Identifier: MIT */
/*
 * The real-time side of the colour-isolation experiment
 * (tools/rt_isolation.py): pre-populated by the colouring pager, it reads
 * every cache line of a 256 KiB working set once per iteration, inside a
 * window the cache-model plugin (tools/cachesim.c) measures, each after
 * the noisy task (tests/noisy) has streamed through its buffer once (the
 * first after the noisy task's own start-up too).
 *
 *   tests/rtloop [ITERATIONS]
 */
#include <libmap.h>
#include <layout.h>
#include "../../rt-alloc/colour_client.h"

#define RT_WORKING_SET (256u << 10)

static unsigned rt_number(const char *s)
{
	unsigned v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned)(*s++ - '0');
	return v;
}

/* One pass over the working set inside a measured window. */
static word_t rt_iteration(const volatile word_t *ws)
{
	word_t sum = 0;

	__asm__ volatile(".byte 0x66, 0x87, 0xdb" ::: "memory");   /* xchg %bx,%bx: open */
	for (word_t i = 0; i < RT_WORKING_SET / 8; i += 64 / 8)
		sum += ws[i];
	__asm__ volatile(".byte 0x66, 0x87, 0xc9" ::: "memory");   /* xchg %cx,%cx: close */
	return sum;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? rt_number(argv[1]) : 8;
	const volatile word_t *ws = (const volatile word_t *)USER_HEAP_BASE;
	word_t sum = 0, from, err = colour_populate();

	if (err) {
		printf("rtloop: COLOUR_POPULATE failed: error %lu\n", err);
		return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		ipc_receive(TID_ANY, TIMEOUT_NEVER, &from);         /* one noisy sweep */
		sum += rt_iteration(ws);
	}
	printf("rtloop: %u iterations over %u KiB (sum %lu)\n", n, RT_WORKING_SET >> 10, sum);
	return 0;
}
