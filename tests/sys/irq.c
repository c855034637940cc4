/* SPDX-License-Identifier: MIT */
/*
 * Interrupts as IPC: attach a handler thread to a line with thread_control,
 * raise the line in software (KDB_RAISE_IRQ), receive the interrupt as a
 * message from the line's thread id, acknowledge it by sending to that id,
 * detach. Handler H lives in this space, handler G in another; lines 5 and
 * 9 have no device under QEMU's -nodefaults machine. Lines 16..31 are MSI
 * vectors: attaching one tells the driver the message to program.
 */
#include "agent.h"

static struct agent h, g;

static word_t attach(word_t line_tid, word_t handler)
{
	return sys_thread_control(line_tid, TID_NIL, TID_NIL, handler, 0, 0);
}

/* I send to line `line` (acknowledge it, if I were its handler). */
static word_t raw_ack(unsigned line)
{
	utcb()->mr[0] = 0;
	return ipc(tid_irq(line), TID_NIL, timeouts(TIMEOUT_ZERO, 0), NULL);
}

/* Agent a does an IPC (to, from, timeouts) and reports. */
static word_t agent_ipc(struct agent *a, struct agent_msg *m, word_t to, word_t from, word_t tmo)
{
	if (agent_cmd(a, m, AG_IPC, 5, to, from, tmo, FPAGE_NIL, (word_t)0) != AGENT_DONE)
		return ~(word_t)0;
	return m->mr[1];
}

/* The agent's last AG_IPC received interrupt `line`. */
static bool got_irq(const struct agent_msg *m, unsigned line)
{
	return m->mr[1] == E_OK && m->mr[2] == tid_irq(line) && tag_label(m->mr[3]) == LABEL_IRQ &&
	       tag_u(m->mr[3]) == 0 && tag_t(m->mr[3]) == 0;
}

static void test_attach(void)
{
	ok_err(attach(tid_irq(5), h.tid), E_OK, "attach H to line 5");
	ok_err(attach(tid_irq(5), h.tid), E_OK, "attach H again: no change");
	ok_err(attach(tid_irq(5), g.tid), E_BUSY, "attach G to line 5: busy");
	ok_err(attach(tid_irq(6), tap_tid(29, 1)), E_BAD_THREAD, "attach a thread that does not exist");
	ok_err(attach(tid_irq(6), tid_make(tid_number(h.tid), 7)), E_STALE_THREAD,
	       "attach a stale id");
	ok_err(attach(tid_irq(0), h.tid), E_BAD_THREAD, "the timer's line is not attachable");
	ok(libmap_kip->irq_count == 32, "the KIP names 32 lines (%lu)", libmap_kip->irq_count);
	ok_err(attach(tid_make(5, 2), h.tid), E_BAD_THREAD, "an interrupt id with version 2");
	ok_err(tap_raise_irq(0), E_BAD_ARGUMENT, "KDB_RAISE_IRQ of the timer");
	ok_err(tap_raise_irq(32), E_BAD_ARGUMENT, "KDB_RAISE_IRQ of line 32");
	ok_err(tap_raise_irq(~(word_t)0), E_BAD_ARGUMENT, "KDB_RAISE_IRQ of line ~0");
	ok_err(tap_raise_irq(6), E_OK, "raising a line nobody handles does nothing");
}

static void test_delivery(void)
{
	struct agent_msg m;

	agent_post(&h, AG_IPC, 5, TID_NIL, tid_irq(5), timeouts(0, AGENT_WAIT_US), FPAGE_NIL,
		   (word_t)0);
	ok(agent_blocked(&h, EXREG_STATE_RECEIVING), "H waits for line 5");
	ok_err(tap_raise_irq(5), E_OK, "raise line 5");
	ok(agent_wait(&h, &m) == AGENT_DONE && got_irq(&m, 5),
	   "H receives it: from %lx, label %lx", m.mr[2], tag_label(m.mr[3]));
	ok(m.mr[8] == tid_irq(5), "the UTCB names the line as sender (%lx)", m.mr[8]);
	ok_err(raw_ack(5), E_BAD_THREAD, "I (not the handler) cannot acknowledge it");
	ok_err(agent_ipc(&h, &m, tid_irq(5), TID_NIL, timeouts(0, 0)), E_OK,
	       "H acknowledges by sending to the line");

	ok_err(tap_raise_irq(5), E_OK, "raise line 5 while H is busy");
	ok_err(agent_ipc(&h, &m, TID_NIL, TID_ANY, timeouts(0, TIMEOUT_ZERO)), E_OK,
	       "H's next receive from anyone finds it pending");
	ok(got_irq(&m, 5), "it is line 5's message");
	ok_err(agent_ipc(&h, &m, TID_NIL, tid_irq(5), timeouts(0, TIMEOUT_ZERO)),
	       E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE, "it was delivered once only");

	ok_err(tap_raise_irq(5), E_OK, "raise line 5 while H is busy");
	agent_post(&h, AG_IPC, 5, libmap_myself, TID_ANY, timeouts(TIMEOUT_NEVER, 200000), FPAGE_NIL,
		   (word_t)0);
	ok(agent_blocked(&h, EXREG_STATE_SENDING), "H sends to me, then will receive from anyone");
	ok(ipc_receive(h.tid, TIMEOUT_ZERO, NULL) == E_OK, "I take H's message: H turns receiver");
	ok(agent_wait(&h, &m) == AGENT_DONE && got_irq(&m, 5),
	   "H gets the pending interrupt at once (error %lx)", m.mr[1]);
	ok_err(agent_ipc(&h, &m, tid_irq(5), TID_NIL, timeouts(0, 0)), E_OK, "H acknowledges it");

	ok_err(attach(tid_irq(9), h.tid), E_OK, "attach H to line 9 too");
	ok_err(tap_raise_irq(9), E_OK, "raise line 9");
	ok_err(agent_ipc(&h, &m, tid_irq(5), tid_irq(5), timeouts(0, TIMEOUT_ZERO)),
	       E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE,
	       "H acknowledges 5 and asks for 5 only: 9 does not count");
	ok_err(agent_ipc(&h, &m, TID_NIL, tid_irq(9), timeouts(0, TIMEOUT_ZERO)), E_OK,
	       "H asks for 9");
	ok(got_irq(&m, 9), "and gets line 9's message");
	agent_post(&h, AG_IPC, 5, tid_irq(9), tid_irq(9), timeouts(0, AGENT_WAIT_US), FPAGE_NIL,
		   (word_t)0);
	ok(agent_blocked(&h, EXREG_STATE_RECEIVING), "H acknowledges 9 and waits for it in one call");
	ok_err(tap_raise_irq(9), E_OK, "raise line 9");
	ok(agent_wait(&h, &m) == AGENT_DONE && got_irq(&m, 9), "H receives it");
	ok_err(agent_ipc(&h, &m, tid_irq(9), TID_NIL, timeouts(0, 0)), E_OK, "and acknowledges");
}

static void test_detach(void)
{
	struct agent_msg m;

	ok_err(attach(tid_irq(5), tid_irq(5)), E_OK, "detach line 5 (handler is in my space)");
	ok_err(tap_raise_irq(5), E_OK, "raise line 5");
	ok_err(agent_ipc(&h, &m, TID_NIL, TID_ANY, timeouts(0, TIMEOUT_ZERO)),
	       E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE, "nothing arrives after the detach");
	ok_err(agent_ipc(&h, &m, tid_irq(5), TID_NIL, timeouts(0, 0)), E_BAD_THREAD,
	       "H is no longer the one to acknowledge line 5");
	ok_err(attach(tid_irq(5), g.tid), E_OK, "attach G (another space) to line 5");
	agent_post(&g, AG_IPC, 5, TID_NIL, TID_ANY, timeouts(0, AGENT_WAIT_US), FPAGE_NIL, (word_t)0);
	ok(agent_blocked(&g, EXREG_STATE_RECEIVING), "G waits for anyone");
	ok_err(tap_raise_irq(5), E_OK, "raise line 5");
	ok(agent_wait(&g, &m) == AGENT_DONE && got_irq(&m, 5), "G receives it");
	ok_err(attach(tid_irq(5), tid_irq(5)), E_BUSY, "I cannot detach a handler of another space");
	ok_err(tap_raise_irq(5), E_OK, "raise line 5 again (G has not acknowledged)");
	ok_err(agent_stop(&g), E_OK, "delete G");
	ok_err(attach(tid_irq(5), h.tid), E_OK, "line 5 is free again: attach H");
	ok_err(agent_ipc(&h, &m, TID_NIL, TID_ANY, timeouts(0, TIMEOUT_ZERO)),
	       E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE, "G's pending interrupt went with G");
	ok_err(attach(tid_irq(5), tid_irq(5)), E_OK, "detach line 5");
	ok_err(attach(tid_irq(9), tid_irq(9)), E_OK, "detach line 9");
	ok(agent_start(&g, 1, 2, true), "a new G");
}

/* MSI line 17: the attach returns the address/data pair of vector 49 on
 * this CPU's local APIC; interrupts that come before the acknowledgement
 * coalesce into one pending message. */
static void test_msi(void)
{
	struct agent_msg m;
	word_t addr = 0, data = 0;

	ok_err(sys_irq_attach_msi(tid_irq(17), h.tid, &addr, &data), E_OK, "attach H to MSI line 17");
	ok((addr & ~(word_t)0xff000) == 0xfee00000 && data == 32 + 17,
	   "MSI address %lx, data %lx (vector 49)", addr, data);
	ok_err(sys_irq_attach_msi(tid_irq(17), g.tid, &addr, &data), E_BUSY,
	       "attach G to line 17: busy");
	ok_err(tap_raise_irq(17), E_OK, "raise line 17 while H is busy");
	ok_err(tap_raise_irq(17), E_OK, "and again: the two coalesce");
	ok_err(agent_ipc(&h, &m, TID_NIL, TID_ANY, timeouts(0, TIMEOUT_ZERO)), E_OK,
	       "H's receive finds it pending");
	ok(got_irq(&m, 17), "it is line 17's message");
	ok_err(agent_ipc(&h, &m, tid_irq(17), TID_ANY, timeouts(0, TIMEOUT_ZERO)),
	       E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE, "H acknowledges; nothing more is pending");
	agent_post(&h, AG_IPC, 5, TID_NIL, tid_irq(17), timeouts(0, AGENT_WAIT_US), FPAGE_NIL,
		   (word_t)0);
	ok(agent_blocked(&h, EXREG_STATE_RECEIVING), "H waits for line 17");
	ok_err(tap_raise_irq(17), E_OK, "raise line 17");
	ok(agent_wait(&h, &m) == AGENT_DONE && got_irq(&m, 17), "H receives it at once");
	ok_err(tap_raise_irq(17), E_OK, "raise it before the acknowledgement");
	ok_err(agent_ipc(&h, &m, tid_irq(17), tid_irq(17), timeouts(0, TIMEOUT_ZERO)), E_OK,
	       "H acknowledges and receives: the MSI line was not masked");
	ok(got_irq(&m, 17), "line 17 again");
	ok_err(agent_ipc(&h, &m, tid_irq(17), TID_NIL, timeouts(0, 0)), E_OK, "H acknowledges");
	ok_err(attach(tid_irq(17), tid_irq(17)), E_OK, "detach line 17");
	ok_err(tap_raise_irq(17), E_OK, "raise line 17");
	ok_err(agent_ipc(&h, &m, TID_NIL, TID_ANY, timeouts(0, TIMEOUT_ZERO)),
	       E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE, "nothing arrives after the detach");
	ok_err(attach(tid_irq(31), h.tid), E_OK, "line 31, the last, can be attached");
	ok_err(attach(tid_irq(31), tid_irq(31)), E_OK, "and detached");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "attach", test_attach },
		{ "delivery", test_delivery },
		{ "detach", test_detach },
		{ "msi", test_msi },
	};

	if (!ok(agent_start(&h, 0, 1, false) && agent_start(&g, 1, 1, true),
		"agents H (my space) and G (new space) run"))
		return tap_done("irq");
	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	ok_err(agent_stop(&h), E_OK, "delete H (detaches what it still has)");
	ok_err(agent_stop(&g), E_OK, "delete G");
	return tap_done("irq");
}
