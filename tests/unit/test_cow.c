/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for copy-on-write sharing: the real pager framework
 * (libmap/pager.c) and the cow pager's sharing logic (pagers/cow_core.c),
 * built for the host.
 *
 * The test plays everyone around the pager. The pager below is
 * memsrv_alloc/memsrv_free: frames are slots of one buffer the test owns
 * (host_pool_base), handed out full of junk. The kernel is syscall_ipc,
 * which feeds the pager's own loop (pager_run) one message at a time and
 * records its reply, and sys_unmap, which logs every fpage the pager
 * revokes and applies it to a simulated MMU: for each client, the frame
 * and rights mapped at each page of a small window. Clients read and write
 * frames through that MMU and fault into the pager when their mapping
 * lacks the access, so a frame left writable while shared shows up as one
 * client seeing another's write.
 *
 * check_all runs after every step: a frame's user count is the number of
 * page-table entries naming it, the frames in use are exactly those, every
 * mapping names the frame its client's table names, and a mapping is
 * writable only on a frame with one user. Every test ends by removing its
 * clients, after which no frame may be in use. The random test runs a few
 * thousand fork/read/write/exit steps against a model of what each client
 * must read. Each test is its own TCase: CK_RUN_CASE=name runs one alone.
 */
#include <check.h>
#include "unit.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <pager.h>
#include <sigma0.h>
#include <cow_core.h>

#define PAGE ((word_t)4096)
#define VA_BASE ((word_t)0x10000000)
#define VA(page) (VA_BASE + (word_t)(page) * PAGE)
#define NPAGES 256                      /* the simulated window of every client */
#define RW_PAGES 192                    /* pages 0..191: read-write; the rest read-only */
#define RO(i) (RW_PAGES + (i))
#define VA_FAR ((word_t)0x40000000)     /* pages put in tables directly, never touched */
#define BELOW tid_make(40, 1)
#define ROOT tid_make(41, 1)
#define JUNK 0xa5
#define R FPAGE_R
#define W FPAGE_W
#define RW FPAGE_RW
#define RWX FPAGE_RWX

/* Assertions for the hot paths (ck_assert records its place on every call). */
#define must(c) do { if (!(c)) ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c); } while (0)
#define must_eq(a, b) must((a) == (b))

/* What libmap's runtime would define. */
struct utcb *host_utcb;
word_t host_pool_base;
struct kip *libmap_kip;
word_t libmap_myself, libmap_exit_to;

static struct utcb the_utcb;
static struct pager pg;
static const struct pager_ops cow_test_ops = { .fault = cow_fault, .around = cow_around };

/* The pager's console: kept, not shown. */
static struct {
	unsigned lines;
	char last[256];
} console;

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(console.last, sizeof(console.last), fmt, ap);
	va_end(ap);
	console.lines++;
	return n;
}

/* Did the pager's last line say `word`? */
static bool said(const char *word)
{
	for (const char *s = console.last; *s; s++)
		if (!strncmp(s, word, strlen(word)))
			return true;
	return false;
}

/* ---- The pager below: frames are slots of the test's buffer. ---- */

static struct {
	unsigned taken;                      /* slots below this were ever handed out */
	unsigned held;                       /* frames handed out and not freed */
	unsigned limit;                      /* refuse more than this held */
	unsigned freed;
	unsigned calls;                      /* requests, refused ones too */
	unsigned blocks;                     /* blocks handed out */
	bool batches;                        /* hands out PAGER_POOL_BATCH frames at once */
	bool is_held[PAGER_POOL_FRAMES];
} below;

static word_t slot_frame(unsigned i)
{
	return host_pool_base + i * PAGE;
}

static unsigned frame_slot(word_t frame)
{
	must(frame >= host_pool_base && IS_ALIGNED(frame, PAGE));
	must((frame - host_pool_base) / PAGE < below.taken);
	return (unsigned)((frame - host_pool_base) / PAGE);
}

static word_t below_handle(unsigned i)
{
	return 0x80000000 + i * PAGE;
}

word_t memsrv_alloc(word_t server, unsigned log2, unsigned rights, word_t window, word_t *handle)
{
	unsigned n = 1u << (log2 - 12), i;

	must(server == BELOW && (log2 == 12 || log2 == PAGER_POOL_BATCH_LOG2) && rights == RWX);
	must(fpage_log2(window) == log2 && fpage_base(window) >= host_pool_base);
	i = (unsigned)((fpage_base(window) - host_pool_base) / PAGE);
	must(i + n <= PAGER_POOL_FRAMES);
	for (unsigned k = 0; k < n; k++)
		must(!below.is_held[i + k]);      /* the pool asks into empty slots only */
	below.calls++;
	if (n > 1 && !below.batches)
		return E_BAD_ARGUMENT;           /* a pager below: one frame at a time */
	if (below.limit < below.held + n)
		return E_NO_MEMORY;
	memset((void *)slot_frame(i), JUNK, n * PAGE);
	for (unsigned k = 0; k < n; k++)
		below.is_held[i + k] = true;
	*handle = below_handle(i);
	below.held += n;
	below.blocks += n > 1;
	if (below.taken < i + n)
		below.taken = i + n;
	return E_OK;
}

word_t memsrv_free(word_t server, word_t handle, unsigned log2)
{
	word_t i = (handle - below_handle(0)) / PAGE;

	must(server == BELOW && log2 == 12 && handle == below_handle((unsigned)i));
	must(i < below.taken && below.is_held[i]);
	below.is_held[i] = false;
	below.freed++;
	if (!--below.held)                       /* all back: start again */
		below.taken = below.freed = 0;
	return E_OK;
}

/* ---- The kernel: a simulated MMU, unmap, and IPC into pager_run. ---- */

static struct space {
	word_t frame[NPAGES];                /* 0: nothing mapped */
	uint8_t rights[NPAGES];
} mmu[PAGER_CLIENTS_MAX];

static unsigned slot_of(struct pager_client *c)
{
	return (unsigned)(c - pg.client);
}

/* Map (or upgrade) as the kernel does: a new frame replaces the old one. */
static void mmu_map(struct pager_client *c, unsigned page, word_t frame, unsigned rights)
{
	struct space *s = &mmu[slot_of(c)];

	if (s->frame[page] != frame)
		s->rights[page] = 0;
	s->frame[page] = frame;
	s->rights[page] |= (uint8_t)rights;
}

/* Revoke rights from every mapping derived from the pager's frame. */
static void mmu_revoke(word_t frame, unsigned rights)
{
	for (unsigned s = 0; s < PAGER_CLIENTS_MAX; s++) {
		if (pg.client[s].tid == TID_NIL)
			continue;
		for (unsigned i = 0; i < NPAGES; i++)
			if (mmu[s].frame[i] == frame) {
				mmu[s].rights[i] &= (uint8_t)~rights;
				if (!mmu[s].rights[i])
					mmu[s].frame[i] = 0;
			}
	}
}

#define UNMAP_LOG 4096
static struct {
	word_t fpage[UNMAP_LOG];             /* every frame revoked, as a 4 KiB fpage, in order */
	unsigned n;
	unsigned calls;
	unsigned call_size[UNMAP_LOG];
} unmaps;

word_t sys_unmap(word_t control)
{
	unsigned n = (unsigned)(control & UNMAP_COUNT_MASK) + 1;

	must(!(control & ~(word_t)UNMAP_COUNT_MASK));     /* never UNMAP_FLUSH */
	for (unsigned i = 0; i < n; i++) {
		word_t fp = host_utcb->mr[i];
		for (word_t f = fpage_base(fp); f < fpage_base(fp) + fpage_size(fp); f += PAGE) {
			frame_slot(f);                  /* every frame of it is the pager's */
			must(unmaps.n < UNMAP_LOG);
			unmaps.fpage[unmaps.n++] = fpage_make(f, 12, fpage_rights(fp));
			mmu_revoke(f, fpage_rights(fp));
		}
	}
	unmaps.call_size[unmaps.calls++] = n;
	return E_OK;
}

static void unmaps_reset(void)
{
	unmaps.n = unmaps.calls = 0;
}

/* How often `frame` was revoked with exactly `rights` since the reset. */
static unsigned revoked(word_t frame, unsigned rights)
{
	unsigned n = 0;

	for (unsigned i = 0; i < unmaps.n; i++)
		n += unmaps.fpage[i] == fpage_make(frame, 12, rights);
	return n;
}

/* One message for the pager, and its one reply. */
static struct {
	bool pending;
	word_t from, mr[3];
	unsigned replies;
	word_t reply_to, reply[3];
	bool returned;                       /* pager_run returned (shutdown) */
} ipc_state;
static jmp_buf ipc_done;

word_t syscall_ipc(word_t to, word_t from, word_t tmo, word_t *sender)
{
	(void)tmo;
	if (to != TID_NIL) {
		ipc_state.replies++;
		ipc_state.reply_to = to;
		memcpy(ipc_state.reply, host_utcb->mr, sizeof(ipc_state.reply));
	}
	if (from == TID_NIL)
		return E_OK;
	if (!ipc_state.pending)
		longjmp(ipc_done, 1);        /* out of pager_run: the test goes on */
	ipc_state.pending = false;
	memcpy(host_utcb->mr, ipc_state.mr, sizeof(ipc_state.mr));
	*sender = ipc_state.from;
	return E_OK;
}

/* Send the pager one message from `from`; return its reply (MR0..MR2). */
static const word_t *call(word_t from, word_t mr0, word_t mr1, word_t mr2)
{
	ipc_state.pending = true;
	ipc_state.from = from;
	ipc_state.mr[0] = mr0, ipc_state.mr[1] = mr1, ipc_state.mr[2] = mr2;
	ipc_state.replies = 0;
	if (!setjmp(ipc_done)) {
		pager_run(&pg);
		ipc_state.returned = true;
	}
	must(!ipc_state.pending && ipc_state.replies == 1 && ipc_state.reply_to == from);
	return ipc_state.reply;
}

/* ---- Clients ---- */

static unsigned tid_next = 1000;
static unsigned last_rights;            /* of the last mapping a fault produced */
static unsigned last_around;            /* pages the last fault's reply mapped around it */

static struct pager_client *spawn(void)
{
	struct pager_client *c = pager_client_add(&pg, tid_make(tid_next++, 1), ROOT);

	must(c);
	c->region[0] = (struct pager_region){ VA(0), RW_PAGES * PAGE, RW };
	c->region[1] = (struct pager_region){ VA(RW_PAGES), (NPAGES - RW_PAGES) * PAGE, R };
	c->nregions = 2;
	return c;
}

static struct pager_client *fork_of(struct pager_client *parent)
{
	struct pager_client *c = cow_fork_client(&pg, parent, tid_make(tid_next++, 1));

	must(c);
	for (unsigned i = 0; i < NPAGES; i++)
		must(!mmu[slot_of(c)].frame[i]);
	return c;
}

/* The client is gone: its space with it, then the pager forgets it. */
static void leave(struct pager_client *c)
{
	pager_client_remove(&pg, c);
	memset(&mmu[slot_of(c)], 0, sizeof(mmu[0]));
}

/* The frame c's table names at page (0: none), and its rights. */
static word_t table(struct pager_client *c, unsigned page, unsigned *rights)
{
	word_t frame;
	unsigned r;

	if (!pager_page_lookup(c, VA(page), &frame, &r))
		return 0;
	if (rights)
		*rights = r;
	return frame;
}

/* c accesses page: through its mapping, or by a fault the pager answers.
 * The frame, or 0 if the pager refused. */
static word_t touch(struct pager_client *c, unsigned page, unsigned access)
{
	struct space *s = &mmu[slot_of(c)];
	const word_t *r;

	if (s->frame[page] && (s->rights[page] & access) == access)
		return s->frame[page];
	r = call(c->tid, tag_make(LABEL_PAGEFAULT | access, 2, 0) | TAG_K_FLAG, VA(page) + 0x128,
		 0x401000);                   /* the kernel's: K set (msg.h) */
	if (tag_label(r[0]))
		return 0;
	must(tag_u(r[0]) == 0 && tag_t(r[0]) >= 2 && !(tag_t(r[0]) & 1));
	must(tag_t(r[0]) <= 2 * PAGER_AROUND_PAGES);
	must((r[1] & ITEM_TYPE_MASK) == ITEM_MAP && item_hotspot(r[1]) == VA(page));
	must(fpage_log2(r[2]) == 12 && (fpage_rights(r[2]) & access) == access);
	last_rights = fpage_rights(r[2]);
	last_around = tag_t(r[0]) / 2 - 1;
	for (unsigned i = 3; i < 1 + tag_t(r[0]); i += 2) {     /* fault-around */
		word_t hot = item_hotspot(host_utcb->mr[i]), fp = host_utcb->mr[i + 1];
		must((host_utcb->mr[i] & ITEM_TYPE_MASK) == ITEM_MAP && fpage_log2(fp) == 12);
		must(hot != VA(page) && ALIGN_DOWN(hot, PAGER_AROUND_PAGES * PAGE) ==
						ALIGN_DOWN(VA(page), PAGER_AROUND_PAGES * PAGE));
		mmu_map(c, (unsigned)((hot - VA_BASE) / PAGE), fpage_base(fp), fpage_rights(fp));
	}
	mmu_map(c, page, fpage_base(r[2]), last_rights);
	return fpage_base(r[2]);
}

#define HALF (PAGE / 16)                 /* words in half a page */

/* Read half h of a page (0: the first): every word of it holds one value. */
static word_t rd_half(struct pager_client *c, unsigned page, unsigned h)
{
	const word_t *w = (const word_t *)touch(c, page, R);

	must(w);
	w += h * HALF;
	for (unsigned i = 1; i < HALF; i++)
		must(w[i] == w[0]);
	return w[0];
}

/* Write v to every word of half h of a page; false if the pager refused. */
static bool wr_half(struct pager_client *c, unsigned page, unsigned h, word_t v)
{
	word_t *w = (word_t *)touch(c, page, W);

	if (!w)
		return false;
	for (unsigned i = 0; i < HALF; i++)
		w[h * HALF + i] = v;
	return true;
}

/* A whole page holding one value. */
static word_t rd(struct pager_client *c, unsigned page)
{
	word_t v = rd_half(c, page, 0);

	must_eq(rd_half(c, page, 1), v);
	return v;
}

static bool wr(struct pager_client *c, unsigned page, word_t v)
{
	return wr_half(c, page, 0, v) && wr_half(c, page, 1, v);
}

static unsigned users(word_t frame)
{
	return pager_frame_users(frame);
}

/* ---- The checker ---- */

static uint32_t refs[PAGER_POOL_FRAMES];   /* table entries naming each frame */
static unsigned walked;

static void count_page(struct pager *p, struct pager_client *c, word_t va, word_t frame,
		       unsigned rights)
{
	(void)p, (void)c, (void)va;
	must(!(rights & ~(RWX | PAGER_PAGE_LENT)));
	refs[frame_slot(frame)]++;
	walked++;
}

static void check_mappings(struct pager_client *c)
{
	const struct space *s = &mmu[slot_of(c)];
	unsigned r;

	for (unsigned i = 0; i < NPAGES; i++) {
		if (!s->frame[i])
			continue;
		must_eq(table(c, i, &r), s->frame[i]);
		must(!(s->rights[i] & ~r));                 /* no more than its table grants */
		must(!(s->rights[i] & W) || users(s->frame[i]) == 1);
	}
}

static void check_all(void)
{
	unsigned in_use = 0;

	memset(refs, 0, below.taken * sizeof(refs[0]));
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++) {
		struct pager_client *c = &pg.client[i];
		if (c->tid == TID_NIL) {
			for (unsigned k = 0; k < NPAGES; k++)
				must(!mmu[i].frame[k]);
			continue;
		}
		walked = 0;
		pager_page_each(&pg, c, count_page);
		must_eq(walked, c->npages);
		check_mappings(c);
	}
	for (unsigned k = 0; k < below.taken; k++) {
		must_eq(users(slot_frame(k)), refs[k]);
		in_use += refs[k] != 0;
	}
	must_eq(pager_frames_in_use(), in_use);
	must(pager_bound_check(&pg));
}

static void setup(void)
{
	if (!host_pool_base) {
		void *m = mmap(NULL, PAGER_POOL_FRAMES * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ck_assert(m != MAP_FAILED);
		host_pool_base = (word_t)m;
	}
	host_utcb = &the_utcb;
	the_utcb.pager = BELOW;
	libmap_exit_to = ROOT;
	libmap_myself = tid_make(39, 1);
	pager_init(&pg, "cow-test", &cow_test_ops);
	ck_assert_uint_eq(pg.below, BELOW);
	below.limit = PAGER_POOL_FRAMES;
	below.batches = false;
	below.calls = below.blocks = 0;
	memset(mmu, 0, sizeof(mmu));
	memset(&ipc_state, 0, sizeof(ipc_state));
	unmaps_reset();
	cow_breaks = 0;
	check_all();
	ck_assert_uint_eq(pager_frames_in_use(), 0);
}

/* Every client leaves; then no frame is in use and none is mapped. */
static void finish(void)
{
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++)
		if (pg.client[i].tid != TID_NIL) {
			leave(&pg.client[i]);
			check_all();
		}
	ck_assert_uint_eq(pager_frames_in_use(), 0);
}

/* ---- Fork ---- */

/* Each page is shared; each writable frame write-protected once, read-only
 * frames not at all; nothing is copied. */
START_TEST(fork_shares_every_page)
{
	struct pager_client *p = spawn(), *c;
	word_t frame[6];
	unsigned r, taken;

	for (unsigned i = 0; i < 4; i++)
		ck_assert(wr(p, i, 0x100 + i));
	ck_assert_uint_eq(rd(p, RO(0)), 0);
	ck_assert_uint_eq(rd(p, RO(1)), 0);
	for (unsigned i = 0; i < 6; i++)
		frame[i] = table(p, i < 4 ? i : RO(i - 4), NULL);
	taken = below.taken;
	unmaps_reset();
	c = fork_of(p);
	check_all();
	ck_assert_uint_eq(pager_frames_in_use(), 6);
	ck_assert_uint_eq(below.taken, taken);
	ck_assert_uint_eq(c->npages, 6);
	ck_assert_uint_eq(unmaps.calls, 1);
	ck_assert_uint_eq(unmaps.n, 4);
	for (unsigned i = 0; i < 6; i++) {
		unsigned page = i < 4 ? i : RO(i - 4);
		ck_assert_uint_eq(users(frame[i]), 2);
		ck_assert_uint_eq(table(c, page, &r), frame[i]);
		ck_assert_uint_eq(r, i < 4 ? RW : R);
		ck_assert_uint_eq(revoked(frame[i], W), i < 4 ? 1 : 0);
		ck_assert_uint_eq(mmu[slot_of(p)].rights[page], R);   /* the parent kept R */
	}
	ck_assert_uint_eq(cow_breaks, 0);
	finish();
}
END_TEST

/* Write-protection goes out in unmaps of at most 64 fpages: frames that
 * are not adjacent (two clients faulted in turn) take one fpage each. */
START_TEST(write_protect_batches)
{
	struct pager_client *p = spawn(), *q = spawn();

	for (unsigned i = 0; i < 150; i++) {
		ck_assert(wr(p, i, i));
		ck_assert(wr(q, i, i));
	}
	unmaps_reset();
	fork_of(p);
	ck_assert_uint_eq(unmaps.calls, 3);
	ck_assert_uint_eq(unmaps.call_size[0], 64);
	ck_assert_uint_eq(unmaps.call_size[1], 64);
	ck_assert_uint_eq(unmaps.call_size[2], 22);
	ck_assert_uint_eq(unmaps.n, 150);
	for (unsigned i = 0; i < 150; i++) {
		ck_assert_uint_eq(revoked(table(p, i, NULL), W), 1);
		ck_assert_uint_eq(revoked(table(q, i, NULL), W), 0);
	}
	check_all();
	finish();
}
END_TEST

/* Adjacent frames go out as the fewest aligned fpages that cover them,
 * and only those frames lose W. */
START_TEST(write_protect_coalesces)
{
	struct pager_client *p = spawn(), *q = spawn();
	word_t lo = (word_t)-1, hi = 0;

	ck_assert(wr(q, 0, 1));                 /* a frame of q before p's run */
	for (unsigned i = 0; i < 150; i++)
		ck_assert(wr(p, i, i));
	ck_assert(wr(q, 1, 2));                 /* and one after it */
	for (unsigned i = 0; i < 150; i++) {
		lo = MIN(lo, table(p, i, NULL));
		hi = MAX(hi, table(p, i, NULL) + PAGE);
	}
	ck_assert_uint_eq(hi - lo, 150 * PAGE);   /* the pool handed them out in order */
	unmaps_reset();
	fork_of(p);
	ck_assert_uint_eq(unmaps.calls, 1);
	ck_assert_uint_le(unmaps.call_size[0], 16);   /* at most 2 per power of two */
	ck_assert_uint_eq(unmaps.n, 150);
	for (unsigned i = 0; i < 150; i++)
		ck_assert_uint_eq(revoked(table(p, i, NULL), W), 1);
	ck_assert_uint_eq(revoked(table(q, 0, NULL), W), 0);
	ck_assert_uint_eq(revoked(table(q, 1, NULL), W), 0);
	ck_assert_uint_eq(mmu[slot_of(q)].rights[0] & W, W);
	check_all();
	finish();
}
END_TEST

/* A frame already shared is read-only everywhere: a second fork, or a
 * grandchild's, revokes nothing. */
START_TEST(second_fork_revokes_nothing)
{
	struct pager_client *p = spawn(), *c;
	word_t f;

	ck_assert(wr(p, 0, 7));
	f = table(p, 0, NULL);
	c = fork_of(p);
	ck_assert_uint_eq(revoked(f, W), 1);
	unmaps_reset();
	fork_of(p);
	ck_assert_uint_eq(users(f), 3);
	fork_of(c);
	ck_assert_uint_eq(users(f), 4);
	ck_assert_uint_eq(unmaps.calls, 0);
	check_all();
	finish();
}
END_TEST

/* ---- Faults ---- */

/* A read of a shared frame maps it read-only, writable table or not. */
START_TEST(read_fault_maps_read_only)
{
	struct pager_client *p = spawn(), *c;
	word_t f;

	ck_assert(wr(p, 3, 0xabc));
	f = table(p, 3, NULL);
	c = fork_of(p);
	ck_assert_uint_eq(rd(c, 3), 0xabc);
	ck_assert_uint_eq(mmu[slot_of(c)].frame[3], f);
	ck_assert_uint_eq(last_rights, R);
	ck_assert_uint_eq(rd(p, 3), 0xabc);
	ck_assert_uint_eq(users(f), 2);
	ck_assert_uint_eq(pager_frames_in_use(), 1);
	ck_assert_uint_eq(cow_breaks, 0);
	check_all();
	finish();
}
END_TEST

/* A write to a shared frame copies it: the writer's table names the copy,
 * the other side keeps the original, which loses one user. */
START_TEST(write_fault_copies)
{
	struct pager_client *p = spawn(), *c;
	word_t f, copy;
	unsigned r;

	ck_assert(wr(p, 5, 0x55));
	f = table(p, 5, NULL);
	c = fork_of(p);
	ck_assert_uint_eq(rd(c, 5), 0x55);
	copy = touch(c, 5, W);
	ck_assert(copy && copy != f);
	ck_assert_uint_eq(last_rights, RW);
	ck_assert_int_eq(memcmp((void *)copy, (void *)f, PAGE), 0);
	ck_assert_uint_eq(table(c, 5, &r), copy);
	ck_assert_uint_eq(r, RW);
	ck_assert_uint_eq(table(p, 5, NULL), f);
	ck_assert_uint_eq(users(f), 1);
	ck_assert_uint_eq(users(copy), 1);
	ck_assert_uint_eq(pager_frames_in_use(), 2);
	ck_assert_uint_eq(cow_breaks, 1);
	check_all();
	ck_assert(wr(c, 5, 0x66));
	ck_assert_uint_eq(rd(p, 5), 0x55);
	ck_assert_uint_eq(rd(c, 5), 0x66);
	finish();
}
END_TEST

/* The last sharer to write gets its frame back writable: no copy. */
START_TEST(last_sharer_keeps_frame)
{
	struct pager_client *p = spawn(), *c;
	word_t f;
	unsigned taken;

	ck_assert(wr(p, 0, 1));
	f = table(p, 0, NULL);
	c = fork_of(p);
	ck_assert(wr(c, 0, 2));
	taken = below.taken;
	ck_assert(wr(p, 0, 3));
	ck_assert_uint_eq(table(p, 0, NULL), f);
	ck_assert_uint_eq(last_rights, RW);
	ck_assert_uint_eq(users(f), 1);
	ck_assert_uint_eq(below.taken, taken);
	ck_assert_uint_eq(pager_frames_in_use(), 2);
	ck_assert_uint_eq(cow_breaks, 1);
	ck_assert_uint_eq(rd(p, 0), 3);
	ck_assert_uint_eq(rd(c, 0), 2);
	check_all();
	finish();
}
END_TEST

/* Parent, child and grandchild share a frame; in every order of writes the
 * first two writers copy and the last keeps the frame. */
START_TEST(three_sharers_each_order)
{
	static const unsigned order[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	static const unsigned users_after[3] = { 2, 1, 1 }, copies_after[3] = { 1, 2, 2 };

	for (unsigned o = 0; o < 6; o++) {
		struct pager_client *who[3];
		bool wrote[3] = { false, false, false };
		word_t f;

		cow_breaks = 0;
		who[0] = spawn();
		ck_assert(wr(who[0], 9, 0x1111));
		f = table(who[0], 9, NULL);
		who[1] = fork_of(who[0]);
		who[2] = fork_of(who[1]);
		ck_assert_uint_eq(users(f), 3);
		for (unsigned j = 0; j < 3; j++) {
			struct pager_client *x = who[order[o][j]];
			word_t in_use = pager_frames_in_use();

			ck_assert(wr(x, 9, 0x2000 + order[o][j]));
			wrote[order[o][j]] = true;
			ck_assert_uint_eq(users(f), users_after[j]);
			ck_assert_uint_eq(table(x, 9, NULL) == f, j == 2);   /* the last keeps it */
			ck_assert_uint_eq(pager_frames_in_use(), in_use + (j < 2));
			ck_assert_uint_eq(cow_breaks, copies_after[j]);
			for (unsigned k = 0; k < 3; k++)
				ck_assert_uint_eq(rd(who[k], 9), wrote[k] ? 0x2000 + k : 0x1111);
			check_all();
		}
		ck_assert_uint_eq(users(f), 1);
		finish();
	}
}
END_TEST

/* A write to a read-only page is refused, shared or not, and copies nothing. */
START_TEST(write_to_read_only_refused)
{
	struct pager_client *p = spawn(), *c;
	const word_t *r;
	word_t f;

	ck_assert_uint_eq(rd(p, RO(2)), 0);
	f = table(p, RO(2), NULL);
	ck_assert(!wr(p, RO(2), 1));
	ck_assert(said("refused"));
	c = fork_of(p);
	ck_assert(!wr(c, RO(2), 1));
	ck_assert(!wr(p, RO(2), 1));
	ck_assert_uint_eq(users(f), 2);
	ck_assert_uint_eq(pager_frames_in_use(), 1);
	ck_assert_uint_eq(cow_breaks, 0);
	ck_assert_uint_eq(rd(c, RO(2)), 0);
	console.last[0] = 0;
	ck_assert_uint_eq(tag_label(call(c->tid, tag_make(LABEL_PAGEFAULT | R, 2, 0) | TAG_K_FLAG,
					 VA(NPAGES), 0)[0]),
			  1);      /* outside its regions */
	ck_assert(said("refused"));
	r = call(c->tid, tag_make(LABEL_PAGEFAULT | R, 2, 0), VA(RO(2)), 0);   /* forged: no K */
	ck_assert_uint_eq(r[0], tag_make(SIGMA0_REPLY_ERROR, 1, 0));
	ck_assert_uint_eq(r[1], E_BAD_ARGUMENT);
	ck_assert_uint_eq(cow_breaks, 0);
	check_all();
	finish();
}
END_TEST

static word_t hog[PAGER_POOL_FRAMES + 1];

/* Take every frame the pager could still get: recycled ones, and `more`
 * from below, which then refuses until unhog. */
static unsigned hog_all(unsigned more)
{
	unsigned n = 0;

	below.limit = below.held + more;
	while ((hog[n] = pager_frame_alloc(&pg, false)))
		n++;
	return n;
}

static void unhog(unsigned n)
{
	while (n)
		pager_frame_put(hog[--n]);
	below.limit = PAGER_POOL_FRAMES;
}

/* No frame for the copy: the write is refused and nothing changes; it
 * succeeds once a frame is free again. */
START_TEST(copy_fails_without_memory)
{
	struct pager_client *p = spawn(), *c;
	word_t f;
	unsigned nhog;

	ck_assert(wr(p, 0, 0x77));
	f = table(p, 0, NULL);
	c = fork_of(p);
	nhog = hog_all(3);
	ck_assert_uint_ge(nhog, 3);
	ck_assert(!wr(c, 0, 0x88));
	ck_assert_uint_eq(table(c, 0, NULL), f);
	ck_assert_uint_eq(users(f), 2);
	ck_assert_uint_eq(cow_breaks, 0);
	pager_frame_put(hog[--nhog]);
	ck_assert(wr(c, 0, 0x88));
	ck_assert_uint_eq(cow_breaks, 1);
	ck_assert_uint_eq(rd(p, 0), 0x77);
	unhog(nhog);
	check_all();
	finish();
}
END_TEST

/* ---- Exit ---- */

/* A client's exit drops exactly its references; a frame is freed, and every
 * mapping of it revoked, only when its last user goes. */
START_TEST(exit_drops_its_references)
{
	struct pager_client *p = spawn(), *c, *g;
	word_t f[4], mine;

	for (unsigned i = 0; i < 4; i++) {
		ck_assert(wr(p, i, i + 1));
		f[i] = table(p, i, NULL);
	}
	c = fork_of(p);
	g = fork_of(c);
	ck_assert(wr(c, 0, 0x10));
	mine = table(c, 0, NULL);
	ck_assert_uint_eq(rd(g, 1), 2);
	ck_assert_uint_eq(pager_frames_in_use(), 5);
	unmaps_reset();
	leave(g);
	check_all();
	ck_assert_uint_eq(unmaps.calls, 0);
	ck_assert_uint_eq(users(f[0]), 1);
	ck_assert_uint_eq(users(f[1]), 2);
	ck_assert_uint_eq(pager_frames_in_use(), 5);
	leave(c);
	check_all();
	ck_assert_uint_eq(unmaps.n, 1);
	ck_assert_uint_eq(revoked(mine, RWX), 1);
	ck_assert_uint_eq(users(mine), 0);
	ck_assert_uint_eq(pager_frames_in_use(), 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(users(f[i]), 1);
		ck_assert_uint_eq(rd(p, i), i + 1);
	}
	ck_assert(wr(p, 1, 0x99));              /* the last sharer: no copy */
	ck_assert_uint_eq(table(p, 1, NULL), f[1]);
	unmaps_reset();
	leave(p);
	check_all();
	ck_assert_uint_eq(unmaps.n, 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(revoked(f[i], RWX), 1);
	ck_assert_uint_eq(pager_frames_in_use(), 0);
	finish();
}
END_TEST

/* pager_page_remove forgets one page and leaves its frame to the caller;
 * the next fault there is a fresh one (an evicting pager's step). */
START_TEST(page_remove_forgets_one_page)
{
	struct pager_client *p = spawn();
	word_t f, g;
	unsigned r;

	ck_assert(wr(p, 0, 0x11));
	ck_assert(wr(p, 1, 0x22));
	f = table(p, 0, NULL);
	ck_assert(pager_page_remove(p, VA(0) + 123));
	ck_assert(!pager_page_lookup(p, VA(0), &g, &r));
	ck_assert(!pager_page_remove(p, VA(0)));
	ck_assert_uint_eq(users(f), 1);         /* still the caller's */
	unmaps_reset();
	ck_assert(pager_frame_put(f));
	ck_assert_uint_eq(revoked(f, RWX), 1);
	check_all();
	ck_assert_uint_eq(rd(p, 0), 0);         /* faulted in again: zero-filled */
	ck_assert_uint_eq(rd(p, 1), 0x22);
	ck_assert_uint_eq(p->npages, 2);
	check_all();
	finish();
}
END_TEST

/* The release hook sees a valid PAGER_RELEASE before the framework drops
 * the pages, and never a refused one. */
static struct {
	struct pager_client *c;
	word_t va, size;
	unsigned calls, pages_then;
} released;

static word_t note_release(struct pager *p, struct pager_client *c, word_t va, word_t size)
{
	(void)p;
	released.c = c, released.va = va, released.size = size;
	released.calls++;
	released.pages_then = c->npages;
	return E_OK;
}

START_TEST(release_hook_before_the_drop)
{
	static const struct pager_ops ops = { .fault = cow_fault,
					      .release = note_release,
					      .around = cow_around };
	struct pager_client *p = spawn();
	const word_t *r;

	for (unsigned i = 0; i < 4; i++)
		ck_assert(wr(p, i, i + 1));
	pg.ops = &ops;
	r = call(p->tid, tag_make(PAGER_RELEASE, 2, 0), VA(1) + 1, PAGE);
	ck_assert_uint_eq(tag_label(r[0]), SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(released.calls, 0);
	r = call(p->tid, tag_make(PAGER_RELEASE, 2, 0), VA(1), 2 * PAGE);
	pg.ops = &cow_test_ops;
	ck_assert_uint_eq(tag_label(r[0]), 0);
	ck_assert_uint_eq(released.calls, 1);
	ck_assert(released.c == p && released.va == VA(1) && released.size == 2 * PAGE);
	ck_assert_uint_eq(released.pages_then, 4);
	ck_assert_uint_eq(p->npages, 2);
	check_all();
	finish();
}
END_TEST

/* ---- Frames lent to a pager ---- */

/* ANY lends a frame; fork does not share it; only its borrower frees it. */
START_TEST(lent_frames_not_shared)
{
	struct pager_client *x = spawn(), *c;
	const word_t *r;
	word_t lent, f, shared;
	unsigned rights, nhog;

	r = call(x->tid, tag_make(SIGMA0_LABEL_ANY, 2, 0), 12, RW);
	ck_assert_uint_eq(tag_label(r[0]), SIGMA0_REPLY_OK);
	ck_assert_uint_eq(tag_t(r[0]), 2);
	lent = fpage_base(r[2]);
	ck_assert_uint_eq(item_hotspot(r[1]), lent);
	ck_assert_uint_eq(fpage_rights(r[2]), RW);
	ck_assert(pager_page_lookup(x, lent, &f, &rights));
	ck_assert_uint_eq(f, lent);
	ck_assert_uint_eq(rights, RW | PAGER_PAGE_LENT);
	ck_assert(wr(x, 0, 0x42));
	shared = table(x, 0, NULL);
	unmaps_reset();
	c = fork_of(x);
	check_all();
	ck_assert_uint_eq(c->npages, 1);
	ck_assert(!pager_page_lookup(c, lent, &f, &rights));
	ck_assert_uint_eq(users(lent), 1);
	ck_assert_uint_eq(users(shared), 2);
	ck_assert_uint_eq(unmaps.n, 1);
	ck_assert_uint_eq(revoked(shared, W), 1);
	/* The child cannot free it; errors carry sigma0's error label. */
	r = call(c->tid, tag_make(SIGMA0_LABEL_FREE, 1, 0), fpage_make(lent, 12, 0), 0);
	ck_assert_uint_eq(tag_label(r[0]), SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(r[1], E_NO_PRIVILEGE);
	ck_assert_uint_eq(users(lent), 1);
	r = call(x->tid, tag_make(SIGMA0_LABEL_FREE, 1, 0), fpage_make(lent, 12, 0), 0);
	ck_assert_uint_eq(tag_label(r[0]), SIGMA0_REPLY_OK);
	ck_assert_uint_eq(users(lent), 0);
	ck_assert_uint_eq(revoked(lent, RWX), 1);
	ck_assert_uint_eq(x->npages, 1);
	check_all();
	/* Out of memory, ANY fails the way sigma0 fails. */
	nhog = hog_all(0);
	r = call(x->tid, tag_make(SIGMA0_LABEL_ANY, 2, 0), 12, RW);
	ck_assert_uint_eq(r[0], tag_make(SIGMA0_REPLY_ERROR, 1, 0));
	ck_assert_uint_eq(r[1], E_NO_MEMORY);
	unhog(nhog);
	/* A borrower's exit returns what it still holds. */
	r = call(x->tid, tag_make(SIGMA0_LABEL_ANY, 2, 0), 12, R);
	lent = fpage_base(r[2]);
	ck_assert_uint_eq(users(lent), 1);
	unmaps_reset();
	leave(x);
	ck_assert_uint_eq(revoked(lent, RWX), 1);
	check_all();
	finish();
}
END_TEST

/* ---- Failure ---- */

/* A fork that runs out of page-table entries fails as a whole: no child,
 * every count as before, and the parent writes again without copying. */
START_TEST(fork_fails_when_table_full)
{
	struct pager_client *p = spawn(), *hole, *fill;
	word_t f;
	unsigned n = 0;

	for (unsigned i = 0; i < 100; i++)
		ck_assert(wr(p, i, 0x500 + i));
	f = pager_frame_alloc(&pg, false);    /* one frame behind all the filling */
	ck_assert(f);
	hole = spawn();                       /* 40 entries, freed below */
	fill = spawn();                       /* every other entry */
	for (unsigned i = 0; i < 40; i++) {
		ck_assert(pager_page_insert(&pg, hole, VA_FAR + i * PAGE, f, R));
		if (i)
			pager_frame_get(f);
	}
	while (pager_page_insert(&pg, fill, VA_FAR + n * PAGE, f, R)) {
		pager_frame_get(f);
		n++;
	}
	ck_assert_uint_gt(n, 60000);
	leave(hole);
	check_all();
	unmaps_reset();
	ck_assert_ptr_null(cow_fork_client(&pg, p, tid_make(tid_next++, 1)));
	check_all();
	ck_assert_uint_eq(unmaps.n, 40);      /* harmless: the next write restores W */
	for (unsigned i = 0; i < 100; i++)
		ck_assert_uint_eq(users(table(p, i, NULL)), 1);
	ck_assert_uint_eq(pager_frames_in_use(), 101);
	for (unsigned i = 0; i < 100; i++) {
		ck_assert(wr(p, i, 0x600 + i));
		ck_assert_uint_eq(rd(p, i), 0x600 + i);
	}
	ck_assert_uint_eq(cow_breaks, 0);
	ck_assert_uint_eq(pager_frames_in_use(), 101);
	leave(fill);
	fork_of(p);                           /* room again */
	check_all();
	finish();
}
END_TEST

/* No client slot left: fork fails before it touches anything. */
START_TEST(fork_fails_without_client_slot)
{
	struct pager_client *p = spawn();

	ck_assert(wr(p, 0, 1));
	for (unsigned i = 1; i < PAGER_CLIENTS_MAX; i++)
		fork_of(p);
	ck_assert_uint_eq(users(table(p, 0, NULL)), PAGER_CLIENTS_MAX);
	unmaps_reset();
	ck_assert_ptr_null(cow_fork_client(&pg, p, tid_make(tid_next++, 1)));
	ck_assert_uint_eq(unmaps.calls, 0);
	ck_assert_uint_eq(users(table(p, 0, NULL)), PAGER_CLIENTS_MAX);
	check_all();
	finish();
}
END_TEST

/* ---- The pool ---- */

/* Frames come back to the pool, are reused zeroed, and at shutdown every
 * frame ever taken goes back below. */
START_TEST(pool_back_to_zero)
{
	struct pager_client *p = spawn(), *c, *g;
	unsigned taken;

	for (unsigned i = 0; i < 10; i++)
		ck_assert(wr(p, i, 0xf00 + i));
	c = fork_of(p);
	g = fork_of(c);
	for (unsigned i = 0; i < 10; i += 2)
		ck_assert(wr(g, i, 0xe00 + i));
	ck_assert(wr(c, 1, 1));
	ck_assert_uint_eq(pager_frames_in_use(), 16);
	leave(p);
	leave(c);
	leave(g);
	check_all();
	ck_assert_uint_eq(pager_frames_in_use(), 0);
	taken = below.taken;
	p = spawn();
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(rd(p, i), 0);     /* recycled, and zeroed */
	ck_assert_uint_eq(below.taken, taken);
	ck_assert_uint_eq(pager_frames_in_use(), 16);
	check_all();
	call(ROOT, tag_make(PAGER_SHUTDOWN, 0, 0), 0, 0);
	ck_assert(ipc_state.returned);
	ck_assert_uint_eq(below.taken, 0);     /* every frame freed, each once */
	ck_assert_uint_eq(pager_frames_in_use(), 0);
	ck_assert_uint_eq(pg.client[slot_of(p)].tid, TID_NIL);
	memset(mmu, 0, sizeof(mmu));
	finish();
}
END_TEST

/* A memory server that hands out blocks is asked once per
 * PAGER_POOL_BATCH new frames; the frames of a block are handed out in
 * address order; what goes back below goes one frame at a time. */
START_TEST(pool_takes_frames_in_batches)
{
	struct pager_client *p;

	below.batches = true;
	p = spawn();
	ck_assert(wr(p, 0, 1));
	ck_assert_uint_eq(below.calls, 1);
	ck_assert_uint_eq(below.taken, PAGER_POOL_BATCH);
	for (unsigned i = 1; i < PAGER_POOL_BATCH; i++) {
		ck_assert(wr(p, i, 1 + i));
		ck_assert_uint_eq(table(p, i, NULL), slot_frame(i));
	}
	ck_assert_uint_eq(below.calls, 1);
	ck_assert(wr(p, PAGER_POOL_BATCH, 7));
	ck_assert_uint_eq(below.calls, 2);
	ck_assert_uint_eq(below.taken, 2 * PAGER_POOL_BATCH);
	ck_assert_uint_eq(pager_frames_in_use(), PAGER_POOL_BATCH + 1);
	check_all();
	leave(p);          /* 65 frames and the 63 unused of the block: the pool keeps 64 */
	ck_assert_uint_eq(below.freed, 2 * PAGER_POOL_BATCH - PAGER_POOL_KEEP);
	check_all();
	call(ROOT, tag_make(PAGER_SHUTDOWN, 0, 0), 0, 0);
	ck_assert_uint_eq(below.taken, 0);     /* every frame freed, each once */
	memset(mmu, 0, sizeof(mmu));
	finish();
}
END_TEST

/* A memory server that refuses a block (a pager below, or one with fewer
 * frames left than a block) is asked for single frames. A pager below,
 * which refuses blocks with E_BAD_ARGUMENT, is asked for a block again
 * only after PAGER_POOL_RETRY_MAX single frames. */
START_TEST(pool_single_frames_when_refused)
{
	struct pager_client *p = spawn(), *q;
	static word_t f[PAGER_POOL_RETRY_MAX + 2];
	unsigned calls;

	ck_assert(wr(p, 0, 1));
	ck_assert_uint_eq(below.calls, 2);     /* the block refused, one frame */
	ck_assert_uint_eq(below.taken, 1);
	for (unsigned i = 1; i <= PAGER_POOL_BATCH; i++)      /* past an aligned top again */
		ck_assert(wr(p, i, 2));
	ck_assert_uint_eq(below.calls, PAGER_POOL_BATCH + 2);
	ck_assert_uint_eq(below.taken, PAGER_POOL_BATCH + 1);
	for (unsigned i = 0; i < PAGER_POOL_RETRY_MAX + 2; i++) {
		calls = below.calls;
		ck_assert((f[i] = pager_frame_alloc(&pg, false)));
		/* 1 + 64 frames so far: the block's turn comes at frame 513 */
		ck_assert_uint_eq(below.calls - calls,
				  i == PAGER_POOL_RETRY_MAX - PAGER_POOL_BATCH - 1 ? 2 : 1);
	}
	for (unsigned i = PAGER_POOL_RETRY_MAX + 2; i-- > 0;)
		pager_frame_put(f[i]);
	leave(p);
	call(ROOT, tag_make(PAGER_SHUTDOWN, 0, 0), 0, 0);
	memset(mmu, 0, sizeof(mmu));
	pager_init(&pg, "cow-test", &cow_test_ops);
	below.batches = true;
	below.limit = PAGER_POOL_BATCH / 2;
	below.calls = 0;
	q = spawn();
	for (unsigned i = 0; i < PAGER_POOL_BATCH / 2; i++)
		ck_assert(wr(q, i, 1 + i));
	ck_assert_uint_le(below.calls, PAGER_POOL_BATCH / 2 + 6);  /* a block now and then */
	ck_assert(!wr(q, PAGER_POOL_BATCH / 2, 1));     /* nothing left below */
	check_all();
	finish();
}
END_TEST

/* A block refused for want of memory is asked for again after a backoff
 * of single frames that doubles with each refusal in a row (1, 2, 4,
 * ...); once memory is back the pool takes blocks again, at the next
 * aligned slot, and the slots it skipped take single frames later. No
 * request for a frame asks below more than twice. */
START_TEST(pool_blocks_again_after_refusal)
{
	static word_t f[3 * PAGER_POOL_BATCH];
	/* below's calls for frames 0..5 with 4 frames below: block refused
	 * (wait 1) + one; refused (wait 2) + one; one; refused (wait 4) + one;
	 * the fifth frame refused alone (the wait is 3) */
	static const unsigned calls_per_frame[] = { 2, 2, 1, 2, 1 };
	unsigned n = 0, calls;

	below.batches = true;
	below.limit = 4;
	for (; n < 4; n++) {
		calls = below.calls;
		ck_assert((f[n] = pager_frame_alloc(&pg, false)));
		ck_assert_uint_eq(below.calls - calls, calls_per_frame[n]);
	}
	calls = below.calls;
	ck_assert(!pager_frame_alloc(&pg, false));
	ck_assert_uint_eq(below.calls - calls, calls_per_frame[4]);
	ck_assert_uint_eq(below.blocks, 0);
	below.limit = PAGER_POOL_FRAMES;               /* memory is back */
	for (; n < 7; n++) {                            /* the rest of the wait */
		calls = below.calls;
		ck_assert((f[n] = pager_frame_alloc(&pg, false)));
		ck_assert_uint_eq(below.calls - calls, 1);
	}
	ck_assert_uint_eq(below.blocks, 0);
	f[n++] = pager_frame_alloc(&pg, false);
	ck_assert_uint_eq(below.blocks, 1);            /* the block again */
	ck_assert_uint_eq(f[7], slot_frame(PAGER_POOL_BATCH));
	calls = below.calls;
	for (; n < PAGER_POOL_BATCH + 7; n++) {
		ck_assert((f[n] = pager_frame_alloc(&pg, false)));
		ck_assert_uint_eq(f[n], slot_frame(PAGER_POOL_BATCH + n - 7));
	}
	ck_assert_uint_eq(below.calls, calls);          /* all from the block */
	below.limit = below.held;                       /* tight again */
	calls = below.calls;
	ck_assert(!pager_frame_alloc(&pg, false));      /* a skipped slot asked for one */
	ck_assert_uint_eq(below.calls - calls, 2);
	below.limit = below.held + 1;
	calls = below.calls;
	f[n] = pager_frame_alloc(&pg, false);           /* the wait is 1 again: no block */
	ck_assert_uint_eq(below.calls - calls, 1);
	ck_assert_uint_lt(f[n], slot_frame(PAGER_POOL_BATCH));   /* into a skipped slot */
	n++;
	below.limit = PAGER_POOL_FRAMES;
	f[n++] = pager_frame_alloc(&pg, false);
	ck_assert_uint_eq(below.blocks, 2);
	ck_assert_uint_eq(f[n - 1], slot_frame(2 * PAGER_POOL_BATCH));
	while (n)
		pager_frame_put(f[--n]);
	ck_assert_uint_eq(pager_frames_in_use(), 0);
	check_all();
	call(ROOT, tag_make(PAGER_SHUTDOWN, 0, 0), 0, 0);
	ck_assert_uint_eq(below.held, 0);              /* every frame back, each once */
	finish();
}
END_TEST

/* A read fault on a shared page also maps the other pages of its aligned
 * block that the client has, each as a fault on it would (a shared frame
 * read-only, a private one with its rights); then those pages read
 * without a fault. A write fault, or a read of a private page, maps its
 * own page only. */
START_TEST(read_fault_maps_around)
{
	const unsigned n = PAGER_AROUND_PAGES;
	struct pager_client *p = spawn(), *c, *q;
	word_t faults;

	for (unsigned i = 0; i < 2 * n; i++)
		ck_assert(wr(p, i, 0x100 + i));
	c = fork_of(p);
	ck_assert(wr(c, 3, 0x33));                      /* a copy: nothing around */
	ck_assert_uint_eq(last_around, 0);
	ck_assert_uint_eq(rd_half(c, 5, 0), 0x105);
	ck_assert_uint_eq(last_around, n - 1);
	for (unsigned i = 0; i < 2 * n; i++) {
		const struct space *s = &mmu[slot_of(c)];
		ck_assert_uint_eq(s->frame[i], i < n ? table(c, i, NULL) : 0);
		ck_assert_uint_eq(s->rights[i], i >= n ? 0 : i == 3 ? RW : R);
	}
	check_all();
	faults = pg.faults;
	for (unsigned i = 0; i < n; i++)
		ck_assert_uint_eq(rd(c, i), i == 3 ? 0x33 : 0x100 + i);
	ck_assert_uint_eq(pg.faults, faults);           /* all mapped already */
	ck_assert_uint_eq(rd(c, n + 1), 0x100 + n + 1);
	ck_assert_uint_eq(pg.faults, faults + 1);
	ck_assert_uint_eq(last_around, n - 1);
	q = spawn();
	ck_assert(wr(q, 0, 1));
	ck_assert_uint_eq(rd(q, 1), 0);                 /* a private page: alone */
	ck_assert_uint_eq(last_around, 0);
	ck_assert(!mmu[slot_of(q)].frame[2]);
	check_all();
	finish();
}
END_TEST

/* ---- Random operations against a model ---- */

/* A few thousand random forks, reads, writes and exits over several
 * clients. Writes change half a page, so a copy must carry the other half.
 * The model knows what each client must read: what it last wrote, or what
 * its ancestor had when it forked (0 if nobody wrote). */
START_TEST(random_against_model)
{
	enum { STEPS = 4000, LIVE_MAX = 10, PAGES = 24, RO_FIRST = 20 };
	static struct {
		struct pager_client *c;
		word_t val[PAGES][2];
	} m[LIVE_MAX];
	unsigned live = 0, seed = 12345, seed0, forks = 0, exits = 0, writes = 0, reads = 0;
	word_t next_val = 1;
	const char *env = getenv("COW_SEED");

	if (env)
		seed = (unsigned)strtoul(env, NULL, 0);
	below.batches = true;                  /* the pool as it runs on sigma0 */
	seed0 = seed;
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned op, i, k, h, page;

		seed = seed * 1103515245u + 12345u;
		op = (seed >> 16) % 100;
		i = live ? (seed >> 8) % live : 0;
		k = (seed >> 20) % PAGES;
		h = (seed >> 28) & 1;
		page = k < RO_FIRST ? k : RO(k - RO_FIRST);
		if (!live) {
			m[live].c = spawn();
			memset(m[live].val, 0, sizeof(m[live].val));
			live++;
		} else if (op < 35) {
			bool ok = wr_half(m[i].c, page, h, next_val);
			if (ok != (k < RO_FIRST))
				ck_abort_msg("COW_SEED=%u step %u: write of page %u %s", seed0, step,
					     page, ok ? "allowed" : "refused");
			if (ok)
				m[i].val[k][h] = next_val++;
			writes++;
		} else if (op < 70) {
			word_t v = rd_half(m[i].c, page, h);
			if (v != m[i].val[k][h])
				ck_abort_msg("COW_SEED=%u step %u: client %lx page %u reads %lx, not %lx",
					     seed0, step, m[i].c->tid, page, v, m[i].val[k][h]);
			reads++;
		} else if (op < 85) {
			if (live == LIVE_MAX)
				continue;
			m[live].c = fork_of(m[i].c);
			memcpy(m[live].val, m[i].val, sizeof(m[i].val));
			live++;
			forks++;
		} else {
			leave(m[i].c);
			m[i] = m[--live];
			exits++;
		}
		check_all();
	}
	for (unsigned i = 0; i < live; i++)
		for (unsigned k = 0; k < PAGES; k++)
			for (unsigned h = 0; h < 2; h++)
				must_eq(rd_half(m[i].c, k < RO_FIRST ? k : RO(k - RO_FIRST), h),
					m[i].val[k][h]);
	fprintf(stdout, "random_against_model: %u forks, %u exits, %u writes, %u reads, "
		"%lu copies\n", forks, exits, writes, reads, cow_breaks);
	ck_assert_uint_gt(cow_breaks, 100);
	finish();
}
END_TEST

/* ---- The per-client bound ---- */

/* PAGER_OPTION from `from` for client c with the text opt (MR3..); the
 * reply's label, and MR1 in *err. */
static word_t option(word_t from, struct pager_client *c, const char *opt, word_t *err)
{
	size_t len = strlen(opt);
	const word_t *r;

	memset(&host_utcb->mr[3], 0, PAGER_OPTION_MAX + 8);
	memcpy(&host_utcb->mr[3], opt, len);
	r = call(from, tag_make(PAGER_OPTION, 2 + (unsigned)(len + 7) / 8, 0), c->tid, len);
	*err = r[1];
	return tag_label(r[0]);
}

/* The label of the reply to c's write fault at page (0: mapped). */
static word_t fault_label(struct pager_client *c, unsigned page)
{
	return tag_label(call(c->tid, tag_make(LABEL_PAGEFAULT | W, 2, 0) | TAG_K_FLAG, VA(page),
			      0x401000)[0]);
}

/* A hog and a victim on a pager that can get 64 frames from below: the
 * hog is refused at its bound of 32 with PAGER_REFUSE_NO_MEMORY, and the
 * victim still gets the other 32 (without the bound, the hog took all 64
 * and the victim's first fault was refused). */
START_TEST(bound_hog_refused_victim_served)
{
	struct pager_client *hog = spawn(), *victim = spawn();
	word_t err;
	unsigned n = 0;

	below.limit = 64;
	ck_assert_uint_eq(option(ROOT, hog, "frames=32", &err), SIGMA0_REPLY_OK);
	while (n < RW_PAGES && wr(hog, n, 0x700 + n))
		n++;
	ck_assert_uint_eq(n, 32);
	ck_assert_uint_eq(pager_client_frames(hog), 32);
	ck_assert_uint_eq(fault_label(hog, n), PAGER_REFUSE_NO_MEMORY);
	check_all();
	for (unsigned i = 0; i < 32; i++)
		ck_assert(wr(victim, i, 0x800 + i));
	ck_assert_uint_eq(pager_client_frames(victim), 32);
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(rd(hog, i), 0x700 + i);
	/* Released pages come off the count, and can be had again. */
	ck_assert_uint_eq(tag_label(call(hog->tid, tag_make(PAGER_RELEASE, 2, 0), VA(0),
					 4 * PAGE)[0]),
			  SIGMA0_REPLY_OK);
	ck_assert_uint_eq(pager_client_frames(hog), 28);
	check_all();
	ck_assert(wr(hog, 100, 1));
	ck_assert_uint_eq(pager_client_frames(hog), 29);
	check_all();
	finish();
}
END_TEST

/* ANY past the bound: E_NO_MEMORY the way sigma0 says it, nothing lent
 * and nothing taken; FREE makes room again; the image (PAGER_PAGE's
 * frames, entered with pager_page_insert) counts like any page. */
START_TEST(bound_any_refused)
{
	struct pager_client *x = spawn();
	word_t lent[4], err, f;
	const word_t *r;
	unsigned in_use;

	ck_assert_uint_eq(option(ROOT, x, "frames=4", &err), SIGMA0_REPLY_OK);
	f = pager_frame_alloc(&pg, true);
	ck_assert(pager_page_insert(&pg, x, VA_FAR, f, R));          /* an image page */
	for (unsigned i = 0; i < 3; i++) {
		r = call(x->tid, tag_make(SIGMA0_LABEL_ANY, 2, 0), 12, RW);
		ck_assert_uint_eq(tag_label(r[0]), SIGMA0_REPLY_OK);
		lent[i] = fpage_base(r[2]);
	}
	ck_assert_uint_eq(pager_client_frames(x), 4);
	in_use = (unsigned)pager_frames_in_use();
	r = call(x->tid, tag_make(SIGMA0_LABEL_ANY, 2, 0), 12, RW);
	ck_assert_uint_eq(r[0], tag_make(SIGMA0_REPLY_ERROR, 1, 0));
	ck_assert_uint_eq(r[1], E_NO_MEMORY);
	ck_assert_uint_eq(pager_frames_in_use(), in_use);
	ck_assert_uint_eq(x->npages, 4);
	f = pager_frame_alloc(&pg, true);
	ck_assert(!pager_page_insert(&pg, x, VA_FAR + PAGE, f, R));  /* the next one */
	pager_frame_put(f);
	check_all();
	r = call(x->tid, tag_make(SIGMA0_LABEL_FREE, 1, 0), fpage_make(lent[1], 12, 0), 0);
	ck_assert_uint_eq(tag_label(r[0]), SIGMA0_REPLY_OK);
	ck_assert_uint_eq(pager_client_frames(x), 3);
	r = call(x->tid, tag_make(SIGMA0_LABEL_ANY, 2, 0), 12, RW);
	ck_assert_uint_eq(tag_label(r[0]), SIGMA0_REPLY_OK);
	check_all();
	finish();
}
END_TEST

/* A fork family pays from its root's account: sharing costs nothing, a
 * copy costs a frame, a copy past the bound is refused; every count
 * returns to 0 when its clients have gone, and a new client in the slot
 * starts at 0. */
START_TEST(bound_fork_family)
{
	struct pager_client *p = spawn(), *c, *g, *n;
	unsigned slot = slot_of(p);
	word_t err;

	ck_assert_uint_eq(option(ROOT, p, "frames=12", &err), SIGMA0_REPLY_OK);
	for (unsigned i = 0; i < 10; i++)
		ck_assert(wr(p, i, 0x900 + i));
	c = fork_of(p);
	g = fork_of(c);
	check_all();
	ck_assert_uint_eq(pager_client_frames(p), 10);
	ck_assert_uint_eq(pager_client_frames(g), 10);
	ck_assert(wr(c, 0, 1));                 /* a copy */
	ck_assert(wr(g, 1, 2));
	ck_assert_uint_eq(pager_client_frames(p), 12);
	ck_assert_uint_eq(fault_label(g, 2), PAGER_REFUSE_NO_MEMORY);   /* a third copy */
	ck_assert_uint_eq(fault_label(p, 20), PAGER_REFUSE_NO_MEMORY);  /* a new page */
	ck_assert_uint_eq(rd(g, 2), 0x902);
	check_all();
	leave(c);                               /* its copy goes */
	ck_assert_uint_eq(pager_client_frames(p), 11);
	check_all();
	leave(p);                               /* the root goes first: g takes the account */
	ck_assert_uint_eq(pager_client_frames(g), 10);
	ck_assert_uint_eq(g->frames_max, 12);
	check_all();
	leave(g);
	ck_assert_uint_eq(pg.client[slot].frames, 0);
	ck_assert_uint_eq(pager_frames_in_use(), 0);
	n = spawn();
	ck_assert_uint_eq(pager_client_frames(n), 0);
	ck_assert_uint_eq(n->frames_max, PAGER_CLIENT_FRAMES);
	check_all();
	finish();
}
END_TEST

/* frames= is the root task's, N in 1..32768; other options are refused as
 * before (this pager takes none). */
START_TEST(bound_option_refused)
{
	struct pager_client *x = spawn();
	word_t err;

	ck_assert_uint_eq(option(x->tid, x, "frames=1", &err), SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(err, E_NO_PRIVILEGE);
	ck_assert_uint_eq(option(ROOT, x, "frames=0", &err), SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(err, E_BAD_ARGUMENT);
	ck_assert(!strcmp((const char *)&host_utcb->mr[2], "want frames=N, 1 <= N <= 32768"));
	ck_assert_uint_eq(option(ROOT, x, "frames=32769", &err), SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(option(ROOT, x, "frames=99999999999999999999999", &err),
			  SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(option(ROOT, x, "frames=12k", &err), SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(option(ROOT, x, "frames=", &err), SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(x->frames_max, PAGER_CLIENT_FRAMES);
	ck_assert_uint_eq(option(ROOT, &(struct pager_client){ .tid = 77 }, "frames=5", &err),
			  SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(err, E_BAD_ARGUMENT);
	ck_assert_uint_eq(option(ROOT, x, "colours=1", &err), SIGMA0_REPLY_ERROR);
	ck_assert_uint_eq(option(ROOT, x, "frames=32768", &err), SIGMA0_REPLY_OK);
	ck_assert_uint_eq(x->frames_max, 32768);
	check_all();
	finish();
}
END_TEST

int main(int argc, char **argv)
{
	const struct unit_test tests[] = {
		{ "fork_shares_every_page", fork_shares_every_page, 0 },
		{ "write_protect_batches", write_protect_batches, 0 },
		{ "write_protect_coalesces", write_protect_coalesces, 0 },
		{ "second_fork_revokes_nothing", second_fork_revokes_nothing, 0 },
		{ "read_fault_maps_read_only", read_fault_maps_read_only, 0 },
		{ "write_fault_copies", write_fault_copies, 0 },
		{ "last_sharer_keeps_frame", last_sharer_keeps_frame, 0 },
		{ "three_sharers_each_order", three_sharers_each_order, 0 },
		{ "write_to_read_only_refused", write_to_read_only_refused, 0 },
		{ "copy_fails_without_memory", copy_fails_without_memory, 0 },
		{ "exit_drops_its_references", exit_drops_its_references, 0 },
		{ "page_remove_forgets_one_page", page_remove_forgets_one_page, 0 },
		{ "release_hook_before_the_drop", release_hook_before_the_drop, 0 },
		{ "lent_frames_not_shared", lent_frames_not_shared, 0 },
		{ "fork_fails_when_table_full", fork_fails_when_table_full, 0 },
		{ "fork_fails_without_client_slot", fork_fails_without_client_slot, 0 },
		{ "pool_back_to_zero", pool_back_to_zero, 0 },
		{ "random_against_model", random_against_model, 0 },
		{ "pool_takes_frames_in_batches", pool_takes_frames_in_batches, 0 },
		{ "pool_single_frames_when_refused", pool_single_frames_when_refused, 0 },
		{ "pool_blocks_again_after_refusal", pool_blocks_again_after_refusal, 0 },
		{ "read_fault_maps_around", read_fault_maps_around, 0 },
		{ "bound_hog_refused_victim_served", bound_hog_refused_victim_served, 0 },
		{ "bound_any_refused", bound_any_refused, 0 },
		{ "bound_fork_family", bound_fork_family, 0 },
		{ "bound_option_refused", bound_option_refused, 0 },
	};

	(void)argc, (void)argv;
	return unit_run(unit_suite("cow", tests, sizeof(tests) / sizeof(tests[0]), setup, NULL, 120));
}
