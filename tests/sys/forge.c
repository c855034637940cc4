/* SPDX-License-Identifier: MIT */
/*
 * Forged console output (issue 8, class 12): a task prints the root
 * task's verdict and the kernel's lines. The kernel marks each of its
 * lines with its thread id ("230001| RESULT: PASS"), prints a carriage
 * return or escape as '?', and ends an unfinished line of one task before
 * another writes; tests/sys/tests.txt checks the marks, and the runner
 * takes the verdict only from an unmarked line (tools/test_tools.py).
 *
 * `tests/forge first` leaves a line unfinished and sleeps; `tests/forge
 * second` writes meanwhile, and must start a line of its own.
 */
#include "tap.h"

static void say(const char *s)
{
	kdb_puts(s, strlen(s));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "second")) {
		tap_sleep(5000);
		say("RESULT: PASS\n");
		return 0;
	}
	say("RESULT: PASS\n");
	say("[kernel] exit requested, status 0\n");
	say("\rRESULT: PASS\n");
	say("\x1b[2KRESULT: PASS\n");
	say("\xc2\x85RESULT: PASS\n");       /* U+0085, a line break to some */
	say("forge: half a line");
	tap_sleep(20000);
	say("\n");
	return 0;
}
