/* SPDX-License-Identifier: MIT */
/* Execute a privileged instruction: #GP goes to the exception handler
 * (init), which refuses, and the kernel stops this thread. */
#include "tap.h"

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("privinstr: executing hlt in user mode\n");
	__asm__ volatile("hlt");
	printf("not ok - hlt returned in user mode\n");
	return 1;
}
