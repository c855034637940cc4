/* SPDX-License-Identifier: MIT */
/*
 * One client must not starve the others of their pager's memory
 * (docs/security.md, "Per-client frame bound"). Two copies of this
 * program are clients of one zero pager that may take 8 MiB (2,048
 * frames) from sigma0 (boundhog.cfg):
 *
 *   hog (slot 1, frames=1024): borrows frames with ANY until the pager
 *      says E_NO_MEMORY, which must come at its bound (its image and
 *      stack pages count too), not when the pool is empty; gives 16 back
 *      and gets exactly 16 again (FREE takes them off its count); then
 *      lets the victim run, and when the victim is done writes a heap
 *      page past its bound: that fault is refused with
 *      PAGER_REFUSE_NO_MEMORY and the hog ends with a fault.
 *   victim (slot 2): once the hog holds all it can, writes and reads
 *      back 900 heap pages. On the code without the bound the hog took
 *      all 2,048 frames and the victim's first heap write was refused.
 */
#include "tap.h"
#include <layout.h>
#include <sigma0.h>

#define HOG_BOUND 1024                  /* frames= on the hog's line */
#define HOG_SLOT 1
#define VICTIM_SLOT 2
#define VICTIM_PAGES 900
#define HOG_MAX 2560                    /* more than the pager may take (mem=8M) */
#define LABEL_GO 0x6200

static word_t window(unsigned i)
{
	return fpage_make(TEST_VA_A + (word_t)i * 4096, 12, 0);
}

/* ANY from the pager until it refuses (without a bound: the whole pool);
 * the frames taken, handles in h. */
static unsigned hog_take(word_t *h, unsigned from, word_t *err)
{
	unsigned n = from;

	while (n < HOG_MAX && !(*err = memsrv_alloc(utcb()->pager, 12, FPAGE_RW, window(n), &h[n])))
		n++;
	return n;
}

static int hog(void)
{
	static word_t h[HOG_MAX];
	word_t err, tid = tap_task_tid(VICTIM_SLOT), freed = 0;
	unsigned n, again;

	memset(h, 0, sizeof(h));                   /* its own pages first */
	*(volatile unsigned *)&tap_failed += 0;
	n = hog_take(h, 0, &err);

	ok(err == E_NO_MEMORY, "hog: ANY refused with E_NO_MEMORY (error %lu)", err);
	ok(n > HOG_BOUND - 64 && n < HOG_BOUND,
	   "hog: refused at its bound of %u frames after %u (its image and stack count)", HOG_BOUND,
	   n);
	for (unsigned i = n - 16; i < n; i++)
		freed += !memsrv_free(utcb()->pager, h[i], 12);
	ok(freed == 16, "hog: 16 frames given back with FREE (%lu)", freed);
	again = hog_take(h, n - 16, &err);
	ok(again == n && err == E_NO_MEMORY, "hog: 16 freed, exactly 16 more (%u)",
	   again - (n - 16));
	ok_err(ipc_send(tid, TIMEOUT_NEVER), E_OK, "hog: the victim may go");
	ok_err(ipc_receive(tid, TIMEOUT_NEVER, NULL), E_OK, "hog: the victim is done");
	printf("boundhog: hog writes past its bound\n");
	*(volatile word_t *)USER_HEAP_BASE = 1;    /* refused: the hog ends here */
	ok(false, "hog: a heap page past the bound");
	return tap_done("boundhog hog");
}

static int victim(void)
{
	word_t tid = tap_task_tid(HOG_SLOT), bad = 0;
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;

	ok_err(ipc_receive(tid, TIMEOUT_NEVER, NULL), E_OK, "victim: the hog holds all it can");
	for (unsigned i = 0; i < VICTIM_PAGES; i++)
		heap[i * 512] = i + 1;
	for (unsigned i = 0; i < VICTIM_PAGES; i++)
		bad += heap[i * 512] != i + 1;
	ok(!bad, "victim: %u heap pages written and read back beside the hog", VICTIM_PAGES);
	ok_err(ipc_send(tid, TIMEOUT_NEVER), E_OK, "victim: done");
	return tap_done("boundhog victim");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "hog"))
		return hog();
	if (argc == 2 && !strcmp(argv[1], "victim"))
		return victim();
	ok(false, "boundhog: want hog or victim");
	return tap_done("boundhog");
}
