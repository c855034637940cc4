/* SPDX-License-Identifier: MIT */
/*
 * Starting and reaping tasks. A task is one address space with one
 * thread; init is its parent (exit reports come to init) and its
 * exception handler. Its pager is init or a pager task started earlier.
 */
#include "init.h"
#include <elf.h>
#include <layout.h>
#include <sigma0.h>

struct task tasks[TASK_MAX];
static uint16_t task_version[TASK_MAX];

struct task *task_by_thread(word_t tid)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (tasks[i].used && !tasks[i].done && tasks[i].tid == tid)
			return &tasks[i];
	return NULL;
}

/* Record one page of the image: a fresh frame with the segment's bytes. */
static bool task_image_page(struct task *t, const uint8_t *img, const struct elf_segment *s,
			    word_t va)
{
	struct page_rec *r;
	word_t pa, lo, hi;

	if (t->npages >= TASK_PAGES_MAX || !(pa = pager_new_frame()))
		return false;
	lo = MAX(va, s->vaddr);
	hi = MIN(va + 4096, s->vaddr + s->filesz);
	if (hi > lo)
		memcpy((uint8_t *)frame_va(pa) + (lo - va), img + s->offset + (lo - s->vaddr), hi - lo);
	r = &t->page[t->npages++];
	r->va = va;
	r->pa = pa;
	r->rights = s->rights | FPAGE_R;
	return true;
}

static bool task_load_image(struct task *t, const uint8_t *img, const struct elf_image *e)
{
	for (unsigned i = 0; i < e->nsegments; i++) {
		const struct elf_segment *s = &e->seg[i];
		for (word_t va = ALIGN_DOWN(s->vaddr, 4096); va < s->vaddr + s->memsz; va += 4096)
			if (!task_image_page(t, img, s, va))
				return false;
	}
	return true;
}

/* The top stack page: the argument string and the two start-up words. */
static bool task_stack(struct task *t, word_t *sp)
{
	word_t pa = pager_new_frame(), len = strlen(t->conf.args) + 1;
	uint8_t *page = frame_va(pa);
	word_t off = 4096 - 16 - ALIGN_UP(len, 16);
	struct page_rec *r;

	if (!pa || t->npages >= TASK_PAGES_MAX)
		return false;
	memcpy(page + off + 16, t->conf.args, len);
	((word_t *)(page + off))[0] = USER_STACK_TOP - 4096 + off + 16;
	((word_t *)(page + off))[1] = libmap_myself;
	r = &t->page[t->npages++];
	r->va = USER_STACK_TOP - 4096;
	r->pa = pa;
	r->rights = FPAGE_RW;
	*sp = USER_STACK_TOP - 4096 + off;
	return true;
}

static struct task *task_slot(void)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (!tasks[i].used || tasks[i].done) {
			memset(&tasks[i], 0, sizeof(tasks[i]));
			tasks[i].used = true;
			if (++task_version[i] == 0)
				task_version[i] = 1;
			tasks[i].tid = tid_make(libmap_kip->user_base + 2 + i, task_version[i]);
			return &tasks[i];
		}
	return NULL;
}

static void task_free_frames(struct task *t)
{
	for (unsigned i = 0; i < t->npages; i++)
		sigma0_free(t->page[i].pa, 12);
	t->npages = 0;
}

/* Create the space and thread, then let it run at the image's entry. */
static word_t task_create(struct task *t, word_t entry, word_t sp)
{
	word_t err, ip = entry;

	err = sys_thread_control(t->tid, t->tid, libmap_myself, t->pager_tid, UTCB_AREA_BASE,
				 TC_FLAG_EXC_HANDLER);
	if (!err && t->conf.priv)
		err = sys_space_control(t->tid, SC_PRIVILEGED, 0, NULL);
	if (!err)
		err = sys_schedule(t->tid, t->conf.prio, 0, NULL);
	if (!err)
		err = sys_exchange_registers(t->tid, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME,
					     &sp, &ip, NULL, NULL, NULL);
	return err;
}

struct task *task_start(const struct task_conf *c, int *err)
{
	word_t size, sp;
	const uint8_t *img = module_find(c->image, &size);
	struct elf_image e;
	struct task *t;

	*err = 0;
	if (!img) {
		printf("init: boot.cfg:%u: unknown image '%s'\n", c->line, c->image);
		return NULL;
	}
	if ((*err = elf_parse(img, size, USER_HEAP_BASE, &e))) {
		printf("init: boot.cfg:%u: %s: %s\n", c->line, c->image, elf_strerror(*err));
		return NULL;
	}
	if (!(t = task_slot())) {
		printf("init: boot.cfg:%u: too many tasks\n", c->line);
		return NULL;
	}
	t->conf = *c;
	t->pager_tid = libmap_myself;
	if (!task_load_image(t, img, &e) || !task_stack(t, &sp) ||
	    (*err = (int)task_create(t, e.entry, sp))) {
		printf("init: boot.cfg:%u: cannot start %s (error %d)\n", c->line, c->image, *err);
		task_free_frames(t);
		t->used = false;
		return NULL;
	}
	return t;
}

void task_reap(struct task *t, int status)
{
	sys_thread_control(t->tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
	task_free_frames(t);
	t->done = true;
	t->status = status;
	if (status == EXPECT_FAULT)
		printf("init: %s stopped by a fault\n", t->conf.image);
	else
		printf("init: %s exited with status %d\n", t->conf.image, status);
}
