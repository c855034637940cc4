/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for kernel/mapdb*.c. The test plays the kernel's part: each
 * fake `struct space` has a page table (an array over a small window of
 * virtual addresses) behind the mdb_pte_* hooks, and an account; the pool
 * is the real kmem fed from a host buffer. After every test everything is
 * torn down and the pool must be back at its baseline. The hooks check
 * every slot the mapdb gives back against the contract in mapdb.h.
 *
 * The directed tests walk through map, grant, unmap and superpages one
 * behaviour at a time. The random test runs a long deterministic sequence
 * of operations against a naive reference model (an explicit parent index
 * per mapping, splits done by brute force) and compares every page table,
 * every account and mdb_check after each step.
 */
#include <check.h>
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapdb.h>
#include <mapdb_private.h>        /* the damage tests break its structures */
#include <kmem.h>
#include <klib.h>
#include <pagoda/error.h>

#define K4 ((word_t)1 << 12)
#define M2 ((word_t)1 << 21)
#define VA_BASE ((word_t)0x10000000)
#define VA_SLOTS 4                      /* 2 MiB slots in each space's window */
#define VA_PAGES (VA_SLOTS * 512)
#define NSPACES 8
#define POOL_BYTES ((size_t)32 << 20)
#define RWX FPAGE_RWX
#define RW FPAGE_RW
#define RX FPAGE_RX
#define R FPAGE_R
#define W FPAGE_W
#define X FPAGE_X
#define ACC MDB_STATUS_ACCESSED
#define DIRTY MDB_STATUS_DIRTY

/* Assertions for the hot paths: Check's ck_assert records its location
 * on every call, which would dominate the random test's run time. */
#define must(c) do { if (!(c)) ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c); } while (0)
#define must_eq(a, b) must((a) == (b))
#define must_msg(c, ...) do { if (!(c)) ck_abort_msg(__VA_ARGS__); } while (0)

/* Physical frames used by the tests. */
#define F2(n) ((word_t)0x40000000 + (word_t)(n) * M2)      /* 2 MiB frames */
#define F4(n) ((word_t)0x48000000 + (word_t)(n) * K4)      /* 4 KiB frames */

/* ---- The fake kernel: page tables and accounts. ---- */

struct fake_pte {
	word_t pa;
	uint8_t log2, rights, status, present;
};

struct space {
	struct kmem_account acct;
	struct fake_pte pte[VA_PAGES];   /* a 2 MiB entry sits at its first page */
	unsigned count;                  /* entries present */
	bool fail_prepare, fail_split;
	char place21[VA_SLOTS];          /* handles on the places of 2 MiB mappings */
	unsigned long splits;            /* mdb_pte_split calls that split */
	void *slot;                      /* the last slot handed out ... */
	unsigned long slot_splits;       /* ... and splits then: it is good while equal */
	struct mdb_space mdb;            /* the database's count of s's nodes */
};

static struct space sp[NSPACES];
static unsigned long fake_changes;   /* PTEs set, cleared or protected */
static unsigned long fake_splits;    /* 2 MiB PTEs split */
/* NOLINTBEGIN(readability-identifier-naming): the spaces of the tests' figures */
static struct space *const S0 = &sp[0], *const A = &sp[1], *const B = &sp[2],
		    *const C = &sp[3], *const D = &sp[4], *const E = &sp[5];
/* NOLINTEND(readability-identifier-naming) */
static struct kmem_account kacct;
static uint8_t *pool;
static size_t baseline;

static size_t page_of(word_t va)
{
	must_msg(va >= VA_BASE && va < VA_BASE + VA_PAGES * K4, "va %lx outside the window",
		      (unsigned long)va);
	return (size_t)((va - VA_BASE) >> 12);
}

/* The entry mapping va in s, or NULL. */
static struct fake_pte *pte_at(struct space *s, word_t va)
{
	size_t i = page_of(va), b = i & ~(size_t)511;

	if (s->pte[i].present && s->pte[i].log2 == 12)
		return &s->pte[i];
	if (s->pte[b].present && s->pte[b].log2 == 21)
		return &s->pte[b];
	return NULL;
}

/* The entry of the mapping at exactly (va, log2); fails the test if none. */
static struct fake_pte *pte_exact(struct space *s, word_t va, unsigned log2)
{
	struct fake_pte *e = pte_at(s, va);

	must_msg(e && e->log2 == log2 && e == &s->pte[page_of(va)],
		      "no %u-bit mapping at %lx", log2, (unsigned long)va);
	return e;
}

/* The fake's slot for the place of a log2 mapping at va. As in the real
 * page tables, the place of a 2 MiB mapping is not that of a 4 KiB one. */
static void *slot_of(struct space *s, word_t va, unsigned log2)
{
	return log2 == 21 ? (void *)&s->place21[page_of(va) / 512] : (void *)&s->pte[page_of(va)];
}

/* Hand out slot (or NULL). The mapdb may give back only the last slot
 * handed out for a space, and only until the space splits: the hooks'
 * contract, stricter than what the real page tables need. */
static void *slot_give(struct space *s, void *slot)
{
	if (slot) {
		s->slot = slot;
		s->slot_splits = s->splits;
	}
	return slot;
}

/* A slot given back for a log2 mapping at va: NULL, or its place's slot,
 * still good. */
static void slot_check(struct space *s, word_t va, unsigned log2, void *slot)
{
	must(!slot || slot == slot_of(s, va, log2));
	must(!slot || (slot == s->slot && s->slot_splits == s->splits));
}

/* The slot mdb_pte_get reports for va: that of a 4 KiB mapping, none
 * inside a 2 MiB mapping nor while s "lacks page tables" (fail_prepare). */
static void *pte_slot(struct space *s, word_t va)
{
	struct fake_pte *e = pte_at(s, va);

	return (e && e->log2 == 21) || s->fail_prepare ? NULL : slot_of(s, va, 12);
}

bool mdb_pte_get(struct space *s, word_t va, word_t *pa, unsigned *log2, unsigned *rights,
		 void **slot)
{
	struct fake_pte *e = pte_at(s, va);

	if (slot)
		*slot = slot_give(s, pte_slot(s, va));
	if (!e)
		return false;
	*pa = e->pa;
	*log2 = e->log2;
	*rights = e->rights;
	return true;
}

/* Pages of the window from *va on, the first mapped one below end. */
bool mdb_pte_next(struct space *s, word_t *va, word_t end, word_t *pa, unsigned *log2,
		  unsigned *rights, unsigned *status, void **slot)
{
	word_t top = VA_BASE + VA_PAGES * K4;

	for (word_t v = MAX(*va, VA_BASE); v < end && v < top; v += K4) {
		struct fake_pte *e = pte_at(s, v);
		if (!e)
			continue;
		*va = v;
		*status = e->status;
		return mdb_pte_get(s, v, pa, log2, rights, slot);
	}
	return false;
}

/* The slot of the place to set (the real hook gives none while a 2 MiB
 * mapping is in the way of a 4 KiB one). */
int mdb_pte_prepare(struct space *s, word_t va, unsigned log2, void **slot)
{
	struct fake_pte *e = pte_at(s, va);

	if (s->fail_prepare)
		return E_NO_MEMORY;
	*slot = slot_give(s, log2 == 12 && e && e->log2 == 21 ? NULL : slot_of(s, va, log2));
	return E_OK;
}

void mdb_pte_set(struct space *s, word_t va, word_t pa, unsigned log2, unsigned rights,
		 void *slot)
{
	must(log2 == 12 || log2 == 21);
	slot_check(s, va, log2, slot);
	must(IS_ALIGNED(va, (word_t)1 << log2) && IS_ALIGNED(pa, (word_t)1 << log2));
	must(rights != 0 && (rights & ~RWX) == 0);
	for (word_t off = 0; off < ((word_t)1 << log2); off += K4)
		must_msg(!pte_at(s, va + off), "set over a mapping at %lx", (unsigned long)va);
	s->pte[page_of(va)] = (struct fake_pte){ pa, (uint8_t)log2, (uint8_t)rights, 0, 1 };
	s->count++;
	fake_changes++;
}

/* A slot handed back to protect or clear must be the 4 KiB entry itself. */
static struct fake_pte *pte_slotted(struct space *s, word_t va, unsigned log2, void *slot)
{
	struct fake_pte *e = pte_exact(s, va, log2);

	must(!slot || log2 == 12);
	slot_check(s, va, log2, slot);
	return e;
}

unsigned mdb_pte_protect(struct space *s, word_t va, unsigned log2, unsigned rights, void *slot)
{
	struct fake_pte *e = pte_slotted(s, va, log2, slot);
	unsigned status = e->status;

	must_msg(rights != 0 && (rights & ~e->rights) == 0, "protect raises rights");
	e->rights = (uint8_t)rights;
	e->status = 0;
	fake_changes++;
	return status;
}

void mdb_pte_raise(struct space *s, word_t va, unsigned log2, unsigned rights, void *slot)
{
	struct fake_pte *e = pte_slotted(s, va, log2, slot);

	must_msg((rights & e->rights) == e->rights && (rights & ~RWX) == 0, "raise lowers rights");
	e->rights = (uint8_t)rights;
	fake_changes++;
}

unsigned mdb_pte_clear(struct space *s, word_t va, unsigned log2, void *slot)
{
	struct fake_pte *e = pte_slotted(s, va, log2, slot);

	e->present = 0;
	s->count--;
	fake_changes++;
	return e->status;
}

int mdb_pte_split(struct space *s, word_t va)
{
	struct fake_pte *e = pte_exact(s, va, 21), big = *e;

	if (s->fail_split)
		return E_NO_MEMORY;
	for (unsigned i = 0; i < 512; i++)
		e[i] = (struct fake_pte){ big.pa + i * K4, 12, big.rights, big.status, 1 };
	s->count += 511;
	s->splits++;
	fake_splits++;
	return E_OK;
}

struct mdb_space *mdb_space_info(struct space *s)
{
	return &s->mdb;
}

struct space *mdb_space_next(struct space *s)
{
	s = s ? s + 1 : sp;
	return s < sp + NSPACES ? s : NULL;
}

/* ---- Fixture and helpers. ---- */

static void setup(void)
{
	kmem_init();
	pool = aligned_alloc(KMEM_PAGE, POOL_BYTES);
	ck_assert_ptr_nonnull(pool);
	kmem_add_region((uintptr_t)pool, POOL_BYTES);
	kacct = (struct kmem_account)KMEM_ACCOUNT_ROOT(SIZE_MAX);
	ck_assert_int_eq(mdb_init(&kacct), E_OK);
	memset(sp, 0, sizeof(sp));
	for (int i = 0; i < NSPACES; i++) {
		kmem_set_quota(&sp[i].acct, SIZE_MAX);
		sp[i].mdb.acct = &sp[i].acct;
	}
	baseline = kmem_free_bytes();
}

static void teardown(void)
{
	kmem_init();
	free(pool);
	pool = NULL;
}

static word_t va4(unsigned slot, unsigned piece)
{
	return VA_BASE + slot * M2 + piece * K4;
}

static word_t va2(unsigned slot)
{
	return VA_BASE + slot * M2;
}

static int sid(const struct space *s)
{
	return (int)(s - sp);
}

/* s maps va (exactly: base of the mapping) to pa, log2, rights. */
static void expect(struct space *s, word_t va, word_t pa, unsigned log2, unsigned rights)
{
	struct fake_pte *e = pte_at(s, va);

	ck_assert_msg(e, "space %d: nothing at %lx", sid(s), (unsigned long)va);
	ck_assert_msg(e->pa == pa && e->log2 == log2 && e->rights == rights,
		      "space %d at %lx: pa %lx log2 %u rights %u, want %lx %u %u", sid(s),
		      (unsigned long)va, (unsigned long)e->pa, e->log2, e->rights, (unsigned long)pa,
		      log2, rights);
}

static void expect_none(struct space *s, word_t va)
{
	ck_assert_msg(!pte_at(s, va), "space %d: mapping at %lx", sid(s), (unsigned long)va);
}

static unsigned rights_at(struct space *s, word_t va)
{
	struct fake_pte *e = pte_at(s, va);

	return e ? e->rights : 0;
}

static void touch(struct space *s, word_t va, unsigned status)
{
	struct fake_pte *e = pte_at(s, va);

	ck_assert(e);
	e->status |= (uint8_t)status;
}

/* The database, the page tables and the accounts agree. */
static void consistent(void)
{
	size_t total = 0;

	ck_assert(mdb_check());
	for (int i = 0; i < NSPACES; i++) {
		ck_assert_msg(sp[i].acct.used == sp[i].count * MDB_NODE_BYTES,
			      "space %d: %zu bytes charged for %u mappings", i, sp[i].acct.used,
			      sp[i].count);
		total += sp[i].count;
	}
	ck_assert_uint_eq(mdb_node_count(), total);
	ck_assert(kmem_check());
}

static void map_ok(struct space *from, word_t fva, struct space *to, word_t tva, unsigned log2,
		   unsigned rights, bool grant)
{
	ck_assert_int_eq(mdb_map(from, fva, to, tva, log2, rights, grant), E_OK);
	consistent();
}

static void root_ok(struct space *s, word_t va, word_t pa, unsigned log2, unsigned rights)
{
	ck_assert_int_eq(mdb_root(s, va, pa, log2, rights), E_OK);
	consistent();
}

/* Tear everything down; the pool must be back where it started. */
static void finish(void)
{
	consistent();
	for (int i = 0; i < NSPACES; i++) {
		sp[i].fail_prepare = sp[i].fail_split = false;
		kmem_set_quota(&sp[i].acct, SIZE_MAX);
	}
	kmem_set_quota(&kacct, SIZE_MAX);
	for (int i = 0; i < NSPACES; i++)
		for (unsigned slot = 0; slot < VA_SLOTS; slot++)
			mdb_unmap(&sp[i], va2(slot), 21, RWX, true);
	consistent();
	ck_assert_uint_eq(mdb_node_count(), 0);
	for (int i = 0; i < NSPACES; i++)
		ck_assert_uint_eq(sp[i].acct.used, 0);
	ck_assert_uint_eq(kmem_free_bytes(), baseline);
}

/* sigma0 -> A -> B -> C on one 4 KiB frame. */
static void chain(unsigned rights)
{
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, rights, false);
	map_ok(A, va4(1, 0), B, va4(2, 0), 12, rights, false);
	map_ok(B, va4(2, 0), C, va4(3, 0), 12, rights, false);
}

/* ---- Directed tests. ---- */

START_TEST(chain_unmap)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	chain(RWX);
	expect(C, va4(3, 0), F4(0), 12, RWX);
	ck_assert_uint_eq(mdb_node_count(), 4);
	ck_assert_uint_eq(mdb_unmap(A, va4(1, 0), 12, RWX, false), 0);
	consistent();
	expect(A, va4(1, 0), F4(0), 12, RWX);
	expect_none(B, va4(2, 0));
	expect_none(C, va4(3, 0));
	map_ok(A, va4(1, 0), B, va4(2, 0), 12, RWX, false);
	map_ok(B, va4(2, 0), C, va4(3, 0), 12, RWX, false);
	mdb_unmap(A, va4(1, 0), 12, RWX, true);
	consistent();
	expect_none(A, va4(1, 0));
	expect_none(C, va4(3, 0));
	expect(S0, va4(0, 0), F4(0), 12, RWX);
	ck_assert_uint_eq(mdb_node_count(), 1);
	finish();
}
END_TEST

START_TEST(grant_keeps_children)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	chain(RW);
	map_ok(A, va4(1, 0), D, va4(1, 9), 12, RWX, true);
	expect_none(A, va4(1, 0));
	expect(D, va4(1, 9), F4(0), 12, RW);
	expect(C, va4(3, 0), F4(0), 12, RW);
	ck_assert_uint_eq(mdb_node_count(), 4);
	/* B and C now derive from D. */
	mdb_unmap(D, va4(1, 9), 12, W, false);
	consistent();
	expect(B, va4(2, 0), F4(0), 12, R);
	expect(C, va4(3, 0), F4(0), 12, R);
	/* A grant with fewer rights takes them from what derives. */
	map_ok(S0, va4(0, 0), D, va4(1, 9), 12, RW, false);
	map_ok(D, va4(1, 9), E, va4(0, 3), 12, X | W, true);
	expect_none(D, va4(1, 9));
	expect(E, va4(0, 3), F4(0), 12, W);
	expect_none(B, va4(2, 0));
	expect_none(C, va4(3, 0));
	ck_assert_uint_eq(mdb_node_count(), 2);
	finish();
}
END_TEST

START_TEST(rights_and_flush)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, RWX, false);
	map_ok(A, va4(1, 0), B, va4(2, 0), 12, RW, false);
	map_ok(B, va4(2, 0), C, va4(3, 0), 12, RW, false);
	mdb_unmap(A, va4(1, 0), 12, W, false);
	consistent();
	expect(A, va4(1, 0), F4(0), 12, RWX);
	expect(B, va4(2, 0), F4(0), 12, R);
	expect(C, va4(3, 0), F4(0), 12, R);
	mdb_unmap(A, va4(1, 0), 12, X, true);
	consistent();
	expect(A, va4(1, 0), F4(0), 12, RW);
	expect(C, va4(3, 0), F4(0), 12, R);
	mdb_unmap(A, va4(1, 0), 12, R, false);
	consistent();
	expect(A, va4(1, 0), F4(0), 12, RW);
	expect_none(B, va4(2, 0));
	expect_none(C, va4(3, 0));
	mdb_unmap(S0, va4(0, 0), 12, W, true);
	consistent();
	expect(S0, va4(0, 0), F4(0), 12, RX);
	expect(A, va4(1, 0), F4(0), 12, R);
	finish();
}
END_TEST

START_TEST(status_gathered)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	chain(RW);
	touch(C, va4(3, 0), DIRTY);
	touch(B, va4(2, 0), ACC);
	touch(A, va4(1, 0), DIRTY);
	ck_assert_uint_eq(mdb_unmap(B, va4(2, 0), 12, 0, false), ACC | DIRTY);
	ck_assert_uint_eq(mdb_unmap(B, va4(2, 0), 12, 0, false), 0);
	expect(C, va4(3, 0), F4(0), 12, RW);
	ck_assert_uint_eq(mdb_unmap(S0, va4(0, 0), 12, 0, false), DIRTY);
	touch(C, va4(3, 0), ACC);
	ck_assert_uint_eq(mdb_unmap(A, va4(1, 0), 12, W, true), ACC);
	expect(A, va4(1, 0), F4(0), 12, R);
	touch(C, va4(3, 0), DIRTY);
	ck_assert_uint_eq(mdb_unmap(B, va4(2, 0), 12, RWX, false), DIRTY);
	ck_assert_uint_eq(mdb_unmap(E, va4(0, 0), 12, RWX, true), 0);
	consistent();
	finish();
}
END_TEST

START_TEST(overmap)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	root_ok(S0, va4(0, 1), F4(1), 12, RWX);
	root_ok(S0, va2(1), F2(0), 21, RWX);
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, RW, false);
	map_ok(A, va4(1, 0), B, va4(1, 0), 12, RW, false);
	/* Another frame over A's mapping: A's subtree goes. */
	map_ok(S0, va4(0, 1), A, va4(1, 0), 12, R, false);
	expect(A, va4(1, 0), F4(1), 12, R);
	expect_none(B, va4(1, 0));
	ck_assert_uint_eq(mdb_node_count(), 4);
	/* The same frame from another parent is not an upgrade: it replaces. */
	map_ok(S0, va4(0, 1), D, va4(0, 0), 12, RW, false);
	map_ok(A, va4(1, 0), E, va4(0, 0), 12, R, false);
	map_ok(D, va4(0, 0), A, va4(1, 0), 12, RW, false);
	expect(A, va4(1, 0), F4(1), 12, RW);
	expect_none(E, va4(0, 0));
	mdb_unmap(D, va4(0, 0), 12, RWX, false);
	expect_none(A, va4(1, 0));
	/* A 2 MiB mapping over 4 KiB ones removes them all. */
	map_ok(S0, va4(0, 0), A, va4(2, 0), 12, RW, false);
	map_ok(S0, va4(0, 1), A, va4(2, 511), 12, RW, false);
	map_ok(A, va4(2, 511), B, va4(3, 3), 12, RW, false);
	map_ok(S0, va2(1), A, va2(2), 21, RX, false);
	expect(A, va2(2), F2(0), 21, RX);
	expect_none(B, va4(3, 3));
	/* A 4 KiB mapping into a 2 MiB one splits it. */
	map_ok(A, va2(2), B, va2(3), 21, R, false);
	map_ok(S0, va4(0, 0), A, va4(2, 3), 12, RW, false);
	expect(A, va4(2, 3), F4(0), 12, RW);
	expect(A, va4(2, 4), F2(0) + 4 * K4, 12, RX);
	expect(B, va4(3, 4), F2(0) + 4 * K4, 12, R);
	expect_none(B, va4(3, 3));
	finish();
}
END_TEST

START_TEST(upgrade_in_place)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, R, false);
	map_ok(A, va4(1, 0), B, va4(2, 0), 12, R, false);
	touch(A, va4(1, 0), ACC);
	/* Asking for what it has already changes nothing, status stays. */
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, R, false);
	ck_assert_uint_eq(pte_at(A, va4(1, 0))->status, ACC);
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, W, false);
	expect(A, va4(1, 0), F4(0), 12, RW);
	expect(B, va4(2, 0), F4(0), 12, R);
	/* The upgrade raised the rights in place: the status stays. */
	ck_assert_uint_eq(pte_at(A, va4(1, 0))->status, ACC);
	ck_assert_uint_eq(mdb_node_count(), 3);
	/* Mapping onto the sender's own mapping or an ancestor is a no-op. */
	map_ok(A, va4(1, 0), S0, va4(0, 0), 12, R, false);
	map_ok(A, va4(1, 0), A, va4(1, 0), 12, R, true);
	expect(S0, va4(0, 0), F4(0), 12, RWX);
	expect(A, va4(1, 0), F4(0), 12, RW);
	ck_assert_uint_eq(mdb_node_count(), 3);
	finish();
}
END_TEST

START_TEST(grant_merges)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, RWX, false);
	map_ok(A, va4(1, 0), B, va4(2, 0), 12, R, false);
	map_ok(B, va4(2, 0), C, va4(3, 0), 12, R, false);
	map_ok(A, va4(1, 0), D, va4(0, 0), 12, W, false);
	/* A grants onto B's mapping, derived from A's: B takes A's place. */
	map_ok(A, va4(1, 0), B, va4(2, 0), 12, RX, true);
	expect_none(A, va4(1, 0));
	expect(B, va4(2, 0), F4(0), 12, RX);
	expect(C, va4(3, 0), F4(0), 12, R);
	expect_none(D, va4(0, 0));    /* lost W, the grant dropped it */
	ck_assert_uint_eq(mdb_node_count(), 3);
	mdb_unmap(B, va4(2, 0), 12, RWX, false);
	expect_none(C, va4(3, 0));
	/* And a 2 MiB one, with 4 KiB pieces hanging below. */
	root_ok(S0, va2(1), F2(0), 21, RWX);
	map_ok(S0, va2(1), A, va2(1), 21, RWX, false);
	map_ok(A, va2(1), B, va2(2), 21, RW, false);
	map_ok(B, va4(2, 7), C, va4(3, 7), 12, R, false);
	map_ok(A, va4(1, 8), D, va4(3, 8), 12, W, false);
	map_ok(A, va2(1), B, va2(2), 21, RW, true);
	expect_none(A, va2(1));
	expect(B, va2(2), F2(0), 21, RW);
	expect(C, va4(3, 7), F2(0) + 7 * K4, 12, R);
	expect(D, va4(3, 8), F2(0) + 8 * K4, 12, W);
	mdb_unmap(B, va2(2), 21, W, false);
	expect_none(D, va4(3, 8));
	expect(C, va4(3, 7), F2(0) + 7 * K4, 12, R);
	finish();
}
END_TEST

START_TEST(superpages)
{
	root_ok(S0, va2(0), F2(0), 21, RWX);
	map_ok(S0, va4(0, 5), A, va4(1, 0), 12, RWX, false);
	map_ok(A, va4(1, 0), D, va4(1, 1), 12, RW, false);
	map_ok(S0, va2(0), B, va2(1), 21, RW, false);
	map_ok(B, va4(1, 7), C, va4(2, 0), 12, R, false);
	expect(A, va4(1, 0), F2(0) + 5 * K4, 12, RWX);
	expect(B, va2(1), F2(0), 21, RW);
	ck_assert_uint_eq(mdb_node_count(), 5);
	/* Unmapping one piece splits B's superpage; sigma0's, not flushed,
	 * stays whole. */
	mdb_unmap(S0, va4(0, 5), 12, RWX, false);
	consistent();
	expect(S0, va2(0), F2(0), 21, RWX);
	expect_none(A, va4(1, 0));
	expect_none(D, va4(1, 1));
	expect_none(B, va4(1, 5));
	expect(B, va4(1, 6), F2(0) + 6 * K4, 12, RW);
	expect(C, va4(2, 0), F2(0) + 7 * K4, 12, R);
	ck_assert_uint_eq(mdb_node_count(), 1 + 511 + 1);
	/* C hangs from sigma0's piece 7 through B's. */
	mdb_unmap(S0, va4(0, 7), 12, W, false);
	expect(B, va4(1, 7), F2(0) + 7 * K4, 12, R);
	expect(C, va4(2, 0), F2(0) + 7 * K4, 12, R);
	mdb_unmap(S0, va4(0, 7), 12, R, false);
	expect_none(C, va4(2, 0));
	/* A flush of one piece splits sigma0's superpage. */
	mdb_unmap(S0, va4(0, 8), 12, RWX, true);
	consistent();
	expect_none(S0, va4(0, 8));
	expect(S0, va4(0, 9), F2(0) + 9 * K4, 12, RWX);
	expect_none(B, va4(1, 8));
	/* A 2 MiB unmap over 4 KiB pages takes them all. */
	mdb_unmap(B, va2(1), 21, RWX, true);
	consistent();
	ck_assert_uint_eq(B->count, 0);
	/* 2 MiB maps need a 2 MiB sender. */
	ck_assert_int_eq(mdb_map(S0, va2(0), A, va2(2), 21, RW, false), E_BAD_ARGUMENT);
	finish();
}
END_TEST

START_TEST(grant_piece_splits_sender)
{
	root_ok(S0, va2(0), F2(0), 21, RWX);
	map_ok(S0, va2(0), A, va2(1), 21, RWX, false);
	map_ok(A, va4(1, 2), B, va4(2, 0), 12, RW, false);
	map_ok(A, va4(1, 9), C, va4(3, 0), 12, RW, true);
	expect(S0, va2(0), F2(0), 21, RWX);
	expect(A, va4(1, 0), F2(0), 12, RWX);
	expect_none(A, va4(1, 9));
	expect(C, va4(3, 0), F2(0) + 9 * K4, 12, RW);
	expect(B, va4(2, 0), F2(0) + 2 * K4, 12, RW);
	ck_assert_uint_eq(mdb_node_count(), 1 + 511 + 1 + 1);
	/* C derives from sigma0 directly now, B through A's piece. */
	mdb_unmap(S0, va2(0), 21, W, false);
	expect(C, va4(3, 0), F2(0) + 9 * K4, 12, R);
	expect(B, va4(2, 0), F2(0) + 2 * K4, 12, R);
	mdb_unmap(A, va4(1, 2), 12, RWX, true);
	expect_none(B, va4(2, 0));
	expect(C, va4(3, 0), F2(0) + 9 * K4, 12, R);
	finish();
}
END_TEST

START_TEST(split_fallback)
{
	root_ok(S0, va2(0), F2(0), 21, RWX);
	map_ok(S0, va2(0), B, va2(1), 21, RWX, false);
	map_ok(B, va4(1, 3), C, va4(2, 0), 12, RX, false);
	/* No page tables for B's split: the whole 2 MiB mapping is covered. */
	B->fail_split = true;
	mdb_unmap(S0, va4(0, 3), 12, W, false);
	consistent();
	expect(S0, va2(0), F2(0), 21, RWX);
	expect(B, va2(1), F2(0), 21, RX);
	expect(C, va4(2, 0), F2(0) + 3 * K4, 12, RX);
	/* No quota for B's nodes: the same, here with flush. */
	B->fail_split = false;
	kmem_set_quota(&B->acct, B->acct.used);
	mdb_unmap(S0, va4(0, 3), 12, X, true);
	consistent();
	expect(S0, va2(0), F2(0), 21, RW);
	expect(B, va2(1), F2(0), 21, R);
	expect(C, va4(2, 0), F2(0) + 3 * K4, 12, R);
	/* Half the subtree splits, B's part does not: still all covered. */
	map_ok(S0, va2(0), D, va2(3), 21, RW, false);
	map_ok(D, va2(3), E, va2(3), 21, RW, false);
	mdb_unmap(S0, va4(0, 3), 12, W, false);
	consistent();
	expect(S0, va2(0), F2(0), 21, RW);
	expect(B, va2(1), F2(0), 21, R);
	ck_assert_uint_eq(rights_at(D, va4(3, 100)), R);
	ck_assert_uint_eq(rights_at(E, va4(3, 3)), R);
	finish();
}
END_TEST

START_TEST(overmap_split_fallback)
{
	root_ok(S0, va2(0), F2(0), 21, RWX);
	root_ok(S0, va4(1, 0), F4(0), 12, RWX);
	map_ok(S0, va2(0), A, va2(1), 21, R, false);
	map_ok(A, va2(1), C, va2(1), 21, R, false);
	/* An upgrade of one piece must split; without memory: an error. */
	A->fail_split = true;
	ck_assert_int_eq(mdb_map(S0, va4(0, 4), A, va4(1, 4), 12, RW, false), E_NO_MEMORY);
	consistent();
	expect(A, va2(1), F2(0), 21, R);
	/* Without new rights it needs no split at all. */
	map_ok(S0, va4(0, 4), A, va4(1, 4), 12, R, false);
	expect(A, va2(1), F2(0), 21, R);
	/* Other frames overmap: the unsplittable mapping goes whole. */
	map_ok(S0, va4(1, 0), A, va4(1, 2), 12, RW, false);
	expect(A, va4(1, 2), F4(0), 12, RW);
	expect_none(A, va4(1, 3));
	expect_none(C, va2(1));
	ck_assert_uint_eq(mdb_node_count(), 3);
	finish();
}
END_TEST

START_TEST(quota_changes_nothing)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	root_ok(S0, va4(0, 1), F4(1), 12, RWX);
	root_ok(S0, va2(1), F2(0), 21, RWX);
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, RW, false);
	map_ok(A, va4(1, 0), B, va4(1, 0), 12, RW, false);
	map_ok(S0, va2(1), A, va2(2), 21, RW, false);
	kmem_set_quota(&A->acct, A->acct.used);
	/* An overmap that cannot get its node changes nothing. */
	ck_assert_int_eq(mdb_map(S0, va4(0, 1), A, va4(1, 0), 12, RW, false), E_NO_MEMORY);
	ck_assert_int_eq(mdb_map(S0, va2(1), A, va2(3), 21, RW, false), E_NO_MEMORY);
	ck_assert_int_eq(mdb_map(S0, va4(0, 1), A, va4(2, 5), 12, RW, false), E_NO_MEMORY);
	ck_assert_int_eq(mdb_map(B, va4(1, 0), A, va4(3, 0), 12, RW, true), E_NO_MEMORY);
	consistent();
	expect(A, va4(1, 0), F4(0), 12, RW);
	expect(A, va2(2), F2(0), 21, RW);
	expect(B, va4(1, 0), F4(0), 12, RW);
	expect_none(A, va4(3, 0));
	ck_assert_uint_eq(mdb_node_count(), 6);
	/* A grant within one account moves no charge. */
	map_ok(A, va4(1, 0), A, va4(3, 0), 12, RW, true);
	kmem_set_quota(&A->acct, SIZE_MAX);
	/* Page tables lacking: nothing either. */
	A->fail_prepare = true;
	ck_assert_int_eq(mdb_map(S0, va4(0, 1), A, va4(3, 0), 12, RW, false), E_NO_MEMORY);
	ck_assert_int_eq(mdb_map(B, va4(1, 0), A, va4(3, 1), 12, RW, true), E_NO_MEMORY);
	ck_assert_int_eq(mdb_root(A, va4(3, 9), F4(9), 12, RW), E_NO_MEMORY);
	consistent();
	expect(A, va4(3, 0), F4(0), 12, RW);
	expect(B, va4(1, 0), F4(0), 12, RW);
	A->fail_prepare = false;
	/* The kernel account pays for index pages. */
	mdb_unmap(S0, va2(3), 21, RWX, true);
	root_ok(S0, va2(3), F2(1), 21, RWX);
	kmem_set_quota(&kacct, kacct.used);
	ck_assert_int_eq(mdb_root(S0, va4(2, 0), (word_t)0x80000000, 12, RW), E_NO_MEMORY);
	ck_assert_int_eq(mdb_map(S0, va4(3, 5), C, va4(0, 0), 12, RW, false), E_NO_MEMORY);
	map_ok(S0, va2(3), C, va2(1), 21, RW, false);
	consistent();
	expect_none(C, va4(0, 0));
	kmem_set_quota(&kacct, SIZE_MAX);
	finish();
}
END_TEST

START_TEST(not_mapped)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, R, false);
	ck_assert_int_eq(mdb_map(B, va4(0, 0), C, va4(0, 0), 12, RW, false), E_IPC_NOT_MAPPED);
	ck_assert_int_eq(mdb_map(B, va2(0), C, va2(0), 21, RW, true), E_IPC_NOT_MAPPED);
	ck_assert_int_eq(mdb_map(A, va4(1, 0), C, va4(0, 0), 12, W | X, false), E_IPC_NOT_MAPPED);
	ck_assert_int_eq(mdb_map(A, va4(1, 0), C, va4(0, 0), 12, 0, true), E_IPC_NOT_MAPPED);
	ck_assert_int_eq(mdb_map(A, va2(1), C, va2(0), 21, R, false), E_BAD_ARGUMENT);
	ck_assert_uint_eq(mdb_unmap(C, va4(0, 0), 12, RWX, true), 0);
	consistent();
	ck_assert_uint_eq(mdb_node_count(), 2);
	finish();
}
END_TEST

START_TEST(depth_limit)
{
	struct space *prev = S0;
	word_t pva = va4(0, 0);

	root_ok(S0, pva, F4(0), 12, RWX);
	for (unsigned depth = 1; depth <= MDB_MAX_DEPTH; depth++) {
		struct space *s = depth & 1 ? A : B;
		word_t va = va4(1, depth / 2);
		ck_assert_int_eq(mdb_map(prev, pva, s, va, 12, RW, false), E_OK);
		prev = s;
		pva = va;
	}
	consistent();
	ck_assert_uint_eq(mdb_node_count(), MDB_MAX_DEPTH + 1);
	ck_assert_int_eq(mdb_map(prev, pva, C, va4(0, 0), 12, RW, false), E_NO_MEMORY);
	expect_none(C, va4(0, 0));
	/* A grant does not deepen the tree. */
	map_ok(prev, pva, C, va4(0, 0), 12, RW, true);
	ck_assert_uint_eq(mdb_node_count(), MDB_MAX_DEPTH + 1);
	mdb_unmap(S0, va4(0, 0), 12, W, false);
	expect(C, va4(0, 0), F4(0), 12, R);
	finish();
}
END_TEST

START_TEST(roots)
{
	root_ok(S0, va2(0), F2(0), 21, RWX);
	ck_assert_int_eq(mdb_root(A, va2(0), F2(0), 21, RWX), E_EXISTS);
	ck_assert_int_eq(mdb_root(A, va4(0, 0), F2(0) + 3 * K4, 12, RWX), E_EXISTS);
	root_ok(S0, va4(1, 0), F4(0), 12, RWX);
	ck_assert_int_eq(mdb_root(A, va2(0), ALIGN_DOWN(F4(0), M2), 21, RWX), E_EXISTS);
	ck_assert_int_eq(mdb_root(A, va4(0, 0), F4(0), 12, RWX), E_EXISTS);
	ck_assert_int_eq(mdb_root(A, va4(0, 0), (word_t)1 << 40, 12, RWX), E_BAD_ARGUMENT);
	/* A root over an existing mapping replaces it. */
	map_ok(S0, va4(1, 0), A, va4(2, 0), 12, RW, false);
	root_ok(S0, va4(1, 0), F4(1), 12, RW);
	expect(S0, va4(1, 0), F4(1), 12, RW);
	expect_none(A, va4(2, 0));
	/* Flushing a root takes the frame out; it can be rooted anew. */
	mdb_unmap(S0, va4(1, 0), 12, RWX, true);
	root_ok(A, va4(2, 0), F4(1), 12, R);
	root_ok(A, va4(2, 1), F4(0), 12, R);
	/* A split root gives 4 KiB roots. */
	mdb_unmap(S0, va4(0, 9), 12, RWX, true);
	root_ok(B, va4(0, 9), F2(0) + 9 * K4, 12, RW);
	ck_assert_int_eq(mdb_root(B, va4(0, 8), F2(0) + 8 * K4, 12, RW), E_EXISTS);
	finish();
}
END_TEST

START_TEST(check_catches_damage)
{
	root_ok(S0, va4(0, 0), F4(0), 12, RWX);
	chain(RW);
	printf("check_catches_damage: two mdb_check complaints follow, as intended\n");
	pte_at(B, va4(2, 0))->rights = RWX;
	ck_assert(!mdb_check());
	pte_at(B, va4(2, 0))->rights = RW;
	pte_at(C, va4(3, 0))->pa = F4(1);
	ck_assert(!mdb_check());
	pte_at(C, va4(3, 0))->pa = F4(0);
	ck_assert(mdb_check());
	finish();
}
END_TEST

/* ---- Damage: every branch of mdb_check, each by one broken structure. ---- */

/* A database with every kind of node: S0's 2 MiB roots at F2(0) and F2(1)
 * and 4 KiB root at F4(0); D's 2 MiB child of the first, A's 4 KiB piece
 * of it (a head), B's child of A's (inside A's segment), C's of the 4 KiB
 * root. */
static struct {
	struct mdb_node *big, *other, *d, *a, *b, *root4, *c;
} dmg;

static void damage_world(void)
{
	root_ok(S0, va2(0), F2(0), 21, RWX);
	root_ok(S0, va2(2), F2(1), 21, RWX);
	root_ok(S0, va4(1, 0), F4(0), 12, RWX);
	map_ok(S0, va2(0), D, va2(0), 21, RX, false);
	map_ok(S0, va4(0, 0), A, va4(1, 0), 12, RW, false);
	map_ok(A, va4(1, 0), B, va4(2, 0), 12, R, false);
	map_ok(S0, va4(1, 0), C, va4(0, 0), 12, RWX, false);
	dmg.big = *mdb_list(F2(0), 21);
	dmg.d = dmg.big->next;
	dmg.other = *mdb_list(F2(1), 21);
	dmg.a = *mdb_list(F2(0), 12);
	dmg.b = dmg.a->next;
	dmg.root4 = *mdb_list(F4(0), 12);
	dmg.c = dmg.root4->next;
	ck_assert(dmg.d->space == D && dmg.a->space == A && dmg.b->space == B &&
		  dmg.c->space == C && dmg.other->space == S0);
}

#define MDB_CATCHES(what) unit_check_catches(mdb_check(), "mdb_check: ", what)

/* Break one field, expect the branch, mend it: the word saved in `save`. */
#define DAMAGE(field, value, what)                \
	do {                                      \
		__typeof__(field) save = (field); \
		(field) = (value);                \
		MDB_CATCHES(what);                \
		(field) = save;                   \
		ck_assert(mdb_check());           \
	} while (0)

/* The same for mdb_check_at(pa, log2), the check of one frame. */
#define DAMAGE_AT(pa, log2, field, value, what)                                  \
	do {                                                                     \
		__typeof__(field) save = (field);                                \
		(field) = (value);                                               \
		unit_check_catches(mdb_check_at(pa, log2), "mdb_check: ", what); \
		(field) = save;                                                  \
		ck_assert(mdb_check_at(pa, log2) && mdb_check());                \
	} while (0)

START_TEST(check_damage_nodes)
{
	damage_world();
	DAMAGE(dmg.a->word, dmg.a->word | MDB_SUPER_BIT, "in the wrong list or misaligned");
	DAMAGE(dmg.b->word, dmg.b->word | X, "parent's not a superset");
	DAMAGE(dmg.c->word, dmg.c->word & ~MDB_RIGHTS_MASK, "parent's not a superset");
	DAMAGE(pte_at(B, va4(2, 0))->rights, RW, "disagrees with its PTE");
	DAMAGE(pte_at(C, va4(0, 0))->pa, F4(1), "disagrees with its PTE");
	DAMAGE(dmg.root4->word, dmg.root4->word | (1u << MDB_DEPTH_SHIFT), "or a second root");
	DAMAGE(dmg.d->parent, NULL, "or a second root");
	dmg.a->parent = NULL;                  /* a 4 KiB root beside a 2 MiB tree */
	dmg.a->word = mdb_word(va4(1, 0), 0, false, RW);
	MDB_CATCHES("not alone in its frame");
	dmg.a->parent = dmg.big;
	dmg.a->word = mdb_word(va4(1, 0), 1, false, RW);
	ck_assert(mdb_check());
	DAMAGE(dmg.a->parent, dmg.other, "outside its 2 MiB frame");
	DAMAGE(dmg.a->word, mdb_word(va4(1, 0), 2, false, RW), "depth 2 under 0");
	DAMAGE(dmg.b->word, mdb_word(va4(2, 0), 1, false, R), "escapes its segment");
	DAMAGE(dmg.b->parent, dmg.c, "out of preorder");
	DAMAGE(dmg.b->space, NULL, "names no space");
	finish();
}
END_TEST

/* mdb_check_at, the check of one frame after a change (kdebug_change.c),
 * catches damage in the lists of the frame it is given and only there. */
START_TEST(check_local_damage)
{
	word_t save;

	damage_world();
	save = dmg.b->word;
	dmg.b->word |= X;                      /* in the 4K list of F2(0)'s first page */
	ck_assert(mdb_check_at(F4(0), 12));
	ck_assert(mdb_check_at(F2(1), 21));
	ck_assert(mdb_check_at(F2(0) + K4, 12));
	unit_check_catches(mdb_check_at(F2(0), 12), "mdb_check: ", "parent's not a superset");
	unit_check_catches(mdb_check_at(F2(0), 21), "mdb_check: ", "parent's not a superset");
	dmg.b->word = save;
	DAMAGE_AT(F2(0), 21, mdb_frame(F2(0))->pieces_used, 2, "1 4K lists used, 2 counted");
	DAMAGE_AT(F4(0), 12, pte_at(C, va4(0, 0))->pa, F4(1), "disagrees with its PTE");
	finish();
}
END_TEST

START_TEST(check_damage_index_and_counts)
{
	static struct mdb_dir empty __attribute__((aligned(KMEM_PAGE)));
	static struct mdb_node *empty_heads[MDB_PIECES];

	damage_world();
	DAMAGE(mdb.nodes, 2, "more nodes in lists than counted");
	DAMAGE(mdb.nodes, mdb.nodes + 1, "nodes in lists, 8 counted");
	DAMAGE(mdb_frame(F2(0))->pieces_used, 2, "1 4K lists used, 2 counted");
	DAMAGE(mdb_frame(F2(1))->pieces, empty_heads, "0 4K lists used, 0 counted");
	DAMAGE(mdb.top[MDB_TOP_DIRS - 1], &empty, "empty directory 511 kept");
	finish();
}
END_TEST

START_TEST(check_damage_charges)
{
	static struct space ghost;

	damage_world();
	DAMAGE(C->mdb.nodes, 2, "holds 1 nodes in the lists, pays for 2");
	DAMAGE(C->mdb.nodes, 0, "holds 1 nodes in the lists, pays for 0");
	DAMAGE(B->acct.used, MDB_NODE_BYTES - 1, "pays for 1 nodes, its account has 31 bytes");
	/* A node of a space the kernel no longer lists (its PTE copied along,
	 * its count moved with it): only the total can tell. */
	ghost = *B;
	B->mdb.nodes--;
	dmg.b->space = &ghost;
	MDB_CATCHES("1 nodes of spaces that are gone");
	dmg.b->space = B;
	B->mdb.nodes++;
	finish();
}
END_TEST

/* The pager stack: sigma0 holds a 2 MiB root, A takes every 4 KiB piece
 * and passes it on to B, B to C. */
START_TEST(pager_stack)
{
	size_t after_root;

	root_ok(S0, va2(0), F2(0), 21, RWX);
	after_root = kmem_free_bytes();
	for (unsigned i = 0; i < 512; i++) {
		ck_assert_int_eq(mdb_map(S0, va4(0, i), A, va4(1, i), 12, RW, false), E_OK);
		ck_assert_int_eq(mdb_map(A, va4(1, i), B, va4(2, i), 12, RW, false), E_OK);
		ck_assert_int_eq(mdb_map(B, va4(2, i), C, va4(3, i), 12, R, false), E_OK);
	}
	consistent();
	ck_assert_uint_eq(mdb_node_count(), 1 + 3 * 512);
	expect(S0, va2(0), F2(0), 21, RWX);
	for (unsigned i = 0; i < 512; i += 2)
		mdb_unmap(A, va4(1, i), 12, RWX, false);
	consistent();
	ck_assert_uint_eq(mdb_node_count(), 1 + 512 + 2 * 256);
	expect(C, va4(3, 1), F2(0) + K4, 12, R);
	expect_none(C, va4(3, 2));
	mdb_unmap(S0, va2(0), 21, W, false);
	expect(B, va4(2, 1), F2(0) + K4, 12, R);
	/* With the pieces gone, so is their index page: only the root stays. */
	for (unsigned i = 0; i < 512; i++)
		mdb_unmap(A, va4(1, i), 12, RWX, true);
	consistent();
	ck_assert_uint_eq(mdb_node_count(), 1);
	ck_assert_uint_eq(kmem_free_bytes(), after_root);
	finish();
}
END_TEST

/* ---- The random test against a reference model. ---- */

#define R_SPACES 6
#define R_STEPS 120000
#define MM_MAX 65536

/* One mapping of the model. */
struct mm {
	int space;            /* -1: free */
	word_t va, pa;
	unsigned log2, rights, status;
	int parent;           /* index, -1 for a root */
};

static struct mm mm[MM_MAX];
static int mm_live[MM_MAX], mm_pos[MM_MAX], mm_nlive;
static int mm_free[MM_MAX], mm_nfree;
static int mm_at[R_SPACES][VA_PAGES];     /* mapping covering each page */
static int mm_buf[MM_MAX];
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static unsigned rnd(unsigned n)
{
	return (unsigned)(rng() % n);
}

static void mm_init(void)
{
	mm_nlive = 0;
	mm_nfree = MM_MAX;
	for (int i = 0; i < MM_MAX; i++) {
		mm_free[i] = MM_MAX - 1 - i;
		mm[i].space = -1;
	}
	memset(mm_at, 0xff, sizeof(mm_at));
}

static void mm_cover(int i, int value)
{
	size_t first = page_of(mm[i].va), n = (size_t)1 << (mm[i].log2 - 12);

	for (size_t p = first; p < first + n; p++) {
		must(value < 0 || mm_at[mm[i].space][p] < 0);
		if (value >= 0 || mm_at[mm[i].space][p] == i)
			mm_at[mm[i].space][p] = value;
	}
}

static int mm_new(int space, word_t va, word_t pa, unsigned log2, unsigned rights, int parent,
		  unsigned status)
{
	int i;

	must(mm_nfree > 0);
	i = mm_free[--mm_nfree];
	mm[i] = (struct mm){ space, va, pa, log2, rights, status, parent };
	mm_pos[i] = mm_nlive;
	mm_live[mm_nlive++] = i;
	mm_cover(i, i);
	return i;
}

static void mm_del(int i)
{
	int last = mm_live[--mm_nlive];

	mm_cover(i, -1);
	mm_live[mm_pos[i]] = last;
	mm_pos[last] = mm_pos[i];
	mm[i].space = -1;
	mm_free[mm_nfree++] = i;
}

static int mm_lookup(int space, word_t va)
{
	return mm_at[space][page_of(va)];
}

static unsigned mm_depth(int i)
{
	unsigned d = 0;

	while ((i = mm[i].parent) >= 0)
		d++;
	return d;
}

static bool mm_anc_or_self(int a, int n)
{
	while (n >= 0 && n != a)
		n = mm[n].parent;
	return n == a;
}

/* Strict descendants of x into out; returns how many. */
static int mm_descendants(int x, int *out)
{
	int n = 0;

	for (int k = 0; k < mm_nlive; k++) {
		int i = mm_live[k];
		if (i != x && mm_anc_or_self(x, i))
			out[n++] = i;
	}
	return n;
}

#define MM_ALL (~(word_t)0)

/* The mapdb's revocation, naively: see mdb_revoke_node. Only the derived
 * mappings of frame `only` unless that is MM_ALL. */
static unsigned mm_revoke(int x, unsigned mask, bool flush, bool collect, word_t only)
{
	int n = mm_descendants(x, mm_buf), dead = 0;
	unsigned status = 0;

	for (int k = 0; only != MM_ALL && k < n; k++)
		if (mm[mm_buf[k]].pa != only)
			mm_buf[k--] = mm_buf[--n];
	mm_buf[n++] = x;
	for (int k = 0; k < n; k++) {
		struct mm *m = &mm[mm_buf[k]];
		unsigned keep = mm_buf[k] == x && !flush ? m->rights : m->rights & ~mask;
		if (!keep || keep != m->rights || collect) {
			status |= m->status;
			m->status = 0;
		}
		m->rights = keep;
		if (!keep)
			mm_buf[dead++] = mm_buf[k];
	}
	for (int k = 0; k < dead; k++)
		mm_del(mm_buf[k]);
	return status;
}

/* Split 2 MiB mapping x and every 2 MiB mapping derived from it; ppieces
 * are the pieces of x's parent if that was split too. */
static void mm_split(int x, const int *ppieces)
{
	int pieces[512], nkids = 0, *kids;
	struct mm big = mm[x];

	must(big.log2 == 21);
	for (int k = 0; k < mm_nlive; k++)
		nkids += mm[mm_live[k]].parent == x;
	kids = malloc(sizeof(int) * (size_t)(nkids + 1));
	nkids = 0;
	for (int k = 0; k < mm_nlive; k++)
		if (mm[mm_live[k]].parent == x)
			kids[nkids++] = mm_live[k];
	mm_cover(x, -1);
	for (unsigned i = 0; i < 512; i++)
		pieces[i] = mm_new(big.space, big.va + i * K4, big.pa + i * K4, 12, big.rights,
				   ppieces ? ppieces[i] : big.parent, big.status);
	for (int k = 0; k < nkids; k++) {
		int c = kids[k];
		if (mm[c].log2 == 12)
			mm[c].parent = pieces[(mm[c].pa >> 12) & 511];
		else
			mm_split(c, pieces);
	}
	mm_del(x);
	free(kids);
}

/* Remove every mapping of `space` overlapping [va, va + 2^log2). */
static void mm_clear_range(int space, word_t va, unsigned log2)
{
	int victims[512], n = 0;

	for (word_t off = 0; off < ((word_t)1 << log2); off += K4) {
		int v = mm_lookup(space, va + off);
		if (v >= 0 && (n == 0 || victims[n - 1] != v))
			victims[n++] = v;
	}
	for (int k = 0; k < n; k++)
		if (mm[victims[k]].space == space)
			mm_revoke(victims[k], RWX, true, false, MM_ALL);
}

static void mm_move(int s, int to, word_t va, unsigned rights, unsigned status)
{
	mm_cover(s, -1);
	mm[s].space = to;
	mm[s].va = va;
	mm[s].rights = rights;
	mm[s].status = status;
	mm_cover(s, s);
}

static void mm_trim(int s, unsigned keep)
{
	unsigned mask = mm[s].rights & ~keep;

	if (mask)
		mm_revoke(s, mask, false, false, MM_ALL);
}

static void mm_merge(int s, int t, unsigned rights)
{
	unsigned keep = rights | mm[t].rights, status = mm[t].status;   /* raised in place */
	int to = mm[t].space;
	word_t va = mm[t].va;

	for (int k = 0; k < mm_nlive; k++)
		if (mm[mm_live[k]].parent == t)
			mm[mm_live[k]].parent = s;
	mm_del(t);
	mm_trim(s, keep);
	mm_move(s, to, va, keep, status);
}

/* The target mapping t is on the receiver's side; returns -1 to go on. */
static int mm_map_same(int s, int t, word_t pa, unsigned log2, unsigned rights, bool grant)
{
	if (t < 0 || mm[t].log2 != log2 || mm[t].pa != pa)
		return -1;
	if (mm_anc_or_self(t, s))
		return E_OK;
	if (mm[t].parent != s)
		return -1;
	if (grant) {
		mm_merge(s, t, rights);
	} else {
		mm[t].rights |= rights;         /* raised in place: the status stays */
	}
	return E_OK;
}

static int mm_map(int from, word_t fva, int to, word_t tva, unsigned log2, unsigned want, bool grant)
{
	int s = mm_lookup(from, fva), t, done;
	unsigned rights;
	word_t pa;

	if (s < 0)
		return E_IPC_NOT_MAPPED;
	if (mm[s].log2 < log2)
		return E_BAD_ARGUMENT;
	rights = want & mm[s].rights;
	if (!rights)
		return E_IPC_NOT_MAPPED;
	pa = mm[s].pa + (fva - mm[s].va);
	if (grant && mm[s].log2 > log2) {
		mm_split(s, NULL);
		s = mm_lookup(from, fva);
	}
	t = mm_lookup(to, tva);
	if (t >= 0 && mm[t].log2 > log2) {
		bool same = mm[t].pa + (tva - mm[t].va) == pa;
		if (same && mm_anc_or_self(t, s))
			return E_OK;
		if (same && mm[t].parent == s && !grant && !(rights & ~mm[t].rights))
			return E_OK;
		mm_split(t, NULL);
		s = mm_lookup(from, fva);
		t = mm_lookup(to, tva);
	}
	if ((done = mm_map_same(s, t, pa, log2, rights, grant)) >= 0)
		return done;
	if (!grant && mm_depth(s) >= MDB_MAX_DEPTH)
		return E_NO_MEMORY;
	mm_clear_range(to, tva, log2);
	must(mm[s].space == from);
	if (!grant) {
		mm_new(to, tva, pa, log2, rights, s, 0);
	} else {
		mm_trim(s, rights);
		mm_move(s, to, tva, rights, 0);
	}
	return E_OK;
}

static int mm_root(int space, word_t va, word_t pa, unsigned log2, unsigned rights)
{
	int t;

	for (int k = 0; k < mm_nlive; k++) {
		struct mm *m = &mm[mm_live[k]];
		bool same2m = m->pa >> 21 == pa >> 21;
		if (log2 == 21 || m->log2 == 21 ? same2m : m->pa == pa)
			return E_EXISTS;
	}
	t = mm_lookup(space, va);
	if (t >= 0 && mm[t].log2 > log2)
		mm_split(t, NULL);
	mm_clear_range(space, va, log2);
	mm_new(space, va, pa, log2, rights, -1, 0);
	return E_OK;
}

/* A 4 KiB unmap without flush in 2 MiB mapping m: derived 2 MiB mappings
 * split, m stays whole, the piece's derived mappings lose the rights. */
static unsigned mm_unmap_piece(int m, word_t va, unsigned rights)
{
	int kids[MM_MAX / 512], n = 0;

	for (int k = 0; k < mm_nlive; k++)
		if (mm[mm_live[k]].parent == m && mm[mm_live[k]].log2 == 21)
			kids[n++] = mm_live[k];
	for (int k = 0; k < n; k++)
		mm_split(kids[k], NULL);
	return mm_revoke(m, rights, false, true, mm[m].pa + (va - mm[m].va));
}

static unsigned mm_unmap_page(int space, word_t va, unsigned log2, unsigned rights, bool flush)
{
	int m = mm_lookup(space, va);

	if (m < 0)
		return 0;
	if (mm[m].log2 > log2 && !flush)
		return mm_unmap_piece(m, va, rights);
	if (mm[m].log2 > log2) {
		mm_split(m, NULL);
		m = mm_lookup(space, va);
	}
	return mm_revoke(m, rights, flush, true, MM_ALL);
}

static unsigned mm_unmap(int space, word_t va, unsigned log2, unsigned rights, bool flush)
{
	int m = mm_lookup(space, va);
	unsigned status = 0;

	if (log2 == 12 || (m >= 0 && mm[m].log2 == 21))
		return mm_unmap_page(space, va, log2, rights, flush);
	for (unsigned i = 0; i < 512; i++)
		status |= mm_unmap_page(space, va + i * K4, 12, rights, flush);
	return status;
}

/* mdb_unmap_range in the model: each mapping met in address order,
 * whole if it lies inside the range, else page by page. */
static unsigned mm_unmap_range(int space, word_t va, word_t size, unsigned rights, bool flush)
{
	word_t end = va + size;
	unsigned status = 0;

	for (word_t v = va; v < end; v += K4) {
		int m = mm_lookup(space, v);
		if (m < 0)
			continue;
		if (mm[m].log2 == 21 && mm[m].va == v && v + M2 <= end) {
			status |= mm_unmap(space, v, 21, rights, flush);
			v += M2 - K4;
		} else {
			status |= mm_unmap(space, v, 12, rights, flush);
		}
	}
	return status;
}

/* Every page table, account and the database agree with the model. */
static void mm_compare(unsigned long step)
{
	unsigned count[R_SPACES] = { 0 };

	for (int k = 0; k < mm_nlive; k++) {
		struct mm *m = &mm[mm_live[k]];
		struct fake_pte *e = pte_at(&sp[m->space], m->va);
		count[m->space]++;
		must_msg(e && e == &sp[m->space].pte[page_of(m->va)] && e->pa == m->pa &&
				      e->log2 == m->log2 && e->rights == m->rights && e->status == m->status,
			      "step %lu: space %d va %lx: model pa %lx log2 %u rights %u status %u", step,
			      m->space, (unsigned long)m->va, (unsigned long)m->pa, m->log2, m->rights,
			      m->status);
	}
	for (int i = 0; i < R_SPACES; i++) {
		must_msg(sp[i].count == count[i], "step %lu: space %d has %u mappings, model %u",
			      step, i, sp[i].count, count[i]);
		must_eq(sp[i].acct.used, count[i] * MDB_NODE_BYTES);
	}
	must_eq(mdb_node_count(), (size_t)mm_nlive);
	must_msg(mdb_check(), "step %lu: mdb_check failed", step);
}

static word_t r_va(unsigned log2)
{
	unsigned slot = rnd(VA_SLOTS);

	if (log2 == 21)
		return va2(slot);
	return va4(slot, rnd(10) ? rnd(8) : rnd(512));
}

static void r_root(void)
{
	static const word_t frames[] = { F2(0), F2(1), F2(4), F2(1) + 5 * K4 };
	int space = rnd(5) ? 0 : (int)rnd(R_SPACES);
	unsigned c = rnd(12), log2 = c < 3 ? 21 : 12, rights = 1 + rnd(7);
	word_t pa = c < 4 ? frames[c] : F2(4) + (c - 4) * K4, va = r_va(log2);

	must_eq(mdb_root(&sp[space], va, pa, log2, rights),
			 mm_root(space, va, pa, log2, rights));
}

/* Pick a sender's page: mostly one that is mapped. */
static void r_source(int *from, word_t *va, unsigned *log2)
{
	struct mm *m;

	if (!mm_nlive || !rnd(10)) {
		*from = (int)rnd(R_SPACES);
		*log2 = rnd(4) ? 12 : 21;
		*va = r_va(*log2);
		return;
	}
	m = &mm[mm_live[rnd((unsigned)mm_nlive)]];
	*from = m->space;
	*log2 = m->log2 == 21 ? (rnd(2) ? 21 : 12) : (rnd(20) ? 12 : 21);
	*va = *log2 == 21 ? ALIGN_DOWN(m->va, M2) : m->va;
	if (m->log2 == 21 && *log2 == 12)
		*va += (rnd(4) ? rnd(8) : rnd(512)) * K4;
}

/* Aim a map at a mapping related to the sender's: one derived from it
 * (upgrade, merge) or the one it derives from (nothing to do). */
static bool r_related(int from, word_t fva, unsigned log2, int *to, word_t *tva)
{
	int m = mm_lookup(from, fva), pick = -1, seen = 0;
	word_t pa, size;

	if (m < 0)
		return false;
	if (rnd(4) == 0)
		pick = mm[m].parent;
	else
		for (int k = 0; k < mm_nlive; k++)
			if (mm[mm_live[k]].parent == m && rnd((unsigned)++seen) == 0)
				pick = mm_live[k];
	if (pick < 0)
		return false;
	pa = mm[m].pa + (fva - mm[m].va);
	size = (word_t)1 << mm[pick].log2;
	*to = mm[pick].space;
	*tva = mm[pick].va + (pa - mm[pick].pa < size ? pa - mm[pick].pa : 0);
	*tva = ALIGN_DOWN(*tva, (word_t)1 << log2);
	return true;
}

static bool r_ranges;      /* r_unmap unmaps ranges too, r_map uses mdb_map_found */

static void r_map(void)
{
	int from, to = (int)rnd(R_SPACES);
	unsigned log2, rights = rnd(8);
	bool grant = rnd(5) == 0;
	word_t fva, tva;

	r_source(&from, &fva, &log2);
	if (rnd(3) || !r_related(from, fva, log2, &to, &tva))
		tva = r_va(log2);
	struct fake_pte *e = pte_at(&sp[from], fva);

	if (r_ranges && e && rnd(2)) {          /* the sender's PTE read by the caller */
		must_eq(mdb_map_found(&sp[from], fva, e->pa, e->log2, &sp[to], tva, log2, rights,
				      grant),
			mm_map(from, fva, to, tva, log2, rights, grant));
		return;
	}
	must_eq(mdb_map(&sp[from], fva, &sp[to], tva, log2, rights, grant),
		mm_map(from, fva, to, tva, log2, rights, grant));
}

/* Unmap an aligned range of 2^12 .. 2^23 bytes (the whole window). */
static void r_unmap_range(void)
{
	int space = (int)rnd(R_SPACES);
	unsigned log2 = 12 + rnd(12), rights = rnd(8);
	bool flush = rnd(2);
	word_t va = VA_BASE + ALIGN_DOWN((word_t)rnd(VA_PAGES) * K4, (word_t)1 << log2);

	must_eq(mdb_unmap_range(&sp[space], va, (word_t)1 << log2, rights, flush),
		mm_unmap_range(space, va, (word_t)1 << log2, rights, flush));
}

/* What space_destroy does: one range unmap with flush of the whole user
 * half (the model has nothing outside the window). */
static void r_unmap_all(void)
{
	int space = (int)rnd(R_SPACES);

	must_eq(mdb_unmap_range(&sp[space], 0, (word_t)1 << 47, RWX, true),
		mm_unmap_range(space, VA_BASE, VA_PAGES * K4, RWX, true));
}

static void r_unmap(bool reset)
{
	int space;
	unsigned log2 = reset || !rnd(3) ? 21 : 12, rights = reset ? RWX : rnd(8);
	bool flush = reset || rnd(2);
	word_t va;

	if (!reset && r_ranges && rnd(2)) {
		r_unmap_range();
		return;
	}
	if (reset && r_ranges && !rnd(8)) {
		r_unmap_all();
		return;
	}
	r_source(&space, &va, &log2);
	if (reset)
		log2 = 21;
	va = ALIGN_DOWN(va, (word_t)1 << log2);
	must_eq(mdb_unmap(&sp[space], va, log2, rights, flush),
			  mm_unmap(space, va, log2, rights, flush));
}

static void r_touch(void)
{
	int i;
	unsigned status = (rnd(2) ? ACC : 0) | (rnd(2) ? DIRTY : 0);

	if (!mm_nlive)
		return;
	i = mm_live[rnd((unsigned)mm_nlive)];
	pte_at(&sp[mm[i].space], mm[i].va)->status |= (uint8_t)status;
	mm[i].status |= status;
}

static void r_step(void)
{
	unsigned roll = rnd(100);

	if (roll < 8)
		r_root();
	else if (roll < 50)
		r_map();
	else if (roll < 80)
		r_unmap(false);
	else if (roll < 93)
		r_touch();
	else
		r_unmap(true);
}

/* Scale and seed come from the environment for `make stress`
 * (PAGODA_MAPDB_STEPS, PAGODA_MAPDB_SEED, PAGODA_MAPDB_CHECK_EVERY);
 * `make test` runs the default: R_STEPS steps, compared after each. */
static unsigned long env_ulong(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : dflt;
}

/* The random run; with ranges, half the unmaps are mdb_unmap_range and
 * half the maps of a mapped page mdb_map_found. */
static void random_run(const char *name, bool ranges, unsigned long seed)
{
	unsigned long steps = env_ulong("PAGODA_MAPDB_STEPS", R_STEPS);
	unsigned long every = env_ulong("PAGODA_MAPDB_CHECK_EVERY", 1);
	size_t most = 0;

	r_ranges = ranges;
	rng_state = env_ulong("PAGODA_MAPDB_SEED", seed);
	mm_init();
	for (unsigned long step = 0; step < steps; step++) {
		r_step();
		if (every <= 1 || step % every == 0)
			mm_compare(step);
		if ((size_t)mm_nlive > most)
			most = (size_t)mm_nlive;
		if (step % 4096 == 0)
			ck_assert(kmem_check());
	}
	for (int i = 0; i < R_SPACES; i++)
		for (unsigned slot = 0; slot < VA_SLOTS; slot++)
			ck_assert_uint_eq(mdb_unmap(&sp[i], va2(slot), 21, RWX, true),
					  mm_unmap(i, va2(slot), 21, RWX, true));
	mm_compare(steps);
	printf("%s: %lu steps, at most %zu mappings, 0 divergences\n", name, steps, most);
	finish();
}

START_TEST(random_against_model)
{
	random_run("random_against_model", false, 0x2545f4914f6cdd1dull);
}
END_TEST

START_TEST(random_ranges_against_model)
{
	random_run("random_ranges_against_model", true, 0x853c49e6748fea9bull);
}
END_TEST

/* ---- Random operations under memory pressure. ---- */

#define F_STEPS 40000

/* Squeeze one resource before an operation. */
static void f_pressure(void)
{
	struct space *s = &sp[rnd(R_SPACES)];
	unsigned roll = rnd(10);

	if (roll < 4)
		kmem_set_quota(&s->acct, s->acct.used + rnd(4) * MDB_NODE_BYTES);
	else if (roll < 5)
		kmem_set_quota(&s->acct, s->acct.used + rnd(1200) * MDB_NODE_BYTES);
	else if (roll < 6)
		s->fail_split = true;
	else if (roll < 7)
		s->fail_prepare = true;
	else if (roll < 8)
		kmem_set_quota(&kacct, kacct.used);
}

static void f_relief(void)
{
	for (int i = 0; i < R_SPACES; i++) {
		kmem_set_quota(&sp[i].acct, SIZE_MAX);
		sp[i].fail_split = sp[i].fail_prepare = false;
	}
	kmem_set_quota(&kacct, SIZE_MAX);
}

/* A page some space maps, found by probing; false if none was hit. */
static bool f_mapped(int *space, word_t *va, unsigned *log2)
{
	for (int tries = 0; tries < 16; tries++) {
		int s = (int)rnd(R_SPACES);
		word_t v = r_va(12);
		struct fake_pte *e = pte_at(&sp[s], v);
		if (e) {
			*space = s;
			*log2 = e->log2 == 21 && rnd(2) ? 21 : 12;
			*va = ALIGN_DOWN(v, (word_t)1 << *log2);
			return true;
		}
	}
	return false;
}

/* An error changed no PTE; E_NO_MEMORY may have split superpages. */
static void f_unchanged(int err, unsigned long changes, unsigned long splits)
{
	if (err == E_OK)
		return;
	must_msg(fake_changes == changes, "error %d changed PTEs", err);
	must_msg(err == E_NO_MEMORY || fake_splits == splits, "error %d split PTEs", err);
}

static int f_map(void)
{
	int from, to = (int)rnd(R_SPACES);
	unsigned log2;
	word_t fva;

	if (!f_mapped(&from, &fva, &log2)) {
		from = (int)rnd(R_SPACES);
		log2 = rnd(4) ? 12 : 21;
		fva = r_va(log2);
	}
	return mdb_map(&sp[from], fva, &sp[to], r_va(log2), log2, rnd(8), rnd(5) == 0);
}

static int f_root(void)
{
	unsigned c = rnd(12), log2 = c < 3 ? 21 : 12;
	word_t pa = c < 3 ? F2(c) : F2(4) + (c - 3) * K4;

	return mdb_root(&sp[rnd(5) ? 0 : rnd(R_SPACES)], r_va(log2), pa, log2, 1 + rnd(7));
}

static void f_unmap(void)
{
	int space;
	unsigned log2;
	word_t va;

	if (!f_mapped(&space, &va, &log2)) {
		space = (int)rnd(R_SPACES);
		log2 = 21;
		va = r_va(21);
	}
	if (rnd(10) == 0)
		va = ALIGN_DOWN(va, M2), log2 = 21;
	if (rnd(8) == 0) {
		log2 = 12 + rnd(12);
		mdb_unmap_range(&sp[space], ALIGN_DOWN(va, (word_t)1 << log2), (word_t)1 << log2,
				rnd(8), rnd(2));
		return;
	}
	mdb_unmap(&sp[space], va, log2, rnd(8), rnd(2));
}

static void f_check(unsigned long step)
{
	size_t total = 0;

	must_msg(mdb_check(), "step %lu: mdb_check failed", step);
	for (int i = 0; i < R_SPACES; i++) {
		must_msg(sp[i].acct.used == sp[i].count * MDB_NODE_BYTES,
			 "step %lu: space %d charged %zu for %u mappings", step, i, sp[i].acct.used,
			 sp[i].count);
		total += sp[i].count;
	}
	must_eq(mdb_node_count(), total);
}

START_TEST(random_under_pressure)
{
	unsigned long failures = 0;

	rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned long step = 0; step < F_STEPS; step++) {
		unsigned long changes = fake_changes, splits = fake_splits;
		unsigned roll = rnd(100);
		int err = E_OK;

		f_pressure();
		if (roll < 10)
			err = f_root();
		else if (roll < 60)
			err = f_map();
		else
			f_unmap();
		f_unchanged(err, changes, splits);
		failures += err == E_NO_MEMORY;
		f_relief();
		f_check(step);
	}
	printf("random_under_pressure: %d steps, %lu out of memory\n", F_STEPS, failures);
	finish();
}
END_TEST

static Suite *mapdb_suite(void)
{
	Suite *s = suite_create("mapdb");
	const struct {
		const char *name;
		const TTest *test;
	} tests[] = {
		{ "chain_unmap", chain_unmap },
		{ "grant_keeps_children", grant_keeps_children },
		{ "rights_and_flush", rights_and_flush },
		{ "status_gathered", status_gathered },
		{ "overmap", overmap },
		{ "upgrade_in_place", upgrade_in_place },
		{ "grant_merges", grant_merges },
		{ "superpages", superpages },
		{ "grant_piece_splits_sender", grant_piece_splits_sender },
		{ "split_fallback", split_fallback },
		{ "overmap_split_fallback", overmap_split_fallback },
		{ "quota_changes_nothing", quota_changes_nothing },
		{ "not_mapped", not_mapped },
		{ "depth_limit", depth_limit },
		{ "roots", roots },
		{ "check_catches_damage", check_catches_damage },
		{ "check_damage_nodes", check_damage_nodes },
		{ "check_damage_index_and_counts", check_damage_index_and_counts },
		{ "check_local_damage", check_local_damage },
		{ "check_damage_charges", check_damage_charges },
		{ "pager_stack", pager_stack },
		{ "random_against_model", random_against_model },
		{ "random_ranges_against_model", random_ranges_against_model },
		{ "random_under_pressure", random_under_pressure },
	};

	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		TCase *tc = tcase_create(tests[i].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, tests[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	return unit_run(mapdb_suite());
}
