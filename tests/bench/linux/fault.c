/* SPDX-License-Identifier: MIT */
/*
 * Page faults. anon_fault: a write to an untouched page of a private
 * anonymous mapping; the kernel allocates a page, zeroes it (clear_page:
 * rep stosq here) and maps it. uffd_copy: the same page registered with
 * userfaultfd (MISSING mode); a handler thread reads the fault message
 * and resolves it with UFFDIO_COPY (copy_user: rep movsq), which wakes
 * the faulting thread -- Linux's user-level pager. pf_file_cached: the
 * first write to a page of a shared mapping of a memfd whose pages are in
 * the page cache (tmpfs), the peer of a mapped file page the file pager
 * has cached. Measured around the
 * faulting store. Between batches madvise(MADV_DONTNEED) drops the pages
 * (not measured) and keeps the page tables, as the Pagoda side does.
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "lbench.h"

#define FAULT_PAGES 256
#define FAULT_BATCHES 4

static uint8_t fault_src[4096] __attribute__((aligned(4096)));

static void fault_series(const char *name, uint8_t *region)
{
	struct stats *s = &lbench_stats;

	stats_begin(s, name, "instructions");
	for (unsigned b = 0; b <= FAULT_BATCHES; b++) {
		for (unsigned i = 0; i < FAULT_PAGES; i++) {
			volatile uint8_t *p = region + (size_t)i * 4096;
			uint64_t t0 = stats_rdtsc(), t1;
			*p = 1;
			t1 = stats_rdtsc();
			if (b > 0)
				stats_add(s, t1 - t0);
		}
		if (madvise(region, FAULT_PAGES * 4096, MADV_DONTNEED))
			lbench_fail("madvise");
	}
	stats_report(s);
}

static uint8_t *fault_region(void)
{
	void *p = mmap(NULL, FAULT_PAGES * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		lbench_fail("mmap");
	return p;
}

/* The userfaultfd handler: resolve every missing-page fault by copying. */
static void *fault_uffd_handler(void *arg)
{
	long uffd = (long)arg;
	struct uffd_msg msg;
	struct uffdio_copy copy;

	for (;;) {
		if (lbench_syscall3(SYS_read, uffd, (long)&msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		copy.dst = msg.arg.pagefault.address & ~(uint64_t)4095;
		copy.src = (uint64_t)fault_src;
		copy.len = 4096;
		copy.mode = 0;
		copy.copy = 0;
		lbench_syscall3(SYS_ioctl, uffd, UFFDIO_COPY, (long)&copy);
	}
	return NULL;
}

static void fault_uffd(void)
{
	uint8_t *region = fault_region();
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uint64_t)region, .len = FAULT_PAGES * 4096 },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	long uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	pthread_t th;

	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg))
		lbench_fail("userfaultfd");
	memset(fault_src, 0x5a, sizeof(fault_src));
	if (pthread_create(&th, NULL, fault_uffd_handler, (void *)uffd))
		lbench_fail("pthread_create");
	fault_series("uffd_copy", region);
	/* The handler stays blocked in read(); exit() ends it. */
}

/* A shared mapping of a memfd (tmpfs) whose pages are all in the page
 * cache: each first write is a fault that finds the page there. */
static uint8_t *fault_memfd_region(void)
{
	int fd = (int)syscall(SYS_memfd_create, "bench", 0);
	void *p;

	if (fd < 0 || ftruncate(fd, FAULT_PAGES * 4096))
		lbench_fail("memfd");
	for (unsigned i = 0; i < FAULT_PAGES; i++)
		if (pwrite(fd, fault_src, 4096, (off_t)i * 4096) != 4096)
			lbench_fail("pwrite");
	p = mmap(NULL, FAULT_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		lbench_fail("mmap");
	return p;
}

void lbench_fault(void)
{
	fault_series("anon_fault", fault_region());
	fault_series("pf_file_cached", fault_memfd_region());
	fault_uffd();
}
