/* SPDX-License-Identifier: MIT */
/* Dereference NULL: the pager refuses, the kernel stops this thread. */
#include "tap.h"

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	volatile int *p = (volatile int *)0;

	printf("nullderef: reading address 0\n");
	return *p;
}
