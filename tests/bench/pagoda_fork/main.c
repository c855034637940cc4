/* SPDX-License-Identifier: MIT */
/*
 * The Pagoda fork benchmark task (forkbench.h tells what it measures).
 * It must run as a client of the copy-on-write pager:
 *
 *   bench/fork pager=pagers/cow [-- only=<names>] [n=<iterations>] [suffix=<s>]
 *
 * only= runs the operations named (a comma-separated list), n= sets the
 * length of every measured series (the smoke test and --profile use it),
 * suffix= is appended to every name printed (the same faults through a
 * deeper pager stack: "suffix=_3tier"). Ends with "BENCH-END ok" or
 * "BENCH-END failed" (tools/bench.py checks it).
 */
#include "forkbench.h"

struct stats bench_stats;
static const char *main_only, *main_suffix = "";
static unsigned main_n;

/* Is name in the comma-separated list main_only? */
bool bench_named(const char *name)
{
	size_t n = strlen(name);

	for (const char *p = main_only; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* Is name in main_only, or is there none? */
bool bench_want(const char *name)
{
	return !main_only || bench_named(name);
}

unsigned bench_iters(unsigned iters)
{
	return main_n ? main_n : iters;
}

void bench_begin(const char *name)
{
	static char buf[64];

	fmt_snprintf(buf, sizeof(buf), "%s%s", name, main_suffix);
	stats_begin(&bench_stats, buf, "instructions");
}

/* Write one word to each of `pages` pages from base. */
void bench_touch(word_t base, unsigned pages)
{
	for (unsigned i = 0; i < pages; i++)
		*(volatile word_t *)(base + (word_t)i * 4096) = i;
}

/* Write the 8 KiB of stack below the caller's frame: the last fork left
 * these pages read-only, and the next fork() writes there (fork_save
 * keeps the registers the child starts with), which would fault. */
__attribute__((noinline)) void bench_touch_stack(void)
{
	volatile char below[8192];

	for (unsigned i = 0; i < sizeof(below); i += 1024)
		below[i] = 0;
}

static void main_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "only=", 5))
			main_only = argv[i] + 5;
		else if (!strncmp(argv[i], "suffix=", 7))
			main_suffix = argv[i] + 7;
		else if (!strncmp(argv[i], "n=", 2))
			for (const char *p = argv[i] + 2; *p >= '0' && *p <= '9'; p++)
				main_n = main_n * 10 + (unsigned)(*p - '0');
	}
	if (main_n > STATS_MAX_SAMPLES)
		main_n = STATS_MAX_SAMPLES;
}

int main(int argc, char **argv)
{
	bool ok;

	main_args(argc, argv);
	printf("bench: Pagoda fork benchmarks, unit = guest instructions (QEMU -icount shift=0)\n");
	ok = bench_fork() && bench_cow() && bench_fault();
	printf("BENCH-END %s\n", ok ? "ok" : "failed");
	return ok ? 0 : 1;
}
