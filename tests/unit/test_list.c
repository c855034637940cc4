/* SPDX-License-Identifier: MIT */
/*
 * The intrusive list (lib/list.h): order of insertion and removal against
 * a model array, list_entry, the _safe walk, and list_check on damaged
 * lists (each kind of damage named by its own sentence).
 */
#include <check.h>
#include "unit.h"
#include <stdlib.h>
#include <string.h>
#include <lib/list.h>

struct item {
	int value;
	struct list link;
	int after;           /* a field behind the node: list_entry must skip back */
};

#define NITEMS 64

static struct item items[NITEMS];

/* Does head hold want[0..n) in order, forwards and backwards? Plain
 * comparisons, one assertion: a Check assertion per node is slow. */
static bool holds(const struct list *head, const int *want, size_t n)
{
	const struct list *p;
	size_t i = 0, count;

	if (list_check(head, NITEMS, &count) || count != n || list_empty(head) != (n == 0))
		return false;
	list_for_each(p, head)
		if (i >= n || list_entry(p, struct item, link)->value != want[i++])
			return false;
	for (p = head->prev; p != head; p = p->prev)
		if (list_entry(p, struct item, link)->value != want[--i])
			return false;
	return i == 0;
}

#define expect(head, n, ...) ck_assert(holds(head, (int[]){ 0, __VA_ARGS__ } + 1, n))

static void setup(void)
{
	memset(items, 0, sizeof(items));
	for (int i = 0; i < NITEMS; i++)
		items[i].value = i;
}

START_TEST(empty)
{
	struct list head = LIST_INIT(head), h2;

	list_init(&h2);
	expect(&head, 0);
	expect(&h2, 0);
	ck_assert_ptr_null(list_first(&head));
	ck_assert(!list_linked(&items[0].link));       /* zeroed: on no list */
}
END_TEST

START_TEST(push_and_remove)
{
	struct list head = LIST_INIT(head);

	list_push_back(&head, &items[1].link);
	list_push_back(&head, &items[2].link);
	list_push_front(&head, &items[0].link);
	list_push_back(&head, &items[3].link);
	expect(&head, 4, 0, 1, 2, 3);
	ck_assert_ptr_eq(list_first(&head), &items[0].link);
	ck_assert(list_linked(&items[2].link));
	list_remove(&items[2].link);                    /* middle */
	ck_assert(!list_linked(&items[2].link));
	ck_assert_ptr_null(items[2].link.prev);
	expect(&head, 3, 0, 1, 3);
	list_remove(&items[0].link);                    /* first */
	expect(&head, 2, 1, 3);
	list_remove(&items[3].link);                    /* last */
	expect(&head, 1, 1);
	list_remove(&items[1].link);                    /* only */
	expect(&head, 0);
	list_push_front(&head, &items[2].link);         /* reused after removal */
	expect(&head, 1, 2);
}
END_TEST

START_TEST(entry)
{
	struct list *n = &items[5].link;

	ck_assert_ptr_eq(list_entry(n, struct item, link), &items[5]);
	list_entry(n, struct item, link)->after = 7;
	ck_assert_int_eq(items[5].after, 7);
}
END_TEST

START_TEST(safe_walk_removes_all)
{
	struct list head = LIST_INIT(head), *n, *tmp;
	int seen = 0;

	for (int i = 0; i < 10; i++)
		list_push_back(&head, &items[i].link);
	list_for_each_safe(n, tmp, &head) {
		ck_assert_int_eq(list_entry(n, struct item, link)->value, seen++);
		if (seen % 2)
			list_remove(n);
	}
	ck_assert_int_eq(seen, 10);
	expect(&head, 5, 1, 3, 5, 7, 9);
	list_for_each_safe(n, tmp, &head)
		list_remove(n);
	expect(&head, 0);
}
END_TEST

/* Random pushes and removals against a model array of values in order. */
START_TEST(random_against_model)
{
	struct list head = LIST_INIT(head);
	int model[NITEMS];
	size_t n = 0;
	unsigned x = 12345;

	for (int op = 0; op < 10000; op++) {
		x = x * 1103515245u + 12345u;
		int v = (int)((x >> 8) % NITEMS);
		size_t at = 0;
		while (at < n && model[at] != v)
			at++;
		bool added = at == n;
		if (!added) {
			list_remove(&items[v].link);
			memmove(&model[at], &model[at + 1], (n - at - 1) * sizeof(int));
			n--;
		} else if (x & 0x10000) {
			list_push_front(&head, &items[v].link);
			memmove(&model[1], &model[0], n * sizeof(int));
			model[0] = v;
			n++;
		} else {
			list_push_back(&head, &items[v].link);
			model[n++] = v;
		}
		if (list_linked(&items[v].link) != added || !holds(&head, model, n))
			ck_abort_msg("operation %d on item %d: list and model differ", op, v);
	}
}
END_TEST

/* Every kind of damage is caught, each with its own sentence. */
START_TEST(check_catches_damage)
{
	struct list head = LIST_INIT(head), raw = { NULL, NULL };
	const char *why;

	ck_assert_str_eq(list_check(&raw, NITEMS, NULL), "list_check: head not initialised");
	for (int i = 0; i < 4; i++)
		list_push_back(&head, &items[i].link);
	ck_assert_ptr_null(list_check(&head, 4, NULL));

	items[2].link.prev = &items[0].link;            /* a broken back link */
	why = list_check(&head, NITEMS, NULL);
	ck_assert_str_eq(why, "list_check: a node's successor does not link back to it");
	items[2].link.prev = &items[1].link;

	ck_assert_str_eq(list_check(&head, 3, NULL),    /* longer than allowed */
			 "list_check: more nodes than the list may hold (a cycle?)");

	items[3].link.next = &items[1].link;            /* a cycle that misses the head */
	items[1].link.prev = &items[3].link;
	ck_assert_ptr_nonnull(list_check(&head, NITEMS, NULL));
	items[3].link.next = &head;
	items[1].link.prev = &items[0].link;
	ck_assert_ptr_null(list_check(&head, NITEMS, NULL));

	items[1].link.next = NULL;                      /* a removed node still listed */
	ck_assert_str_eq(list_check(&head, NITEMS, NULL),
			 "list_check: a node on the list has a NULL link");
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "empty", empty, 0 },
		{ "push_and_remove", push_and_remove, 0 },
		{ "entry", entry, 0 },
		{ "safe_walk_removes_all", safe_walk_removes_all, 0 },
		{ "random_against_model", random_against_model, 0 },
		{ "check_catches_damage", check_catches_damage, 0 },
	};

	return unit_run(
		unit_suite("list", tests, sizeof(tests) / sizeof(tests[0]), setup, NULL, 0));
}
