/* SPDX-License-Identifier: MIT */
/* Touches N pages of its heap (argv[1], default 64), checking each. */
#include "tap.h"
#include <layout.h>

int main(int argc, char **argv)
{
	unsigned n = 64, bad = 0;
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;

	if (argc > 1)
		n = (unsigned)(argv[1][0] - '0') * 16;
	for (unsigned i = 0; i < n; i++) {
		heap[i * 512] = i + 1;
		bad += heap[i * 512] != i + 1;
	}
	ok(!bad, "%s touched %u pages through its pager", argv[0], n);
	return (int)tap_failed;
}
