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
 *
 * A slot is the address of one entry, handed out by arch_pt_lookup and
 * arch_pt_prepare so that the set, protect or clear that follows need not
 * walk again. Tables are freed only with the whole tree, so a slot stays
 * good as long as nothing replaces the table holding it.
 */
#include <arch.h>
#include <klib.h>
#include <kmem.h>
#include <pagoda/error.h>
#include <pagoda/fpage.h>
#include <pagoda/kip.h>
#include "x86.h"
#include "entry.h"

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

/* The leaf-entry bits that encode each rights value: present, user, the
 * rights themselves (bits 9..11), W, and NX unless x. arch_pt_kernel_init
 * drops NX where the CPU lacks it. A table: a leaf is built on every map. */
#define PT_RIGHTS(r) (PTE_P | PTE_U | ((word_t)(r) << PTE_RIGHTS_SHIFT) | \
		      (((r) & FPAGE_W) ? PTE_W : 0) | (((r) & FPAGE_X) ? 0 : PTE_NX))
static word_t pt_rights_bits[8] = {
	PT_RIGHTS(0), PT_RIGHTS(1), PT_RIGHTS(2), PT_RIGHTS(3),
	PT_RIGHTS(4), PT_RIGHTS(5), PT_RIGHTS(6), PT_RIGHTS(7),
};

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
	if (pml4 == cpu_this()->arch.pt_active)
		x86_invlpg(va);
}

/* The page table a walk of a space last went through: bulk operations (a
 * range unmap, the revocation of the mappings derived from it) touch the
 * pages of one 2 MiB region of a space one after the other, and find its
 * table here instead of walking four levels. Kept per space in two unused
 * kernel-half PML4 slots (bit 0 clear: not present, the MMU ignores them):
 * the region as (va >> 21) + 1 shifted left by one, and the table's
 * physical address. Whatever takes a page table out of a tree (a 2 MiB
 * mapping replacing it, a split's new table, a trim) forgets it first. */
#define PML4_LAST_REGION 301
#define PML4_LAST_PT 302

static inline word_t pt_last_key(word_t va)
{
	return ((va >> 21) + 1) << 1;
}

/* The page table covering va if it is the one remembered, else NULL. */
static inline word_t *pt_last_get(const word_t *pml4, word_t va)
{
	return pml4[PML4_LAST_REGION] == pt_last_key(va) ? phys_to_virt(pml4[PML4_LAST_PT]) : NULL;
}

static inline void pt_last_set(word_t *pml4, word_t va, word_t pde)
{
	pml4[PML4_LAST_REGION] = pt_last_key(va);
	pml4[PML4_LAST_PT] = pde & PTE_ADDR;
}

static void pt_last_forget(word_t *pml4)
{
	pml4[PML4_LAST_REGION] = 0;
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
	if (!(arch_cpu_features() & KIP_CPU_NX))    /* NX is then a reserved bit */
		for (unsigned r = 0; r < 8; r++)
			pt_rights_bits[r] &= ~PTE_NX;
	boot_pml4[0] = 0;                 /* drop the boot identity map */
	cpu_this()->arch.pt_active = boot_pml4;
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
	pt_last_forget(pml4);
	return pml4;
}

/* Free the tables below `table` at `level` (user half only at level 4). */
/* NOLINTNEXTLINE(misc-no-recursion): one call per page-table level, 4 deep */
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
	if (pml4 == cpu_this()->arch.pt_active)
		arch_pt_activate(boot_pml4, virt_to_phys(boot_pml4));
	pt_free_level(pml4, 4, a);
	if (pml4[PML4_SPARE_SLOT])
		kmem_free(a, phys_to_virt(pml4[PML4_SPARE_SLOT]), KMEM_PAGE);
	kmem_free(a, pml4, KMEM_PAGE);
}

/* Free the tables below `table` (at `level`) that map nothing (with
 * `count_only`, just count them); true if `table` itself maps nothing
 * afterwards. */
/* NOLINTNEXTLINE(misc-no-recursion): one call per page-table level, 4 deep */
static bool pt_trim_level(word_t *table, unsigned level, struct kmem_account *a, bool count_only,
			  size_t *freed)
{
	unsigned n = level == 4 ? 256 : 512;
	bool empty = true;

	for (unsigned i = 0; i < n; i++) {
		word_t e = table[i];
		if (level > 1 && (e & PTE_P) && !(e & PTE_PS) &&
		    pt_trim_level(pt_table(e), level - 1, a, count_only, freed)) {
			if (!count_only) {
				kmem_free(a, pt_table(e), KMEM_PAGE);
				table[i] = 0;
			}
			e = 0;
			*freed += KMEM_PAGE;
		}
		empty = empty && !e;
	}
	return empty;
}

size_t arch_pt_trim(word_t *pml4, struct kmem_account *a, bool count_only)
{
	size_t freed = 0;

	if (!count_only)                  /* the remembered table may be freed */
		pt_last_forget(pml4);
	pt_trim_level(pml4, 4, a, count_only, &freed);
	if (pml4[PML4_SPARE_SLOT]) {
		if (!count_only) {
			kmem_free(a, phys_to_virt(pml4[PML4_SPARE_SLOT]), KMEM_PAGE);
			pml4[PML4_SPARE_SLOT] = 0;
		}
		freed += KMEM_PAGE;
	}
	if (freed && !count_only && pml4 == cpu_this()->arch.pt_active)
		x86_write_cr3(virt_to_phys(pml4));
	return freed;
}

/* Where va's leaf entry is or would go: the PTE when a page table covers
 * va (*log2 = 12), else the PDE (*log2 = 21, a 2 MiB page or nothing);
 * NULL when no page directory covers va. */
static word_t *pt_leaf(word_t *pml4, word_t va, unsigned *log2)
{
	word_t e, *pde, *pt = pt_last_get(pml4, va);

	if (pt) {
		*log2 = 12;
		return &pt[pt_index(va, 1)];
	}
	e = pml4[pt_index(va, 4)];
	if (!(e & PTE_P))
		return NULL;
	e = pt_table(e)[pt_index(va, 3)];
	if (!(e & PTE_P))
		return NULL;
	pde = &pt_table(e)[pt_index(va, 2)];
	e = *pde;
	if (!(e & PTE_P) || (e & PTE_PS)) {
		*log2 = 21;
		return pde;
	}
	*log2 = 12;
	pt_last_set(pml4, va, e);
	return &pt_table(e)[pt_index(va, 1)];
}

/* The ARCH_PT_* attributes of leaf entry e. */
static unsigned pt_attr(word_t e)
{
	return ((e & PTE_PCD) ? ARCH_PT_UNCACHED : 0) |
	       ((e & PTE_KOWNED) ? ARCH_PT_KERNEL_OWNED : 0);
}

/* The present user leaf entry mapping va, 0 if there is none; *log2 is
 * its size. *slot (slot may be NULL): as arch_pt_lookup describes it. */
static inline word_t pt_lookup(word_t *pml4, word_t va, unsigned *log2, void **slot)
{
	unsigned l = 0;
	word_t *e = va < USER_END ? pt_leaf(pml4, va, &l) : NULL;

	if (slot)
		*slot = l == 12 ? e : NULL;
	if (!e || (*e & (PTE_P | PTE_U)) != (PTE_P | PTE_U))
		return 0;
	*log2 = l;
	return *e;
}

/* Frame base and rights of the leaf entry e of size log2. */
static inline void pt_decode(word_t e, unsigned log2, word_t *pa, unsigned *rights)
{
	*pa = e & (log2 == 12 ? PTE_ADDR : PTE_ADDR & ~(word_t)0x1fffff);
	*rights = (unsigned)(e >> PTE_RIGHTS_SHIFT) & 7;
}

bool arch_pt_lookup(word_t *pml4, word_t va, word_t *pa, unsigned *log2, unsigned *rights,
		    void **slot)
{
	word_t e = pt_lookup(pml4, va, log2, slot);

	if (!e)
		return false;
	pt_decode(e, *log2, pa, rights);
	return true;
}

bool arch_pt_lookup_db(word_t *pml4, word_t va, word_t *pa, unsigned *log2, unsigned *rights,
		       void **slot)
{
	word_t e = pt_lookup(pml4, va, log2, slot);

	if (!e || (e & PTE_KOWNED))
		return false;
	pt_decode(e, *log2, pa, rights);
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

int arch_pt_prepare(word_t *pml4, word_t va, unsigned log2, struct kmem_account *a, void **slot)
{
	word_t *pd = pt_walk_alloc(pml4, va, 2, a), *pde, *pt;

	*slot = NULL;
	if (!pd)
		return E_NO_MEMORY;
	pde = &pd[pt_index(va, 2)];
	if (log2 == 21) {
		/* a page table in the way will be retired into the spare slot
		 * (pt_retire_table): make room there now, while we can free */
		if ((*pde & PTE_P) && !(*pde & PTE_PS) && pml4[PML4_SPARE_SLOT]) {
			kmem_free(a, phys_to_virt(pml4[PML4_SPARE_SLOT]), KMEM_PAGE);
			pml4[PML4_SPARE_SLOT] = 0;
		}
		*slot = pde;
		return E_OK;
	}
	if (*pde & PTE_PS) {              /* keep a spare for after its removal */
		if (!pml4[PML4_SPARE_SLOT]) {
			word_t *n = kmem_alloc(a, KMEM_PAGE);
			if (!n)
				return E_NO_MEMORY;
			pml4[PML4_SPARE_SLOT] = virt_to_phys(n);
		}
		return E_OK;
	}
	if (!(*pde & PTE_P)) {
		pt = pt_alloc(pml4, a);
		if (!pt)
			return E_NO_MEMORY;
		*pde = virt_to_phys(pt) | PTE_TABLE;
	}
	*slot = &pt_table(*pde)[pt_index(va, 1)];
	return E_OK;
}

static word_t pt_leaf_bits(word_t pa, unsigned log2, unsigned rights, unsigned attr)
{
	word_t e = pa | pt_rights_bits[rights & FPAGE_RIGHTS_MASK];

	if (attr & ARCH_PT_UNCACHED)
		e |= PTE_PCD | PTE_PWT;
	if (attr & ARCH_PT_KERNEL_OWNED)
		e |= PTE_KOWNED;
	if (log2 == 21)
		e |= PTE_PS;
	return e;
}

/* A 2 MiB leaf is about to replace the page table `old` points to, whose
 * mappings the mapping database has just removed: keep the empty table as
 * the space's spare (arch_pt_prepare made room), so it stays charged to
 * the space and is freed with it instead of leaking. */
static __attribute__((noinline)) void pt_retire_table(word_t *pml4, word_t old)
{
	word_t *pt = pt_table(old);

	pt_last_forget(pml4);
	for (unsigned i = 0; i < 512; i++)
		if (pt[i])
			panic("paging: 2 MiB mapping over a page table still in use");
	assert(!pml4[PML4_SPARE_SLOT]);
	pml4[PML4_SPARE_SLOT] = old & PTE_ADDR;
}

/* Store leaf entry e, which maps va, at slot, and flush va. */
static void pt_store(word_t *pml4, word_t *slot, word_t va, word_t e)
{
	*slot = e;
	pt_flush(pml4, va);
}

/* Store a 2 MiB leaf; a page table it replaces is retired, and then the
 * whole TLB goes (its 4 KiB entries may be cached). */
static __attribute__((noinline)) void pt_store_super(word_t *pml4, word_t *slot, word_t va,
						     word_t e)
{
	if ((*slot & PTE_P) && !(*slot & PTE_PS)) {
		pt_retire_table(pml4, *slot);
		*slot = e;
		if (pml4 == cpu_this()->arch.pt_active)
			__asm__ volatile("mov %0, %%cr3" : : "r"(virt_to_phys(pml4)) : "memory");
		return;
	}
	pt_store(pml4, slot, va, e);
}

/* arch_pt_set without a slot: walk the prepared tables to the entry (a
 * page table may come from the spare). Out of line, to keep the common
 * case free of the walk's registers. */
static __attribute__((noinline)) void pt_store_walk(word_t *pml4, word_t va, unsigned log2,
						    word_t e)
{
	unsigned level = log2 == 21 ? 2 : 1;
	word_t *t = pt_walk_alloc(pml4, va, level, NULL);

	assert(t);                        /* arch_pt_prepare made the path */
	if (level == 2)
		pt_store_super(pml4, &t[pt_index(va, level)], va, e);
	else
		pt_store(pml4, &t[pt_index(va, level)], va, e);
}

void arch_pt_set(word_t *pml4, word_t va, word_t pa, unsigned log2, unsigned rights,
		 unsigned attr, void *slot)
{
	word_t e = pt_leaf_bits(pa, log2, rights, attr);

	if (slot && log2 == 21)
		pt_store_super(pml4, slot, va, e);
	else if (slot)
		pt_store(pml4, slot, va, e);
	else
		pt_store_walk(pml4, va, log2, e);
}

static unsigned pt_status(word_t e)
{
	return ((e & PTE_A) ? FPAGE_R : 0) | ((e & PTE_D) ? FPAGE_W : 0);
}

/* The present leaf entry of the log2 mapping at va: slot, or found by a
 * walk. */
static inline __attribute__((always_inline)) word_t *pt_mapped(word_t *pml4, word_t va,
									unsigned log2, void *slot)
{
	unsigned l = 12;
	word_t *e = slot, *pt;

	if (!e && log2 == 12 && (pt = pt_last_get(pml4, va)))
		e = &pt[pt_index(va, 1)];     /* the common case of bulk work */
	else if (!e)
		e = pt_leaf(pml4, va, &l);

	assert(e && (*e & PTE_P) && l == log2);
	return e;
}

/* Protect the present leaf entry e of the log2 mapping at va. */
static inline __attribute__((always_inline)) unsigned
pt_protect_at(word_t *pml4, word_t *e, word_t va, unsigned log2, unsigned rights)
{
	word_t old = *e, now = pt_leaf_bits(old & PTE_ADDR, log2, rights, pt_attr(old));

	if (now == old)                   /* same rights, no status to reset */
		return 0;
	*e = now;
	pt_flush(pml4, va);
	return pt_status(old);
}

/* arch_pt_protect where neither a slot nor the remembered table has the
 * entry: out of line, so that the common case saves no registers. */
static __attribute__((noinline)) unsigned pt_protect_walk(word_t *pml4, word_t va, unsigned log2,
							  unsigned rights)
{
	return pt_protect_at(pml4, pt_mapped(pml4, va, log2, NULL), va, log2, rights);
}

unsigned arch_pt_protect(word_t *pml4, word_t va, unsigned log2, unsigned rights, void *slot)
{
	word_t *e = slot, *pt;

	if (!e && log2 == 12 && (pt = pt_last_get(pml4, va)))
		e = &pt[pt_index(va, 1)];     /* the common case of bulk work */
	if (!e)
		return pt_protect_walk(pml4, va, log2, rights);
	assert((*e & PTE_P));
	return pt_protect_at(pml4, e, va, log2, rights);
}

unsigned arch_pt_clear(word_t *pml4, word_t va, unsigned log2, void *slot)
{
	word_t *e = pt_mapped(pml4, va, log2, slot), old = *e;

	*e = 0;
	pt_flush(pml4, va);
	return pt_status(old);
}

void arch_pt_raise(word_t *pml4, word_t va, unsigned log2, unsigned rights, void *slot)
{
	word_t *e = pt_mapped(pml4, va, log2, slot), old = *e;

	*e = pt_leaf_bits(old & PTE_ADDR, log2, rights, pt_attr(old)) | (old & (PTE_A | PTE_D));
	pt_flush(pml4, va);
}

int arch_pt_split(word_t *pml4, word_t va, struct kmem_account *a)
{
	unsigned l = 12;
	word_t *e = pt_leaf(pml4, va, &l), *pt, big;

	assert(e && (*e & PTE_PS) && l == 21);
	pt = pt_alloc(pml4, a);
	if (!pt)
		return E_NO_MEMORY;
	pt_last_forget(pml4);
	big = *e & ~PTE_PS;
	for (unsigned i = 0; i < 512; i++)
		pt[i] = big + ((word_t)i << 12);
	*e = virt_to_phys(pt) | PTE_TABLE;
	if (pml4 == cpu_this()->arch.pt_active)
		x86_write_cr3(virt_to_phys(pml4));
	return E_OK;
}

/* Walk down from the PML4 at va: its leaf (*log2 set) or, on a hole, NULL
 * with the table and level where the walk stopped. */
static word_t *pt_walk(word_t *pml4, word_t va, unsigned *log2, word_t **table, unsigned *level)
{
	word_t *t = pt_last_get(pml4, va);
	unsigned l = 1;

	if (!t) {
		t = pml4;
		l = 4;
	}
	for (;; l--) {
		word_t e = t[pt_index(va, l)];

		if (!(e & PTE_P)) {
			*table = t;
			*level = l;
			return NULL;
		}
		if (l == 1 || (l == 2 && (e & PTE_PS))) {
			*log2 = l == 1 ? 12 : 21;
			return &t[pt_index(va, l)];
		}
		if (l == 2)
			pt_last_set(pml4, va, e);
		t = pt_table(e);
	}
}

/* Past the hole at va in `table` (at `level`) and the holes after it in
 * the same table: the address of the next present entry, or of the end
 * of the table, or one at or past end. Empty entries cost a step per
 * four, not a walk. */
static word_t pt_skip_holes(const word_t *table, unsigned level, word_t va, word_t end)
{
	word_t span = (word_t)1 << (12 + 9 * (level - 1));
	unsigned i = pt_index(va, level), last = level == 4 ? 256 : 512;

	va = ALIGN_DOWN(va, span) + span;
	/* four entries a step while all are empty: space teardown and range
	 * walks cross mostly empty tables (the result may pass end: callers
	 * stop at end) */
	for (i++; i + 4 <= last && va < end &&
		  !((table[i] | table[i + 1] | table[i + 2] | table[i + 3]) & PTE_P);
	     i += 4)
		va += 4 * span;
	for (; i < last && !(table[i] & PTE_P) && va < end; i++)
		va += span;
	return va;
}

bool arch_pt_next(word_t *pml4, word_t *va, word_t end, unsigned *log2, unsigned *attr)
{
	word_t v = *va, *e, *table, *pt = pt_last_get(pml4, v);
	unsigned level;

	/* the common case of a range walk: the next page of the same table */
	if (pt && v < end && v < USER_END && (*(e = &pt[pt_index(v, 1)]) & PTE_P)) {
		*log2 = 12;
		*attr = pt_attr(*e);
		return true;
	}

	while (v < end && v < USER_END) {
		if ((e = pt_walk(pml4, v, log2, &table, &level))) {
			*va = v;
			*attr = pt_attr(*e);
			return true;
		}
		v = pt_skip_holes(table, level, v, end);
	}
	return false;
}

/* arch_pt_next_db past the remembered table: walks, holes, superpages. Out
 * of line, so that the common case saves no registers. */
static __attribute__((noinline)) bool pt_next_db_walk(word_t *pml4, word_t *va, word_t end,
						      word_t *pa, unsigned *log2, unsigned *rights,
						      unsigned *status, void **slot)
{
	word_t v = *va, *e, *table;
	unsigned level;

	while (v < end && v < USER_END) {
		if (!(e = pt_walk(pml4, v, log2, &table, &level))) {
			v = pt_skip_holes(table, level, v, end);
			continue;
		}
		if ((*e & (PTE_P | PTE_U)) == (PTE_P | PTE_U) && !(*e & PTE_KOWNED)) {
			*va = v;
			*slot = *log2 == 12 ? e : NULL;
			*status = pt_status(*e);
			pt_decode(*e, *log2, pa, rights);
			return true;
		}
		v = ALIGN_DOWN(v, (word_t)1 << *log2) + ((word_t)1 << *log2);
	}
	return false;
}

bool arch_pt_next_db(word_t *pml4, word_t *va, word_t end, word_t *pa, unsigned *log2,
		     unsigned *rights, unsigned *status, void **slot)
{
	word_t v = *va, *e, x, *pt = pt_last_get(pml4, v);

	/* the common case of a range walk: the next page of the same table */
	if (pt && v < end && v < USER_END &&
	    ((x = *(e = &pt[pt_index(v, 1)])) & (PTE_P | PTE_U | PTE_KOWNED)) == (PTE_P | PTE_U)) {
		*slot = e;
		*log2 = 12;
		*pa = x & PTE_ADDR;
		*rights = (unsigned)(x >> PTE_RIGHTS_SHIFT) & 7;
		*status = pt_status(x);
		return true;
	}
	return pt_next_db_walk(pml4, va, end, pa, log2, rights, status, slot);
}
