/* SPDX-License-Identifier: MIT */
/*
 * The colouring pager's core: cache geometry, colour sets and the pool of
 * free frames sorted by colour. Pure C with no system calls, so the host
 * unit tests (tests/unit/test_colour.c) build it as it is. The essay on
 * colour selection is at the top of colour_core.c.
 */
#ifndef RT_ALLOC_COLOUR_CORE_H
#define RT_ALLOC_COLOUR_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLOUR_PAGE 4096u
#define COLOUR_MAX 512u                      /* colours: LLC way size up to 2 MiB */
#define COLOUR_WORDS (COLOUR_MAX / 64)
#define COLOUR_NONE UINT32_MAX               /* no frame */
#define COLOUR_LEVELS_MAX 8

/* ---- cache geometry ---- */

struct colour_level {
	unsigned level;                      /* 1, 2, 3 */
	char type;                           /* 'd'ata, 'i'nstruction, 'u'nified */
	unsigned line, sets, ways;
	uint64_t size;                       /* line * sets * ways */
};

struct colour_geometry {
	unsigned nlevels;
	struct colour_level lvl[COLOUR_LEVELS_MAX];
	const char *source;                  /* "cpuid leaf 4", "boot.cfg", ... */
	unsigned colours;                    /* from the last level: a power of two */
};

/* Colours of a cache: (size / ways) / 4 KiB, rounded down to a power of
 * two, at least 1, at most COLOUR_MAX. */
unsigned colour_count(uint64_t size, unsigned ways);
/* The last-level (largest data or unified) cache of g, or NULL. */
const struct colour_level *colour_llc(const struct colour_geometry *g);
/* Set g->colours from its last level (1 when it has none). */
void colour_geometry_finish(struct colour_geometry *g);
/* Parse "SIZE/WAYS[/LINE]" (SIZE with K or M, e.g. "1M/16") into g as a
 * single unified level; NULL on success, else why not. */
const char *colour_geometry_parse(struct colour_geometry *g, const char *text);

/* Decoding CPUID (the instruction itself is in cache.c). Each fills *l
 * and returns true, or false when the registers describe no cache. */
/* Leaf 4 / 0x8000001D sub-leaf: EAX type and level, EBX line, partitions
 * and ways, ECX sets. */
bool colour_decode_leaf4(const uint32_t r[4], struct colour_level *l);
/* 0x80000005 ECX (L1d) or EDX (L1i): KiB, ways, line in bytes 3, 2, 0. */
bool colour_decode_amd_l1(uint32_t reg, char type, struct colour_level *l);
/* 0x80000006 ECX (L2: KiB in 31..16) or EDX (L3: 512 KiB units in
 * 31..18); an associativity code in 15..12, the line in 7..0. */
bool colour_decode_amd_l23(uint32_t reg, unsigned level, struct colour_level *l);

/* ---- colour sets ---- */

struct colour_set {
	uint64_t w[COLOUR_WORDS];
};

static inline bool colour_set_has(const struct colour_set *s, unsigned c)
{
	return c < COLOUR_MAX && (s->w[c / 64] >> (c % 64) & 1);
}

static inline void colour_set_add(struct colour_set *s, unsigned c)
{
	s->w[c / 64] |= (uint64_t)1 << (c % 64);
}

/* Parse "A-B,C,..." of colours below ncolours; NULL on success, else why
 * not (the set is then unchanged). */
const char *colour_set_parse(struct colour_set *s, const char *text, unsigned ncolours);
/* Print s as ranges ("0-7,12") into buf. */
void colour_set_format(const struct colour_set *s, char *buf, size_t size);
unsigned colour_set_count(const struct colour_set *s);
bool colour_set_disjoint(const struct colour_set *a, const struct colour_set *b);

/* ---- the pool of frames by colour ---- */

enum colour_state { COLOUR_ABSENT = 0, COLOUR_FREE = 1, COLOUR_USED = 2 };

/* Frames are named by page frame number (physical address / 4 KiB). The
 * caller provides the per-frame arrays, npfn entries each (zeroed). */
struct colour_pool {
	unsigned ncolours;                   /* power of two, <= COLOUR_MAX */
	uint64_t nonempty[COLOUR_WORDS];     /* bit c: colour c has a free frame */
	uint32_t head[COLOUR_MAX];           /* first free frame of colour c, or COLOUR_NONE */
	uint32_t nfree[COLOUR_MAX];          /* free frames of colour c */
	uint32_t *next;                      /* per frame: next free one of its colour */
	uint8_t *state;                      /* per frame: enum colour_state */
	uint32_t npfn;
	uint32_t total, free;                /* frames in the pool; of them free */
};

static inline unsigned colour_of(const struct colour_pool *p, uint32_t pfn)
{
	return pfn & (p->ncolours - 1);
}

void colour_pool_init(struct colour_pool *p, unsigned ncolours, uint32_t *next, uint8_t *state,
		      uint32_t npfn);
/* Add frame pfn (absent until now) as free; false if out of range or known. */
bool colour_pool_add(struct colour_pool *p, uint32_t pfn);
/* Take a free frame of a colour in s, the colours taken in turn from
 * *cursor on (which moves past the colour used): O(COLOUR_WORDS). Returns
 * COLOUR_NONE when every colour of s is empty. */
uint32_t colour_alloc(struct colour_pool *p, const struct colour_set *s, unsigned *cursor);
/* Give a frame taken by colour_alloc back; false if it was not taken. */
bool colour_free(struct colour_pool *p, uint32_t pfn);
/* Free frames of the colours in s. */
uint32_t colour_set_free(const struct colour_pool *p, const struct colour_set *s);
/* Walk every invariant of p: NULL when all hold, else the first broken. */
const char *colour_check(const struct colour_pool *p);

#endif
