/* SPDX-License-Identifier: MIT */
/*
 * A pager killed in the middle of a fault, again and again. Client K (an
 * agent in a new space) writes to a page whose pager is P, a thread of
 * this task. Each round P is deleted while K is blocked in its fault IPC:
 * in the receive phase (P took the fault and keeps silent) or in the send
 * phase (P never listens). K must come to its exception handler (this
 * task) with a clear "pager unreachable" fault, never hang; a new P is
 * started, K's pager is pointed at it, K is resumed where it was, its
 * write completes and lands in the frame P mapped. Every thread and frame
 * is given back: init checks kernel memory and frames after the task.
 *
 * Argument rounds=N (default 100; `make stress` runs 1000).
 */
#include "agent.h"

#define P_K 20                        /* P's thread number: tap_tid(P_K, version) */
#define P_UTCB (UTCB_AREA_BASE + 20 * UTCB_SIZE)
#define LABEL_GO 0x6201
#define SLOTS 16

static struct agent k;
static word_t p_tid;                  /* the current P */
static word_t ctl;                    /* this task's main thread: the controller */
static volatile bool p_silent;        /* P keeps a fault it took */
static uint8_t p_stack[8192] __attribute__((aligned(16)));

/* P: wait for "go" from the controller, then serve K's faults with the
 * controller's frames at TEST_VA_A (same offset as the fault in
 * TEST_VA_B), or, when silent, take one fault and never answer. */
static void p_main(void)
{
	word_t from;

	ipc_receive(ctl, TIMEOUT_NEVER, &from);
	for (;;) {
		struct utcb *u = utcb();
		word_t va, hot;

		if (ipc_receive(k.tid, TIMEOUT_NEVER, &from))
			continue;
		if (p_silent)
			for (;;)
				ipc_receive(ctl, TIMEOUT_NEVER, &from);
		hot = ALIGN_DOWN(u->mr[PF_MSG_ADDR], 4096);
		va = TEST_VA_A + (hot - TEST_VA_B);
		msg_tag(0, 0, 2);
		msg_map_item(1, hot, fpage_make(va, 12, FPAGE_RW), false);
		ipc_send(k.tid, TIMEOUT_ZERO);
	}
}

/* Start a new P (version v) and make it K's pager; go: let it listen. */
static bool p_start(unsigned v, bool go)
{
	word_t sp = (word_t)&p_stack[sizeof(p_stack) - 8], ip = (word_t)p_main, pager;

	p_tid = tap_tid(P_K, v);
	if (sys_thread_control(p_tid, libmap_myself, libmap_myself, utcb()->pager, P_UTCB, 0) ||
	    sys_exchange_registers(p_tid, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME, &sp, &ip,
				   NULL, NULL, NULL))
		return false;
	pager = p_tid;
	if (sys_exchange_registers(k.tid, EXREG_SET_PAGER, NULL, NULL, NULL, &pager, NULL))
		return false;
	if (!go)
		return true;
	msg_tag(LABEL_GO, 0, 0);
	return ipc_send(p_tid, 1000000) == E_OK;
}

static void p_kill(void)
{
	sys_thread_control(p_tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
}

/* One round: K writes val at slot; P dies with K blocked in `phase`. */
static bool round_once(unsigned r, word_t phase)
{
	word_t slot = r % SLOTS, vb = TEST_VA_B + slot * 4096, va = TEST_VA_A + slot * 4096;
	word_t val = 0x5eed0000 + r;
	struct agent_msg m;
	struct utcb *u = utcb();
	enum agent_event ev;
	word_t err;

	p_silent = phase == EXREG_STATE_RECEIVING;
	if (!p_start(1 + r % 250, p_silent) ||
	    agent_post(&k, AG_WRITE, 2, vb, val) || !agent_blocked(&k, phase))
		return ok(false, "round %u: K blocked in its fault IPC (phase %lx)", r, phase);
	p_kill();
	if (agent_wait(&k, &m) != AGENT_EXCEPTION || m.mr[EXC_MSG_VECTOR] != 14 ||
	    m.mr[EXC_MSG_ADDR] != vb)
		return ok(false, "round %u: K reaches its handler with #PF at %lx (vector %lu, addr %lx)",
			  r, vb, m.mr[EXC_MSG_VECTOR], m.mr[EXC_MSG_ADDR]);
	p_silent = false;
	if (!p_start(1 + (r + 125) % 250, true))
		return ok(false, "round %u: a new pager", r);
	u->mr[0] = tag_make(0, 0, 0);           /* resume unchanged: retry the access */
	err = ipc_send(k.tid, TIMEOUT_ZERO);
	ev = err ? AGENT_FAILED : agent_wait(&k, &m);
	if (ev != AGENT_DONE || *(volatile word_t *)va != val) {
		word_t ks = 0, ps = 0, kp = 0;
		sys_exchange_registers(k.tid, 0, NULL, NULL, NULL, &kp, &ks);
		sys_exchange_registers(p_tid, 0, NULL, NULL, NULL, NULL, &ps);
		p_kill();
		return ok(false, "round %u: K's write lands in the new pager's frame (error %lu, "
			  "event %d, rcv %lx, word %lx; K state %lx pager %lx, P %lx state %lx)", r, err,
			  ev, m.err, *(volatile word_t *)va, ks, kp, p_tid, ps);
	}
	p_kill();
	u->mr[0] = fpage_make(va, 12, FPAGE_RWX);  /* take it back from K */
	sys_unmap(0);
	return true;
}

int main(int argc, char **argv)
{
	unsigned rounds = (unsigned)tap_arg(argc, argv, "rounds", 100), done = 0, send = 0, recv = 0;

	ctl = libmap_myself;
	tap_prefault(16 * 4096);
	for (unsigned s = 0; s < SLOTS; s++)
		if (!tap_frame(TEST_VA_A + s * 4096, s))
			return 1;
	if (!ok(agent_start(&k, 1, 1, true), "client K in a new space"))
		return 1;
	for (unsigned r = 0; r < rounds; r++) {
		word_t phase = r % 2 ? EXREG_STATE_RECEIVING : EXREG_STATE_SENDING;

		if (!round_once(r, phase))
			break;
		done++;
		*(phase == EXREG_STATE_SENDING ? &send : &recv) += 1;
	}
	agent_stop(&k);
	printf("pagerkill: %u pagers killed mid-fault (%u in the send phase, %u in the receive "
	       "phase), every fault ended at the handler and resumed\n", done, send, recv);
	ok(done == rounds, "%u of %u rounds", done, rounds);
	return (int)tap_failed;
}
