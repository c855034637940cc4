/* SPDX-License-Identifier: MIT */
/*
 * glibc malloc/free on the rt-alloc benchmark's workloads and trace
 * (../rtalloc/rtbench.c, built here with glibc's malloc): the same
 * seeded random workloads and the same embedded trace as the Pagoda task
 * bench/rtalloc, each call measured alone. Each workload runs in a
 * process of its own, on a fresh heap (glibc keeps what an earlier
 * workload grew its heap to, which would hide the next one's footprint).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lbench.h"
#include "../rtalloc/rtbench.h"

/* Run workload i (the trace for rtb_nworkloads) in a child; its status. */
static int rtalloc_one(unsigned i)
{
	int status = 1;
	pid_t pid = fork();

	if (pid == 0) {
		bool ok = i < rtb_nworkloads ? rtb_random(&rtb_workloads[i], 0, "", 0)
					     : rtb_trace("", 0);
		fflush(stdout);
		_exit(ok ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

void lbench_rtalloc(void)
{
	for (unsigned i = 0; i <= rtb_nworkloads; i++)
		if (!rtalloc_one(i))
			lbench_fail("rtalloc workload");
}
