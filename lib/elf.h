/* SPDX-License-Identifier: MIT */
/*
 * ELF64 image parser for static x86-64 executables (ET_EXEC). Shared by the
 * kernel (to start sigma0 and the root task) and by the root task (to load
 * boot modules); pure and freestanding: it reads the image byte by byte, so
 * the image may lie at any alignment, and it allocates nothing.
 *
 * elf_parse validates the whole image before it reports success: the
 * header, the program header table, and every PT_LOAD segment (file range
 * inside the image, filesz <= memsz, [vaddr, vaddr + memsz) below user_end,
 * vaddr congruent to offset modulo p_align, no two segments sharing a 4 KiB
 * page), and that the entry point lies in an executable segment. Other
 * program headers are ignored, except PT_INTERP, which a static executable
 * never has. PT_LOAD segments with memsz = 0 are checked and then dropped.
 */
#ifndef LIB_ELF_H
#define LIB_ELF_H

#include <pagoda/types.h>

#define ELF_MAX_SEGMENTS 16
#define ELF_PAGE_SIZE ((word_t)4096)

/* One loadable segment: memory [vaddr, vaddr + memsz) is the file bytes
 * [offset, offset + filesz) followed by zeros. */
struct elf_segment {
	word_t vaddr;
	word_t memsz;
	word_t offset;
	word_t filesz;
	unsigned rights;   /* FPAGE_R | FPAGE_W | FPAGE_X from <pagoda/fpage.h> */
};

/* A validated image: segments sorted by vaddr, disjoint by pages. */
struct elf_image {
	word_t entry;
	unsigned nsegments;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

enum elf_error {
	ELF_OK = 0,
	ELF_E_TRUNCATED,        /* image shorter than the ELF header */
	ELF_E_MAGIC,            /* not "\177ELF" */
	ELF_E_CLASS,            /* not ELFCLASS64 */
	ELF_E_DATA,             /* not little-endian */
	ELF_E_VERSION,          /* not EV_CURRENT */
	ELF_E_MACHINE,          /* not EM_X86_64 */
	ELF_E_TYPE,             /* not ET_EXEC, or needs an interpreter */
	ELF_E_PHDR,             /* bad phentsize, or table outside the image */
	ELF_E_TOO_MANY,         /* more than ELF_MAX_SEGMENTS PT_LOAD segments */
	ELF_E_FILESZ,           /* a segment with filesz > memsz */
	ELF_E_SEGMENT_BOUNDS,   /* a segment's file range outside the image */
	ELF_E_ADDRESS,          /* vaddr + memsz overflows or exceeds user_end */
	ELF_E_ALIGN,            /* p_align not a power of two, or vaddr != offset mod it */
	ELF_E_OVERLAP,          /* two segments share a page */
	ELF_E_ENTRY,            /* entry not inside an executable segment */
	ELF_E_COUNT
};

/*
 * Parse and validate the ELF64 executable at image[0, size). Segments must
 * end at or below user_end. Returns ELF_OK and fills *out, or an elf_error
 * with out->nsegments = 0 and out->entry = 0.
 */
int elf_parse(const void *image, word_t size, word_t user_end, struct elf_image *out);

/* A constant, human-readable name for an elf_parse result. */
const char *elf_strerror(int err);

#endif
