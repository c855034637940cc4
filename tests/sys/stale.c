/* SPDX-License-Identifier: MIT */
/*
 * Frames a libmap pager lends (ANY, meant for clients that are pagers
 * themselves) carry nothing another client left in them
 * (tests/sys/stale.cfg; docs/security.md, "Fourth audit"):
 *
 *  "write": writes a marker into STALE_PAGES pages of its heap and gives
 *           them back (PAGER_RELEASE: the frames go to the pager's free
 *           stack), tells "lend", and waits for it to finish;
 *  "lend":  then asks its pager for LEND_FRAMES frames (ANY) and looks
 *           for the marker in every word of each.
 * A pager that lends a frame as it came off its free stack hands one
 * client what another wrote there.
 */
#include "tap.h"
#include <fork.h>
#include <sigma0.h>

#define STALE_PAGES 8
#define STALE_MARK 0x5ec7e75ec7e70000ull
#define LEND_FRAMES 32

static int stale_write(void)
{
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;
	word_t lend = tap_task_tid(tap_slot() + 1);

	for (unsigned i = 0; i < STALE_PAGES; i++)
		for (unsigned w = 0; w < 512; w += 8)
			heap[i * 512 + w] = STALE_MARK + i;
	ok(pager_release(USER_HEAP_BASE, STALE_PAGES * 4096) == E_OK,
	   "write: %u pages of markers given back", STALE_PAGES);
	msg_tag(0, 0, 0);
	ok(ipc_send(lend, 20000000) == E_OK, "write: lend told");
	ok(ipc_receive(lend, 20000000, NULL) == E_OK, "write: lend is done");
	return tap_done("stale write");
}

/* Words of the marker in the frame at va. */
static unsigned stale_marks(word_t va)
{
	unsigned n = 0;

	for (unsigned w = 0; w < 512; w++)
		n += (((volatile word_t *)va)[w] & ~(word_t)0xffff) == STALE_MARK;
	return n;
}

static int stale_lend(void)
{
	word_t writer = tap_task_tid(tap_slot() - 1), pager = utcb()->pager, handle[LEND_FRAMES];
	unsigned got = 0, found = 0;

	ok(ipc_receive(writer, 20000000, NULL) == E_OK, "lend: write gave its pages back");
	for (unsigned i = 0; i < LEND_FRAMES; i++) {
		word_t va = TEST_VA_A + (word_t)i * 4096;
		handle[i] = 0;
		if (memsrv_alloc(pager, 12, FPAGE_RW, fpage_make(va, 12, 0), &handle[i]))
			continue;
		got++;
		found += stale_marks(va);
	}
	ok(got == LEND_FRAMES, "lend: %u frames lent", got);
	ok(!found, "lend: no word another client wrote in them (%u found)", found);
	for (unsigned i = 0; i < LEND_FRAMES; i++)
		if (handle[i])
			memsrv_free(pager, handle[i], 12);
	msg_tag(0, 0, 0);
	ipc_send(writer, 20000000);
	return tap_done("stale lend");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "write"))
		return stale_write();
	return stale_lend();
}
