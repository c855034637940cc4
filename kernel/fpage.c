/* SPDX-License-Identifier: MIT */
/*
 * Flexpage arithmetic: decoding an fpage word, and where a send fpage
 * lands in a receive window (the L4 rule). A send fpage of 2^s bytes meets
 * a receive window of 2^r bytes:
 *   s <= r: the whole fpage lands in the window at the offset given by the
 *           hot spot modulo 2^r, rounded down to 2^s;
 *   s >  r: only the 2^r-sized part of the fpage that contains the hot
 *           spot (modulo 2^s) is transferred, and it fills the window.
 * The complete fpage (s = 1, base 0) stands for the whole user half.
 * Pure functions: unit-tested on the host (tests/unit/test_fpage.c).
 */
#include <fpage.h>

/* An fpage as (base, log2); the complete fpage is the whole user half. */
bool fpage_decode(word_t fp, word_t *base, unsigned *log2)
{
	if (fpage_is_complete(fp)) {
		*base = 0;
		*log2 = FPAGE_MAX_LOG2;
		return true;
	}
	if (!fpage_valid(fp))
		return false;
	*base = fpage_base(fp);
	*log2 = fpage_log2(fp);
	return true;
}

bool map_placement(word_t snd, word_t hot, word_t window, struct map_place *p)
{
	word_t sb, wb;
	unsigned s, r;

	if (!fpage_decode(snd, &sb, &s) || !fpage_decode(window, &wb, &r))
		return false;
	if (s <= r) {
		p->src = sb;
		p->dst = wb + ((hot & (((word_t)1 << r) - 1)) & ~(((word_t)1 << s) - 1));
		p->size = (word_t)1 << s;
	} else {
		p->src = sb + ((hot & (((word_t)1 << s) - 1)) & ~(((word_t)1 << r) - 1));
		p->dst = wb;
		p->size = (word_t)1 << r;
	}
	return true;
}

