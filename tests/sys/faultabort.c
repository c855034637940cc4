/* SPDX-License-Identifier: MIT */
/*
 * A fault IPC to a pager that does not answer can be seen and aborted
 * (issue 8, class 7). Agent A, in a new space, is paged by this task,
 * which does not answer: A's fault IPC shows as EXREG_STATE_FAULTING,
 * blocked in its send phase (the pager is not receiving) or its receive
 * phase (the pager took the fault and keeps silent). Aborting either ends
 * the IPC (A retries the access, or stays halted); deleting A needs no
 * answer at all, and gives every byte back.
 */
#include "agent.h"

static struct agent a;

static word_t kfree(void)
{
	word_t index = 0, free = kdb_kmem_free(&index);

	return free + index;
}

static word_t state(word_t tid)
{
	word_t st = 0;

	sys_exchange_registers(tid, 0, NULL, NULL, NULL, NULL, &st);
	return st;
}

static word_t exreg(word_t control)
{
	return sys_exchange_registers(a.tid, control, NULL, NULL, NULL, NULL, NULL);
}

static void test_abort(void)
{
	struct agent_msg m;
	word_t before = kfree(), st;

	ok(agent_start(&a, 0, 1, true), "agent A in a new space, paged by me");
	agent_post(&a, AG_READ, 1, TEST_VA_C);
	ok(agent_blocked(&a, EXREG_STATE_SENDING), "A faults and waits for me");
	st = state(a.tid);
	ok(st == (EXREG_STATE_SENDING | EXREG_STATE_FAULTING),
	   "exchange_registers says: sending a fault IPC (state %lx)", st);
	ok_err(exreg(EXREG_ABORT_SEND | EXREG_HALT), E_OK, "abort its send phase and halt it");
	st = state(a.tid);
	ok(st == EXREG_STATE_HALTED, "it is halted, in no IPC (state %lx)", st);
	ok_err(exreg(EXREG_RESUME), E_OK, "resume it: it retries the access");
	ok(agent_wait(&a, &m) == AGENT_FAULT && a.fault_addr == TEST_VA_C,
	   "the same fault comes again; I take it and keep silent");
	st = state(a.tid);
	ok(st == (EXREG_STATE_RECEIVING | EXREG_STATE_FAULTING),
	   "now it waits for my answer (state %lx)", st);
	ok_err(exreg(EXREG_ABORT_RECV), E_OK, "abort its receive phase");
	ok(agent_wait(&a, &m) == AGENT_FAULT && a.fault_addr == TEST_VA_C,
	   "it retried the access and faults again");
	ok(state(a.tid) == (EXREG_STATE_RECEIVING | EXREG_STATE_FAULTING), "waiting again");
	ok_err(agent_stop(&a), E_OK, "delete A in the middle of its fault IPC");
	ok(kfree() == before, "every byte of kernel memory is back (%lu, %lu)", before, kfree());
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	tap_prefault(16 * 4096);
	test_abort();
	return tap_done("faultabort");
}
