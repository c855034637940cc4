/* SPDX-License-Identifier: MIT */
/*
 * Unmap: recursive revocation through a chain of spaces, rights reduction,
 * flush, and the accessed/dirty status that unmap reports.
 *
 * This task (A) takes frames from sigma0 and maps them on to agents B and
 * C in new spaces (sigma0 -> A -> B -> C); a third agent P in A's own
 * space probes A's mappings.
 */
#include "agent.h"
#include <sigma0.h>

#define PAT 0x5a5a0001c0ffee00ull

static struct agent p, b, c;

static word_t va_a(unsigned i) { return TEST_VA_A + i * 4096; }
static word_t va_b(unsigned i) { return TEST_VA_B + i * 4096; }
static word_t va_c(unsigned i) { return TEST_VA_C + i * 4096; }

static word_t unmap_one(word_t fp, word_t control)
{
	word_t err;

	utcb()->mr[0] = fp;
	err = sys_unmap(control);
	ok_err(err, E_OK, "unmap");
	return fpage_rights(utcb()->mr[0]);
}

/* A -> B -> C for frame i (rights `rights` at each step). */
static bool chain(unsigned i, unsigned rights)
{
	word_t rerr, err;
	bool good;

	err = agent_give(&b, va_a(i), fpage_make(va_a(i), 12, rights), false,
			 fpage_make(va_b(i), 12, 0), &rerr);
	good = err == E_OK && rerr == E_OK;
	err = agent_pass(&b, &c, va_b(i), fpage_make(va_b(i), 12, rights), false,
			 fpage_make(va_c(i), 12, 0), &rerr);
	return ok(good && err == E_OK && rerr == E_OK, "chain %u: A maps to B, B maps to C", i);
}

static bool reads(struct agent *a, word_t va, word_t want)
{
	word_t v = ~want;

	return agent_read(a, va, &v) && v == want;
}

static bool faults(struct agent *a, word_t va, bool write, unsigned access)
{
	word_t v;
	bool done = write ? agent_write(a, va, 1) : agent_read(a, va, &v);

	return !done && a->fault_addr == va && a->fault_access == access;
}

/* Scenario 1: recursive unmap through sigma0 -> A -> B -> C. */
static void test_chain(void)
{
	word_t pa = tap_frame(va_a(0), PAT);

	chain(0, FPAGE_RW);
	ok(reads(&b, va_b(0), PAT), "B reads A's frame");
	ok(reads(&c, va_c(0), PAT), "C reads it through B");
	ok(agent_write(&c, va_c(0) + 8, 0x1234) && ((volatile word_t *)va_a(0))[1] == 0x1234,
	   "C writes, A sees the write: one frame");
	unmap_one(fpage_make(va_a(0), 12, FPAGE_RWX), 0);
	ok(faults(&b, va_b(0), false, FPAGE_R), "after A's unmap, B's read faults at %lx",
	   b.fault_addr);
	ok(faults(&c, va_c(0), false, FPAGE_R), "and C's too: the unmap was recursive");
	ok(((volatile word_t *)va_a(0))[0] == PAT, "A keeps its own page (no flush)");

	chain(0, FPAGE_RW);
	ok_err(agent_unmap(&b, 0, fpage_make(va_b(0), 12, FPAGE_RWX), NULL), E_OK,
	       "B unmaps its page");
	ok(faults(&c, va_c(0), false, FPAGE_R), "C, derived from B, lost it");
	ok(reads(&b, va_b(0), PAT), "B itself keeps it (no flush)");
	ok(reads(&p, va_a(0), PAT), "A is unaffected by an unmap below it");
	ok_err(agent_unmap(&b, UNMAP_FLUSH, fpage_make(va_b(0), 12, FPAGE_RWX), NULL), E_OK,
	       "B unmaps its page with flush");
	ok(faults(&b, va_b(0), false, FPAGE_R), "with flush B's own mapping goes too");

	chain(0, FPAGE_RW);
	unmap_one(fpage_make(va_a(0), 12, FPAGE_RWX), UNMAP_FLUSH);
	ok(faults(&p, va_a(0), false, FPAGE_R), "A's unmap with flush removes A's own page");
	ok(faults(&b, va_b(0), false, FPAGE_R) && faults(&c, va_c(0), false, FPAGE_R),
	   "and B's and C's");
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
}

/* Scenario 3: write revoked, read kept, down the chain; and map with
 * fewer rights. */
static void test_rights(void)
{
	word_t pa = tap_frame(va_a(1), PAT), pa2 = tap_frame(va_a(2), PAT + 2);

	chain(1, FPAGE_RW);
	unmap_one(fpage_make(va_a(1), 12, FPAGE_W), 0);
	ok(reads(&b, va_b(1), PAT), "write revoked: B still reads");
	ok(faults(&b, va_b(1), true, FPAGE_W), "B's write faults (access w at %lx)", b.fault_addr);
	ok(reads(&c, va_c(1), PAT), "C still reads");
	ok(faults(&c, va_c(1), true, FPAGE_W), "C's write faults");
	ok(agent_write(&p, va_a(1), PAT + 1), "A keeps write access without flush");
	ok(reads(&b, va_b(1), PAT + 1), "B reads what A wrote");
	unmap_one(fpage_make(va_a(1), 12, FPAGE_W), UNMAP_FLUSH);
	ok(faults(&p, va_a(1), true, FPAGE_W), "with flush A loses write access too");
	ok(reads(&p, va_a(1), PAT + 1), "but still reads");

	chain(2, FPAGE_R);
	ok(reads(&b, va_b(2), PAT + 2) && reads(&c, va_c(2), PAT + 2),
	   "read-only map: B and C read");
	ok(faults(&b, va_b(2), true, FPAGE_W) && faults(&c, va_c(2), true, FPAGE_W),
	   "read-only map: their writes fault");
	ok(reads(&b, va_b(2), PAT + 2), "a faulting write leaves the read right");
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
	ok_err(sigma0_free(pa2, 12), E_OK, "frame back to sigma0");
}

/* Scenario 4: unmap reports accessed (r) and dirty (w) and resets them. */
static void test_status(void)
{
	word_t pa = tap_frame(va_a(3), PAT), fp = fpage_make(va_a(3), 12, 0), st;

	chain(3, FPAGE_RW);
	unmap_one(fp, 0);                       /* collect and reset */
	st = unmap_one(fp, 0);
	ok(st == 0, "nothing touched since the reset: status %x", (unsigned)st);
	ok(reads(&b, va_b(3), PAT), "B reads");
	st = unmap_one(fp, 0);
	ok(st == FPAGE_R, "after B's read: accessed, not dirty (status %x)", (unsigned)st);
	st = unmap_one(fp, 0);
	ok(st == 0, "the status was reset (now %x)", (unsigned)st);
	ok(agent_write(&c, va_c(3), PAT + 3), "C writes");
	st = unmap_one(fp, 0);
	ok(st == (FPAGE_R | FPAGE_W), "after C's write two levels down: accessed and dirty (%x)",
	   (unsigned)st);
	st = unmap_one(fp, 0);
	ok(st == 0, "reset again (now %x)", (unsigned)st);
	ok(reads(&b, va_b(3), PAT + 3) && reads(&c, va_c(3), PAT + 3),
	   "a status-only unmap (no rights) revokes nothing");
	ok(agent_write(&b, va_b(3), PAT + 4), "B writes");
	st = unmap_one(fpage_make(va_a(3), 12, FPAGE_W), 0);
	ok(st & FPAGE_W, "revoking write reports the dirty bit (%x)", (unsigned)st);
	st = unmap_one(fpage_make(va_a(3), 12, FPAGE_RWX), 0);
	ok(st == 0, "nothing touched since: the removal reports %x", (unsigned)st);
	ok_err(agent_unmap(&b, 0, fpage_make(va_b(3), 12, 0), &st), E_OK, "B asks for status");
	ok(fpage_rights(st) == 0 && fpage_base(st) == va_b(3) && fpage_log2(st) == 12,
	   "B has nothing left there: status 0, fpage kept (%lx)", st);
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
}

/* Scenario 5: a map that raises the rights of B's mapping (upgrade in
 * place) keeps the accessed and dirty bits B's accesses set. */
static void test_upgrade_status(void)
{
	word_t pa = tap_frame(va_a(5), PAT + 5), fp = fpage_make(va_a(5), 12, 0), rerr, st;
	word_t win = fpage_make(va_b(5), 12, 0);

	ok_err(agent_give(&b, va_a(5), fpage_make(va_a(5), 12, FPAGE_R), false, win, &rerr), E_OK,
	       "A maps B its page read-only");
	unmap_one(fp, 0);                       /* collect and reset */
	ok(reads(&b, va_b(5), PAT + 5), "B reads");
	ok_err(agent_give(&b, va_a(5), fpage_make(va_a(5), 12, FPAGE_RW), false, win, &rerr), E_OK,
	       "A maps it again read-write: an upgrade in place");
	st = unmap_one(fp, 0);
	ok(st == FPAGE_R, "B's read is still reported after the upgrade (status %x)", (unsigned)st);
	ok(agent_write(&b, va_b(5), PAT + 6), "B writes");
	ok_err(agent_give(&b, va_a(5), fpage_make(va_a(5), 12, FPAGE_RWX), false, win, &rerr), E_OK,
	       "A adds execute: another upgrade");
	st = unmap_one(fp, 0);
	ok(st == (FPAGE_R | FPAGE_W), "B's write is still reported (status %x)", (unsigned)st);
	ok(reads(&p, va_a(5), PAT + 6), "and A sees it");
	unmap_one(fpage_make(va_a(5), 12, FPAGE_RWX), 0);
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
}

/* B unmaps its whole space with flush: everything derived goes, the
 * kernel-owned UTCB and KIP stay, and B's pager brings back the rest. */
static void test_complete(void)
{
	struct agent_msg m;
	word_t pa = tap_frame(va_a(4), PAT + 4), st = 0;

	chain(4, FPAGE_RW);
	ok_err(agent_unmap(&b, UNMAP_FLUSH, FPAGE_COMPLETE | FPAGE_RWX, &st), E_OK,
	       "B unmaps the complete fpage with flush (its code and stack too)");
	ok(fpage_is_complete(st) && fpage_rights(st) == (FPAGE_R | FPAGE_W),
	   "the fpage comes back complete, status accessed and dirty (B's stack): %lx", st);
	ok(agent_cmd(&b, &m, AG_ECHO, 1, (word_t)41) == AGENT_DONE && m.mr[1] == 42,
	   "B goes on: its pager (I) maps code and stack again; its UTCB never left");
	ok(reads(&b, KIP_DEFAULT_ADDR, KIP_MAGIC), "its KIP never left either");
	ok(faults(&b, va_b(4), false, FPAGE_R) && faults(&c, va_c(4), false, FPAGE_R),
	   "B's page and C's, derived from it, are gone");
	ok(reads(&p, va_a(4), PAT + 4), "A's, which B's came from, is not");
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "chain", test_chain },
		{ "rights", test_rights },
		{ "status", test_status },
		{ "complete", test_complete },
		{ "upgrade_status", test_upgrade_status },
	};

	if (!ok(agent_start(&p, 0, 1, false) && agent_start(&b, 1, 1, true) &&
		agent_start(&c, 2, 1, true), "agents P (my space), B and C (new spaces) run"))
		return tap_done("unmap");
	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	ok_err(agent_stop(&c), E_OK, "delete C and its space");
	ok_err(agent_stop(&b), E_OK, "delete B and its space");
	ok_err(agent_stop(&p), E_OK, "delete P");
	return tap_done("unmap");
}
