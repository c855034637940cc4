/* SPDX-License-Identifier: MIT */
/*
 * The checker of sigma0's RAM table (ram_table.h).
 *
 * sigma0_ram_check verifies what sigma0's RAM delegation relies on:
 *  - counts: free_frames is the number of FREE frames in the owner table
 *    and given_frames the number owned by a thread (neither FREE nor
 *    NOT_MINE), so STATS tells the truth and the reserve is real;
 *  - slots: the top is at most RAM_CLIENTS and no slot at or above it is
 *    in use; a slot in use names a thread whose number can own frames
 *    (not FREE, not NOT_MINE) and is not the root task's (which has no
 *    limit and no slot); no two slots in use share a number (one slot
 *    per thread number: sigma0_ram_slot finds the first);
 *  - each slot in use counts exactly the frames its number owns, so
 *    sigma0_ram_fits holds a thread to the `mem=` limit it was given.
 * A slot's used count may exceed its limit (the root task may lower a
 * limit below what the thread owns): it then gets no more.
 */
#include "ram_table.h"

#ifdef HOST_TEST
bool check_failed(const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define RAM_FAIL(...) check_failed(__FILE__, __LINE__, "sigma0_ram_check: " __VA_ARGS__)
#else
#define RAM_FAIL(...) (printf("sigma0_ram_check: " __VA_ARGS__), printf("\n"), false)
#endif

/* The slots: in range, one per number, none for what owns no RAM. */
static bool sigma0_ram_check_slots(const struct sigma0_ram_table *t)
{
	if (t->top > RAM_CLIENTS)
		return RAM_FAIL("top %u beyond %u slots", t->top, RAM_CLIENTS);
	for (unsigned i = 0; i < RAM_CLIENTS; i++) {
		word_t n = tid_number(t->client[i].tid);

		if (t->client[i].tid == TID_NIL)
			continue;
		if (i >= t->top)
			return RAM_FAIL("slot %u in use at or above top %u", i, t->top);
		if (n == OWNER_FREE || n >= OWNER_NOT_MINE || n == t->root_number)
			return RAM_FAIL("slot %u: thread %lx may own no RAM", i, t->client[i].tid);
		for (unsigned j = 0; j < i; j++)
			if (t->client[j].tid != TID_NIL && tid_number(t->client[j].tid) == n)
				return RAM_FAIL("slots %u and %u: the same number %lu", j, i, n);
	}
	return true;
}

/* The slot in use of number n, or RAM_CLIENTS. */
static unsigned sigma0_ram_check_slot(const struct sigma0_ram_table *t, word_t n)
{
	for (unsigned i = 0; i < t->top; i++)
		if (t->client[i].tid != TID_NIL && tid_number(t->client[i].tid) == n)
			return i;
	return RAM_CLIENTS;
}

bool sigma0_ram_check(const struct sigma0_ram_table *t)
{
	word_t free = 0, given = 0, owned[RAM_CLIENTS] = { 0 };
	unsigned slot = RAM_CLIENTS;
	uint16_t last = OWNER_FREE;

	if (!sigma0_ram_check_slots(t))
		return false;
	for (word_t f = 0; f < t->nframes; f++) {
		uint16_t n = t->owner[f];

		if (n == OWNER_FREE) {
			free++;
			continue;
		}
		if (n == OWNER_NOT_MINE)
			continue;
		given++;
		if (n != last)                   /* frames come in runs of one owner */
			slot = sigma0_ram_check_slot(t, last = n);
		if (slot < RAM_CLIENTS)
			owned[slot]++;
	}
	if (free != t->free_frames || given != t->given_frames)
		return RAM_FAIL("%lu frames free, %lu given; counted %lu and %lu", free, given,
				t->free_frames, t->given_frames);
	for (unsigned i = 0; i < t->top; i++)
		if (t->client[i].tid != TID_NIL && owned[i] != t->client[i].used)
			return RAM_FAIL("slot %u (thread %lx): owns %lu frames, counted %lu", i,
					t->client[i].tid, owned[i], t->client[i].used);
	return true;
}
