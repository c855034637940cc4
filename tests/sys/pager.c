/* SPDX-License-Identifier: MIT */
/*
 * Page faults as IPC, through user-level pager threads: the fault message
 * (label, address, ip, access), replies that do and do not resolve it,
 * write and execute faults, a pager in another space than its client, a
 * refused fault, and pagers that are deleted (or nil) while a client
 * waits: the client is stopped with a diagnostic and the rest goes on.
 *
 * This task is the pager of agent C (a new space); agent P, in this
 * space, is a second pager.
 */
#include "agent.h"
#include <sigma0.h>

#define PAT 0x7a7a000011110000ull

static struct agent c, p;

static word_t va_a(unsigned i) { return TEST_VA_A + i * 4096; }
static word_t va_c(unsigned i) { return TEST_VA_C + i * 4096; }

/* Make `pager` the pager of agent a (exchange_registers). */
static word_t set_pager(struct agent *a, word_t pager)
{
	return sys_exchange_registers(a->tid, EXREG_SET_PAGER, NULL, NULL, NULL, &pager, NULL);
}

static bool in_image(word_t ip)
{
	return ip >= USER_IMAGE_BASE && ip < (word_t)_end;
}

/* Reply to the fault in the message registers and wait for c's next
 * message (another fault, or its answer). */
static enum agent_event reply(struct agent *a, struct agent_msg *m)
{
	word_t err = ipc_send(a->tid, TIMEOUT_ZERO);

	if (!ok_err(err, E_OK, "the reply reaches the faulting thread"))
		return AGENT_FAILED;
	return agent_wait(a, m);
}

static bool is_fault(enum agent_event ev, const struct agent_msg *m, word_t addr, unsigned access)
{
	return ev == AGENT_FAULT && tag_label(m->tag) == (LABEL_PAGEFAULT | access) &&
	       tag_u(m->tag) == PF_MSG_LENGTH && tag_t(m->tag) == 0 && m->mr[PF_MSG_ADDR] == addr;
}

/* A fault no pager resolved reaches the exception handler (me) as vector
 * 14 with access and address; true if it did. With `refuse` the handler
 * refuses, and the kernel will stop the thread. */
static bool handler_hears(struct agent *a, word_t addr, unsigned access, bool refuse)
{
	struct agent_msg m;
	bool seen = agent_wait(a, &m) == AGENT_EXCEPTION && m.mr[EXC_MSG_VECTOR] == 14 &&
		    m.mr[EXC_MSG_ERROR] == access && m.mr[EXC_MSG_ADDR] == addr;

	if (!ok(seen, "the exception handler hears of it: vector %lu, access %lx, address %lx",
		m.mr[EXC_MSG_VECTOR], m.mr[EXC_MSG_ERROR], m.mr[EXC_MSG_ADDR]))
		return false;
	if (refuse) {
		msg_tag(1, 0, 0);
		ok_err(ipc_send(a->tid, TIMEOUT_ZERO), E_OK, "the handler refuses");
	}
	return true;
}

/* Scenario 6: the round trip through this task as pager. */
static void test_round_trip(void)
{
	struct agent_msg m;
	enum agent_event ev;
	word_t pa0 = tap_frame(va_a(0), PAT), pa1 = tap_frame(va_a(1), PAT + 1);
	word_t addr = va_c(0) + 0x128;

	((volatile word_t *)va_a(0))[0x128 / 8] = PAT + 0x128;
	ev = agent_cmd(&c, &m, AG_READ, 1, addr);
	ok(is_fault(ev, &m, addr, FPAGE_R), "C's read reaches me: label %lx, u %u, address %lx",
	   tag_label(m.tag), tag_u(m.tag), m.mr[PF_MSG_ADDR]);
	ok(in_image(m.mr[PF_MSG_IP]) && m.mr[PF_MSG_IP] == c.fault_ip,
	   "MR2 is the faulting instruction (%lx)", m.mr[PF_MSG_IP]);
	msg_tag(0, 0, 0);
	ev = reply(&c, &m);
	ok(is_fault(ev, &m, addr, FPAGE_R), "a reply without a mapping: C faults again");
	msg_tag(0, 0, 2);
	msg_map_item(1, addr, fpage_make(va_a(7), 12, FPAGE_RW), false);
	ev = reply(&c, &m);
	ok(is_fault(ev, &m, addr, FPAGE_R), "a reply mapping a page I do not have: C faults again");
	msg_tag(0, 0, 2);
	msg_map_item(1, addr, fpage_make(va_a(0), 12, FPAGE_R), false);
	ev = reply(&c, &m);
	ok(ev == AGENT_DONE && m.mr[1] == PAT + 0x128, "a reply with a map item resolves it: C read %lx",
	   m.mr[1]);

	ev = agent_cmd(&c, &m, AG_WRITE, 2, addr, PAT + 2);
	ok(is_fault(ev, &m, addr, FPAGE_W), "C's write to its read-only page: a write fault (%lx)",
	   tag_label(m.tag));
	msg_tag(0, 0, 2);
	msg_map_item(1, addr, fpage_make(va_a(0), 12, FPAGE_RW), false);
	ev = reply(&c, &m);
	ok(ev == AGENT_DONE && ((volatile word_t *)va_a(0))[0x128 / 8] == PAT + 2,
	   "mapped writable, the write completes into my frame");

	ev = agent_cmd(&c, &m, AG_READ, 1, va_c(2));
	ok(is_fault(ev, &m, va_c(2), FPAGE_R), "C faults on another page");
	ok(agent_blocked(&c, EXREG_STATE_RECEIVING), "C waits for my reply");
	ok_err(sys_exchange_registers(c.tid, EXREG_ABORT_RECV, NULL, NULL, NULL, NULL, NULL), E_OK,
	       "I abort C's wait instead of replying");
	ev = agent_wait(&c, &m);
	ok(is_fault(ev, &m, va_c(2), FPAGE_R), "C retries the access and faults again");
	msg_tag(0, 0, 2);
	msg_map_item(1, va_c(2), fpage_make(va_a(0), 12, FPAGE_R), false);
	ev = reply(&c, &m);
	ok(ev == AGENT_DONE && m.mr[1] == PAT, "this time a reply resolves it");

	ev = agent_cmd(&c, &m, AG_EXEC, 1, va_c(0));
	ok(is_fault(ev, &m, va_c(0), FPAGE_X) && m.mr[PF_MSG_IP] == va_c(0),
	   "C jumps into its data page (no x): an execute fault at ip = address (%lx)",
	   tag_label(m.tag));
	ok(agent_recover(&c), "C recovers");
	ev = agent_cmd(&c, &m, AG_EXEC, 1, va_c(5));
	ok(is_fault(ev, &m, va_c(5), FPAGE_X), "C jumps to an unmapped page: an execute fault");
	ok(agent_recover(&c), "C recovers");

	ev = agent_cmd(&c, &m, AG_READ, 1, va_c(1));
	ok(is_fault(ev, &m, va_c(1), FPAGE_R), "C faults on a second page");
	msg_map_item(1, va_c(1), fpage_make(va_a(1), 12, FPAGE_RW), false);
	utcb()->mr[0] = tag_make(0, 0, 1);
	ok_err(ipc_send(c.tid, TIMEOUT_ZERO), E_IPC_BAD_ITEM,
	       "a reply with a malformed item (t = 1) fails for the pager");
	handler_hears(&c, va_c(1), FPAGE_R, true);
	ok(agent_stopped(&c), "and the kernel stops C");
	ok_err(agent_stop(&c), E_OK, "delete C");
	ok(agent_start(&c, 0, 6, true), "a new C runs");
	ok_err(sigma0_free(pa0, 12), E_OK, "frame back to sigma0");
	ok_err(sigma0_free(pa1, 12), E_OK, "frame back to sigma0");
}

/* A pager thread in another space than its client: P (in my space)
 * pages C (in its own). */
static void test_other_pager(void)
{
	struct agent_msg m;
	word_t pa = tap_frame(va_a(2), PAT + 20), pager = TID_NIL, err;

	ok_err(set_pager(&c, p.tid), E_OK, "P becomes C's pager");
	err = sys_exchange_registers(c.tid, 0, NULL, NULL, NULL, &pager, NULL);
	ok(err == E_OK && pager == p.tid, "exchange_registers reads it back (%lx)", pager);
	agent_post(&p, AG_IPC, 5, TID_NIL, TID_ANY, timeouts(0, AGENT_WAIT_US), FPAGE_NIL, 0);
	agent_post(&c, AG_READ, 1, va_c(2));
	ok(agent_wait(&p, &m) == AGENT_DONE && m.mr[1] == E_OK && m.mr[2] == c.tid &&
	   tag_label(m.mr[3]) == (LABEL_PAGEFAULT | FPAGE_R) && m.mr[4] == va_c(2),
	   "P receives C's fault message (from %lx, label %lx)", m.mr[2], tag_label(m.mr[3]));
	agent_post(&p, AG_IPC, 8, c.tid, TID_NIL, timeouts(TIMEOUT_ZERO, 0), FPAGE_NIL,
		   tag_make(0, 0, 2), va_c(2) | ITEM_MAP, fpage_make(va_a(2), 12, FPAGE_R), (word_t)0);
	ok(agent_wait(&p, &m) == AGENT_DONE && m.mr[1] == E_OK, "P replies with a map item");
	ok(agent_wait(&c, &m) == AGENT_DONE && m.mr[1] == PAT + 20, "C's read completes (%lx)",
	   m.mr[1]);
	ok_err(set_pager(&c, libmap_myself), E_OK, "I am C's pager again");
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
}

/* A refused fault (reply label != 0) goes to the exception handler. */
static void test_refused(void)
{
	struct agent_msg m;
	enum agent_event ev = agent_cmd(&c, &m, AG_READ, 1, va_c(3));

	ok(is_fault(ev, &m, va_c(3), FPAGE_R), "C faults");
	msg_tag(1, 0, 0);
	ev = reply(&c, &m);
	ok(ev == AGENT_EXCEPTION && m.mr[EXC_MSG_VECTOR] == 14 &&
	   m.mr[EXC_MSG_ERROR] == (FPAGE_R | 1 << 8) && m.mr[EXC_MSG_ADDR] == va_c(3),
	   "I refuse: the fault comes to C's exception handler as vector %lu, access %lx and reason 1, at %lx",
	   m.mr[EXC_MSG_VECTOR], m.mr[EXC_MSG_ERROR], m.mr[EXC_MSG_ADDR]);
	msg_tag(1, 0, 0);
	ok_err(ipc_send(c.tid, TIMEOUT_ZERO), E_OK, "the handler refuses too");
	ok(agent_stopped(&c), "and the kernel stops C");
	ok_err(agent_stop(&c), E_OK, "delete C");
	ok(agent_start(&c, 0, 2, true), "a new C runs: the system goes on");
}

/* Scenario 9: the pager goes away while its client waits. */
static void test_pager_deleted(void)
{
	struct agent_msg m;
	struct agent q;
	word_t v = 0, pa = tap_frame(va_a(3), PAT + 30);

	ok(agent_start(&q, 2, 1, false), "a second pager Q (my space)");
	set_pager(&c, q.tid);
	agent_post(&c, AG_READ, 1, va_c(4));
	ok(agent_blocked(&c, EXREG_STATE_SENDING), "C faults and waits to send to Q (Q is busy)");
	ok_err(agent_stop(&q), E_OK, "delete Q");
	handler_hears(&c, va_c(4), FPAGE_R, true);
	ok(agent_stopped(&c), "C is stopped (the kernel says why on the console)");
	ok_err(agent_stop(&c), E_OK, "delete C");

	ok(agent_start(&c, 0, 3, true) && agent_start(&q, 2, 2, false), "new C and Q");
	set_pager(&c, q.tid);
	agent_post(&q, AG_IPC, 5, TID_NIL, TID_ANY, timeouts(0, AGENT_WAIT_US), FPAGE_NIL, 0);
	agent_post(&c, AG_READ, 1, va_c(5));
	ok(agent_wait(&q, &m) == AGENT_DONE && m.mr[2] == c.tid, "Q receives C's fault");
	ok(agent_blocked(&c, EXREG_STATE_RECEIVING), "C waits for Q's reply");
	ok_err(agent_stop(&q), E_OK, "delete Q before it replies");
	handler_hears(&c, va_c(5), FPAGE_R, true);
	ok(agent_stopped(&c), "C is stopped");
	ok_err(agent_stop(&c), E_OK, "delete C");

	ok(agent_start(&c, 0, 4, true), "a new C");
	ok_err(set_pager(&c, TID_NIL), E_OK, "C's pager set to nil");
	agent_post(&c, AG_READ, 1, va_c(3) + 8);
	if (handler_hears(&c, va_c(3) + 8, FPAGE_R, false)) {
		ok_err(set_pager(&c, libmap_myself), E_OK, "the handler gives C a pager");
		msg_tag(0, 0, 0);
		ok_err(ipc_send(c.tid, TIMEOUT_ZERO), E_OK, "and resumes it unchanged");
		ok(agent_wait(&c, &m) == AGENT_FAULT && c.fault_addr == va_c(3) + 8,
		   "C faults again, now to its new pager");
		msg_tag(0, 0, 2);
		msg_map_item(1, va_c(3), fpage_make(va_a(3), 12, FPAGE_R), false);
		ok(reply(&c, &m) == AGENT_DONE && m.mr[1] == ~(PAT + 30), "which resolves it");
	}

	ok_err(set_pager(&c, c.tid), E_OK, "C becomes its own pager");
	agent_post(&c, AG_READ, 1, va_c(7) + 16);
	if (handler_hears(&c, va_c(7) + 16, FPAGE_R, false)) {
		set_pager(&c, libmap_myself);
		msg_tag(0, 0, 0);
		ok(reply(&c, &m) == AGENT_FAULT && c.fault_addr == va_c(7) + 16,
		   "(no IPC to oneself) I give it a pager and resume it: it faults to me");
		msg_tag(0, 0, 2);
		msg_map_item(1, va_c(7), fpage_make(va_a(3), 12, FPAGE_R), false);
		ok(reply(&c, &m) == AGENT_DONE && m.mr[1] == 0, "and I resolve it");
	}

	ok_err(sys_thread_control(c.tid, TID_ANY, TID_NIL, TID_NIL, 0, TC_FLAG_EXC_HANDLER), E_OK,
	       "C's exception handler set to nil");
	ok_err(set_pager(&c, TID_NIL), E_OK, "and its pager");
	agent_post(&c, AG_READ, 1, va_c(6));
	ok(agent_stopped(&c), "with neither, C's fault stops it at once");
	ok_err(agent_stop(&c), E_OK, "delete C");

	ok(agent_start(&c, 0, 5, true), "the system goes on: a new C runs");
	ok(agent_read(&p, va_a(3), &v) && v == PAT + 30, "and P still works");
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "round_trip", test_round_trip },
		{ "other_pager", test_other_pager },
		{ "refused", test_refused },
		{ "deleted", test_pager_deleted },
	};

	if (!ok(agent_start(&c, 0, 1, true) && agent_start(&p, 1, 1, false),
		"agents C (new space) and P (my space) run"))
		return tap_done("pager");
	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	ok_err(agent_stop(&c), E_OK, "delete C");
	ok_err(agent_stop(&p), E_OK, "delete P");
	return tap_done("pager");
}
