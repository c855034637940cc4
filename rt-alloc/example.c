/* SPDX-License-Identifier: MIT */
/*
 * The way to use rt-alloc's two halves together (docs/rt-alloc.md, "Using
 * them together"): a real-time program that is a client of the colouring
 * pager, with a colour partition and a pre-populated heap, which it hands
 * to the allocator. Its boot.cfg line:
 *
 *   rt-alloc/example pager=rt-alloc/colour colours=4-7 populate=1M -- [OPS] [check]
 *
 * 1. colour_populate(), first thing: the pager maps the program's bss,
 *    stack and the first populate= bytes of its heap, every frame of its
 *    colours, now; nothing of these can fault later.
 * 2. rt_heap_add(USER_HEAP_BASE, EXAMPLE_HEAP): the allocator takes that
 *    memory. EXAMPLE_HEAP must not exceed populate= (a page beyond it
 *    would be faulted in at run time, the thing this avoids).
 * 3. The real-time part: rt_malloc and rt_free only, each O(1), and no
 *    page fault: the program writes into every block it gets.
 *
 * It asks the pager (COLOUR_INFO) how many faults it served for the
 * program before and after its loop, and prints the difference: 0. With
 * `check` (the system test rt_heap, which makes it priv) it also asks the
 * kernel (KDB_PHYS) for the frame of every heap page and checks that the
 * frame is of one of its colours, and runs the heap checker every
 * EXAMPLE_CHECK_EVERY operations; "not ok" lines and a non-zero exit
 * status say what failed.
 */
#include <libmap.h>
#include <layout.h>
#include <rtalloc.h>
#include "colour_client.h"

#define EXAMPLE_HEAP (1u << 20)          /* = populate=1M */
#define EXAMPLE_SLOTS 64
#define EXAMPLE_CHECK_EVERY 1000

static struct {
	uint8_t *p;
	size_t size;
} example_slot[EXAMPLE_SLOTS];
static unsigned example_failed;

/* One checked statement, printed as "ok - ..." or "not ok - ...". */
static void example_ok(bool cond, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("%s - example: %s\n", cond ? "ok" : "not ok", buf);
	example_failed += !cond;
}

static unsigned example_number(const char *s)
{
	unsigned v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned)(*s++ - '0');
	return v;
}

static uint64_t example_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Heap pages whose frame (from the kernel) is missing or of a colour
 * that is not the program's. */
static word_t example_frames_outside(const struct colour_info *ci)
{
	word_t bad = 0, pa, rights;

	for (word_t va = USER_HEAP_BASE; va < USER_HEAP_BASE + EXAMPLE_HEAP; va += 4096) {
		word_t c;

		if (kdb_phys(va, &pa, &rights)) {
			bad++;
			continue;
		}
		c = (pa >> 12) & (ci->colours - 1);
		bad += !(ci->set[c / 64] >> (c % 64) & 1);
	}
	return bad;
}

/* One operation on slot k: free its block (checking that what was
 * written is still there), or allocate one and write both ends. */
static void example_op(unsigned k, size_t size)
{
	uint8_t *p = example_slot[k].p;

	if (p) {
		size_t n = example_slot[k].size;
		if (p[0] != (uint8_t)k || p[n - 1] != (uint8_t)~k)
			example_ok(false, "slot %u's block kept what was written into it", k);
		rt_free(p);
		example_slot[k].p = NULL;
		return;
	}
	if (!(p = rt_malloc(size)))
		return;                           /* full: a real-time answer too */
	p[0] = (uint8_t)k;
	p[size - 1] = (uint8_t)~k;
	example_slot[k].p = p;
	example_slot[k].size = size;
}

/* ops random operations (sizes 16 B .. 16 KiB); the checker every
 * EXAMPLE_CHECK_EVERY if asked. Returns the checker's violations. */
static unsigned example_run(unsigned ops, bool check)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	unsigned violations = 0;

	for (unsigned i = 0; i < ops; i++) {
		unsigned k = (unsigned)(example_rng(&seed) % EXAMPLE_SLOTS);
		size_t size = (size_t)1 << (4 + example_rng(&seed) % 10);

		example_op(k, size + example_rng(&seed) % size);
		if (check && (i + 1) % EXAMPLE_CHECK_EVERY == 0)
			violations += rtalloc_check(true);
	}
	for (unsigned k = 0; k < EXAMPLE_SLOTS; k++)
		if (example_slot[k].p)
			example_op(k, 0);
	return violations + rtalloc_check(true);
}

int main(int argc, char **argv)
{
	unsigned ops = argc > 1 ? example_number(argv[1]) : 10000;
	bool check = argc > 2 && !strcmp(argv[2], "check");
	struct colour_info before, after;
	struct rt_heap_stats st;
	unsigned violations;
	word_t err;

	if ((err = colour_populate()) || (err = colour_info(&before))) {
		printf("example: the colouring pager said no: error %lu\n", err);
		return 1;
	}
	if (check) {
		word_t outside = example_frames_outside(&before);
		example_ok(!outside, "all %u heap pages mapped, each frame of my colours "
			   "(%lu are not)", EXAMPLE_HEAP / 4096, outside);
	}
	example_ok(rt_heap_add((void *)USER_HEAP_BASE, EXAMPLE_HEAP) > 0,
		   "rt_heap_add of the %u KiB heap", EXAMPLE_HEAP >> 10);
	violations = example_run(ops, check);
	example_ok(!violations, "rtalloc_check held throughout %u operations (%u violations)",
		   ops, violations);
	colour_info(&after);
	rtalloc_stats(&st);
	example_ok(!st.used_blocks, "every block back (%lu in use)", st.used_blocks);
	example_ok(after.faults == before.faults, "no page fault at run time (%lu before, %lu after)",
		   before.faults, after.faults);
	printf("example: %u operations, %lu page faults at run time\n", ops,
	       after.faults - before.faults);
	return (int)example_failed;
}
