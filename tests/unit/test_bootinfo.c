/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for kernel/bootinfo.c. A Multiboot 1 information structure is
 * built in a buffer that stands for physical memory [PHYS_BASE, PHYS_END);
 * the phys() callback refuses anything outside it. Each test is its own
 * TCase: CK_RUN_CASE=name runs one alone.
 */
#include <check.h>
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootinfo.h>

#define PHYS_BASE 0x10000u
#define PHYS_SIZE 0x10000u
#define PHYS_END (PHYS_BASE + PHYS_SIZE)
#define MBI PHYS_BASE                 /* the info structure comes first */
#define MMAP_AREA (PHYS_BASE + 0x100) /* then the memory map (up to 0x2000 bytes) */
#define HEAP_AREA (PHYS_BASE + 0x4000)

#define F_MEM (1u << 0)
#define F_CMDLINE (1u << 2)
#define F_MODS (1u << 3)
#define F_MMAP (1u << 6)
#define AVAIL 1
#define RESERVED 2

#define PAGE 0x1000ull

/* Fake physical memory and the allocation cursors of the builder. */
static struct {
	uint8_t mem[PHYS_SIZE];
	uint32_t mmap_len;
	uint32_t heap;
	uint32_t nmods;
	uint32_t mods;        /* phys address of the module array */
} pm;

static struct boot_info bi;

static const void *phys(word_t addr, word_t size, void *ctx)
{
	if (ctx != &pm)
		ck_abort_msg("wrong ctx");
	if (addr < PHYS_BASE || addr > PHYS_END || size > PHYS_END - addr)
		return NULL;
	return pm.mem + (addr - PHYS_BASE);
}

static void put(word_t addr, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pm.mem[addr - PHYS_BASE + i] = (uint8_t)(v >> (8 * i));
}

static void mb_reset(uint32_t flags)
{
	memset(&pm, 0, sizeof(pm));
	pm.heap = HEAP_AREA;
	put(MBI, flags, 4);
	put(MBI + 44, 0, 4);
	put(MBI + 48, MMAP_AREA, 4);
}

/* Append a memory map entry whose size field is entry_size (20 normally). */
static void mb_mmap_sized(uint64_t base, uint64_t len, uint32_t type, uint32_t entry_size)
{
	word_t e = MMAP_AREA + pm.mmap_len;

	ck_assert_uint_le(pm.mmap_len + 4 + entry_size, 0x2000);
	put(e, entry_size, 4);
	put(e + 4, base, 8);
	put(e + 12, len, 8);
	put(e + 20, type, 4);
	pm.mmap_len += 4 + entry_size;
	put(MBI + 44, pm.mmap_len, 4);
}

static void mb_mmap(uint64_t base, uint64_t len, uint32_t type)
{
	mb_mmap_sized(base, len, type, 20);
}

/* Copy s into fake memory; return its physical address. */
static uint32_t mb_string(const char *s)
{
	uint32_t a = pm.heap;
	size_t n = strlen(s) + 1;

	ck_assert_uint_le(a + n, PHYS_END);
	memcpy(pm.mem + (a - PHYS_BASE), s, n);
	pm.heap += (uint32_t)n;
	return a;
}

static void mb_cmdline(const char *s)
{
	put(MBI + 16, mb_string(s), 4);
}

/* Reserve room for n modules; mb_module then fills them in order. */
static void mb_modules(uint32_t n)
{
	pm.mods = pm.heap;
	pm.heap += 16 * n;
	put(MBI + 20, n, 4);
	put(MBI + 24, pm.mods, 4);
}

static void mb_module(uint32_t start, uint32_t end, const char *s)
{
	word_t m = pm.mods + 16 * pm.nmods++;

	put(m, start, 4);
	put(m + 4, end, 4);
	put(m + 8, s ? mb_string(s) : 0, 4);
}

static int parse(void)
{
	memset(&bi, 0xa5, sizeof(bi));
	return bootinfo_parse(&bi, MULTIBOOT_BOOTLOADER_MAGIC, MBI, phys, &pm);
}

/* Parse and require success and a normalised map. */
static void parse_ok(void)
{
	ck_assert_int_eq(parse(), BOOTINFO_OK);
	ck_assert(bootinfo_check(&bi));
}

/* Parse and require err, with bi left empty. */
static void parse_err(int err)
{
	ck_assert_int_eq(parse(), err);
	ck_assert_uint_eq(bi.nregions, 0);
	ck_assert_uint_eq(bi.nmodules, 0);
	ck_assert_uint_eq(bi.flags, 0);
}

static void expect_region(unsigned i, word_t base, word_t end)
{
	ck_assert_uint_gt(bi.nregions, i);
	ck_assert_msg(bi.region[i].base == base && bi.region[i].end == end,
		      "region %u: [%#lx, %#lx), expected [%#lx, %#lx)", i,
		      (unsigned long)bi.region[i].base, (unsigned long)bi.region[i].end,
		      (unsigned long)base, (unsigned long)end);
}

/* The memory map QEMU's -kernel loader passes for -m 128. */
static const struct { uint64_t base, len; uint32_t type; } qemu_map[] = {
	{ 0, 0x9fc00, AVAIL },
	{ 0x9fc00, 0x400, RESERVED },
	{ 0xf0000, 0x10000, RESERVED },
	{ 0x100000, 0x7ee0000, AVAIL },
	{ 0x7fe0000, 0x20000, RESERVED },
	{ 0xfffc0000, 0x40000, RESERVED },
};

static void expect_qemu_result(void)
{
	ck_assert_uint_eq(bi.nregions, 2);
	expect_region(0, 0, 0x9f000);
	expect_region(1, 0x100000, 0x7fe0000);
	ck_assert_uint_eq(bootinfo_ram_bytes(&bi), 0x9f000 + 0x7ee0000);
	ck_assert_uint_eq(bi.flags, 0);
}

START_TEST(qemu_map_typical)
{
	mb_reset(F_MEM | F_MMAP);
	put(MBI + 4, 639, 4);
	put(MBI + 8, 130944, 4);
	for (size_t i = 0; i < sizeof(qemu_map) / sizeof(qemu_map[0]); i++)
		mb_mmap(qemu_map[i].base, qemu_map[i].len, qemu_map[i].type);
	parse_ok();
	expect_qemu_result();
	ck_assert_uint_eq(bi.nmodules, 0);
	ck_assert_str_eq(bi.cmdline, "");
}
END_TEST

/* Every order of the QEMU entries gives the same map. */
START_TEST(unsorted_all_orders)
{
	int idx[6] = { 0, 1, 2, 3, 4, 5 };
	unsigned orders = 0;

	for (;;) {
		mb_reset(F_MMAP);
		for (int i = 0; i < 6; i++)
			mb_mmap(qemu_map[idx[i]].base, qemu_map[idx[i]].len, qemu_map[idx[i]].type);
		parse_ok();
		expect_qemu_result();
		orders++;
		/* next permutation */
		int i = 4, j = 5, t;
		while (i >= 0 && idx[i] > idx[i + 1])
			i--;
		if (i < 0)
			break;
		while (idx[j] < idx[i])
			j--;
		t = idx[i], idx[i] = idx[j], idx[j] = t;
		for (int a = i + 1, b = 5; a < b; a++, b--)
			t = idx[a], idx[a] = idx[b], idx[b] = t;
	}
	ck_assert_uint_eq(orders, 720);
}
END_TEST

START_TEST(unsorted_disjoint)
{
	mb_reset(F_MMAP);
	mb_mmap(0x500000, 0x100000, AVAIL);
	mb_mmap(0x100000, 0x100000, AVAIL);
	mb_mmap(0x300000, 0x100000, AVAIL);
	parse_ok();
	ck_assert_uint_eq(bi.nregions, 3);
	expect_region(0, 0x100000, 0x200000);
	expect_region(1, 0x300000, 0x400000);
	expect_region(2, 0x500000, 0x600000);
}
END_TEST

START_TEST(unaligned_regions)
{
	mb_reset(F_MMAP);
	mb_mmap(0x1234, 0x4444, AVAIL);            /* [0x1234, 0x5678) */
	mb_mmap(0x9100, 0x800, AVAIL);             /* less than a page */
	mb_mmap(0x11000, 0x800, AVAIL);            /* two halves of page 0x11000 */
	mb_mmap(0x11800, 0x800, AVAIL);
	mb_mmap(0x20000, 0, AVAIL);                /* empty */
	parse_ok();
	ck_assert_uint_eq(bi.nregions, 2);
	expect_region(0, 0x2000, 0x5000);
	expect_region(1, 0x11000, 0x12000);
}
END_TEST

START_TEST(adjacent_merge)
{
	mb_reset(F_MMAP);
	mb_mmap(0x100000, 0x100000, AVAIL);
	mb_mmap(0x200000, 0x100000, AVAIL);        /* touches */
	mb_mmap(0x280000, 0x17f800, AVAIL);        /* overlaps */
	mb_mmap(0x3ff800, 0x800, AVAIL);           /* touches at byte level */
	mb_mmap(0x400000, 0x1000, AVAIL);
	parse_ok();
	ck_assert_uint_eq(bi.nregions, 1);
	expect_region(0, 0x100000, 0x401000);
}
END_TEST

START_TEST(reserved_wins)
{
	/* Reserved before and after the available entry it cuts. */
	for (int order = 0; order < 2; order++) {
		mb_reset(F_MMAP);
		if (order == 0)
			mb_mmap(0x100000, 0x700000, AVAIL);
		mb_mmap(0x200800, 0x100, RESERVED);        /* widened to page 0x200000 */
		mb_mmap(0x7ff000, 0x2000, 3);              /* ACPI: straddles the end */
		mb_mmap(0x80000, 0x81000, 4);              /* NVS: straddles the start */
		if (order == 1)
			mb_mmap(0x100000, 0x700000, AVAIL);
		parse_ok();
		ck_assert_uint_eq(bi.nregions, 2);
		expect_region(0, 0x101000, 0x200000);
		expect_region(1, 0x201000, 0x7ff000);
	}
}
END_TEST

START_TEST(reserved_covers_all)
{
	mb_reset(F_MMAP);
	mb_mmap(0x100000, 0x100000, AVAIL);
	mb_mmap(0xff000, 0x102000, RESERVED);
	mb_mmap(0x300000, 0x1000, AVAIL);
	mb_mmap(0x300000, 0x1000, 5);              /* bad RAM, same range */
	parse_ok();
	ck_assert_uint_eq(bi.nregions, 0);
	ck_assert_uint_eq(bootinfo_ram_bytes(&bi), 0);
}
END_TEST

START_TEST(mmap_entry_size)
{
	/* Entries with a larger size field (extended attributes) are stepped
	 * over by size + 4. */
	mb_reset(F_MMAP);
	mb_mmap_sized(0x100000, 0x100000, AVAIL, 24);
	mb_mmap_sized(0x300000, 0x100000, AVAIL, 20);
	mb_mmap_sized(0x180000, 0x1000, RESERVED, 28);
	parse_ok();
	ck_assert_uint_eq(bi.nregions, 3);
	expect_region(0, 0x100000, 0x180000);
	expect_region(1, 0x181000, 0x200000);
	expect_region(2, 0x300000, 0x400000);
}
END_TEST

START_TEST(mmap_malformed)
{
	mb_reset(F_MMAP);
	mb_mmap(0x100000, 0x100000, AVAIL);
	mb_mmap_sized(0x300000, 0x100000, AVAIL, 12);  /* too small */
	parse_err(BOOTINFO_E_MMAP);

	mb_reset(F_MMAP);
	mb_mmap(0x100000, 0x100000, AVAIL);
	put(MBI + 44, pm.mmap_len - 1, 4);             /* last entry cut short */
	parse_err(BOOTINFO_E_MMAP);

	mb_reset(F_MMAP);
	mb_mmap(0x100000, 0x100000, AVAIL);
	put(MBI + 44, pm.mmap_len + 2, 4);             /* trailing bytes */
	parse_err(BOOTINFO_E_MMAP);
}
END_TEST

START_TEST(mmap_huge)
{
	mb_reset(F_MMAP);
	mb_mmap(0x100000000ull, ~0ull, AVAIL);          /* end wraps: saturate */
	mb_mmap(~0ull - 0x800, 0x10000, RESERVED);
	parse_ok();
	ck_assert_uint_eq(bi.nregions, 1);
	expect_region(0, 0x100000000ull, 0xfffffffffffff000ull);
	ck_assert(bootinfo_reserve(&bi, ~0ull - 10, 100));
	ck_assert(bootinfo_check(&bi));
}
END_TEST

START_TEST(mmap_empty)
{
	mb_reset(F_MMAP | F_MEM);                      /* the mmap wins, even empty */
	put(MBI + 4, 639, 4);
	put(MBI + 8, 1024, 4);
	parse_ok();
	ck_assert_uint_eq(bi.nregions, 0);
}
END_TEST

START_TEST(fallback_mem_lower_upper)
{
	mb_reset(F_MEM);
	put(MBI + 4, 639, 4);                          /* 0x9fc00 */
	put(MBI + 8, 129920, 4);                       /* 1 MiB up to 0x7fe0000 */
	mb_mmap(0x100000, 0x1000000, AVAIL);           /* flag 6 clear: ignored */
	parse_ok();
	ck_assert_uint_eq(bi.nregions, 2);
	expect_region(0, 0, 0x9f000);
	expect_region(1, 0x100000, 0x7fe0000);
}
END_TEST

START_TEST(no_memory_info)
{
	mb_reset(F_CMDLINE);
	mb_cmdline("x");
	parse_err(BOOTINFO_E_NO_MEMORY);
}
END_TEST

START_TEST(too_many_regions)
{
	mb_reset(F_MMAP);
	for (unsigned i = 0; i < 100; i++)
		mb_mmap(0x100000 + i * 0x2000, 0x1000, AVAIL);
	parse_ok();
	ck_assert_uint_eq(bi.nregions, BOOTINFO_MAX_REGIONS);
	ck_assert(bi.flags & BOOTINFO_F_REGIONS_OVERFLOW);
	expect_region(BOOTINFO_MAX_REGIONS - 1, 0x100000 + 63 * 0x2000, 0x101000 + 63 * 0x2000);

	mb_reset(F_MMAP);
	for (unsigned i = 0; i < BOOTINFO_MAX_REGIONS; i++)
		mb_mmap(0x100000 + i * 0x2000, 0x1000, AVAIL);
	parse_ok();
	ck_assert_uint_eq(bi.nregions, BOOTINFO_MAX_REGIONS);
	ck_assert_uint_eq(bi.flags, 0);

	/* Full array, then an entry that merges: still fits. */
	mb_mmap(0x101000, 0x1000, AVAIL);
	parse_ok();
	ck_assert_uint_eq(bi.nregions, BOOTINFO_MAX_REGIONS - 1);
	ck_assert_uint_eq(bi.flags, 0);
}
END_TEST

START_TEST(reserved_split_when_full)
{
	mb_reset(F_MMAP);
	for (unsigned i = 0; i < BOOTINFO_MAX_REGIONS; i++)
		mb_mmap(0x100000 + i * 0x4000, 0x3000, AVAIL);
	mb_mmap(0x101000, 0x10, RESERVED);             /* splits region 0 */
	parse_ok();
	ck_assert(bi.flags & BOOTINFO_F_REGIONS_OVERFLOW);
	ck_assert_uint_eq(bi.nregions, BOOTINFO_MAX_REGIONS);
	expect_region(0, 0x100000, 0x101000);          /* upper piece lost */
	expect_region(1, 0x104000, 0x107000);
}
END_TEST

START_TEST(modules_and_cmdlines)
{
	mb_reset(F_MMAP | F_MODS | F_CMDLINE);
	mb_mmap(0, 0x9fc00, AVAIL);
	mb_cmdline("pagoda.elf console=serial");
	mb_modules(3);
	mb_module(0x200000, 0x234567, "sigma0.elf");
	mb_module(0x235000, 0x240000, "init.elf root=1");
	mb_module(0x240000, 0x240000, NULL);
	parse_ok();
	ck_assert_str_eq(bi.cmdline, "pagoda.elf console=serial");
	ck_assert_uint_eq(bi.nmodules, 3);
	ck_assert_uint_eq(bi.module[0].start, 0x200000);
	ck_assert_uint_eq(bi.module[0].end, 0x234567);
	ck_assert_str_eq(bi.module[0].cmdline, "sigma0.elf");
	ck_assert_uint_eq(bi.module[1].start, 0x235000);
	ck_assert_uint_eq(bi.module[1].end, 0x240000);
	ck_assert_str_eq(bi.module[1].cmdline, "init.elf root=1");
	ck_assert_str_eq(bi.module[2].cmdline, "");
	ck_assert_uint_eq(bi.flags, 0);
}
END_TEST

START_TEST(modules_flag_clear)
{
	mb_reset(F_MMAP);
	mb_mmap(0, 0x9fc00, AVAIL);
	mb_cmdline("ignored");
	mb_modules(1);
	mb_module(0x200000, 0x201000, "ignored");
	parse_ok();
	ck_assert_uint_eq(bi.nmodules, 0);
	ck_assert_str_eq(bi.cmdline, "");
}
END_TEST

START_TEST(too_many_modules)
{
	char name[16];

	mb_reset(F_MMAP | F_MODS);
	mb_mmap(0, 0x9fc00, AVAIL);
	mb_modules(BOOTINFO_MAX_MODULES + 3);
	for (unsigned i = 0; i < BOOTINFO_MAX_MODULES + 3; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		mb_module(0x200000 + i * 0x1000, 0x201000 + i * 0x1000, name);
	}
	parse_ok();
	ck_assert_uint_eq(bi.nmodules, BOOTINFO_MAX_MODULES);
	ck_assert(bi.flags & BOOTINFO_F_MODULES_OVERFLOW);
	ck_assert_str_eq(bi.module[BOOTINFO_MAX_MODULES - 1].cmdline, "m15");
}
END_TEST

START_TEST(cmdline_truncated)
{
	char s[BOOTINFO_CMDLINE_LEN + 10];

	/* Exactly fits: LEN - 1 characters and the NUL. */
	memset(s, 'a', sizeof(s));
	s[BOOTINFO_CMDLINE_LEN - 1] = '\0';
	mb_reset(F_MEM | F_CMDLINE);
	mb_cmdline(s);
	parse_ok();
	ck_assert_uint_eq(bi.flags, 0);
	ck_assert_str_eq(bi.cmdline, s);

	/* One character too many. */
	s[BOOTINFO_CMDLINE_LEN - 1] = 'b';
	s[BOOTINFO_CMDLINE_LEN] = '\0';
	mb_reset(F_MEM | F_CMDLINE);
	mb_cmdline(s);
	parse_ok();
	ck_assert(bi.flags & BOOTINFO_F_CMDLINE_TRUNCATED);
	ck_assert_uint_eq(strlen(bi.cmdline), BOOTINFO_CMDLINE_LEN - 1);
	ck_assert_int_eq(bi.cmdline[BOOTINFO_CMDLINE_LEN - 2], 'a');

	/* A module string too long. */
	mb_reset(F_MEM | F_MODS);
	mb_modules(1);
	mb_module(0x200000, 0x201000, s);
	parse_ok();
	ck_assert(bi.flags & BOOTINFO_F_CMDLINE_TRUNCATED);
	ck_assert_uint_eq(strlen(bi.module[0].cmdline), BOOTINFO_MOD_CMDLINE_LEN - 1);
}
END_TEST

START_TEST(bad_magic)
{
	mb_reset(F_MEM);
	memset(&bi, 0xa5, sizeof(bi));
	ck_assert_int_eq(bootinfo_parse(&bi, 0x36d76289, MBI, phys, &pm), BOOTINFO_E_MAGIC);
	ck_assert_uint_eq(bi.nregions, 0);
}
END_TEST

START_TEST(bad_pointers)
{
	mb_reset(F_MEM);
	memset(&bi, 0xa5, sizeof(bi));
	ck_assert_int_eq(bootinfo_parse(&bi, MULTIBOOT_BOOTLOADER_MAGIC, PHYS_END - 8, phys, &pm),
			 BOOTINFO_E_ACCESS);
	ck_assert_uint_eq(bi.nregions, 0);

	mb_reset(F_MMAP);
	mb_mmap(0x100000, 0x100000, AVAIL);
	put(MBI + 48, 0x1000, 4);                      /* mmap_addr outside */
	parse_err(BOOTINFO_E_ACCESS);

	mb_reset(F_MEM | F_CMDLINE);
	put(MBI + 4, 639, 4);
	put(MBI + 16, 0x1000, 4);                      /* cmdline outside */
	parse_err(BOOTINFO_E_ACCESS);

	mb_reset(F_MEM | F_CMDLINE);
	put(MBI + 4, 639, 4);
	put(MBI + 16, PHYS_END - 2, 4);                /* string runs off the end */
	put(PHYS_END - 2, 0x4141, 2);
	parse_err(BOOTINFO_E_ACCESS);

	mb_reset(F_MEM | F_MODS);
	put(MBI + 4, 639, 4);
	put(MBI + 20, 2, 4);
	put(MBI + 24, PHYS_END - 16, 4);               /* second module outside */
	parse_err(BOOTINFO_E_ACCESS);

	mb_reset(F_MEM | F_MODS);
	put(MBI + 4, 639, 4);
	mb_modules(1);
	mb_module(0x200000, 0x1ff000, "backwards");
	parse_err(BOOTINFO_E_MODULE);
}
END_TEST

/* A single region [0x100000, 0x800000) to carve. */
static void one_region(void)
{
	mb_reset(F_MMAP);
	mb_mmap(0x100000, 0x700000, AVAIL);
	parse_ok();
	ck_assert_uint_eq(bi.nregions, 1);
}

START_TEST(reserve_middle)
{
	one_region();
	ck_assert(bootinfo_reserve(&bi, 0x200000, 0x1000));
	ck_assert(bootinfo_check(&bi));
	ck_assert_uint_eq(bi.nregions, 2);
	expect_region(0, 0x100000, 0x200000);
	expect_region(1, 0x201000, 0x800000);
}
END_TEST

START_TEST(reserve_edges)
{
	one_region();
	ck_assert(bootinfo_reserve(&bi, 0x100000, 0x3000));    /* at the start */
	ck_assert(bootinfo_reserve(&bi, 0x7ff000, 0x1000));    /* at the end */
	ck_assert(bootinfo_reserve(&bi, 0x0, 0x100001));       /* from below, unaligned */
	ck_assert(bootinfo_reserve(&bi, 0x7fefff, 0x100000));  /* past the end */
	ck_assert(bootinfo_check(&bi));
	ck_assert_uint_eq(bi.nregions, 1);
	expect_region(0, 0x103000, 0x7fe000);
}
END_TEST

START_TEST(reserve_whole)
{
	one_region();
	ck_assert(bootinfo_reserve(&bi, 0x100000, 0x700000));
	ck_assert(bootinfo_check(&bi));
	ck_assert_uint_eq(bi.nregions, 0);
	ck_assert_uint_eq(bootinfo_ram_bytes(&bi), 0);
}
END_TEST

START_TEST(reserve_unaligned)
{
	one_region();
	ck_assert(bootinfo_reserve(&bi, 0x300010, 0x10));       /* inside one page */
	ck_assert(bootinfo_reserve(&bi, 0x400fff, 2));          /* straddles two */
	ck_assert(bootinfo_check(&bi));
	ck_assert_uint_eq(bi.nregions, 3);
	expect_region(0, 0x100000, 0x300000);
	expect_region(1, 0x301000, 0x400000);
	expect_region(2, 0x402000, 0x800000);
}
END_TEST

START_TEST(reserve_misc)
{
	mb_reset(F_MMAP);
	mb_mmap(0x100000, 0x100000, AVAIL);
	mb_mmap(0x300000, 0x100000, AVAIL);
	mb_mmap(0x500000, 0x100000, AVAIL);
	parse_ok();
	ck_assert(bootinfo_reserve(&bi, 0x500000, 0));          /* empty: no-op */
	ck_assert(bootinfo_reserve(&bi, 0x200000, 0x100000));   /* a gap: no-op */
	ck_assert_uint_eq(bi.nregions, 3);
	ck_assert(bootinfo_reserve(&bi, 0x180000, 0x400000));   /* spans three */
	ck_assert(bootinfo_check(&bi));
	ck_assert_uint_eq(bi.nregions, 2);
	expect_region(0, 0x100000, 0x180000);
	expect_region(1, 0x580000, 0x600000);
	ck_assert(bootinfo_reserve(&bi, ~0ull - 10, 100));      /* wraps: saturate */
	ck_assert_uint_eq(bi.nregions, 2);
	ck_assert(bootinfo_reserve(&bi, 0, ~0ull));
	ck_assert_uint_eq(bi.nregions, 0);
}
END_TEST

START_TEST(reserve_split_full)
{
	mb_reset(F_MMAP);
	for (unsigned i = 0; i < BOOTINFO_MAX_REGIONS; i++)
		mb_mmap(0x100000 + i * 0x4000, 0x3000, AVAIL);
	parse_ok();
	ck_assert_uint_eq(bi.flags, 0);
	ck_assert(bootinfo_reserve(&bi, 0x100000, 0x1000));     /* an edge: no new slot */
	ck_assert(!bootinfo_reserve(&bi, 0x105000, 0x1000));    /* a split: no room */
	ck_assert(bi.flags & BOOTINFO_F_REGIONS_OVERFLOW);
	ck_assert(bootinfo_check(&bi));
	expect_region(1, 0x104000, 0x105000);
	expect_region(2, 0x108000, 0x10b000);
}
END_TEST

START_TEST(check_rejects)
{
	one_region();
	ck_assert(bootinfo_check(&bi));
	bi.region[0].base += 1;
	ck_assert(!bootinfo_check(&bi));
	one_region();
	bi.region[1] = bi.region[0];
	bi.nregions = 2;
	ck_assert(!bootinfo_check(&bi));
	one_region();
	bi.region[1].base = bi.region[0].end;                   /* adjacent */
	bi.region[1].end = bi.region[0].end + PAGE;
	bi.nregions = 2;
	ck_assert(!bootinfo_check(&bi));
	one_region();
	bi.region[0].end = bi.region[0].base;                   /* empty */
	ck_assert(!bootinfo_check(&bi));
	one_region();
	memset(bi.cmdline, 'x', sizeof(bi.cmdline));           /* unterminated */
	ck_assert(!bootinfo_check(&bi));
}
END_TEST

/*
 * Random maps against a page model: a page is available exactly when the
 * union of the available entries covers it and no other entry touches it,
 * and stays so until a bootinfo_reserve call touches it.
 */
#define MODEL_PAGES 128

static bool model[MODEL_PAGES];

static void model_build(const uint64_t (*e)[3], unsigned n)
{
	uint8_t byte_avail[MODEL_PAGES * 16];   /* 256-byte granules */

	memset(byte_avail, 0, sizeof(byte_avail));
	for (unsigned i = 0; i < n; i++)
		if (e[i][2] == AVAIL)
			for (uint64_t g = e[i][0] / 256; g < (e[i][0] + e[i][1]) / 256; g++)
				byte_avail[g] = 1;
	for (unsigned p = 0; p < MODEL_PAGES; p++) {
		model[p] = true;
		for (unsigned g = 0; g < 16; g++)
			model[p] = model[p] && byte_avail[p * 16 + g];
	}
	for (unsigned i = 0; i < n; i++)
		if (e[i][2] != AVAIL && e[i][1] > 0)
			for (uint64_t p = e[i][0] / PAGE; p <= (e[i][0] + e[i][1] - 1) / PAGE; p++)
				model[p] = false;
}

static void model_compare(void)
{
	unsigned r = 0;

	ck_assert(bootinfo_check(&bi));
	for (unsigned p = 0; p < MODEL_PAGES; p++) {
		word_t a = p * PAGE;
		while (r < bi.nregions && bi.region[r].end <= a)
			r++;
		bool in = r < bi.nregions && bi.region[r].base <= a;
		if (in != model[p])   /* not ck_assert: each one costs a pipe write */
			ck_abort_msg("page %u: map says %d, model %d", p, in, model[p]);
	}
}

START_TEST(random_maps)
{
	unsigned seed = 42;
	uint64_t e[24][3];

#define RAND() (seed = seed * 1103515245u + 12345u, (seed >> 8) & 0xffff)
	for (int round = 0; round < 3000; round++) {
		unsigned n = 1 + RAND() % 24;
		mb_reset(F_MMAP);
		for (unsigned i = 0; i < n; i++) {
			/* granule-aligned (256 B) ranges inside the model */
			uint64_t g0 = RAND() % (MODEL_PAGES * 16), len = RAND() % (16 * 12);
			if (g0 + len > MODEL_PAGES * 16)
				len = MODEL_PAGES * 16 - g0;
			e[i][0] = g0 * 256, e[i][1] = len * 256;
			e[i][2] = RAND() % 3 ? AVAIL : 2 + RAND() % 4;
			mb_mmap(e[i][0], e[i][1], (uint32_t)e[i][2]);
		}
		parse_ok();
		ck_assert_uint_eq(bi.flags, 0);
		model_build((const uint64_t (*)[3])e, n);
		model_compare();
		for (int k = 0; k < 4; k++) {
			uint64_t base = RAND() % (MODEL_PAGES * PAGE), size = RAND() % (8 * PAGE);
			if (base + size > MODEL_PAGES * PAGE)
				size = MODEL_PAGES * PAGE - base;
			ck_assert(bootinfo_reserve(&bi, base, size));
			for (uint64_t p = base / PAGE; size && p <= (base + size - 1) / PAGE; p++)
				model[p] = false;
			model_compare();
		}
	}
#undef RAND
}
END_TEST

int main(void)
{
	const struct unit_test tests[] = {
		{ "qemu_map_typical", qemu_map_typical, 0 },
		{ "unsorted_all_orders", unsorted_all_orders, 0 },
		{ "unsorted_disjoint", unsorted_disjoint, 0 },
		{ "unaligned_regions", unaligned_regions, 0 },
		{ "adjacent_merge", adjacent_merge, 0 },
		{ "reserved_wins", reserved_wins, 0 },
		{ "reserved_covers_all", reserved_covers_all, 0 },
		{ "mmap_entry_size", mmap_entry_size, 0 },
		{ "mmap_malformed", mmap_malformed, 0 },
		{ "mmap_huge", mmap_huge, 0 },
		{ "mmap_empty", mmap_empty, 0 },
		{ "fallback_mem_lower_upper", fallback_mem_lower_upper, 0 },
		{ "no_memory_info", no_memory_info, 0 },
		{ "too_many_regions", too_many_regions, 0 },
		{ "reserved_split_when_full", reserved_split_when_full, 0 },
		{ "modules_and_cmdlines", modules_and_cmdlines, 0 },
		{ "modules_flag_clear", modules_flag_clear, 0 },
		{ "too_many_modules", too_many_modules, 0 },
		{ "cmdline_truncated", cmdline_truncated, 0 },
		{ "bad_magic", bad_magic, 0 },
		{ "bad_pointers", bad_pointers, 0 },
		{ "reserve_middle", reserve_middle, 0 },
		{ "reserve_edges", reserve_edges, 0 },
		{ "reserve_whole", reserve_whole, 0 },
		{ "reserve_unaligned", reserve_unaligned, 0 },
		{ "reserve_misc", reserve_misc, 0 },
		{ "reserve_split_full", reserve_split_full, 0 },
		{ "check_rejects", check_rejects, 0 },
		{ "random_maps", random_maps, 0 },
	};

	return unit_run(unit_suite("bootinfo", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL, 0));
}
