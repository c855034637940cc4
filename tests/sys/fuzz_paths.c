/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer's rounds for the code of the fourth audit (docs/security.md),
 * with the argument "paths" (without it the rounds of a seed are what
 * they were, so fuzz_seed2 and fuzz_seed4 still replay their runs):
 *
 *  - the IPC fast paths: a call, or a reply-and-wait (unprivileged: no
 *    worker sends to us), with no receive timeout -- the one kind of IPC
 *    sys_ipc's fast path takes -- to a server that answers every message
 *    (sigma0, or the pager task in slot 0; never init, which drops
 *    answers), in the shapes the fast path takes: up to two words, or one
 *    map or grant item, with the tag's K and E bits set at random. The
 *    privileged fuzzer runs above the pager task, so its calls take the
 *    path to a partner of lower priority. A forged fault (our own K bit)
 *    to the pager task must come back refused: the kernel clears K on
 *    every path;
 *  - fork (when the pager task is the copy-on-write pager): the child
 *    reads pages the parent wrote before the fork (shared reads, so the
 *    pager's fault-around maps the rest of the block), must see the
 *    values of the fork and none the parent wrote after, writes its own,
 *    and exits; the parent, after wait(), must see none of the child's.
 */
#include "fuzz.h"
#include <fork.h>
#include <sigma0.h>
#include <pagoda/proto.h>

#define FORK_PAGES 16                   /* one fault-around block */

bool fuzz_paths;
static uint8_t fork_page[FORK_PAGES][4096] __attribute__((aligned(4096 * FORK_PAGES)));
static struct {
	unsigned fast, fast_forged, forged_served, forks, fork_bad;
} st;

/* A label for server `to` that it answers at once, whatever the words:
 * never a release of our own memory, a fork or a wait. */
static word_t fast_label(bool pager)
{
	const word_t labels[] = { 0,
				  1,
				  LABEL_PAGEFAULT | (rnd() % 8),
				  SIGMA0_LABEL_STATS,
				  SIGMA0_LABEL_FREE,
				  PAGER_CLIENT,
				  PAGER_SHUTDOWN,
				  LABEL_EXCEPTION,
				  rnd() & 0x3fff };
	word_t l = labels[rnd() % ARRAY_SIZE(labels)];

	if (l == PAGER_RELEASE || l == PROC_FORK || l == PROC_WAIT || l == LABEL_EXIT ||
	    (!pager &&
	     (l == SIGMA0_LABEL_ANY || l == SIGMA0_LABEL_PHYS || l == SIGMA0_LABEL_DEVICE)))
		l = SIGMA0_LABEL_STATS;
	return l;
}

static word_t fuzz_fast(void)
{
	struct utcb *u = utcb();
	bool pager = tap_slot() > 0 && rnd() % 2;
	word_t to = pager ? tap_task_tid(0) : libmap_kip->sigma0_id, err, label = fast_label(pager);
	bool forged = pager && (label & ~(word_t)7) == LABEL_PAGEFAULT;
	bool item = !forged && rnd() % 3 == 0;

	st.fast++;
	for (unsigned i = 1; i < 3; i++)
		u->mr[i] = rnd() % 2 ? pick() : rnd();
	u->mr[0] = tag_make(label, forged ? PF_MSG_LENGTH : (unsigned)(rnd() % 3), 0);
	if (item) {
		u->mr[0] = tag_make(label, 0, 2);
		put_items(1, 2);
	}
	if (forged || rnd() % 2)
		u->mr[0] |= TAG_K_FLAG;
	if (rnd() % 4 == 0)
		u->mr[0] |= TAG_E_FLAG;
	msg_accept(fuzz_window());
	err = ipc(to, privileged || rnd() % 2 ? to : TID_ANY,
		  timeouts(rnd() % 2 ? TIMEOUT_ZERO : TIMEOUT_NEVER, TIMEOUT_NEVER), NULL);
	msg_accept(FPAGE_NIL);
	if (forged && !err && u->sender == to) {   /* from anyone: another fuzzer's, maybe */
		st.fast_forged++;
		if (!(tag_label(u->mr[0]) && u->mr[1] == E_BAD_ARGUMENT) && !st.forged_served++)
			printf("fuzz: forged fault to %lx answered: tag %lx, MR1 %lx, MR2 %lx, from %lx\n",
			       to, u->mr[0], u->mr[1], u->mr[2], u->sender);
	}
	return err;
}

/* The child: the values of the fork, then its own; exit status = wrong ones. */
static _Noreturn void fork_child(unsigned gen)
{
	int bad = 0;

	for (unsigned i = 0; i < FORK_PAGES; i++)
		bad += fork_page[(i + gen) % FORK_PAGES][8] !=
		       gen * FORK_PAGES + (gen + i) % FORK_PAGES;
	for (unsigned i = 0; i < FORK_PAGES; i += 1 + gen % 3)
		fork_page[i][8] = 0xc0;
	for (unsigned i = 0; i < FORK_PAGES; i += 1 + gen % 3)
		bad += fork_page[i][8] != 0xc0;
	exit(bad);
}

static word_t fuzz_fork(void)
{
	static unsigned gen;
	word_t child;
	int status = -1;

	gen = (gen + 1) % 8;
	for (unsigned i = 0; i < FORK_PAGES; i++)
		fork_page[i][8] = (uint8_t)(gen * FORK_PAGES + i);
	child = fork();
	if (child == 0)
		fork_child(gen);
	if (child == FORK_FAILED)
		return E_OK;                    /* the pager is out of slots or memory */
	st.forks++;
	for (unsigned i = 0; i < FORK_PAGES; i += 2)
		fork_page[i][8] = 0xa0;         /* after the fork: the child must not see it */
	if (wait(child, &status) || status)
		st.fork_bad++;
	for (unsigned i = 0; i < FORK_PAGES; i++)
		st.fork_bad += fork_page[i][8] != (i % 2 ? gen * FORK_PAGES + i : 0xa0);
	return E_OK;
}

word_t fuzz_path(void)
{
	return rnd() % 4 || privileged ? fuzz_fast() : fuzz_fork();
}

void fuzz_paths_report(void)
{
	if (!fuzz_paths)
		return;
	printf("fuzz: %u fast-path calls (%u forged faults), %u forks\n", st.fast, st.fast_forged,
	       st.forks);
	ok(!st.forged_served, "a forged fault on the fast path is refused (%u served)",
	   st.forged_served);
	ok(!st.fork_bad,
	   "a forked child sees the pages of the fork, the parent none of the "
	   "child's (%u wrong)",
	   st.fork_bad);
}
