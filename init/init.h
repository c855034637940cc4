/* SPDX-License-Identifier: MIT */
/*
 * The root task: reads the boot configuration, loads every task it names
 * from the boot modules, wires it to its pager, and pages the tasks that
 * name no other pager (their images and anonymous memory). It is also the
 * parent and exception handler of every task: it learns of each exit or
 * fault, reclaims the task, and with `@shutdown` ends the machine when all
 * are done, with a verdict.
 */
#ifndef INIT_INIT_H
#define INIT_INIT_H

#include <libmap.h>

#define TASK_MAX 16
#define TASK_PAGES_MAX 2048
#define TASK_ARGS_MAX 256
#define NAME_MAX 32

/* Physical frames init holds are mapped at FRAME_BASE + physical address. */
#define FRAME_BASE 0x20000000000ull
#define FRAME_WINDOW fpage_make(FRAME_BASE, 40, 0)

static inline void *frame_va(word_t pa)
{
	return (void *)(FRAME_BASE + pa);
}

/* One configuration line. */
struct task_conf {
	char image[NAME_MAX];
	char pager[NAME_MAX];         /* "init" (default), "sigma0" or a task's image name */
	char args[TASK_ARGS_MAX];
	unsigned prio;
	bool priv;
	bool devices;                 /* may ask sigma0 for device memory (priv may too) */
	int expect;                   /* expected exit status; EXPECT_FAULT: must be stopped */
	unsigned kmem_kib;            /* kernel-memory quota; 0: the kernel's default */
	bool mem_set;                 /* mem= given: RAM from sigma0 up to mem_bytes */
	word_t mem_bytes;
	unsigned line;
	char popts[TASK_ARGS_MAX];    /* key=value options init does not know: its pager's */
};
#define EXPECT_FAULT (-1000)
#define EXPECT_KILLED (-1001)         /* ended by init: its pager was silent */

/* A pager task must answer each request of init, and each page fault of
 * its clients, within this (docs/boot-config.md, "Silent pagers"). */
#define TASK_DEADLINE_MS 5000

/* A page init gives a task: at va, frame pa, with rights. */
struct page_rec {
	word_t va, pa;
	unsigned rights;
};

/* Zero-filled anonymous memory of a task: bss tails, stack, heap. */
struct anon_region {
	word_t va, size;
	unsigned rights;
};
#define TASK_REGIONS_MAX 8

struct task {
	bool used, done;
	bool is_pager;                /* some task names it as pager */
	struct task_conf conf;
	word_t tid;                   /* its first thread */
	struct task *pager;           /* NULL: init pages it */
	int status;                   /* exit status, or EXPECT_FAULT when stopped */
	word_t stuck_since, stuck_rip;  /* when (ms) it was first seen in a fault IPC, where */
	unsigned nregions;
	struct anon_region region[TASK_REGIONS_MAX];
	unsigned npages;              /* pages init holds for it (when init pages it) */
	struct page_rec page[TASK_PAGES_MAX];
};

extern struct task tasks[TASK_MAX];

/* config.c */
int config_parse(const char *text, size_t len, struct task_conf *out, int max);

/* modules.c */
int modules_map_all(void);
const uint8_t *module_find(const char *name, word_t *size);

/* init.c: is `image` named as a pager by some line? */
bool init_is_pager_image(const char *image);

/* task.c */
struct task *task_start(const struct task_conf *c, struct task *pager, int *err);
struct task *task_by_image(const char *image);
void task_shutdown_pagers(void);
word_t task_call(struct task *pager);
word_t task_now_ms(void);
/* Watch the clients of pager tasks: end a pager that leaves a fault
 * unanswered for TASK_DEADLINE_MS. */
void task_watch(void);

/* init.c: handle one message from `from` (replying where one is due). */
void init_serve(word_t from);
/* Reap the tasks that ended meanwhile. */
void init_reap_pending(void);
/* t ended with status; it is reaped outside any call in progress. */
void init_ended(struct task *t, int status);
void task_reap(struct task *t, int status);
struct task *task_by_thread(word_t tid);

/* pager.c */
/* Serve t's page fault: 0 with the reply (a map item) in the MRs, or why
 * not: PAGER_REFUSE_NOT_MINE (no page of t there, or not with that
 * access) or PAGER_REFUSE_NO_MEMORY (no frame from sigma0, or t already
 * holds TASK_PAGES_MAX pages). */
word_t pager_fault(struct task *t, word_t addr, word_t ip, unsigned access);
word_t pager_new_frame(void);
bool pager_add_region(struct task *t, word_t va, word_t size, unsigned rights);
/* Record that init holds frame pa as t's page at va; NULL when full. */
struct page_rec *pager_add_page(struct task *t, word_t va, word_t pa, unsigned rights);

#endif
