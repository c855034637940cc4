/* SPDX-License-Identifier: MIT */
/*
 * A logging LRU pager, written from docs/writing-a-pager.md: its clients
 * together never hold more than N of its frames (`pagers/examples/lru N`
 * in boot.cfg). When a fault needs a frame and N are in use, it takes the
 * least recently used page away from its client and keeps the contents in
 * a backing store of its own, so that the next fault there gets them back
 * (in whatever frame is free then).
 *
 * How it knows what was used and written: sys_unmap of a frame with rights
 * 0 revokes nothing and returns the accessed (R) and dirty (W) bits of
 * every mapping of it, the pager's own included, and resets them (abi.md
 * §5.2, §10.4). So:
 *
 * - after filling a frame (zeros, or the stored copy) the pager collects
 *   the status once and drops it: its own writes are not the client's;
 * - the LRU list is in order of faults; to choose a victim it looks at the
 *   head's status: accessed since the last look means used again, so the
 *   page goes to the tail (second chance) and the next is examined; not
 *   accessed means it is the least recently used page;
 * - every status seen is or-ed into the page's dirty flag (a look resets
 *   the hardware bit), and the victim is unmapped with all rights, which
 *   gives its last status; a dirty page is copied to the store, a clean
 *   one needs no copy (the store, or zeros, still hold its contents).
 *
 * The store is the pager's own heap (init pages it): page i of the record
 * table keeps its copy at USER_HEAP_BASE + 4 KiB * i. Image pages arrive
 * (PAGER_PAGE) before the client runs: the frame_alloc hook makes room for
 * them too, and they join the list at the client's first fault, or when
 * nothing else is left to evict, so N bounds every frame the clients
 * hold. Pages a client gives back
 * (pager_release) and a client's end drop its records and stored copies.
 * Each eviction is logged.
 */
#include <pager.h>
#include <layout.h>

#define LRU_PAGES_MAX 8192                  /* pages remembered, resident or stored */
#define LRU_BUCKETS 1024
#define LRU_MIN 4                           /* an instruction may need 4 pages at once */

struct lru_page {
	struct pager_client *c;             /* NULL: a free record */
	word_t va;
	word_t frame;                       /* while resident; 0 when stored */
	unsigned rights;
	bool stored;                        /* the store holds its contents (else zeros) */
	bool dirty;                         /* written since it was stored */
	uint32_t prev, next;                /* LRU list of resident pages; 0 is the head */
	uint32_t hnext;                     /* hash chain, or free list */
};

static struct lru_page lru[LRU_PAGES_MAX]; /* lru[0]: the list head */
static uint32_t lru_bucket[LRU_BUCKETS];
static uint32_t lru_free_list, lru_top = 1;
static word_t lru_limit, lru_peak;
static word_t lru_evictions, lru_written, lru_refills;

static word_t *lru_store(uint32_t i)
{
	return (word_t *)(USER_HEAP_BASE + (word_t)i * 4096);
}

/* Revoke `rights` from every mapping of frame; its accessed/dirty status. */
static unsigned lru_unmap(word_t frame, unsigned rights)
{
	utcb()->mr[0] = fpage_make(frame, 12, rights);
	sys_unmap(0);
	return (unsigned)utcb()->mr[0] & FPAGE_RWX;
}

static uint32_t lru_hash(struct pager_client *c, word_t va)
{
	return (uint32_t)(((va >> 12) * 31 + (word_t)c / sizeof(*c)) % LRU_BUCKETS);
}

static uint32_t lru_find(struct pager_client *c, word_t va)
{
	uint32_t i = lru_bucket[lru_hash(c, va)];

	while (i && (lru[i].c != c || lru[i].va != va))
		i = lru[i].hnext;
	return i;
}

/* A new record for c's page at va (not resident, not stored); 0 if full. */
static uint32_t lru_new(struct pager_client *c, word_t va, unsigned rights)
{
	uint32_t i = lru_free_list, *b = &lru_bucket[lru_hash(c, va)];

	if (i)
		lru_free_list = lru[i].hnext;
	else if (lru_top < LRU_PAGES_MAX)
		i = lru_top++;
	else
		return 0;
	lru[i] = (struct lru_page){ .c = c, .va = va, .rights = rights, .hnext = *b };
	*b = i;
	return i;
}

static void lru_forget(uint32_t i)
{
	uint32_t *pp = &lru_bucket[lru_hash(lru[i].c, lru[i].va)];

	while (*pp != i)
		pp = &lru[*pp].hnext;
	*pp = lru[i].hnext;
	lru[i].c = NULL;
	lru[i].hnext = lru_free_list;
	lru_free_list = i;
}

static void lru_unlink(uint32_t i)
{
	lru[lru[i].prev].next = lru[i].next;
	lru[lru[i].next].prev = lru[i].prev;
}

/* Make i the most recently used resident page. */
static void lru_append(uint32_t i)
{
	lru[i].prev = lru[0].prev;
	lru[i].next = 0;
	lru[lru[0].prev].next = i;
	lru[0].prev = i;
}

static void lru_touch(uint32_t i)
{
	lru_unlink(i);
	lru_append(i);
}

/* The least recently used resident page: the head, unless it was accessed
 * since the last look (then it goes to the tail). Two rounds at most. */
static uint32_t lru_victim(void)
{
	uint32_t i = lru[0].next;

	for (unsigned n = 0; i && n < 2 * LRU_PAGES_MAX; n++, i = lru[0].next) {
		unsigned st = lru_unmap(lru[i].frame, 0);

		lru[i].dirty |= (st & FPAGE_W) != 0;
		if (!(st & FPAGE_R))
			break;
		lru_touch(i);
	}
	return i;
}

/* Take page i away from its client; keep its contents if they changed. */
static void lru_evict(uint32_t i)
{
	struct lru_page *e = &lru[i];

	e->dirty |= (lru_unmap(e->frame, FPAGE_RWX) & FPAGE_W) != 0;
	if (e->dirty) {
		memcpy(lru_store(i), (void *)e->frame, 4096);
		e->stored = true;
		lru_written++;
	}
	printf("lru: evict %lx page %lx (%s)\n", e->c->tid, e->va,
	       e->dirty ? "dirty, written to the store" : "clean, not copied");
	e->dirty = false;
	pager_page_remove(e->c, e->va);
	pager_frame_put(e->frame);
	e->frame = 0;
	lru_unlink(i);
	lru_evictions++;
}

/* pager_page_each: put a page init handed over into the list (its
 * contents are in no store yet, so it counts as dirty). */
static void lru_adopt(struct pager *p, struct pager_client *c, word_t va, word_t frame,
		      unsigned rights)
{
	uint32_t i;

	(void)p;
	if (rights & PAGER_PAGE_LENT || lru_find(c, va) || !(i = lru_new(c, va, rights)))
		return;
	lru[i].frame = frame;
	lru[i].dirty = true;
	lru_append(i);
}

/* Nothing left to evict: adopt the pages init handed over for clients
 * that have not run yet (another client's image may need the room). */
static void lru_adopt_all(struct pager *p)
{
	for (unsigned k = 0; k < PAGER_CLIENTS_MAX; k++)
		if (p->client[k].tid != TID_NIL)
			pager_page_each(p, &p->client[k], lru_adopt);
}

/* Evict until a frame may be taken without going past N. */
static bool lru_make_room(struct pager *p)
{
	uint32_t i;

	while (pager_frames_in_use() >= lru_limit) {
		if (!(i = lru_victim())) {
			lru_adopt_all(p);
			if (!(i = lru_victim()))
				return false;
		}
		lru_evict(i);
	}
	return true;
}

/* A frame for page i: the stored copy or zeros, with the status that the
 * pager's own writes left on it collected and dropped. */
static word_t lru_fill(struct pager *p, uint32_t i)
{
	word_t frame;

	if (!lru_make_room(p) || !(frame = pager_frame_alloc(p, !lru[i].stored)))
		return 0;
	if (lru[i].stored) {
		memcpy((void *)frame, lru_store(i), 4096);
		lru_refills++;
	}
	lru_unmap(frame, 0);
	lru_peak = MAX(lru_peak, pager_frames_in_use());
	return frame;
}

static word_t lru_fault(struct pager *p, struct pager_client *c, word_t addr, unsigned access,
			unsigned *rights)
{
	word_t va = ALIGN_DOWN(addr, 4096), frame;
	uint32_t i;

	(void)access;
	if (!c->user) {                    /* its first fault: adopt its image pages */
		pager_page_each(p, c, lru_adopt);
		c->user = 1;
	}
	i = lru_find(c, va);
	if (pager_page_lookup(c, va, &frame, rights)) {
		if (i)
			lru_touch(i);
		return frame;              /* still resident: the same frame */
	}
	if (i)
		*rights = lru[i].rights;   /* evicted before: back from the store */
	else if (!pager_client_region(c, va, rights) || !(i = lru_new(c, va, *rights)))
		return 0;
	p->refusal = PAGER_REFUSE_NO_MEMORY;
	if (!(frame = lru_fill(p, i)))
		return 0;
	if (!pager_page_insert(p, c, va, frame, *rights)) {
		pager_frame_put(frame);
		return 0;
	}
	p->refusal = 0;
	lru[i].frame = frame;
	lru_append(i);
	return frame;
}

/* Image pages (PAGER_PAGE) and lent frames (ANY) count against N too. */
static word_t lru_frame_alloc(struct pager *p, struct pager_client *c)
{
	word_t frame;

	if (!lru_make_room(p) || !(frame = pager_frame_alloc(p, false))) {
		printf("lru: no frame for an image page of %lx\n", c->tid);
		return 0;
	}
	lru_peak = MAX(lru_peak, pager_frames_in_use());
	return frame;
}

/* Forget c's records in [va, va + size) (the framework puts the frames
 * of the resident ones): stored copies must not come back. */
static void lru_forget_range(struct pager_client *c, word_t va, word_t size)
{
	for (uint32_t i = 1; i < lru_top; i++) {
		if (lru[i].c != c || lru[i].va - va >= size)
			continue;
		if (lru[i].frame)
			lru_unlink(i);
		lru_forget(i);
	}
}

/* PAGER_RELEASE: this pager can always give its records back. */
static word_t lru_release(struct pager *p, struct pager_client *c, word_t va, word_t size)
{
	(void)p;
	lru_forget_range(c, va, size);
	return E_OK;
}

/* The client is gone: forget all its records. */
static void lru_client_exit(struct pager *p, struct pager_client *c)
{
	(void)p;
	lru_forget_range(c, 0, ~(word_t)0);
}

static word_t lru_number(const char *s)
{
	word_t n = 0;

	for (; *s >= '0' && *s <= '9' && n < 1000000; s++)
		n = n * 10 + (word_t)(*s - '0');
	return *s ? 0 : n;
}

static const struct pager_ops lru_ops = {
	.fault = lru_fault,
	.client_exit = lru_client_exit,
	.frame_alloc = lru_frame_alloc,
	.release = lru_release,
};

int main(int argc, char **argv)
{
	static struct pager p;
	int status;

	lru_limit = argc == 2 ? lru_number(argv[1]) : 0;
	if (lru_limit < LRU_MIN) {
		printf("lru: usage: pagers/examples/lru N (frames, N >= %d)\n", LRU_MIN);
		return 1;
	}
	pager_init(&p, "lru", &lru_ops);
	printf("lru: pager %lx ready, at most %lu frames\n", libmap_myself, lru_limit);
	status = pager_run(&p);
	printf("lru: %lu faults, %lu evictions (%lu written to the store), %lu refills, "
	       "at most %lu of %lu frames in use\n", p.faults, lru_evictions, lru_written,
	       lru_refills, lru_peak, lru_limit);
	return status;
}
