/* SPDX-License-Identifier: MIT */
/*
 * Where a thread woken by a message goes in its ready queue (docs/abi.md
 * §12). Agents B and R (priority 100, as this main thread) wait for us.
 *
 * A send that does not block the sender (a send-only IPC; a server's reply
 * when its next request is already queued) leaves the woken receiver at
 * the back, behind the threads of its priority that were ready before it:
 * woken B first, then R; B runs first. (When woken receivers went to the
 * front, a pager that replied while faults were queued kept its clients
 * ahead of every other thread of theirs for as long as it had work:
 * poolhog's agents, made ready while init loaded nine tasks under DEBUG=1,
 * waited over 2 s of guest time for their first instruction.)
 *
 * A call still hands the caller's turn to the server: with B ready, a call
 * to R runs R and returns before B has run (the fast path switches
 * directly; this checks the general path, ipc.c:ipc_hands_over).
 */
#include "agent.h"

static struct agent b, r;

/* Has agent a run since we woke it? (It would be sending its answer.)
 * An agent that cannot be asked counts as having run. */
static bool agent_sending(struct agent *a)
{
	word_t st = EXREG_STATE_SENDING;

	sys_exchange_registers(a->tid, 0, NULL, NULL, NULL, NULL, &st);
	return (st & EXREG_STATE_SENDING) != 0;
}

/* Wake B, then R, by send-only IPC: the first answer is B's. */
static void send_only_order(void)
{
	word_t first = TID_NIL, second = TID_NIL;

	sys_thread_switch(TID_NIL);                  /* a fresh slice for what follows */
	ok_err(agent_post(&b, AG_ECHO, 0), E_OK, "wake B by a send");
	ok_err(agent_post(&r, AG_ECHO, 0), E_OK, "then R");
	ipc_receive(TID_ANY, AGENT_WAIT_US, &first);
	ipc_receive(TID_ANY, AGENT_WAIT_US, &second);
	ok(first == b.tid && second == r.tid,
	   "B, woken first, ran first (answers from %lx, then %lx)", first, second);
}

/* With B ready, call R (through the general path: the fast path takes
 * no receive timeout): R answers before B has run. */
static void call_order(void)
{
	word_t err, from = TID_NIL;
	bool b_ran;

	sys_thread_switch(TID_NIL);
	ok_err(agent_post(&b, AG_ECHO, 0), E_OK, "wake B by a send");
	msg_tag(AG_ECHO, 0, 0);
	err = ipc(r.tid, r.tid, timeouts(TIMEOUT_NEVER, AGENT_WAIT_US), NULL);
	b_ran = agent_sending(&b);
	ok(err == E_OK && tag_label(utcb()->mr[0]) == AG_DONE, "call R: answered (error %lu)", err);
	ok(!b_ran, "a call runs the server at once: B, ready before, has not run yet");
	ok_err(ipc_receive(b.tid, AGENT_WAIT_US, &from), E_OK, "then B answers");
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	tap_prefault(16 * 4096);
	if (!ok(agent_start(&b, 0, 1, false), "agent B") ||
	    !ok(agent_start(&r, 1, 1, false), "agent R"))
		return 1;
	for (unsigned i = 0; i < 3; i++) {
		send_only_order();
		call_order();
	}
	agent_stop(&b);
	agent_stop(&r);
	printf("wakeorder: %u check(s) failed\n", tap_failed);
	return (int)tap_failed;
}
