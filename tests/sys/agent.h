/* SPDX-License-Identifier: MIT */
/*
 * Agents: threads a system test drives by IPC, in its own address space
 * or each in a new one, to act out the other parties of a scenario (a
 * receiver of mappings, a client that faults, a partner that is deleted).
 *
 * The test's main thread is the controller: the pager and exception
 * handler of every agent. An agent in a new space runs the very code of
 * the test, which the controller maps to it read-only on demand, on a
 * stack page of the controller's that it maps read-write; an agent never
 * writes a global. Its loop: tell the controller it is ready, then for
 * each command (a message with label AG_*) do it and answer with AG_DONE.
 *
 * A fault of an agent anywhere else (the memory a test is about) reaches
 * the controller as an ordinary page-fault message; agent_wait reports it
 * as AGENT_FAULT and agent_recover restarts the agent's loop, so a test
 * can probe "is this page there, with these rights" in any space.
 */
#ifndef TESTS_AGENT_H
#define TESTS_AGENT_H

#include "tap.h"

#define AGENT_MAX 12           /* agents of one test at a time (stack pages) */
#define AGENT_WAIT_US 1000000  /* the longest a test waits for an agent */

enum agent_op {
	AG_READY = 0x6100,  /* agent -> controller: idle, awaiting a command */
	AG_DONE,            /* agent -> controller: the result in MR1.. */
	AG_FAILED,          /* agent -> controller: its own IPC failed, MR1 = error */
	AG_READ,            /* MR1 = va -> MR1 = the word at va */
	AG_WRITE,           /* MR1 = va, MR2 = value to store there */
	AG_EXEC,            /* MR1 = va: call it */
	AG_UNMAP,           /* MR1 = control, MR2 = fpage -> MR1 = error, MR2 = fpage out */
	AG_IPC,             /* MR1 = to, MR2 = from, MR3 = timeouts, MR4 = BR0, MR5 = tag,
			     * MR6..MR9 = MR1..MR4 to send -> MR1 = error, MR2 = sender,
			     * MR3 = tag, MR4..MR7 = MR1..MR4 received, MR8 = utcb sender */
	AG_SYSCALL,         /* MR1..MR7 = rax, rdi, rsi, rdx, r10, r8, r9 -> the same after */
	AG_ECHO,            /* MR1..MRu -> MRi + i, with the same u */
	AG_TRAP,            /* MR1 = AG_TRAP_*: raise it -> MR1 = rbx after, MR2 = resume ip */
};

enum agent_trap {
	AG_TRAP_UD2 = 1,    /* ud2 (#UD, a fault: rip at the instruction) */
	AG_TRAP_INT3,       /* int3 (#BP, a trap: rip after it) */
	AG_TRAP_DIV0,       /* div by zero (#DE, a fault) */
};
/* Before each trap the agent loads rbx = r12 = the resume address (just
 * after the instruction), r13 = AG_R13 and r14 = AG_R14. */
#define AG_R13 0x1313131313ull
#define AG_R14 0x1414141414ull

/* What agent_wait saw. */
enum agent_event {
	AGENT_DONE,         /* AG_DONE or AG_READY: m holds the message */
	AGENT_FAULT,        /* a page fault the controller does not resolve */
	AGENT_EXCEPTION,    /* an exception message (m holds it) */
	AGENT_FAILED,       /* AG_FAILED, or receiving from the agent failed */
};

struct agent {
	word_t tid;
	unsigned k;          /* index: thread id and stack page */
	bool new_space;
	word_t fault_addr, fault_ip;   /* the last AGENT_FAULT */
	unsigned fault_access;
};

struct agent_msg {
	word_t err;          /* of the controller's receive */
	word_t tag;
	word_t mr[24];       /* MR1..: mr[1] is MR1 */
};

/* Create agent k (thread tap_tid(k, version)) in this space or in a new
 * one, paged and handled by the calling thread; wait until it is ready. */
bool agent_start(struct agent *a, unsigned k, unsigned version, bool new_space);
/* Delete its thread (and with a new space, the space). */
word_t agent_stop(struct agent *a);

/* The top of the agent's stack page (the same address in every space). */
word_t agent_stack_top(const struct agent *a);

/* Send command `op` with n words (the agent must be idle). */
word_t agent_post(struct agent *a, word_t op, unsigned n, ...);
/* Wait for the agent's next message, resolving faults on its code and
 * stack. */
enum agent_event agent_wait(struct agent *a, struct agent_msg *m);
/* post + wait. */
enum agent_event agent_cmd(struct agent *a, struct agent_msg *m, word_t op, unsigned n, ...);
/* After AGENT_FAULT or AGENT_EXCEPTION: restart its loop, wait until ready. */
bool agent_recover(struct agent *a);

/* Let the agent run until exchange_registers reports it in `state`
 * (EXREG_STATE_SENDING/RECEIVING); false if it never gets there. */
bool agent_blocked(struct agent *a, word_t state);

/* Has the kernel stopped the agent for good (after a fault nobody
 * handled)? A stopped thread cannot be resumed: exchange_registers with
 * EXREG_RESUME says E_BAD_THREAD. Lets it run first, to get there. */
bool agent_stopped(struct agent *a);

/* Can the agent read / write the word at va? On a fault the agent is
 * recovered and false returned (a->fault_* say what happened). */
bool agent_read(struct agent *a, word_t va, word_t *val);
bool agent_write(struct agent *a, word_t va, word_t val);
/* Unmap in the agent's space; the error, and *status the fpage after. */
word_t agent_unmap(struct agent *a, word_t control, word_t fpage, word_t *status);

/* Map (or grant) the caller's fpage `fp` (hot spot `hot`) to agent a,
 * which receives it with receive window `window`. Returns the sender's
 * IPC error; *rcv_err the agent's. */
word_t agent_give(struct agent *a, word_t hot, word_t fp, bool grant, word_t window,
		  word_t *rcv_err);
/* Agent `from` maps (grants) its fpage to agent `to` (window). Returns
 * from's send error; *rcv_err to's receive error. */
word_t agent_pass(struct agent *from, struct agent *to, word_t hot, word_t fp, bool grant,
		  word_t window, word_t *rcv_err);

#endif
