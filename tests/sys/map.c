/* SPDX-License-Identifier: MIT */
/*
 * Map and grant: grant moves a page, mapping over a mapping replaces it
 * (and revokes what hung from it), receive windows bound where a mapping
 * lands (a nil window maps nothing), kernel-owned pages never move,
 * superpages split on partial unmap, and malformed typed items are
 * refused without effect.
 *
 * This task (A) holds frames from sigma0; agents B and C run in new
 * spaces, agent P in A's own space probes A's mappings.
 */
#include "agent.h"
#include <sigma0.h>

#define PAT 0x3a3a0000beef0000ull
#define SUPER ((word_t)1 << 21)

static struct agent p, b, c;

static word_t va_a(unsigned i) { return TEST_VA_A + i * 4096; }
static word_t va_b(unsigned i) { return TEST_VA_B + i * 4096; }
static word_t va_c(unsigned i) { return TEST_VA_C + i * 4096; }
static word_t win(word_t va) { return fpage_make(va, 12, 0); }

static bool reads(struct agent *a, word_t va, word_t want)
{
	word_t v = ~want;

	return agent_read(a, va, &v) && v == want;
}

static bool faults(struct agent *a, word_t va, bool write)
{
	word_t v;
	bool done = write ? agent_write(a, va, 1) : agent_read(a, va, &v);

	return !done && a->fault_addr == va;
}

static bool give(struct agent *to, word_t hot, word_t fp, bool grant, word_t window)
{
	word_t rerr, err = agent_give(to, hot, fp, grant, window, &rerr);

	return err == E_OK && rerr == E_OK;
}

static bool pass(struct agent *from, struct agent *to, word_t hot, word_t fp, word_t window)
{
	word_t rerr, err = agent_pass(from, to, hot, fp, false, window, &rerr);

	return err == E_OK && rerr == E_OK;
}

/* Scenario 2: grant. */
static void test_grant(void)
{
	word_t pa0 = tap_frame(va_a(0), PAT), pa1 = tap_frame(va_a(1), PAT + 1);
	word_t pa2 = tap_frame(va_a(2), PAT + 2);

	ok(give(&b, va_a(0), fpage_make(va_a(0), 12, FPAGE_RW), true, win(va_b(0))),
	   "A grants a page to B");
	ok(faults(&p, va_a(0), false), "the granter lost it (A's read faults)");
	ok(reads(&b, va_b(0), PAT), "the receiver has it (B reads)");
	ok(agent_write(&b, va_b(0), PAT + 10), "and may write it (rights kept)");
	ok_err(sigma0_free(pa0, 12), E_OK, "A gives the frame back to sigma0");
	ok(faults(&b, va_b(0), false), "sigma0's revocation reaches the granted page");

	ok(give(&c, va_a(1), fpage_make(va_a(1), 12, FPAGE_RW), false, win(va_c(1))),
	   "A maps a page to C");
	ok(give(&b, va_a(1), fpage_make(va_a(1), 12, FPAGE_RW), true, win(va_b(1))),
	   "then grants it to B");
	ok(faults(&p, va_a(1), false) && reads(&b, va_b(1), PAT + 1), "B has it, A not");
	ok(reads(&c, va_c(1), PAT + 1), "C's mapping, derived from A's, survives the grant");
	ok_err(agent_unmap(&b, 0, fpage_make(va_b(1), 12, FPAGE_RWX), NULL), E_OK, "B unmaps");
	ok(faults(&c, va_c(1), false), "C's mapping now derives from B's: it is gone");
	ok(reads(&b, va_b(1), PAT + 1), "B keeps its own page");

	ok(give(&b, va_a(2), fpage_make(va_a(2), 12, FPAGE_R), true, win(va_b(2))),
	   "A grants read-only");
	ok(reads(&b, va_b(2), PAT + 2) && faults(&b, va_b(2), true),
	   "B reads, B's write faults: the grant carried only r");
	ok(faults(&p, va_a(2), false), "A lost the page although it granted fewer rights");
	ok(give(&p, va_a(13), fpage_make(va_a(13), 12, FPAGE_RW), false, win(va_a(14))) &&
	   faults(&p, va_a(13), false), "map within my own space, from a page I lack: nothing");
	ok_err(sigma0_free(pa1, 12), E_OK, "frame back to sigma0");
	ok_err(sigma0_free(pa2, 12), E_OK, "frame back to sigma0");
	pa1 = tap_frame(va_a(15), PAT + 15);
	ok(give(&p, va_a(15), fpage_make(va_a(15), 12, FPAGE_R), false, win(va_a(16))),
	   "A maps a page to P, a thread of its own space, at another address");
	ok(reads(&p, va_a(16), PAT + 15) && faults(&p, va_a(16), true),
	   "the alias reads the same frame, read-only");
	ok(give(&p, va_a(15), fpage_make(va_a(15), 12, FPAGE_RW), true, win(va_a(17))),
	   "A grants the page to P at a third address");
	ok(faults(&p, va_a(15), false) && reads(&p, va_a(17), PAT + 15),
	   "it moved within the space");
	ok(reads(&p, va_a(16), PAT + 15), "the alias, derived from the granted mapping, stays");
	ok_err(sigma0_free(pa1, 12), E_OK, "frame back to sigma0");
	ok(faults(&p, va_a(17), false) && faults(&p, va_a(16), false),
	   "sigma0's revocation reaches both");
}

/* Scenario 5: overmapping replaces a mapping and what derived from it;
 * mapping the same page again with more rights upgrades in place. */
static void test_overmap(void)
{
	word_t pa3 = tap_frame(va_a(3), PAT + 3), pa4 = tap_frame(va_a(4), PAT + 4);
	word_t pa5 = tap_frame(va_a(5), PAT + 5);

	ok(give(&b, va_a(3), fpage_make(va_a(3), 12, FPAGE_RW), false, win(va_b(3))) &&
	   pass(&b, &c, va_b(3), fpage_make(va_b(3), 12, FPAGE_RW), win(va_c(3))),
	   "A -> B -> C with frame 3");
	ok(give(&b, va_a(4), fpage_make(va_a(4), 12, FPAGE_RW), false, win(va_b(3))),
	   "A maps frame 4 over B's frame 3");
	ok(reads(&b, va_b(3), PAT + 4), "B now sees frame 4");
	ok(faults(&c, va_c(3), false), "C's mapping, derived from the replaced one, is gone");
	ok(reads(&p, va_a(3), PAT + 3), "A's own frame 3 is untouched");

	ok(give(&b, va_a(5), fpage_make(va_a(5), 12, FPAGE_R), false, win(va_b(5))) &&
	   pass(&b, &c, va_b(5), fpage_make(va_b(5), 12, FPAGE_R), win(va_c(5))),
	   "A -> B -> C read-only with frame 5");
	ok(faults(&b, va_b(5), true), "B cannot write");
	ok(give(&b, va_a(5), fpage_make(va_a(5), 12, FPAGE_RW), false, win(va_b(5))),
	   "A maps frame 5 again, read-write, to the same place");
	ok(agent_write(&b, va_b(5), PAT + 50) && ((volatile word_t *)va_a(5))[0] == PAT + 50,
	   "B may write now: its rights were extended");
	ok(reads(&c, va_c(5), PAT + 50), "C keeps its mapping: an upgrade is no overmap");
	ok(faults(&c, va_c(5), true), "and C still has only r");
	ok_err(sigma0_free(pa3, 12), E_OK, "frame back to sigma0");
	ok_err(sigma0_free(pa4, 12), E_OK, "frame back to sigma0");
	ok_err(sigma0_free(pa5, 12), E_OK, "frame back to sigma0");
}

/* Receive windows: nil maps nothing, placement by hot spot, and the
 * kernel-owned pages (KIP, UTCB, top page) never move. */
static void test_windows(void)
{
	word_t pa6 = tap_frame(va_a(6), PAT + 6), pa = 0, err, big = TEST_VA_B + SUPER * 4;
	word_t kip = KIP_DEFAULT_ADDR;

	ok(give(&b, va_a(6), fpage_make(va_a(6), 12, FPAGE_RW), false, FPAGE_NIL),
	   "a map item to a receiver with a nil window: IPC succeeds");
	ok(faults(&b, va_b(6), false) && faults(&b, va_a(6), false),
	   "but maps nothing (B faults at its usual place and at A's address)");
	ok(give(&b, va_a(6), fpage_make(va_a(6), 12, FPAGE_RW), false, win(0xffff800000000000ull)),
	   "a receive window at a kernel address: IPC succeeds");
	ok(faults(&b, va_b(6), false) && faults(&b, va_a(6), false), "and maps nothing either");

	ok(give(&b, va_a(6), fpage_make(va_a(6), 12, FPAGE_RW), false, fpage_make(big, 21, 0)),
	   "a 4 KiB page into a 2 MiB window");
	ok(reads(&b, big + (va_a(6) & (SUPER - 1)), PAT + 6),
	   "lands at window + (hot spot mod 2 MiB)");
	ok(faults(&b, big, false), "and nowhere else in the window");

	err = sigma0_alloc(13, FPAGE_RWX, fpage_make(va_a(8), 13, 0), &pa);
	ok_err(err, E_OK, "an 8 KiB frame from sigma0");
	((volatile word_t *)va_a(8))[0] = PAT + 8;
	((volatile word_t *)va_a(9))[0] = PAT + 9;
	ok(give(&b, va_a(9), fpage_make(va_a(8), 13, FPAGE_RW), false, win(va_b(8))),
	   "an 8 KiB fpage into a 4 KiB window, hot spot in its second half");
	ok(reads(&b, va_b(8), PAT + 9), "the window gets the half holding the hot spot");
	ok(faults(&b, va_b(9), false), "and only that");

	ok(give(&b, kip, fpage_make(kip, 12, FPAGE_R), false, win(va_b(10))),
	   "A sends its KIP page");
	ok(faults(&b, va_b(10), false), "kernel-owned pages are not mapped on");
	ok(give(&b, utcb()->self, fpage_make(utcb()->self, 12, FPAGE_RW), false, win(va_b(10))),
	   "A sends its UTCB page");
	ok(faults(&b, va_b(10), false), "the UTCB is not mapped on either");
	ok(give(&b, kip, fpage_make(va_a(6), 12, FPAGE_RW), false, FPAGE_COMPLETE),
	   "a page aimed at B's KIP through the complete window");
	ok(reads(&b, kip, KIP_MAGIC), "B's KIP is still the KIP");
	ok(give(&b, 0x7ffffffff000ull, fpage_make(va_a(6), 12, FPAGE_RW), false, FPAGE_COMPLETE),
	   "a page aimed at the top user page");
	ok(faults(&b, 0x7ffffffff000ull, false), "the top user page stays empty");
	ok(give(&b, va_a(11), fpage_make(va_a(11), 12, FPAGE_RW), false, win(va_b(11))),
	   "A sends a page it does not have: the IPC succeeds");
	ok(faults(&b, va_b(11), false), "and maps nothing");
	ok_err(sigma0_free(pa6, 12), E_OK, "frame back to sigma0");
	ok_err(sigma0_free(pa, 13), E_OK, "8 KiB frame back to sigma0");
}

/* Untyped words and two map items in one message; an item without
 * rights; the complete fpage as the send fpage. */
static void test_messages(void)
{
	struct utcb *u = utcb();
	struct agent_msg m;
	word_t pa = tap_frame(va_a(20), PAT + 20), pb = tap_frame(va_a(21), PAT + 21), err;
	word_t d20 = TEST_VA_B + (va_a(20) - TEST_VA_A), d21 = TEST_VA_B + (va_a(21) - TEST_VA_A);
	word_t far = 0x530000000000ull;

	agent_post(&b, AG_IPC, 5, TID_NIL, libmap_myself, timeouts(0, AGENT_WAIT_US),
		   fpage_make(TEST_VA_B, 40, 0), tag_make(0, 0, 0));
	u->mr[0] = tag_make(0x42, 2, 4);
	u->mr[1] = 111;
	u->mr[2] = 222;
	msg_map_item(3, va_a(20), fpage_make(va_a(20), 12, FPAGE_R), false);
	msg_map_item(5, va_a(21), fpage_make(va_a(21), 12, FPAGE_RW), false);
	err = ipc_send(b.tid, AGENT_WAIT_US);
	ok(err == E_OK && agent_wait(&b, &m) == AGENT_DONE && m.mr[1] == E_OK,
	   "two words and two map items in one message");
	ok(tag_label(m.mr[3]) == 0x42 && tag_u(m.mr[3]) == 2 && tag_t(m.mr[3]) == 4 &&
	   m.mr[4] == 111 && m.mr[5] == 222 && m.mr[6] == (va_a(20) | ITEM_MAP) &&
	   m.mr[7] == fpage_make(va_a(20), 12, FPAGE_R),
	   "the receiver gets the tag, the words and the item words");
	ok(reads(&b, d20, PAT + 20) && faults(&b, d20, true), "the first page arrived read-only");
	ok(agent_write(&b, d21, PAT + 210) && reads(&p, va_a(21), PAT + 210),
	   "the second read-write");
	ok(give(&b, va_a(20), fpage_make(va_a(20), 12, 0), false, win(va_b(30))) &&
	   faults(&b, va_b(30), false), "an item without rights maps nothing");
	ok(give(&b, va_a(20), FPAGE_COMPLETE | FPAGE_R, false, fpage_make(far, 40, 0)),
	   "the complete fpage into a 1 TiB window, hot spot in my frames' TiB");
	ok(reads(&b, far + (va_a(20) - TEST_VA_A), PAT + 20) &&
	   reads(&b, far + (va_a(21) - TEST_VA_A), PAT + 210),
	   "the TiB holding the hot spot arrives, placed in the window");
	ok(faults(&b, far + (va_a(21) - TEST_VA_A), true), "with the rights of the item (r)");
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
	ok_err(sigma0_free(pb, 12), E_OK, "frame back to sigma0");
	ok(faults(&b, d20, false) && faults(&b, far + (va_a(21) - TEST_VA_A), false),
	   "and all those mappings are gone");
}

/* A map message with raw item words; sender's and receiver's errors. */
static void give_raw(word_t tag, word_t w0, word_t w1, word_t *serr, word_t *rerr)
{
	struct agent_msg m;

	*serr = agent_post(&b, AG_IPC, 5, TID_NIL, libmap_myself, timeouts(0, AGENT_WAIT_US),
			   fpage_make(TEST_VA_B, 40, 0), tag_make(0, 0, 0));
	utcb()->mr[0] = tag;
	utcb()->mr[1] = w0;
	utcb()->mr[2] = w1;
	if (!*serr)
		*serr = ipc_send(b.tid, AGENT_WAIT_US);
	*rerr = agent_wait(&b, &m) == AGENT_DONE ? m.mr[1] : ~(word_t)0;
}

/* Malformed typed items: refused with E_IPC_BAD_ITEM on both sides. */
static void test_bad_items(void)
{
	static const struct { word_t w0, w1; unsigned t; const char *what; } bad[] = {
		{ 0x4, 0, 2, "item type 4 (neither map nor grant)" },
		{ ITEM_MAP, 0, 1, "an odd number of typed words" },
		{ ITEM_MAP, 0xb << FPAGE_SIZE_SHIFT, 2, "fpage size 11 (< 12)" },
		{ ITEM_MAP, (word_t)48 << FPAGE_SIZE_SHIFT, 2, "fpage size 48 (> 47)" },
		{ ITEM_MAP, 0, 2, "fpage not aligned to its size" },
		{ ITEM_MAP, 0xffff800000000000ull | (12 << FPAGE_SIZE_SHIFT) | FPAGE_R, 2,
		  "fpage at a kernel address" },
		{ ITEM_MAP, 0x0000800000000000ull | (12 << FPAGE_SIZE_SHIFT) | FPAGE_R, 2,
		  "fpage at a non-canonical address" },
		{ ITEM_MAP, 0, 2, "fpage with reserved bit 3" },
		{ ITEM_MAP, 0, 2, "fpage with reserved bit 10" },
	};
	word_t pa = tap_frame(va_a(12), PAT + 12), serr, rerr, fp;

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		fp = bad[i].w1;
		if (i == 4)
			fp = fpage_make(va_a(13), 13, FPAGE_RW);     /* 0x...d000: not 8 KiB aligned */
		else if (i == 7)
			fp = fpage_make(va_a(12), 12, FPAGE_RW) | 0x8;
		else if (i == 8)
			fp = fpage_make(va_a(12), 12, FPAGE_RW) | 0x400;
		give_raw(tag_make(0, 0, bad[i].t), va_a(12) | bad[i].w0, fp, &serr, &rerr);
		ok(serr == E_IPC_BAD_ITEM && rerr == (E_IPC_BAD_ITEM | IPC_ERR_RECV_PHASE),
		   "%s: sender %lx, receiver %lx", bad[i].what, serr, rerr);
	}
	ok(faults(&b, TEST_VA_B + (va_a(12) & 0xffffffffffull), false),
	   "none of them mapped anything");
	give_raw(tag_make(0, 0, 2), va_a(12) | ITEM_MAP, fpage_make(va_a(12), 12, FPAGE_RW),
		 &serr, &rerr);
	ok(serr == E_OK && rerr == E_OK, "the same item well formed goes through");
	ok(reads(&b, TEST_VA_B + (va_a(12) & 0xffffffffffull), PAT + 12), "and maps the page");
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
}

/* 2 MiB: a superpage maps whole, and a 4 KiB unmap inside it splits it. */
static void test_super(void)
{
	word_t va = TEST_VA_A + SUPER * 8, vb = TEST_VA_B + SUPER * 8, vc = TEST_VA_C + SUPER * 8;
	word_t pa = 0, err = sigma0_alloc(21, FPAGE_RWX, fpage_make(va, 21, 0), &pa);

	if (!ok_err(err, E_OK, "a 2 MiB frame from sigma0"))
		return;
	for (unsigned i = 0; i < 512; i++)
		((volatile word_t *)(va + i * 4096))[0] = PAT + i;
	ok(give(&b, va, fpage_make(va, 21, FPAGE_RW), false, fpage_make(vb, 21, 0)),
	   "A maps the 2 MiB page to B");
	ok(reads(&b, vb, PAT) && reads(&b, vb + 511 * 4096, PAT + 511), "B reads its first and last page");
	ok(pass(&b, &c, vb + 7 * 4096, fpage_make(vb + 7 * 4096, 12, FPAGE_RW), win(va_c(20))),
	   "B maps one 4 KiB piece on to C");
	ok(reads(&c, va_c(20), PAT + 7), "C reads the piece");
	utcb()->mr[0] = fpage_make(va + 3 * 4096, 12, FPAGE_RWX);
	ok_err(sys_unmap(0), E_OK, "A unmaps one 4 KiB piece of the superpage");
	ok(faults(&b, vb + 3 * 4096, false), "B lost that piece");
	ok(reads(&b, vb + 2 * 4096, PAT + 2) && reads(&b, vb + 4 * 4096, PAT + 4),
	   "but keeps its neighbours");
	ok(reads(&c, va_c(20), PAT + 7), "C's piece of another 4 KiB survives");
	ok(give(&c, va + 5 * 4096, fpage_make(va + 5 * 4096, 12, FPAGE_RW), true, win(va_c(21))),
	   "A grants one 4 KiB piece of what is left of it to C");
	ok(faults(&p, va + 5 * 4096, false) && reads(&p, va + 6 * 4096, PAT + 6),
	   "A lost that piece only");
	ok(reads(&c, va_c(21), PAT + 5), "C has it");
	ok(reads(&b, vb + 5 * 4096, PAT + 5), "B's piece, derived from A's, survives the grant");
	utcb()->mr[0] = fpage_make(va, 21, FPAGE_W);
	ok_err(sys_unmap(0), E_OK, "A revokes write on the whole 2 MiB");
	ok(faults(&b, vb + 8 * 4096, true) && faults(&c, va_c(20), true),
	   "no write for B or C any more");
	ok(reads(&c, va_c(20), PAT + 7), "C still reads");
	ok(agent_write(&c, va_c(21), PAT + 55), "C's granted piece, no longer A's, keeps write");
	ok_err(sigma0_free(pa, 21), E_OK, "2 MiB back to sigma0");
	ok(faults(&b, vb, false) && faults(&c, va_c(20), false) && faults(&c, va_c(21), false) &&
	   faults(&b, vb + 5 * 4096, false), "and every mapping of it is gone");
	(void)vc;
}

/* A 2 MiB map over a receiver's 4 KiB mappings replaces them whole; the
 * page table that held them must not leak (the space's teardown at the end
 * of the test checks its kernel memory). */
static void test_super_over_pages(void)
{
	word_t va = TEST_VA_A + SUPER * 10, vb = TEST_VA_B + SUPER * 10;
	word_t pa = 0, err = sigma0_alloc(21, FPAGE_RWX, fpage_make(va, 21, 0), &pa);

	if (!ok_err(err, E_OK, "a 2 MiB frame from sigma0"))
		return;
	for (unsigned i = 0; i < 512; i++)
		((volatile word_t *)(va + i * 4096))[0] = PAT + i;
	ok(give(&b, va + 9 * 4096, fpage_make(va + 9 * 4096, 12, FPAGE_RW), false,
		fpage_make(vb + 9 * 4096, 12, 0)), "A maps one 4 KiB piece to B (B gets a page table)");
	ok(reads(&b, vb + 9 * 4096, PAT + 9), "B reads it");
	ok(give(&b, va, fpage_make(va, 21, FPAGE_RW), false, fpage_make(vb, 21, 0)),
	   "A maps the whole 2 MiB over it");
	ok(reads(&b, vb, PAT) && reads(&b, vb + 9 * 4096, PAT + 9) &&
	   reads(&b, vb + 511 * 4096, PAT + 511), "B reads the superpage, the old piece's page too");
	ok_err(sigma0_free(pa, 21), E_OK, "2 MiB back to sigma0");
	ok(faults(&b, vb, false) && faults(&b, vb + 9 * 4096, false), "and B's mapping is gone");
}

static const struct tap_case cases[] = {
	{ "grant", test_grant },
	{ "overmap", test_overmap },
	{ "windows", test_windows },
	{ "messages", test_messages },
	{ "items", test_bad_items },
	{ "super", test_super },
	{ "super_over_pages", test_super_over_pages },
};

int main(int argc, char **argv)
{
	if (!ok(agent_start(&p, 0, 1, false) && agent_start(&b, 1, 1, true) &&
		agent_start(&c, 2, 1, true), "agents P (my space), B and C (new spaces) run"))
		return tap_done("map");
	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	ok_err(agent_stop(&c), E_OK, "delete C and its space");
	ok_err(agent_stop(&b), E_OK, "delete B and its space");
	ok_err(agent_stop(&p), E_OK, "delete P");
	return tap_done("map");
}
