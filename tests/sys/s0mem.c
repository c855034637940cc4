/* SPDX-License-Identifier: MIT */
/*
 * RAM from sigma0 (docs/security.md, 13): only the root task and the
 * threads it names get frames, each up to the limit it gave (`mem=`).
 *
 *   touch      an unprivileged task makes sigma0 its own pager and touches
 *              pages: the first fault is refused (it is stopped)
 *   any        an unprivileged task asks for frames (ANY in a loop, PHYS)
 *              and tries to give itself RAM: all refused
 *   none       a privileged task with mem=0: no RAM either
 *   priv       a privileged task without mem=: RAM as before
 *   limit      mem=64K: 16 frames by ANY, PHYS or page fault, counted
 *              together, FREE counts down; the fault past it is refused
 *   bystander  (lower priority) gets its own memory from its pager as
 *              usual while the others attack
 */
#include "tap.h"
#include <sigma0.h>

#define LIMIT_FRAMES 16                 /* mem=64K in s0memlim.cfg */

static word_t window(unsigned i, unsigned log2)
{
	return fpage_make(TEST_VA_A + ((word_t)i << 21), log2, 0);
}

static word_t any(unsigned i, unsigned log2, word_t *pa)
{
	return sigma0_alloc(log2, FPAGE_RW, window(i, log2), pa);
}

/* A sigma0 request of `words` untyped words; the error of its reply. */
static word_t request(word_t label, unsigned words, word_t w1, word_t w2)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(label, words, 0);
	u->mr[1] = w1;
	u->mr[2] = w2;
	msg_accept(FPAGE_NIL);
	if ((err = ipc_call(libmap_kip->sigma0_id)))
		return err;
	return tag_label(u->mr[0]) == SIGMA0_REPLY_ERROR ? u->mr[1] : E_OK;
}

/* Make `pager` our pager; the old one is returned. */
static word_t set_pager(word_t pager)
{
	word_t sp = 0, ip = 0, fl = 0, pg = pager;

	if (sys_exchange_registers(libmap_myself, EXREG_SET_PAGER, &sp, &ip, &fl, &pg, NULL))
		return TID_NIL;
	return pg;
}

/* With sigma0 as pager, write pages [first, first + n) of TEST_VA_C. */
static void touch_with_sigma0(unsigned first, unsigned n)
{
	word_t old = set_pager(libmap_kip->sigma0_id);

	for (unsigned i = first; i < first + n; i++)
		*(volatile word_t *)(TEST_VA_C + (word_t)i * 4096) = i;
	set_pager(old);
}

static void test_touch(void)
{
	tap_prefault(64 * 1024);
	printf("touch: sigma0 as my pager, touching %lx\n", (word_t)TEST_VA_C);
	touch_with_sigma0(0, 1);
	ok(false, "sigma0 served a page fault of an unprivileged task");
	touch_with_sigma0(1, 4095);
	ok(false, "and 4095 more (16 MiB)");
}

static void test_any(void)
{
	word_t pa = 0, free0 = 0, free1 = 0;
	unsigned refused = 0;

	ok_err(sigma0_stats(&free0, NULL), E_OK, "STATS is open to all");
	for (unsigned i = 0; i < 1000; i++)
		refused += any(0, 12, &pa) == E_NO_PRIVILEGE;
	ok(refused == 1000, "ANY of 4 KiB, 1000 times: %u refused with E_NO_PRIVILEGE", refused);
	ok_err(any(0, 21, &pa), E_NO_PRIVILEGE, "ANY of 2 MiB");
	ok_err(any(0, 30, &pa), E_NO_PRIVILEGE, "ANY of 1 GiB");
	ok_err(any(0, 11, &pa), E_NO_PRIVILEGE, "ANY of 2^11 bytes: privilege is checked first");
	ok_err(sigma0_phys(fpage_make(16 << 20, 12, FPAGE_RW), window(0, 12)), E_NO_PRIVILEGE,
	       "PHYS of a frame");
	ok_err(sigma0_phys(fpage_make(16 << 20, 12, 0), FPAGE_NIL), E_NO_PRIVILEGE,
	       "PHYS with rights 0");
	ok_err(sigma0_phys(FPAGE_NIL, FPAGE_NIL), E_NO_PRIVILEGE, "PHYS of a nil fpage");
	ok_err(sigma0_allow_ram(libmap_myself, ~(word_t)0), E_NO_PRIVILEGE,
	       "RAM: giving ourselves all RAM");
	ok_err(sigma0_allow_ram(libmap_myself, 4096), E_NO_PRIVILEGE, "RAM: one page for ourselves");
	ok_err(sigma0_allow_ram(tap_task_tid(0), ~(word_t)0), E_NO_PRIVILEGE,
	       "RAM: for another task");
	ok_err(sigma0_allow_ram(TID_NIL, 0), E_NO_PRIVILEGE, "RAM: nil, 0 bytes");
	ok_err(request(SIGMA0_LABEL_RAM, 1, libmap_myself, ~(word_t)0), E_BAD_ARGUMENT,
	       "RAM with one word: too short");
	ok_err(request(SIGMA0_LABEL_RAM, 0, 0, 0), E_BAD_ARGUMENT, "RAM with no words");
	ok_err(any(0, 12, &pa), E_NO_PRIVILEGE, "and ANY is still refused");
	ok_err(sigma0_free(16 << 20, 12), E_NO_PRIVILEGE, "FREE of a frame not ours");
	ok_err(sigma0_stats(&free1, NULL), E_OK, "STATS still answers");
}

static void test_none(void)
{
	word_t pa = 0;

	ok_err(any(0, 12, &pa), E_NO_PRIVILEGE, "privileged with mem=0: ANY refused");
	ok_err(sigma0_phys(fpage_make(16 << 20, 12, FPAGE_RW), window(0, 12)), E_NO_PRIVILEGE,
	       "and PHYS");
	ok_err(sigma0_allow_ram(libmap_myself, ~(word_t)0), E_NO_PRIVILEGE,
	       "RAM is for the root task only, even when privileged");
}

static void test_priv(void)
{
	word_t a = 0, b = 0;

	ok_err(any(0, 12, &a), E_OK, "privileged without mem=: ANY of 4 KiB");
	ok_err(any(1, 21, &b), E_OK, "and of 2 MiB");
	ok_err(sigma0_free(a, 12), E_OK, "FREE of the first");
	ok_err(sigma0_free(b, 21), E_OK, "FREE of the second");
}

/* Frames taken by ANY, PHYS and faults count against mem=64K together. */
static void test_limit(void)
{
	word_t pa[LIMIT_FRAMES], big = 0, extra = 0, given0 = 0, given1 = 0;
	unsigned served = 0;

	tap_prefault(64 * 1024);
	sigma0_stats(NULL, &given0);
	for (unsigned i = 0; i < LIMIT_FRAMES; i++)
		served += any(i, 12, &pa[i]) == E_OK;
	ok(served == LIMIT_FRAMES, "%u of 16 frames of 4 KiB served", served);
	ok_err(any(LIMIT_FRAMES, 12, &extra), E_NO_MEMORY, "the 17th is refused");
	ok_err(sigma0_free(pa[0], 12), E_OK, "FREE of one");
	ok_err(sigma0_free(pa[1], 12), E_OK, "FREE of another");
	ok_err(any(LIMIT_FRAMES, 13, &big), E_OK, "so 8 KiB fit again");
	ok_err(any(LIMIT_FRAMES + 1, 12, &extra), E_NO_MEMORY, "and nothing more");
	ok_err(sigma0_free(big, 13), E_OK, "FREE of the 8 KiB");
	ok_err(sigma0_phys(fpage_make(pa[0], 12, FPAGE_RW), window(0, 12)), E_OK,
	       "PHYS of a frame we gave back");
	ok_err(sigma0_phys(fpage_make(pa[1], 12, FPAGE_RW), window(1, 12)), E_OK,
	       "and of the other");
	ok_err(any(LIMIT_FRAMES, 12, &extra), E_NO_MEMORY, "PHYS counts: ANY refused");
	for (unsigned i = 0; i < LIMIT_FRAMES; i++)
		sigma0_free(pa[i], 12);
	sigma0_stats(NULL, &given1);
	ok(given1 == given0, "all given back (%lu bytes handed out before, %lu after)", given0,
	   given1);
	touch_with_sigma0(0, LIMIT_FRAMES);
	ok(true, "sigma0 as our pager served 16 page faults");
	ok_err(any(0, 12, &extra), E_NO_MEMORY, "faults count: ANY refused");
	printf("limit: touching page 17 with sigma0 as pager\n");
	touch_with_sigma0(LIMIT_FRAMES, 1);
	ok(false, "sigma0 served a fault past the limit");
}

static void test_bystander(void)
{
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;
	word_t free_bytes = 0;
	unsigned good = 0;

	for (unsigned i = 0; i < 1024; i++)
		heap[i * 512] = i;
	for (unsigned i = 0; i < 1024; i++)
		good += heap[i * 512] == i;
	ok(good == 1024, "4 MiB of heap from my pager, every page holds what I wrote");
	ok_err(sigma0_stats(&free_bytes, NULL), E_OK, "sigma0 answers");
	ok(free_bytes > (16 << 20), "and has %lu KiB free", free_bytes >> 10);
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "touch", test_touch },
		{ "any", test_any },
		{ "none", test_none },
		{ "priv", test_priv },
		{ "limit", test_limit },
		{ "bystander", test_bystander },
	};

	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("s0mem");
}
