/* SPDX-License-Identifier: MIT */
/*
 * Pipe ping-pong, the usual Linux stand-in for a synchronous IPC round
 * trip: the measuring side writes n bytes into one pipe and reads n
 * bytes back from another; the partner reads and writes them back.
 * Four system calls and two context switches per round trip. The
 * partner is another process (its own address space: compare with the
 * cross-space IPC) or a thread of the same process (compare with the
 * IPC between two threads of one space). 1 byte is the smallest message,
 * 64 bytes the size of 8 message registers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "lbench.h"

#define IPC_ITERS 2000
#define IPC_WARMUP 100
#define IPC_MAX_BYTES 512      /* growth.c's 63 words: 504 */

struct pingpong {
	int to_partner[2], to_me[2];
	long n;
};

/* The partner: echo until the measuring side closes its end. */
static void ipc_echo(struct pingpong *pp)
{
	char buf[IPC_MAX_BYTES];

	while (lbench_syscall3(SYS_read, pp->to_partner[0], (long)buf, pp->n) == pp->n)
		lbench_syscall3(SYS_write, pp->to_me[1], (long)buf, pp->n);
}

static void *ipc_echo_thread(void *arg)
{
	ipc_echo(arg);
	return NULL;
}

static void ipc_measure(struct pingpong *pp, const char *name, unsigned iters)
{
	struct stats *s = &lbench_stats;
	char buf[IPC_MAX_BYTES] = { 0 };

	stats_begin(s, name, "instructions");
	for (unsigned i = 0; i < IPC_WARMUP + iters; i++) {
		uint64_t t0 = stats_rdtsc(), t1;
		lbench_syscall3(SYS_write, pp->to_partner[1], (long)buf, pp->n);
		lbench_syscall3(SYS_read, pp->to_me[0], (long)buf, pp->n);
		t1 = stats_rdtsc();
		if (i >= IPC_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

void ipc_pingpong(const char *name, long n, int use_thread, unsigned iters)
{
	struct pingpong pp = { .n = n };
	pthread_t th;
	pid_t pid = 0;

	if (pipe(pp.to_partner) || pipe(pp.to_me))
		lbench_fail("pipe");
	if (use_thread) {
		if (pthread_create(&th, NULL, ipc_echo_thread, &pp))
			lbench_fail("pthread_create");
	} else if ((pid = fork()) == 0) {
		close(pp.to_partner[1]);
		ipc_echo(&pp);
		_exit(0);
	} else if (pid < 0) {
		lbench_fail("fork");
	}
	ipc_measure(&pp, name, iters);
	close(pp.to_partner[1]);
	if (use_thread)
		pthread_join(th, NULL);
	else
		waitpid(pid, NULL, 0);
	close(pp.to_partner[0]);
	close(pp.to_me[0]);
	close(pp.to_me[1]);
}

void lbench_ipc(void)
{
	ipc_pingpong("pipe_thread_1", 1, 1, IPC_ITERS);
	ipc_pingpong("pipe_thread_64", 64, 1, IPC_ITERS);
	ipc_pingpong("pipe_proc_1", 1, 0, IPC_ITERS);
	ipc_pingpong("pipe_proc_64", 64, 0, IPC_ITERS);
}
