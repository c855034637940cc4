/* SPDX-License-Identifier: MIT */
/*
 * The libmap pager pool asks for blocks again after a tight moment
 * (libmap/pager.c, pool_block_refused): a block refused for want of
 * memory is not the end of blocks.
 *
 * "hog" (priv, slot 1) and "client" (a client of pagers/cow, slot 2).
 * The client touches heap pages one at a time and reads sigma0's handed-
 * out bytes after each (sigma0_stats): a new block of the cow pager's
 * pool shows as 256 KiB at once (or a page more: the pager's own bss may
 * fault in with it), a single frame as 4 KiB. It first
 * touches pages until a block came; then the hog takes all the RAM
 * sigma0 gives (every size from 1 GiB down to 4 KiB, unmapped) and gives
 * 16 frames back (one 64 KiB piece: no aligned block of 64 frames), and
 * the client touches pages until four single frames came (the pool's
 * block was refused) and none of 256 KiB; then the hog gives everything
 * back, and within 16 more pages a block must come again. The old pool
 * asked for single frames for ever after the refusal.
 *
 * sigma0's count is global: a piece another task takes or gives back
 * while a page is touched changes what that touch seems to cost. So the
 * hog works only while the client waits in a call to it, and waits, in
 * its receive, from before the client counts (the client's first call)
 * until the client has counted its last page (LABEL_DONE): its exit gives
 * its own pages back to sigma0, and when it comes is up to the scheduler
 * (docs/abi.md section 12: the client its reply wakes goes to the back
 * of its queue), so landing inside the touch that brought the block it
 * hid part of the block from the count.
 */
#include "tap.h"
#include <sigma0.h>

#define LABEL_SQUEEZE 0x71
#define LABEL_RELEASE 0x72
#define LABEL_READY 0x73
#define LABEL_DONE 0x74
#define BLOCK_BYTES ((word_t)256 << 10)
#define HOG_MAX 4096

static struct {
	word_t pa;
	unsigned log2;
} held[HOG_MAX];
static unsigned nheld;

/* Take every frame sigma0 gives us, largest pieces first; then give back
 * the first 64 KiB of the first piece of at least that. */
static void hog_squeeze(void)
{
	word_t pa, free_bytes = 0, given = 0;
	unsigned k;

	for (unsigned log2 = 30; log2 >= 12; log2--)
		while (nheld < HOG_MAX && sigma0_alloc(log2, FPAGE_RW, FPAGE_NIL, &pa) == E_OK) {
			held[nheld].pa = pa;
			held[nheld++].log2 = log2;
		}
	for (k = 0; k < nheld && held[k].log2 < 16; k++)
		;
	ok(k < nheld, "hog: took %u pieces, one of 64 KiB or more", nheld);
	if (k < nheld)
		ok_err(sigma0_free(held[k].pa, 16), E_OK, "hog: 16 frames back");
	sigma0_stats(&free_bytes, &given);
	printf("# hog: sigma0 has %lu KiB free\n", free_bytes >> 10);
}

/* Give back everything (the rest of the piece cut into halves). */
static void hog_release(void)
{
	bool cut = false, all = true;

	for (unsigned i = 0; i < nheld; i++) {
		if (!cut && held[i].log2 >= 16) {
			cut = true;
			for (unsigned k = 16; k < held[i].log2; k++)
				all &= sigma0_free(held[i].pa + ((word_t)1 << k), k) == E_OK;
			continue;
		}
		all &= sigma0_free(held[i].pa, held[i].log2) == E_OK;
	}
	ok(all, "hog: all %u pieces back", nheld);
	nheld = 0;
}

/* Serve the client's calls until it is done counting. */
static void hog(void)
{
	word_t from = TID_NIL, label = 0;

	for (int step = 0; step < 8 && label != LABEL_DONE; step++) {
		if (ipc_receive(TID_ANY, TIMEOUT_NEVER, &from))
			continue;
		label = tag_label(utcb()->mr[0]);
		if (label == LABEL_SQUEEZE)
			hog_squeeze();
		else if (label == LABEL_RELEASE)
			hog_release();
		msg_tag(0, 0, 0);
		ipc_send(from, TIMEOUT_NEVER);
	}
}

static word_t given_now(void)
{
	word_t given = 0;

	sigma0_stats(NULL, &given);
	return given;
}

static word_t next_page;

/* Touch the next heap page; what sigma0 handed out meanwhile. */
static word_t touch(void)
{
	word_t before = given_now(), va = USER_HEAP_BASE + next_page * 4096;

	*(volatile word_t *)va = ++next_page;
	return given_now() - before;
}

static bool ask_hog(word_t label)
{
	msg_tag(label, 0, 0);
	return ipc_call(tap_task_tid(1)) == E_OK;
}

static void client(void)
{
	unsigned singles = 0, blocks = 0, n;
	word_t d;

	ok(ask_hog(LABEL_READY), "client: the hog waits for its orders");
	for (n = 0; n < 200 && touch() < BLOCK_BYTES; n++)
		;
	ok(n < 200, "client: a block of 64 frames after %u pages", n + 1);
	ok(ask_hog(LABEL_SQUEEZE), "client: the hog took sigma0's memory");
	for (n = 0; n < 100 && singles < 4; n++) {
		d = touch();
		singles += d && d < BLOCK_BYTES;
		blocks += d >= BLOCK_BYTES;
	}
	ok(singles == 4 && !blocks,
	   "client: under pressure, %u single frames and %u blocks in %u pages", singles, blocks,
	   n);
	ok(ask_hog(LABEL_RELEASE), "client: the hog gave it back");
	for (n = 0; n < 16 && touch() < BLOCK_BYTES; n++)
		;
	ok(ask_hog(LABEL_DONE), "client: the hog may end");
	ok(n < 16, "poolback: a block again, %u pages after the memory came back", n + 1);
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "hog", hog },
		{ "client", client },
	};

	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("poolback");
}
