/* SPDX-License-Identifier: MIT */
/*
 * Intrusive doubly-linked lists.
 *
 * A list is a head, a `struct list` that is not part of any object, and
 * the nodes: a `struct list` member of each object on it. The links are
 * circular through the head, so inserting and removing never branch on
 * "first" or "last" and an empty list is a head that points at itself
 * (list_init, or LIST_INIT for a static one). A node that is on no list
 * has NULL links (zeroed memory, or after list_remove), so list_linked
 * tells whether it is on one. list_entry turns a node back into its object.
 *
 * Everything is inline and O(1) except list_check, the checker, which
 * walks a list and names the first broken invariant. No locking: the
 * owner of the head serialises (in the kernel, the kernel lock).
 */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <pagoda/types.h>

struct list {
	struct list *next, *prev;
};

/* clang-format 14 would spread this braced macro over four lines. */
/* clang-format off */
#define LIST_INIT(head) { &(head), &(head) }
/* clang-format on */

/* The object that contains node n as its member `member`. */
#define list_entry(n, type, member) ((type *)((char *)(n) - __builtin_offsetof(type, member)))

/* Visit each node of head in order; n may not be removed (see _safe). */
#define list_for_each(n, head) for ((n) = (head)->next; (n) != (head); (n) = (n)->next)

/* The same, but n may be removed from the list: tmp holds its successor. */
#define list_for_each_safe(n, tmp, head) \
	for ((n) = (head)->next, (tmp) = (n)->next; (n) != (head); (n) = (tmp), (tmp) = (n)->next)

static inline void list_init(struct list *head)
{
	head->next = head->prev = head;
}

static inline bool list_empty(const struct list *head)
{
	return head->next == head;
}

/* Whether node n is on a list (its links are not NULL). */
static inline bool list_linked(const struct list *n)
{
	return n->next != NULL;
}

/* The first node of head, or NULL if it is empty. */
static inline struct list *list_first(const struct list *head)
{
	return head->next == head ? NULL : head->next;
}

/* Insert n, which is on no list, between the adjacent nodes a and b. */
static inline void list_insert_between(struct list *n, struct list *a, struct list *b)
{
	n->prev = a;
	n->next = b;
	a->next = n;
	b->prev = n;
}

static inline void list_push_front(struct list *head, struct list *n)
{
	list_insert_between(n, head, head->next);
}

static inline void list_push_back(struct list *head, struct list *n)
{
	list_insert_between(n, head->prev, head);
}

/* Take n off its list; its links become NULL. (Both links are read
 * first: the compiler cannot know that the first store leaves n alone.) */
static inline void list_remove(struct list *n)
{
	struct list *next = n->next, *prev = n->prev;

	prev->next = next;
	next->prev = prev;
	n->next = n->prev = NULL;
}

/*
 * The checker: walk head forwards and return NULL if every node's
 * successor links back to it and the list has at most max nodes (so a
 * cycle that misses the head is caught), else a constant sentence naming
 * what is broken. *count, if not NULL, gets the number of nodes seen.
 */
static inline const char *list_check(const struct list *head, size_t max, size_t *count)
{
	const struct list *n = head;
	size_t k = 0;

	if (count)
		*count = 0;
	if (!head->next || !head->prev)
		return "list_check: head not initialised";
	do {
		if (!n->next)
			return "list_check: a node on the list has a NULL link";
		if (n->next->prev != n)
			return "list_check: a node's successor does not link back to it";
		if (n != head && ++k > max)
			return "list_check: more nodes than the list may hold (a cycle?)";
		n = n->next;
	} while (n != head);
	if (count)
		*count = k;
	return NULL;
}

#endif
