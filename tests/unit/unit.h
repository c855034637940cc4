/* SPDX-License-Identifier: MIT */
/*
 * What every unit-test binary shares: a table of named tests, each its
 * own Check test case (so `CK_RUN_CASE=name ./build/unit/suite` runs one
 * alone), and the run that main returns.
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <check.h>
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

#endif
