/* SPDX-License-Identifier: MIT */
/*
 * The root task's main loop: start what boot.cfg names, then serve the
 * tasks as their parent, exception handler and (by default) pager.
 */
#include "init.h"
#include <sigma0.h>

extern bool config_shutdown;
extern unsigned config_skipped;
extern int config_expect_skipped;

static struct task_conf confs[TASK_MAX];
static int nconfs;

/* Baseline of kernel and physical memory before any task runs. */
static struct {
	word_t kmem, frames;
} baseline;

/* Kernel memory free to others: the pool's free bytes plus what init and
 * sigma0 hold (their page tables and sigma0's split superpages only grow
 * while the system runs) and the mapping database's frame index. */
static word_t init_kmem_now(void)
{
	word_t used_init = 0, used_s0 = 0, index = 0, free;

	kdb_space_kmem(libmap_myself, &used_init, NULL);
	kdb_space_kmem(libmap_kip->sigma0_id, &used_s0, NULL);
	free = kdb_kmem_free(&index);
	return free + used_init + used_s0 + index;
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

static void init_start_all(void)
{
	struct task *pager;
	int err;

	for (int i = 0; i < nconfs; i++) {
		if (!init_pager_ok(&confs[i])) {
			config_skipped++;
			continue;
		}
		pager = strcmp(confs[i].pager, "init") ? task_by_image(confs[i].pager) : NULL;
		if (strcmp(confs[i].pager, "init") && !pager) {
			printf("init: boot.cfg:%u: pager '%s' is not running (start it on an earlier line)\n",
			       confs[i].line, confs[i].pager);
			config_skipped++;
			continue;
		}
		if (pager)
			pager->is_pager = true;
		if (!task_start(&confs[i], pager, &err))
			config_skipped++;
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

/* Every line started, every task ended as expected, memory is back to its
 * baseline and every kernel invariant holds. Each failure has its own line;
 * the baseline line speaks of memory alone. */
static _Noreturn void init_verdict(void)
{
	unsigned bad = 0;
	word_t kmem = init_kmem_now(), frames = init_frames_given(), err, checker = 0, line = 0;
	bool memory_ok = kmem == baseline.kmem && frames == baseline.frames;

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
	if (!memory_ok) {
		printf("not ok - memory not back to baseline: kernel %ld bytes, frames %ld bytes\n",
		       (long)(baseline.kmem - kmem), (long)(frames - baseline.frames));
		bad++;
	}
	if ((err = kdb_check_report(&checker, &line))) {
		printf("not ok - kernel consistency check: checker %lu, invariant at line %lu "
		       "(error %lu)\n", checker, line, err);
		bad++;
	}
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

static void init_ended(struct task *t, int status)
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

/* A fault of a task init pages: map, or refuse (it comes back as an
 * exception, and init ends the task then). */
static void init_serve_fault(struct task *t, word_t from, word_t label)
{
	struct utcb *u = utcb();

	if (!t->pager && pager_fault(t, u->mr[PF_MSG_ADDR], u->mr[PF_MSG_IP], (unsigned)label & 7)) {
		ipc_send(from, TIMEOUT_ZERO);
		return;
	}
	printf("init: %s: page fault at %lx (rip %lx) outside its memory\n", t->conf.image,
	       u->mr[PF_MSG_ADDR], u->mr[PF_MSG_IP]);
	msg_tag(1, 0, 0);
	ipc_send(from, TIMEOUT_ZERO);
}

void init_serve(word_t from)
{
	struct utcb *u = utcb();
	word_t label = tag_label(u->mr[0]);
	struct task *t = task_by_thread(from);

	if (!t) {
		msg_tag(1, 1, 0);
		u->mr[1] = E_BAD_THREAD;
		ipc_send(from, TIMEOUT_ZERO);
	} else if ((label & ~(word_t)7) == LABEL_PAGEFAULT) {
		init_serve_fault(t, from, label);
	} else if (label == LABEL_EXCEPTION) {
		printf("init: %s: exception %lu at rip %lx\n", t->conf.image, u->mr[EXC_MSG_VECTOR],
		       u->mr[EXC_MSG_RIP]);
		msg_tag(1, 0, 0);                  /* refuse: the kernel stops it */
		ipc_send(from, TIMEOUT_ZERO);
		sys_thread_switch(from);           /* let it print its diagnostic */
		init_ended(t, EXPECT_FAULT);
	} else if (label == LABEL_EXIT) {
		init_ended(t, (int)u->mr[1]);      /* never answered: it is deleted */
	} else {
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

	(void)argc;
	(void)argv;
	printf("init: Pagoda root task, thread %lx\n", libmap_myself);
	if (modules_map_all() || !(cfg = init_boot_cfg(&len))) {
		printf("init: no boot configuration; nothing to start\n");
		return 1;
	}
	nconfs = config_parse(cfg, len, confs, TASK_MAX);
	baseline.kmem = init_kmem_now();
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
		if (!ipc_receive(TID_ANY, TIMEOUT_NEVER, &from))
			init_serve(from);
	}
}
