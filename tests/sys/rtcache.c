/* SPDX-License-Identifier: MIT */
/*
 * How many cache misses one rt_malloc or rt_free takes, with a noisy
 * neighbour (tools/rt_cachemiss.py runs it under the cache model of
 * tools/cachesim.c, with and without colouring).
 *
 * A client of the colouring pager, pre-populated: its heap (RTC_HEAP
 * bytes, populate= in the boot configuration) is mapped before it runs.
 * Every measured call waits first for one sweep of the noisy task
 * (tests/noisy: 4 MiB streamed, four times the modelled cache), then runs
 * alone inside a window of the plugin (`xchg %bx,%bx` ... `xchg %cx,%cx`):
 * whatever the neighbour can evict between two calls, it has evicted.
 * The plugin counts the window's misses to the pager's pool, which holds
 * every frame of this task: the allocator's control block (bss), the
 * block headers and free-list links it reads and writes (the payload is
 * not touched) and the call's stack frame.
 *
 * Two phases, each of two passes over the same operations; the first pass
 * is the warm-up (it is measured too, and reported apart):
 *
 *   worst    the constructed longest paths of rt_malloc and rt_free
 *            (tests/bench/rtalloc/worst.c, linked as it is: it calls
 *            rtb_time_malloc/rtb_time_free, which are this file's),
 *            RTB_WORST_REPS repetitions, so a pass is one repetition
 *   random   RTC_RANDOM_OPS seeded operations on RTC_SLOTS slots, sizes
 *            16 B .. 16 KiB (log-uniform): an empty slot gets a block, a
 *            full one is freed; the heap is emptied between passes
 *
 * The plugin numbers the windows; this task prints what each was:
 *   rtcache: kinds PHASE PASS: mfmf...        (m: rt_malloc, f: rt_free)
 * one line per (phase, pass) in the order the windows were opened, and
 * rtalloc_check after every constructed case and every pass.
 *
 *   tests/rtcache
 */
#include <libmap.h>
#include <layout.h>
#include <rtalloc.h>
#include "../../rt-alloc/colour_client.h"
#include "../bench/rtalloc/rtbench.h"

#define RTC_HEAP (512u << 10)
#define RTC_RANDOM_OPS 96
#define RTC_SLOTS 16
#define RTC_KINDS_MAX 256
/* worst.c's cases per repetition, one measured call each. */
#define RTC_WORST_CASES 6

bool rtb_worst(void *base, size_t size, const char *suffix);

/* The kinds of the windows of the current pass, in order. */
static char rtc_kinds[RTC_KINDS_MAX + 1];
static unsigned rtc_nkinds;
/* worst.c's repetitions are the passes: print the kinds after each. */
static unsigned rtc_worst_calls, rtc_worst_pass;
static void *rtc_slot[RTC_SLOTS];
static bool rtc_bad;

static void rtc_kinds_flush(const char *phase, unsigned pass)
{
	rtc_kinds[rtc_nkinds] = '\0';
	printf("rtcache: kinds %s %u: %s\n", phase, pass, rtc_kinds);
	rtc_nkinds = 0;
}

/* Wait for one sweep of the noisy task, then open a window. */
static inline void rtc_open(char kind)
{
	word_t from;

	ipc_receive(TID_ANY, TIMEOUT_NEVER, &from);
	if (rtc_nkinds < RTC_KINDS_MAX)
		rtc_kinds[rtc_nkinds++] = kind;
	__asm__ volatile(".byte 0x66, 0x87, 0xdb" ::: "memory");   /* xchg %bx,%bx: open */
}

static inline void rtc_close(void)
{
	__asm__ volatile(".byte 0x66, 0x87, 0xc9" ::: "memory");   /* xchg %cx,%cx: close */
}

/* worst.c measures through these two; RTC_WORST_CASES calls make one
 * repetition (main checks that none is left over). */
uint32_t rtb_time_malloc(size_t size, void **p)
{
	rtc_open('m');
	*p = rt_malloc(size);
	rtc_close();
	if (++rtc_worst_calls % RTC_WORST_CASES == 0)
		rtc_kinds_flush("worst", rtc_worst_pass++);
	return 0;
}

uint32_t rtb_time_free(void *p)
{
	rtc_open('f');
	rt_free(p);
	rtc_close();
	if (++rtc_worst_calls % RTC_WORST_CASES == 0)
		rtc_kinds_flush("worst", rtc_worst_pass++);
	return 0;
}

/* worst.c reports its series; the plugin has the figures. */
void rtb_report(const char *op, const char *workload, const char *suffix, uint32_t *v, unsigned n)
{
	(void)v;
	printf("rtcache: %s %s%s: %u windows\n", op, workload, suffix, n);
}

static uint64_t rtc_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One pass of the random phase on an empty heap. */
static void rtc_random_pass(unsigned pass)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	rt_heap_reset();
	rt_heap_add((void *)USER_HEAP_BASE, RTC_HEAP);
	memset(rtc_slot, 0, sizeof(rtc_slot));
	for (unsigned i = 0; i < RTC_RANDOM_OPS; i++) {
		unsigned k = (unsigned)(rtc_rng(&seed) % RTC_SLOTS);
		size_t size = (size_t)1 << (4 + rtc_rng(&seed) % 11);

		size += rtc_rng(&seed) % size;
		rtc_open(rtc_slot[k] ? 'f' : 'm');
		if (rtc_slot[k]) {
			rt_free(rtc_slot[k]);
			rtc_slot[k] = NULL;
		} else
			rtc_slot[k] = rt_malloc(size);
		rtc_close();
	}
	rtc_kinds_flush("random", pass);
	if (rtalloc_check(true))
		rtc_bad = true;
}

int main(int argc, char **argv)
{
	word_t err = colour_populate();

	(void)argc;
	(void)argv;
	if (err) {
		printf("rtcache: COLOUR_POPULATE failed: error %lu\n", err);
		return 1;
	}
	if (!rtb_worst((void *)USER_HEAP_BASE, RTC_HEAP, ""))
		rtc_bad = true;
	if (rtc_nkinds) {
		printf("rtcache: not ok - worst.c's repetitions are not %u calls each\n",
		       RTC_WORST_CASES);
		rtc_bad = true;
	}
	for (unsigned pass = 0; pass < 2; pass++)
		rtc_random_pass(pass);
	rt_heap_reset();
	printf("rtcache: %s\n", rtc_bad ? "not ok - the heap checker found violations" : "done");
	return rtc_bad;
}
