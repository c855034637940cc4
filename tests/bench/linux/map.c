/* SPDX-License-Identifier: MIT */
/*
 * Mapping and unmapping 1 and 512 pages: mmap with MAP_POPULATE
 * (measured around the system call) and munmap (likewise).
 *
 *   mmap_populate_N   private anonymous memory: every page is allocated
 *                     and zeroed (clear_page, rep stosq) on the way
 *   mmap_shared_N     a memfd whose pages already exist, mapped shared:
 *                     the pages are looked up and mapped, nothing is
 *                     zeroed -- the closer analogue of a pager mapping
 *                     frames it holds
 *   munmap_N          unmapping the anonymous mapping (which frees its pages)
 *   munmap_shared_N   unmapping the shared mapping (the pages stay in the memfd)
 *
 * Transparent huge pages are off (kernel command line), so 512 pages are
 * 512 page-table entries, as on the Pagoda side.
 */
#define _GNU_SOURCE
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "lbench.h"

#define MAP_ITERS_1 1000
#define MAP_WARMUP_1 50
#define MAP_ITERS_N 30
#define MAP_WARMUP_N 3
#define MAP_PAGES 512

static struct stats munmap_stats;

void map_series(const char *map_name, const char *unmap_name, size_t pages, int fd, unsigned warmup,
		unsigned iters)
{
	struct stats *m = &lbench_stats, *u = &munmap_stats;
	long len = (long)pages * 4096;
	int flags = (fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED) | MAP_POPULATE;

	stats_begin(m, map_name, "instructions");
	stats_begin(u, unmap_name, "instructions");
	for (unsigned i = 0; i < warmup + iters; i++) {
		uint64_t t0 = stats_rdtsc(), t1, t2, t3;
		long p = lbench_syscall6(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, flags, fd, 0);
		t1 = stats_rdtsc();
		if (p < 0 && p > -4096)
			lbench_fail("mmap");
		t2 = stats_rdtsc();
		lbench_syscall3(SYS_munmap, p, len, 0);
		t3 = stats_rdtsc();
		if (i >= warmup) {
			stats_add(m, t1 - t0);
			stats_add(u, t3 - t2);
		}
	}
	stats_report(m);
	stats_report(u);
}

/* A memfd of `pages` pages, all present in the page cache. */
int map_memfd(size_t pages)
{
	int fd = memfd_create("bench", 0);
	uint8_t *p;

	if (fd < 0 || ftruncate(fd, (off_t)pages * 4096))
		lbench_fail("memfd");
	p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		lbench_fail("mmap memfd");
	for (size_t i = 0; i < pages; i++)
		p[i * 4096] = 1;
	munmap(p, pages * 4096);
	return fd;
}

void lbench_map(void)
{
	int fd = map_memfd(MAP_PAGES);

	map_series("mmap_populate_1", "munmap_1", 1, -1, MAP_WARMUP_1, MAP_ITERS_1);
	map_series("mmap_populate_512", "munmap_512", MAP_PAGES, -1, MAP_WARMUP_N, MAP_ITERS_N);
	map_series("mmap_shared_1", "munmap_shared_1", 1, fd, MAP_WARMUP_1, MAP_ITERS_1);
	map_series("mmap_shared_512", "munmap_shared_512", MAP_PAGES, fd, MAP_WARMUP_N,
		   MAP_ITERS_N);
	close(fd);
}
