/* SPDX-License-Identifier: MIT */
/*
 * SYS_IPC: send, receive, call and reply between this task and agents (in
 * its own space and in a new one); every kind of bad thread id, zero and
 * relative timeouts, message overflow, the error flag of the tag, aborts
 * by exchange_registers, and partners deleted while others wait on them.
 */
#include "agent.h"

#define LABEL_T 0x77

static struct agent x, y, z;

static bool start(struct agent *a, unsigned k, unsigned version, bool new_space)
{
	return ok(agent_start(a, k, version, new_space), "agent %u (version %u%s) runs", k, version,
		  new_space ? ", new space" : "");
}

/* Let agent a do an IPC (to, from, timeouts, tag, MR1, MR2). */
static word_t post_ipc(struct agent *a, word_t to, word_t from, word_t tmo, word_t tag, word_t w1,
		       word_t w2)
{
	return agent_post(a, AG_IPC, 8, to, from, tmo, FPAGE_NIL, tag, w1, w2, (word_t)0);
}

/* The result of an agent's AG_IPC: its error (or ~0 if it did not answer). */
static word_t ipc_result(struct agent *a, struct agent_msg *m)
{
	return agent_wait(a, m) == AGENT_DONE && tag_label(m->tag) == AG_DONE ? m->mr[1] : ~(word_t)0;
}

static word_t raw_ipc(word_t to, word_t from, word_t tmo, word_t tag)
{
	utcb()->mr[0] = tag;
	return ipc(to, from, tmo, NULL);
}

/* Calls, replies, long messages, receive from anyone or someone. */
static void test_transfer(void)
{
	struct utcb *u = utcb();
	struct agent_msg m;
	word_t from = TID_NIL, err;
	bool all = true;

	ok(agent_cmd(&z, &m, AG_ECHO, 0) == AGENT_DONE && tag_u(m.tag) == 0,
	   "a call with an empty message (u = 0) and its reply");
	u->mr[0] = tag_make(AG_ECHO, MSG_MR_COUNT - 1, 0);
	for (unsigned i = 1; i < MSG_MR_COUNT; i++)
		u->mr[i] = i * 0x1000;
	err = ipc(z.tid, z.tid, timeouts(TIMEOUT_NEVER, AGENT_WAIT_US), &from);
	ok_err(err, E_OK, "call with the longest message, u = 63, across spaces");
	ok(tag_label(u->mr[0]) == AG_DONE && tag_u(u->mr[0]) == MSG_MR_COUNT - 1 && from == z.tid,
	   "the reply has label, u = 63 and its sender (tag %lx, from %lx)", u->mr[0], from);
	for (unsigned i = 1; i < MSG_MR_COUNT; i++)
		all &= u->mr[i] == i * 0x1000 + i;
	ok(all, "all 63 words went there and back (MR1, MR2 in registers, the rest in the UTCB)");
	ok(u->sender == z.tid, "the UTCB names the sender too");
	ok(!(u->mr[0] & TAG_E_FLAG), "no error flag in the tag of a successful IPC");

	post_ipc(&x, TID_NIL, libmap_myself, timeouts(0, AGENT_WAIT_US), 0, 0, 0);
	ok(agent_blocked(&x, EXREG_STATE_RECEIVING), "X waits to receive from me");
	u->mr[1] = 11;
	u->mr[2] = 22;
	err = raw_ipc(x.tid, TID_NIL, timeouts(TIMEOUT_ZERO, 0), tag_make(LABEL_T, 2, 0));
	ok_err(err, E_OK, "send with zero timeout to a waiting receiver");
	ok(ipc_result(&x, &m) == E_OK && m.mr[2] == libmap_myself && m.mr[8] == libmap_myself &&
	   tag_label(m.mr[3]) == LABEL_T && tag_u(m.mr[3]) == 2 && m.mr[4] == 11 && m.mr[5] == 22,
	   "X got label, words and my id as sender");

	post_ipc(&x, libmap_myself, TID_NIL, timeouts(TIMEOUT_NEVER, 0), tag_make(LABEL_T, 1, 0), 1, 0);
	post_ipc(&y, libmap_myself, TID_NIL, timeouts(TIMEOUT_NEVER, 0), tag_make(LABEL_T, 1, 0), 2, 0);
	ok(agent_blocked(&x, EXREG_STATE_SENDING) && agent_blocked(&y, EXREG_STATE_SENDING),
	   "X and Y block sending to me");
	err = ipc_receive(y.tid, TIMEOUT_ZERO, &from);
	ok(err == E_OK && from == y.tid && u->mr[1] == 2, "receive from Y takes Y's message first");
	err = ipc_receive(TID_ANY, TIMEOUT_ZERO, &from);
	ok(err == E_OK && from == x.tid && u->mr[1] == 1, "receive from anyone takes X's");
	ok(ipc_result(&x, &m) == E_OK && ipc_result(&y, &m) == E_OK, "both sends completed");

	post_ipc(&x, libmap_myself, libmap_myself, timeouts(TIMEOUT_NEVER, AGENT_WAIT_US),
		 tag_make(LABEL_T, 1, 0), 5, 0);
	err = ipc_receive(x.tid, AGENT_WAIT_US, &from);
	ok(err == E_OK && u->mr[1] == 5, "X calls me");
	ok(agent_blocked(&x, EXREG_STATE_RECEIVING), "after its send phase X waits for the reply");
	u->mr[1] = 6;
	err = raw_ipc(x.tid, TID_NIL, timeouts(TIMEOUT_ZERO, 0), tag_make(0, 1, 0));
	ok(err == E_OK && ipc_result(&x, &m) == E_OK && m.mr[4] == 6,
	   "a zero-timeout reply reaches the caller");
	ok_err(ipc(TID_NIL, TID_NIL, 0, NULL), E_OK, "IPC with neither send nor receive does nothing");

	post_ipc(&x, libmap_myself, TID_ANY, timeouts(TIMEOUT_NEVER, 200000), tag_make(LABEL_T, 0, 0),
		 0, 0);
	ok(agent_blocked(&x, EXREG_STATE_SENDING), "X sends to me, then will receive from anyone");
	post_ipc(&y, x.tid, TID_NIL, timeouts(TIMEOUT_NEVER, 0), tag_make(LABEL_T + 2, 1, 0), 7, 0);
	ok(agent_blocked(&y, EXREG_STATE_SENDING), "Y queues to send to X (X is still sending)");
	ok(ipc_receive(x.tid, TIMEOUT_ZERO, NULL) == E_OK, "I take X's message: X turns receiver");
	ok(ipc_result(&x, &m) == E_OK && m.mr[2] == y.tid && tag_label(m.mr[3]) == LABEL_T + 2 &&
	   m.mr[4] == 7, "X gets Y's queued message at once (error %lx, from %lx)", m.mr[1], m.mr[2]);
	ok(ipc_result(&y, &m) == E_OK, "and Y's send completes");
}

/* Every kind of bad thread id as destination and as receive source. */
static void test_bad_ids(void)
{
	static const struct { word_t tid, err; const char *what; } bad[] = {
		{ TID_ANY, E_BAD_THREAD, "TID_ANY" },
		{ 0, E_BAD_THREAD, "thread number beyond the table" },   /* filled in below */
		{ 0, E_BAD_THREAD, "an unused thread number" },
		{ 0, E_STALE_THREAD, "an agent's number with the wrong version" },
		{ 0, E_BAD_THREAD, "an agent's number with version 0" },
		{ 0, E_BAD_THREAD, "interrupt 5, which has no handler here" },
		{ 0, E_BAD_THREAD, "the timer interrupt's id" },
		{ 0, E_BAD_THREAD, "interrupt 5 with version 2" },
		{ 0, E_BAD_THREAD, "a number below the user range that is no interrupt" },
	};
	struct agent_msg m;
	word_t ids[ARRAY_SIZE(bad)], err;

	ids[0] = TID_ANY;
	ids[1] = tid_make(libmap_kip->max_threads + 5, 1);
	ids[2] = tap_tid(30, 1);
	ids[3] = tid_make(tid_number(x.tid), 2);
	ids[4] = tid_make(tid_number(x.tid), 0);
	ids[5] = tid_irq(5);
	ids[6] = tid_irq(0);
	ids[7] = tid_make(5, 2);
	ids[8] = tid_make(libmap_kip->user_base - 1, 1);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		err = raw_ipc(ids[i], TID_NIL, timeouts(TIMEOUT_ZERO, 0), tag_make(0, 0, 0));
		ok(err == bad[i].err, "send to %s (%lx): error %lx (want %lx)", bad[i].what, ids[i], err,
		   bad[i].err);
		ok(utcb()->mr[0] & TAG_E_FLAG, "and the returned tag has the error flag");
	}
	ok_err(raw_ipc(libmap_myself, TID_NIL, timeouts(0, 0), 0), E_BAD_THREAD, "send to myself");
	ok_err(raw_ipc(TID_NIL, ids[1], timeouts(0, 0), 0), E_BAD_THREAD | IPC_ERR_RECV_PHASE,
	       "receive from a number beyond the table");
	ok_err(raw_ipc(TID_NIL, ids[2], timeouts(0, 0), 0), E_BAD_THREAD | IPC_ERR_RECV_PHASE,
	       "receive from an unused number");
	ok_err(raw_ipc(TID_NIL, ids[3], timeouts(0, 0), 0), E_STALE_THREAD | IPC_ERR_RECV_PHASE,
	       "receive from a stale id");
	ok_err(raw_ipc(TID_NIL, tid_irq(5), timeouts(0, 0), 0), E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE,
	       "receive from an interrupt (allowed; nothing pending)");
	ok_err(raw_ipc(x.tid, ids[3], timeouts(0, 0), 0), E_STALE_THREAD | IPC_ERR_RECV_PHASE,
	       "a call with a stale receive source fails before sending");
	ok(agent_blocked(&x, EXREG_STATE_RECEIVING) && agent_cmd(&x, &m, AG_ECHO, 0) == AGENT_DONE,
	   "X did not get that message (it still takes the next command)");
}

/* Zero and relative timeouts, overflow, and the error flag. */
static void test_timeouts(void)
{
	struct agent_msg m;
	volatile struct kip *k = libmap_kip;
	word_t err, t0;

	err = raw_ipc(TID_NIL, TID_ANY, timeouts(0, TIMEOUT_ZERO), tag_make(LABEL_T, 0, 0));
	ok_err(err, E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE, "receive, zero timeout, nobody sending");
	ok(utcb()->mr[0] & TAG_E_FLAG, "the tag returned by a failed IPC has the error flag (%lx)",
	   utcb()->mr[0]);
	t0 = k->ticks;
	err = raw_ipc(TID_NIL, libmap_myself, timeouts(0, 20000), 0);
	ok(err == (E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE) && k->ticks - t0 >= 20,
	   "a 20 ms receive timeout expires, after %lu ticks (error %lx)", k->ticks - t0, err);

	post_ipc(&x, libmap_myself, libmap_myself, timeouts(TIMEOUT_NEVER, TIMEOUT_ZERO),
		 tag_make(LABEL_T, 0, 0), 0, 0);
	ok(agent_blocked(&x, EXREG_STATE_SENDING), "X calls me with a zero receive timeout");
	ok(ipc_receive(x.tid, TIMEOUT_ZERO, NULL) == E_OK && tag_label(utcb()->mr[0]) == LABEL_T,
	   "I take its message");
	ok_err(ipc_result(&x, &m), E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE,
	       "X's receive phase times out at once: the reply cannot be there yet");
	post_ipc(&x, libmap_myself, libmap_myself, timeouts(TIMEOUT_NEVER, 20000),
		 tag_make(LABEL_T, 0, 0), 0, 0);
	t0 = k->ticks;
	ok(ipc_receive(x.tid, AGENT_WAIT_US, NULL) == E_OK, "X calls me with a 20 ms receive timeout");
	ok_err(ipc_result(&x, &m), E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE,
	       "I never reply: X's receive phase times out");
	ok(k->ticks - t0 >= 20, "after %lu ticks", k->ticks - t0);

	post_ipc(&x, TID_NIL, y.tid, timeouts(0, TIMEOUT_NEVER), 0, 0, 0);
	ok(agent_blocked(&x, EXREG_STATE_RECEIVING), "X waits for Y only");
	err = raw_ipc(x.tid, TID_NIL, timeouts(TIMEOUT_ZERO, 0), 0);
	ok_err(err, E_IPC_TIMEOUT, "send, zero timeout, receiver waits for someone else");
	t0 = k->ticks;
	err = raw_ipc(x.tid, TID_NIL, timeouts(15000, 0), 0);
	ok(err == E_IPC_TIMEOUT && k->ticks - t0 >= 15,
	   "a 15 ms send timeout expires, after %lu ticks (error %lx)", k->ticks - t0, err);
	err = raw_ipc(x.tid, x.tid, timeouts(TIMEOUT_ZERO, TIMEOUT_NEVER), 0);
	ok_err(err, E_IPC_TIMEOUT, "a call whose send times out never reaches its receive phase");
	err = sys_exchange_registers(x.tid, EXREG_ABORT_RECV, NULL, NULL, NULL, NULL, NULL);
	ok(err == E_OK && ipc_result(&x, &m) == (E_IPC_CANCELLED | IPC_ERR_RECV_PHASE),
	   "exchange_registers aborts X's receive: E_IPC_CANCELLED, receive phase");
	ok(m.mr[3] & TAG_E_FLAG, "X's returned tag has the error flag");

	post_ipc(&x, TID_NIL, libmap_myself, timeouts(0, AGENT_WAIT_US), 0, 0, 0);
	ok(agent_blocked(&x, EXREG_STATE_RECEIVING), "X waits to receive from me");
	err = raw_ipc(x.tid, TID_NIL, timeouts(TIMEOUT_ZERO, 0), tag_make(LABEL_T, 62, 2));
	ok_err(err, E_IPC_OVERFLOW, "u = 62, t = 2: more than 63 words");
	err = raw_ipc(x.tid, TID_NIL, timeouts(TIMEOUT_ZERO, 0), tag_make(LABEL_T, 1, 63));
	ok_err(err, E_IPC_OVERFLOW, "u = 1, t = 63");
	ok(agent_blocked(&x, EXREG_STATE_RECEIVING), "X is still waiting: nothing was sent");
	err = raw_ipc(x.tid, TID_NIL, timeouts(TIMEOUT_ZERO, 0), tag_make(LABEL_T + 1, 0, 0));
	ok(err == E_OK && ipc_result(&x, &m) == E_OK && tag_label(m.mr[3]) == LABEL_T + 1,
	   "the next well-formed message is the one X gets");

	post_ipc(&x, y.tid, TID_NIL, timeouts(TIMEOUT_NEVER, 0), 0, 0, 0);
	ok(agent_blocked(&x, EXREG_STATE_SENDING), "X blocks sending to Y (busy)");
	ok_err(sys_exchange_registers(x.tid, EXREG_ABORT_RECV, NULL, NULL, NULL, NULL, NULL), E_OK,
	       "aborting a receive of a sender");
	ok(agent_blocked(&x, EXREG_STATE_SENDING), "leaves it sending");
	err = sys_exchange_registers(x.tid, EXREG_ABORT_SEND, NULL, NULL, NULL, NULL, NULL);
	ok(err == E_OK && ipc_result(&x, &m) == E_IPC_CANCELLED, "abort its send: E_IPC_CANCELLED");
}

/* Scenario 8: partners deleted while others wait on them. */
static void test_deleted_partner(void)
{
	struct agent_msg m;
	word_t old_y = y.tid, old_z = z.tid;

	struct agent w;

	post_ipc(&x, y.tid, TID_NIL, timeouts(TIMEOUT_NEVER, 0), 0, 0, 0);
	ok(agent_blocked(&x, EXREG_STATE_SENDING), "X blocks sending to Y");
	ok_err(agent_stop(&x), E_OK, "delete X, the sender");
	ok_err(agent_cmd(&y, &m, AG_IPC, 5, TID_NIL, TID_ANY, timeouts(0, TIMEOUT_ZERO), FPAGE_NIL,
			 (word_t)0) == AGENT_DONE ? m.mr[1] : ~(word_t)0,
	       E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE, "Y finds no sender queued any more");
	start(&x, 0, 2, false);
	start(&w, 3, 1, false);
	post_ipc(&w, TID_NIL, libmap_myself, timeouts(0, 30000), 0, 0, 0);
	ok(agent_blocked(&w, EXREG_STATE_RECEIVING), "W waits for me, with a 30 ms timeout");
	ok_err(agent_stop(&w), E_OK, "delete W");
	tap_sleep(50000);
	ok_err(kdb_check(), E_OK, "its timeout never fires: the kernel is fine 50 ms later");

	post_ipc(&x, TID_NIL, y.tid, timeouts(0, TIMEOUT_NEVER), 0, 0, 0);
	ok(agent_blocked(&x, EXREG_STATE_RECEIVING), "X waits to receive from Y");
	ok_err(agent_stop(&y), E_OK, "delete Y");
	ok_err(ipc_result(&x, &m), E_IPC_NO_PARTNER | IPC_ERR_RECV_PHASE,
	       "X is woken: no partner, receive phase");
	ok_err(raw_ipc(old_y, TID_NIL, timeouts(0, 0), 0), E_BAD_THREAD, "Y's id names nobody now");

	start(&y, 1, 2, false);
	ok_err(raw_ipc(old_y, TID_NIL, timeouts(0, 0), 0), E_STALE_THREAD,
	       "with Y recreated (version 2) the old id is stale");
	post_ipc(&x, y.tid, TID_NIL, timeouts(TIMEOUT_NEVER, 0), 0, 0, 0);
	ok(agent_blocked(&x, EXREG_STATE_SENDING), "X blocks sending to Y (Y waits for me only)");
	ok_err(agent_stop(&y), E_OK, "delete Y");
	ok_err(ipc_result(&x, &m), E_IPC_NO_PARTNER, "X is woken: no partner, send phase");

	post_ipc(&z, TID_NIL, x.tid, timeouts(0, AGENT_WAIT_US), 0, 0, 0);
	post_ipc(&x, z.tid, z.tid, timeouts(TIMEOUT_NEVER, TIMEOUT_NEVER), tag_make(LABEL_T, 0, 0),
		 0, 0);
	ok_err(ipc_result(&z, &m), E_OK, "X calls Z (another space); Z takes the message");
	ok(agent_blocked(&x, EXREG_STATE_RECEIVING), "X waits for Z's reply");
	ok_err(agent_stop(&z), E_OK, "delete Z and its space");
	ok_err(ipc_result(&x, &m), E_IPC_NO_PARTNER | IPC_ERR_RECV_PHASE,
	       "X is woken: no partner, receive phase");
	ok_err(raw_ipc(old_z, TID_NIL, timeouts(0, 0), 0), E_BAD_THREAD, "Z is gone");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "transfer", test_transfer },
		{ "bad_ids", test_bad_ids },
		{ "timeouts", test_timeouts },
		{ "deleted", test_deleted_partner },
	};

	if (!start(&x, 0, 1, false) || !start(&y, 1, 1, false) || !start(&z, 2, 1, true))
		return tap_done("ipc");
	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	agent_stop(&y);                         /* if "deleted" did not run */
	agent_stop(&z);
	ok_err(agent_stop(&x), E_OK, "delete X");
	return tap_done("ipc");
}
