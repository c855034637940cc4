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
 *
 * And RAM sigma0 hands out carries nothing of a task that ended
 * (tests/sys/stale_s0.cfg):
 *
 *  "fill":  a task init pages writes the marker into FILL_PAGES pages of
 *           its heap, tells "scan" and ends (init gives its frames back
 *           to sigma0);
 *  "scan":  a task with RAM of its own from sigma0 (mem=), once "fill" is
 *           gone, takes every free frame of RAM in turn (PHYS, SCAN_LOG2
 *           at a time where it can, else 4 KiB) and looks for the marker.
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

#define FILL_PAGES 64
#define SCAN_LOG2 16

static int stale_fill(void)
{
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;

	for (unsigned i = 0; i < FILL_PAGES; i++)
		for (unsigned w = 0; w < 512; w += 8)
			heap[i * 512 + w] = STALE_MARK + i;
	msg_tag(0, 0, 0);
	ok(ipc_send(tap_task_tid(tap_slot() + 1), 20000000) == E_OK, "fill: scan told");
	return tap_done("stale fill");
}

/* Take the frames [pa, pa + 2^log2) from sigma0 if they are free: the
 * marker words in them, or 0 if sigma0 would not give them. */
static unsigned stale_scan_frames(word_t pa, unsigned log2, unsigned *frames)
{
	unsigned n = 0;

	if (sigma0_phys(fpage_make(pa, log2, FPAGE_RW), fpage_make(TEST_VA_A, log2, 0)))
		return 0;
	for (word_t off = 0; off < ((word_t)1 << log2); off += 4096) {
		n += stale_marks(TEST_VA_A + off);
		(*frames)++;
	}
	sigma0_free(pa, log2);
	return n;
}

static int stale_scan(void)
{
	struct kip *k = libmap_kip;
	word_t fill = tap_task_tid(tap_slot() - 1), big = (word_t)1 << SCAN_LOG2;
	unsigned found = 0, frames = 0;

	ok(ipc_receive(fill, 20000000, NULL) == E_OK, "scan: fill wrote its pages");
	/* until init has reaped it (at most 3 s: fill ends at once, and
	 * exchange_registers may stop telling a stranger's thread from none) */
	for (unsigned i = 0; i < 300 && sys_exchange_registers(fill, 0, NULL, NULL, NULL, NULL,
							       NULL) == E_NO_PRIVILEGE;
	     i++)
		tap_sleep(10000);
	tap_sleep(200000); /* and given its frames back */
	for (unsigned d = 0; d < k->memdesc_count; d++) {
		word_t lo = k->memdesc[d].base, hi = lo + k->memdesc[d].size;
		if (k->memdesc[d].type != KIP_MEM_FREE)
			continue;
		for (word_t pa = ALIGN_UP(lo, 4096); pa + 4096 <= hi;) {
			unsigned before = frames;
			if (IS_ALIGNED(pa, big) && pa + big <= hi)
				found += stale_scan_frames(pa, SCAN_LOG2, &frames);
			if (frames != before) {
				pa += big;
				continue;
			}
			found += stale_scan_frames(pa, 12, &frames);
			pa += 4096;
		}
	}
	ok(frames > 1000, "scan: %u free frames of RAM read", frames);
	ok(!found, "scan: no word of a task that ended in them (%u found)", found);
	return tap_done("stale scan");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "write"))
		return stale_write();
	if (!strcmp(mode, "fill"))
		return stale_fill();
	if (!strcmp(mode, "scan"))
		return stale_scan();
	return stale_lend();
}
