/* SPDX-License-Identifier: MIT */
/*
 * rt-alloc's debug build (RTALLOC_DEBUG, what `make DEBUG=1` links into
 * programs): every call runs the checker and stops the program with a
 * trap at the first violation; freed payloads are poisoned.
 */
#include <check.h>
#include "unit.h"
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rtalloc.h>

#define HEAP_BYTES (1u << 20)

static uint8_t *heap_buf;

static void setup(void)
{
	heap_buf = aligned_alloc(4096, HEAP_BYTES);
	ck_assert_ptr_nonnull(heap_buf);
	rt_heap_reset();
	ck_assert_uint_gt(rt_heap_add(heap_buf, HEAP_BYTES), 0);
}

static void teardown(void)
{
	rt_heap_reset();
	free(heap_buf);
}

/* Correct use: no trap; a freed payload reads as poison beyond the
 * free-list links. */
START_TEST(poisoned_after_free)
{
	uint8_t *a = rt_malloc(200), *b = rt_malloc(200), *c;

	memset(a, 0x11, 200);
	ck_assert_int_eq(rt_free(a), 0);
	for (unsigned i = 16; i < 200; i++)
		ck_assert_uint_eq(a[i], 0xdb);
	c = rt_memalign(4096, 100);
	c = rt_realloc(c, 5000);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rt_free(c), 0);
	ck_assert_int_eq(rt_free(b), 0);
	ck_assert_uint_eq(rtalloc_check(true), 0);
}
END_TEST

/* A write past the end of a block breaks the next block's header: the
 * next call stops the program. */
START_TEST(overrun_traps)
{
	uint8_t *a = rt_malloc(100);

	rt_malloc(100);
	memset(a, 0, 100 + 32);
	rt_malloc(10);
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "poisoned_after_free", poisoned_after_free, 0 },
		{ "overrun_traps", overrun_traps, SIGILL },
	};

	return unit_run(unit_suite("rtalloc_debug", tests, sizeof(tests) / sizeof(tests[0]), setup,
				   teardown, 0));
}
