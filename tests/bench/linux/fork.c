/* SPDX-License-Identifier: MIT */
/*
 * fork and the copy-on-write break, measured as on Pagoda
 * (tests/bench/pagoda_fork/), in a process of their own (main.c forks it
 * from PID 1, so it holds little besides its image, stack and the region
 * below).
 *
 * fork_0, fork_1m, fork_16m: the parent's fork system call (inline, no
 * libc wrapper), from the call until it returns in the parent, with 0,
 * 256 or 4,096 pages of a private anonymous region written. The kernel
 * copies the page tables of the region and write-protects its pages in
 * both. The child exits at once (exit_group, inline); the parent waits
 * for it after the second rdtsc. Before each fork the parent writes every
 * page again (not measured), so each fork finds them written and
 * writable, as on Pagoda.
 *
 * fork_64m (lbench_fork_64m): the same with 16,384 pages, in a process
 * that holds only that region.
 *
 * fork_16m_read: as fork_16m, but the child reads one word of every page
 * and exits; from the fork until wait4 returns in the parent.
 *
 * fork_cycle: the whole life of a child that does nothing, from the fork
 * until wait4 (inline) returns in the parent, with no region written.
 *
 * cow_break: the parent writes the pages, forks once, and while the
 * child waits in read() on a pipe, writes each page again: the write
 * faults, the kernel sees the page shared, copies it into a new page
 * (copy_page: rep movsq) and maps that. Measured around the faulting
 * store; the first COW_WARMUP pages are the warm-up.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lbench.h"

#define FORK_WARMUP 2
#define COW_WARMUP 64
#define COW_ITERS 1024
#define FORK_REGION_SIZE (16ul << 20)
#define COW_REGION_SIZE (16ul << 20)
#define FORK_64M_PAGES 16384

static uint8_t *fork_region, *cow_region;

static void fork_touch(uint8_t *base, unsigned pages)
{
	for (unsigned i = 0; i < pages; i++)
		*(volatile uint64_t *)(base + (size_t)i * 4096) = i;
}

/* The child's way out: no libc (its stdio buffers are the parent's). */
static _Noreturn void fork_child_exit(void)
{
	lbench_syscall3(SYS_exit_group, 0, 0, 0);
	__builtin_unreachable();
}

static int fork_reap(long pid)
{
	int status;

	return pid > 0 && waitpid((pid_t)pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* One fork; its cost in *cost. 0 if the fork or the wait failed. */
static int fork_once(uint64_t *cost)
{
	uint64_t t0 = stats_rdtsc(), t1;
	long pid = lbench_syscall0(SYS_fork);

	t1 = stats_rdtsc();
	if (pid == 0)
		fork_child_exit();
	*cost = t1 - t0;
	return fork_reap(pid);
}

static void fork_series(const char *name, unsigned pages, unsigned iters)
{
	struct stats *s = &lbench_stats;
	uint64_t cost;

	stats_begin(s, name, "instructions");
	for (unsigned i = 0; i < FORK_WARMUP + iters; i++) {
		fork_touch(fork_region, pages);
		if (!fork_once(&cost))
			lbench_fail("fork");
		if (i >= FORK_WARMUP)
			stats_add(s, cost);
	}
	stats_report(s);
}

static void fork_cycle(unsigned iters)
{
	struct stats *s = &lbench_stats;

	stats_begin(s, "fork_cycle", "instructions");
	for (unsigned i = 0; i < FORK_WARMUP + iters; i++) {
		uint64_t t0 = stats_rdtsc(), t1;
		long pid = lbench_syscall0(SYS_fork), r;
		int status;

		if (pid == 0)
			fork_child_exit();
		r = lbench_syscall6(SYS_wait4, pid, (long)&status, 0, 0, 0, 0);
		t1 = stats_rdtsc();
		if (pid < 0 || r != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			lbench_fail("fork_cycle");
		if (i >= FORK_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

/* fork_16m_read: fork with the pages written, the child reads one word of
 * each and exits; until wait4 returns in the parent. */
static void fork_read_series(const char *name, unsigned pages, unsigned iters)
{
	struct stats *s = &lbench_stats;

	stats_begin(s, name, "instructions");
	for (unsigned i = 0; i < FORK_WARMUP + iters; i++) {
		uint64_t t0, t1;
		long pid, r;
		int status;

		fork_touch(fork_region, pages);
		t0 = stats_rdtsc();
		pid = lbench_syscall0(SYS_fork);
		if (pid == 0) {
			uint64_t sum = 0;
			for (unsigned k = 0; k < pages; k++)
				sum += *(volatile uint64_t *)(fork_region + (size_t)k * 4096);
			lbench_syscall3(SYS_exit_group, sum == (uint64_t)-1, 0, 0);
			__builtin_unreachable();
		}
		r = lbench_syscall6(SYS_wait4, pid, (long)&status, 0, 0, 0, 0);
		t1 = stats_rdtsc();
		if (pid < 0 || r != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			lbench_fail(name);
		if (i >= FORK_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

static void fork_cow_break(void)
{
	struct stats *s = &lbench_stats;
	unsigned pages = COW_WARMUP + COW_ITERS;
	int go[2];
	long pid;
	char c = 0;

	if (pipe(go))
		lbench_fail("pipe");
	stats_begin(s, "cow_break", "instructions");
	fork_touch(cow_region, pages);
	pid = lbench_syscall0(SYS_fork);
	if (pid == 0) {
		lbench_syscall3(SYS_read, go[0], (long)&c, 1);
		fork_child_exit();
	}
	if (pid < 0)
		lbench_fail("fork");
	for (unsigned i = 0; i < pages; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(cow_region + (size_t)i * 4096);
		uint64_t t0 = stats_rdtsc(), t1;
		*p = 1;
		t1 = stats_rdtsc();
		if (i >= COW_WARMUP)
			stats_add(s, t1 - t0);
	}
	if (write(go[1], &c, 1) != 1 || !fork_reap(pid))
		lbench_fail("cow_break child");
	close(go[0]);
	close(go[1]);
	stats_report(s);
}

void lbench_fork(void)
{
	uint8_t *r = mmap(NULL, FORK_REGION_SIZE + COW_REGION_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		lbench_fail("mmap");
	fork_region = r;
	cow_region = r + FORK_REGION_SIZE;
	fork_series("fork_0", 0, 200);
	fork_cycle(100);
	fork_series("fork_1m", 256, 100);
	fork_series("fork_4m", 1024, 50);
	fork_series("fork_16m", 4096, 20);
	fork_read_series("fork_16m_read", 4096, 10);
	fork_cow_break();
}

/* fork_64m, the last point of the growth series, in a process of its own
 * (main.c) that holds only this region, as the Pagoda task of
 * tests/bench/fork64.cfg holds only its 64 MiB. */
void lbench_fork_64m(void)
{
	uint8_t *r = mmap(NULL, (size_t)FORK_64M_PAGES * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		lbench_fail("mmap 64 MiB");
	fork_region = r;
	fork_series("fork_64m", FORK_64M_PAGES, 5);
}
