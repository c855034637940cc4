/* SPDX-License-Identifier: MIT */
/*
 * A page fault resolved by a user-level pager: the client (a thread of
 * S1) writes to a page it does not have; the kernel sends the fault to
 * the pager (a thread of S0) as IPC; the pager takes the next of its
 * frames, zeroes it with rep stosq (or not: the second series shows the
 * path alone), and replies with a map item; the kernel maps it and the
 * write is retried. Measured by the client around the faulting store.
 *
 * The pool has PF_PAGES frames: after each batch the pager revokes the
 * client's mappings (LBL_RESET, not measured) and the next batch faults
 * on the same addresses again. The first batch is the warm-up (it also
 * builds S1's page tables for the region).
 */
#include "bench.h"

#define FAULT_BATCHES 4

static void fault_series(const char *name, bool zero)
{
	struct stats *s = &bench_stats;

	if (!bench_want(name))
		return;
	pager_zero = zero;
	stats_begin(s, name, "instructions");
	for (unsigned b = 0, n = 0; n < bench_iters(FAULT_BATCHES * PF_PAGES); b++) {
		for (unsigned i = 0; i < PF_PAGES && n < bench_iters(FAULT_BATCHES * PF_PAGES); i++) {
			volatile char *p = (volatile char *)(CHILD_PF + (word_t)i * 4096);
			uint64_t t0 = stats_rdtsc(), t1;
			*p = 1;
			t1 = stats_rdtsc();
			if (b > 0) {
				stats_add(s, t1 - t0);
				n++;
			}
		}
		msg_tag(LBL_RESET, 0, 0);
		ipc_call(bt_pager.tid);
	}
	stats_report(s);
}

void bench_fault(void)
{
	fault_series("pf_pager_zero", true);
	fault_series("pf_pager_nozero", false);
}
