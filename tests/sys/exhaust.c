/* SPDX-License-Identifier: MIT */
/*
 * Kernel-memory exhaustion by one task while another works. Two copies
 * run (tests/sys/exhaust.cfg):
 *
 *  hog (privileged), for rounds=N rounds: creates threads in its own space
 *  until the kernel says E_NO_MEMORY, deletes them; creates spaces until
 *  E_NO_MEMORY, deletes them; maps one of its frames into an agent's new
 *  space at addresses 2 MiB apart (a page table and a mapping node each)
 *  until a map fails for memory, deletes the agent. Each round must end
 *  in E_NO_MEMORY for all three, within the hog's own quota.
 *
 *  victim (unprivileged), all the while: calls sigma0 (IPC to another
 *  space) and touches fresh pages of its heap (faults its pager serves),
 *  checking every answer and every word, until the hog says it is done.
 *
 * Passes when every call of the victim worked, and (init's end-of-run
 * check) all kernel memory is back once both have ended.
 */
#include "agent.h"
#include <sigma0.h>

#define LABEL_DONE 0x6301
#define THREAD_FIRST 300             /* hog's thread numbers: 300..799 */
#define THREAD_COUNT 500
#define SPACE_FIRST 800              /* hog's space numbers: 800..1015 */
#define SPACE_COUNT 216
#define MAP_MAX 4096
#define VICTIM_PAGES 512             /* 2 MiB of heap */

/* Create threads numbered first.. (own space, or each a new space) until
 * the kernel refuses; delete them. The count, *err the refusal. */
static unsigned fill(unsigned first, unsigned count, bool spaces, word_t *err)
{
	unsigned n = 0;

	*err = E_OK;
	for (; n < count && !*err; n++) {
		word_t t = tid_make(first + n, 1);
		word_t utcb = spaces ? UTCB_AREA_BASE : UTCB_AREA_BASE + (64 + n) * UTCB_SIZE;

		*err = sys_thread_control(t, spaces ? t : libmap_myself, libmap_myself,
					  libmap_myself, utcb, 0);
	}
	if (*err)
		n--;
	for (unsigned i = 0; i < n; i++)
		sys_thread_control(tid_make(first + i, 1), TID_NIL, TID_NIL, TID_NIL, 0, 0);
	return n;
}

/* Map our frame into a new agent at 2 MiB strides until refused. */
static unsigned fill_maps(unsigned round, word_t *err)
{
	static struct agent a;
	unsigned n = 0;
	word_t rcv = E_OK;

	*err = E_OK;
	if (!agent_start(&a, 1, 1 + round % 200, true)) {
		*err = ~(word_t)0;
		return 0;
	}
	for (; n < MAP_MAX; n++) {
		word_t at = TEST_VA_B + ((word_t)n << 21);
		*err = agent_give(&a, at, fpage_make(TEST_VA_A, 12, FPAGE_RW), false,
				  fpage_make(at, 12, 0), &rcv);
		if (*err || rcv) {
			*err = *err ? *err : rcv;
			break;
		}
	}
	agent_stop(&a);
	return n;
}

static int hog(word_t rounds, word_t victim)
{
	unsigned most[3] = { 0 }, least[3] = { ~0u, ~0u, ~0u }, got[3];
	word_t err[3];
	bool clean = true;

	tap_prefault(16 * 4096);
	if (!tap_frame(TEST_VA_A, 1))
		return 1;
	for (word_t r = 0; r < rounds && clean; r++) {
		got[0] = fill(THREAD_FIRST, THREAD_COUNT, false, &err[0]);
		got[1] = fill(SPACE_FIRST, SPACE_COUNT, true, &err[1]);
		got[2] = fill_maps((unsigned)r, &err[2]);
		for (unsigned i = 0; i < 3; i++) {
			clean &= ok(err[i] == E_NO_MEMORY || (i == 2 && err[i] == E_IPC_NOT_MAPPED) ||
					    (i == 2 && err[i] == (E_NO_MEMORY | IPC_ERR_RECV_PHASE)),
				    "round %lu: %s stop at the quota after %u (error %lx)", r,
				    i == 0 ? "threads" : i == 1 ? "spaces" : "mappings", got[i], err[i]);
			most[i] = MAX(most[i], got[i]);
			least[i] = MIN(least[i], got[i]);
		}
	}
	msg_tag(LABEL_DONE, 0, 0);
	ok_err(ipc_send(victim, TIMEOUT_NEVER), E_OK, "tell the victim I am done");
	printf("exhaust: %lu rounds of quota exhaustion: threads %u..%u, spaces %u..%u, "
	       "mappings %u..%u per round\n", rounds, least[0], most[0], least[1], most[1],
	       least[2], most[2]);
	return (int)tap_failed;
}

/* One unit of the victim's work: an IPC to sigma0 and a page touched. */
static bool victim_step(word_t i)
{
	volatile word_t *p = (volatile word_t *)(USER_HEAP_BASE + (i % VICTIM_PAGES) * 4096);
	word_t free = 0, given = 0;

	if (sigma0_stats(&free, &given) || free == 0)
		return false;
	if (i >= VICTIM_PAGES && *p != i - VICTIM_PAGES)
		return false;
	*p = i;
	return *p == i;
}

static int victim(word_t hog_tid)
{
	word_t from, i = 0, bad = 0;

	for (;; i++) {
		bad += !victim_step(i);
		sys_thread_switch(TID_NIL);      /* let the hog go on between steps */
		if (ipc_receive(hog_tid, TIMEOUT_ZERO, &from) == E_OK &&
		    tag_label(utcb()->mr[0]) == LABEL_DONE)
			break;
	}
	printf("exhaust: the victim made %lu sigma0 calls and %lu first touches meanwhile, "
	       "%lu failed\n", i + 1, MIN(i + 1, (word_t)VICTIM_PAGES), bad);
	ok(bad == 0, "the victim's IPC and faults all worked (%lu failed)", bad);
	return (int)tap_failed;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "victim"))
		return victim(tap_task_tid(0));
	return hog(tap_arg(argc, argv, "rounds", 3), tap_task_tid(1));
}
