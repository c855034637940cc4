/* SPDX-License-Identifier: MIT */
/*
 * The page table a space's walks last went through (kept in its PML4,
 * kernel/arch/x86_64/paging.c) must be forgotten when that table is
 * freed. KDB_SPACE_TRIM frees the tables that map nothing: a heap page
 * in region A is touched, unmapped (a walk that remembers A's table) and
 * the space trimmed; a page in region B, at the same place in its
 * region, then gets a new table (the pool hands back the freed one).
 * The kernel must still see A as unmapped, and A and B as two pages.
 */
#include "tap.h"

#define REGION (2ul << 20)
#define VA_A (USER_HEAP_BASE + 64 * REGION + 5 * 4096)
#define VA_B (VA_A + 4 * REGION)

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	volatile word_t *a = (volatile word_t *)VA_A, *b = (volatile word_t *)VA_B;
	word_t pa, pa_b, rights, freed = 0;
	word_t e_unmap, e_phys, e_trim, e_after;

	*a = 0xa;
	ok(kdb_phys(VA_A, &pa, &rights) == E_OK, "A is mapped (frame %lx)", pa);
	/* from here to the last KDB_PHYS of A, no output: printing reads
	 * this task's stack, a walk of another region */
	utcb()->mr[0] = fpage_make(VA_A, 12, FPAGE_RWX);
	e_unmap = sys_unmap(0 | UNMAP_FLUSH);
	e_phys = kdb_phys(VA_A, &pa, &rights);        /* a walk through A's table */
	e_trim = kdb_space_trim(libmap_myself, false, &freed);
	*b = 0xb;                                     /* a new table, from the pool */
	e_after = kdb_phys(VA_A, &pa, &rights);
	ok_err(e_unmap, E_OK, "A unmapped, with flush");
	ok_err(e_phys, E_BAD_FPAGE, "A is unmapped");
	ok_err(e_trim, E_OK, "trim my space");
	ok(freed >= 4096, "trim freed A's empty page table (%lu bytes)", freed);
	ok(e_after == E_BAD_FPAGE,
	   "A is still unmapped after the trim: error %lx (want %x), "
	   "frame %lx",
	   e_after, E_BAD_FPAGE, e_after == E_OK ? pa : 0);
	ok(kdb_phys(VA_B, &pa_b, &rights) == E_OK, "B is mapped (frame %lx)", pa_b);
	*a = 0xa;
	ok(*b == 0xb && *a == 0xa, "A and B are two pages (B holds %lx)", *b);
	ok(kdb_phys(VA_A, &pa, &rights) == E_OK && pa != pa_b, "A's frame %lx is not B's", pa);
	ok_err(kdb_check(), E_OK, "the kernel's checkers hold");
	return (int)tap_failed;
}
