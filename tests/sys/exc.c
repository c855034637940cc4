/* SPDX-License-Identifier: MIT */
/*
 * Exceptions as IPC: an agent executes ud2, int3 and a division by zero;
 * this task, its exception handler, receives LABEL_EXCEPTION with the
 * register state, replies with rip past the instruction (and a changed
 * register), and the agent goes on. Replies that cannot be applied, a
 * refusal and a missing handler stop the thread; the rest goes on.
 */
#include "agent.h"

static struct agent e, f;

/* Let agent a raise trap `which`; the exception message in *m. */
static bool trap(struct agent *a, unsigned which, unsigned vector, struct agent_msg *m,
		 const char *name)
{
	enum agent_event ev = agent_cmd(a, m, AG_TRAP, 1, (word_t)which);
	word_t resume = m->mr[EXC_MSG_R12], rsp = m->mr[EXC_MSG_RSP];

	if (!ok(ev == AGENT_EXCEPTION && tag_label(m->tag) == LABEL_EXCEPTION &&
		tag_u(m->tag) == EXC_MSG_LENGTH && tag_t(m->tag) == 0,
		"%s reaches the exception handler (label %lx, u %u)", name, tag_label(m->tag),
		tag_u(m->tag)))
		return false;
	ok(m->mr[EXC_MSG_VECTOR] == vector, "%s: vector %lu (want %u)", name, m->mr[EXC_MSG_VECTOR],
	   vector);
	ok(m->mr[EXC_MSG_RBX] == resume && m->mr[EXC_MSG_R13] == AG_R13 &&
	   m->mr[EXC_MSG_R14] == AG_R14, "%s: the message carries the registers (rbx %lx, r13 %lx)",
	   name, m->mr[EXC_MSG_RBX], m->mr[EXC_MSG_R13]);
	ok(rsp < agent_stack_top(a) && rsp > agent_stack_top(a) - 4096 && (m->mr[EXC_MSG_RFLAGS] & 0x200),
	   "%s: rsp %lx on the agent's stack, rflags %lx with IF", name, rsp,
	   m->mr[EXC_MSG_RFLAGS]);
	ok(m->mr[EXC_MSG_ADDR] == 0, "%s: no fault address", name);
	return true;
}

/* Reply with the registers of m, rip and rbx replaced. */
static word_t reply_regs(struct agent *a, const struct agent_msg *m, word_t rip, word_t rbx)
{
	struct utcb *u = utcb();

	for (unsigned i = 1; i <= EXC_MSG_LENGTH; i++)
		u->mr[i] = m->mr[i];
	u->mr[EXC_MSG_RIP] = rip;
	u->mr[EXC_MSG_RBX] = rbx;
	u->mr[0] = tag_make(0, EXC_MSG_LENGTH, 0);
	return ipc_send(a->tid, TIMEOUT_ZERO);
}

/* After the reply: did the agent go on, and with which rbx? */
static bool resumed(struct agent *a, word_t want_rbx, word_t want_resume, const char *name)
{
	struct agent_msg m;
	enum agent_event ev = agent_wait(a, &m);

	return ok(ev == AGENT_DONE && m.mr[1] == want_rbx && m.mr[2] == want_resume,
		  "%s: the thread went on past the instruction (rbx %lx, resume %lx)", name, m.mr[1],
		  m.mr[2]);
}

static void test_traps(struct agent *a, const char *where)
{
	struct agent_msg m;
	word_t resume;
	char name[64];

	fmt_snprintf(name, sizeof(name), "ud2 %s", where);
	if (trap(a, AG_TRAP_UD2, 6, &m, name)) {
		resume = m.mr[EXC_MSG_R12];
		ok(m.mr[EXC_MSG_RIP] == resume - 2, "%s: rip at the instruction (%lx)", name,
		   m.mr[EXC_MSG_RIP]);
		ok_err(reply_regs(a, &m, resume, 0x600d), E_OK, "the handler replies rip + 2, rbx = 600d");
		resumed(a, 0x600d, resume, name);
	}
	fmt_snprintf(name, sizeof(name), "int3 %s", where);
	if (trap(a, AG_TRAP_INT3, 3, &m, name)) {
		resume = m.mr[EXC_MSG_R12];
		ok(m.mr[EXC_MSG_RIP] == resume, "%s: a trap, rip already after it (%lx)", name,
		   m.mr[EXC_MSG_RIP]);
		msg_tag(0, 0, 0);
		ok_err(ipc_send(a->tid, TIMEOUT_ZERO), E_OK, "the handler replies u = 0");
		resumed(a, resume, resume, "int3, resumed unchanged");
	}
	fmt_snprintf(name, sizeof(name), "divide by zero %s", where);
	if (trap(a, AG_TRAP_DIV0, 0, &m, name)) {
		resume = m.mr[EXC_MSG_R12];
		ok(m.mr[EXC_MSG_RIP] == resume - 3, "%s: rip at the div (%lx)", name,
		   m.mr[EXC_MSG_RIP]);
		ok_err(reply_regs(a, &m, resume, 0xd1d0), E_OK, "the handler skips the div");
		resumed(a, 0xd1d0, resume, name);
	}
}

/* Replies that stop the thread instead. */
static void test_refusals(void)
{
	struct agent_msg m;

	if (trap(&e, AG_TRAP_UD2, 6, &m, "ud2")) {
		ok_err(reply_regs(&e, &m, 0xffff800000001000ull, 0), E_OK,
		       "the handler replies with a kernel rip");
		ok(agent_stopped(&e), "the kernel does not go there: it stops the thread");
	}
	ok_err(agent_stop(&e), E_OK, "delete it");
	ok(agent_start(&e, 0, 2, false), "a new agent E");
	if (trap(&e, AG_TRAP_UD2, 6, &m, "ud2")) {
		ok_err(reply_regs(&e, &m, 0x800000000000ull, 0), E_OK,
		       "the handler replies with a non-canonical rip");
		ok(agent_stopped(&e), "the thread is stopped");
	}
	ok_err(agent_stop(&e), E_OK, "delete it");
	ok(agent_start(&e, 0, 3, false), "a new agent E");
	if (trap(&e, AG_TRAP_INT3, 3, &m, "int3")) {
		msg_tag(1, 0, 0);
		ok_err(ipc_send(e.tid, TIMEOUT_ZERO), E_OK, "the handler refuses (label 1)");
		ok(agent_stopped(&e), "the thread is stopped");
	}
	ok_err(agent_stop(&e), E_OK, "delete it");
	ok(agent_start(&e, 0, 4, false), "a new agent E");
	ok_err(sys_thread_control(e.tid, TID_ANY, TID_NIL, TID_NIL, 0, TC_FLAG_EXC_HANDLER), E_OK,
	       "E's exception handler set to nil");
	agent_post(&e, AG_TRAP, 1, (word_t)AG_TRAP_UD2);
	ok(agent_stopped(&e), "ud2 without a handler stops the thread");
	ok_err(agent_stop(&e), E_OK, "delete it");
	ok(agent_start(&e, 0, 5, false), "the system goes on: a new agent E");
	test_traps(&e, "after all that");
}

static void test_local(void) { test_traps(&e, "(handler in the same space)"); }
static void test_remote(void) { test_traps(&f, "(handler in another space)"); }

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "local", test_local },
		{ "remote", test_remote },
		{ "refusals", test_refusals },
	};

	if (!ok(agent_start(&e, 0, 1, false) && agent_start(&f, 1, 1, true),
		"agents E (my space) and F (new space) run"))
		return tap_done("exc");
	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	ok_err(agent_stop(&e), E_OK, "delete E");
	ok_err(agent_stop(&f), E_OK, "delete F");
	return tap_done("exc");
}
