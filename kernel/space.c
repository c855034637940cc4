/* SPDX-License-Identifier: MIT */
/*
 * Address spaces, and the page-table hooks of the mapping database.
 *
 * A space's user half holds two kinds of mappings: those made through the
 * mapping database (every one has a node; map, grant and unmap change
 * them), and the kernel-owned UTCB and KIP pages, which live in the
 * space's KIP and UTCB areas where no map may land.
 */
#include <space.h>
#include <thread.h>
#include <mapdb.h>
#include <kip.h>
#include <kdebug.h>
#include <klib.h>
#include <arch.h>
#include <pagoda/error.h>
#include <pagoda/fpage.h>

struct kmem_account kernel_acct = KMEM_ACCOUNT_ROOT((size_t)-1);
static struct list space_list = LIST_INIT(space_list); /* all spaces, by .link */

/* The account that pays for s's struct space: its owner's. */
static struct kmem_account *space_payer(struct space *owner)
{
	return owner ? &owner->acct : &kernel_acct;
}

/* A boot space's account is a root with no quota that may use the pool's
 * reserve; any other is a child of its owner's (unless the owner is a
 * boot space: its account has no quota to share) and leaves the reserve. */
static void space_account_init(struct space *s, struct space *owner)
{
	if (!owner)
		kmem_account_init(&s->acct, NULL, (size_t)-1, false);
	else
		kmem_account_init(&s->acct, owner->owner ? &owner->acct : NULL, SPACE_DEFAULT_QUOTA,
				  true);
	s->quota_ceiling = s->acct.quota;
}

/* Spaces in s's chain of owners, s included. */
static unsigned space_depth(const struct space *s)
{
	unsigned n = 0;

	for (; s; s = s->owner)
		n++;
	return n;
}

struct space *space_create(struct space *owner, int *err)
{
	struct space *s = NULL;

	if (space_depth(owner) < KMEM_NEST_MAX)       /* kmem's credit recursion */
		s = kmem_alloc(space_payer(owner), sizeof(*s));
	if (!s) {
		*err = E_NO_MEMORY;
		return NULL;
	}
	space_account_init(s, owner);
	s->mdb.acct = &s->acct;
	s->pml4 = arch_pt_create(&s->acct);
	if (!s->pml4) {
		kmem_free(space_payer(owner), s, sizeof(*s));
		*err = E_NO_MEMORY;
		return NULL;
	}
	s->pml4_phys = virt_to_phys(s->pml4);
	list_init(&s->threads);
	list_init(&s->children);
	list_push_front(&space_list, &s->link);
	s->owner = owner;
	if (owner)
		list_push_front(&owner->children, &s->sibling);
	*err = E_OK;
	return s;
}

bool space_within(const struct space *s, const struct space *anc)
{
	for (; s; s = s->owner)
		if (s == anc)
			return true;
	return false;
}

void space_end_children(struct space *s)
{
	struct space *c;

	while (!list_empty(&s->children)) {
		c = list_entry(s->children.next, struct space, sibling);
		while (!list_empty(&c->children))  /* down to a leaf: it owns nothing */
			c = list_entry(c->children.next, struct space, sibling);
		assert(c->nthreads > 0);
		for (unsigned n = c->nthreads; n > 0; n--)   /* the last one frees c */
			thread_destroy(list_entry(c->threads.next, struct tcb, space_link));
	}
}

/* Clear the kernel-owned pages (KIP, UTCBs) of s inside area fp. */
static void space_clear_kernel_pages(struct space *s, word_t fp)
{
	word_t va = fpage_base(fp), end = va + fpage_size(fp);
	unsigned log2, attr;

	if (fpage_is_nil(fp))
		return;
	while (arch_pt_next(s->pml4, &va, end, &log2, &attr)) {
		assert(attr & ARCH_PT_KERNEL_OWNED);
		arch_pt_clear(s->pml4, va, log2, NULL);
		va += (word_t)1 << log2;
	}
}

/* Remove every user mapping of s: the mapping database's in one pass over
 * the whole user half (mdb_unmap_range: it also revokes everything
 * derived), then the kernel-owned pages it skips, which lie only in the
 * KIP and UTCB areas. */
static void space_unmap_all(struct space *s)
{
	mdb_unmap_range(s, 0, USER_END, FPAGE_RWX, true);
	space_clear_kernel_pages(s, s->kip_area);
	space_clear_kernel_pages(s, s->utcb_area);
}

void space_destroy(struct space *s)
{
	assert(s->nthreads == 0 && list_empty(&s->threads) && list_empty(&s->children));
	space_unmap_all(s);
	arch_pt_destroy(s->pml4, &s->acct);
	if (s->acct.used != 0)
		panic("space: %zu bytes still charged after teardown", s->acct.used);
	kmem_account_fini(&s->acct);
	kdebug_space_gone(s);
	list_remove(&s->link);
	if (s->owner)
		list_remove(&s->sibling);
	kmem_free(space_payer(s->owner), s, sizeof(*s));
}

/* Map one kernel-owned page (not in the mapping database). */
static int space_map_kernel_page(struct space *s, word_t va, word_t pa, unsigned rights)
{
	void *slot;
	int err = arch_pt_prepare(s->pml4, va, 12, &s->acct, &slot);

	if (err)
		return err;
	arch_pt_set(s->pml4, va, pa, 12, rights, ARCH_PT_KERNEL_OWNED, slot);
	return E_OK;
}

static bool space_areas_valid(word_t kip_area, word_t utcb_area)
{
	word_t kb = fpage_base(kip_area), ub = fpage_base(utcb_area);

	if (!fpage_valid(kip_area) || !fpage_valid(utcb_area))
		return false;
	if (!arch_user_address_ok(kb) || !arch_user_address_ok(ub + fpage_size(utcb_area) - 1))
		return false;
	return kb + fpage_size(kip_area) <= ub || ub + fpage_size(utcb_area) <= kb;
}

int space_set_areas(struct space *s, word_t kip_area, word_t utcb_area)
{
	int err;

	if (s->flags & SPACE_AREAS_SET)
		return E_EXISTS;
	if (!space_areas_valid(kip_area, utcb_area))
		return E_BAD_FPAGE;
	err = space_map_kernel_page(s, fpage_base(kip_area), virt_to_phys(kip), FPAGE_RX);
	if (err)
		return err;
	s->kip_area = kip_area;
	s->utcb_area = utcb_area;
	s->flags |= SPACE_AREAS_SET;
	return E_OK;
}

static bool space_overlaps(word_t fp, word_t va, word_t size)
{
	word_t b = fpage_base(fp);

	return !fpage_is_nil(fp) && va < b + fpage_size(fp) && b < va + size;
}

bool space_in_kernel_area(struct space *s, word_t va, word_t size)
{
	return space_overlaps(s->kip_area, va, size) || space_overlaps(s->utcb_area, va, size);
}

int space_map_utcb(struct space *s, word_t va, word_t pa)
{
	return space_map_kernel_page(s, va, pa, FPAGE_RW);
}

void space_unmap_utcb(struct space *s, word_t va)
{
	arch_pt_clear(s->pml4, va, 12, NULL);
}

size_t space_copy_in(struct space *s, word_t va, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		word_t pa, off, chunk;
		unsigned log2, rights;

		if (!arch_pt_lookup(s->pml4, va + done, &pa, &log2, &rights, NULL) ||
		    !(rights & FPAGE_R))
			break;
		off = (va + done) & (((word_t)1 << log2) - 1);
		chunk = MIN(len - done, ((word_t)1 << log2) - off);
		chunk = MIN(chunk, 4096 - ((va + done) & 4095));
		memcpy((char *)buf + done, phys_to_virt(pa + off), chunk);
		done += chunk;
	}
	return done;
}

/* Every user PTE of s in [va, end) has a node in the mapping database
 * that says the same, or is a kernel-owned page inside the KIP or UTCB
 * area. */
bool space_check_range(struct space *s, word_t va, word_t end)
{
	word_t pa, size;
	unsigned log2, attr, rights;

	for (; arch_pt_next(s->pml4, &va, end, &log2, &attr); va += size) {
		size = (word_t)1 << log2;
		va = ALIGN_DOWN(va, size);
		if (attr & ARCH_PT_KERNEL_OWNED) {
			if (!space_in_kernel_area(s, va, size))
				return CHECK_FAIL(
					"space_check: space %p: kernel page at %lx outside "
					"its KIP and UTCB areas",
					(void *)s, (unsigned long)va);
			continue;
		}
		if (!mdb_pte_get(s, va, &pa, &log2, &rights, NULL) ||
		    !mdb_has_node(s, va, pa, log2, rights))
			return CHECK_FAIL("space_check: space %p maps %lx without a mapping node "
					  "that says the same",
					  (void *)s, (unsigned long)va);
	}
	return true;
}

bool space_check_own(struct space *s)
{
	const char *why;
	struct list *n;
	size_t count;

	if ((why = list_check(&s->threads, THREAD_MAX, &count)) ||
	    (why = list_check(&s->children, (size_t)-1, NULL)))
		return CHECK_FAIL("space_check: space %p: %s", (void *)s, why);
	list_for_each(n, &s->threads) {
		struct tcb *t = list_entry(n, struct tcb, space_link);
		if (t->space != s)
			return CHECK_FAIL("space_check: thread %p listed in space %p is in %p",
					  (void *)t, (void *)s, (void *)t->space);
	}
	if (count != s->nthreads)
		return CHECK_FAIL("space_check: space %p lists %u threads, counts %u", (void *)s,
				  (unsigned)count, (unsigned)s->nthreads);
	if (s->acct.used > s->acct.quota)
		return CHECK_FAIL("space_check: space %p uses %lu bytes over its quota %lu", (void *)s,
				  (unsigned long)s->acct.used, (unsigned long)s->acct.quota);
	list_for_each(n, &s->children) {
		struct space *c = list_entry(n, struct space, sibling);
		if (c->owner != s)
			return CHECK_FAIL("space_check: space %p lists child %p owned by %p", (void *)s,
					  (void *)c, (void *)c->owner);
	}
	if (s->owner && s->acct.parent != (s->owner->owner ? &s->owner->acct : NULL))
		return CHECK_FAIL("space_check: space %p charges the wrong parent account",
				  (void *)s);
	return true;
}

bool space_check(struct space *s)
{
	return space_check_own(s) && space_check_range(s, 0, USER_END);
}

bool space_check_all(void)
{
	const char *why = list_check(&space_list, (size_t)-1, NULL);
	struct list *n;

	if (why)
		return CHECK_FAIL("space_check: the list of all spaces: %s", why);
	list_for_each(n, &space_list)
		if (!space_check(list_entry(n, struct space, link)))
			return false;
	return true;
}

/* ---- mapping-database hooks on real page tables ----
 * Each that writes a PTE tells kdebug first (DEBUG=1 builds only: the
 * check after the change looks at what they wrote, kdebug_change.c). */

bool mdb_pte_get(struct space *s, word_t va, word_t *pa, unsigned *log2, unsigned *rights,
		 void **slot)
{
	return arch_pt_lookup_db(s->pml4, va, pa, log2, rights, slot);
}

bool mdb_pte_next(struct space *s, word_t *va, word_t end, word_t *pa, unsigned *log2,
		  unsigned *rights, unsigned *status, void **slot)
{
	return arch_pt_next_db(s->pml4, va, end, pa, log2, rights, status, slot);
}

int mdb_pte_prepare(struct space *s, word_t va, unsigned log2, void **slot)
{
	return arch_pt_prepare(s->pml4, va, log2, &s->acct, slot);
}

void mdb_pte_set(struct space *s, word_t va, word_t pa, unsigned log2, unsigned rights,
		 void *slot)
{
	unsigned attr = kip_phys_is_ram(pa) ? 0 : ARCH_PT_UNCACHED;

	kdebug_pte_written(s, va, log2, pa);
	arch_pt_set(s->pml4, va, pa, log2, rights, attr, slot);
}

unsigned mdb_pte_protect(struct space *s, word_t va, unsigned log2, unsigned rights, void *slot)
{
	kdebug_pte_changing(s, va, log2);
	return arch_pt_protect(s->pml4, va, log2, rights, slot);
}

void mdb_pte_raise(struct space *s, word_t va, unsigned log2, unsigned rights, void *slot)
{
	kdebug_pte_changing(s, va, log2);
	arch_pt_raise(s->pml4, va, log2, rights, slot);
}

unsigned mdb_pte_clear(struct space *s, word_t va, unsigned log2, void *slot)
{
	kdebug_pte_changing(s, va, log2);
	return arch_pt_clear(s->pml4, va, log2, slot);
}

int mdb_pte_split(struct space *s, word_t va)
{
	kdebug_pte_changing(s, va, MDB_SUPER_LOG2);
	return arch_pt_split(s->pml4, va, &s->acct);
}

struct mdb_space *mdb_space_info(struct space *s)
{
	return &s->mdb;
}

struct space *mdb_space_next(struct space *s)
{
	struct list *n = s ? s->link.next : space_list.next;

	return n == &space_list ? NULL : list_entry(n, struct space, link);
}
