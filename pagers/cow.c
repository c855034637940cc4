/* SPDX-License-Identifier: MIT */
/*
 * The anonymous-memory pager with copy-on-write fork, in user space.
 *
 * The sharing itself (which frames a fork shares, who copies on a write)
 * is pagers/cow_core.c. This file is the processes: the pager creates each
 * child's space and thread (it must be privileged), is their exception
 * handler and parent, reaps them when they exit or die, and answers
 * wait() with their status.
 *
 * Every process belongs to the family of one client the root task
 * registered (its `root`). Processes may outlive their parent, but not
 * their family: when that client goes (PAGER_CLIENT_EXIT), or the pager
 * shuts down, every process of the family is deleted (the kernel would
 * also delete them with the pager's space, which owns theirs).
 */
#include "cow_core.h"

#define COW_TID_BASE 512          /* thread numbers of forked children */
#define COW_STATUS_FAULT (-1000)

/* A forked process (indexed like the pager's client slots). */
struct proc {
	word_t tid;
	word_t parent;            /* the process that forked it */
	word_t root;              /* the registered client whose family it is */
	bool exited;
	int status;
	word_t waiter;            /* a parent blocked in wait() */
};

static struct pager cow;
static struct proc procs[PAGER_CLIENTS_MAX];
static uint16_t proc_version[PAGER_CLIENTS_MAX];

/* ---- fork ---- */

static struct proc *cow_proc_new(unsigned *slot)
{
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++)
		if (procs[i].tid == TID_NIL) {
			if (++proc_version[i] == 0)
				proc_version[i] = 1;
			procs[i].tid = tid_make(COW_TID_BASE + i, proc_version[i]);
			*slot = i;
			return &procs[i];
		}
	return NULL;
}

/* Create the child's space and thread; it runs once its memory is set.
 * Its id in *child. */
static word_t cow_fork(struct pager *p, struct pager_client *parent, word_t ip, word_t sp,
		       word_t *child)
{
	unsigned slot;
	struct proc *pr = cow_proc_new(&slot);
	struct pager_client *c = NULL;
	word_t err;

	if (!pr)
		return E_NO_MEMORY;
	pr->parent = parent->tid;
	pr->root = parent->user ? ((struct proc *)parent->user)->root : parent->tid;
	err = sys_thread_control(pr->tid, pr->tid, libmap_myself, libmap_myself, UTCB_AREA_BASE,
				 TC_FLAG_EXC_HANDLER);
	if (!err && !(c = cow_fork_client(p, parent, pr->tid)))
		err = E_NO_MEMORY;
	if (c)
		c->user = (word_t)pr;               /* cow_client_exit: it is a process */
	if (!err)
		err = sys_exchange_registers(pr->tid, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME,
					     &sp, &ip, NULL, NULL, NULL);
	if (err) {
		if (c)
			pager_client_remove(p, c);
		sys_thread_control(pr->tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
		memset(pr, 0, sizeof(*pr));
		return err;
	}
	*child = pr->tid;
	return E_OK;
}

/* ---- exit and wait ---- */

static struct proc *cow_proc(word_t tid)
{
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++)
		if (procs[i].tid == tid && tid != TID_NIL)
			return &procs[i];
	return NULL;
}

static void cow_wait_reply(struct proc *pr)
{
	msg_tag(0, 1, 0);
	utcb()->mr[1] = (word_t)pr->status;
	memset(pr, 0, sizeof(*pr));
}

/* A child ends: delete it, free its pages, tell a waiting parent. */
static void cow_reap(struct pager *p, struct proc *pr, int status)
{
	struct pager_client *c = pager_client_find(p, pr->tid);
	word_t waiter = pr->waiter;

	sys_thread_control(pr->tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
	pr->exited = true;                          /* deleted already */
	if (c)
		pager_client_remove(p, c);
	pr->status = status;
	if (waiter) {
		cow_wait_reply(pr);
		ipc_send(waiter, TIMEOUT_ZERO);
	}
}

static bool cow_wait(struct pager *p, word_t from, word_t child)
{
	struct proc *pr = cow_proc(child);

	(void)p;
	if (!pr || pr->parent != from || pr->waiter) {
		msg_tag(1, 1, 0);
		utcb()->mr[1] = E_BAD_THREAD;
		return true;
	}
	if (!pr->exited) {
		pr->waiter = from;
		return false;                       /* answered when it exits */
	}
	cow_wait_reply(pr);
	return true;
}

/* ---- requests ---- */

static bool cow_request(struct pager *p, word_t from, word_t label)
{
	struct utcb *u = utcb();
	struct pager_client *c = pager_client_find(p, from);
	struct proc *pr = cow_proc(from);
	word_t err, child;

	if (label == PROC_FORK && c) {
		err = cow_fork(p, c, u->mr[1], u->mr[2], &child);
		msg_tag(err ? 1 : 0, 1, 0);
		u->mr[1] = err ? err : child;
		return true;
	}
	if (label == PROC_WAIT)
		return cow_wait(p, from, u->mr[1]);
	if (label == LABEL_EXIT && pr) {
		cow_reap(p, pr, (int)u->mr[1]);
		return false;
	}
	if (label == LABEL_EXCEPTION && pr) {
		printf("cow: child %lx: exception %lu at rip %lx\n", from, u->mr[EXC_MSG_VECTOR],
		       u->mr[EXC_MSG_RIP]);
		msg_tag(1, 0, 0);                   /* refuse: the kernel stops it */
		ipc_send(from, TIMEOUT_ZERO);
		sys_thread_switch(from);
		cow_reap(p, pr, COW_STATUS_FAULT);
		return false;
	}
	msg_tag(1, 1, 0);
	u->mr[1] = E_BAD_ARGUMENT;
	return true;
}

/* Delete every process of root's family, ended or not. */
static void cow_end_family(struct pager *p, word_t root)
{
	for (unsigned i = 0; i < PAGER_CLIENTS_MAX; i++) {
		struct proc *pr = &procs[i];
		struct pager_client *c;
		if (pr->tid == TID_NIL || pr->root != root)
			continue;
		if (!pr->exited && (c = pager_client_find(p, pr->tid)))
			pager_client_remove(p, c);  /* deletes it (cow_client_exit) */
		memset(pr, 0, sizeof(*pr));
	}
}

/* A client goes (it exited, the root task says it did, or the pager shuts
 * down): a process is deleted; a registered client takes its family. */
static void cow_client_exit(struct pager *p, struct pager_client *c)
{
	struct proc *pr = (struct proc *)c->user;

	if (!pr)
		cow_end_family(p, c->tid);
	else if (!pr->exited)
		sys_thread_control(c->tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
}

static const struct pager_ops cow_ops = {
	.fault = cow_fault,
	.around = cow_around,
	.request = cow_request,
	.client_exit = cow_client_exit,
};

int main(int argc, char **argv)
{
	int status;

	(void)argc;
	(void)argv;
	pager_init(&cow, "cow", &cow_ops);
	printf("cow: copy-on-write pager %lx, frames from %lx\n", libmap_myself, cow.below);
	status = pager_run(&cow);
	printf("cow: %lu copy-on-write breaks, %lu frames still in use at shutdown\n", cow_breaks,
	       pager_frames_in_use());
	return status;
}
