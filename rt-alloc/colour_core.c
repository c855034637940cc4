/* SPDX-License-Identifier: MIT */
/*
 * Colour selection, or: how does a pager partition a cache?
 *
 * A physically indexed cache picks the set of an access from the address
 * bits just above the line offset: set = (pa / line) % sets. One way of the
 * cache spans line * sets bytes; when that is more than a page, the set
 * index reaches above bit 12, into the page frame number, and those bits
 * -- pfn % (line * sets / 4 KiB) -- are the frame's *colour*. Two frames of
 * different colours can never compete for a cache set; all frames of one
 * colour share the same 1/colours of the cache. So whoever hands out
 * frames decides who shares cache with whom: give a real-time task only
 * colours 0..7 and every other task only 8..15, and nothing the others do
 * can evict the real-time task's lines (the L1 and L2 are usually indexed
 * below bit 12 and are not partitioned this way; the last level is what
 * matters, and what colour_count is computed from).
 *
 * Colours = (LLC size / ways) / 4 KiB. A real LLC can have a set count
 * that is not a power of two (hashed slices); colour_count rounds down to
 * a power of two, so colours are a mask of the pfn. A boot.cfg option
 * replaces the CPUID geometry by a chosen one (cache=1M/16).
 *
 * The pool. The pager owns a set of frames taken from sigma0 by physical
 * address, so it knows each one's colour. It keeps one free list per
 * colour (a singly linked stack through next[], indexed by pfn, so push
 * and pop are O(1)) and a bitmap `nonempty` with one bit per colour. A
 * client's colours are a bitmap of the same shape. Allocating for a client
 * is then `nonempty & set`, scanned from the client's cursor for the first
 * set bit (at most COLOUR_WORDS + 1 words, however much memory there is),
 * and a pop. The cursor moves past the colour used, so a client's pages
 * are dealt round its colours in turn: a working set that fits its
 * partition spreads over all of it instead of filling one colour first.
 * Freeing is a push and setting a bit. Nothing searches a list.
 *
 * When every colour of a client's set is empty the answer is COLOUR_NONE:
 * the pager refuses the fault with a reason (or, if the client's line in
 * boot.cfg allows spilling, tries the set of all colours). colour_check
 * walks every list and verifies counts, colours, states and bits.
 */
#include "colour_core.h"

/* ---- cache geometry ---- */

unsigned colour_count(uint64_t size, unsigned ways)
{
	uint64_t per_way = ways ? size / ways : 0, c = 1;

	while (c * 2 * COLOUR_PAGE <= per_way && c * 2 <= COLOUR_MAX)
		c *= 2;
	return (unsigned)c;
}

const struct colour_level *colour_llc(const struct colour_geometry *g)
{
	const struct colour_level *best = NULL;

	for (unsigned i = 0; i < g->nlevels; i++)
		if (g->lvl[i].type != 'i' && (!best || g->lvl[i].level > best->level ||
					      (g->lvl[i].level == best->level &&
					       g->lvl[i].size > best->size)))
			best = &g->lvl[i];
	return best;
}

void colour_geometry_finish(struct colour_geometry *g)
{
	const struct colour_level *l = colour_llc(g);

	g->colours = l ? colour_count(l->size, l->ways) : 1;
}

static bool colour_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* A decimal number at *s, advancing *s; false if there is none. */
static bool colour_number(const char **s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > 1000000000)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*out = v;
	return true;
}

/* A size with an optional K or M suffix. */
static bool colour_size(const char **s, uint64_t *out)
{
	if (!colour_number(s, out))
		return false;
	if (**s == 'K' || **s == 'k')
		*out <<= 10, (*s)++;
	else if (**s == 'M' || **s == 'm')
		*out <<= 20, (*s)++;
	return true;
}

const char *colour_geometry_parse(struct colour_geometry *g, const char *text)
{
	uint64_t size, ways, line = 64;
	const char *s = text;

	if (!colour_size(&s, &size) || *s++ != '/' || !colour_number(&s, &ways))
		return "want cache=SIZE/WAYS[/LINE], e.g. 1M/16";
	if (*s == '/' && (s++, !colour_number(&s, &line)))
		return "want cache=SIZE/WAYS[/LINE], e.g. 1M/16";
	if (*s)
		return "want cache=SIZE/WAYS[/LINE], e.g. 1M/16";
	if (!colour_is_pow2(line) || line < 16 || line > 4096 || !ways || ways > 1024 ||
	    size % (ways * line) || !colour_is_pow2(size / (ways * line)) || size > (1ull << 32))
		return "cache shape must be SIZE = WAYS * LINE * 2^n sets, LINE a power of two";
	g->nlevels = 1;
	g->lvl[0] = (struct colour_level){ .level = 3, .type = 'u', .line = (unsigned)line,
					   .sets = (unsigned)(size / (ways * line)),
					   .ways = (unsigned)ways, .size = size };
	g->source = "boot.cfg";
	colour_geometry_finish(g);
	return NULL;
}

/* ---- decoding CPUID ---- */

bool colour_decode_leaf4(const uint32_t r[4], struct colour_level *l)
{
	unsigned type = r[0] & 0x1f;

	if (!type)
		return false;
	l->type = "?diu"[type > 3 ? 0 : type];
	l->level = r[0] >> 5 & 7;
	l->line = (r[1] & 0xfff) + 1;
	l->ways = (r[1] >> 22) + 1;
	l->sets = r[2] + 1;
	l->size = (uint64_t)l->line * l->sets * l->ways * ((r[1] >> 12 & 0x3ff) + 1);
	return true;
}

/* A cache of the AMD legacy leaves; false if size, ways or line is 0. */
static bool colour_level_make(struct colour_level *l, unsigned level, char type,
			      uint64_t size, unsigned ways, unsigned line)
{
	if (!size || !ways || !line || size < (uint64_t)ways * line)
		return false;
	*l = (struct colour_level){ level, type, line, (unsigned)(size / ((uint64_t)ways * line)),
				    ways, size };
	return true;
}

bool colour_decode_amd_l1(uint32_t reg, char type, struct colour_level *l)
{
	uint64_t size = (uint64_t)(reg >> 24) << 10;
	unsigned ways = reg >> 16 & 0xff, line = reg & 0xff;

	if (ways == 0xff)                            /* fully associative */
		ways = line ? (unsigned)(size / line) : 0;
	return colour_level_make(l, 1, type, size, ways, line);
}

bool colour_decode_amd_l23(uint32_t reg, unsigned level, struct colour_level *l)
{
	static const unsigned ways[16] = { 0, 1, 2, 3, 4, 6, 8, 0, 16, 0, 32, 48, 64, 96, 128, 0 };
	uint64_t size = level == 2 ? (uint64_t)(reg >> 16) << 10 : (uint64_t)(reg >> 18) << 19;
	unsigned code = reg >> 12 & 0xf, line = reg & 0xff;
	unsigned w = code == 0xf && line ? (unsigned)(size / line) : ways[code];

	return colour_level_make(l, level, 'u', size, w, line);
}

/* ---- colour sets ---- */

const char *colour_set_parse(struct colour_set *s, const char *text, unsigned ncolours)
{
	struct colour_set n = { { 0 } };
	const char *p = text;
	uint64_t a, b;

	do {
		if (!colour_number(&p, &a))
			return "want colours=A-B,C,... (colour numbers)";
		b = a;
		if (*p == '-' && (p++, !colour_number(&p, &b)))
			return "want colours=A-B,C,... (colour numbers)";
		if (b < a)
			return "colour range runs backwards";
		if (b >= ncolours)
			return "colour beyond the pager's colour count";
		for (uint64_t c = a; c <= b; c++)
			colour_set_add(&n, (unsigned)c);
	} while (*p == ',' && *p++);
	if (*p)
		return "want colours=A-B,C,... (colour numbers)";
	*s = n;
	return NULL;
}

/* Append decimal v to buf at *n (bounded by size). */
static void colour_put_number(char *buf, size_t size, size_t *n, unsigned v)
{
	char tmp[12];
	int k = 0;

	do
		tmp[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < 12);
	while (k && *n + 1 < size)
		buf[(*n)++] = tmp[--k];
}

void colour_set_format(const struct colour_set *s, char *buf, size_t size)
{
	size_t n = 0;

	for (unsigned c = 0; c < COLOUR_MAX; c++) {
		unsigned e = c;
		if (!colour_set_has(s, c))
			continue;
		while (e + 1 < COLOUR_MAX && colour_set_has(s, e + 1))
			e++;
		if (n && n + 1 < size)
			buf[n++] = ',';
		colour_put_number(buf, size, &n, c);
		if (e > c && n + 1 < size)
			buf[n++] = '-', colour_put_number(buf, size, &n, e);
		c = e;
	}
	if (size)
		buf[n < size ? n : size - 1] = '\0';
}

unsigned colour_set_count(const struct colour_set *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < COLOUR_WORDS; i++)
		n += (unsigned)__builtin_popcountll(s->w[i]);
	return n;
}

bool colour_set_disjoint(const struct colour_set *a, const struct colour_set *b)
{
	for (unsigned i = 0; i < COLOUR_WORDS; i++)
		if (a->w[i] & b->w[i])
			return false;
	return true;
}

/* ---- the pool ---- */

void colour_pool_init(struct colour_pool *p, unsigned ncolours, uint32_t *next, uint8_t *state,
		      uint32_t npfn)
{
	for (unsigned i = 0; i < COLOUR_WORDS; i++)
		p->nonempty[i] = 0;
	for (unsigned c = 0; c < COLOUR_MAX; c++)
		p->head[c] = COLOUR_NONE, p->nfree[c] = 0;
	p->ncolours = ncolours;
	p->next = next;
	p->state = state;
	p->npfn = npfn;
	p->total = p->free = 0;
}

/* Push pfn on its colour's free list. */
static void colour_push(struct colour_pool *p, uint32_t pfn)
{
	unsigned c = colour_of(p, pfn);

	p->next[pfn] = p->head[c];
	p->head[c] = pfn;
	p->nfree[c]++;
	p->nonempty[c / 64] |= (uint64_t)1 << (c % 64);
	p->state[pfn] = COLOUR_FREE;
	p->free++;
}

/* Pop a frame of colour c (which has one). */
static uint32_t colour_pop(struct colour_pool *p, unsigned c)
{
	uint32_t pfn = p->head[c];

	p->head[c] = p->next[pfn];
	if (!--p->nfree[c])
		p->nonempty[c / 64] &= ~((uint64_t)1 << (c % 64));
	p->state[pfn] = COLOUR_USED;
	p->free--;
	return pfn;
}

bool colour_pool_add(struct colour_pool *p, uint32_t pfn)
{
	if (pfn >= p->npfn || p->state[pfn] != COLOUR_ABSENT)
		return false;
	p->total++;
	colour_push(p, pfn);
	return true;
}

/* The first colour >= from in (nonempty & s), wrapping; COLOUR_MAX if none.
 * At most COLOUR_WORDS + 1 words are looked at. */
static unsigned colour_find(const struct colour_pool *p, const struct colour_set *s,
			    unsigned from)
{
	unsigned w = from / 64;
	uint64_t bits = p->nonempty[w] & s->w[w] & (~(uint64_t)0 << (from % 64));

	for (unsigned k = 0; k <= COLOUR_WORDS; k++) {
		if (bits)
			return w * 64 + (unsigned)__builtin_ctzll(bits);
		w = (w + 1) % COLOUR_WORDS;
		bits = p->nonempty[w] & s->w[w];
	}
	return COLOUR_MAX;
}

uint32_t colour_alloc(struct colour_pool *p, const struct colour_set *s, unsigned *cursor)
{
	unsigned c = colour_find(p, s, *cursor % COLOUR_MAX);

	if (c == COLOUR_MAX)
		return COLOUR_NONE;
	*cursor = c + 1;
	return colour_pop(p, c);
}

bool colour_free(struct colour_pool *p, uint32_t pfn)
{
	if (pfn >= p->npfn || p->state[pfn] != COLOUR_USED)
		return false;
	colour_push(p, pfn);
	return true;
}

uint32_t colour_set_free(const struct colour_pool *p, const struct colour_set *s)
{
	uint32_t n = 0;

	for (unsigned c = 0; c < p->ncolours; c++)
		if (colour_set_has(s, c))
			n += p->nfree[c];
	return n;
}

/* Walk colour c's list: every frame free, of colour c, counted right. */
static const char *colour_check_list(const struct colour_pool *p, unsigned c, uint32_t *seen)
{
	uint32_t n = 0;

	for (uint32_t f = p->head[c]; f != COLOUR_NONE; f = p->next[f]) {
		if (f >= p->npfn)
			return "a free list links a frame out of range";
		if (p->state[f] != COLOUR_FREE)
			return "a free list holds a frame that is not free";
		if (colour_of(p, f) != c)
			return "a frame is on the list of another colour";
		if (++n > p->nfree[c])
			return "a free list is longer than its count (or loops)";
	}
	if (n != p->nfree[c])
		return "a free list is shorter than its count";
	if (((p->nonempty[c / 64] >> (c % 64)) & 1) != (n != 0))
		return "the nonempty bit of a colour disagrees with its list";
	*seen += n;
	return NULL;
}

const char *colour_check(const struct colour_pool *p)
{
	uint32_t listed = 0, nfree = 0, total = 0;
	const char *why;

	if (!colour_is_pow2(p->ncolours) || p->ncolours > COLOUR_MAX)
		return "the colour count is not a power of two up to COLOUR_MAX";
	for (unsigned c = 0; c < COLOUR_MAX; c++) {
		if (c >= p->ncolours && (p->nfree[c] || p->head[c] != COLOUR_NONE))
			return "a colour beyond the colour count has frames";
		if ((why = colour_check_list(p, c, &listed)))
			return why;
	}
	for (uint32_t f = 0; f < p->npfn; f++) {
		if (p->state[f] > COLOUR_USED)
			return "a frame has an unknown state";
		nfree += p->state[f] == COLOUR_FREE;
		total += p->state[f] != COLOUR_ABSENT;
	}
	if (listed != nfree || nfree != p->free)
		return "the free count disagrees with the free frames";
	if (total != p->total)
		return "the total disagrees with the frames present";
	return NULL;
}
