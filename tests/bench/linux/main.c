/* SPDX-License-Identifier: MIT */
/*
 * /init of the Linux benchmark initramfs. PID 1 only prepares and
 * waits: the benchmarks run in a child (the kernel treats faults and
 * signals of PID 1 specially), the fork benchmarks in a second one, with
 * address-space randomisation off.
 * At the end the machine is switched off through QEMU's isa-debug-exit
 * port (status 0 means every benchmark ran), or with reboot() if the
 * port is not there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "lbench.h"

#define DEBUG_EXIT_PORT 0xf4

struct stats lbench_stats;

void lbench_fail(const char *what)
{
	printf("not ok - linux bench: %s failed\n", what);
	fflush(stdout);
	exit(1);
}

/* stdin/out/err on the console, even if the initramfs lacks /dev/console. */
static void main_console(void)
{
	int fd;

	if (access("/dev/console", F_OK) != 0) {
		mkdir("/dev", 0755);
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	}
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static void main_poweroff(int status)
{
	fflush(stdout);
	if (ioperm(DEBUG_EXIT_PORT, 4, 1) == 0)
		outl((unsigned)status, DEBUG_EXIT_PORT);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* Is `flag` among the words of the "flags" line of /proc/cpuinfo? */
static int main_cpu_flag(const char *line, const char *flag)
{
	size_t n = strlen(flag);

	for (const char *p = strstr(line, flag); p; p = strstr(p + 1, flag))
		if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return 1;
	return 0;
}

/* Say which kernel runs and how it will zero and copy pages: rep stosq
 * (rep_good without erms) is what the comparison assumes. */
static void main_describe(void)
{
	struct utsname u;
	char line[4096];
	FILE *f;

	uname(&u);
	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			printf("LINUX kernel=%s rep_good=%d erms=%d fsrm=%d\n", u.release,
			       main_cpu_flag(line, "rep_good"), main_cpu_flag(line, "erms"),
			       main_cpu_flag(line, "fsrm"));
			break;
		}
	if (f)
		fclose(f);
}

static void main_child(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("bench: Linux benchmarks, unit = guest instructions (QEMU -icount shift=0)\n");
	main_describe();
	lbench_basic();
	lbench_ipc();
	lbench_map();
	lbench_fault();
	lbench_appel();
}

/* The fork benchmarks run in a process of their own, forked from PID 1
 * after the others: it holds little but its image and stack, like the
 * Pagoda task they are compared with. */
static void main_fork_child(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	lbench_fork();
}

/* Run fn in a child process; true if it exited with status 0 (a
 * benchmark that fails exits with 1 through lbench_fail). */
static int main_run(void (*fn)(void))
{
	int status = 1;
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* The growth series (growth.c) and fork with 64 MiB written (fork.c),
 * each in a process of its own, after everything else so that they move
 * no other figure. */
static void main_growth_child(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	lbench_growth();
}

static void main_fork_64m_child(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	lbench_fork_64m();
}

/* glibc's malloc and free, each workload on a fresh heap (rtalloc.c). */
static void main_rtalloc_child(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	lbench_rtalloc();
}

/* The file benchmarks on the virtio disk (file.c): a boot of their own. */
static void main_file_child(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	lbench_file();
}

int main(void)
{
	main_console();
	setvbuf(stdout, NULL, _IONBF, 0);
	personality(ADDR_NO_RANDOMIZE);
	/* rtalloc_only=1 on the kernel command line (tools/bench.py
	 * --rtalloc-trace): the allocator benchmarks alone. */
	if (getenv("rtalloc_only") && main_run(main_rtalloc_child)) {
		printf("BENCH-END ok\n");
		main_poweroff(0);
	}
	/* file_only=1 (tools/bench.py, with the disk and the modules): the
	 * file benchmarks alone. */
	if (getenv("file_only") && main_run(main_file_child)) {
		printf("BENCH-END ok\n");
		main_poweroff(0);
	}
	/* growth_only=1: the growth series' own points alone (growth.c, fork_64m). */
	if (getenv("growth_only") && main_run(main_growth_child) && main_run(main_fork_64m_child)) {
		printf("BENCH-END ok\n");
		main_poweroff(0);
	}
	if (!getenv("rtalloc_only") && !getenv("file_only") && !getenv("growth_only") &&
	    main_run(main_child) && main_run(main_fork_child) && main_run(main_rtalloc_child) &&
	    main_run(main_growth_child) && main_run(main_fork_64m_child)) {
		printf("BENCH-END ok\n");
		main_poweroff(0);
	}
	printf("BENCH-END failed\n");
	main_poweroff(1);
}
