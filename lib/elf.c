/* SPDX-License-Identifier: MIT */
/*
 * ELF64 executable parser. Everything is read through elf_load(), byte by
 * byte and little-endian, so an unaligned image is fine and the code needs
 * no libc. Every size computation that could wrap is written as a
 * comparison against what is left (x <= size - off), never as off + x.
 */
#include <lib/elf.h>
#include <pagoda/fpage.h>

/* Offsets into the ELF64 header (Elf64_Ehdr). */
enum elf_ehdr {
	EHDR_CLASS = 4,
	EHDR_DATA = 5,
	EHDR_IDENT_VERSION = 6,
	EHDR_TYPE = 16,
	EHDR_MACHINE = 18,
	EHDR_VERSION = 20,
	EHDR_ENTRY = 24,
	EHDR_PHOFF = 32,
	EHDR_PHENTSIZE = 54,
	EHDR_PHNUM = 56,
	EHDR_LENGTH = 64
};

/* Offsets into a program header (Elf64_Phdr). */
enum elf_phdr {
	PHDR_TYPE = 0,
	PHDR_FLAGS = 4,
	PHDR_OFFSET = 8,
	PHDR_VADDR = 16,
	PHDR_FILESZ = 32,
	PHDR_MEMSZ = 40,
	PHDR_ALIGN = 48,
	PHDR_LENGTH = 56
};

#define ELF_CLASS64 2
#define ELF_DATA_LSB 1
#define ELF_EV_CURRENT 1
#define ELF_ET_EXEC 2
#define ELF_EM_X86_64 62
#define ELF_PN_XNUM 0xffff
#define ELF_PT_LOAD 1
#define ELF_PT_INTERP 3
#define ELF_PF_X 1u
#define ELF_PF_W 2u
#define ELF_PF_R 4u

static const char *const elf_messages[ELF_E_COUNT] = {
	[ELF_OK] = "ok",
	[ELF_E_TRUNCATED] = "image shorter than the ELF header",
	[ELF_E_MAGIC] = "bad ELF magic",
	[ELF_E_CLASS] = "not a 64-bit ELF",
	[ELF_E_DATA] = "not little-endian",
	[ELF_E_VERSION] = "unknown ELF version",
	[ELF_E_MACHINE] = "not x86-64",
	[ELF_E_TYPE] = "not a static executable",
	[ELF_E_PHDR] = "bad program header table",
	[ELF_E_TOO_MANY] = "too many loadable segments",
	[ELF_E_FILESZ] = "segment filesz exceeds memsz",
	[ELF_E_SEGMENT_BOUNDS] = "segment file range outside the image",
	[ELF_E_ADDRESS] = "segment outside the user address range",
	[ELF_E_ALIGN] = "segment misaligned",
	[ELF_E_OVERLAP] = "segments share a page",
	[ELF_E_ENTRY] = "entry point not in an executable segment",
};

/* Read the n-byte (n <= 8) little-endian number at p. */
static word_t elf_load(const uint8_t *p, unsigned n)
{
	word_t v = 0;

	while (n-- > 0)
		v = (v << 8) | p[n];
	return v;
}

/* True if [off, off + len) lies inside [0, size), without overflow. */
static bool elf_in_image(word_t off, word_t len, word_t size)
{
	return off <= size && len <= size - off;
}

/* Round x down to its page. */
static word_t elf_page_down(word_t x)
{
	return x & ~(ELF_PAGE_SIZE - 1);
}

/* Check the identification bytes and the fixed header fields. */
static int elf_check_ident(const uint8_t *p, word_t size)
{
	if (size < EHDR_LENGTH)
		return ELF_E_TRUNCATED;
	if (p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F')
		return ELF_E_MAGIC;
	if (p[EHDR_CLASS] != ELF_CLASS64)
		return ELF_E_CLASS;
	if (p[EHDR_DATA] != ELF_DATA_LSB)
		return ELF_E_DATA;
	if (p[EHDR_IDENT_VERSION] != ELF_EV_CURRENT ||
	    elf_load(p + EHDR_VERSION, 4) != ELF_EV_CURRENT)
		return ELF_E_VERSION;
	if (elf_load(p + EHDR_MACHINE, 2) != ELF_EM_X86_64)
		return ELF_E_MACHINE;
	if (elf_load(p + EHDR_TYPE, 2) != ELF_ET_EXEC)
		return ELF_E_TYPE;
	return ELF_OK;
}

/* Check that the program header table has the Elf64 entry size and lies
 * inside the image. */
static int elf_check_phdrs(const uint8_t *p, word_t size)
{
	word_t phoff = elf_load(p + EHDR_PHOFF, 8);
	word_t phnum = elf_load(p + EHDR_PHNUM, 2);

	if (elf_load(p + EHDR_PHENTSIZE, 2) != PHDR_LENGTH || phnum == ELF_PN_XNUM)
		return ELF_E_PHDR;
	if (!elf_in_image(phoff, phnum * PHDR_LENGTH, size))
		return ELF_E_PHDR;
	return ELF_OK;
}

/* Translate program header flags into FPAGE rights. */
static unsigned elf_rights(word_t flags)
{
	return ((flags & ELF_PF_R) ? FPAGE_R : 0) | ((flags & ELF_PF_W) ? FPAGE_W : 0) |
	       ((flags & ELF_PF_X) ? FPAGE_X : 0);
}

/* Decode the PT_LOAD header ph into *seg and check it on its own. */
static int elf_read_segment(const uint8_t *ph, word_t size, word_t user_end,
			    struct elf_segment *seg)
{
	word_t align = elf_load(ph + PHDR_ALIGN, 8);

	seg->offset = elf_load(ph + PHDR_OFFSET, 8);
	seg->vaddr = elf_load(ph + PHDR_VADDR, 8);
	seg->filesz = elf_load(ph + PHDR_FILESZ, 8);
	seg->memsz = elf_load(ph + PHDR_MEMSZ, 8);
	seg->rights = elf_rights(elf_load(ph + PHDR_FLAGS, 4));
	if (seg->filesz > seg->memsz)
		return ELF_E_FILESZ;
	if (!elf_in_image(seg->offset, seg->filesz, size))
		return ELF_E_SEGMENT_BOUNDS;
	if (!elf_in_image(seg->vaddr, seg->memsz, user_end))
		return ELF_E_ADDRESS;
	if ((align & (align - 1)) != 0 ||
	    (align > 1 && ((seg->vaddr - seg->offset) & (align - 1)) != 0))
		return ELF_E_ALIGN;
	return ELF_OK;
}

/* Insert seg into img, keeping img->seg sorted by vaddr. */
static int elf_insert(struct elf_image *img, const struct elf_segment *seg)
{
	unsigned i = img->nsegments;

	if (i == ELF_MAX_SEGMENTS)
		return ELF_E_TOO_MANY;
	for (; i > 0 && img->seg[i - 1].vaddr > seg->vaddr; i--)
		img->seg[i] = img->seg[i - 1];
	img->seg[i] = *seg;
	img->nsegments++;
	return ELF_OK;
}

/* Walk the program headers, collecting the non-empty PT_LOAD segments. */
static int elf_read_segments(const uint8_t *p, word_t size, word_t user_end, struct elf_image *img)
{
	const uint8_t *ph = p + elf_load(p + EHDR_PHOFF, 8);
	word_t phnum = elf_load(p + EHDR_PHNUM, 2);
	struct elf_segment seg;
	int err;

	for (word_t i = 0; i < phnum; i++, ph += PHDR_LENGTH) {
		word_t type = elf_load(ph + PHDR_TYPE, 4);
		if (type == ELF_PT_INTERP)
			return ELF_E_TYPE;
		if (type != ELF_PT_LOAD)
			continue;
		if ((err = elf_read_segment(ph, size, user_end, &seg)) != ELF_OK)
			return err;
		if (seg.memsz > 0 && (err = elf_insert(img, &seg)) != ELF_OK)
			return err;
	}
	return ELF_OK;
}

/* Sorted segments must not share a page: each one's last page lies below
 * the next one's first page. */
static int elf_check_overlap(const struct elf_image *img)
{
	for (unsigned i = 1; i < img->nsegments; i++) {
		const struct elf_segment *a = &img->seg[i - 1], *b = &img->seg[i];
		if (elf_page_down(a->vaddr + a->memsz - 1) >= elf_page_down(b->vaddr))
			return ELF_E_OVERLAP;
	}
	return ELF_OK;
}

/* The entry point must lie inside an executable segment. */
static int elf_check_entry(const struct elf_image *img)
{
	for (unsigned i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->seg[i];
		if (img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz)
			return (s->rights & FPAGE_X) ? ELF_OK : ELF_E_ENTRY;
	}
	return ELF_E_ENTRY;
}

int elf_parse(const void *image, word_t size, word_t user_end, struct elf_image *out)
{
	const uint8_t *p = image;
	int err;

	out->nsegments = 0;
	out->entry = 0;
	if ((err = elf_check_ident(p, size)) != ELF_OK ||
	    (err = elf_check_phdrs(p, size)) != ELF_OK)
		return err;
	out->entry = elf_load(p + EHDR_ENTRY, 8);
	if ((err = elf_read_segments(p, size, user_end, out)) != ELF_OK ||
	    (err = elf_check_overlap(out)) != ELF_OK || (err = elf_check_entry(out)) != ELF_OK) {
		out->nsegments = 0;
		out->entry = 0;
		return err;
	}
	return ELF_OK;
}

const char *elf_strerror(int err)
{
	if (err < 0 || err >= ELF_E_COUNT)
		return "unknown ELF error";
	return elf_messages[err];
}
