/* SPDX-License-Identifier: MIT */
/*
 * Two instances ("A" and "B") use the same virtual address in separate
 * spaces: B must not see A's data, and A's data must survive B's writes.
 */
#include "tap.h"
#include <layout.h>

#define PATTERN_A 0xaaaaaaaaaaaaaaaaull
#define PATTERN_B 0xbbbbbbbbbbbbbbbbull

int main(int argc, char **argv)
{
	volatile word_t *p = (volatile word_t *)USER_HEAP_BASE;
	bool a = argc > 1 && !strcmp(argv[1], "A");

	if (a) {
		p[0] = PATTERN_A;
		tap_sleep(30000);
		ok(p[0] == PATTERN_A, "A still reads its own pattern after B ran");
	} else {
		ok(p[0] == 0, "B sees a fresh zero page, not A's data (read %lx)", p[0]);
		p[0] = PATTERN_B;
		ok(p[0] == PATTERN_B, "B reads back its own pattern");
	}
	return (int)tap_failed;
}
