/* SPDX-License-Identifier: MIT */
/* Flexpage arithmetic (see fpage.c). */
#ifndef KERNEL_FPAGE_H
#define KERNEL_FPAGE_H

#include <pagoda/fpage.h>

/* Where a send fpage lands: source and destination base and the size. */
struct map_place {
	word_t src, dst, size;
};

/* An fpage as (base, log2); the complete fpage is the whole user half.
 * false for nil and malformed fpages. */
bool fpage_decode(word_t fp, word_t *base, unsigned *log2);

/* The placement of send fpage `snd` with hot spot `hot` into `window`;
 * false if nothing is transferred (nil or malformed fpage or window). */
bool map_placement(word_t snd, word_t hot, word_t window, struct map_place *p);

#endif
