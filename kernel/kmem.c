/* SPDX-License-Identifier: MIT */
/*
 * Kernel memory pool.
 *
 * Pages are kept on one free list. Small objects (32..2048 bytes, powers of
 * two) are carved from pages dedicated to one size class: the page's first
 * object slot holds a header (size class, number of objects in use, links
 * of the class's list of pages with free slots); the other slots are
 * objects. When a small page's last object is freed it goes back to the
 * page list, so the pool returns to its baseline once everything is freed.
 * All operations are O(1) except kmem_check.
 *
 * Accounting: every allocation charges its rounded size to an account; a
 * request beyond the account's room (`avail`) first draws credit from the
 * account's parents (kmem.h), and fails before touching the pool if the
 * quota or a parent's limit says no. Credit moves in 32 KiB steps, so the
 * common path tests one bound whether or not the account is nested. The
 * pool keeps a reserve: accounts marked `leave_reserve` (every
 * space but the boot spaces) may not take its last pages, so whatever the
 * other tasks do, sigma0 and the root task still get kernel memory. The
 * reserve is checked only when a whole page leaves the free list.
 * Freed memory is poisoned (0xdb) in debug builds so use-after-free shows
 * quickly; the allocator hands out zeroed memory.
 */
#include <kmem.h>
#include <klib.h>
#include <lib/list.h>

#define KMEM_CLASSES 7            /* 32, 64, ..., 2048 */
#define KMEM_MIN_LOG2 5
_Static_assert(KMEM_MIN_OBJECT == 1u << KMEM_MIN_LOG2, "KMEM_MIN_LOG2");
_Static_assert(KMEM_MIN_OBJECT << KMEM_CLASSES == KMEM_PAGE, "class KMEM_CLASSES is a whole page");
#define KMEM_POISON 0xdb

struct kmem_free_page {
	struct kmem_free_page *next;
};

struct kmem_free_obj {
	struct kmem_free_obj *next;
};

/* Header in slot 0 of a small-object page; fits in the 32-byte minimum. */
struct kmem_slab {
	struct list link;                /* on kmem.partial[klass] while it has free slots */
	struct kmem_free_obj *free;      /* free slots of this page */
	uint32_t in_use;                 /* objects handed out */
	uint32_t klass;                  /* size class index */
};
_Static_assert(sizeof(struct kmem_slab) <= KMEM_MIN_OBJECT, "slab header fits a slot");

/* Pool state; one global instance, protected by the kernel lock (single CPU). */
static struct {
	struct kmem_free_page *pages;          /* free whole pages */
	size_t free_pages;
	size_t total_bytes;
	size_t allocated_bytes;                /* handed out, by rounded size */
	size_t free_objects_bytes;             /* bytes in free small slots */
	size_t reserve_pages;                  /* not for `leave_reserve` accounts */
	struct list partial[KMEM_CLASSES];     /* slabs with free slots, by .link */
} kmem;

/* The size class of `size` (1..KMEM_PAGE): KMEM_CLASSES for a page. */
static unsigned kmem_class(size_t size)
{
	if (size <= KMEM_MIN_OBJECT)
		return 0;
	return (unsigned)(64 - __builtin_clzll((unsigned long long)size - 1)) - KMEM_MIN_LOG2;
}

static size_t kmem_class_size(unsigned k)
{
	return (size_t)KMEM_MIN_OBJECT << k;
}

void kmem_init(void)
{
	memset(&kmem, 0, sizeof(kmem));
	for (unsigned k = 0; k < KMEM_CLASSES; k++)
		list_init(&kmem.partial[k]);
}

void kmem_add_region(uintptr_t virt, size_t bytes)
{
	uintptr_t p = (virt + KMEM_PAGE - 1) & ~(uintptr_t)(KMEM_PAGE - 1);
	uintptr_t end = (virt + bytes) & ~(uintptr_t)(KMEM_PAGE - 1);

	for (; p < end; p += KMEM_PAGE) {
		struct kmem_free_page *fp = (struct kmem_free_page *)p;
		fp->next = kmem.pages;
		kmem.pages = fp;
		kmem.free_pages++;
		kmem.total_bytes += KMEM_PAGE;
	}
	kmem.reserve_pages = MAX(kmem.total_bytes / KMEM_RESERVE_SHARE, KMEM_RESERVE_MIN) / KMEM_PAGE;
}

void kmem_account_init(struct kmem_account *acct, struct kmem_account *parent, size_t quota,
		       bool leave_reserve)
{
	acct->used = acct->held = acct->low = 0;
	acct->parent = parent;
	acct->leave_reserve = leave_reserve;
	kmem_set_quota(acct, quota);
}

static void kmem_set_avail(struct kmem_account *a)
{
	a->avail = a->parent ? MIN(a->quota, a->held) : a->quota;
	a->low = a->held > 2 * KMEM_CREDIT ? a->held - 2 * KMEM_CREDIT : 0;
}

static bool kmem_credit(struct kmem_account *a, size_t bytes);

/* Make room for `bytes` more in a (used + bytes <= avail), drawing
 * credit from the parent: a whole step if the parent can give it, else
 * just what is needed. */
/* NOLINTNEXTLINE(misc-no-recursion): one level per owner, KMEM_NEST_MAX deep */
static bool kmem_grow(struct kmem_account *a, size_t bytes)
{
	size_t need, step;

	if (a->used + bytes > a->quota)
		return false;
	if (a->used + bytes <= a->avail)
		return true;
	need = a->used + bytes - a->held;
	step = MIN(ALIGN_UP(need, KMEM_CREDIT), a->quota - a->held);
	if (!kmem_credit(a->parent, step) && (step == need || !kmem_credit(a->parent, step = need)))
		return false;
	a->held += step;
	kmem_set_avail(a);
	return true;
}

/* Charge `bytes` of credit for a child to a: within a's limit for its
 * children, and within a's own room (growing it from above if nested). */
/* NOLINTNEXTLINE(misc-no-recursion): one level per owner, KMEM_NEST_MAX deep */
static bool kmem_credit(struct kmem_account *a, size_t bytes)
{
	if (a->used + bytes > a->limit || !kmem_grow(a, bytes))
		return false;
	a->used += bytes;
	return true;
}

static void kmem_uncredit(struct kmem_account *a, size_t bytes);

/* Give back credit that a does not use: all above one step. */
/* NOLINTNEXTLINE(misc-no-recursion): one level per owner, KMEM_NEST_MAX deep */
static __attribute__((noinline)) void kmem_shrink(struct kmem_account *a, size_t keep)
{
	size_t give;

	if (a->held <= a->used + keep)
		return;
	give = a->held - a->used - keep;
	a->held -= give;
	kmem_set_avail(a);
	kmem_uncredit(a->parent, give);
}

/* NOLINTNEXTLINE(misc-no-recursion): one level per owner, KMEM_NEST_MAX deep */
static void kmem_uncredit(struct kmem_account *a, size_t bytes)
{
	assert(a->used >= bytes);
	a->used -= bytes;
	if (a->used < a->low)
		kmem_shrink(a, KMEM_CREDIT);
}

void kmem_account_fini(struct kmem_account *acct)
{
	assert(acct->used == 0);
	if (acct->parent)
		kmem_shrink(acct, 0);
}

void kmem_set_quota(struct kmem_account *acct, size_t quota)
{
	acct->quota = quota;
	acct->limit = quota == (size_t)-1 ? quota : quota - quota / 8;
	kmem_set_avail(acct);
	if (acct->parent && acct->held > quota)
		kmem_shrink(acct, quota - acct->used);
}

bool kmem_fits(struct kmem_account *acct, size_t bytes)
{
	return acct->used + bytes <= acct->avail || (acct->parent && kmem_grow(acct, bytes));
}

void kmem_move(struct kmem_account *from, struct kmem_account *to, size_t bytes)
{
	if (from == to)
		return;
	kmem_uncredit(from, bytes);
	if (to->used + bytes > to->avail && to->parent)
		kmem_grow(to, bytes);          /* checked before; at worst one node over */
	to->used += bytes;
}

/* A free page, or NULL; `leave_reserve` accounts leave the reserve alone. */
static void *kmem_page_get(const struct kmem_account *acct)
{
	struct kmem_free_page *fp = kmem.pages;

	if (!fp || (acct->leave_reserve && kmem.free_pages <= kmem.reserve_pages))
		return NULL;
	kmem.pages = fp->next;
	kmem.free_pages--;
	return fp;
}

/* Debug builds (make DEBUG=1) and host tests poison freed memory, so a
 * use after free shows at once; kmem_alloc zeroes in every build. */
static void kmem_poison(void *p, size_t n)
{
#if defined(KERNEL_DEBUG) || defined(HOST_TEST)
	memset(p, KMEM_POISON, n);
#else
	(void)p;
	(void)n;
#endif
}

static void kmem_page_put(void *p)
{
	struct kmem_free_page *fp = p;

	kmem_poison(p, KMEM_PAGE);
	fp->next = kmem.pages;
	kmem.pages = fp;
	kmem.free_pages++;
}

static void kmem_slab_unlink(struct kmem_slab *s)
{
	list_remove(&s->link);
}

static void kmem_slab_link(struct kmem_slab *s)
{
	list_push_front(&kmem.partial[s->klass], &s->link);
}

/* Turn a fresh page into a slab of class k with every slot free. Out of
 * line: it keeps kmem_alloc's common path free of its registers. */
static __attribute__((noinline)) struct kmem_slab *kmem_slab_new(const struct kmem_account *acct,
								       unsigned k)
{
	size_t size = kmem_class_size(k);
	uint8_t *page = kmem_page_get(acct);
	struct kmem_slab *s = (struct kmem_slab *)page;

	if (!page)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->klass = k;
	for (size_t off = KMEM_PAGE - size; off >= size; off -= size) {
		struct kmem_free_obj *o = (struct kmem_free_obj *)(page + off);
		o->next = s->free;
		s->free = o;
		kmem.free_objects_bytes += size;
	}
	kmem_slab_link(s);
	return s;
}

/* Take a free slot from the first partial slab of class k (there is one). */
static void *kmem_small_take(unsigned k)
{
	struct kmem_slab *s = list_entry(kmem.partial[k].next, struct kmem_slab, link);
	struct kmem_free_obj *o = s->free;

	s->free = o->next;
	s->in_use++;
	kmem.free_objects_bytes -= kmem_class_size(k);
	if (!s->free)
		kmem_slab_unlink(s);
	return o;
}

static void kmem_small_free(void *p, unsigned k)
{
	struct kmem_slab *s = (struct kmem_slab *)((uintptr_t)p & ~(uintptr_t)(KMEM_PAGE - 1));
	struct kmem_free_obj *o = p;
	size_t size = kmem_class_size(k);

	assert(s->klass == k && s->in_use > 0);
	kmem_poison(p, size);
	if (!s->free)
		kmem_slab_link(s);
	o->next = s->free;
	s->free = o;
	s->in_use--;
	kmem.free_objects_bytes += size;
	if (s->in_use == 0) {
		kmem.free_objects_bytes -= KMEM_PAGE - size;
		kmem_slab_unlink(s);
		kmem_page_put(s);
	}
}

/* Zero a fresh object and return it: the smallest (mapping nodes, the
 * most frequent) by hand, the others with memset's rep stosq. */
static void *kmem_zero(void *p, size_t n)
{
	word_t *w = p;

	_Static_assert(KMEM_MIN_OBJECT == 4 * sizeof(word_t), "the smallest object is 4 words");
	if (n != KMEM_MIN_OBJECT)
		return memset(p, 0, n);
	w[0] = w[1] = w[2] = w[3] = 0;
	return p;
}

/* Charge the fresh object p of class k to acct and hand it out zeroed;
 * NULL if p is. */
static void *kmem_hand_out(struct kmem_account *acct, void *p, unsigned k)
{
	if (!p)
		return NULL;
	acct->used += kmem_class_size(k);
	kmem.allocated_bytes += kmem_class_size(k);
	return kmem_zero(p, kmem_class_size(k));
}

/* kmem_alloc when class k has no partial slab, or for a page: out of line,
 * so that the common case makes no call. */
static __attribute__((noinline)) void *kmem_alloc_fresh(struct kmem_account *acct, unsigned k)
{
	if (k == KMEM_CLASSES)
		return kmem_hand_out(acct, kmem_page_get(acct), k);
	if (!kmem_slab_new(acct, k))
		return NULL;
	return kmem_hand_out(acct, kmem_small_take(k), k);
}

/* kmem_alloc past the account's free room: draw credit first (nested
 * accounts; a root's room is its quota). Out of line. */
static __attribute__((noinline)) void *kmem_alloc_grow(struct kmem_account *acct, unsigned k)
{
	if (!acct->parent || !kmem_grow(acct, kmem_class_size(k)))
		return NULL;
	if (k == KMEM_CLASSES || list_empty(&kmem.partial[k]))
		return kmem_alloc_fresh(acct, k);
	return kmem_hand_out(acct, kmem_small_take(k), k);
}

void *kmem_alloc(struct kmem_account *acct, size_t size)
{
	unsigned k;

	assert(size > 0 && size <= KMEM_PAGE);
	k = kmem_class(size);
	if (acct->used + kmem_class_size(k) > acct->avail)
		return kmem_alloc_grow(acct, k);
	if (k == KMEM_CLASSES || list_empty(&kmem.partial[k]))
		return kmem_alloc_fresh(acct, k);
	return kmem_hand_out(acct, kmem_small_take(k), k);
}

/* Give object p of class k back to the pool (its charge is gone). */
static inline void kmem_release(void *p, unsigned k)
{
	kmem.allocated_bytes -= kmem_class_size(k);
	if (k < KMEM_CLASSES)
		kmem_small_free(p, k);
	else
		kmem_page_put(p);
}

/* kmem_free when acct holds too much credit afterwards: out of line (and
 * a tail call), so that the common path saves no registers for it. */
static __attribute__((noinline)) void kmem_free_shrink(struct kmem_account *acct, void *p,
						       unsigned k)
{
	acct->used -= kmem_class_size(k);
	kmem_release(p, k);
	kmem_shrink(acct, KMEM_CREDIT);
}

void kmem_free(struct kmem_account *acct, void *p, size_t size)
{
	unsigned k;
	size_t rounded;

	if (!p)
		return;
	assert(size > 0 && size <= KMEM_PAGE);
	k = kmem_class(size);
	rounded = kmem_class_size(k);
	assert(acct->used >= rounded && kmem.allocated_bytes >= rounded);
	if (__builtin_expect(acct->used - rounded < acct->low, 0))
		return kmem_free_shrink(acct, p, k);
	acct->used -= rounded;
	kmem_release(p, k);
}

size_t kmem_free_bytes(void)
{
	return kmem.total_bytes - kmem.allocated_bytes;
}

size_t kmem_total_bytes(void)
{
	return kmem.total_bytes;
}

/* Count a slab's free slots and check its header. */
static bool kmem_slab_check(struct kmem_slab *s, unsigned k, size_t *free_bytes)
{
	size_t size = kmem_class_size(k), slots = KMEM_PAGE / size - 1, n = 0;

	if (s->klass != k || !s->free)
		return CHECK_FAIL("kmem_check: slab %p of class %u in partial list %u, or full",
				  (void *)s, s->klass, k);
	for (struct kmem_free_obj *o = s->free; o; o = o->next) {
		if (((uintptr_t)o & ~(uintptr_t)(KMEM_PAGE - 1)) != (uintptr_t)s)
			return CHECK_FAIL("kmem_check: free object %p outside its slab %p", (void *)o,
					  (void *)s);
		if (++n > slots)
			return CHECK_FAIL("kmem_check: slab %p: free list longer than its slots",
					  (void *)s);
	}
	*free_bytes += n * size;
	return n + s->in_use == slots ||
	       CHECK_FAIL("kmem_check: slab %p: %lu free + %lu in use != %lu slots", (void *)s,
			  (unsigned long)n, (unsigned long)s->in_use, (unsigned long)slots);
}

bool kmem_check(void)
{
	size_t pages = 0, free_bytes = 0;

	for (struct kmem_free_page *fp = kmem.pages; fp; fp = fp->next)
		if (++pages > kmem.free_pages)
			return CHECK_FAIL("kmem_check: more free pages listed than counted");
	if (pages != kmem.free_pages)
		return CHECK_FAIL("kmem_check: %lu free pages listed, %lu counted",
				  (unsigned long)pages, (unsigned long)kmem.free_pages);
	for (unsigned k = 0; k < KMEM_CLASSES; k++) {
		const char *why = list_check(&kmem.partial[k], kmem.total_bytes / KMEM_PAGE, NULL);
		struct list *n;
		if (why)
			return CHECK_FAIL("kmem_check: partial list %u: %s", k, why);
		list_for_each(n, &kmem.partial[k])
			if (!kmem_slab_check(list_entry(n, struct kmem_slab, link), k, &free_bytes))
				return false;
	}
	if (free_bytes != kmem.free_objects_bytes)
		return CHECK_FAIL("kmem_check: %lu free object bytes in slabs, %lu counted",
				  (unsigned long)free_bytes, (unsigned long)kmem.free_objects_bytes);
	return kmem.free_pages * KMEM_PAGE + kmem.allocated_bytes <= kmem.total_bytes ||
	       CHECK_FAIL("kmem_check: free pages and allocated bytes exceed the pool");
}
