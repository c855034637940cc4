/* SPDX-License-Identifier: MIT */
/*
 * Execute in the heap (issue 8, class 9): init, the pager, takes a frame
 * from sigma0 for the page and then refuses the access (the heap is not
 * executable). Its report must name the faulting address and rip, not
 * what the sigma0 call left in its message registers.
 */
#include "tap.h"

int main(int argc, char **argv)
{
	void (*fn)(void) = (void (*)(void))USER_HEAP_BASE;

	(void)argc;
	(void)argv;
	printf("heapexec: calling %lx\n", (word_t)USER_HEAP_BASE);
	fn();
	ok(false, "heapexec: the heap executed");
	return 1;
}
