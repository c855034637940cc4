/* SPDX-License-Identifier: MIT */
/*
 * The smallest pager: zero-filled memory on demand. Every region the root
 * task gives a client is served with zeroed frames from the pager below;
 * everything else is refused. Copy this file to start your own pager.
 */
#include <pager.h>

int main(int argc, char **argv)
{
	static struct pager p;

	(void)argc;
	(void)argv;
	pager_init(&p, "zero", NULL);
	printf("zero: zero-fill pager %lx, frames from %lx\n", libmap_myself, p.below);
	return pager_run(&p);
}
