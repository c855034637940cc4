/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/elf.c. Images are built in memory from a table of
 * program headers; each malformed one must be rejected with its own error.
 * If PAGODA_TEST_ELF names a file, it is parsed too and must be accepted.
 * Each test is its own TCase: CK_RUN_CASE=name runs one alone.
 */
#include <check.h>
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lib/elf.h>
#include <pagoda/fpage.h>

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_GNU_STACK 0x6474e551u
#define PF_X 1u
#define PF_W 2u
#define PF_R 4u

#define USER_END FPAGE_USER_END
#define IMAGE_MAX 0x10000

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

/* The image under test, rebuilt by each test from its header fields. */
static struct {
	uint8_t buf[IMAGE_MAX + 1];
	size_t size;
	uint64_t entry;
	uint64_t phoff;
	uint16_t type, machine, phentsize;
	unsigned nph;
	struct phdr ph[32];
} img;

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A valid two-segment executable: text (r-x), data + bss (rw-), a note and
 * a stack header; the LOAD headers in reverse vaddr order. */
static void img_default(void)
{
	memset(&img, 0, sizeof(img));
	img.entry = 0x401010;
	img.phoff = 64;
	img.type = 2;
	img.machine = 62;
	img.phentsize = 56;
	img.nph = 4;
	img.ph[0] = (struct phdr){ PT_LOAD, PF_R | PF_W, 0x2000, 0x402000, 0x80, 0x3000, 0x1000 };
	img.ph[1] = (struct phdr){ PT_NOTE, PF_R, 0x200, 0x400200, 0x20, 0x20, 4 };
	img.ph[2] = (struct phdr){ PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100, 0x1000 };
	img.ph[3] = (struct phdr){ PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16 };
}

/* Serialise img's fields into img.buf; the size covers every file range. */
static void img_build(void)
{
	uint8_t *b = img.buf;
	size_t size = img.phoff + img.nph * 56;

	memset(b, 0, sizeof(img.buf));
	memcpy(b, "\177ELF", 4); // NOLINT(bugprone-not-null-terminated-result): the ELF magic
	b[4] = 2, b[5] = 1, b[6] = 1;
	put(b + 16, img.type, 2);
	put(b + 18, img.machine, 2);
	put(b + 20, 1, 4);
	put(b + 24, img.entry, 8);
	put(b + 32, img.phoff, 8);
	put(b + 52, 64, 2);
	put(b + 54, img.phentsize, 2);
	put(b + 56, img.nph, 2);
	for (unsigned i = 0; i < img.nph; i++) {
		uint8_t *p = b + img.phoff + i * 56;
		const struct phdr *h = &img.ph[i];
		put(p, h->type, 4), put(p + 4, h->flags, 4), put(p + 8, h->offset, 8);
		put(p + 16, h->vaddr, 8), put(p + 24, h->vaddr, 8), put(p + 32, h->filesz, 8);
		put(p + 40, h->memsz, 8), put(p + 48, h->align, 8);
		if (h->offset + h->filesz > size && h->offset + h->filesz <= IMAGE_MAX)
			size = h->offset + h->filesz;
	}
	img.size = size;
}

/* Build img and parse it; a failed parse must leave out empty. */
static int img_parse(struct elf_image *out)
{
	int err;

	img_build();
	memset(out, 0xa5, sizeof(*out));
	err = elf_parse(img.buf, img.size, USER_END, out);
	if (err != ELF_OK) {
		ck_assert_uint_eq(out->nsegments, 0);
		ck_assert_uint_eq(out->entry, 0);
	}
	return err;
}

/* Expect img, as it stands, to be rejected with err. */
static void img_expect(int err)
{
	struct elf_image out;
	int got = img_parse(&out);

	ck_assert_msg(got == err, "expected %s, got %s", elf_strerror(err), elf_strerror(got));
}

/* A successful parse must satisfy every promise elf.h makes. */
static void image_check(const struct elf_image *im, word_t size, word_t user_end)
{
	bool entry_ok = false;

	ck_assert_uint_le(im->nsegments, ELF_MAX_SEGMENTS);
	for (unsigned i = 0; i < im->nsegments; i++) {
		const struct elf_segment *s = &im->seg[i];
		ck_assert_uint_gt(s->memsz, 0);
		ck_assert_uint_le(s->filesz, s->memsz);
		ck_assert_uint_le(s->offset, size);
		ck_assert_uint_le(s->filesz, size - s->offset);
		ck_assert_uint_lt(s->vaddr, user_end);
		ck_assert_uint_le(s->memsz, user_end - s->vaddr);
		ck_assert_uint_eq(s->rights & ~FPAGE_RWX, 0);
		if (i > 0)
			ck_assert_uint_lt((im->seg[i - 1].vaddr + im->seg[i - 1].memsz - 1) >> 12,
					  s->vaddr >> 12);
		if (im->entry >= s->vaddr && im->entry - s->vaddr < s->memsz)
			entry_ok = (s->rights & FPAGE_X) != 0;
	}
	ck_assert(entry_ok);
}

START_TEST(valid)
{
	struct elf_image out;

	img_default();
	ck_assert_int_eq(img_parse(&out), ELF_OK);
	ck_assert_uint_eq(out.entry, 0x401010);
	ck_assert_uint_eq(out.nsegments, 2);
	ck_assert_uint_eq(out.seg[0].vaddr, 0x401000);
	ck_assert_uint_eq(out.seg[0].offset, 0x1000);
	ck_assert_uint_eq(out.seg[0].filesz, 0x100);
	ck_assert_uint_eq(out.seg[0].memsz, 0x100);
	ck_assert_uint_eq(out.seg[0].rights, FPAGE_RX);
	ck_assert_uint_eq(out.seg[1].vaddr, 0x402000);
	ck_assert_uint_eq(out.seg[1].offset, 0x2000);
	ck_assert_uint_eq(out.seg[1].filesz, 0x80);
	ck_assert_uint_eq(out.seg[1].memsz, 0x3000);
	ck_assert_uint_eq(out.seg[1].rights, FPAGE_RW);
	image_check(&out, img.size, USER_END);
}
END_TEST

START_TEST(valid_unaligned_buffer)
{
	struct elf_image out;

	img_default();
	img_build();
	memmove(img.buf + 1, img.buf, img.size);
	ck_assert_int_eq(elf_parse(img.buf + 1, img.size, USER_END, &out), ELF_OK);
	ck_assert_uint_eq(out.nsegments, 2);
	ck_assert_uint_eq(out.entry, 0x401010);
}
END_TEST

START_TEST(valid_edges)
{
	struct elf_image out;

	/* Segments on consecutive pages, the last one ending at user_end, the
	 * entry on the text segment's last byte, a bss-only segment. */
	img_default();
	img.nph = 3;
	img.ph[0] = (struct phdr){ PT_LOAD, PF_R | PF_X, 0x1000, USER_END - 0x3000, 0x1000, 0x1000, 0x1000 };
	img.ph[1] = (struct phdr){ PT_LOAD, PF_R | PF_W, 0x2000, USER_END - 0x2000, 0, 0x1000, 0x1000 };
	img.ph[2] = (struct phdr){ PT_LOAD, PF_R, 0x2000, USER_END - 0x1000, 0, 0x1000, 0 };
	img.entry = USER_END - 0x2001;
	ck_assert_int_eq(img_parse(&out), ELF_OK);
	ck_assert_uint_eq(out.nsegments, 3);
	ck_assert_uint_eq(out.seg[2].vaddr + out.seg[2].memsz, USER_END);
	image_check(&out, img.size, USER_END);
}
END_TEST

START_TEST(empty_load_ignored)
{
	struct elf_image out;

	img_default();
	img.ph[1] = (struct phdr){ PT_LOAD, PF_R, 0x1800, 0x401800, 0, 0, 0x1000 };
	ck_assert_int_eq(img_parse(&out), ELF_OK);
	ck_assert_uint_eq(out.nsegments, 2);
}
END_TEST

START_TEST(max_segments)
{
	struct elf_image out;

	img_default();
	img.nph = ELF_MAX_SEGMENTS;
	img.entry = 0x401008;
	for (unsigned i = 0; i < img.nph; i++)
		img.ph[i] = (struct phdr){ PT_LOAD, PF_R | PF_X, 0x1000, 0x401000 + 0x1000 * i, 0x10, 0x10, 0x1000 };
	ck_assert_int_eq(img_parse(&out), ELF_OK);
	ck_assert_uint_eq(out.nsegments, ELF_MAX_SEGMENTS);
	image_check(&out, img.size, USER_END);
}
END_TEST

START_TEST(too_many_segments)
{
	img_default();
	img.nph = ELF_MAX_SEGMENTS + 1;
	for (unsigned i = 0; i < img.nph; i++)
		img.ph[i] = (struct phdr){ PT_LOAD, PF_R | PF_X, 0x1000, 0x401000 + 0x1000 * i, 0x10, 0x10, 0x1000 };
	img_expect(ELF_E_TOO_MANY);
}
END_TEST

START_TEST(truncated_header)
{
	struct elf_image out;

	img_default();
	img_build();
	ck_assert_int_eq(elf_parse(img.buf, 63, USER_END, &out), ELF_E_TRUNCATED);
	ck_assert_int_eq(elf_parse(img.buf, 0, USER_END, &out), ELF_E_TRUNCATED);
}
END_TEST

START_TEST(truncated_phdrs)
{
	struct elf_image out;

	img_default();
	img_build();
	/* The table is [64, 64 + 4 * 56): cut the image inside it. */
	ck_assert_int_eq(elf_parse(img.buf, 64 + 4 * 56 - 1, USER_END, &out), ELF_E_PHDR);
	ck_assert_int_eq(elf_parse(img.buf, 64, USER_END, &out), ELF_E_PHDR);
}
END_TEST

START_TEST(phdr_offset_overflow)
{
	img_default();
	img_build();
	put(img.buf + 32, ~(uint64_t)0 - 8, 8);
	{
		struct elf_image out;
		ck_assert_int_eq(elf_parse(img.buf, img.size, USER_END, &out), ELF_E_PHDR);
	}
}
END_TEST

START_TEST(bad_phentsize)
{
	img_default();
	img.phentsize = 32;
	img_expect(ELF_E_PHDR);
}
END_TEST

START_TEST(bad_magic)
{
	struct elf_image out;

	for (int i = 0; i < 4; i++) {
		img_default();
		img_build();
		img.buf[i] ^= 0x20;
		ck_assert_int_eq(elf_parse(img.buf, img.size, USER_END, &out), ELF_E_MAGIC);
	}
}
END_TEST

START_TEST(class32)
{
	struct elf_image out;

	img_default();
	img_build();
	img.buf[4] = 1;
	ck_assert_int_eq(elf_parse(img.buf, img.size, USER_END, &out), ELF_E_CLASS);
}
END_TEST

START_TEST(big_endian)
{
	struct elf_image out;

	img_default();
	img_build();
	img.buf[5] = 2;
	ck_assert_int_eq(elf_parse(img.buf, img.size, USER_END, &out), ELF_E_DATA);
}
END_TEST

START_TEST(bad_version)
{
	struct elf_image out;

	img_default();
	img_build();
	put(img.buf + 20, 2, 4);
	ck_assert_int_eq(elf_parse(img.buf, img.size, USER_END, &out), ELF_E_VERSION);
	img_build();
	img.buf[6] = 0;
	ck_assert_int_eq(elf_parse(img.buf, img.size, USER_END, &out), ELF_E_VERSION);
}
END_TEST

START_TEST(wrong_machine)
{
	img_default();
	img.machine = 3;   /* EM_386 */
	img_expect(ELF_E_MACHINE);
	img.machine = 183; /* EM_AARCH64 */
	img_expect(ELF_E_MACHINE);
}
END_TEST

START_TEST(not_exec)
{
	img_default();
	img.type = 3;      /* ET_DYN */
	img_expect(ELF_E_TYPE);
	img.type = 1;      /* ET_REL */
	img_expect(ELF_E_TYPE);
}
END_TEST

START_TEST(interpreter)
{
	img_default();
	img.ph[1].type = PT_INTERP;
	img_expect(ELF_E_TYPE);
}
END_TEST

START_TEST(segment_past_end)
{
	struct elf_image out;

	img_default();
	img_build();
	/* The data segment's file bytes end at 0x2080 = img.size. */
	ck_assert_int_eq(elf_parse(img.buf, img.size - 1, USER_END, &out), ELF_E_SEGMENT_BOUNDS);
	img.ph[0].offset = ~(uint64_t)0 - 0x40;   /* offset + filesz wraps */
	img.ph[0].vaddr = 0x402000 + (img.ph[0].offset & 0xfff);
	img_expect(ELF_E_SEGMENT_BOUNDS);
}
END_TEST

START_TEST(filesz_over_memsz)
{
	img_default();
	img.ph[2].memsz = img.ph[2].filesz - 1;
	img_expect(ELF_E_FILESZ);
}
END_TEST

START_TEST(vaddr_overflow)
{
	img_default();
	img.ph[0].vaddr = ~(uint64_t)0 - 0xfff;   /* congruent with offset 0x2000 */
	img.ph[0].memsz = 0x2000;
	img_expect(ELF_E_ADDRESS);
}
END_TEST

START_TEST(beyond_user_end)
{
	img_default();
	img.ph[0].vaddr = USER_END;
	img_expect(ELF_E_ADDRESS);
	img.ph[0].vaddr = USER_END - 0x1000;      /* memsz 0x3000 crosses the end */
	img_expect(ELF_E_ADDRESS);
	img.ph[0].vaddr = 0xffffffff80000000ull;  /* kernel half */
	img_expect(ELF_E_ADDRESS);
}
END_TEST

START_TEST(misaligned)
{
	img_default();
	img.ph[2].align = 0x1800;                 /* not a power of two */
	img_expect(ELF_E_ALIGN);
	img_default();
	img.ph[2].vaddr = 0x401800;               /* offset 0x1000: not congruent */
	img.entry = 0x401810;
	img_expect(ELF_E_ALIGN);
}
END_TEST

START_TEST(overlap)
{
	img_default();
	img.ph[0].vaddr = 0x401100;               /* same page as the text's end */
	img.ph[0].align = 0x100;
	img.ph[0].offset = 0x2100;
	img_expect(ELF_E_OVERLAP);
	img_default();
	img.ph[0].vaddr = 0x400000;               /* wholly around the text */
	img.ph[0].offset = 0x2000;
	img.ph[0].align = 0x1000;
	img_expect(ELF_E_OVERLAP);
	img_default();
	img.ph[0] = img.ph[2];                    /* the same segment twice */
	img_expect(ELF_E_OVERLAP);
}
END_TEST

START_TEST(entry_outside)
{
	img_default();
	img.entry = 0x400000;
	img_expect(ELF_E_ENTRY);
	img.entry = 0x401100;                     /* one past the text's end */
	img_expect(ELF_E_ENTRY);
	img.entry = 0;
	img_expect(ELF_E_ENTRY);
}
END_TEST

START_TEST(entry_not_executable)
{
	img_default();
	img.entry = 0x402010;                     /* in data */
	img_expect(ELF_E_ENTRY);
	img_default();
	img.ph[2].flags = PF_R;                   /* text without X */
	img_expect(ELF_E_ENTRY);
}
END_TEST

START_TEST(no_segments)
{
	img_default();
	img.nph = 0;
	img_expect(ELF_E_ENTRY);
}
END_TEST

START_TEST(strerror_names)
{
	for (int i = 0; i < ELF_E_COUNT; i++) {
		ck_assert_ptr_nonnull(elf_strerror(i));
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(elf_strerror(i), elf_strerror(j));
	}
	ck_assert_str_eq(elf_strerror(-1), "unknown ELF error");
	ck_assert_str_eq(elf_strerror(ELF_E_COUNT), "unknown ELF error");
}
END_TEST

/* Random byte flips of the valid image: never a crash, and whatever is
 * accepted keeps every promise. */
START_TEST(mutations)
{
	struct elf_image out;
	unsigned seed = 12345, accepted = 0;

	for (int round = 0; round < 20000; round++) {
		img_default();
		img_build();
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245 + 12345;
			img.buf[(seed >> 8) % (64 + 4 * 56)] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		if (elf_parse(img.buf, img.size, USER_END, &out) == ELF_OK) {
			image_check(&out, img.size, USER_END);
			accepted++;
		}
	}
	ck_assert_uint_gt(accepted, 0);
}
END_TEST

/* Read the file PAGODA_TEST_ELF names, if any, and parse it. */
START_TEST(real_elf)
{
	const char *path = getenv("PAGODA_TEST_ELF");
	static uint8_t file[1 << 24];
	struct elf_image out;
	size_t size;
	FILE *f;
	int err;

	if (!path || !*path)
		return;   /* optional: nothing to check */
	ck_assert_msg((f = fopen(path, "rb")) != NULL, "cannot open %s", path);
	size = fread(file, 1, sizeof(file), f);
	fclose(f);
	ck_assert_uint_lt(size, sizeof(file));
	err = elf_parse(file, size, USER_END, &out);
	ck_assert_msg(err == ELF_OK, "%s: %s", path, elf_strerror(err));
	image_check(&out, size, USER_END);
	for (unsigned i = 0; i < out.nsegments; i++)
		printf("%s: %#lx+%#lx file %#lx+%#lx rights %u\n", path, (unsigned long)out.seg[i].vaddr,
		       (unsigned long)out.seg[i].memsz, (unsigned long)out.seg[i].offset,
		       (unsigned long)out.seg[i].filesz, out.seg[i].rights);
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "valid", valid, 0 },
		{ "valid_unaligned_buffer", valid_unaligned_buffer, 0 },
		{ "valid_edges", valid_edges, 0 },
		{ "empty_load_ignored", empty_load_ignored, 0 },
		{ "max_segments", max_segments, 0 },
		{ "too_many_segments", too_many_segments, 0 },
		{ "truncated_header", truncated_header, 0 },
		{ "truncated_phdrs", truncated_phdrs, 0 },
		{ "phdr_offset_overflow", phdr_offset_overflow, 0 },
		{ "bad_phentsize", bad_phentsize, 0 },
		{ "bad_magic", bad_magic, 0 },
		{ "class32", class32, 0 },
		{ "big_endian", big_endian, 0 },
		{ "bad_version", bad_version, 0 },
		{ "wrong_machine", wrong_machine, 0 },
		{ "not_exec", not_exec, 0 },
		{ "interpreter", interpreter, 0 },
		{ "segment_past_end", segment_past_end, 0 },
		{ "filesz_over_memsz", filesz_over_memsz, 0 },
		{ "vaddr_overflow", vaddr_overflow, 0 },
		{ "beyond_user_end", beyond_user_end, 0 },
		{ "misaligned", misaligned, 0 },
		{ "overlap", overlap, 0 },
		{ "entry_outside", entry_outside, 0 },
		{ "entry_not_executable", entry_not_executable, 0 },
		{ "no_segments", no_segments, 0 },
		{ "strerror_names", strerror_names, 0 },
		{ "mutations", mutations, 0 },
		{ "real_elf", real_elf, 0 },
	};

	return unit_run(unit_suite("elf", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL, 0));
}
