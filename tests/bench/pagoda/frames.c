/* SPDX-License-Identifier: MIT */
/*
 * Frames from sigma0, held by S0 at chosen virtual addresses: each 4 KiB
 * frame is received into a one-page window, so a pool is contiguous in
 * S0 whatever the physical addresses. Only main calls these (sigma0
 * records the requesting thread as the owner, and only the owner frees).
 */
#include "bench.h"
#include <sigma0.h>

#define FRAMES_MAX 5120     /* the pools of bench.h and growth.c's 4,096 */

static word_t frames_pa[FRAMES_MAX];
static unsigned frames_n;

/* n frames at va, va + 4 KiB, ...; returns an error code. */
word_t frames_alloc(word_t va, unsigned n)
{
	word_t err, pa;

	for (unsigned i = 0; i < n; i++) {
		if (frames_n == FRAMES_MAX)
			return E_NO_MEMORY;
		err = sigma0_alloc(12, FPAGE_RW, fpage_make(va + (word_t)i * 4096, 12, 0), &pa);
		if (err)
			return err;
		frames_pa[frames_n++] = pa;
		stats_page_zero((void *)(va + (word_t)i * 4096));
	}
	return E_OK;
}

/* Give every frame back (which revokes all mappings of them). */
void frames_free(void)
{
	while (frames_n)
		sigma0_free(frames_pa[--frames_n], 12);
}
