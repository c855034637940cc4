/* SPDX-License-Identifier: MIT */
/*
 * A client of the colouring pager (rt-alloc/colour), one scenario per run:
 *
 *   check N      touch N heap pages; every frame it has -- heap, stack,
 *                image -- must be of one of its colours. The physical
 *                addresses come from the kernel (KDB_PHYS, so the task is
 *                priv), not from the pager: an independent check.
 *   exhaust      touch heap pages until its colours run out: the last
 *                fault is refused (the task ends stopped by it, with the
 *                reason printed by init); before that, all frames in colour
 *   spill N      as check, but with spill=yes and more pages than its
 *                colours hold: every page arrives, some of other colours
 *   populate N   COLOUR_POPULATE, then touch its whole stack and the first
 *                N heap pages: the pager must have served no fault since
 *   stacked C N  paged by a pager stacked on the colouring pager, which
 *                gave that pager colour C of 16: N heap pages, every frame
 *                of colour C (frames lent with ANY are coloured too)
 *   negative     (not priv) what must be refused: KDB_PHYS without
 *                privilege, PAGER_OPTION from a client, COLOUR_POPULATE
 *                without populate=, an unknown request
 */
#include "tap.h"
#include <layout.h>
#include "../../rt-alloc/colour_client.h"

static struct colour_info info;

static unsigned number(const char *s)
{
	unsigned v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned)(*s++ - '0');
	return v;
}

static bool has_colour(word_t pa)
{
	word_t c = (pa >> 12) & (info.colours - 1);

	return info.set[c / 64] >> (c % 64) & 1;
}

/* The colour of va's frame (from the kernel); ~0 if unmapped. */
static word_t colour_at(word_t va, word_t *pa)
{
	word_t rights;

	if (kdb_phys(va, pa, &rights))
		return ~(word_t)0;
	return (*pa >> 12) & (info.colours - 1);
}

/* Touch n heap pages; count those whose frame is outside the colours. */
static unsigned touch_heap(unsigned n, unsigned *outside)
{
	volatile uint8_t *heap = (volatile uint8_t *)USER_HEAP_BASE;
	unsigned bad = 0;
	word_t pa;

	*outside = 0;
	for (unsigned i = 0; i < n; i++) {
		heap[(word_t)i * 4096] = (uint8_t)i;
		if (colour_at(USER_HEAP_BASE + (word_t)i * 4096, &pa) == ~(word_t)0)
			bad++;
		else if (!has_colour(pa))
			(*outside)++;
	}
	return bad;
}

static void scenario_check(unsigned n)
{
	unsigned outside, unmapped = touch_heap(n, &outside);
	word_t pa, stack = ALIGN_DOWN((word_t)&pa, 4096);

	ok_err(kdb_phys(USER_HEAP_BASE + USER_HEAP_SIZE - 4096, &pa, &pa), E_BAD_FPAGE,
	       "KDB_PHYS of an unmapped page");
	ok_err(kdb_phys(~(word_t)0 << 47, &pa, &pa), E_BAD_FPAGE, "KDB_PHYS of a kernel address");
	ok(!unmapped, "%u heap pages mapped", n);
	ok(!outside, "every one of %u heap frames has a colour of mine (%u do not)", n, outside);
	colour_at((word_t)&main, &pa);
	ok(has_colour(pa), "my code's frame %lx has a colour of mine", pa);
	colour_at(stack, &pa);
	ok(has_colour(pa), "my stack's frame %lx has a colour of mine", pa);
	colour_at((word_t)&info, &pa);
	ok(has_colour(pa), "my bss frame %lx has a colour of mine", pa);
}

static void scenario_exhaust(void)
{
	unsigned outside, n = (unsigned)info.free;

	ok(n > 0, "my colours have %u free frames", n);
	ok(!touch_heap(n, &outside) && !outside, "%u more pages, all of my colours", n);
	colour_info(&info);
	ok(info.free == 0, "now my colours are empty (%lu free)", info.free);
	printf("colourclient: touching one page more\n");
	*(volatile uint8_t *)(USER_HEAP_BASE + (word_t)n * 4096) = 1;
	ok(false, "the fault beyond my colours was not refused");
}

static void scenario_spill(unsigned n)
{
	unsigned outside, unmapped = touch_heap(n, &outside);

	ok(!unmapped, "%u heap pages mapped, more than my colours held", n);
	ok(outside > 0, "%u of them spilled to other colours", outside);
}

static void scenario_populate(unsigned n)
{
	volatile uint8_t *heap = (volatile uint8_t *)USER_HEAP_BASE;
	volatile uint8_t *stack = (volatile uint8_t *)(USER_STACK_TOP - USER_STACK_SIZE);
	word_t before;

	ok_err(colour_populate(), E_OK, "COLOUR_POPULATE");
	colour_info(&info);
	before = info.faults;
	for (word_t i = 0; i < (word_t)n * 4096; i += 64)
		heap[i] = (uint8_t)i;
	for (word_t i = 0; i < USER_STACK_SIZE - 8192; i += 4096)
		stack[i] = 1;
	colour_info(&info);
	ok(info.faults == before, "no page fault after population: %lu before, %lu after",
	   before, info.faults);
	printf("colourclient: %u heap pages and the stack touched, %lu faults at run time\n", n,
	       info.faults - before);
	scenario_check(n);
}

/* Call my pager with label and u words; the reply's error (label 0: 0). */
static word_t call_pager(word_t label, unsigned u, word_t w1, word_t w2)
{
	struct utcb *m = utcb();
	word_t err;

	msg_tag(label, u, 0);
	m->mr[1] = w1;
	m->mr[2] = w2;
	if ((err = ipc_call(m->pager)))
		return err | 0x1000;
	return tag_label(m->mr[0]) ? m->mr[1] : E_OK;
}

static void scenario_stacked(unsigned colour, unsigned n)
{
	info.colours = 16;
	memset(info.set, 0, sizeof(info.set));
	info.set[colour / 64] = 1ull << (colour % 64);
	scenario_check(n);
}

static void scenario_negative(void)
{
	word_t pa = 0, rights = 0;

	ok_err(kdb_phys(USER_HEAP_BASE, &pa, &rights), E_NO_PRIVILEGE, "KDB_PHYS unprivileged");
	ok(pa == USER_HEAP_BASE, "and it told nothing (rsi unchanged)");
	ok_err(call_pager(PAGER_OPTION, 3, libmap_myself, 8), E_NO_PRIVILEGE,
	       "PAGER_OPTION from a client");
	ok_err(call_pager(PAGER_OPTION, 2, libmap_myself, 1000), E_NO_PRIVILEGE,
	       "PAGER_OPTION from a client, bad length");
	ok_err(call_pager(COLOUR_POPULATE, 1, 0, 0), E_BAD_ARGUMENT,
	       "COLOUR_POPULATE without populate=");
	ok_err(call_pager(0x73ff, 0, 0, 0), E_BAD_ARGUMENT, "an unknown request");
	ok_err(colour_info(&info), E_OK, "COLOUR_INFO still answers");
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "check";
	unsigned n = argc > 2 ? number(argv[2]) : 16;

	if (!strcmp(what, "stacked")) {
		scenario_stacked(n, argc > 3 ? number(argv[3]) : 16);
		return (int)tap_failed;
	}
	if (!ok_err(colour_info(&info), E_OK, "COLOUR_INFO"))
		return 1;
	printf("colourclient: %lu colours, %lu free frames of mine, %lu pages held\n",
	       info.colours, info.free, info.pages);
	if (!strcmp(what, "negative"))
		scenario_negative();
	else if (!strcmp(what, "exhaust"))
		scenario_exhaust();
	else if (!strcmp(what, "spill"))
		scenario_spill(n);
	else if (!strcmp(what, "populate"))
		scenario_populate(n);
	else
		scenario_check(n);
	return (int)tap_failed;
}
