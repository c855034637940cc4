/* SPDX-License-Identifier: MIT */
/*
 * The Linux points of the growth series (tools/bench.py GROWTH) that the
 * other files do not measure already, in a process of their own forked
 * from PID 1 after every other benchmark (main.c), so that they move no
 * other figure.
 *
 *   pipe_proc_<n>         the pipe ping-pong between two processes of
 *                         ipc.c with n = 8, 16, 24, 32, 128, 256 and 504
 *                         bytes: the size of 1, 2, 3, 4, 16, 32 and 63
 *                         message words (pipe_proc_1 and pipe_proc_64
 *                         are ipc.c's; a pipe cannot carry 0 bytes)
 *   mmap_shared_<n>,      map.c's mmap + MAP_POPULATE and munmap of a
 *   munmap_shared_<n>     memfd whose pages exist, n = 8, 64 and 4,096
 *                         pages (1 and 512 are map.c's)
 *   punch_512_maps_<d>    Linux's closest analogue of Pagoda's unmap down
 *                         a chain of d spaces: a memfd of 512 pages mapped
 *                         shared and populated in d processes; the
 *                         measured fallocate(PUNCH_HOLE) of the 512 pages
 *                         takes them out of every mapping (the kernel's
 *                         unmap_mapping_range: each process's page-table
 *                         entries) and frees them; d = 1 to 8
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "lbench.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23        /* Linux 5.14 */
#endif

#define GROWTH_PIPE_ITERS 300
#define GROWTH_BIG_PAGES 4096
#define GROWTH_PUNCH_PAGES 512
#define GROWTH_PUNCH_BYTES ((long)GROWTH_PUNCH_PAGES * 4096)
#define GROWTH_MAX_MAPS 8
#define GROWTH_PUNCH_ITERS 10
#define GROWTH_PUNCH_WARMUP 2

/* One process mapping the memfd: on 'p' it populates its mapping
 * writable and answers, on anything else it exits. */
static _Noreturn void growth_mapper(int fd, int cmd, int ack)
{
	char c;
	uint8_t *p = mmap(NULL, GROWTH_PUNCH_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		_exit(1);
	while (read(cmd, &c, 1) == 1 && c == 'p') {
		if (madvise(p, GROWTH_PUNCH_BYTES, MADV_POPULATE_WRITE)) {
			printf("not ok - linux bench: madvise(MADV_POPULATE_WRITE) failed\n");
			_exit(1);
		}
		c = (char)p[(GROWTH_PUNCH_PAGES - 1) * 4096];
		if (write(ack, &c, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

struct growth_mappers {
	int d;
	pid_t pid[GROWTH_MAX_MAPS];
	int cmd[GROWTH_MAX_MAPS][2], ack[GROWTH_MAX_MAPS][2];
};

static void growth_mappers_start(struct growth_mappers *m, int fd, int d)
{
	m->d = d;
	for (int k = 0; k < d; k++) {
		if (pipe(m->cmd[k]) || pipe(m->ack[k]))
			lbench_fail("pipe");
		m->pid[k] = fork();
		if (m->pid[k] < 0)
			lbench_fail("fork");
		if (m->pid[k] == 0)
			growth_mapper(fd, m->cmd[k][0], m->ack[k][1]);
		/* the mapper's ends: a mapper that dies is an end of file here */
		close(m->cmd[k][0]);
		close(m->ack[k][1]);
	}
}

/* Every mapper populates its mapping (and so the memfd, if the pages are
 * not there). */
static void growth_mappers_populate(struct growth_mappers *m)
{
	const char go = 'p';
	char ack;

	for (int k = 0; k < m->d; k++)
		if (write(m->cmd[k][1], &go, 1) != 1 || read(m->ack[k][0], &ack, 1) != 1)
			lbench_fail("populate");
}

static void growth_mappers_stop(struct growth_mappers *m)
{
	int status;
	char c = 'q';

	for (int k = 0; k < m->d; k++) {
		/* 'q', not EOF: the mappers forked later hold this pipe too */
		if (write(m->cmd[k][1], &c, 1) != 1 ||
		    waitpid(m->pid[k], &status, 0) != m->pid[k] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			lbench_fail("mapper");
		close(m->cmd[k][1]);
		close(m->ack[k][0]);
	}
}

static void growth_punch(const char *name, int d)
{
	struct stats *s = &lbench_stats;
	struct growth_mappers m;
	int fd = memfd_create("punch", 0);

	if (fd < 0 || ftruncate(fd, GROWTH_PUNCH_BYTES))
		lbench_fail("memfd");
	growth_mappers_start(&m, fd, d);
	stats_begin(s, name, "instructions");
	for (unsigned i = 0; i < GROWTH_PUNCH_WARMUP + GROWTH_PUNCH_ITERS; i++) {
		uint64_t t0, t1;
		long r;

		growth_mappers_populate(&m);
		t0 = stats_rdtsc();
		r = lbench_syscall6(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    0, GROWTH_PUNCH_BYTES, 0, 0);
		t1 = stats_rdtsc();
		if (r)
			lbench_fail("fallocate punch");
		if (i >= GROWTH_PUNCH_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
	growth_mappers_stop(&m);
	close(fd);
}

void lbench_growth(void)
{
	static const long bytes[] = { 8, 16, 24, 32, 128, 256, 504 };
	static const char *const pipe_names[] = { "pipe_proc_8",  "pipe_proc_16",  "pipe_proc_24",
						  "pipe_proc_32", "pipe_proc_128", "pipe_proc_256",
						  "pipe_proc_504" };
	static const char *const punch_names[] = { "punch_512_maps_1", "punch_512_maps_2",
						   "punch_512_maps_3", "punch_512_maps_4",
						   "punch_512_maps_5", "punch_512_maps_6",
						   "punch_512_maps_7", "punch_512_maps_8" };
	int fd;

	for (int i = 0; i < 7; i++)
		ipc_pingpong(pipe_names[i], bytes[i], 0, GROWTH_PIPE_ITERS);
	fd = map_memfd(GROWTH_BIG_PAGES);
	map_series("mmap_shared_8", "munmap_shared_8", 8, fd, 10, 100);
	map_series("mmap_shared_64", "munmap_shared_64", 64, fd, 10, 100);
	map_series("mmap_shared_4096", "munmap_shared_4096", GROWTH_BIG_PAGES, fd, 2, 5);
	close(fd);
	for (int d = 1; d <= GROWTH_MAX_MAPS; d++)
		growth_punch(punch_names[d - 1], d);
}
