/* SPDX-License-Identifier: MIT */
/*
 * Orphans (issue 8, class 6): every space has an owner who ends it.
 *
 * "fork": under the cow pager, fork four children (one forks a
 * grandchild) that wait for ever, and exit without waiting for them. The
 * cow pager deletes the whole family when the root task reports our exit.
 *
 * "spaces" (privileged, paged by init): create three spaces with a halted
 * thread each and exit without deleting them; they are charged to our
 * account, and the kernel deletes them with our space.
 *
 * In both cases init's end-of-run check finds kernel memory and frames
 * back at their baseline only if nothing was left behind.
 */
#include "agent.h"
#include <fork.h>
#include <layout.h>

static _Noreturn void wait_for_ever(void)
{
	ipc_receive(libmap_myself, TIMEOUT_NEVER, NULL);
	exit(1);
}

static int orphans_fork(void)
{
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;
	word_t c;

	for (unsigned i = 0; i < 4; i++) {
		heap[i * 512] = i;
		c = fork();
		if (c == 0) {
			heap[i * 512 + 1] = i;          /* a page of its own */
			if (i == 1 && fork() == 0)
				heap[i * 512 + 2] = i;  /* a grandchild */
			wait_for_ever();
		}
		ok(c != FORK_FAILED, "child %u: %lx", i, c);
	}
	tap_sleep(50000);
	printf("orphans: exiting with 4 children and a grandchild still running\n");
	return (int)tap_failed;
}

static word_t space_tid(unsigned k)
{
	return tap_tid(k, 1);
}

/* Agent A, in a space I own, made privileged, tries to delete my only
 * thread: that would end A's own space with mine, so the kernel says no. */
static bool owned_cannot_delete_owner(void)
{
	struct agent a;
	struct agent_msg m;
	bool refused;

	tap_prefault(16 * 4096);
	if (!agent_start(&a, 8, 1, true) ||
	    sys_space_control(a.tid, SC_PRIVILEGED, 0, NULL) != E_OK ||
	    agent_cmd(&a, &m, AG_SYSCALL, 7, (word_t)SYS_THREAD_CONTROL, libmap_myself, TID_NIL,
		      (word_t)0, (word_t)0, (word_t)0, (word_t)0) != AGENT_DONE)
		return false;
	refused = m.mr[1] == E_NO_PRIVILEGE;
	return agent_stop(&a) == E_OK && refused;
}

static int orphans_spaces(void)
{
	word_t before = tap_kmem_used(libmap_myself), after, used = 0;

	for (unsigned k = 0; k < 3; k++)
		ok_err(sys_thread_control(space_tid(k), space_tid(k), TID_NIL, libmap_myself,
					  UTCB_AREA_BASE, 0),
		       E_OK, "a new space");
	ok_err(sys_thread_control(tap_tid(3, 1), space_tid(0), TID_NIL, libmap_myself,
				  UTCB_AREA_BASE + UTCB_SIZE, 0),
	       E_OK, "a second thread in the first");
	after = tap_kmem_used(libmap_myself);
	ok(after >= before + 3 * 5 * 4096,
	   "the spaces I created count in my kernel memory (%lu -> %lu bytes)", before, after);
	ok_err(sys_space_control(libmap_myself, SC_SET_QUOTA, 64u << 20, NULL), E_NO_PRIVILEGE,
	       "I cannot raise my own quota above what init gave me");
	ok_err(sys_space_control(space_tid(1), SC_SET_QUOTA, 1u << 20, &used), E_OK,
	       "I can set the quota of a space I own");
	ok_err(sys_space_control(libmap_kip->sigma0_id, SC_SET_QUOTA, 1u << 20, NULL),
	       E_NO_PRIVILEGE, "but not sigma0's");
	ok(owned_cannot_delete_owner(), "a privileged space I own cannot delete my last thread");
	printf("orphans: exiting with 3 spaces of mine still there\n");
	return (int)tap_failed;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "spaces"))
		return orphans_spaces();
	return orphans_fork();
}
