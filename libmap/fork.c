/* SPDX-License-Identifier: MIT */
/*
 * fork() and wait() for clients of the copy-on-write pager (pagers/cow.c).
 * The pager does the work: it copies the address space lazily and starts
 * the child at fork_child_entry on a copy of our stack, where fork_save
 * left our registers; there fork_save "returns" a second time, with 1.
 */
#include <libmap.h>
#include <fork.h>

struct fork_ctx {
	word_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

int fork_save(struct fork_ctx *ctx) __attribute__((returns_twice));
void fork_child_entry(void);

word_t fork(void)
{
	struct fork_ctx ctx;
	struct utcb *u;

	if (fork_save(&ctx)) {
		libmap_myself = utcb()->my_id;     /* we are the child */
		libmap_exit_to = utcb()->pager;    /* the pager reaps us */
		return 0;
	}
	u = utcb();
	msg_tag(PROC_FORK, 2, 0);
	u->mr[1] = (word_t)fork_child_entry;
	u->mr[2] = (word_t)&ctx;
	if (ipc_call(u->pager) || tag_label(u->mr[0]))
		return FORK_FAILED;                /* never 0: that is the child */
	return u->mr[1];
}

word_t wait(word_t child, int *status)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(PROC_WAIT, 1, 0);
	u->mr[1] = child;
	if ((err = ipc_call(u->pager)))
		return err;
	if (tag_label(u->mr[0]))
		return u->mr[1] ? u->mr[1] : E_BAD_THREAD;
	if (status)
		*status = (int)u->mr[1];
	return E_OK;
}

word_t pager_release(word_t va, word_t size)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(PAGER_RELEASE, 2, 0);
	u->mr[1] = va;
	u->mr[2] = size;
	if ((err = ipc_call(u->pager)))
		return err;
	return tag_label(u->mr[0]) ? (u->mr[1] ? u->mr[1] : E_BAD_ARGUMENT) : E_OK;
}
