/* SPDX-License-Identifier: MIT */
/*
 * A tracing pager: logs every fault and every frame it lends, and serves
 * them with frames it takes from the pager below: stacking made visible.
 * Put it between two tiers in boot.cfg (pager=trace) to watch the traffic.
 * With the argument "quiet" it logs nothing per fault: a plain middle tier
 * (the benchmarks measure a fault through it).
 */
#include <pager.h>

int main(int argc, char **argv)
{
	static struct pager p;
	bool quiet = argc > 1 && !strcmp(argv[1], "quiet");

	pager_init(&p, "trace", NULL);
	p.trace = !quiet;
	printf("trace: tracing pager %lx, frames from %lx%s\n", libmap_myself, p.below,
	       quiet ? " (quiet)" : "");
	return pager_run(&p);
}
