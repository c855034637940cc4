/* SPDX-License-Identifier: MIT */
/*
 * Map, grant and unmap over flexpages.
 *
 * Where a send fpage lands in a receive window is fpage.c's arithmetic.
 * The transfer then walks the sender's page table over the source range
 * (so holes cost nothing) and hands every present page to the mapping
 * database: a 2 MiB page whole when it is entirely inside the range and
 * the destination is 2 MiB aligned, otherwise 4 KiB at a time (a 4 KiB
 * page with the frame the walk read, so that the database need not look
 * the sender's mapping up again). An unmap of more than a page is one
 * pass of the mapping database over the range (mdb_unmap_range). Pages that
 * would land in the receiver's KIP or UTCB area, or on the top user page,
 * are skipped.
 */
#include <map.h>
#include <kdebug.h>
#include <fpage.h>
#include <mapdb.h>
#include <space.h>
#include <thread.h>
#include <klib.h>
#include <arch.h>
#include <pagoda/error.h>
#include <pagoda/fpage.h>
#include <pagoda/msg.h>
#include <pagoda/syscall.h>

#define MAP_2M ((word_t)1 << 21)
#define MAP_4K ((word_t)1 << 12)

/* May a page of `size` land at dst in `to`? */
static bool map_target_ok(struct space *to, word_t dst, word_t size)
{
	return arch_user_address_ok(dst + size - 1) && !space_in_kernel_area(to, dst, size);
}

/* Map one page; *mapped counts the pages that arrived. checked: the
 * whole destination range is known to be a fit target. */
static word_t map_one(struct space *from, word_t va, struct space *to, word_t dst,
		      unsigned log2, unsigned rights, bool grant, bool checked, unsigned *mapped)
{
	int err;

	if (!checked && !map_target_ok(to, dst, (word_t)1 << log2))
		return E_OK;
	err = mdb_map(from, va, to, dst, log2, rights, grant);
	if (err == E_OK)
		(*mapped)++;
	return err == E_NO_MEMORY ? E_NO_MEMORY : E_OK;
}

/* Transfer the sender's pages in [va, end) of one leaf to dst + (va - src). */
static word_t map_leaf(struct space *from, const struct map_place *p, word_t va, word_t end,
		       unsigned log2, struct space *to, unsigned rights, bool grant,
		       bool checked, unsigned *mapped)
{
	word_t dst = p->dst + (va - p->src), err;

	if (log2 == 21 && IS_ALIGNED(va, MAP_2M) && end - va == MAP_2M && IS_ALIGNED(dst, MAP_2M))
		return map_one(from, va, to, dst, 21, rights, grant, checked, mapped);
	for (; va < end; va += MAP_4K, dst += MAP_4K)
		if ((err = map_one(from, va, to, dst, 12, rights, grant, checked, mapped)))
			return err;
	return E_OK;
}

/* One 4 KiB page; the mapping database finds the sender's mapping (or
 * reports it missing: kernel-owned pages have none). */
static word_t map_page(struct space *from, word_t src, struct space *to, word_t dst,
		       unsigned rights, bool grant)
{
	unsigned mapped = 0;
	word_t err = map_one(from, src, to, dst, 12, rights, grant, false, &mapped);

	return err ? err : mapped ? E_OK : E_IPC_NOT_MAPPED;
}

/* Map the sender's 4 KiB page at va, frame pa, that the walk has just
 * found (the mapping database need not look it up again). */
static word_t map_found(struct space *from, word_t va, word_t pa, struct space *to, word_t dst,
			unsigned rights, bool grant, bool checked, unsigned *mapped)
{
	int err;

	if (!checked && !map_target_ok(to, dst, MAP_4K))
		return E_OK;
	err = mdb_map_found(from, va, pa, 12, to, dst, 12, rights, grant);
	if (err == E_OK)
		(*mapped)++;
	return err == E_NO_MEMORY ? E_NO_MEMORY : E_OK;
}

/* Transfer every page the sender has in the range; E_IPC_NOT_MAPPED if
 * none arrived (the sender had nothing there, or no rights to give). */
static word_t map_range(struct space *from, const struct map_place *p, struct space *to,
			unsigned rights, bool grant)
{
	word_t va = p->src, end = p->src + p->size, pa, err;
	unsigned log2, had, status, mapped = 0;
	bool checked = map_target_ok(to, p->dst, p->size);   /* then every page is */
	void *slot;

	while (arch_pt_next_db(from->pml4, &va, end, &pa, &log2, &had, &status, &slot)) {
		word_t leaf_end = ALIGN_DOWN(va, (word_t)1 << log2) + ((word_t)1 << log2);
		word_t chunk_end = MIN(leaf_end, end), dst = p->dst + (va - p->src);

		if (log2 == 12)
			err = map_found(from, va, pa, to, dst, rights, grant, checked, &mapped);
		else
			err = map_leaf(from, p, va, chunk_end, log2, to, rights, grant, checked,
				       &mapped);
		if (err)
			return err;
		va = chunk_end;
	}
	return mapped ? E_OK : E_IPC_NOT_MAPPED;
}

/* An item whose fpage is not one valid 4 KiB page: decode it, place it in
 * the window, walk the range. Out of line, so that the one-page items of
 * the fault path keep a small frame. */
static __attribute__((noinline)) word_t map_fpage(struct space *from, word_t w0, word_t w1,
						  struct space *to, word_t window, bool grant)
{
	struct map_place p;
	word_t base;
	unsigned log2;

	if (!fpage_decode(w1, &base, &log2))
		return E_IPC_BAD_ITEM;
	if (!map_placement(w1, item_hotspot(w0), window, &p))
		return E_OK;
	return map_range(from, &p, to, fpage_rights(w1), grant);
}

static word_t map_item_do(struct space *from, word_t w0, word_t w1, struct space *to,
			  word_t window, bool grant);

word_t map_item(struct space *from, word_t w0, word_t w1, struct space *to, word_t window,
		bool grant)
{
	word_t err = map_item_do(from, w0, w1, to, window, grant);

	kdebug_after_change();
	return err;
}

static word_t map_item_do(struct space *from, word_t w0, word_t w1, struct space *to,
			  word_t window, bool grant)
{
	struct map_place p;

	if (fpage_is_nil(w1))
		return E_OK;
	if (fpage_log2(w1) != 12 || !fpage_valid(w1))
		return map_fpage(from, w0, w1, to, window, grant);
	if (fpage_is_complete(window))           /* a pager's reply: no arithmetic */
		return map_page(from, fpage_base(w1), to, item_hotspot(w0) & (FPAGE_USER_END - 1),
				fpage_rights(w1), grant);
	if (!map_placement(w1, item_hotspot(w0), window, &p))
		return E_OK;
	return map_page(from, fpage_base(w1), to, p.dst, fpage_rights(w1), grant);   /* no walk */
}

/* Unmap one fpage of s; returns the gathered status. One page: the
 * mapping database looks it up; a larger fpage: one pass over the range. */
static unsigned unmap_fpage(struct space *s, word_t fp, bool flush)
{
	word_t base;
	unsigned log2, rights = fpage_rights(fp);

	if (!fpage_decode(fp, &base, &log2))
		return 0;
	if (log2 == 12)
		return mdb_unmap(s, base, 12, rights, flush);
	return mdb_unmap_range(s, base, (word_t)1 << log2, rights, flush);
}

void sys_unmap(struct frame *f)
{
	struct tcb *self = thread_current;
	word_t control = arch_syscall_arg(f, 0), *mr = self->utcb->mr;
	unsigned n = (unsigned)(control & UNMAP_COUNT_MASK) + 1;

	if (control & ~(word_t)(UNMAP_COUNT_MASK | UNMAP_FLUSH)) {
		arch_syscall_set_result(f, E_BAD_ARGUMENT);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		if (!fpage_is_nil(mr[i]) && !fpage_is_complete(mr[i]) && !fpage_valid(mr[i])) {
			arch_syscall_set_result(f, E_BAD_FPAGE);
			return;
		}
	for (unsigned i = 0; i < n; i++) {
		unsigned st = unmap_fpage(self->space, mr[i], control & UNMAP_FLUSH);
		mr[i] = (mr[i] & ~FPAGE_RIGHTS_MASK) | st;
	}
	arch_syscall_set_result(f, E_OK);
	kdebug_after_change();
}
