/* SPDX-License-Identifier: MIT */
/*
 * The root task's main loop: start what boot.cfg names, then serve the
 * tasks as their parent, exception handler and (by default) pager.
 */
#include "init.h"
#include <sigma0.h>

extern bool config_shutdown, config_expect_leak;
extern unsigned config_skipped;
extern int config_expect_skipped;

static struct task_conf confs[TASK_MAX];
static int nconfs;

/* Baseline of kernel and physical memory before any task runs. */
static struct {
	word_t kmem, frames;
} baseline;

/* Kernel memory not in use: the pool's free bytes and the mapping
 * database's frame index, plus what the page tables of init and sigma0
 * that map nothing would give back. Everything else counts as in use,
 * init's and sigma0's own objects and page tables included. At the end
 * (`trim`) those empty tables really are given back first, so that the
 * figure is the pool itself; at the baseline they are only counted, so
 * that the run starts with the tables it had. */
static word_t init_kmem_now(bool trim)
{
	word_t index = 0, free, empty_init = 0, empty_s0 = 0;

	kdb_space_trim(libmap_myself, !trim, &empty_init);
	kdb_space_trim(libmap_kip->sigma0_id, !trim, &empty_s0);
	free = kdb_kmem_free(&index);
	return free + index + (trim ? 0 : empty_init + empty_s0);
}

static word_t init_frames_given(void)
{
	word_t given = 0;

	sigma0_stats(NULL, &given);
	return given;
}

static const char *init_boot_cfg(word_t *len)
{
	struct kip *k = libmap_kip;

	for (unsigned i = 2; i < k->module_count; i++) {
		const char *c = libmap_module_cmdline(i), *sp = strchr(c, ' ');
		if (sp && !strcmp(sp + 1, "boot.cfg")) {
			*len = k->module[i].size;
			return frame_va(k->module[i].base);
		}
	}
	return NULL;
}

/* Is name the image of a configured task (so it can be a pager)? */
static int init_conf_index(const char *name)
{
	for (int i = 0; i < nconfs; i++)
		if (!strcmp(confs[i].image, name))
			return i;
	return -1;
}

/* Pagers must be init or a task configured earlier; chains must not loop. */
static bool init_pager_ok(const struct task_conf *c)
{
	int i = init_conf_index(c->pager), steps = 0;

	if (!strcmp(c->pager, "init"))
		return true;
	if (!strcmp(c->pager, "sigma0")) {
		printf("init: boot.cfg:%u: sigma0 cannot page a program image; use init or a pager task\n",
		       c->line);
		return false;
	}
	if (i < 0) {
		printf("init: boot.cfg:%u: unknown pager '%s'\n", c->line, c->pager);
		return false;
	}
	for (; i >= 0 && steps <= nconfs; steps++)
		i = strcmp(confs[i].pager, "init") ? init_conf_index(confs[i].pager) : -1;
	if (steps > nconfs) {
		printf("init: boot.cfg:%u: cycle in the pager chain of '%s'\n", c->line, c->image);
		return false;
	}
	return true;
}

/* Is `image` named as a pager by any line? */
bool init_is_pager_image(const char *image)
{
	for (int i = 0; i < nconfs; i++)
		if (!strcmp(confs[i].pager, image))
			return true;
	return false;
}

/* A pager image runs once: clients name it by image, so a second copy
 * could serve nobody and would never be asked to shut down. */
static bool init_pager_unique(const struct task_conf *c)
{
	struct task *other = task_by_image(c->image);

	if (!other || !init_is_pager_image(c->image))
		return true;
	printf("init: boot.cfg:%u: pager '%s' already runs (line %u); a pager image runs once\n",
	       c->line, c->image, other->conf.line);
	return false;
}

static void init_start_all(void)
{
	struct task *pager, *t;
	int err;

	for (int i = 0; i < nconfs; i++) {
		if (!init_pager_ok(&confs[i]) || !init_pager_unique(&confs[i])) {
			config_skipped++;
			continue;
		}
		pager = strcmp(confs[i].pager, "init") != 0 ? task_by_image(confs[i].pager) : NULL;
		if (strcmp(confs[i].pager, "init") != 0 && !pager) {
			printf("init: boot.cfg:%u: pager '%s' is not running (start it on an earlier line)\n",
			       confs[i].line, confs[i].pager);
			config_skipped++;
			continue;
		}
		if (pager)
			pager->is_pager = true;
		if (!(t = task_start(&confs[i], pager, &err)))
			config_skipped++;
		else if (init_is_pager_image(t->conf.image))
			t->is_pager = true;        /* even if no client of it starts */
	}
}

/* Are all tasks done (pagers too, unless `clients_only`)? */
static bool init_all_done(bool clients_only)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (tasks[i].used && !tasks[i].done && !(clients_only && tasks[i].is_pager))
			return false;
	return true;
}

/* With @expect-leak (a test of the check below): lose kernel memory on
 * purpose, a halted thread in init's space and one in sigma0's. Only the
 * root task can: no other task may make threads in a space it did not
 * create (docs/abi.md §5.3; tests/leaker checks that it is refused). */
#define INIT_LEAK_SLOT 900               /* a thread number and UTCB slot nobody uses */
static void init_leak_on_purpose(void)
{
	word_t utcb = UTCB_AREA_BASE + INIT_LEAK_SLOT * UTCB_SIZE;

	sys_thread_control(tid_make(INIT_LEAK_SLOT, 1), libmap_myself, TID_NIL, TID_NIL, utcb, 0);
	sys_thread_control(tid_make(INIT_LEAK_SLOT + 1, 1), libmap_kip->sigma0_id, TID_NIL, TID_NIL,
			   utcb, 0);
}

/* Every line started, every task ended as expected, memory is back to its
 * baseline and every kernel invariant holds. Each failure has its own line;
 * the baseline line speaks of memory alone. */
static _Noreturn void init_verdict(void)
{
	unsigned bad = 0;
	word_t kmem, frames, err, checker = 0, line = 0;
	bool memory_ok;

	if (config_expect_leak)
		init_leak_on_purpose();
	kmem = init_kmem_now(true);
	frames = init_frames_given();
	memory_ok = kmem == baseline.kmem && frames == baseline.frames;

	for (unsigned i = 0; i < TASK_MAX; i++) {
		struct task *t = &tasks[i];
		if (t->used && t->status != t->conf.expect) {
			printf("not ok - %s ended with %d, expected %d\n", t->conf.image, t->status,
			       t->conf.expect);
			bad++;
		}
	}
	if (config_skipped != (unsigned)config_expect_skipped) {
		printf("not ok - %u boot.cfg line(s) could not be started, %d expected\n",
		       config_skipped, config_expect_skipped);
		bad++;
	}
	if (config_expect_leak) {             /* a test of this check itself */
		printf("%s - the check sees the kernel memory lost on purpose: %ld bytes\n",
		       kmem < baseline.kmem ? "ok" : "not ok", (long)(baseline.kmem - kmem));
		bad += kmem >= baseline.kmem;
	} else if (!memory_ok) {
		printf("not ok - memory not back to baseline: kernel %ld bytes, frames %ld bytes\n",
		       (long)(baseline.kmem - kmem), (long)(frames - baseline.frames));
		bad++;
	}
	if ((err = kdb_check_report(&checker, &line))) {
		printf("not ok - kernel consistency check: checker %lu, invariant at line %lu "
		       "(error %lu)\n", checker, line, err);
		bad++;
	}
	if (config_expect_leak)
		printf("init: all tasks done; the loss was %s\n", bad ? "missed" : "seen");
	else
		printf("init: all tasks done; kernel memory and frames back to baseline: %s\n",
		       memory_ok ? "yes" : "no");
	printf("RESULT: %s\n", bad ? "FAIL" : "PASS");
	kdb_exit_qemu(bad ? 1 : 0);
	for (;;)
		ipc_receive(TID_NIL, TIMEOUT_NEVER, NULL);
}

/* Tasks that ended, to be reaped outside any call in progress. */
static struct {
	struct task *task;
	int status;
} ended[TASK_MAX];
static unsigned nended;

void init_ended(struct task *t, int status)
{
	for (unsigned i = 0; i < nended; i++)
		if (ended[i].task == t)
			return;
	ended[nended].task = t;
	ended[nended++].status = status;
}

void init_reap_pending(void)
{
	while (nended) {
		nended--;
		task_reap(ended[nended].task, ended[nended].status);
	}
}

/* Why init refused a fault it pages, for its report. */
static const char *init_fault_refusal(word_t reason)
{
	return reason == PAGER_REFUSE_NO_MEMORY
		       ? "refused: init has no frame left for it (sigma0 refused, or it holds the most "
			 "pages init keeps for one task)"
		       : "outside its memory";
}

/* A fault of a task init pages: map, or refuse with the reason as label
 * (it comes back as an exception, and init ends the task then). */
static void init_serve_fault(struct task *t, word_t from, word_t label)
{
	struct utcb *u = utcb();
	word_t addr = u->mr[PF_MSG_ADDR], ip = u->mr[PF_MSG_IP];   /* sigma0 calls reuse the MRs */
	word_t why = PAGER_REFUSE_NOT_MINE;

	if (!t->pager && !(why = pager_fault(t, addr, ip, (unsigned)label & 7))) {
		ipc_send(from, TIMEOUT_ZERO);
		return;
	}
	printf("init: %s: page fault at %lx (rip %lx) %s\n", t->conf.image, addr, ip,
	       init_fault_refusal(why));
	msg_tag(why, 0, 0);
	ipc_send(from, TIMEOUT_ZERO);
}

/* An answer (label 0, init's own refusal 1, or the servers' refusal
 * SIGMA0_REPLY_ERROR): init never answers one. A stray answer -- a late
 * one from a pager init stopped waiting for -- answered with a refusal
 * would be answered again, for ever. */
static bool init_is_answer(word_t label)
{
	return label == SIGMA0_REPLY_OK || label == 1 || label == SIGMA0_REPLY_ERROR;
}

/* Why a pager refused a fault (EXC_MSG_ERROR of vector 14). */
static const char *init_refusal(word_t reason)
{
	switch (reason) {
	case 0: return "no pager answered";
	case PAGER_REFUSE_NOT_MINE: return "outside its memory";
	case PAGER_REFUSE_COLOURS_EMPTY: return "its cache colours are exhausted";
	case PAGER_REFUSE_NO_MEMORY: return "the pager is out of memory";
	default: return "refused";
	}
}

static void init_print_exception(struct task *t)
{
	struct utcb *u = utcb();
	word_t err = u->mr[EXC_MSG_ERROR];

	if (u->mr[EXC_MSG_VECTOR] == 14)
		printf("init: %s: page fault at %lx (rip %lx) refused by its pager (reason %lx: %s)\n",
		       t->conf.image, u->mr[EXC_MSG_ADDR], u->mr[EXC_MSG_RIP], EXC_PF_REASON(err),
		       init_refusal(EXC_PF_REASON(err)));
	else
		printf("init: %s: exception %lu at rip %lx\n", t->conf.image,
		       u->mr[EXC_MSG_VECTOR], u->mr[EXC_MSG_RIP]);
}

void init_serve(word_t from)
{
	struct utcb *u = utcb();
	word_t label = tag_label(u->mr[0]);
	bool kernel = tag_from_kernel(u->mr[0]);  /* anyone can send the labels of faults */
	struct task *t = task_by_thread(from);

	if (init_is_answer(label)) {
		return;                            /* dropped, never answered */
	} else if (!t) {
		msg_tag(1, 1, 0);
		u->mr[1] = E_BAD_THREAD;
		ipc_send(from, TIMEOUT_ZERO);
	} else if (kernel && (label & ~(word_t)7) == LABEL_PAGEFAULT) {
		init_serve_fault(t, from, label);
	} else if (kernel && label == LABEL_EXCEPTION) {
		init_print_exception(t);
		msg_tag(1, 0, 0);                  /* refuse: the kernel stops it */
		ipc_send(from, TIMEOUT_ZERO);
		sys_thread_switch(from);           /* let it print its diagnostic */
		init_ended(t, EXPECT_FAULT);
	} else if (label == LABEL_EXIT) {
		init_ended(t, (int)u->mr[1]);      /* never answered: it is deleted */
	} else {                                   /* forged faults and exceptions too */
		msg_tag(1, 1, 0);
		u->mr[1] = E_BAD_ARGUMENT;
		ipc_send(from, TIMEOUT_ZERO);
	}
}

int main(int argc, char **argv)
{
	word_t len = 0, from = TID_NIL;
	const char *cfg;
	bool pagers_asked = false;
	word_t watched = 0;

	(void)argc;
	(void)argv;
	printf("init: Pagoda root task, thread %lx\n", libmap_myself);
	if (modules_map_all() || !(cfg = init_boot_cfg(&len))) {
		printf("init: no boot configuration; nothing to start\n");
		return 1;
	}
	nconfs = config_parse(cfg, len, confs, TASK_MAX);
	baseline.kmem = init_kmem_now(false);
	baseline.frames = init_frames_given();
	init_start_all();
	for (;;) {
		init_reap_pending();
		if (config_shutdown && !pagers_asked && init_all_done(true)) {
			task_shutdown_pagers();
			pagers_asked = true;
			continue;
		}
		if (config_shutdown && init_all_done(false))
			init_verdict();
		if (task_now_ms() - watched >= 1000) {
			task_watch();                      /* silent pagers */
			watched = task_now_ms();
			continue;
		}
		if (!ipc_receive(TID_ANY, 1000000, &from))
			init_serve(from);
	}
}
