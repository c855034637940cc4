/* SPDX-License-Identifier: MIT */
/*
 * A client of pagers/examples/ckpt: it writes heap pages between
 * checkpoints and checks that each CKPT_CHECKPOINT reports exactly the
 * pages written since the last one, ascending, in batches, that the data
 * survives write protection, that a released page counts as changed,
 * and that bad requests are refused and lose nothing.
 *
 * With the argument `stranger=SLOT` it is not the pager's client (init
 * pages it) and checks that the pager at boot.cfg slot SLOT refuses its
 * checkpoint. With `fill=1` it writes heap pages without a checkpoint
 * until the pager's dirty list is full and a write fault is refused: it
 * must end stopped by that fault (expect=fault).
 */
#include <tests/sys/tap.h>
#include <fork.h>

#define PAGE 4096ull
#define WORDS (PAGE / 8)
#define HEAP_LO USER_HEAP_BASE
#define HEAP_HI (USER_HEAP_BASE + USER_HEAP_SIZE)
#define LIST_MAX 512

static word_t ckpt_pager;
static word_t list[LIST_MAX];
static word_t list_calls;                          /* calls the last ckpt_all made */
static word_t bss_page[WORDS] __attribute__((aligned(4096)));

static volatile word_t *page(unsigned i)
{
	return (volatile word_t *)(HEAP_LO + i * PAGE);
}

/* Write stamp v at both ends of heap page i. */
static void put(unsigned i, word_t v)
{
	page(i)[0] = v;
	page(i)[WORDS - 1] = v;
}

static bool holds(unsigned i, word_t v)
{
	return page(i)[0] == v && page(i)[WORDS - 1] == v;
}

/* One CKPT_CHECKPOINT call with u words: E_OK (n pages into out, *next)
 * or the pager's error code (IPC errors | 0x10000). */
static word_t ckpt_call(unsigned u_words, word_t lo, word_t hi, word_t *out, word_t *n,
			word_t *next)
{
	struct utcb *u = utcb();
	word_t r;

	msg_tag(CKPT_CHECKPOINT, u_words, 0);
	u->mr[1] = lo;
	u->mr[2] = hi;
	if ((r = ipc_call(ckpt_pager)) != E_OK)
		return r | 0x10000;
	if (tag_label(u->mr[0]) != 0)
		return u->mr[1];
	if (u->mr[1] > CKPT_BATCH || tag_u(u->mr[0]) != 2 + u->mr[1])
		return 0x20000;
	*n = u->mr[1];
	*next = u->mr[2];
	memcpy(out, &u->mr[3], *n * sizeof(word_t));
	return E_OK;
}

/* The whole dirty list of [lo, hi) into list[]: its length (~0 on error). */
static word_t ckpt_all(word_t lo, word_t hi)
{
	word_t total = 0, n, next, buf[CKPT_BATCH];

	list_calls = 0;
	do {
		if (ckpt_call(2, lo, hi, buf, &n, &next) != E_OK)
			return ~(word_t)0;
		list_calls++;
		for (word_t i = 0; i < n; i++, total++)
			if (total < LIST_MAX)
				list[total] = buf[i];
		lo = next;
	} while (next);
	return total;
}

/* The heap's dirty list is exactly heap pages want[0..nwant), ascending. */
static void expect_heap(const char *what, const unsigned *want, word_t nwant)
{
	word_t n = ckpt_all(HEAP_LO, HEAP_HI), i;

	for (i = 0; n == nwant && i < n; i++)
		if (list[i] != HEAP_LO + want[i] * PAGE)
			break;
	ok(n == nwant && i == n, "%s: %lu dirty pages, as written (got %lu, first %lx)", what,
	   nwant, n, n && n != ~(word_t)0 ? list[0] : 0);
}

/* Pages read, never written, are not dirty; written ones are, once each. */
static void test_first_writes(void)
{
	static const unsigned want[] = { 1, 3, 4, 9, 20 };
	bool zero = true;

	for (unsigned i = 0; i < 8; i++)
		zero = zero && holds(i, 0);
	ok(zero, "8 fresh heap pages read as zeros");
	expect_heap("after reads only", NULL, 0);
	put(1, 0x101);
	put(3, 0x103);
	put(3, 0x103);
	put(4, 0x104);
	put(9, 0x109);
	put(20, 0x120);
	expect_heap("after writes to 3 read and 2 fresh pages", want, 5);
	expect_heap("a checkpoint right after a checkpoint", NULL, 0);
}

/* A checkpoint write-protects: the next write faults again, and the
 * data written before it is still there. */
static void test_again(void)
{
	static const unsigned want[] = { 3, 20, 21 };

	put(3, 0x203);
	page(20)[7] = 0x220;
	put(21, 0x221);
	expect_heap("writes after the checkpoint", want, 3);
	ok(holds(1, 0x101) && holds(4, 0x104) && holds(9, 0x109),
	   "untouched pages kept their data");
	ok(holds(3, 0x203) && holds(20, 0x120) && page(20)[7] == 0x220 && holds(21, 0x221),
	   "rewritten pages hold old and new data");
	expect_heap("nothing written since", NULL, 0);
}

/* 150 dirty pages take three calls of at most CKPT_BATCH. */
static void test_batches(void)
{
	static unsigned want[150];

	for (unsigned i = 0; i < 150; i++) {
		want[i] = 100 + i;
		put(100 + i, 0x1000 + i);
	}
	expect_heap("150 pages written", want, 150);
	ok(list_calls == 3, "in 3 calls of at most %u pages (made %lu)", CKPT_BATCH, list_calls);
	bool kept = true;

	for (unsigned i = 0; i < 150; i++)
		kept = kept && holds(100 + i, 0x1000 + i);
	ok(kept, "the 150 pages kept their data");
}

/* A checkpoint of a range reports and protects only that range. */
static void test_range(void)
{
	static const unsigned rest[] = { 300, 303 };
	word_t n = 0, next = 1, buf[CKPT_BATCH];

	for (unsigned i = 300; i < 304; i++)
		put(i, i);
	word_t r = ckpt_call(2, HEAP_LO + 301 * PAGE, HEAP_LO + 303 * PAGE, buf, &n, &next);

	ok(r == E_OK && n == 2 && next == 0 && buf[0] == HEAP_LO + 301 * PAGE &&
		   buf[1] == HEAP_LO + 302 * PAGE,
	   "a checkpoint of pages 301..302 reports them alone (error %lx, %lu pages)", r, n);
	expect_heap("the rest of the heap", rest, 2);
}

/* Bad requests get E_BAD_ARGUMENT and change nothing. */
static void test_bad_requests(void)
{
	static const unsigned want[] = { 400 };
	word_t n, next, buf[CKPT_BATCH];
	word_t lo = HEAP_LO, hi = HEAP_HI;

	put(400, 0x400);
	ok_err(ckpt_call(2, lo + 8, hi, buf, &n, &next), E_BAD_ARGUMENT, "unaligned start");
	ok_err(ckpt_call(2, lo, hi - 1, buf, &n, &next), E_BAD_ARGUMENT, "unaligned end");
	ok_err(ckpt_call(2, hi, lo, buf, &n, &next), E_BAD_ARGUMENT, "end below start");
	ok_err(ckpt_call(2, lo, lo, buf, &n, &next), E_BAD_ARGUMENT, "empty range");
	ok_err(ckpt_call(2, lo, 1ull << 48, buf, &n, &next), E_BAD_ARGUMENT, "end beyond 2^47");
	ok_err(ckpt_call(1, lo, hi, buf, &n, &next), E_BAD_ARGUMENT, "one word");
	ok_err(ckpt_call(0, lo, hi, buf, &n, &next), E_BAD_ARGUMENT, "no words");
	msg_tag(CKPT_CHECKPOINT + 0x10, 2, 0);
	ipc_call(ckpt_pager);
	ok(tag_label(utcb()->mr[0]) != 0 && utcb()->mr[1] == E_BAD_ARGUMENT,
	   "an unknown label is refused with E_BAD_ARGUMENT");
	expect_heap("the write before the bad requests", want, 1);
	ok(holds(400, 0x400), "and its data");
}

/* Released pages read as zeros: they changed, so they are dirty. */
static void test_release(void)
{
	static const unsigned want[] = { 500, 501 };

	put(500, 0x500);
	put(501, 0x501);
	(void)page(502)[0];
	expect_heap("before the release", want, 2);
	ok_err(pager_release(HEAP_LO + 500 * PAGE, 4 * PAGE), E_OK, "release of pages 500..503");
	expect_heap("the released pages that were written", want, 2);
	ok(holds(500, 0) && holds(501, 0), "and they read as zeros");
	expect_heap("reading them again", NULL, 0);
}

/* The image's bss and the stack are tracked like the heap. */
static void test_bss_and_stack(void)
{
	word_t bss = (word_t)bss_page, n;
	volatile word_t local = 1;
	bool stack = false;

	ckpt_all(bss, bss + PAGE);
	(void)bss_page[3];
	ok(ckpt_all(bss, bss + PAGE) == 0, "a bss page read is not dirty");
	bss_page[3] = 3;
	ok(ckpt_all(bss, bss + PAGE) == 1 && list[0] == bss, "a bss page written is");
	n = ckpt_all(0, 1ull << 47);
	for (word_t i = 0; i < n && i < LIST_MAX; i++)
		stack = stack || list[i] == ALIGN_DOWN((word_t)&local, PAGE);
	ok(n != ~(word_t)0 && stack,
	   "a checkpoint of the whole space has my stack page (%lu pages)", n);
	ok(bss_page[3] == 3 && local == 1, "bss and stack data survive");
}

static void stranger(word_t slot)
{
	word_t n, next, buf[CKPT_BATCH];

	ckpt_pager = tap_task_tid((unsigned)slot);
	ok_err(ckpt_call(2, HEAP_LO, HEAP_HI, buf, &n, &next), E_BAD_THREAD,
	       "a thread that is not its client cannot checkpoint");
}

/* Dirty more pages than the pager can record: the write that does not
 * fit must fault (and stop this task), never pass unrecorded. */
static void fill(void)
{
	for (unsigned i = 0;; i++) {
		put(i, i + 1);
		if (i == 4096) {
			ok(false, "4097 pages written without a checkpoint");
			return;
		}
	}
}

int main(int argc, char **argv)
{
	word_t sp, ip, flags, state, slot = tap_arg(argc, argv, "stranger", ~(word_t)0);

	if (slot != ~(word_t)0) {
		stranger(slot);
		return tap_done("ckptclient");
	}
	if (tap_arg(argc, argv, "fill", 0)) {
		fill();
		return tap_done("ckptclient");
	}
	sys_exchange_registers(libmap_myself, 0, &sp, &ip, &flags, &ckpt_pager, &state);
	test_first_writes();
	test_again();
	test_batches();
	test_range();
	test_bad_requests();
	test_release();
	test_bss_and_stack();
	return tap_done("ckptclient");
}
