/* SPDX-License-Identifier: MIT */
/*
 * A tracing pager: logs every fault and every frame it lends, and serves
 * them with frames it takes from the pager below: stacking made visible.
 * Put it between two tiers in boot.cfg (pager=trace) to watch the traffic.
 */
#include <pager.h>

int main(int argc, char **argv)
{
	static struct pager p;

	(void)argc;
	(void)argv;
	pager_init(&p, "trace", NULL);
	p.trace = true;
	printf("trace: tracing pager %lx, frames from %lx\n", libmap_myself, p.below);
	return pager_run(&p);
}
