/* SPDX-License-Identifier: MIT */
/*
 * Damage tests for kmem_check: each breaks one structure of the pool (a
 * slab header, a free list, a counter) and expects the branch of
 * kmem_check that names it. White-box: the test includes kernel/kmem.c
 * itself to reach its state.
 */
#include <check.h>
#include "unit.h"
#include <stdlib.h>

#include <kmem.c> // NOLINT(bugprone-suspicious-include): white-box, the pool's state

#define POOL_PAGES 16
#define SLOTS_32 (KMEM_PAGE / 32 - 1)   /* slot 0 holds the slab header */

static uint8_t *pool;
static struct kmem_account acct = KMEM_ACCOUNT_ROOT(SIZE_MAX);
static void *obj[2 * SLOTS_32];
static struct kmem_slab *first, *second;   /* the two slabs of class 0 */

/* Two slabs of 32-byte objects, both in the partial list (one slot free
 * in the first, all but one in the second), and free whole pages. */
static void setup(void)
{
	kmem_init();
	pool = aligned_alloc(KMEM_PAGE, POOL_PAGES * KMEM_PAGE);
	ck_assert_ptr_nonnull(pool);
	kmem_add_region((uintptr_t)pool, POOL_PAGES * KMEM_PAGE);
	for (unsigned i = 0; i < SLOTS_32 + 1; i++)
		ck_assert_ptr_nonnull(obj[i] = kmem_alloc(&acct, 32));
	kmem_free(&acct, obj[0], 32);
	first = list_entry(list_first(&kmem.partial[0]), struct kmem_slab, link);
	second = list_entry(first->link.next, struct kmem_slab, link);
	ck_assert(second->link.prev == &first->link && second->link.next == &kmem.partial[0]);
	ck_assert(kmem_check());
}

static void teardown(void)
{
	kmem_init();
	free(pool);
	pool = NULL;
}

#define KMEM_CATCHES(what) unit_check_catches(kmem_check(), "kmem_check: ", what)

/* Break one field, expect the branch, mend it. */
#define DAMAGE(field, value, what)                \
	do {                                      \
		__typeof__(field) save = (field); \
		(field) = (value);                \
		KMEM_CATCHES(what);               \
		(field) = save;                   \
		ck_assert(kmem_check());          \
	} while (0)

START_TEST(slab_headers)
{
	DAMAGE(first->klass, 1, "of class 1 in partial list 0, or full");
	DAMAGE(second->free, NULL, "of class 0 in partial list 0, or full");
	DAMAGE(second->link.prev, &second->link, "partial list 0: list_check: ");
	DAMAGE(second->in_use, second->in_use + 1, "in use != 127 slots");
}
END_TEST

START_TEST(free_lists)
{
	struct kmem_free_obj *o = second->free;

	DAMAGE(o->next, (struct kmem_free_obj *)kmem.pages, "outside its slab");
	DAMAGE(o->next, o, "free list longer than its slots");
}
END_TEST

START_TEST(counters)
{
	DAMAGE(kmem.free_pages, 0, "more free pages listed than counted");
	DAMAGE(kmem.free_pages, kmem.free_pages + 1, " free pages listed, ");
	DAMAGE(kmem.free_objects_bytes, kmem.free_objects_bytes + 32, "free object bytes in slabs");
	DAMAGE(kmem.allocated_bytes, kmem.total_bytes, "exceed the pool");
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "slab_headers", slab_headers, 0 },
		{ "free_lists", free_lists, 0 },
		{ "counters", counters, 0 },
	};

	return unit_run(unit_suite("kmem_check", tests, ARRAY_SIZE(tests), setup, teardown, 0));
}
