/* SPDX-License-Identifier: MIT */
/*
 * What every unit-test binary shares: a table of named tests, each its
 * own Check test case (so `CK_RUN_CASE=name ./build/unit/suite` runs one
 * alone), and the run that main returns.
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

struct unit_test {
	const char *name;
	const TTest *test;
	int signal;              /* the signal the test must raise (0: none) */
};

/* A suite of the n tests, each with the fixture (either may be NULL) and
 * a timeout in seconds (0: Check's default, or CK_DEFAULT_TIMEOUT). */
Suite *unit_suite(const char *name, const struct unit_test *t, size_t n, SFun setup,
		  SFun teardown, double timeout);

/* Run s (verbosity from CK_VERBOSITY) and return main's exit status. */
int unit_run(Suite *s);

/* The message of the first broken invariant a checker (CHECK_FAIL in
 * kernel/klib.h) reported since unit_check_reset; "" if none. */
extern char unit_check_what[160];
void unit_check_reset(void);

/* Does unit_check_what start with `checker` and contain `what`? */
bool unit_check_says(const char *checker, const char *what);

/* Damage tests: the checker call `ok` must be false, and the first broken
 * invariant reported must start with `checker` ("mdb_check: ") and
 * contain `what` (a constant part of the branch's message). */
#define unit_check_catches(ok, checker, what)                                                \
	do {                                                                                 \
		unit_check_reset();                                                          \
		ck_assert_msg(!(ok), "%s missed: %s", checker, what);                        \
		ck_assert_msg(unit_check_says(checker, what), "want %s...%s..., got \"%s\"", \
			      checker, what, unit_check_what);                               \
	} while (0)

#endif
