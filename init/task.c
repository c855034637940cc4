/* SPDX-License-Identifier: MIT */
/*
 * Starting and reaping tasks. A task is one address space with one
 * thread; init is its parent (exit reports come to init) and its
 * exception handler. Its pager is init, or a pager task started earlier,
 * to which init hands the task's image pages and regions by protocol
 * (include/pagoda/proto.h) before the task runs.
 */
#include "init.h"
#include <lib/elf.h>
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

struct task *task_by_image(const char *image)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (tasks[i].used && !tasks[i].done && !strcmp(tasks[i].conf.image, image))
			return &tasks[i];
	return NULL;
}

/* Is the message in the MRs p's answer (not a fault p takes to init)? */
static bool task_is_reply(struct task *p, word_t from)
{
	word_t label = tag_label(utcb()->mr[0]);

	return from == p->tid && (label & ~(word_t)7) != LABEL_PAGEFAULT &&
	       label != LABEL_EXCEPTION && label != LABEL_EXIT;
}

word_t task_now_ms(void)
{
	return libmap_kip->ticks * libmap_kip->tick_us / 1000;
}

/* Pager p missed its deadline: it is deleted now (nothing more from it),
 * reaped with its clients later (task_reap). */
static word_t task_silent(struct task *p)
{
	printf("init: %s did not answer within %u ms: ending it and its clients\n", p->conf.image,
	       TASK_DEADLINE_MS);
	sys_thread_control(p->tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
	init_ended(p, EXPECT_KILLED);
	return E_IPC_TIMEOUT;
}

#define TASK_POLL_US 100000       /* how often a wait looks at the clock */

/*
 * Call pager task p with the message in MR0..MR7. While p is busy, any
 * task init pages (p itself, or a pager below p) may fault and need init:
 * so init receives from anyone while it waits, serves what comes, and
 * takes p's answer when it arrives. A pager that has not answered within
 * TASK_DEADLINE_MS is ended (task_silent): init never waits for one for
 * ever. An error in a receive (another task's malformed message, say a
 * bad map item) spoils only that message: init waits on for p's answer.
 * Giving up there left p's answer to arrive later as if it were a request,
 * and init and p then answered each other's refusals for ever (fuzzer
 * seed 4: the pager never again listened for the shutdown request).
 */
word_t task_call(struct task *p)
{
	struct utcb *u = utcb();
	word_t msg[16], err, from = TID_NIL, deadline = task_now_ms() + TASK_DEADLINE_MS;

	memcpy(msg, u->mr, sizeof(msg));
	for (;;) {
		err = ipc(p->tid, TID_ANY, timeouts(TIMEOUT_ZERO, TASK_POLL_US), &from);
		if (err != E_IPC_TIMEOUT)
			break;
		if (task_now_ms() >= deadline)
			return task_silent(p);
		if (!ipc_receive(TID_ANY, 10000, &from))   /* p is not listening yet */
			init_serve(from);
		memcpy(u->mr, msg, sizeof(msg));
	}
	while (err || !task_is_reply(p, from)) {
		if (!err)
			init_serve(from);
		else if (!(err & IPC_ERR_RECV_PHASE))
			return err;                    /* our request did not go */
		if (task_now_ms() >= deadline)
			return task_silent(p);
		err = ipc_receive(TID_ANY, TASK_POLL_US, &from);
	}
	return tag_label(u->mr[0]) ? (u->mr[1] ? u->mr[1] : E_BAD_ARGUMENT) : E_OK;
}

static word_t task_pager_call(struct task *t)
{
	return task_call(t->pager);
}

/* Give t the page at va holding what init prepared in frame pa; an error
 * code if its pager refused or init has no record left for it. */
static word_t task_give_page(struct task *t, word_t va, word_t pa, unsigned rights)
{
	struct utcb *u = utcb();

	if (t->pager) {
		msg_tag(PAGER_PAGE, 3, 0);
		u->mr[1] = t->tid;
		u->mr[2] = va;
		u->mr[3] = rights;
		word_t err = task_pager_call(t);
		if (tag_label(u->mr[0]) == PAGER_PAGE_SEND && !(u->mr[0] & TAG_E_FLAG)) {
			msg_tag(PAGER_PAGE, 0, 2);     /* it waits for this alone */
			msg_map_item(1, va, fpage_make(FRAME_BASE + pa, 12, FPAGE_R), false);
			err = task_pager_call(t);
		}
		sigma0_free(pa, 12);
		return err;
	}
	return pager_add_page(t, va, pa, rights) ? E_OK : E_NO_MEMORY;
}

/* Anonymous zero-filled memory for t: init's table, or its pager's. */
static word_t task_give_region(struct task *t, word_t va, word_t size, unsigned rights)
{
	struct utcb *u = utcb();

	if (!size)
		return E_OK;
	if (!t->pager)
		return pager_add_region(t, va, size, rights) ? E_OK : E_NO_MEMORY;
	msg_tag(PAGER_REGION, 4, 0);
	u->mr[1] = t->tid;
	u->mr[2] = va;
	u->mr[3] = size;
	u->mr[4] = rights;
	return task_pager_call(t);
}

/* Copy one page of a segment into a fresh frame and give it to t. */
static word_t task_image_page(struct task *t, const uint8_t *img, const struct elf_segment *s,
			      word_t va)
{
	word_t pa = pager_new_frame(), lo = MAX(va, s->vaddr), hi, err;

	if (!pa)
		return E_NO_MEMORY;
	hi = MIN(va + 4096, s->vaddr + s->filesz);
	if (hi > lo)
		memcpy((uint8_t *)frame_va(pa) + (lo - va), img + s->offset + (lo - s->vaddr), hi - lo);
	if ((err = task_give_page(t, va, pa, s->rights | FPAGE_R)) && !t->pager)
		sigma0_free(pa, 12);
	return err;
}

/* Pages with file contents are copied; the zero tail is anonymous. An
 * error code (never 0) if t cannot have them all. */
static word_t task_load_image(struct task *t, const uint8_t *img, const struct elf_image *e)
{
	word_t err;

	for (unsigned i = 0; i < e->nsegments; i++) {
		const struct elf_segment *s = &e->seg[i];
		word_t data_end = ALIGN_UP(s->vaddr + s->filesz, 4096);
		word_t end = ALIGN_UP(s->vaddr + s->memsz, 4096);

		for (word_t va = ALIGN_DOWN(s->vaddr, 4096); va < data_end; va += 4096)
			if ((err = task_image_page(t, img, s, va)))
				return err;
		if ((err = task_give_region(t, data_end, end - data_end, s->rights | FPAGE_R)))
			return err;
	}
	return E_OK;
}

/* The stack (its top page carries the argument string and the two
 * start-up words) and the heap; an error code if t cannot have them. */
static word_t task_memory(struct task *t, word_t *sp)
{
	word_t pa = pager_new_frame(), len = strlen(t->conf.args) + 1, err;
	word_t off = 4096 - 16 - ALIGN_UP(len, 16);
	uint8_t *page = frame_va(pa);

	if (!pa)
		return E_NO_MEMORY;
	memcpy(page + off + 16, t->conf.args, len);
	((word_t *)(page + off))[0] = USER_STACK_TOP - 4096 + off + 16;
	((word_t *)(page + off))[1] = libmap_myself;
	*sp = USER_STACK_TOP - 4096 + off;
	if ((err = task_give_page(t, USER_STACK_TOP - 4096, pa, FPAGE_RW))) {
		if (!t->pager)
			sigma0_free(pa, 12);
		return err;
	}
	if ((err = task_give_region(t, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE - 4096,
				    FPAGE_RW)))
		return err;
	return task_give_region(t, USER_HEAP_BASE, USER_HEAP_SIZE, FPAGE_RW);
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

/* Hand one KEY=VALUE pager option of t's line to its pager; false (and
 * the pager's reason printed with the line number) if it refuses. */
static bool task_option(struct task *t, const char *opt, size_t len)
{
	struct utcb *u = utcb();
	char why[PAGER_REASON_MAX + 1] = "", name[PAGER_OPTION_MAX + 1];
	word_t err;

	msg_tag(PAGER_OPTION, 2 + (unsigned)(len + 7) / 8, 0);
	u->mr[1] = t->tid;
	u->mr[2] = len;
	memset(&u->mr[3], 0, ALIGN_UP(len, 8));
	memcpy(&u->mr[3], opt, len);
	if (!(err = task_pager_call(t)))
		return true;
	if (tag_u(u->mr[0]) >= 2 && tag_label(u->mr[0]) == SIGMA0_REPLY_ERROR)
		memcpy(why, &u->mr[2], MIN((size_t)(tag_u(u->mr[0]) - 1) * 8, sizeof(why) - 1));
	strlcpy(name, opt, MIN(len + 1, sizeof(name)));
	printf("init: boot.cfg:%u: %s: %s\n", t->conf.line, name,
	       why[0] ? why : "the pager does not take this option");
	return false;
}

/* Every pager option of t's line, in order. */
static bool task_options(struct task *t)
{
	const char *p = t->conf.popts;

	while (*p) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (!task_option(t, p, len))
			return false;
		p += len + (e != NULL);
	}
	return true;
}

/* RAM the task may take from sigma0: mem= if given, else all there is
 * for a privileged or pager task (they manage memory), none for others
 * (their pager gives them memory). */
static word_t task_ram(const struct task *t)
{
	if (t->conf.mem_set)
		return t->conf.mem_bytes;
	return t->conf.priv || init_is_pager_image(t->conf.image) ? ~(word_t)0 : 0;
}

/* The space and the (halted) thread, registered with its pager. */
static word_t task_create(struct task *t)
{
	word_t err, pager = t->pager ? t->pager->tid : libmap_myself;
	struct utcb *u = utcb();

	err = sys_thread_control(t->tid, t->tid, libmap_myself, pager, UTCB_AREA_BASE,
				 TC_FLAG_EXC_HANDLER);
	if (!err && t->conf.priv)
		err = sys_space_control(t->tid, SC_PRIVILEGED, 0, NULL);
	if (!err && t->conf.kmem_kib)
		err = sys_space_control(t->tid, SC_SET_QUOTA, (word_t)t->conf.kmem_kib << 10, NULL);
	if (!err && (t->conf.priv || t->conf.devices))
		err = sigma0_allow_devices(t->tid);
	if (!err && task_ram(t))
		err = sigma0_allow_ram(t->tid, task_ram(t));
	if (!err)
		err = sys_schedule(t->tid, t->conf.prio, 0, NULL);
	if (!err && t->pager) {
		msg_tag(PAGER_CLIENT, 2, 0);
		u->mr[1] = t->tid;
		u->mr[2] = libmap_myself;
		err = task_pager_call(t);
		if (!err && !task_options(t))
			err = E_BAD_ARGUMENT;
	}
	return err;
}

static word_t task_run(struct task *t, word_t ip, word_t sp)
{
	return sys_exchange_registers(t->tid, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME, &sp, &ip,
				      NULL, NULL, NULL);
}

/* Undo a half-started task. */
static void task_abort(struct task *t)
{
	sys_thread_control(t->tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
	if (t->pager) {
		msg_tag(PAGER_CLIENT_EXIT, 1, 0);
		utcb()->mr[1] = t->tid;
		task_pager_call(t);
	}
	task_free_frames(t);
	sigma0_reclaim(t->tid);                 /* and its device permission */
	t->used = false;
}

struct task *task_start(const struct task_conf *c, struct task *pager, int *err)
{
	word_t size, sp = 0;
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
	t->pager = pager;
	if ((*err = (int)task_create(t)) || (*err = (int)task_load_image(t, img, &e)) ||
	    (*err = (int)task_memory(t, &sp)) || (*err = (int)task_run(t, e.entry, sp))) {
		printf("init: boot.cfg:%u: cannot start %s (error %d)\n", c->line, c->image, *err);
		task_abort(t);
		return NULL;
	}
	return t;
}

/* Pager p was silent: its clients cannot go on without it. */
/* NOLINTNEXTLINE(misc-no-recursion): a task is reaped once (done), so at most TASK_MAX deep */
static void task_end_clients(struct task *p)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (tasks[i].used && !tasks[i].done && tasks[i].pager == p)
			task_reap(&tasks[i], EXPECT_KILLED);
}

/* NOLINTNEXTLINE(misc-no-recursion): a task is reaped once (done), so at most TASK_MAX deep */
void task_reap(struct task *t, int status)
{
	if (t->done)
		return;
	sys_thread_control(t->tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
	if (t->pager && !t->pager->done) {
		msg_tag(PAGER_CLIENT_EXIT, 1, 0);
		utcb()->mr[1] = t->tid;
		task_pager_call(t);
	}
	task_free_frames(t);
	sigma0_reclaim(t->tid);
	sigma0_reclaim(TID_NIL);                /* and of threads it deleted */
	t->done = true;
	t->status = status;
	if (status == EXPECT_FAULT)
		printf("init: %s stopped by a fault\n", t->conf.image);
	else if (status == EXPECT_KILLED)
		printf("init: %s ended by init\n", t->conf.image);
	else
		printf("init: %s exited with status %d\n", t->conf.image, status);
	if (status == EXPECT_KILLED)
		task_end_clients(t);
}

/* Is t blocked in a fault IPC, at the same instruction, at each of a few
 * looks over 7 ms? A client faulting page after page in a loop (the same
 * instruction, a new fault each time) is seen running at one of them. */
static bool task_faulting(struct task *t, word_t *ip)
{
	for (unsigned i = 0; i < 8; i++) {
		word_t state = 0, rip = 0;
		if (i)
			ipc_receive(libmap_myself, 1000, NULL);
		if (sys_exchange_registers(t->tid, 0, NULL, &rip, NULL, NULL, &state) ||
		    !(state & EXREG_STATE_FAULTING) || (i && rip != *ip))
			return false;
		*ip = rip;
	}
	return true;
}

/* Is client t stuck in a page fault its pager has not answered for the
 * deadline (in a fault IPC at the same instruction at every look)? */
static bool task_stuck(struct task *t, word_t now)
{
	word_t ip = 0;

	if (!task_faulting(t, &ip) || (t->stuck_since && ip != t->stuck_rip)) {
		t->stuck_since = 0;
		return false;
	}
	if (!t->stuck_since) {
		t->stuck_since = now ? now : 1;
		t->stuck_rip = ip;
	}
	return now - t->stuck_since >= TASK_DEADLINE_MS;
}

void task_watch(void)
{
	word_t now = task_now_ms();

	for (unsigned i = 0; i < TASK_MAX; i++) {
		struct task *t = &tasks[i];
		if (t->used && !t->done && t->pager && !t->pager->done && task_stuck(t, now)) {
			printf("init: %s: a page fault unanswered for %u ms\n", t->conf.image,
			       TASK_DEADLINE_MS);
			task_silent(t->pager);
		}
	}
}

/* Ask every running pager task to give its memory back and exit, the
 * last started first (upper tiers before the ones below them). */
void task_shutdown_pagers(void)
{
	for (int i = TASK_MAX - 1; i >= 0; i--) {
		struct task *t = &tasks[i];
		word_t deadline;
		if (!t->used || t->done || !t->is_pager)
			continue;
		msg_tag(PAGER_SHUTDOWN, 0, 0);
		if (task_call(t)) {
			init_reap_pending();
			printf("init: %s did not take the shutdown request\n", t->conf.image);
			continue;
		}
		deadline = task_now_ms() + TASK_DEADLINE_MS;
		while (!t->done) {                     /* until its exit is reaped */
			word_t from;
			init_reap_pending();
			if (!t->done && task_now_ms() >= deadline)
				task_silent(t);
			else if (!t->done && !ipc_receive(TID_ANY, TASK_POLL_US, &from))
				init_serve(from);
		}
	}
}
