/* SPDX-License-Identifier: MIT */
/*
 * Boot information: Multiboot 1 in, struct boot_info out.
 *
 * How the memory map is normalised. Firmware maps come unsorted, with
 * overlaps, unaligned edges and reserved holes inside available ranges.
 * The map is built in three steps, all inside the fixed region array:
 *
 *  1. every available entry is merged, at byte granularity, into a sorted
 *     list of disjoint, non-touching ranges (bootinfo_add): two available
 *     entries that meet in the middle of a page keep that page;
 *  2. every other entry is cut out of that list, widened outward to whole
 *     pages (bootinfo_remove), so that reserved always wins, whichever
 *     order the entries come in;
 *  3. each remaining range is shrunk inward to whole pages and dropped if
 *     nothing is left (bootinfo_align).
 *
 * Step 3 keeps the list disjoint and non-adjacent: two ranges that did not
 * touch at byte level are at least a page apart once aligned. Later calls
 * of bootinfo_reserve are step 2 again. When the array is full, a new
 * available range is dropped, and a split keeps only its lower piece: the
 * map may lose RAM, but it never calls reserved memory available.
 *
 * The Multiboot structure is read through the caller's phys() callback and
 * byte by byte (it is packed and little-endian), so a host test can feed a
 * buffer and a bad pointer is an error, not a fault.
 */
#include <bootinfo.h>
#include <klib.h>

/* Multiboot 1 information structure: offsets and flag bits. */
enum multiboot_info {
	MB_FLAGS = 0,
	MB_MEM_LOWER = 4,       /* KiB from 0 (flag 0) */
	MB_MEM_UPPER = 8,       /* KiB from 1 MiB (flag 0) */
	MB_CMDLINE = 16,        /* flag 2 */
	MB_MODS_COUNT = 20,     /* flag 3 */
	MB_MODS_ADDR = 24,
	MB_MMAP_LENGTH = 44,    /* flag 6 */
	MB_MMAP_ADDR = 48,
	MB_INFO_LENGTH = 52
};

#define MB_F_MEM (1u << 0)
#define MB_F_CMDLINE (1u << 2)
#define MB_F_MODS (1u << 3)
#define MB_F_MMAP (1u << 6)

/* A module entry: mod_start, mod_end (exclusive), string, reserved. */
enum multiboot_module {
	MB_MOD_START = 0,
	MB_MOD_END = 4,
	MB_MOD_STRING = 8,
	MB_MOD_LENGTH = 16
};

/* A memory map entry; `size` does not count its own four bytes. */
enum multiboot_mmap {
	MB_MMAP_SIZE = 0,
	MB_MMAP_BASE = 4,
	MB_MMAP_LEN = 12,
	MB_MMAP_TYPE = 20,
	MB_MMAP_MIN_SIZE = 20
};

#define MB_MMAP_AVAILABLE 1
#define BOOTINFO_LOW_MEM_END ((word_t)1 << 20)
#define BOOTINFO_ADDR_MAX (~(word_t)0)

/* Read the n-byte (n <= 8) little-endian number at p. */
static word_t bootinfo_load(const uint8_t *p, unsigned n)
{
	word_t v = 0;

	while (n-- > 0)
		v = (v << 8) | p[n];
	return v;
}

/* base + size, saturating at the top of the address space. */
static word_t bootinfo_end(word_t base, word_t size)
{
	return size > BOOTINFO_ADDR_MAX - base ? BOOTINFO_ADDR_MAX : base + size;
}

/* x rounded up to a page, saturating at the top of the address space. */
static word_t bootinfo_page_up(word_t x)
{
	if (x > ALIGN_DOWN(BOOTINFO_ADDR_MAX, BOOTINFO_PAGE_SIZE))
		return BOOTINFO_ADDR_MAX;
	return ALIGN_UP(x, BOOTINFO_PAGE_SIZE);
}

/* Move regions [from, nregions) to start at index `to`, fixing the count.
 * The caller guarantees the array has room. */
static void bootinfo_shift(struct boot_info *bi, unsigned from, unsigned to)
{
	unsigned n = bi->nregions - from;

	if (to < from)
		for (unsigned k = 0; k < n; k++)
			bi->region[to + k] = bi->region[from + k];
	else
		for (unsigned k = n; k-- > 0;)
			bi->region[to + k] = bi->region[from + k];
	bi->nregions = bi->nregions + to - from;
}

/* Merge [base, end) into the sorted, disjoint, non-touching list; drop it
 * and flag the overflow if it needs a slot and none is free. */
static void bootinfo_add(struct boot_info *bi, word_t base, word_t end)
{
	unsigned i = 0, j;

	if (base >= end)
		return;
	while (i < bi->nregions && bi->region[i].end < base)
		i++;
	for (j = i; j < bi->nregions && bi->region[j].base <= end; j++) {
		base = MIN(base, bi->region[j].base);
		end = MAX(end, bi->region[j].end);
	}
	if (j == i && bi->nregions == BOOTINFO_MAX_REGIONS) {
		bi->flags |= BOOTINFO_F_REGIONS_OVERFLOW;
		return;
	}
	bootinfo_shift(bi, j, i + 1);
	bi->region[i].base = base;
	bi->region[i].end = end;
}

/* Split region i around the hole [base, end) that lies strictly inside it.
 * Without a free slot, keep only the lower piece and return false. */
static bool bootinfo_split(struct boot_info *bi, unsigned i, word_t base, word_t end)
{
	word_t top = bi->region[i].end;

	bi->region[i].end = base;
	if (bi->nregions == BOOTINFO_MAX_REGIONS) {
		bi->flags |= BOOTINFO_F_REGIONS_OVERFLOW;
		return false;
	}
	bootinfo_shift(bi, i + 1, i + 2);
	bi->region[i + 1].base = end;
	bi->region[i + 1].end = top;
	return true;
}

/* Cut [base, end) out of every region; regions wholly inside vanish. */
static bool bootinfo_remove(struct boot_info *bi, word_t base, word_t end)
{
	unsigned i = 0;

	while (i < bi->nregions) {
		struct bootinfo_region *r = &bi->region[i];
		if (r->end <= base || r->base >= end)
			i++;
		else if (r->base < base && r->end > end)
			return bootinfo_split(bi, i, base, end);
		else if (r->base < base)
			r->end = base, i++;
		else if (r->end > end)
			r->base = end, i++;
		else
			bootinfo_shift(bi, i + 1, i);
	}
	return true;
}

/* Shrink every region inward to whole pages; drop the ones left empty. */
static void bootinfo_align(struct boot_info *bi)
{
	unsigned i = 0;

	while (i < bi->nregions) {
		struct bootinfo_region *r = &bi->region[i];
		word_t base = bootinfo_page_up(r->base);
		word_t end = ALIGN_DOWN(r->end, BOOTINFO_PAGE_SIZE);
		if (base >= end) {
			bootinfo_shift(bi, i + 1, i);
			continue;
		}
		r->base = base;
		r->end = end;
		i++;
	}
}

bool bootinfo_reserve(struct boot_info *bi, word_t base, word_t size)
{
	if (size == 0)
		return true;
	return bootinfo_remove(bi, ALIGN_DOWN(base, BOOTINFO_PAGE_SIZE),
			       bootinfo_page_up(bootinfo_end(base, size)));
}

/* Walk the memory map entries at [map, map + len). Pass 0 adds available
 * RAM and checks the layout, pass 1 cuts out everything else. */
static int bootinfo_mmap_pass(struct boot_info *bi, const uint8_t *map, word_t len, int pass)
{
	word_t off = 0;

	while (off < len) {
		const uint8_t *e = map + off;
		word_t size, base, end;
		if (len - off < 4 || (size = bootinfo_load(e + MB_MMAP_SIZE, 4)) < MB_MMAP_MIN_SIZE ||
		    size > len - off - 4)
			return BOOTINFO_E_MMAP;
		base = bootinfo_load(e + MB_MMAP_BASE, 8);
		end = bootinfo_end(base, bootinfo_load(e + MB_MMAP_LEN, 8));
		if (bootinfo_load(e + MB_MMAP_TYPE, 4) == MB_MMAP_AVAILABLE) {
			if (pass == 0)
				bootinfo_add(bi, base, end);
		} else if (pass == 1 && base < end) {
			bootinfo_remove(bi, ALIGN_DOWN(base, BOOTINFO_PAGE_SIZE), bootinfo_page_up(end));
		}
		off += size + 4;
	}
	return BOOTINFO_OK;
}

/* Build the memory map from the mmap entries (flag 6) or, failing that,
 * from mem_lower/mem_upper (flag 0). */
static int bootinfo_parse_memory(struct boot_info *bi, const uint8_t *m, bootinfo_phys_fn phys,
				 void *ctx)
{
	word_t flags = bootinfo_load(m + MB_FLAGS, 4);
	word_t len = bootinfo_load(m + MB_MMAP_LENGTH, 4);
	const uint8_t *map;
	int err;

	if (flags & MB_F_MMAP) {
		if (!(map = phys(bootinfo_load(m + MB_MMAP_ADDR, 4), len, ctx)))
			return BOOTINFO_E_ACCESS;
		if ((err = bootinfo_mmap_pass(bi, map, len, 0)) != BOOTINFO_OK)
			return err;
		bootinfo_mmap_pass(bi, map, len, 1);
	} else if (flags & MB_F_MEM) {
		bootinfo_add(bi, 0, bootinfo_load(m + MB_MEM_LOWER, 4) * 1024);
		bootinfo_add(bi, BOOTINFO_LOW_MEM_END,
			     BOOTINFO_LOW_MEM_END + bootinfo_load(m + MB_MEM_UPPER, 4) * 1024);
	} else {
		return BOOTINFO_E_NO_MEMORY;
	}
	bootinfo_align(bi);
	return BOOTINFO_OK;
}

/* Copy the NUL-terminated string at physical addr into the zeroed buffer
 * dst[0, len), truncating (and flagging it) if it does not fit; addr 0 is
 * the empty string. */
static int bootinfo_copy_string(struct boot_info *bi, char *dst, word_t len, word_t addr,
				bootinfo_phys_fn phys, void *ctx)
{
	const char *c;

	for (word_t i = 0; addr != 0; i++) {
		if (!(c = phys(addr + i, 1, ctx)))
			return BOOTINFO_E_ACCESS;
		if (*c == '\0')
			break;
		if (i == len - 1) {
			bi->flags |= BOOTINFO_F_CMDLINE_TRUNCATED;
			break;
		}
		dst[i] = *c;
	}
	return BOOTINFO_OK;
}

/* Record the modules (flag 3), the first BOOTINFO_MAX_MODULES of them. */
static int bootinfo_parse_modules(struct boot_info *bi, const uint8_t *m, bootinfo_phys_fn phys,
				  void *ctx)
{
	word_t count = bootinfo_load(m + MB_MODS_COUNT, 4);
	const uint8_t *mod;
	int err;

	if (count > BOOTINFO_MAX_MODULES) {
		bi->flags |= BOOTINFO_F_MODULES_OVERFLOW;
		count = BOOTINFO_MAX_MODULES;
	}
	if (count && !(mod = phys(bootinfo_load(m + MB_MODS_ADDR, 4), count * MB_MOD_LENGTH, ctx)))
		return BOOTINFO_E_ACCESS;
	for (unsigned i = 0; i < count; i++, mod += MB_MOD_LENGTH) {
		struct bootinfo_module *bm = &bi->module[i];
		bm->start = bootinfo_load(mod + MB_MOD_START, 4);
		bm->end = bootinfo_load(mod + MB_MOD_END, 4);
		if (bm->end < bm->start)
			return BOOTINFO_E_MODULE;
		err = bootinfo_copy_string(bi, bm->cmdline, sizeof(bm->cmdline),
					   bootinfo_load(mod + MB_MOD_STRING, 4), phys, ctx);
		if (err != BOOTINFO_OK)
			return err;
		bi->nmodules++;
	}
	return BOOTINFO_OK;
}

/* Fill bi from the info structure m; bi starts empty. */
static int bootinfo_parse_info(struct boot_info *bi, const uint8_t *m, bootinfo_phys_fn phys,
			       void *ctx)
{
	word_t flags = bootinfo_load(m + MB_FLAGS, 4);
	int err;

	if ((err = bootinfo_parse_memory(bi, m, phys, ctx)) != BOOTINFO_OK)
		return err;
	if (flags & MB_F_CMDLINE) {
		err = bootinfo_copy_string(bi, bi->cmdline, sizeof(bi->cmdline),
					   bootinfo_load(m + MB_CMDLINE, 4), phys, ctx);
		if (err != BOOTINFO_OK)
			return err;
	}
	if (flags & MB_F_MODS)
		return bootinfo_parse_modules(bi, m, phys, ctx);
	return BOOTINFO_OK;
}

int bootinfo_parse(struct boot_info *bi, word_t magic, word_t mbi, bootinfo_phys_fn phys,
		   void *ctx)
{
	const uint8_t *m;
	int err;

	memset(bi, 0, sizeof(*bi));
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
		return BOOTINFO_E_MAGIC;
	if (!(m = phys(mbi, MB_INFO_LENGTH, ctx)))
		return BOOTINFO_E_ACCESS;
	if ((err = bootinfo_parse_info(bi, m, phys, ctx)) != BOOTINFO_OK)
		memset(bi, 0, sizeof(*bi));
	return err;
}

word_t bootinfo_ram_bytes(const struct boot_info *bi)
{
	word_t sum = 0;

	for (unsigned i = 0; i < bi->nregions; i++)
		sum += bi->region[i].end - bi->region[i].base;
	return sum;
}

/* True if s has a NUL within its len bytes. */
static bool bootinfo_terminated(const char *s, word_t len)
{
	for (word_t i = 0; i < len; i++)
		if (s[i] == '\0')
			return true;
	return false;
}

bool bootinfo_check(const struct boot_info *bi)
{
	if (bi->nregions > BOOTINFO_MAX_REGIONS || bi->nmodules > BOOTINFO_MAX_MODULES)
		return false;
	for (unsigned i = 0; i < bi->nregions; i++) {
		const struct bootinfo_region *r = &bi->region[i];
		if (!IS_ALIGNED(r->base, BOOTINFO_PAGE_SIZE) || !IS_ALIGNED(r->end, BOOTINFO_PAGE_SIZE) ||
		    r->base >= r->end || (i > 0 && bi->region[i - 1].end >= r->base))
			return false;
	}
	for (unsigned i = 0; i < bi->nmodules; i++)
		if (bi->module[i].end < bi->module[i].start ||
		    !bootinfo_terminated(bi->module[i].cmdline, BOOTINFO_MOD_CMDLINE_LEN))
			return false;
	return bootinfo_terminated(bi->cmdline, BOOTINFO_CMDLINE_LEN);
}
