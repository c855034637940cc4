/* SPDX-License-Identifier: MIT */
/*
 * x86-64 four-level page tables for user address spaces.
 *
 * Each space has its own PML4; its kernel half (entries 256..511) is
 * copied from the boot PML4, so kernel mappings are shared by all spaces.
 * Leaf entries carry the hardware bits plus, in the ignored bits 9..11,
 * the logical rights (r, w, x) the mapping was given, so a lookup returns
 * exactly what was mapped even where x86 cannot express it (write-only).
 * Bit 52 marks kernel-owned user mappings (UTCB, KIP) that the mapping
 * database does not know.
 *
 * Tables are allocated from the kernel pool, charged to the space. To let
 * a 4 KiB mapping replace a 2 MiB one without a failing allocation in the
 * middle, arch_pt_prepare may park one spare table in an unused kernel-half
 * PML4 slot (not present, so the MMU ignores it).
 */
#include <arch.h>
#include <klib.h>
#include <kmem.h>
#include <pagoda/error.h>
#include <pagoda/fpage.h>
#include <pagoda/kip.h>
#include "x86.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_RIGHTS_SHIFT 9
#define PTE_KOWNED (1ull << 52)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define PTE_TABLE (PTE_P | PTE_W | PTE_U)
#define PML4_SPARE_SLOT 300

extern word_t boot_pml4[512];
word_t *pt_active;                    /* the PML4 in CR3 */
static bool pt_nx;                    /* the CPU has NX: set it for non-x pages */

static unsigned pt_index(word_t va, unsigned level)
{
	return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

static word_t *pt_table(word_t entry)
{
	return phys_to_virt(entry & PTE_ADDR);
}

static void pt_flush(word_t *pml4, word_t va)
{
	if (pml4 == pt_active)
		x86_invlpg(va);
}

static word_t *pt_alloc(word_t *pml4, struct kmem_account *a)
{
	word_t spare = pml4[PML4_SPARE_SLOT];

	if (spare) {
		pml4[PML4_SPARE_SLOT] = 0;
		return phys_to_virt(spare);
	}
	return a ? kmem_alloc(a, KMEM_PAGE) : NULL;
}

void arch_pt_kernel_init(void)
{
	pt_nx = arch_cpu_features() & KIP_CPU_NX;
	boot_pml4[0] = 0;                 /* drop the boot identity map */
	pt_active = boot_pml4;
	x86_write_cr3(virt_to_phys(boot_pml4));
}

word_t *arch_pt_create(struct kmem_account *a)
{
	word_t *pml4 = kmem_alloc(a, KMEM_PAGE);

	if (!pml4)
		return NULL;
	for (unsigned i = 256; i < 512; i++)
		pml4[i] = boot_pml4[i];
	pml4[PML4_SPARE_SLOT] = 0;
	return pml4;
}

/* Free the tables below `table` at `level` (user half only at level 4). */
static void pt_free_level(word_t *table, unsigned level, struct kmem_account *a)
{
	unsigned n = level == 4 ? 256 : 512;

	for (unsigned i = 0; i < n; i++) {
		word_t e = table[i];
		if (!(e & PTE_P) || (e & PTE_PS) || level == 1)
			continue;
		pt_free_level(pt_table(e), level - 1, a);
		kmem_free(a, pt_table(e), KMEM_PAGE);
	}
}

void arch_pt_destroy(word_t *pml4, struct kmem_account *a)
{
	if (pml4 == pt_active)
		arch_pt_activate(boot_pml4, virt_to_phys(boot_pml4));
	pt_free_level(pml4, 4, a);
	if (pml4[PML4_SPARE_SLOT])
		kmem_free(a, phys_to_virt(pml4[PML4_SPARE_SLOT]), KMEM_PAGE);
	kmem_free(a, pml4, KMEM_PAGE);
}

/* The leaf entry for va: the PDE of a 2 MiB page or the PTE; NULL if the
 * path is missing. *log2 says which. */
static word_t *pt_leaf(word_t *pml4, word_t va, unsigned *log2)
{
	word_t *t = pml4;

	for (unsigned level = 4; level > 1; level--) {
		word_t e = t[pt_index(va, level)];
		if (!(e & PTE_P))
			return level == 2 ? &t[pt_index(va, level)] : NULL;
		if (level == 2 && (e & PTE_PS)) {
			*log2 = 21;
			return &t[pt_index(va, level)];
		}
		t = pt_table(e);
	}
	*log2 = 12;
	return &t[pt_index(va, 1)];
}

bool arch_pt_lookup(word_t *pml4, word_t va, word_t *pa, unsigned *log2, unsigned *rights,
		    unsigned *attr)
{
	unsigned l = 12;
	word_t *e = pt_leaf(pml4, va, &l);

	if (!e || !(*e & PTE_P) || !(*e & PTE_U) || va >= USER_END)
		return false;
	*log2 = l;
	*pa = *e & PTE_ADDR & ~(((word_t)1 << l) - 1);
	*rights = (unsigned)(*e >> PTE_RIGHTS_SHIFT) & 7;
	if (attr)
		*attr = ((*e & PTE_PCD) ? ARCH_PT_UNCACHED : 0) |
			((*e & PTE_KOWNED) ? ARCH_PT_KERNEL_OWNED : 0);
	return true;
}

/* Walk to the table at `level` (2 = page directory, 1 = page table) that
 * holds va's entry, allocating missing tables. A 2 MiB leaf in the way
 * stops the walk (NULL). */
static word_t *pt_walk_alloc(word_t *pml4, word_t va, unsigned target, struct kmem_account *a)
{
	word_t *t = pml4;

	for (unsigned level = 4; level > target; level--) {
		word_t *e = &t[pt_index(va, level)];
		if (!(*e & PTE_P)) {
			word_t *n = pt_alloc(pml4, a);
			if (!n)
				return NULL;
			*e = virt_to_phys(n) | PTE_TABLE;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		t = pt_table(*e);
	}
	return t;
}

int arch_pt_prepare(word_t *pml4, word_t va, unsigned log2, struct kmem_account *a)
{
	word_t *pd = pt_walk_alloc(pml4, va, 2, a);
	word_t pde;

	if (!pd)
		return E_NO_MEMORY;
	pde = pd[pt_index(va, 2)];
	if (log2 == 21 || ((pde & PTE_P) && !(pde & PTE_PS)))
		return E_OK;
	if (pde & PTE_PS) {               /* keep a spare for after its removal */
		if (!pml4[PML4_SPARE_SLOT]) {
			word_t *n = kmem_alloc(a, KMEM_PAGE);
			if (!n)
				return E_NO_MEMORY;
			pml4[PML4_SPARE_SLOT] = virt_to_phys(n);
		}
		return E_OK;
	}
	return pt_walk_alloc(pml4, va, 1, a) ? E_OK : E_NO_MEMORY;
}

static word_t pt_leaf_bits(word_t pa, unsigned log2, unsigned rights, unsigned attr)
{
	word_t e = pa | PTE_P | PTE_U | ((word_t)rights << PTE_RIGHTS_SHIFT);

	if (rights & FPAGE_W)
		e |= PTE_W;
	if (!(rights & FPAGE_X) && pt_nx)
		e |= PTE_NX;
	if (attr & ARCH_PT_UNCACHED)
		e |= PTE_PCD | PTE_PWT;
	if (attr & ARCH_PT_KERNEL_OWNED)
		e |= PTE_KOWNED;
	if (log2 == 21)
		e |= PTE_PS;
	return e;
}

void arch_pt_set(word_t *pml4, word_t va, word_t pa, unsigned log2, unsigned rights,
		 unsigned attr)
{
	word_t *t = pt_walk_alloc(pml4, va, log2 == 21 ? 2 : 1, NULL);

	assert(t);                        /* arch_pt_prepare made the path */
	t[pt_index(va, log2 == 21 ? 2 : 1)] = pt_leaf_bits(pa, log2, rights, attr);
	pt_flush(pml4, va);
}

static unsigned pt_status(word_t e)
{
	return ((e & PTE_A) ? FPAGE_R : 0) | ((e & PTE_D) ? FPAGE_W : 0);
}

unsigned arch_pt_protect(word_t *pml4, word_t va, unsigned log2, unsigned rights)
{
	unsigned l = 12;
	word_t *e = pt_leaf(pml4, va, &l);
	word_t old;
	unsigned attr;

	assert(e && (*e & PTE_P) && l == log2);
	old = *e;
	attr = ((old & PTE_PCD) ? ARCH_PT_UNCACHED : 0) | ((old & PTE_KOWNED) ? ARCH_PT_KERNEL_OWNED : 0);
	*e = pt_leaf_bits(old & PTE_ADDR, log2, rights, attr);
	pt_flush(pml4, va);
	return pt_status(old);
}

unsigned arch_pt_clear(word_t *pml4, word_t va, unsigned log2)
{
	unsigned l = 12;
	word_t *e = pt_leaf(pml4, va, &l);
	word_t old;

	assert(e && (*e & PTE_P) && l == log2);
	old = *e;
	*e = 0;
	pt_flush(pml4, va);
	return pt_status(old);
}

int arch_pt_split(word_t *pml4, word_t va, struct kmem_account *a)
{
	unsigned l = 12;
	word_t *e = pt_leaf(pml4, va, &l), *pt, big;

	assert(e && (*e & PTE_PS) && l == 21);
	pt = pt_alloc(pml4, a);
	if (!pt)
		return E_NO_MEMORY;
	big = *e & ~PTE_PS;
	for (unsigned i = 0; i < 512; i++)
		pt[i] = big + ((word_t)i << 12);
	*e = virt_to_phys(pt) | PTE_TABLE;
	if (pml4 == pt_active)
		x86_write_cr3(virt_to_phys(pml4));
	return E_OK;
}

/* Walk down from the PML4 at va: a leaf (*log2 set) or, on a hole, NULL
 * with *skip = the size of the missing entry's span. */
static word_t *pt_walk(word_t *pml4, word_t va, unsigned *log2, word_t *skip)
{
	word_t *t = pml4;

	for (unsigned level = 4;; level--) {
		word_t e = t[pt_index(va, level)];

		if (!(e & PTE_P)) {
			*skip = (word_t)1 << (12 + 9 * (level - 1));
			return NULL;
		}
		if (level == 1 || (level == 2 && (e & PTE_PS))) {
			*log2 = level == 1 ? 12 : 21;
			return &t[pt_index(va, level)];
		}
		t = pt_table(e);
	}
}

bool arch_pt_next(word_t *pml4, word_t *va, word_t end, unsigned *log2, unsigned *attr)
{
	word_t v = *va, skip;
	word_t *e;

	while (v < end && v < USER_END) {
		if ((e = pt_walk(pml4, v, log2, &skip))) {
			*va = v;
			*attr = ((*e & PTE_PCD) ? ARCH_PT_UNCACHED : 0) |
				((*e & PTE_KOWNED) ? ARCH_PT_KERNEL_OWNED : 0);
			return true;
		}
		v = ALIGN_DOWN(v, skip) + skip;      /* past the hole */
	}
	return false;
}
