/* SPDX-License-Identifier: MIT */
/* The shared runner of the unit-test binaries (unit.h). */
#include "unit.h"
#include <stdlib.h>

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
