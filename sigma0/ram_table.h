/* SPDX-License-Identifier: MIT */
/*
 * sigma0's RAM table, as its checker sees it: the owner of every 4 KiB
 * frame, the free and handed-out counts, and the threads the root task
 * named with RAM (SIGMA0_LABEL_RAM), each with its limit and the frames
 * its number owns. sigma0.c owns the table; ram_check.c checks it and
 * builds for the host (tests/unit/test_sigma0_ram.c).
 */
#ifndef SIGMA0_RAM_TABLE_H
#define SIGMA0_RAM_TABLE_H

#include <libmap.h>

#define OWNER_FREE 0
#define OWNER_NOT_MINE 0xffff
#define RAM_CLIENTS 64

/* A thread that may have RAM: its id (nil: free slot; one slot per thread
 * number), the frames it may own and the frames its number owns now. */
struct sigma0_ram_client {
	word_t tid, limit, used;
};

struct sigma0_ram_table {
	const uint16_t *owner;           /* per frame: FREE, NOT_MINE or a number */
	word_t nframes, free_frames, given_frames;
	const struct sigma0_ram_client *client;   /* RAM_CLIENTS slots */
	unsigned top;                    /* slots at or above it were never used */
	word_t root_number;              /* the root task's: it is in no slot */
};

/* Every invariant of the table holds (ram_check.c lists them); false at
 * the first broken one, reported as "sigma0_ram_check: <what>". sigma0
 * runs it after every 64th request in `make DEBUG=1` builds
 * (SIGMA0_DEBUG). */
bool sigma0_ram_check(const struct sigma0_ram_table *t);

#endif
