/* SPDX-License-Identifier: MIT */
/* Runs while other tasks fault and are stopped, then checks it is fine. */
#include "tap.h"
#include <layout.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;

	heap[0] = 42;
	tap_sleep(50000);
	ok(heap[0] == 42, "survivor still runs and keeps its memory after others faulted");
	return (int)tap_failed;
}
