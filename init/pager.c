/* SPDX-License-Identifier: MIT */
/*
 * init as a pager: a task that names no other pager gets its image pages
 * (copied at load time) and zero-filled anonymous memory in its stack and
 * heap regions, with frames from sigma0. A fault anywhere else, or an
 * access its page does not allow, is refused: the kernel then stops the
 * thread with a diagnostic.
 */
#include "init.h"
#include <sigma0.h>

word_t pager_new_frame(void)
{
	word_t pa = 0;

	if (sigma0_alloc(12, FPAGE_RWX, FRAME_WINDOW, &pa))
		return 0;
	memset(frame_va(pa), 0, 4096);
	return pa;
}

static struct page_rec *pager_find(struct task *t, word_t va)
{
	for (unsigned i = 0; i < t->npages; i++)
		if (t->page[i].va == va)
			return &t->page[i];
	return NULL;
}

bool pager_add_region(struct task *t, word_t va, word_t size, unsigned rights)
{
	struct anon_region *r;

	if (t->nregions == TASK_REGIONS_MAX)
		return false;
	r = &t->region[t->nregions++];
	r->va = va;
	r->size = size;
	r->rights = rights;
	return true;
}

/* The rights of the anonymous region holding va, or 0. */
static unsigned pager_anon_rights(struct task *t, word_t va)
{
	for (unsigned i = 0; i < t->nregions; i++)
		if (va - t->region[i].va < t->region[i].size)
			return t->region[i].rights;
	return 0;
}

struct page_rec *pager_add_page(struct task *t, word_t va, word_t pa, unsigned rights)
{
	struct page_rec *r;

	if (t->npages >= TASK_PAGES_MAX)
		return NULL;
	r = &t->page[t->npages++];
	r->va = va;
	r->pa = pa;
	r->rights = rights;
	return r;
}

/* A fresh zeroed page for t at va; NULL if out of memory or records. */
static struct page_rec *pager_anon(struct task *t, word_t va, unsigned rights)
{
	word_t pa;

	if (t->npages >= TASK_PAGES_MAX || !(pa = pager_new_frame()))
		return NULL;
	return pager_add_page(t, va, pa, rights);
}

word_t pager_fault(struct task *t, word_t addr, word_t ip, unsigned access)
{
	word_t va = ALIGN_DOWN(addr, 4096);
	struct page_rec *r = pager_find(t, va);

	unsigned anon = r ? 0 : pager_anon_rights(t, va);

	(void)ip;
	if (anon && !(r = pager_anon(t, va, anon)))
		return PAGER_REFUSE_NO_MEMORY;
	if (!r || (r->rights & access) != access)
		return PAGER_REFUSE_NOT_MINE;
	msg_tag(0, 0, 2);
	msg_map_item(1, va, fpage_make(FRAME_BASE + r->pa, 12, r->rights), false);
	return 0;
}
