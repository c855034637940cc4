/* SPDX-License-Identifier: MIT */
/* A client of pagers/pattern: fresh heap pages hold their own addresses. */
#include "tap.h"
#include <layout.h>

int main(int argc, char **argv)
{
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;
	unsigned bad = 0;

	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < 8 * 512; i += 17)
		bad += heap[i] != (word_t)&heap[i];
	ok(!bad, "every word of 8 fresh pages holds its own address");
	heap[0] = 7;
	ok(heap[0] == 7, "and the pages are writable");
	return (int)tap_failed;
}
