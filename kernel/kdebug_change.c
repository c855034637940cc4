/* SPDX-License-Identifier: MIT */
/*
 * The DEBUG=1 kernel's check after each change (kdebug_after_change: a
 * map item, an unmap, a thread's end). Only debug builds compile this
 * file; other builds have empty inline hooks (kdebug.h).
 *
 * Checking every structure whole after every change costs O(size) per
 * change, and a test of thousands of mappings turns quadratic (bench_fork
 * went from 2.4 M to 49 M guest instructions, `file` took 666 s). So
 * there are two checks:
 *
 *  - After every change, the local check: what the change touched. The
 *    page-table hooks of the mapping database (kernel/space.c) note each
 *    PTE they write -- set, protect, raise, clear, split -- in a small
 *    log: the (space, address range), merged with a neighbour of the same
 *    space, and the frame (a 4 KiB frame, or a whole 2 MiB frame for a
 *    superpage). Every change of a mapping node goes with a PTE write of
 *    the node's own (space, va, frame), so the frames in the log are
 *    those whose node lists changed. The local check then runs, for each
 *    frame, mdb_check_at (every node of its lists against list, parent
 *    and PTE; the frame's 4K-list count; its directory not empty), and for
 *    each range space_check_own (the space's lists, counts, quota and
 *    parent account) and space_check_range (every PTE there has a node
 *    that says the same). These are the whole checkers' own steps:
 *    mdb_check and space_check are them applied to everything.
 *  - Every so often, everything (kdebug_check_all: kmem_check, mdb_check,
 *    space_check_all), for what no local check covers: the free lists of
 *    kmem, the per-space node counts, damage a change did not note. Each
 *    change adds KDEBUG_CREDIT to a budget; when the budget reaches the
 *    size of the checked structures (kernel-memory pages plus mapping
 *    nodes, which bounds the whole check's work), the whole check runs
 *    and the budget starts again. So the whole check costs O(1) amortised
 *    per change, and every global invariant is checked at least once
 *    every size / KDEBUG_CREDIT changes.
 *  - When the log overflows (a change wrote more PTEs or frames than it
 *    holds: a large fpage, a space's teardown), the whole check runs in
 *    place of the local one. KDB_CHECK always checks everything.
 *
 * A space's entries leave the log when it is destroyed (its nodes and
 * PTEs are gone; frames are physical addresses and stay).
 */
#include <kdebug.h>
#include <space.h>
#include <mapdb.h>
#include <kmem.h>
#include <klib.h>

#define KDEBUG_LOG_FRAMES 128
#define KDEBUG_LOG_RANGES 32
#define KDEBUG_CREDIT 16
#define KDEBUG_FRAME_SUPER 1      /* in a frame entry: the whole 2 MiB frame */

struct kdebug_range {
	struct space *s;
	word_t va, end;
};

/* The log of what changed since the last check, and the budget. */
static struct {
	word_t frame[KDEBUG_LOG_FRAMES];       /* pa, | KDEBUG_FRAME_SUPER */
	struct kdebug_range range[KDEBUG_LOG_RANGES];
	unsigned frames, ranges;
	bool overflow;
	size_t budget;
} kdebug_log;

static void kdebug_note_frame(word_t pa, unsigned log2)
{
	word_t e = ALIGN_DOWN(pa, (word_t)1 << log2) | (log2 > 12 ? KDEBUG_FRAME_SUPER : 0);

	for (unsigned i = 0; i < kdebug_log.frames; i++)
		if (kdebug_log.frame[i] == e)
			return;
	if (kdebug_log.frames == KDEBUG_LOG_FRAMES)
		kdebug_log.overflow = true;
	else
		kdebug_log.frame[kdebug_log.frames++] = e;
}

static void kdebug_note_range(struct space *s, word_t va, word_t end)
{
	for (unsigned i = 0; i < kdebug_log.ranges; i++) {
		struct kdebug_range *r = &kdebug_log.range[i];
		if (r->s == s && va <= r->end && r->va <= end) {
			r->va = MIN(r->va, va);
			r->end = MAX(r->end, end);
			return;
		}
	}
	if (kdebug_log.ranges == KDEBUG_LOG_RANGES)
		kdebug_log.overflow = true;
	else
		kdebug_log.range[kdebug_log.ranges++] = (struct kdebug_range){ s, va, end };
}

void kdebug_note_pte(struct space *s, word_t va, unsigned log2, word_t pa)
{
	word_t base = ALIGN_DOWN(va, (word_t)1 << log2);

	kdebug_note_range(s, base, base + ((word_t)1 << log2));
	kdebug_note_frame(pa, log2);
}

void kdebug_note_mapping(struct space *s, word_t va, unsigned log2)
{
	word_t pa;
	unsigned have, rights;

	if (mdb_pte_get(s, va, &pa, &have, &rights, NULL))
		kdebug_note_pte(s, va, MAX(log2, have), pa);
	else
		kdebug_note_range(s, ALIGN_DOWN(va, (word_t)1 << log2),
				  ALIGN_DOWN(va, (word_t)1 << log2) + ((word_t)1 << log2));
}

void kdebug_forget_space(struct space *s)
{
	for (unsigned i = 0; i < kdebug_log.ranges;)
		if (kdebug_log.range[i].s == s)
			kdebug_log.range[i] = kdebug_log.range[--kdebug_log.ranges];
		else
			i++;
}

/* The local check of every frame in the log. */
static bool kdebug_check_frames(void)
{
	for (unsigned i = 0; i < kdebug_log.frames; i++) {
		word_t e = kdebug_log.frame[i];
		if (!mdb_check_at(e & ~(word_t)KDEBUG_FRAME_SUPER,
				  e & KDEBUG_FRAME_SUPER ? MDB_SUPER_LOG2 : MDB_PAGE_LOG2))
			return false;
	}
	return true;
}

/* The local check of every (space, range) in the log. */
static bool kdebug_check_ranges(void)
{
	for (unsigned i = 0; i < kdebug_log.ranges; i++) {
		const struct kdebug_range *r = &kdebug_log.range[i];
		if (!space_check_own(r->s) || !space_check_range(r->s, r->va, r->end))
			return false;
	}
	return true;
}

unsigned kdebug_check_local(void)
{
	if (!kdebug_check_frames())
		return KDEBUG_CHECK_LOCAL_MAPDB;
	if (!kdebug_check_ranges())
		return KDEBUG_CHECK_LOCAL_SPACE;
	return 0;
}

/* The work of a whole check: kernel-memory pages and mapping nodes. */
static size_t kdebug_whole_size(void)
{
	return kmem_total_bytes() / KMEM_PAGE + mdb_node_count();
}

void kdebug_check_change(void)
{
	kdebug_log.budget += KDEBUG_CREDIT;
	if (kdebug_log.overflow || kdebug_log.budget >= kdebug_whole_size()) {
		kdebug_check_all();
		kdebug_log.budget = 0;
	} else {
		kdebug_require_local();
	}
	kdebug_log.frames = kdebug_log.ranges = 0;
	kdebug_log.overflow = false;
}
