/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the ABI's bit helpers (include/pagoda/fpage.h, thread.h,
 * msg.h) and the alignment macros of kernel/klib.h. Each test is its own
 * TCase: CK_RUN_CASE=name runs one alone.
 */
#include <check.h>
#include "unit.h"
#include <stdlib.h>

#include <pagoda/abi.h>
#include <klib.h>

#define TOP (FPAGE_USER_END)

START_TEST(fpage_fields)
{
	word_t fp = fpage_make(0x400000, 22, FPAGE_RW);

	ck_assert_uint_eq(fp, 0x400000 | (22 << 4) | 2 | 4);
	ck_assert_uint_eq(fpage_base(fp), 0x400000);
	ck_assert_uint_eq(fpage_log2(fp), 22);
	ck_assert_uint_eq(fpage_rights(fp), FPAGE_RW);
	ck_assert_uint_eq(fpage_size(fp), 1u << 22);
	ck_assert(fpage_valid(fp));
	ck_assert(!fpage_is_nil(fp));
	ck_assert(!fpage_is_complete(fp));
	/* The base is bits 63..12: s, rights and reserved bits never leak in. */
	ck_assert_uint_eq(fpage_base(0x5fffull), 0x5000);
	ck_assert_uint_eq(fpage_log2(0x5fffull), 0x3f);
	ck_assert_uint_eq(fpage_rights(0x5fffull), 7);
	ck_assert_uint_eq(FPAGE_R, 4);
	ck_assert_uint_eq(FPAGE_W, 2);
	ck_assert_uint_eq(FPAGE_X, 1);
	ck_assert_uint_eq(TOP, 1ull << 47);
}
END_TEST

START_TEST(fpage_rights_roundtrip)
{
	for (unsigned r = 0; r < 8; r++) {
		word_t fp = fpage_make(0x7000, 12, r);
		ck_assert_uint_eq(fpage_rights(fp), r);
		ck_assert_uint_eq(fpage_base(fp), 0x7000);
		ck_assert_uint_eq(fpage_log2(fp), 12);
		ck_assert(fpage_valid(fp));
	}
	/* Rights beyond rwx do not leak into the reserved bit 3 or into s. */
	ck_assert_uint_eq(fpage_make(0, 12, 0xff), fpage_make(0, 12, FPAGE_RWX));
}
END_TEST

START_TEST(fpage_size_limits)
{
	ck_assert(!fpage_valid(fpage_make(0, 11, FPAGE_R)));
	ck_assert(fpage_valid(fpage_make(0, 12, FPAGE_R)));
	ck_assert(fpage_valid(fpage_make(0x1000, 12, FPAGE_R)));
	ck_assert(fpage_valid(fpage_make(0, 47, FPAGE_R)));
	ck_assert_uint_eq(fpage_size(fpage_make(0, 47, 0)), TOP);
	ck_assert(!fpage_valid(fpage_make(0, 48, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(0, 63, FPAGE_R)));
	/* s is six bits: 64 + 12 wraps to 12. */
	ck_assert_uint_eq(fpage_log2(fpage_make(0, 64 + 12, 0)), 12);
}
END_TEST

START_TEST(fpage_alignment)
{
	ck_assert(!fpage_valid(fpage_make(0x1000, 13, FPAGE_R)));
	ck_assert(fpage_valid(fpage_make(0x2000, 13, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(0x200000 + 0x1000, 21, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(1ull << 46, 47, FPAGE_R)));
	/* fpage_make drops the low 12 bits of the base. */
	ck_assert_uint_eq(fpage_base(fpage_make(0x1234, 12, 0)), 0x1000);
	ck_assert(fpage_valid(fpage_make(0x1234, 12, FPAGE_R)));
}
END_TEST

START_TEST(fpage_top_of_user)
{
	ck_assert(fpage_valid(fpage_make(TOP - 0x1000, 12, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(TOP - 0x1000, 13, FPAGE_R)));
	ck_assert(fpage_valid(fpage_make(TOP - 0x2000, 13, FPAGE_R)));
	ck_assert(fpage_valid(fpage_make(TOP / 2, 46, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(TOP, 12, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(TOP, 47, FPAGE_R)));
}
END_TEST

START_TEST(fpage_kernel_addresses)
{
	ck_assert(!fpage_valid(fpage_make(0xffff800000000000ull, 12, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(0xffffffff80000000ull, 12, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(0xffffffff80000000ull, 31, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(0xfffffffffffff000ull, 12, FPAGE_R)));
	ck_assert(!fpage_valid(fpage_make(0x0000800000000000ull, 47, FPAGE_R)));
}
END_TEST

START_TEST(fpage_reserved_bits)
{
	word_t fp = fpage_make(0x10000, 16, FPAGE_RWX);

	ck_assert(fpage_valid(fp));
	ck_assert(!fpage_valid(fp | (1u << 3)));
	ck_assert(!fpage_valid(fp | (1u << 10)));
	ck_assert(!fpage_valid(fp | (1u << 11)));
}
END_TEST

START_TEST(fpage_nil_complete)
{
	ck_assert(fpage_is_nil(FPAGE_NIL));
	ck_assert(!fpage_is_complete(FPAGE_NIL));
	ck_assert(!fpage_valid(FPAGE_NIL));
	ck_assert(fpage_is_nil(fpage_make(0x5000, 0, FPAGE_RW)));

	ck_assert(fpage_is_complete(FPAGE_COMPLETE));
	ck_assert(!fpage_is_nil(FPAGE_COMPLETE));
	ck_assert(!fpage_valid(FPAGE_COMPLETE));
	ck_assert(fpage_is_complete(fpage_make(0, 1, FPAGE_RWX)));
	ck_assert_uint_eq(fpage_rights(fpage_make(0, 1, FPAGE_RWX)), FPAGE_RWX);
	ck_assert(!fpage_is_complete(fpage_make(0x1000, 1, 0)));
	ck_assert(!fpage_is_complete(fpage_make(0, 2, 0)));
}
END_TEST

/* fpage_valid agrees with its definition over every s and many bases. */
START_TEST(fpage_valid_exhaustive)
{
	static const word_t bases[] = {
		0, 0x1000, 0x2000, 0x3000, 0x200000, 0x201000, 0x40000000, 1ull << 45, 1ull << 46,
		TOP - 0x1000, TOP - 0x200000, TOP, TOP + 0x1000, 1ull << 48, 0xffff800000000000ull,
		0xffffffff80000000ull, 0xfffffffffffff000ull,
	};
	for (unsigned s = 0; s < 64; s++)
		for (unsigned i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
			word_t b = bases[i], fp = fpage_make(b, s, FPAGE_R);
			bool want = s >= 12 && s <= 47 && (b & ((1ull << s) - 1)) == 0 && b < TOP &&
				    (1ull << s) <= TOP - b;
			if (fpage_valid(fp) != want)
				ck_abort_msg("fpage_valid(base %#llx, s %u) != %d", (unsigned long long)b, s, want);
		}
}
END_TEST

START_TEST(tid_fields)
{
	word_t t = tid_make(5, 1);

	ck_assert_uint_eq(t, 0x50001);
	ck_assert_uint_eq(tid_number(t), 5);
	ck_assert_uint_eq(tid_version(t), 1);
	ck_assert_uint_eq(tid_version(tid_make(6, 0x12345)), 0x2345);
	ck_assert_uint_eq(tid_number(tid_make(6, 0x12345)), 6);   /* no carry into the number */
	ck_assert_uint_eq(tid_number(tid_make((1ull << 48) - 1, 0xffff)), (1ull << 48) - 1);
	ck_assert_uint_eq(tid_version(tid_make((1ull << 48) - 1, 0xffff)), 0xffff);
	ck_assert_uint_eq(tid_number(tid_make(1ull << 48, 1)), 0);  /* number is 48 bits */
	ck_assert_uint_eq(tid_number(TID_NIL), 0);
	ck_assert_uint_eq(tid_version(TID_NIL), 0);
	ck_assert_uint_eq(tid_version(TID_ANY), 0xffff);
	ck_assert_uint_eq(tid_irq(3), tid_make(3, 1));
	ck_assert_uint_ne(tid_make(5, 1), tid_make(5, 2));
}
END_TEST

START_TEST(tag_fields)
{
	word_t tag = tag_make(0x1234, 5, 2);

	ck_assert_uint_eq(tag, (0x1234ull << 16) | (2 << 6) | 5);
	ck_assert_uint_eq(tag_label(tag), 0x1234);
	ck_assert_uint_eq(tag_u(tag), 5);
	ck_assert_uint_eq(tag_t(tag), 2);
	ck_assert_uint_eq(tag & TAG_E_FLAG, 0);
	ck_assert_uint_eq(tag_label(tag | TAG_E_FLAG), 0x1234);
	ck_assert_uint_eq(tag_u(tag | TAG_E_FLAG), 5);
	ck_assert_uint_eq(tag_t(tag | TAG_E_FLAG), 2);
}
END_TEST

START_TEST(tag_limits)
{
	word_t tag = tag_make((1ull << 48) - 1, 63, 63);

	ck_assert_uint_eq(tag_label(tag), (1ull << 48) - 1);
	ck_assert_uint_eq(tag_u(tag), 63);
	ck_assert_uint_eq(tag_t(tag), 63);
	ck_assert_uint_eq(tag & TAG_E_FLAG, 0);
	/* u and t are six bits each: 64 wraps to 0 and cannot spill over. */
	ck_assert_uint_eq(tag_make(0, 64, 64), 0);
	ck_assert_uint_eq(tag_make(0, 0x7f, 0), 0x3f);
	ck_assert_uint_eq(tag_make(LABEL_PAGEFAULT | FPAGE_W, PF_MSG_LENGTH, 0) >> 16,
			  LABEL_PAGEFAULT | FPAGE_W);
	ck_assert_uint_ge(LABEL_PAGEFAULT, LABEL_KERNEL_MIN);
	ck_assert_uint_ge(LABEL_EXCEPTION, LABEL_KERNEL_MIN);
	ck_assert_uint_ge(LABEL_IRQ, LABEL_KERNEL_MIN);
	ck_assert_uint_eq(PF_MSG_LENGTH, 2);
	ck_assert_uint_eq(EXC_MSG_LENGTH, 21);         /* 20 registers and the fault address */
	ck_assert_uint_le(EXC_MSG_LENGTH, MSG_MR_COUNT - 1);
}
END_TEST

START_TEST(item_fields)
{
	ck_assert_uint_eq(item_hotspot(0x123456789abcull | ITEM_MAP), 0x123456789000ull);
	ck_assert_uint_eq((0x5000 | ITEM_GRANT) & ITEM_TYPE_MASK, ITEM_GRANT);
	ck_assert_uint_ne(ITEM_MAP, ITEM_GRANT);
}
END_TEST

START_TEST(timeout_fields)
{
	ck_assert_uint_eq(timeouts(TIMEOUT_NEVER, TIMEOUT_ZERO), 0xffffffff00000000ull);
	ck_assert_uint_eq(timeouts(TIMEOUT_ZERO, TIMEOUT_NEVER), 0xffffffffull);
	ck_assert_uint_eq(timeouts(5, 7), (5ull << 32) | 7);
	ck_assert_uint_eq(timeouts(0, 0x100000007ull), 7);   /* rcv is 32 bits */
	ck_assert_uint_eq(timeouts(TIMEOUT_NEVER, TIMEOUT_NEVER), ~0ull);
}
END_TEST

START_TEST(klib_align)
{
	ck_assert_uint_eq(ALIGN_UP(0x1001ull, 0x1000), 0x2000);
	ck_assert_uint_eq(ALIGN_UP(0x1000ull, 0x1000), 0x1000);
	ck_assert_uint_eq(ALIGN_UP(0ull, 0x1000), 0);
	ck_assert_uint_eq(ALIGN_UP(1ull, 1), 1);
	ck_assert_uint_eq(ALIGN_DOWN(0x1fffull, 0x1000), 0x1000);
	ck_assert_uint_eq(ALIGN_DOWN(0x1000ull, 0x1000), 0x1000);
	ck_assert_uint_eq(ALIGN_DOWN(0xfffull, 0x1000), 0);
	/* The mask takes the type of x: an unsigned 32-bit alignment must not
	 * clear the upper half of a 64-bit value. */
	ck_assert_uint_eq(ALIGN_DOWN(0xffffffff12345678ull, 0x1000u), 0xffffffff12345000ull);
	ck_assert_uint_eq(ALIGN_UP(0xffffffff12345678ull, 0x1000u), 0xffffffff12346000ull);
	ck_assert_uint_eq(ALIGN_UP(0x100000001ull, 1u << 31), 0x180000000ull);
	/* Rounding up past the top wraps to 0: callers must check. */
	ck_assert_uint_eq(ALIGN_UP(~0ull - 5, 0x1000), 0);
	ck_assert_uint_eq(ALIGN_UP((uint32_t)0xfffff001u, 0x1000), 0);
}
END_TEST

START_TEST(klib_is_aligned)
{
	ck_assert(IS_ALIGNED(0ull, 0x1000));
	ck_assert(IS_ALIGNED(0x200000ull, 0x200000));
	ck_assert(!IS_ALIGNED(0x201000ull, 0x200000));
	ck_assert(IS_ALIGNED(0xffffffff80000000ull, 0x1000u));
	ck_assert(!IS_ALIGNED(0xffffffff80000800ull, 0x1000u));
	ck_assert(IS_ALIGNED(7ull, 1));
	for (word_t x = 0; x < 0x3000; x += 0x10)
		if (IS_ALIGNED(x, 0x1000) != (x % 0x1000 == 0) ||
		    ALIGN_DOWN(x, 0x1000) != x - x % 0x1000 ||
		    ALIGN_UP(x, 0x1000) != (x + 0xfff) / 0x1000 * 0x1000)
			ck_abort_msg("alignment of %#lx", (unsigned long)x);
}
END_TEST

START_TEST(klib_misc)
{
	int a[7];

	ck_assert_uint_eq(ARRAY_SIZE(a), 7);
	ck_assert_int_eq(MIN(3, -4), -4);
	ck_assert_int_eq(MAX(3, -4), 3);
	ck_assert_uint_eq(MIN(0x100000000ull, 5ull), 5);
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "fpage_fields", fpage_fields, 0 },
		{ "fpage_rights_roundtrip", fpage_rights_roundtrip, 0 },
		{ "fpage_size_limits", fpage_size_limits, 0 },
		{ "fpage_alignment", fpage_alignment, 0 },
		{ "fpage_top_of_user", fpage_top_of_user, 0 },
		{ "fpage_kernel_addresses", fpage_kernel_addresses, 0 },
		{ "fpage_reserved_bits", fpage_reserved_bits, 0 },
		{ "fpage_nil_complete", fpage_nil_complete, 0 },
		{ "fpage_valid_exhaustive", fpage_valid_exhaustive, 0 },
		{ "tid_fields", tid_fields, 0 },
		{ "tag_fields", tag_fields, 0 },
		{ "tag_limits", tag_limits, 0 },
		{ "item_fields", item_fields, 0 },
		{ "timeout_fields", timeout_fields, 0 },
		{ "klib_align", klib_align, 0 },
		{ "klib_is_aligned", klib_is_aligned, 0 },
		{ "klib_misc", klib_misc, 0 },
	};

	return unit_run(unit_suite("bits", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL, 0));
}
