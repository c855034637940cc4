/* SPDX-License-Identifier: MIT */
/*
 * Flexpages: an aligned region of 2^s bytes (s >= 12) with access rights.
 *
 *   63                               12 11   10 9      4 3  2  1  0
 *  +-----------------------------------+-------+--------+--+--+--+--+
 *  |  base (2^s aligned; low bits 0)    |  0    |   s    |0 |r |w |x |
 *  +-----------------------------------+-------+--------+--+--+--+--+
 *
 * s = 0 is the nil fpage (0). s = 1 with base 0 is the "complete" fpage:
 * the whole user address space. A valid fpage otherwise has 12 <= s <= 47
 * and a base aligned to 2^s lying wholly in the user half (below 2^47).
 * After unmap, the rights bits report status: r = accessed, w = dirty.
 */
#ifndef PAGODA_FPAGE_H
#define PAGODA_FPAGE_H

#include <pagoda/types.h>

#define FPAGE_X 1u
#define FPAGE_W 2u
#define FPAGE_R 4u
#define FPAGE_RW (FPAGE_R | FPAGE_W)
#define FPAGE_RX (FPAGE_R | FPAGE_X)
#define FPAGE_RWX (FPAGE_R | FPAGE_W | FPAGE_X)
#define FPAGE_RIGHTS_MASK ((word_t)7)

#define FPAGE_SIZE_SHIFT 4
#define FPAGE_SIZE_MASK ((word_t)0x3f)
#define FPAGE_MIN_LOG2 12
#define FPAGE_MAX_LOG2 47            /* the user half: [0, 2^47) */
#define FPAGE_USER_END ((word_t)1 << FPAGE_MAX_LOG2)

#define FPAGE_NIL ((word_t)0)
#define FPAGE_COMPLETE ((word_t)1 << FPAGE_SIZE_SHIFT)

static inline word_t fpage_make(word_t base, unsigned log2, unsigned rights)
{
	return (base & ~(word_t)0xfff) | ((word_t)(log2 & FPAGE_SIZE_MASK) << FPAGE_SIZE_SHIFT) |
	       (rights & FPAGE_RIGHTS_MASK);
}

static inline unsigned fpage_log2(word_t fp)
{
	return (unsigned)((fp >> FPAGE_SIZE_SHIFT) & FPAGE_SIZE_MASK);
}

static inline word_t fpage_base(word_t fp)
{
	return fp & ~(word_t)0xfff;
}

static inline unsigned fpage_rights(word_t fp)
{
	return (unsigned)(fp & FPAGE_RIGHTS_MASK);
}

static inline bool fpage_is_nil(word_t fp)
{
	return fpage_log2(fp) == 0;
}

static inline bool fpage_is_complete(word_t fp)
{
	return fpage_log2(fp) == 1 && fpage_base(fp) == 0;
}

static inline word_t fpage_size(word_t fp)
{
	return (word_t)1 << fpage_log2(fp);
}

/* A well-formed, non-nil, non-complete fpage inside the user half. */
static inline bool fpage_valid(word_t fp)
{
	unsigned s = fpage_log2(fp);
	word_t base = fpage_base(fp);

	if (s < FPAGE_MIN_LOG2 || s > FPAGE_MAX_LOG2)
		return false;
	if (base & (((word_t)1 << s) - 1))
		return false;
	if (fp & 0xc08)                      /* reserved bits 11, 10, 3 */
		return false;
	return base < FPAGE_USER_END && ((word_t)1 << s) <= FPAGE_USER_END - base;
}

#endif
