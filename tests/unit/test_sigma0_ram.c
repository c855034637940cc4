/* SPDX-License-Identifier: MIT */
/*
 * Damage tests for sigma0_ram_check (sigma0/ram_check.c), the checker of
 * sigma0's RAM table: a table of 64 frames (some not RAM, some free, runs
 * owned by the root task and by two threads it named with RAM, one of
 * them above its limit), then each test breaks one part of it and expects
 * the branch that names it.
 */
#include <check.h>
#include "unit.h"
#include <string.h>

#include "sigma0/ram_table.h"

#define FRAMES 64
#define ROOT 3                                  /* the root task's number */
#define T_A tid_make(10, 1)
#define T_B tid_make(11, 2)

static uint16_t owner[FRAMES];
static struct sigma0_ram_client slot[RAM_CLIENTS];
static struct sigma0_ram_table t;

/* Frames 0-7 not RAM, 8-15 the root task's, 16-27 A's, 28-31 B's, 32
 * one of a thread without a slot, the rest free; A in slot 0, B in slot 2
 * (slot 1 freed again), limited below what it owns. */
static void setup(void)
{
	for (unsigned f = 0; f < FRAMES; f++)
		owner[f] = f < 8     ? OWNER_NOT_MINE
			   : f < 16  ? ROOT
			   : f < 28  ? 10
			   : f < 32  ? 11
			   : f == 32 ? 12
				     : OWNER_FREE;
	memset(slot, 0, sizeof(slot));
	slot[0] = (struct sigma0_ram_client){ T_A, 100, 12 };
	slot[1] = (struct sigma0_ram_client){ TID_NIL, 0, 7 };
	slot[2] = (struct sigma0_ram_client){ T_B, 2, 4 };
	t = (struct sigma0_ram_table){ owner, FRAMES, FRAMES - 33, 25, slot, 3, ROOT };
	ck_assert(sigma0_ram_check(&t));
}

#define RAM_CATCHES(what) unit_check_catches(sigma0_ram_check(&t), "sigma0_ram_check: ", what)

/* Break one field, expect the branch, mend it. */
#define DAMAGE(field, value, what)                \
	do {                                      \
		__typeof__(field) save = (field); \
		(field) = (value);                \
		RAM_CATCHES(what);                \
		(field) = save;                   \
		ck_assert(sigma0_ram_check(&t));  \
	} while (0)

START_TEST(counts)
{
	DAMAGE(t.free_frames, t.free_frames - 1, "frames free");
	DAMAGE(t.given_frames, t.given_frames + 1, "frames free");
	DAMAGE(owner[40], 12, "frames free");           /* taken, counts not kept */
	DAMAGE(owner[20], OWNER_FREE, "frames free");   /* freed, counts not kept */
}
END_TEST

START_TEST(slots)
{
	DAMAGE(t.top, RAM_CLIENTS + 1, "beyond 64 slots");
	DAMAGE(t.top, 2, "slot 2 in use at or above top 2");
	DAMAGE(slot[5].tid, T_A, "slot 5 in use at or above");
	DAMAGE(slot[1].tid, tid_make(ROOT, 1), "may own no RAM");
	DAMAGE(slot[1].tid, tid_make(OWNER_NOT_MINE, 1), "may own no RAM");
	DAMAGE(slot[1].tid, tid_make(11, 7), "slots 1 and 2: the same number 11");
}
END_TEST

START_TEST(owned)
{
	DAMAGE(slot[0].used, 11, "slot 0 (thread");
	DAMAGE(slot[2].used, 0, "owns 4 frames, counted 0");
	DAMAGE(owner[32], 11, "owns 5 frames, counted 4");   /* another's frame moved to B */
	t.given_frames++;                               /* B took a free frame, uncounted */
	owner[33] = 11;
	t.free_frames--;
	RAM_CATCHES("owns 5 frames, counted 4");
}
END_TEST

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	const struct unit_test tests[] = {
		{ "counts", counts, 0 },
		{ "slots", slots, 0 },
		{ "owned", owned, 0 },
	};

	return unit_run(unit_suite("sigma0_ram", tests, ARRAY_SIZE(tests), setup, NULL, 0));
}
