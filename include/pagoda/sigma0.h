/* SPDX-License-Identifier: MIT */
/*
 * The sigma0 protocol. sigma0 owns all RAM that the kernel does not use,
 * and device memory. A client calls sigma0 with one of these requests
 * (label SIGMA0_LABEL_*, untyped words as listed) and a receive window in
 * BR0; the reply carries one map item, or label SIGMA0_REPLY_ERROR with
 * MR1 = enum pagoda_error.
 *
 * Every frame is handed out once: a second request for a frame that has an
 * owner (by physical address, or as part of a larger request) is refused
 * with E_EXISTS. Page faults of sigma0's clients are answered like
 * SIGMA0_LABEL_ANY for one 4 KiB page (a client without its own pager).
 * RAM (PHYS, ANY, page faults) goes only to the root task and to threads
 * it named with SIGMA0_LABEL_RAM, up to their limits: E_NO_PRIVILEGE,
 * E_NO_MEMORY otherwise.
 */
#ifndef PAGODA_SIGMA0_H
#define PAGODA_SIGMA0_H

#include <pagoda/types.h>

enum sigma0_label {
	SIGMA0_LABEL_PHYS = 0x5301,   /* MR1 = fpage(physical base, s, rights): that frame */
	SIGMA0_LABEL_ANY = 0x5302,    /* MR1 = log2 size, MR2 = rights: any free frame */
	SIGMA0_LABEL_DEVICE = 0x5303, /* MR1 = fpage(physical base, s, rights): MMIO, uncached */
	SIGMA0_LABEL_FREE = 0x5305,   /* MR1 = fpage(physical base, s): give frames back */
	SIGMA0_LABEL_STATS = 0x5306,  /* reply MR1 = free bytes, MR2 = owned-by-clients bytes */
	SIGMA0_LABEL_RECLAIM = 0x5307,/* root task only: MR1 = thread id: free all it owns;
				       * MR1 = nil: free what owners that no longer exist hold */
	SIGMA0_LABEL_DEVICES = 0x5308,/* root task only: MR1 = thread id: it may ask for
				       * DEVICE (until RECLAIM of it) */
	SIGMA0_LABEL_RAM = 0x5309,    /* root task only: MR1 = thread id, MR2 = bytes: it
				       * may own that much RAM (0: none; until RECLAIM) */
	SIGMA0_REPLY_OK = 0,
	SIGMA0_REPLY_ERROR = 0x53ff,
};

/* For a successful frame request the reply's MR1..MR2 are a map item; for
 * SIGMA0_LABEL_ANY the hot spot is the physical address of the frame. */

#endif
