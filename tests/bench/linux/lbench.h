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

/* Stop with a message if a set-up step failed (never on a measured path). */
void lbench_fail(const char *what);

#endif
