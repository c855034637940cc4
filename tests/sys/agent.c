/* SPDX-License-Identifier: MIT */
/* Agents: threads a system test drives by IPC (see agent.h). */
#include "agent.h"
#include <stdarg.h>

/* One stack page per agent; an agent in a new space gets its page mapped
 * at the same address. Only the agents touch them. */
static char agent_stack[AGENT_MAX][4096] __attribute__((aligned(4096)));

/* ---- the agent side: no globals from here to agent_entry ---- */

static void agent_trap(struct utcb *u)
{
	register word_t r12 __asm__("r12");
	word_t b;

	switch (u->mr[1]) {
	case AG_TRAP_UD2:
		__asm__ volatile("lea 1f(%%rip), %%rbx\n\tmov %%rbx, %%r12\n\t"
				 "mov %2, %%r13\n\tmov %3, %%r14\n\tud2\n1:"
				 : "=b"(b), "=r"(r12) : "i"(AG_R13), "i"(AG_R14) : "r13", "r14", "memory");
		break;
	case AG_TRAP_INT3:
		__asm__ volatile("lea 1f(%%rip), %%rbx\n\tmov %%rbx, %%r12\n\t"
				 "mov %2, %%r13\n\tmov %3, %%r14\n\tint3\n1:"
				 : "=b"(b), "=r"(r12) : "i"(AG_R13), "i"(AG_R14) : "r13", "r14", "memory");
		break;
	default:
		__asm__ volatile("lea 1f(%%rip), %%rbx\n\tmov %%rbx, %%r12\n\t"
				 "mov %2, %%r13\n\tmov %3, %%r14\n\t"
				 "xor %%ecx, %%ecx\n\txor %%edx, %%edx\n\tmov $1, %%eax\n\tdiv %%rcx\n1:"
				 : "=b"(b), "=r"(r12) : "i"(AG_R13), "i"(AG_R14)
				 : "rax", "rcx", "rdx", "r13", "r14", "memory");
		break;
	}
	u->mr[0] = tag_make(AG_DONE, 2, 0);
	u->mr[1] = b;
	u->mr[2] = r12;
}

static void agent_ipc(struct utcb *u)
{
	word_t *m = u->mr, to = m[1], from = m[2], tmo = m[3], sender = TID_NIL, err;
	word_t w[4] = { m[6], m[7], m[8], m[9] };

	u->br[0] = m[4];
	m[0] = m[5];
	for (unsigned i = 0; i < 4; i++)
		m[1 + i] = w[i];
	err = ipc(to, from, tmo, &sender);
	for (unsigned i = 0; i < 4; i++)
		w[i] = m[1 + i];
	m[3] = m[0];
	m[0] = tag_make(AG_DONE, 8, 0);
	m[1] = err;
	m[2] = sender;
	for (unsigned i = 0; i < 4; i++)
		m[4 + i] = w[i];
	m[8] = u->sender;
}

static void agent_syscall(struct utcb *u)
{
	word_t *m = u->mr;
	struct sysregs r = { m[1], m[2], m[3], m[4], m[5], m[6], m[7] };

	syscall_raw(&r);
	m[0] = tag_make(AG_DONE, 7, 0);
	m[1] = r.rax;
	m[2] = r.rdi;
	m[3] = r.rsi;
	m[4] = r.rdx;
	m[5] = r.r10;
	m[6] = r.r8;
	m[7] = r.r9;
}

static void agent_do(struct utcb *u)
{
	word_t *m = u->mr, op = tag_label(m[0]), x;
	unsigned n = tag_u(m[0]);

	switch (op) {
	case AG_READ:
		m[1] = *(volatile word_t *)m[1];
		m[0] = tag_make(AG_DONE, 1, 0);
		break;
	case AG_WRITE:
		*(volatile word_t *)m[1] = m[2];
		m[0] = tag_make(AG_DONE, 0, 0);
		break;
	case AG_EXEC:
		((void (*)(void))m[1])();
		m[0] = tag_make(AG_DONE, 0, 0);
		break;
	case AG_UNMAP:
		x = m[1];
		m[0] = m[2];
		m[1] = sys_unmap(x);
		m[2] = m[0];
		m[0] = tag_make(AG_DONE, 2, 0);
		break;
	case AG_IPC:
		agent_ipc(u);
		break;
	case AG_SYSCALL:
		agent_syscall(u);
		break;
	case AG_ECHO:
		for (unsigned i = 1; i <= n; i++)
			m[i] += i;
		m[0] = tag_make(AG_DONE, n, 0);
		break;
	case AG_TRAP:
		agent_trap(u);
		break;
	default:
		m[0] = tag_make(AG_FAILED, 1, 0);
		m[1] = E_BAD_ARGUMENT;
		break;
	}
}

/* An agent's life: report ready, then serve commands from the controller
 * (its exception handler) for ever. */
static __attribute__((noreturn)) void agent_entry(void)
{
	struct utcb *u = utcb();
	word_t ctl = u->exc_handler, err;

	u->mr[0] = tag_make(AG_READY, 0, 0);
	for (;;) {
		err = ipc(ctl, ctl, timeouts(TIMEOUT_NEVER, TIMEOUT_NEVER), NULL);
		if (err) {
			u->mr[0] = tag_make(AG_FAILED, 1, 0);
			u->mr[1] = err;
			continue;
		}
		agent_do(u);
	}
}

/* ---- the controller side ---- */

word_t agent_stack_top(const struct agent *a)
{
	return (word_t)agent_stack[a->k] + 4096;
}

static word_t agent_sp(const struct agent *a)
{
	return agent_stack_top(a) - 8;
}

/* Serve a fault of an agent in a new space on its stack or on the image:
 * true if done. (In the controller's space both are always mapped.) */
static bool agent_page(struct agent *a, word_t addr)
{
	word_t stack = (word_t)agent_stack[a->k], img_end = (word_t)_end;

	if (!a->new_space)
		return false;
	if (addr - stack < 4096) {
		msg_tag(0, 0, 2);
		msg_map_item(1, stack, fpage_make(stack, 12, FPAGE_RW), false);
	} else if (addr - USER_IMAGE_BASE < img_end - USER_IMAGE_BASE) {
		msg_tag(0, 0, 2);
		msg_map_item(1, USER_IMAGE_BASE, fpage_make(USER_IMAGE_BASE, 22, FPAGE_RX), false);
	} else {
		return false;
	}
	return ipc_send(a->tid, TIMEOUT_ZERO) == E_OK;
}

enum agent_event agent_wait(struct agent *a, struct agent_msg *m)
{
	struct utcb *u = utcb();
	word_t label;

	for (;;) {
		m->err = ipc_receive(a->tid, AGENT_WAIT_US, NULL);
		m->tag = u->mr[0];
		for (unsigned i = 1; i < ARRAY_SIZE(m->mr); i++)
			m->mr[i] = u->mr[i];
		if (m->err)
			return AGENT_FAILED;
		label = tag_label(m->tag);
		if ((label & ~(word_t)FPAGE_RWX) == LABEL_PAGEFAULT) {
			if (agent_page(a, m->mr[PF_MSG_ADDR]))
				continue;
			a->fault_addr = m->mr[PF_MSG_ADDR];
			a->fault_ip = m->mr[PF_MSG_IP];
			a->fault_access = (unsigned)label & FPAGE_RWX;
			return AGENT_FAULT;
		}
		if (label == LABEL_EXCEPTION)
			return AGENT_EXCEPTION;
		return label == AG_FAILED ? AGENT_FAILED : AGENT_DONE;
	}
}

static word_t agent_vpost(struct agent *a, word_t op, unsigned n, va_list ap)
{
	struct utcb *u = utcb();

	for (unsigned i = 1; i <= n; i++)
		u->mr[i] = va_arg(ap, word_t);
	u->mr[0] = tag_make(op, n, 0);
	return ipc_send(a->tid, AGENT_WAIT_US);
}

word_t agent_post(struct agent *a, word_t op, unsigned n, ...)
{
	va_list ap;
	word_t err;

	va_start(ap, n);
	err = agent_vpost(a, op, n, ap);
	va_end(ap);
	return err;
}

enum agent_event agent_cmd(struct agent *a, struct agent_msg *m, word_t op, unsigned n, ...)
{
	va_list ap;
	word_t err;

	va_start(ap, n);
	err = agent_vpost(a, op, n, ap);
	va_end(ap);
	if (err) {
		m->err = err;
		return AGENT_FAILED;
	}
	return agent_wait(a, m);
}

/* Wait for AG_READY, resolving the faults on the way there. */
static bool agent_ready(struct agent *a)
{
	struct agent_msg m;

	return agent_wait(a, &m) == AGENT_DONE && tag_label(m.tag) == AG_READY;
}

bool agent_start(struct agent *a, unsigned k, unsigned version, bool new_space)
{
	static bool prefaulted;
	word_t utcb_va = UTCB_AREA_BASE + (new_space ? 0 : (1 + k) * UTCB_SIZE);
	word_t sp, ip = (word_t)agent_entry, err;

	if (!prefaulted) {
		tap_prefault(16 * 4096);
		prefaulted = true;
	}
	a->tid = tap_tid(k, version);
	a->k = k;
	a->new_space = new_space;
	sp = agent_sp(a);
	err = sys_thread_control(a->tid, new_space ? a->tid : libmap_myself, libmap_myself,
				 libmap_myself, utcb_va, TC_FLAG_EXC_HANDLER);
	if (err) {
		printf("agent %u: thread_control: error %lu\n", k, err);
		return false;
	}
	err = sys_exchange_registers(a->tid, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME, &sp, &ip,
				     NULL, NULL, NULL);
	return !err && agent_ready(a);
}

word_t agent_stop(struct agent *a)
{
	return sys_thread_control(a->tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
}

bool agent_recover(struct agent *a)
{
	word_t sp = agent_sp(a), ip = (word_t)agent_entry;

	if (sys_exchange_registers(a->tid, EXREG_SET_IP | EXREG_SET_SP, &sp, &ip, NULL, NULL, NULL))
		return false;
	msg_tag(0, 0, 0);
	if (ipc_send(a->tid, TIMEOUT_ZERO))
		return false;
	return agent_ready(a);
}

/* The outcome of a read or write command: true if it completed. */
static bool agent_access_done(struct agent *a, enum agent_event ev)
{
	if (ev == AGENT_DONE)
		return true;
	if (ev == AGENT_FAULT || ev == AGENT_EXCEPTION)
		agent_recover(a);
	else
		printf("agent %u: no answer\n", a->k);
	return false;
}

bool agent_read(struct agent *a, word_t va, word_t *val)
{
	struct agent_msg m;
	enum agent_event ev = agent_cmd(a, &m, AG_READ, 1, va);

	if (!agent_access_done(a, ev))
		return false;
	*val = m.mr[1];
	return true;
}

bool agent_write(struct agent *a, word_t va, word_t val)
{
	struct agent_msg m;

	return agent_access_done(a, agent_cmd(a, &m, AG_WRITE, 2, va, val));
}

word_t agent_unmap(struct agent *a, word_t control, word_t fpage, word_t *status)
{
	struct agent_msg m;

	if (agent_cmd(a, &m, AG_UNMAP, 2, control, fpage) != AGENT_DONE)
		return ~(word_t)0;
	if (status)
		*status = m.mr[2];
	return m.mr[1];
}

word_t agent_give(struct agent *a, word_t hot, word_t fp, bool grant, word_t window,
		  word_t *rcv_err)
{
	struct agent_msg m;
	word_t err;

	*rcv_err = ~(word_t)0;
	err = agent_post(a, AG_IPC, 5, TID_NIL, libmap_myself, timeouts(0, AGENT_WAIT_US), window,
			 tag_make(0, 0, 0));
	if (err)
		return err;
	msg_tag(0, 0, 2);
	msg_map_item(1, hot, fp, grant);
	err = ipc_send(a->tid, AGENT_WAIT_US);
	if (agent_wait(a, &m) == AGENT_DONE)
		*rcv_err = m.mr[1];
	return err;
}

word_t agent_pass(struct agent *from, struct agent *to, word_t hot, word_t fp, bool grant,
		  word_t window, word_t *rcv_err)
{
	struct agent_msg m;
	word_t w0 = (hot & ~(word_t)0xfff) | (grant ? ITEM_GRANT : ITEM_MAP), err = ~(word_t)0;

	*rcv_err = ~(word_t)0;
	if (agent_post(to, AG_IPC, 5, TID_NIL, from->tid, timeouts(0, AGENT_WAIT_US), window,
		       tag_make(0, 0, 0)))
		return err;
	if (agent_post(from, AG_IPC, 7, to->tid, TID_NIL, timeouts(AGENT_WAIT_US, 0), FPAGE_NIL,
		       tag_make(0, 0, 2), w0, fp) == E_OK &&
	    agent_wait(from, &m) == AGENT_DONE)
		err = m.mr[1];
	if (agent_wait(to, &m) == AGENT_DONE)
		*rcv_err = m.mr[1];
	return err;
}

bool agent_blocked(struct agent *a, word_t state)
{
	word_t st = 0;

	for (unsigned i = 0; i < 100; i++) {
		if (sys_exchange_registers(a->tid, 0, NULL, NULL, NULL, NULL, &st) == E_OK &&
		    (st & state))
			return true;
		sys_thread_switch(a->tid);
	}
	return false;
}

bool agent_stopped(struct agent *a)
{
	for (unsigned i = 0; i < 20; i++) {
		if (sys_exchange_registers(a->tid, EXREG_RESUME, NULL, NULL, NULL, NULL, NULL) ==
		    E_BAD_THREAD)
			return true;
		sys_thread_switch(TID_NIL);
	}
	return false;
}
