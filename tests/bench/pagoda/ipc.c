/* SPDX-License-Identifier: MIT */
/*
 * IPC round trips: main calls an echo server (call = send + receive from
 * the same partner, one system call) and the server answers with
 * reply-and-wait (one system call). Measured by main around its call:
 * two system calls, two thread switches, and for the cross-space case
 * two address-space switches. u untyped words go each way: MR1..MR2
 * travel in registers, MR3.. through the UTCBs.
 */
#include "bench.h"

#define IPC_ITERS 2000
#define IPC_WARMUP 100

/* u-word calls to server and back: `iters` measured after `warmup`. */
void bench_ipc_round_trip(const char *name, word_t server, unsigned u, unsigned iters,
			  unsigned warmup)
{
	struct stats *s = &bench_stats;
	struct utcb *ut = utcb();

	if (!bench_want(name))
		return;
	for (unsigned i = 1; i <= u; i++)
		ut->mr[i] = i;
	stats_begin(s, name, "instructions");
	for (unsigned i = 0; i < warmup + bench_iters(iters); i++) {
		uint64_t t0 = stats_rdtsc(), t1;
		ut->mr[0] = tag_make(LBL_ECHO, u, 0);
		ipc_call(server);
		t1 = stats_rdtsc();
		if (i >= warmup)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

void bench_ipc(void)
{
	bench_ipc_round_trip("ipc_intra_0", bt_echo0.tid, 0, IPC_ITERS, IPC_WARMUP);
	bench_ipc_round_trip("ipc_intra_8", bt_echo0.tid, 8, IPC_ITERS, IPC_WARMUP);
	bench_ipc_round_trip("ipc_inter_0", bt_srv[0].tid, 0, IPC_ITERS, IPC_WARMUP);
	bench_ipc_round_trip("ipc_inter_8", bt_srv[0].tid, 8, IPC_ITERS, IPC_WARMUP);
}
