/* SPDX-License-Identifier: MIT */
/*
 * The colouring pager: a libmap pager whose frames are sorted by cache
 * colour, so that clients given disjoint colours share no set of the
 * last-level cache (colour_core.c explains colours and the O(1) pool).
 *
 *   rt-alloc/colour [-- cache=SIZE/WAYS[/LINE]] [pool=SIZE[@BASE]] [check]
 *   CLIENT pager=rt-alloc/colour [colours=A-B,C] [spill=yes] [populate=SIZE]
 *
 * Start: the cache geometry from CPUID (cache.c), or the one given, is
 * printed with its colour count. Then the pool (default 8 MiB) is taken
 * from sigma0 by physical address (SIGMA0_LABEL_PHYS, 2 MiB at a time,
 * from the top of RAM down), mapped at COLOUR_BASE + physical address, so
 * that a frame's address in this space tells its colour; every frame goes
 * on its colour's free list. The pool is fixed: a real-time partition is a
 * reservation, and running out is an answer, not a reason to take more.
 *
 * Clients. init hands each client's KEY=VALUE options to this pager
 * (PAGER_OPTION) before its image: colours= (default: all), spill=yes
 * (when its colours are empty, take any colour instead of refusing) and
 * populate=SIZE (pre-population, below). Every frame a client gets -- image
 * pages, bss, stack and heap on fault -- comes from its colours. When they
 * are exhausted the fault is refused with PAGER_REFUSE_COLOURS_EMPTY, which
 * the kernel hands to the client's exception handler as the reason.
 *
 * Pre-population. A client with populate=SIZE calls COLOUR_POPULATE first
 * thing: the pager fills its bss, its stack and the first SIZE bytes of
 * its heap with frames (all of them taken now, so nothing can run out
 * later) and maps every page it holds for it, a batch of map items per
 * reply. After that the client takes no page fault in that memory, which
 * COLOUR_INFO's fault count shows.
 *
 * End. A client's frames return to their colours when it exits (the
 * framework drops its pages; frame_free pushes them back); at shutdown
 * the pool goes back to sigma0, so memory is back at its baseline.
 */
#include <pager.h>
#include <sigma0.h>
#include <layout.h>
#include "colour.h"

#define COLOUR_BASE 0x40000000000ull           /* frame of pa at COLOUR_BASE + pa */
#define COLOUR_NPFN_MAX (1u << 19)             /* RAM below 2 GiB */
#define COLOUR_CHUNK_LOG2 21
#define COLOUR_CHUNKS_MAX 1024
#define COLOUR_POOL_DEFAULT (8ull << 20)

struct colour_client {
	struct colour_set set;           /* its colours */
	unsigned cursor;                 /* where its next colour search starts */
	bool spill;                      /* may take other colours when its are empty */
	word_t populate;                 /* heap bytes pre-populated; 0: none */
	word_t faults;                   /* faults served for it */
};

static struct pager pager;
static struct colour_geometry geom;
static struct colour_pool pool;
static struct colour_set all_colours;
static struct colour_client clients[PAGER_CLIENTS_MAX];
static uint32_t pool_next[COLOUR_NPFN_MAX];
static uint8_t pool_state[COLOUR_NPFN_MAX];
static word_t chunk[COLOUR_CHUNKS_MAX];       /* physical bases of the 2 MiB chunks */
static unsigned nchunks;
static bool colour_debug;                     /* "check": colour_check after every change */

/* With the "check" argument, walk the pool's invariants after a change. */
static void colour_debug_check(const char *after)
{
	const char *why;

	if (colour_debug && (why = colour_check(&pool)))
		printf("not ok - colour pool after %s: %s\n", after, why);
}

static struct colour_client *colour_client_of(struct pager_client *c)
{
	return &clients[c - pager.client];
}

static word_t colour_frame_va(uint32_t pfn)
{
	return COLOUR_BASE + (word_t)pfn * 4096;
}

/* ---- the pool ---- */

/* The highest RAM frame number + 1 (bounded by COLOUR_NPFN_MAX). */
static uint32_t colour_ram_top(void)
{
	struct kip *k = libmap_kip;
	word_t top = 0;

	for (unsigned i = 0; i < k->memdesc_count; i++)
		if (k->memdesc[i].type == KIP_MEM_FREE)
			top = MAX(top, k->memdesc[i].base + k->memdesc[i].size);
	return (uint32_t)MIN(top / 4096, (word_t)COLOUR_NPFN_MAX);
}

/* Take the 2 MiB chunk at physical pa by address; its frames join the pool. */
static bool colour_take_chunk(word_t pa)
{
	word_t size = (word_t)1 << COLOUR_CHUNK_LOG2;

	if (nchunks == COLOUR_CHUNKS_MAX || (pa + size) / 4096 > pool.npfn ||
	    sigma0_phys(fpage_make(pa, COLOUR_CHUNK_LOG2, FPAGE_RWX),
			fpage_make(COLOUR_BASE + pa, COLOUR_CHUNK_LOG2, 0)))
		return false;
	chunk[nchunks++] = pa;
	for (word_t f = pa / 4096; f < (pa + size) / 4096; f++)
		colour_pool_add(&pool, (uint32_t)f);
	return true;
}

/* Take `bytes` of RAM in 2 MiB chunks: from physical `base` up if given
 * (pool=SIZE@BASE: experiments that watch the pool's physical range),
 * else from the top of each free range down. */
static word_t colour_take_pool(word_t bytes, word_t base)
{
	struct kip *k = libmap_kip;
	word_t size = (word_t)1 << COLOUR_CHUNK_LOG2, got = 0;

	if (base) {
		for (word_t pa = ALIGN_UP(base, size); got < bytes && pa / 4096 < pool.npfn; pa += size)
			if (colour_take_chunk(pa))
				got += size;
		return got;
	}

	for (int i = (int)k->memdesc_count - 1; i >= 0 && got < bytes; i--) {
		struct kip_memdesc *d = &k->memdesc[i];
		if (d->type != KIP_MEM_FREE || d->size < size)
			continue;
		for (word_t pa = ALIGN_DOWN(d->base + d->size, size) - size;
		     pa >= d->base && got < bytes; pa -= size)
			if (colour_take_chunk(pa))
				got += size;
	}
	return got;
}

static void colour_give_back_pool(void)
{
	for (unsigned i = 0; i < nchunks; i++)
		sigma0_free(chunk[i], COLOUR_CHUNK_LOG2);
	nchunks = 0;
}

/* A frame of c's colours (or any, if it may spill); 0 and the refusal
 * reason set when there is none. */
static word_t colour_take(struct pager *p, struct pager_client *c)
{
	struct colour_client *cc = colour_client_of(c);
	uint32_t pfn = colour_alloc(&pool, &cc->set, &cc->cursor);
	char set[64];

	if (pfn == COLOUR_NONE && cc->spill)
		pfn = colour_alloc(&pool, &all_colours, &cc->cursor);
	if (pfn != COLOUR_NONE) {
		colour_debug_check("an allocation");
		return colour_frame_va(pfn);
	}
	colour_set_format(&cc->set, set, sizeof(set));
	printf("colour: %lx: colours %s exhausted%s: refused\n", c->tid, set,
	       cc->spill ? " and so is every other" : " (no spill)");
	p->refusal = PAGER_REFUSE_COLOURS_EMPTY;
	return 0;
}

/* ---- hooks ---- */

static word_t colour_frame_alloc(struct pager *p, struct pager_client *c)
{
	return colour_take(p, c);
}

static void colour_frame_free(struct pager *p, word_t frame)
{
	(void)p;
	if (!colour_free(&pool, (uint32_t)((frame - COLOUR_BASE) / 4096)))
		printf("colour: frame %lx freed but not taken\n", frame);
	colour_debug_check("a free");
}

/* A fresh zeroed frame of c's colours for its page va. */
static word_t colour_new_page(struct pager *p, struct pager_client *c, word_t va,
			      unsigned rights)
{
	word_t frame = colour_take(p, c);

	if (!frame)
		return 0;
	memset((void *)frame, 0, 4096);
	if (!pager_page_insert(p, c, va, frame, rights)) {
		colour_frame_free(p, frame);
		p->refusal = PAGER_REFUSE_NO_MEMORY;
		return 0;
	}
	return frame;
}

static word_t colour_fault(struct pager *p, struct pager_client *c, word_t addr,
			   unsigned access, unsigned *rights)
{
	word_t va = ALIGN_DOWN(addr, 4096), frame;

	(void)access;
	if (pager_page_lookup(c, va, &frame, rights))
		return frame;
	if (!pager_client_region(c, va, rights))
		return 0;
	if ((frame = colour_new_page(p, c, va, *rights)))
		colour_client_of(c)->faults++;
	return frame;
}

/* PAGER_CLIENT registers a client before its options: start it with all
 * colours, no spill, nothing pre-populated. */
static void colour_client_reset(unsigned i)
{
	memset(&clients[i], 0, sizeof(clients[i]));
	clients[i].set = all_colours;
}

static void colour_client_exit(struct pager *p, struct pager_client *c)
{
	struct colour_client *cc = colour_client_of(c);

	(void)p;
	printf("colour: client %lx gave back %u frames (%lu faults)\n", c->tid, c->npages,
	       cc->faults);
	colour_client_reset((unsigned)(c - p->client));
}

/* ---- requests ---- */

static void colour_ok(unsigned u)
{
	msg_tag(SIGMA0_REPLY_OK, u, 0);
}

/* A size with K or M at *v (advanced); 0 if there is none. */
static word_t colour_size(const char **v)
{
	word_t n = 0;

	for (; **v >= '0' && **v <= '9' && n < USER_HEAP_SIZE; (*v)++)
		n = n * 10 + (word_t)(**v - '0');
	if (**v == 'K' || **v == 'M')
		n <<= *(*v)++ == 'K' ? 10 : 20;
	return n;
}

/* populate=SIZE: a page multiple within the heap. */
static const char *colour_parse_populate(struct colour_client *cc, const char *v)
{
	word_t n = colour_size(&v);

	if (*v || !n || n % 4096 || n > USER_HEAP_SIZE)
		return "want populate=SIZE: K/M, page multiple, <= 1G";
	cc->populate = n;
	return NULL;
}

/* Apply one KEY=VALUE option to client cc; NULL or why not. */
static const char *colour_option(struct colour_client *cc, const char *opt)
{
	if (!strncmp(opt, "colours=", 8))
		return colour_set_parse(&cc->set, opt + 8, geom.colours);
	if (!strcmp(opt, "spill=yes") || !strcmp(opt, "spill=no")) {
		cc->spill = opt[6] == 'y';
		return NULL;
	}
	if (!strncmp(opt, "spill=", 6))
		return "want spill=yes or spill=no";
	if (!strncmp(opt, "populate=", 9))
		return colour_parse_populate(cc, opt + 9);
	return "unknown option (colours=, spill=, populate=)";
}

static void colour_on_option(struct pager *p, word_t from)
{
	struct utcb *u = utcb();
	struct pager_client *c = pager_client_find(p, u->mr[1]);
	char opt[PAGER_OPTION_MAX + 1];
	const char *why;
	word_t len = u->mr[2];

	if (from != libmap_exit_to || !c) {
		pager_refuse(from != libmap_exit_to ? E_NO_PRIVILEGE : E_BAD_THREAD, "not allowed");
		return;
	}
	if (len > PAGER_OPTION_MAX || tag_u(u->mr[0]) < 2 + (len + 7) / 8) {
		pager_refuse(E_BAD_ARGUMENT, "malformed option");
		return;
	}
	memcpy(opt, &u->mr[3], len);
	opt[len] = '\0';
	if ((why = colour_option(colour_client_of(c), opt)))
		pager_refuse(E_BAD_ARGUMENT, why);
	else
		colour_ok(0);
}

static void colour_on_info(struct pager_client *c)
{
	struct colour_client *cc = colour_client_of(c);
	struct utcb *u = utcb();

	colour_ok(COLOUR_INFO_LENGTH);
	u->mr[1] = geom.colours;
	u->mr[2] = cc->faults;
	u->mr[3] = c->npages;
	u->mr[4] = colour_set_free(&pool, &cc->set);
	for (unsigned i = 0; i < 8; i++)
		u->mr[COLOUR_INFO_SET + i] = cc->set.w[i];
}

/* Give c a frame for every page of its regions that it lacks (the heap
 * only up to populate bytes); false when its colours run out. */
static bool colour_fill(struct pager *p, struct pager_client *c)
{
	struct colour_client *cc = colour_client_of(c);

	for (unsigned i = 0; i < c->nregions; i++) {
		struct pager_region *r = &c->region[i];
		word_t size = r->va == USER_HEAP_BASE ? MIN(r->size, cc->populate) : r->size;
		for (word_t va = r->va; va < r->va + size; va += 4096) {
			word_t frame;
			unsigned rights;
			if (!pager_page_lookup(c, va, &frame, &rights) &&
			    !colour_new_page(p, c, va, r->rights))
				return false;
		}
	}
	p->refusal = 0;
	return true;
}

/* Where a populate batch is being assembled (pager_page_each's callback). */
static struct {
	word_t skip, count, items;
} batch;

static void colour_batch_page(struct pager *p, struct pager_client *c, word_t va, word_t frame,
			      unsigned rights)
{
	(void)p;
	(void)c;
	if (rights & PAGER_PAGE_LENT || batch.count++ < batch.skip ||
	    batch.items == COLOUR_POPULATE_BATCH)
		return;
	msg_map_item(2 + 2 * (unsigned)batch.items++, va,
		     fpage_make(frame, 12, rights & FPAGE_RWX), false);
}

static void colour_on_populate(struct pager *p, struct pager_client *c)
{
	struct utcb *u = utcb();
	word_t first = u->mr[1];

	if (!colour_client_of(c)->populate) {
		pager_refuse(E_BAD_ARGUMENT, "no populate= for this client");
		return;
	}
	if (!first && !colour_fill(p, c)) {
		pager_refuse(E_NO_MEMORY, "colours exhausted");
		return;
	}
	batch.skip = first;
	batch.count = batch.items = 0;
	pager_page_each(p, c, colour_batch_page);
	msg_tag(SIGMA0_REPLY_OK, 1, 2 * (unsigned)batch.items);
	u->mr[1] = first + batch.items < batch.count ? first + batch.items : 0;
}

static bool colour_request(struct pager *p, word_t from, word_t label)
{
	struct pager_client *c = pager_client_find(p, from);

	if (label == PAGER_OPTION)
		colour_on_option(p, from);
	else if (label == COLOUR_INFO && c)
		colour_on_info(c);
	else if (label == COLOUR_POPULATE && c)
		colour_on_populate(p, c);
	else
		pager_refuse(E_BAD_ARGUMENT, "unknown request");
	return true;
}

static const struct pager_ops colour_ops = {
	.fault = colour_fault,
	.request = colour_request,
	.client_exit = colour_client_exit,
	.frame_alloc = colour_frame_alloc,
	.frame_free = colour_frame_free,
};

/* ---- start and end ---- */

extern char _end[];                             /* end of the image (libmap/user.ld) */

/* Touch every page of this program (code, data, and the framework's and
 * the pool's tables in bss) now, so that serving a client never waits
 * for a fault of the pager's own to be served by init: part of the
 * bounded worst case. */
static void colour_prefault(void)
{
	for (word_t va = USER_IMAGE_BASE; va < (word_t)_end; va += 4096)
		(void)*(volatile char *)va;
}

/* cache= and pool=SIZE[@BASE] from the command line; false (said why) if bad. */
static bool colour_args(int argc, char **argv, word_t *pool_bytes, word_t *pool_base)
{
	const char *why;

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "cache=", 6)) {
			if ((why = colour_geometry_parse(&geom, argv[i] + 6))) {
				printf("colour: bad argument '%s': %s\n", argv[i], why);
				return false;
			}
		} else if (!strncmp(argv[i], "pool=", 5)) {
			const char *v = argv[i] + 5;
			*pool_bytes = colour_size(&v);
			if (*v == '@')
				v++, *pool_base = colour_size(&v);
			if (*v || !*pool_bytes) {
				printf("colour: bad argument '%s': want pool=SIZE[@BASE] (K or M)\n",
				       argv[i]);
				return false;
			}
		} else if (!strcmp(argv[i], "check")) {
			colour_debug = true;
		} else {
			printf("colour: bad argument '%s' (cache=SIZE/WAYS[/LINE], pool=SIZE, check)\n",
			       argv[i]);
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	word_t want = COLOUR_POOL_DEFAULT, base = 0, got;
	int status;

	cache_geometry(&geom);
	if (!colour_args(argc, argv, &want, &base))
		return 2;
	colour_prefault();
	cache_print("colour", &geom);
	for (unsigned c = 0; c < geom.colours; c++)
		colour_set_add(&all_colours, c);
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++)
		colour_client_reset(i);
	colour_pool_init(&pool, geom.colours, pool_next, pool_state, colour_ram_top());
	got = colour_take_pool(want, base);
	printf("colour: pager %lx, pool %lu KiB by physical address (%u frames of each colour)\n",
	       libmap_myself, got >> 10, (unsigned)(got / 4096 / geom.colours));
	pager_init(&pager, "colour", &colour_ops);
	status = pager_run(&pager);
	if (colour_check(&pool))
		printf("not ok - colour pool: %s\n", colour_check(&pool));
	printf("colour: %u of %u frames free at shutdown\n", pool.free, pool.total);
	colour_give_back_pool();
	return status;
}
