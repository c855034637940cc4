/* SPDX-License-Identifier: MIT */
/* The shared runner of the unit-test binaries (unit.h). */
#include "unit.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

char unit_check_what[160];

void unit_check_reset(void)
{
	unit_check_what[0] = 0;
}

bool unit_check_says(const char *checker, const char *what)
{
	size_t n = strlen(checker), m = strlen(what);

	if (strncmp(unit_check_what, checker, n) != 0)
		return false;
	for (const char *p = unit_check_what; *p; p++)
		if (strncmp(p, what, m) == 0)
			return true;
	return false;
}

bool check_failed(const char *file, unsigned line, const char *fmt, ...);

bool check_failed(const char *file, unsigned line, const char *fmt, ...)
{
	char what[sizeof(unit_check_what)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	printf("%s:%u: %s\n", file, line, what);
	if (!unit_check_what[0])
		memcpy(unit_check_what, what, sizeof(what));
	return false;
}

Suite *unit_suite(const char *name, const struct unit_test *t, size_t n, SFun setup,
		  SFun teardown, double timeout)
{
	Suite *s = suite_create(name);

	for (size_t i = 0; i < n; i++) {
		TCase *tc = tcase_create(t[i].name);
		if (setup || teardown)
			tcase_add_checked_fixture(tc, setup, teardown);
		if (timeout > 0)
			tcase_set_timeout(tc, timeout);
		tcase_add_test_raise_signal(tc, t[i].test, t[i].signal);
		suite_add_tcase(s, tc);
	}
	return s;
}

int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
