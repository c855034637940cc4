/* SPDX-License-Identifier: MIT */
/*
 * Damage tests for space_check (tests/sys/damage.py judges them): on a
 * DEBUG=1 kernel, KDB_DAMAGE breaks one structure of this task's space per
 * case, runs the checkers and mends it; each case must come back E_BROKEN
 * from checker 3 (space), and the kernel's "check:" line that follows
 * must name the branch. Case 10 makes case 7's damage where no change
 * notes it, and must be caught by the check after a change (checker 5)
 * once a change touches its range, not before. Other kernels refuse KDB_DAMAGE: nothing to test.
 */
#include "tap.h"

#define DAMAGE_CASES 10
#define DAMAGE_LOCAL 10

/* Cases 7 and 10 put a PTE without a node here: an address this task never maps. */
#define DAMAGE_VA ((word_t)0x300000000000)

int main(int argc, char **argv)
{
	word_t checker = 0, line = 0;

	(void)argc, (void)argv;

	if (kdb_damage(1, DAMAGE_VA, &checker, &line) == E_BAD_ARGUMENT) {
		printf("damage: not a DEBUG=1 kernel, no damage tests\n");
		return tap_done("damage");
	}
	for (word_t i = 1; i <= DAMAGE_CASES; i++) {
		word_t err = kdb_damage(i, DAMAGE_VA, &checker, &line);
		ok(err == E_BROKEN && checker == (i == DAMAGE_LOCAL ? 5 : 3),
		   "damage case %lu: checker %lu line %lu (error %lu)", i, checker, line, err);
	}
	ok(kdb_damage(DAMAGE_CASES + 1, DAMAGE_VA, &checker, &line) == E_BAD_ARGUMENT,
	   "damage: an unknown case is refused");
	return tap_done("damage");
}
