/* SPDX-License-Identifier: MIT */
/*
 * glibc malloc/free on the rt-alloc benchmark's workloads and trace
 * (../rtalloc/rtbench.c, built here with glibc's malloc): the same
 * seeded random workloads and the same embedded trace as the Pagoda task
 * bench/rtalloc, each call measured alone. Runs in a process of its own
 * (a fresh heap), after the others.
 */
#include <stdio.h>
#include "lbench.h"
#include "../rtalloc/rtbench.h"

void lbench_rtalloc(void)
{
	for (unsigned i = 0; i < rtb_nworkloads; i++)
		if (!rtb_random(&rtb_workloads[i], 0, "", 0))
			lbench_fail("rtalloc random workload");
	if (!rtb_trace("", 0))
		lbench_fail("rtalloc trace");
}
