/* SPDX-License-Identifier: MIT */
/*
 * What the boot loader tells the kernel, in a form that no longer depends
 * on the loader: the usable RAM, the boot modules and the command lines.
 * bootinfo_parse reads a Multiboot (version 1) information structure; the
 * rest of the kernel sees only struct boot_info.
 *
 * The memory map holds available RAM only, normalised: regions are page
 * aligned (base rounded up, end rounded down), non-empty, sorted, disjoint
 * and not adjacent (touching regions are merged). Everything the firmware
 * marks as anything but available RAM is removed from it, rounded outward
 * to whole pages, whatever the order of the entries; so is whatever the
 * kernel later passes to bootinfo_reserve (its own image, the modules, the
 * first MiB). Strings are copied, so struct boot_info refers to no loader
 * memory except the modules themselves.
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <pagoda/types.h>

#define BOOTINFO_MAX_REGIONS 64
#define BOOTINFO_MAX_MODULES 16
#define BOOTINFO_CMDLINE_LEN 256      /* kernel command line, with its NUL */
#define BOOTINFO_MOD_CMDLINE_LEN 128  /* one module's string, with its NUL */
#define BOOTINFO_PAGE_SIZE ((word_t)4096)

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u  /* in eax at kernel entry */

/* Flags in boot_info.flags: information that did not fit and was dropped. */
#define BOOTINFO_F_REGIONS_OVERFLOW 1u   /* some RAM beyond BOOTINFO_MAX_REGIONS was dropped */
#define BOOTINFO_F_MODULES_OVERFLOW 2u   /* modules beyond BOOTINFO_MAX_MODULES were dropped */
#define BOOTINFO_F_CMDLINE_TRUNCATED 4u  /* a command line was cut to fit */

/* Available RAM: [base, end), both page-aligned, base < end. */
struct bootinfo_region {
	word_t base;
	word_t end;
};

/* A boot module as loaded: physical [start, end), end exclusive. */
struct bootinfo_module {
	word_t start;
	word_t end;
	char cmdline[BOOTINFO_MOD_CMDLINE_LEN];
};

struct boot_info {
	unsigned flags;                  /* BOOTINFO_F_* */
	unsigned nregions;
	struct bootinfo_region region[BOOTINFO_MAX_REGIONS];
	unsigned nmodules;
	struct bootinfo_module module[BOOTINFO_MAX_MODULES];
	char cmdline[BOOTINFO_CMDLINE_LEN];
};

enum bootinfo_error {
	BOOTINFO_OK = 0,
	BOOTINFO_E_MAGIC,      /* eax did not hold MULTIBOOT_BOOTLOADER_MAGIC */
	BOOTINFO_E_ACCESS,     /* a pointer in the structure cannot be read */
	BOOTINFO_E_MMAP,       /* a memory map entry is malformed or truncated */
	BOOTINFO_E_MODULE,     /* a module ends below its start */
	BOOTINFO_E_NO_MEMORY   /* neither a memory map nor mem_lower/mem_upper */
};

/*
 * How bootinfo_parse reads physical memory: return a pointer through which
 * the `size` bytes at physical address `phys` can be read, or NULL if they
 * cannot. The kernel passes its direct map; tests pass a buffer.
 */
typedef const void *(*bootinfo_phys_fn)(word_t phys, word_t size, void *ctx);

/*
 * Fill *bi from the Multiboot 1 information at physical address mbi, given
 * the magic the loader left in eax. Returns BOOTINFO_OK (check bi->flags for
 * dropped information) or a bootinfo_error, with *bi then empty.
 */
int bootinfo_parse(struct boot_info *bi, word_t magic, word_t mbi, bootinfo_phys_fn phys,
		   void *ctx);

/*
 * Remove [base, base + size), widened to whole pages, from the available
 * RAM; a region it falls inside is split. Returns false (and sets
 * BOOTINFO_F_REGIONS_OVERFLOW) if a split found no free slot, in which case
 * the upper piece of that region was dropped: memory is lost, never wrongly
 * reported available.
 */
bool bootinfo_reserve(struct boot_info *bi, word_t base, word_t size);

/* Bytes of available RAM in the map. */
word_t bootinfo_ram_bytes(const struct boot_info *bi);

/* True if the memory map is normalised (see above) and the counts fit. */
bool bootinfo_check(const struct boot_info *bi);

#endif
