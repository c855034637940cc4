/* SPDX-License-Identifier: MIT */
/*
 * System tests print one TAP-style line per check ("ok - ..." or
 * "not ok - ..."); the test runner fails a test on any "not ok". A test
 * program returns the number of failed checks as its exit status, and
 * init (the parent) compares it with the expectation in the boot config.
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <libmap.h>

extern unsigned tap_failed;

#define ok(cond, ...) tap_check((cond), __VA_ARGS__)

static inline bool tap_check(bool cond, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("%s - %s\n", cond ? "ok" : "not ok", buf);
	if (!cond)
		tap_failed++;
	return cond;
}

/* Check a system call result against the expected error code. */
static inline bool ok_err(word_t got, word_t want, const char *what)
{
	return ok(got == want, "%s: error %lu (want %lu)", what, got, want);
}

/* Sleep for about `us` microseconds (an IPC receive that times out). */
static inline void tap_sleep(word_t us)
{
	ipc_receive(libmap_myself, us, NULL);
}

#endif
