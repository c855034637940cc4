/* SPDX-License-Identifier: MIT */
/*
 * What a client of the colouring pager (rt-alloc/colour) links: map all of
 * its pre-populated memory before it runs (COLOUR_POPULATE), and ask what
 * the pager holds for it (COLOUR_INFO). include/pagoda/proto.h has the
 * protocol.
 */
#ifndef RT_ALLOC_COLOUR_CLIENT_H
#define RT_ALLOC_COLOUR_CLIENT_H

#include <libmap.h>

struct colour_info {
	word_t colours, faults, pages, free;
	uint64_t set[8];                 /* bit c: colour c is the caller's */
};

/* Map every page the pager keeps for the caller (image, bss, stack, the
 * populate=SIZE part of the heap) into its space: after this, touching
 * them takes no page fault. Returns E_OK, or the pager's error. */
word_t colour_populate(void);
/* What the pager holds for the caller. */
word_t colour_info(struct colour_info *out);

#endif
