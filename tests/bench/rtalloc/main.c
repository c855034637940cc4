/* SPDX-License-Identifier: MIT */
/*
 * The rt-alloc benchmark task (rtbench.h, worst.c): rt_malloc and rt_free
 * per call, on heaps of several sizes, beside Pagoda's default way to get
 * memory, the first touch of a fresh page through the copy-on-write pager.
 * It runs as a client of the copy-on-write pager:
 *
 *   bench/rtalloc pager=pagers/cow [-- heaps=1,64,1024] [n=<ops>] [only=<names>]
 *
 * heaps= lists the heap sizes in MiB (default 1,64,1024; 1 GiB needs QEMU
 * -m 2G); n= scales every random workload to n operations (the smoke
 * test); only= runs the parts named (worst, rand, small, trace, touch).
 * The heap is pre-mapped: 2 MiB frames from sigma0, received at
 * RTB_HEAP_VA before anything is measured, so no call faults. Ends with
 * "BENCH-END ok" or "BENCH-END failed".
 */
#include <libmap.h>
#include <layout.h>
#include <pager.h>
#include <sigma0.h>
#include "rtbench.h"

#define RTB_HEAP_VA 0x300000000000ull
#define RTB_FRAME_LOG2 21
#define RTB_FRAMES_MAX 512                  /* 1 GiB */
#define RTB_TOUCH_PAGES 1024
#define RTB_TOUCH_REGION (USER_HEAP_BASE + 0x4000000ull)

bool rtb_worst(void *base, size_t size, const char *suffix);

static word_t main_frames_pa[RTB_FRAMES_MAX];
static unsigned main_nframes, main_n;
static const char *main_only;
static unsigned main_heaps[8] = { 1, 64, 1024 }, main_nheaps = 3;

/* Is part `name` in the list only= (as itself, or inside a series name
 * such as rtalloc_malloc_worst_1g, which tools/bench.py --profile gives)? */
static bool main_want(const char *name)
{
	size_t n = strlen(name);

	for (const char *p = main_only; p; p = strchr(p, ','), p = p ? p + 1 : NULL) {
		const char *end = strchr(p, ',') ? strchr(p, ',') : p + strlen(p);
		for (const char *q = p; q + n <= end; q++)
			if (!strncmp(q, name, n) && (q == p || q[-1] == '_') &&
			    (q + n == end || q[n] == '_'))
				return true;
	}
	return !main_only;
}

static unsigned main_number(const char **p)
{
	unsigned v = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++)
		v = v * 10 + (unsigned)(**p - '0');
	return v;
}

static void main_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *p = argv[i];
		if (!strncmp(p, "only=", 5))
			main_only = p + 5;
		else if (!strncmp(p, "n=", 2) && (p += 2))
			main_n = main_number(&p);
		else if (!strncmp(p, "heaps=", 6))
			for (p += 6, main_nheaps = 0; *p && main_nheaps < 8; p += *p == ',')
				main_heaps[main_nheaps++] = main_number(&p);
	}
	if (main_n > RTB_MAX_SAMPLES)
		main_n = RTB_MAX_SAMPLES;
}

/* Map `mib` MiB of frames at RTB_HEAP_VA (2 MiB each, from sigma0). */
static bool main_map_heap(unsigned mib)
{
	unsigned want = (mib + 1) / 2;

	while (main_nframes < want && main_nframes < RTB_FRAMES_MAX) {
		word_t va = RTB_HEAP_VA + ((word_t)main_nframes << RTB_FRAME_LOG2), pa;
		word_t err = sigma0_alloc(RTB_FRAME_LOG2, FPAGE_RW,
					  fpage_make(va, RTB_FRAME_LOG2, 0), &pa);
		if (err) {
			printf("not ok - bench/rtalloc: no 2 MiB frame from sigma0 for %u MiB (error %lu)\n",
			       mib, (unsigned long)err);
			return false;
		}
		main_frames_pa[main_nframes++] = pa;
		/* Write every page once: mapped and present before measuring. */
		for (word_t o = 0; o < (1u << RTB_FRAME_LOG2); o += 4096)
			*(volatile char *)(va + o) = 0;
	}
	return main_nframes >= want;
}

static void main_unmap_heap(void)
{
	while (main_nframes)
		sigma0_free(main_frames_pa[--main_nframes], RTB_FRAME_LOG2);
}

/* The default path: the first write to each of fresh heap pages, which
 * the copy-on-write pager backs with a zeroed frame (as bench/fork's
 * pf_cow: new frames from sigma0 once its pool is used up). */
static void main_touch(void)
{
	static uint32_t v[RTB_TOUCH_PAGES];
	unsigned n = main_n && main_n < RTB_TOUCH_PAGES ? main_n : RTB_TOUCH_PAGES;

	for (unsigned i = 0; i < n + PAGER_POOL_KEEP; i++) {
		volatile char *p = (volatile char *)(RTB_TOUCH_REGION + (word_t)i * 4096);
		uint64_t t0 = stats_rdtsc(), t1;
		*p = 1;
		t1 = stats_rdtsc();
		if (i >= PAGER_POOL_KEEP)
			v[i - PAGER_POOL_KEEP] = (uint32_t)(t1 - t0);
	}
	rtb_report("first_touch", "cow", "", v, n);
}

/* Every part on a heap of `mib` MiB. */
static bool main_heap(unsigned mib)
{
	void *base = (void *)RTB_HEAP_VA;
	size_t size = (size_t)mib << 20;
	char suffix[16];
	bool ok = true;

	if (mib >= 1024)
		fmt_snprintf(suffix, sizeof(suffix), "_%ug", mib >> 10);
	else
		fmt_snprintf(suffix, sizeof(suffix), "_%um", mib);
	if (!main_map_heap(mib))
		return false;
	if (main_want("worst"))
		ok = rtb_worst(base, size, suffix);
	for (unsigned i = 0; ok && i < rtb_nworkloads; i++) {
		if (!main_want(rtb_workloads[i].name))
			continue;
		rt_heap_reset();
		rt_heap_add(base, size);
		ok = rtb_random(&rtb_workloads[i], main_n, suffix, (uintptr_t)base) &&
		     !rtalloc_check(true);
	}
	if (ok && main_want("trace")) {
		rt_heap_reset();
		rt_heap_add(base, size);
		ok = rtb_trace(suffix, (uintptr_t)base) && !rtalloc_check(true);
	}
	rt_heap_reset();
	if (!ok)
		printf("not ok - bench/rtalloc: the %u MiB heap failed its checks\n", mib);
	return ok;
}

int main(int argc, char **argv)
{
	bool ok = true;

	main_args(argc, argv);
	printf("bench: rt-alloc, unit = guest instructions (QEMU -icount shift=0)\n");
	for (unsigned i = 0; ok && i < main_nheaps; i++)
		ok = main_heap(main_heaps[i]);
	main_unmap_heap();
	if (ok && main_want("touch"))
		main_touch();
	printf("BENCH-END %s\n", ok ? "ok" : "failed");
	return ok ? 0 : 1;
}
