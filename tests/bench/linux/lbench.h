/* SPDX-License-Identifier: MIT */
/*
 * The Linux side of the benchmarks: a static /init for a small
 * initramfs that measures, with the same rdtsc and the same output
 * format (../stats.h), the Linux counterparts of the Pagoda operations.
 * System calls on measured paths are issued inline (lbench_syscall*),
 * as on the Pagoda side, so no libc wrapper (cancellation points, errno)
 * is counted.
 */
#ifndef BENCH_LINUX_H
#define BENCH_LINUX_H

#include <stddef.h>
#include <stdint.h>
#include "../stats.h"

extern struct stats lbench_stats;      /* one operation at a time */

static inline long lbench_syscall3(long n, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long lbench_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long lbench_syscall0(long n)
{
	return lbench_syscall3(n, 0, 0, 0);
}

/* The benchmarks, one file each. */
void lbench_basic(void);     /* basic.c: rdtsc, getppid, page zero/copy */
void lbench_ipc(void);       /* ipc.c: pipe ping-pong */
void lbench_fault(void);     /* fault.c: anonymous and userfaultfd faults */
void lbench_appel(void);     /* appel.c: mprotect + SIGSEGV */
void lbench_map(void);       /* map.c: mmap + populate, munmap */
void lbench_fork(void);      /* fork.c: fork, copy-on-write break (own process) */
void lbench_rtalloc(void);   /* rtalloc.c: glibc malloc/free, rt-alloc's workloads (own processes) */
void lbench_file(void);      /* file.c: a mapped file on a virtio disk (own boot) */
void lbench_growth(void);    /* growth.c: the growth series' other points (own process) */
void lbench_fork_64m(void);  /* fork.c: fork with 64 MiB written (own process) */

/* Shared with growth.c: a pipe ping-pong of n bytes (ipc.c, n <= 512), the
 * mmap + munmap series of `pages` pages (map.c; fd < 0: anonymous), a
 * memfd of `pages` pages in the page cache (map.c). */
void ipc_pingpong(const char *name, long n, int use_thread, unsigned iters);
void map_series(const char *map_name, const char *unmap_name, size_t pages, int fd, unsigned warmup,
		unsigned iters);
int map_memfd(size_t pages);

/* Stop with a message if a set-up step failed (never on a measured path). */
void lbench_fail(const char *what);

#endif
