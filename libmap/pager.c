/* SPDX-License-Identifier: MIT */
/*
 * The pager framework (see pager.h for the interface and an example).
 *
 * Frames. The pager's frames live at PAGER_POOL_BASE + 4 KiB * i. Frame i
 * is obtained from the pager below (memsrv_alloc into exactly that slot);
 * users[i] counts the references the pager's clients (and copy-on-write
 * sharing) hold. New frames come PAGER_POOL_BATCH at a time, one request
 * for an aligned block of slots at the top of the pool, the rest going to
 * the free stack: a fault pays for asking below once per batch, as a
 * kernel refills its free lists. A memory server that refuses a block
 * is asked for single frames, and for a block again after a backoff (see
 * pool_block_refused): a block refused for want of memory may be there a
 * moment later, while a pager below that gives single frames only costs
 * one refused request per PAGER_POOL_RETRY_MAX frames. A block goes to
 * the next aligned top; the slots it skips wait, empty, for single
 * frames. A fault asks below at most twice (a block, then one frame),
 * whatever the backoff. A frame nobody uses goes to a
 * free stack of at most PAGER_POOL_KEEP frames for the next fault; beyond
 * that it is given back below at once (alone: the memory servers free
 * 4 KiB pieces of a block) and its slot waits, empty, for reuse. Shutdown
 * gives back the rest. A frame on the free stack that a client has used
 * is marked dirty: lent (ANY) it is cleared first, while one fresh from
 * below holds nothing of any other task's (sigma0 clears what comes back
 * to it, and a libmap pager below lends clean frames); a fault's frame is
 * cleared in any case.
 *
 * Bounds. Each client pays for the frames it holds through the pager
 * from an account: its own, or, for a fork child, its family's root's
 * (pager_page_share), so forking buys no more memory. A pool frame is
 * charged once, to the account of the first table it entered
 * (pool_acct), and uncharged when its last user puts it: the frames a
 * fork shares, and the original a copy-on-write break leaves to the
 * other sharers, count once for the family; the copy counts as a new
 * frame. A frame outside the pool (frame_alloc's) has one entry and is
 * charged with it. An account at its bound gets no new frame:
 * pager_page_insert refuses (the fault is refused with
 * PAGER_REFUSE_NO_MEMORY, ANY answers E_NO_MEMORY), and no one else is
 * affected. When an account goes while frames are still charged to it,
 * the rest of its family (if any) takes the account over; frames only
 * the pager keeps (a cache) are no longer counted for anyone.
 *
 * Page tables. One hash table of entries keyed by (client, page address),
 * chained per bucket; each client also links its own entries, so fork and
 * exit visit only that client's pages.
 */
#include <pager.h>
#include <sigma0.h>

/* ---- frames ---- */

static word_t pool_handle[PAGER_POOL_FRAMES];    /* the frame's address below; 0: none */
static uint16_t pool_users[PAGER_POOL_FRAMES];
static uint32_t pool_free[PAGER_POOL_FRAMES];    /* stack of free frame numbers */
static uint32_t pool_empty[PAGER_POOL_FRAMES];   /* stack of slots given back below */
static uint64_t pool_dirty[PAGER_POOL_FRAMES / 64]; /* bit: a client's page was in it */
_Static_assert(PAGER_POOL_BATCH == 64, "pool_take_batch clears one word of pool_dirty");
static uint32_t pool_nfree, pool_nempty, pool_top; /* counts; slots ever used */
static word_t pool_in_use;
static word_t pool_below;                        /* the memory server of the pool */
static uint32_t pool_block_wait;                 /* single frames to take before a block */
static uint32_t pool_block_backoff;              /* the next wait after a refusal */
static struct pager *page_owner;                 /* the one pager of this task */
static void bound_frame_freed(uint32_t i);

static word_t frame_va(uint32_t i)
{
	return PAGER_POOL_BASE + (word_t)i * 4096;
}

static uint32_t frame_index(word_t frame)
{
	return (uint32_t)((frame - PAGER_POOL_BASE) / 4096);
}

/* Below refused a block with err: take single frames for a while. For
 * want of memory (E_NO_MEMORY) the wait doubles with each refusal in a
 * row, from 1 up to PAGER_POOL_RETRY_MAX; any other error (a pager below
 * takes 4 KiB requests only) says it will not change: the longest wait at
 * once. A block taken starts the doubling afresh. */
static void pool_block_refused(word_t err)
{
	if (err != E_NO_MEMORY)
		pool_block_backoff = PAGER_POOL_RETRY_MAX;
	pool_block_wait = pool_block_backoff;
	if (pool_block_backoff < PAGER_POOL_RETRY_MAX)
		pool_block_backoff *= 2;
}

/* Take PAGER_POOL_BATCH new frames from below into the aligned block of
 * slots at or above the top of the pool: the first in *slot, the others
 * onto the free stack (in reverse, so that they are handed out in address
 * order); the slots skipped below the block become empty ones. false
 * while the backoff lasts, if the pool has no room, or if below refuses. */
static bool pool_take_batch(struct pager *p, uint32_t *slot)
{
	uint32_t i = ALIGN_UP(pool_top, PAGER_POOL_BATCH);
	word_t handle, err;

	if (pool_block_wait || PAGER_POOL_FRAMES - i < PAGER_POOL_BATCH)
		return false;
	err = memsrv_alloc(p->below, PAGER_POOL_BATCH_LOG2, FPAGE_RWX,
			   fpage_make(frame_va(i), PAGER_POOL_BATCH_LOG2, 0), &handle);
	if (err) {
		pool_block_refused(err);
		return false;
	}
	pool_block_backoff = 1;
	for (; pool_top < i; pool_top++) {
		pool_handle[pool_top] = 0;          /* none: shutdown skips it */
		pool_empty[pool_nempty++] = pool_top;
	}
	for (uint32_t k = 0; k < PAGER_POOL_BATCH; k++)
		pool_handle[i + k] = handle + (word_t)k * 4096;
	pool_dirty[i / 64] = 0;                         /* a batch is one aligned word */
	for (uint32_t k = PAGER_POOL_BATCH - 1; k > 0; k--)
		pool_free[pool_nfree++] = i + k;
	pool_top += PAGER_POOL_BATCH;
	*slot = i;
	return true;
}

/* One new frame from below into an empty slot (or the top). */
static bool pool_take_one(struct pager *p, uint32_t *slot)
{
	uint32_t i;
	word_t handle;

	if (!pool_nempty && pool_top == PAGER_POOL_FRAMES)
		return false;
	i = pool_nempty ? pool_empty[pool_nempty - 1] : pool_top;
	if (memsrv_alloc(p->below, 12, FPAGE_RWX, fpage_make(frame_va(i), 12, 0), &handle))
		return false;
	pool_handle[i] = handle;
	pool_dirty[i / 64] &= ~(1ull << (i % 64));
	if (pool_block_wait)
		pool_block_wait--;
	if (pool_nempty)
		pool_nempty--;
	else
		pool_top++;
	*slot = i;
	return true;
}

/* New frames from below, out of line: the common path (a free frame)
 * then saves no registers for the requests. */
static __attribute__((noinline)) bool pool_take(struct pager *p, uint32_t *slot)
{
	return pool_take_batch(p, slot) || pool_take_one(p, slot);
}

word_t pager_frame_alloc(struct pager *p, bool zero)
{
	uint32_t i;

	if (pool_nfree)
		i = pool_free[--pool_nfree];
	else if (!pool_take(p, &i))
		return 0;
	pool_users[i] = 1;
	pool_in_use++;
	if (zero)
		memset((void *)frame_va(i), 0, 4096);
	return frame_va(i);
}

void pager_frame_get(word_t frame)
{
	pool_users[frame_index(frame)]++;
}

unsigned pager_frame_users(word_t frame)
{
	return pool_users[frame_index(frame)];
}

static bool pager_frame_in_pool(word_t frame)
{
	return frame - PAGER_POOL_BASE < (word_t)PAGER_POOL_FRAMES * 4096;
}

bool pager_frame_put(word_t frame)
{
	uint32_t i = frame_index(frame);

	if (!pager_frame_in_pool(frame)) {          /* the pager's own frame */
		pager_revoke(frame, FPAGE_RWX);
		page_owner->ops->frame_free(page_owner, frame);
		return true;
	}
	if (--pool_users[i])
		return false;
	bound_frame_freed(i);
	pager_revoke(frame, FPAGE_RWX);
	pool_in_use--;
	if (pool_nfree < PAGER_POOL_KEEP) {
		pool_dirty[i / 64] |= 1ull << (i % 64);
		pool_free[pool_nfree++] = i;        /* keep a few for the next fault */
		return true;
	}
	memsrv_free(pool_below, pool_handle[i], 12);
	pool_handle[i] = 0;
	pool_empty[pool_nempty++] = i;
	return true;
}

word_t pager_frames_in_use(void)
{
	return pool_in_use;
}

void pager_revoke(word_t frame, unsigned rights)
{
	utcb()->mr[0] = fpage_make(frame, 12, rights);
	sys_unmap(0);
}

unsigned pager_revoke_status(word_t frame, unsigned rights)
{
	utcb()->mr[0] = fpage_make(frame, 12, rights);
	sys_unmap(0);
	return fpage_rights(utcb()->mr[0]) & (FPAGE_R | FPAGE_W);
}

/* Give every frame ever taken back to the pager below. */
static void pager_release_all(struct pager *p)
{
	for (uint32_t i = 0; i < pool_top; i++)
		if (pool_handle[i])
			memsrv_free(p->below, pool_handle[i], 12);
	pool_top = pool_nfree = pool_nempty = 0;
	pool_in_use = 0;
}

/* ---- bounds ---- */

static uint8_t pool_acct[PAGER_POOL_FRAMES];     /* 1 + the account charged; 0: none */

/* frame enters c's table (the fault path: inline): 1 if it is counted
 * already, 2 if it is charged to c's account now, 0 if that would pass
 * the bound. */
static inline __attribute__((always_inline)) unsigned bound_take(struct pager_client *c,
								 word_t frame)
{
	struct pager_client *a = c->payer;
	word_t i = (frame - PAGER_POOL_BASE) / 4096;

	if (i < PAGER_POOL_FRAMES && pool_acct[i])
		return 1;
	if (a->frames >= a->frames_max)
		return 0;
	if (i < PAGER_POOL_FRAMES)
		pool_acct[i] = (uint8_t)(a->slot + 1);
	a->frames++;
	return 2;
}

/* Undo bound_take's 2 (the table had no room). */
static void bound_untake(struct pager_client *c, word_t frame)
{
	if (pager_frame_in_pool(frame))
		pool_acct[frame_index(frame)] = 0;
	c->payer->frames--;
}

/* frame entered c's table: charge it unless it is counted already. */
static void bound_charge(struct pager_client *c, word_t frame)
{
	if (pager_frame_in_pool(frame)) {
		uint8_t *acct = &pool_acct[frame_index(frame)];
		if (*acct)
			return;
		*acct = (uint8_t)(c->payer->slot + 1);
	}
	c->payer->frames++;
}

/* c's entry for frame went: a frame outside the pool is uncharged now (a
 * pool frame when its last user puts it). */
static void bound_entry_gone(struct pager_client *c, word_t frame)
{
	if (!pager_frame_in_pool(frame))
		c->payer->frames--;
}

/* Pool frame i has no user left: its account gets it back. */
static void bound_frame_freed(uint32_t i)
{
	if (pool_acct[i]) {
		page_owner->client[pool_acct[i] - 1].frames--;
		pool_acct[i] = 0;
	}
}

/* Client c (its pages dropped) goes. If it was an account still charged
 * with frames, the first other member of its family takes the account
 * over; without one, the frames (kept by the pager alone) are uncharged. */
static void bound_client_gone(struct pager *p, struct pager_client *c)
{
	struct pager_client *heir = NULL;

	if (c->payer != c)
		return;
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++) {
		struct pager_client *o = &p->client[i];
		if (o == c || o->tid == TID_NIL || o->payer != c)
			continue;
		if (!heir) {
			heir = o;
			o->frames = c->frames;
			o->frames_max = c->frames_max;
		}
		o->payer = heir;
	}
	for (uint32_t i = 0; c->frames && i < pool_top; i++)
		if (pool_acct[i] == c->slot + 1)
			pool_acct[i] = heir ? (uint8_t)(heir->slot + 1) : 0;
	c->frames = 0;
}

/* PAGER_OPTION frames=N (1 <= N <= PAGER_POOL_FRAMES) for client c: its
 * bound. NULL, or why not. */
static const char *bound_option(struct pager_client *c, const char *v)
{
	word_t n = 0;

	if (!c)
		return "no such client";
	for (; *v >= '0' && *v <= '9' && n <= PAGER_POOL_FRAMES; v++)
		n = n * 10 + (word_t)(*v - '0');
	if (*v || !n || n > PAGER_POOL_FRAMES)
		return "want frames=N, 1 <= N <= 32768";
	c->payer->frames_max = (uint32_t)n;
	return NULL;
}

/* Is this PAGER_OPTION message frames=...? (The words are checked.) */
static bool bound_is_option(void)
{
	struct utcb *u = utcb();

	return tag_u(u->mr[0]) >= 3 && u->mr[2] >= 7 && !memcmp(&u->mr[3], "frames=", 7);
}

/* PAGER_OPTION frames=N from the root task: the bound of the client's
 * account, or a refusal with the reason in MR2.. */
static void bound_on_option(struct pager *p, word_t from)
{
	struct utcb *u = utcb();
	char opt[PAGER_OPTION_MAX + 1] = "";
	const char *why = "not from the root task";
	word_t len = u->mr[2];

	if (from == libmap_exit_to) {
		why = "too long";
		if (len <= PAGER_OPTION_MAX && tag_u(u->mr[0]) >= 2 + (len + 7) / 8) {
			memcpy(opt, &u->mr[3], len);
			why = bound_option(pager_client_find(p, u->mr[1]), opt + 7);
		}
	}
	if (why)
		pager_refuse(from == libmap_exit_to ? E_BAD_ARGUMENT : E_NO_PRIVILEGE, why);
	else
		msg_tag(SIGMA0_REPLY_OK, 0, 0);
}

void pager_refuse(word_t err, const char *why)
{
	struct utcb *u = utcb();
	size_t n = why ? MIN(strlen(why), (size_t)PAGER_REASON_MAX) : 0;

	if (n) {
		memset(&u->mr[2], 0, PAGER_REASON_MAX + 8);
		memcpy(&u->mr[2], why, n);
	}
	msg_tag(SIGMA0_REPLY_ERROR, 1 + (n ? (unsigned)(n + 8) / 8 : 0), 0);
	u->mr[1] = err;
}

/* ---- page tables ---- */

#define PAGE_BUCKETS 16384

struct page_ent {
	word_t va;               /* page address | client index in bits 0..11 */
	word_t frame;            /* pool address | rights in bits 0..2 */
	uint32_t next_bucket, next_client, prev_client;
};

static struct page_ent page_ent[PAGER_PAGES_MAX];  /* entry 0 unused */
static uint32_t page_bucket[PAGE_BUCKETS];
static uint32_t page_free_head, page_used;        /* free list; entries ever used */

static word_t page_key(struct pager_client *c, word_t va)
{
	return ALIGN_DOWN(va, 4096) | (word_t)(c - page_owner->client);
}

static uint32_t page_hash(word_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 50) % PAGE_BUCKETS;
}

static struct page_ent *page_find(struct pager_client *c, word_t va)
{
	word_t key = page_key(c, va);

	for (uint32_t e = page_bucket[page_hash(key)]; e; e = page_ent[e].next_bucket)
		if (page_ent[e].va == key)
			return &page_ent[e];
	return NULL;
}

bool pager_page_lookup(struct pager_client *c, word_t va, word_t *frame, unsigned *rights)
{
	struct page_ent *e = page_find(c, va);

	if (!e)
		return false;
	*frame = ALIGN_DOWN(e->frame, 4096);
	*rights = (unsigned)(e->frame & 0xf);
	return true;
}

static uint32_t page_new(void)
{
	uint32_t e = page_free_head;

	if (e) {
		page_free_head = page_ent[e].next_client;
		return e;
	}
	return page_used + 1 < PAGER_PAGES_MAX ? ++page_used : 0;
}

/* Enter (key, frame | rights) as a new entry of c's; false if the table is full. */
static inline __attribute__((always_inline)) bool page_link(struct pager_client *c, word_t key,
							    word_t frame_rights)
{
	uint32_t e = page_new(), b = page_hash(key);

	if (!e)
		return false;
	page_ent[e].va = key;
	page_ent[e].frame = frame_rights;
	page_ent[e].next_bucket = page_bucket[b];
	page_bucket[b] = e;
	page_ent[e].next_client = c->pages;
	page_ent[e].prev_client = 0;
	if (c->pages)
		page_ent[c->pages].prev_client = e;
	c->pages = e;
	c->npages++;
	return true;
}

bool pager_page_insert(struct pager *p, struct pager_client *c, word_t va, word_t frame,
		       unsigned rights)
{
	unsigned took = bound_take(c, frame);

	if (took && page_link(c, page_key(c, va), frame | rights))
		return true;
	if (took == 2)
		bound_untake(c, frame);
	p->refusal = PAGER_REFUSE_NO_MEMORY;
	return false;
}

/* One pass over from's list with the entry, the user count and the run
 * bookkeeping inline: fork copies every page of a process, and this loop
 * is its per-page cost in the pager. */
bool pager_page_share(struct pager_client *from, struct pager_client *to,
		      void (*now_shared)(word_t lo, word_t hi))
{
	word_t idx = (word_t)(to - page_owner->client), lo = 0, hi = 0;
	bool ok = true;

	to->payer = from->payer;                   /* one family, one account */
	for (uint32_t e = from->pages; e; e = page_ent[e].next_client) {
		word_t fr = page_ent[e].frame, f = ALIGN_DOWN(fr, 4096);

		if (fr & PAGER_PAGE_LENT)
			continue;
		if (!page_link(to, ALIGN_DOWN(page_ent[e].va, 4096) | idx, fr)) {
			ok = false;
			break;
		}
		if (++pool_users[frame_index(f)] != 2 || !(fr & FPAGE_W))
			continue;
		if (f == hi && lo < hi) {
			hi += 4096;                 /* the run grows up */
		} else if (f + 4096 == lo) {
			lo = f;                     /* or down */
		} else {
			if (lo < hi)
				now_shared(lo, hi);
			lo = f;
			hi = f + 4096;
		}
	}
	if (lo < hi)
		now_shared(lo, hi);
	return ok;
}

void pager_page_update(struct pager_client *c, word_t va, word_t frame, unsigned rights)
{
	struct page_ent *e = page_find(c, va);

	if (!e)
		return;
	if (ALIGN_DOWN(e->frame, 4096) != frame) {
		bound_entry_gone(c, ALIGN_DOWN(e->frame, 4096));
		bound_charge(c, frame);
	}
	e->frame = frame | rights;
}

void pager_page_each(struct pager *p, struct pager_client *c,
		     void (*fn)(struct pager *, struct pager_client *, word_t, word_t, unsigned))
{
	for (uint32_t e = c->pages; e; e = page_ent[e].next_client)
		fn(p, c, ALIGN_DOWN(page_ent[e].va, 4096), ALIGN_DOWN(page_ent[e].frame, 4096),
		   (unsigned)(page_ent[e].frame & 0xf));
}

/* Unlink entry e from its hash bucket. */
static void page_unhash(uint32_t e)
{
	uint32_t *pp = &page_bucket[page_hash(page_ent[e].va)];

	while (*pp != e)
		pp = &page_ent[*pp].next_bucket;
	*pp = page_ent[e].next_bucket;
}

/* Remove c's entry for va (a frame it was lent); false if none. */
static bool page_remove(struct pager_client *c, word_t va)
{
	struct page_ent *pe = page_find(c, va);
	uint32_t e;

	if (!pe)
		return false;
	e = (uint32_t)(pe - page_ent);
	page_unhash(e);
	if (pe->prev_client)
		page_ent[pe->prev_client].next_client = pe->next_client;
	else
		c->pages = pe->next_client;
	if (pe->next_client)
		page_ent[pe->next_client].prev_client = pe->prev_client;
	bound_entry_gone(c, ALIGN_DOWN(pe->frame, 4096));
	pe->next_client = page_free_head;
	page_free_head = e;
	c->npages--;
	return true;
}

bool pager_page_remove(struct pager_client *c, word_t va)
{
	struct page_ent *pe = page_find(c, va);

	if (!pe || (pe->frame & PAGER_PAGE_LENT))
		return false;
	return page_remove(c, va);
}

bool pager_page_take(struct pager_client *c, word_t va, word_t *frame, unsigned *status)
{
	unsigned rights;

	if (!pager_page_lookup(c, va, frame, &rights) || (rights & PAGER_PAGE_LENT))
		return false;
	page_remove(c, va);
	*status = pager_revoke_status(*frame, FPAGE_RWX);
	return true;
}

/* Drop all of c's pages, putting each frame once. */
static void page_drop_all(struct pager_client *c)
{
	uint32_t e = c->pages, next;

	for (; e; e = next) {
		next = page_ent[e].next_client;
		page_unhash(e);
		bound_entry_gone(c, ALIGN_DOWN(page_ent[e].frame, 4096));
		pager_frame_put(ALIGN_DOWN(page_ent[e].frame, 4096));
		page_ent[e].next_client = page_free_head;
		page_free_head = e;
	}
	c->pages = c->npages = 0;
}

/* ---- clients ---- */

struct pager_client *pager_client_find(struct pager *p, word_t tid)
{
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++)
		if (p->client[i].tid == tid && tid != TID_NIL)
			return &p->client[i];
	return NULL;
}

struct pager_client *pager_client_add(struct pager *p, word_t tid, word_t parent)
{
	struct pager_client *c = NULL;

	for (unsigned i = 0; i < PAGER_CLIENTS_MAX && !c; i++)
		if (p->client[i].tid == TID_NIL)
			c = &p->client[i];
	if (!c || pager_client_find(p, tid))
		return NULL;
	memset(c, 0, sizeof(*c));
	c->tid = tid;
	c->parent = parent;
	c->slot = (uint8_t)(c - p->client);
	c->payer = c;
	c->frames_max = p->client_frames;
	return c;
}

void pager_client_remove(struct pager *p, struct pager_client *c)
{
	if (p->ops && p->ops->client_exit)
		p->ops->client_exit(p, c);
	page_drop_all(c);
	bound_client_gone(p, c);
	c->tid = TID_NIL;
}

bool pager_client_region(struct pager_client *c, word_t va, unsigned *rights)
{
	for (unsigned i = 0; i < c->nregions; i++)
		if (va - c->region[i].va < c->region[i].size) {
			*rights = c->region[i].rights;
			return true;
		}
	return false;
}

/* ---- faults ---- */

word_t pager_fault_default(struct pager *p, struct pager_client *c, word_t addr,
			   unsigned access, unsigned *rights)
{
	word_t va = ALIGN_DOWN(addr, 4096), frame;

	(void)access;
	if (pager_page_lookup(c, va, &frame, rights))
		return frame;
	if (!pager_client_region(c, va, rights))
		return 0;
	if (!(frame = pager_frame_alloc(p, true))) {
		p->refusal = PAGER_REFUSE_NO_MEMORY;
		return 0;
	}
	if (!pager_page_insert(p, c, va, frame, *rights)) {
		pager_frame_put(frame);
		p->refusal = PAGER_REFUSE_NO_MEMORY;
		return 0;
	}
	return frame;
}

/* A page fault from client c (NULL: not a client): map the frame, or
 * refuse (the kernel then hands the fault to the client's exception
 * handler). */
static bool pager_on_fault(struct pager *p, word_t from, struct pager_client *c)
{
	struct utcb *u = utcb();
	word_t addr = u->mr[PF_MSG_ADDR], ip = u->mr[PF_MSG_IP], frame = 0;
	unsigned access = (unsigned)tag_label(u->mr[0]) & FPAGE_RWX, rights = 0, n;

	p->refusal = 0;
	if (c)
		frame = p->ops && p->ops->fault ? p->ops->fault(p, c, addr, access, &rights)
						: pager_fault_default(p, c, addr, access, &rights);
	if (p->trace)
		printf("[%s] fault from %lx at %lx ip %lx %c%c%c -> %s\n", p->name, from, addr, ip,
		       access & FPAGE_R ? 'r' : '-', access & FPAGE_W ? 'w' : '-',
		       access & FPAGE_X ? 'x' : '-', frame ? "mapped" : "refused");
	if (!frame || (rights & access) != access) {
		if (!p->refusal)
			printf("[%s] %lx: fault at %lx (ip %lx) outside its memory: refused\n",
			       p->name, from, addr, ip);
		msg_tag(p->refusal ? p->refusal : 1, 0, 0);
		p->refusal = 0;
		return true;
	}
	p->faults++;
	msg_map_item(1, addr, fpage_make(frame, 12, rights), false);
	n = access == FPAGE_R && p->ops && p->ops->around
		    ? p->ops->around(p, c, ALIGN_DOWN(addr, 4096), access)
		    : 0;
	msg_tag(0, 0, 2 + 2 * n);
	return true;
}

/* ---- the root task's protocol ---- */

/* Label 0, or an error in MR1 under sigma0's error label: memsrv_call
 * (a client's ANY and FREE) looks for that one; the root task takes any
 * label but 0 as an error. */
static void pager_reply(word_t err)
{
	msg_tag(err ? SIGMA0_REPLY_ERROR : SIGMA0_REPLY_OK, err ? 1 : 0, 0);
	utcb()->mr[1] = err;
}

/* A frame for client c, not zeroed: the pager's own (frame_alloc) or the pool's. */
static word_t pager_frame_for(struct pager *p, struct pager_client *c)
{
	return p->ops && p->ops->frame_alloc ? p->ops->frame_alloc(p, c) : pager_frame_alloc(p, false);
}

/* The second step of PAGER_PAGE: ask the parent for the page and wait for
 * it alone, with the scratch window open for this one message. True if a
 * page arrived in the scratch slot. */
static bool pager_fetch_page(word_t parent)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(PAGER_PAGE_SEND, 0, 0);
	u->error = E_OK;
	msg_accept(fpage_make(PAGER_SCRATCH, 12, 0));
	err = ipc_call(parent);
	msg_accept(FPAGE_NIL);
	return !err && tag_label(u->mr[0]) == PAGER_PAGE && tag_t(u->mr[0]) == 2 &&
	       u->error != E_IPC_NOT_MAPPED;
}

/* PAGER_PAGE: fetch the page into the scratch slot and copy it. */
static word_t pager_on_page(struct pager *p, struct pager_client *c, word_t from)
{
	struct utcb *u = utcb();
	word_t va = u->mr[2], frame;
	unsigned rights = (unsigned)u->mr[3] & FPAGE_RWX;
	bool arrived;

	if (tag_t(u->mr[0]) != 0)
		return E_BAD_ARGUMENT;
	if (!(frame = pager_frame_for(p, c)))
		return E_NO_MEMORY;
	arrived = pager_fetch_page(from);
	if (arrived)
		memcpy((void *)frame, (void *)PAGER_SCRATCH, 4096);
	u->mr[0] = fpage_make(PAGER_SCRATCH, 12, FPAGE_RWX);
	sys_unmap(UNMAP_FLUSH);
	if (!arrived || !pager_page_insert(p, c, va, frame, rights)) {
		pager_frame_put(frame);
		return arrived ? E_NO_MEMORY : E_BAD_ARGUMENT;
	}
	return E_OK;
}

static word_t pager_on_region(struct pager_client *c)
{
	struct utcb *u = utcb();
	struct pager_region *r;

	if (c->nregions == PAGER_REGIONS_MAX)
		return E_NO_MEMORY;
	r = &c->region[c->nregions++];
	r->va = u->mr[2];
	r->size = u->mr[3];
	r->rights = (unsigned)u->mr[4] & FPAGE_RWX;
	return E_OK;
}

/* PAGER_CLIENT: register, and let the pager set up what it keeps. */
static word_t pager_on_client(struct pager *p, word_t tid, word_t parent)
{
	struct pager_client *c = pager_client_add(p, tid, parent);
	word_t err;

	if (!c)
		return E_EXISTS;
	if (p->ops && p->ops->client_new && (err = p->ops->client_new(p, c))) {
		c->tid = TID_NIL;
		return err;
	}
	return E_OK;
}

/* Requests from the parent (init) about clients. */
static word_t pager_on_setup(struct pager *p, word_t from, word_t label)
{
	struct utcb *u = utcb();
	struct pager_client *c = pager_client_find(p, u->mr[1]);

	if (from != libmap_exit_to)
		return E_NO_PRIVILEGE;
	if (label == PAGER_CLIENT)
		return pager_on_client(p, u->mr[1], u->mr[2]);
	if (!c)
		return E_BAD_THREAD;
	if (label == PAGER_PAGE)
		return pager_on_page(p, c, from);
	if (label == PAGER_REGION)
		return pager_on_region(c);
	pager_client_remove(p, c);
	return E_OK;
}

/* ---- memory for clients that are pagers themselves ---- */

/* Clear a frame to be lent if it may hold another client's page: one of
 * the pool a client used before, and every frame of the pager's own
 * (frame_alloc), whose past the pool does not know. */
static void pager_frame_clean(word_t frame)
{
	uint32_t i = frame_index(frame);

	if (pager_frame_in_pool(frame) && !(pool_dirty[i / 64] & (1ull << (i % 64))))
		return;
	memset((void *)frame, 0, 4096);
	if (pager_frame_in_pool(frame))
		pool_dirty[i / 64] &= ~(1ull << (i % 64));
}

static void pager_on_any(struct pager *p, struct pager_client *c)
{
	struct utcb *u = utcb();
	unsigned rights = (unsigned)u->mr[2] & FPAGE_RWX;
	word_t frame;

	if (u->mr[1] != 12 || !rights) {
		pager_reply(E_BAD_ARGUMENT);
		return;
	}
	if (!(frame = pager_frame_for(p, c)) ||
	    !pager_page_insert(p, c, frame, frame, rights | PAGER_PAGE_LENT)) {
		if (frame)
			pager_frame_put(frame);
		pager_reply(E_NO_MEMORY);
		return;
	}
	pager_frame_clean(frame);
	if (p->trace)
		printf("[%s] frame %lx lent to %lx\n", p->name, frame, c->tid);
	msg_tag(0, 0, 2);
	msg_map_item(1, frame, fpage_make(frame, 12, rights), false);
}

static void pager_on_free(struct pager_client *c)
{
	word_t frame = fpage_base(utcb()->mr[1]), f;
	unsigned rights;

	if (!pager_page_lookup(c, frame, &f, &rights) || !(rights & PAGER_PAGE_LENT) ||
	    f != frame) {
		pager_reply(E_NO_PRIVILEGE);
		return;
	}
	page_remove(c, frame);
	pager_frame_put(frame);
	pager_reply(E_OK);
}

/* ---- a client gives memory back ---- */

/* PAGER_RELEASE: the pager's release hook frees what it keeps outside
 * the table (or refuses), then c's pages in [va, va + size) go: every
 * mapping of a frame that goes is revoked (sharers simply fault it in
 * again), and a frame with no user left returns to the pool (and below,
 * past the few the pool keeps). The range becomes fresh zero-fill memory
 * again. */
static word_t pager_on_release(struct pager *p, struct pager_client *c, word_t va, word_t size)
{
	uint32_t e = c->pages, next;
	word_t err;

	if (size & 4095 || va & 4095 || va + size < va)
		return E_BAD_ARGUMENT;
	if (p->ops && p->ops->release && (err = p->ops->release(p, c, va, size)))
		return err;
	for (; e; e = next) {
		word_t page = ALIGN_DOWN(page_ent[e].va, 4096), frame;

		next = page_ent[e].next_client;
		if (page - va >= size || (page_ent[e].frame & PAGER_PAGE_LENT))
			continue;
		frame = ALIGN_DOWN(page_ent[e].frame, 4096);
		page_remove(c, page);
		pager_revoke(frame, FPAGE_RWX);
		pager_frame_put(frame);
	}
	return E_OK;
}

/* ---- the loop ---- */

/* The untyped words a request needs (docs/abi.md §16). A shorter message
 * is refused: its missing words would be stale ones of an earlier message
 * (a PAGER_RELEASE without its range released what an earlier request
 * named). */
static unsigned pager_words_needed(word_t label)
{
	if ((label & ~(word_t)FPAGE_RWX) == LABEL_PAGEFAULT)
		return PF_MSG_LENGTH;
	switch (label) {
	case PAGER_REGION: return 4;
	case PAGER_PAGE: return 3;
	case PAGER_CLIENT: case PAGER_RELEASE: case SIGMA0_LABEL_ANY: case PROC_FORK: return 2;
	case PAGER_CLIENT_EXIT: case SIGMA0_LABEL_FREE: case PROC_WAIT: case LABEL_EXIT: return 1;
	default: return 0;
	}
}

/* Handle one message; true to reply with the message registers. */
static bool pager_dispatch(struct pager *p, word_t from, bool *shutdown)
{
	word_t label = tag_label(utcb()->mr[0]);
	struct pager_client *c = pager_client_find(p, from);
	bool root_only = label >= PAGER_CLIENT && label <= PAGER_CLIENT_EXIT;

	if (root_only && from != libmap_exit_to) {   /* who asks, before what */
		pager_reply(E_NO_PRIVILEGE);
		return true;
	}
	if (tag_u(utcb()->mr[0]) < pager_words_needed(label)) {
		pager_reply(E_BAD_ARGUMENT);
		return true;
	}
	if ((label & ~(word_t)FPAGE_RWX) == LABEL_PAGEFAULT) {
		if (tag_from_kernel(utcb()->mr[0]))
			return pager_on_fault(p, from, c);
		pager_reply(E_BAD_ARGUMENT);           /* a thread's forgery, not a fault */
		return true;
	}
	if (root_only) {
		pager_reply(pager_on_setup(p, from, label));
	} else if (label == PAGER_RELEASE && c) {
		pager_reply(pager_on_release(p, c, utcb()->mr[1], utcb()->mr[2]));
	} else if (label == PAGER_SHUTDOWN && from == libmap_exit_to) {
		*shutdown = true;
		pager_reply(E_OK);
	} else if ((label == SIGMA0_LABEL_ANY || label == SIGMA0_LABEL_FREE) && c) {
		if (label == SIGMA0_LABEL_ANY)
			pager_on_any(p, c);
		else
			pager_on_free(c);
	} else if (label == PAGER_OPTION && bound_is_option()) {
		bound_on_option(p, from);
	} else if (p->ops && p->ops->request) {
		return p->ops->request(p, from, label);
	} else {
		pager_reply(E_BAD_ARGUMENT);
	}
	return true;
}

void pager_init(struct pager *p, const char *name, const struct pager_ops *ops)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->ops = ops;
	p->below = utcb()->pager == libmap_exit_to ? libmap_kip->sigma0_id : utcb()->pager;
	pool_below = p->below;
	pool_block_wait = 0;
	pool_block_backoff = 1;
	page_owner = p;
	p->client_frames = PAGER_CLIENT_FRAMES;
	memset(pool_acct, 0, sizeof(pool_acct));
}

static void pager_shutdown(struct pager *p)
{
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++)
		if (p->client[i].tid != TID_NIL)
			pager_client_remove(p, &p->client[i]);
	pager_release_all(p);
}

int pager_run(struct pager *p)
{
	word_t from = TID_NIL, reply_to = TID_NIL, err;
	bool shutdown = false;

	msg_accept(FPAGE_NIL);                 /* no map from anyone (pager_fetch_page) */
	for (;;) {
		err = ipc_reply_wait(reply_to, &from);
		reply_to = TID_NIL;
		if (err)
			continue;
		if (pager_dispatch(p, from, &shutdown))
			reply_to = from;
		if (shutdown) {
			ipc_send(reply_to, TIMEOUT_ZERO);
			pager_shutdown(p);
			return 0;
		}
	}
}

/* ---- the bounds' checker ---- */

/* The checker: each account's count is the pool frames charged to it
 * plus the entries of its family for frames outside the pool; a charged
 * pool frame has a user; every client pays to a live account. */
bool pager_bound_check(struct pager *p)
{
	uint32_t count[PAGER_CLIENTS_MAX] = { 0 };

	for (uint32_t i = 0; i < pool_top; i++) {
		if (!pool_acct[i])
			continue;
		if (!pool_users[i] || p->client[pool_acct[i] - 1].tid == TID_NIL)
			return false;
		count[pool_acct[i] - 1]++;
	}
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++) {
		struct pager_client *c = &p->client[i];
		if (c->tid == TID_NIL)
			continue;
		if (c->payer < p->client || c->payer >= p->client + PAGER_CLIENTS_MAX ||
		    c->payer->tid == TID_NIL || c->slot != i)
			return false;
		for (uint32_t e = c->pages; e; e = page_ent[e].next_client)
			count[c->payer->slot] += !pager_frame_in_pool(
				ALIGN_DOWN(page_ent[e].frame, 4096));
	}
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++)
		if (p->client[i].tid != TID_NIL ? count[i] != p->client[i].frames : count[i])
			return false;
	return true;
}
