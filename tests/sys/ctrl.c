/* SPDX-License-Identifier: MIT */
/*
 * thread_control, space_control, exchange_registers, thread_switch and
 * schedule from a privileged task: creating, changing and deleting
 * threads and spaces with good and bad arguments (each bad call changes
 * nothing, not even kernel memory), quotas, privilege, halting and
 * resuming, priorities. Agent N, in a new unprivileged space, checks
 * what an unprivileged caller may not do.
 */
#include "agent.h"

static struct agent a, n;
static volatile word_t flag;

/* Free kernel memory as a whole (pool plus the mapdb's index). */
static word_t kfree(void)
{
	word_t index = 0, free = kdb_kmem_free(&index);

	return free + index;
}

static word_t tc(word_t dest, word_t space, word_t pager, word_t utcb_va, word_t flags)
{
	return sys_thread_control(dest, space, TID_NIL, pager, utcb_va, flags);
}

static word_t state(word_t tid)
{
	word_t st = 0;

	sys_exchange_registers(tid, 0, NULL, NULL, NULL, NULL, &st);
	return st;
}

/* A system call made by agent N (unprivileged); its rax. */
static word_t n_call(word_t rax, word_t rdi, word_t rsi, word_t rdx, word_t r10, word_t r8, word_t r9)
{
	struct agent_msg m;

	if (agent_cmd(&n, &m, AG_SYSCALL, 7, rax, rdi, rsi, rdx, r10, r8, r9) != AGENT_DONE)
		return ~(word_t)0;
	return m.mr[1];
}

static void test_thread_control_bad(void)
{
	static const struct { word_t tid; const char *what; } bad_dest[] = {
		{ TID_NIL, "nil" },
		{ TID_ANY, "TID_ANY" },
		{ 0, "a number beyond the table" },
		{ 0, "version 0" },
		{ 0, "a number below the user range" },
		{ 0, "the timer interrupt" },
	};
	static const struct { word_t utcb; const char *what; } bad_utcb[] = {
		{ UTCB_AREA_BASE + UTCB_SIZE + 8, "not aligned" },
		{ UTCB_AREA_BASE - UTCB_SIZE, "below the UTCB area" },
		{ UTCB_AREA_BASE + ((word_t)1 << UTCB_AREA_LOG2), "just past the UTCB area" },
		{ UTCB_AREA_BASE, "in use by my main thread" },
		{ 0xffff800000000000ull, "a kernel address" },
		{ 0, "nil" },
	};
	word_t t = tap_tid(2, 1), slot = UTCB_AREA_BASE + 5 * UTCB_SIZE, used = tap_kmem_used(libmap_myself);
	word_t free0 = kfree(), ids[ARRAY_SIZE(bad_dest)];

	ids[0] = TID_NIL;
	ids[1] = TID_ANY;
	ids[2] = tid_make(libmap_kip->max_threads + 1, 1);
	ids[3] = tid_make(tid_number(t), 0);
	ids[4] = tid_make(libmap_kip->user_base - 1, 2);     /* version 1 would be MSI line 31 */
	ids[5] = tid_irq(0);
	for (unsigned i = 0; i < ARRAY_SIZE(bad_dest); i++)
		ok_err(tc(ids[i], libmap_myself, libmap_myself, slot, 0), E_BAD_THREAD, bad_dest[i].what);
	ok_err(tc(t, tap_tid(29, 1), libmap_myself, slot, 0), E_BAD_SPACE,
	       "create in the space of a thread that does not exist");
	ok_err(tc(t, tid_make(tid_number(libmap_myself), 7), libmap_myself, slot, 0), E_BAD_SPACE,
	       "create in the space of a stale id");
	ok_err(tc(t, libmap_myself, libmap_myself, slot, 2), E_BAD_ARGUMENT, "an unknown flag");
	for (unsigned i = 0; i < ARRAY_SIZE(bad_utcb); i++) {
		ok_err(tc(t, libmap_myself, libmap_myself, bad_utcb[i].utcb, 0), E_BAD_UTCB,
		       bad_utcb[i].what);
		ok_err(tc(t, t, libmap_myself, bad_utcb[i].utcb == UTCB_AREA_BASE ? 8 : bad_utcb[i].utcb,
			  0), E_BAD_UTCB, "the same in a new space");
	}
	ok(tap_kmem_used(libmap_myself) == used && kfree() == free0,
	   "none of them cost kernel memory (mine %lu -> %lu, free %lu -> %lu)", used,
	   tap_kmem_used(libmap_myself), free0, kfree());
	ok_err(tc(t, TID_ANY, libmap_myself, 0, 0), E_BAD_THREAD, "modify a thread that does not exist");
	ok_err(tc(t, TID_NIL, TID_NIL, 0, 0), E_BAD_THREAD, "delete a thread that does not exist");
	ok_err(tc(tid_make(tid_number(libmap_myself), 9), TID_ANY, libmap_myself, 0, 0),
	       E_STALE_THREAD, "modify a stale id");
	ok_err(tc(tid_make(tid_number(libmap_myself), 9), TID_NIL, TID_NIL, 0, 0), E_STALE_THREAD,
	       "delete a stale id");
}

static void test_thread_control(void)
{
	word_t t = tap_tid(2, 1), t2 = tap_tid(3, 1), t3 = tap_tid(4, 1), pager = 0, err;
	word_t slot = UTCB_AREA_BASE + 5 * UTCB_SIZE, used = tap_kmem_used(libmap_myself), free0;
	volatile struct utcb *u5 = (volatile struct utcb *)slot;

	ok_err(tc(t, libmap_myself, libmap_myself, slot, 0), E_OK, "create a thread in my space");
	ok(state(t) == EXREG_STATE_HALTED, "it starts halted (state %lx)", state(t));
	ok(u5->my_id == t && u5->self == slot && u5->pager == libmap_myself,
	   "its UTCB appears in my UTCB area with its id, address and pager");
	ok(tap_kmem_used(libmap_myself) == used + 2 * 4096,
	   "it costs my space a TCB and a UTCB page (%lu bytes more)",
	   tap_kmem_used(libmap_myself) - used);
	ok_err(tc(t, libmap_myself, libmap_myself, slot + UTCB_SIZE, 0), E_EXISTS, "create it again");
	ok_err(tc(tid_make(tid_number(t), 2), libmap_myself, libmap_myself, slot + UTCB_SIZE, 0),
	       E_EXISTS, "create its number with another version");
	ok_err(tc(t2, libmap_myself, libmap_myself, slot, 0), E_BAD_UTCB,
	       "another thread on its UTCB slot");
	ok_err(sys_thread_control(t, TID_ANY, libmap_exit_to, libmap_exit_to, 0, TC_FLAG_EXC_HANDLER),
	       E_OK, "modify: pager and exception handler");
	err = sys_exchange_registers(t, 0, NULL, NULL, NULL, &pager, NULL);
	ok(err == E_OK && pager == libmap_exit_to && u5->pager == libmap_exit_to &&
	   u5->exc_handler == libmap_exit_to, "both changed (UTCB mirrors %lx, %lx)", u5->pager,
	   u5->exc_handler);
	ok_err(tc(t, TID_ANY, TID_NIL, 0, 0), E_OK, "modify with nil pager");
	ok(u5->pager == libmap_exit_to, "keeps the pager");
	ok_err(tc(t, TID_ANY, libmap_myself, 0, 4), E_BAD_ARGUMENT, "modify with an unknown flag");
	ok_err(tc(tid_make(tid_number(t), 2), TID_NIL, TID_NIL, 0, 0), E_STALE_THREAD,
	       "delete it by a stale id");
	ok_err(tc(t, TID_NIL, TID_NIL, 0, 0), E_OK, "delete it");
	ok_err(tc(t, TID_NIL, TID_NIL, 0, 0), E_BAD_THREAD, "delete it again");
	ok_err(sys_exchange_registers(t, 0, NULL, NULL, NULL, NULL, NULL), E_BAD_THREAD,
	       "its id names nobody");
	ok(tap_kmem_used(libmap_myself) == used, "my kernel memory is back (%lu)",
	   tap_kmem_used(libmap_myself));

	free0 = kfree();
	ok_err(tc(t2, t2, libmap_myself, UTCB_AREA_BASE, 0), E_OK, "create a thread in a new space");
	ok_err(tc(t3, t2, libmap_myself, UTCB_AREA_BASE + UTCB_SIZE, 0), E_OK,
	       "and a second thread in that space");
	ok(tap_kmem_used(t2) == tap_kmem_used(t3) && tap_kmem_used(t2) > 0,
	   "both are charged to one space (%lu bytes)", tap_kmem_used(t2));
	ok_err(tc(t2, TID_NIL, TID_NIL, 0, 0), E_OK, "delete the first");
	ok(kdb_space_kmem(t3, NULL, NULL) == E_OK, "the space lives on with the second");
	ok_err(tc(t2, t3, libmap_myself, UTCB_AREA_BASE, 0), E_OK,
	       "a thread joins it on the freed UTCB slot");
	ok_err(tc(t2, TID_NIL, TID_NIL, 0, 0), E_OK, "delete it");
	ok_err(tc(t3, TID_NIL, TID_NIL, 0, 0), E_OK, "delete the last thread: the space goes");
	ok(kfree() == free0, "all its kernel memory is back (%ld bytes missing)", (long)(free0 - kfree()));
}

static void test_space_control(void)
{
	word_t used = 0, quota = tap_kmem_quota(libmap_myself), err;

	err = sys_space_control(libmap_myself, 0, 0, &used);
	ok(err == E_OK && used == tap_kmem_used(libmap_myself), "read my space's usage (%lu)", used);
	ok_err(sys_space_control(TID_NIL, 0, 0, NULL), E_BAD_THREAD, "space_control of nil");
	ok_err(sys_space_control(tid_make(tid_number(libmap_myself), 9), 0, 0, NULL), E_STALE_THREAD,
	       "space_control of a stale id");
	ok_err(sys_space_control(tid_irq(5), 0, 0, NULL), E_BAD_THREAD,
	       "space_control of an interrupt");
	ok_err(sys_space_control(libmap_myself, 8, 0, NULL), E_BAD_ARGUMENT, "an unknown control bit");
	ok_err(sys_space_control(libmap_myself, (word_t)1 << 40, 0, NULL), E_BAD_ARGUMENT,
	       "control bit 40");
	ok_err(sys_space_control(libmap_myself, SC_SET_AREAS, 0, NULL), E_BAD_ARGUMENT,
	       "SC_SET_AREAS (areas are placed when a space is made): refused");
	ok(libmap_kip->magic == KIP_MAGIC && utcb()->my_id == libmap_myself,
	   "KIP and UTCB where they were");
	ok_err(sys_space_control(libmap_myself, SC_SET_QUOTA, 0, NULL), E_OK, "set quota 0 (= keep)");
	ok(tap_kmem_quota(libmap_myself) == quota, "the quota is kept (%lu)",
	   tap_kmem_quota(libmap_myself));
	used = tap_kmem_used(libmap_myself);
	ok_err(sys_space_control(libmap_myself, SC_SET_QUOTA, used / 2, NULL), E_NO_MEMORY,
	       "a quota below what the space uses is refused");
	ok(tap_kmem_quota(libmap_myself) == quota && kdb_check() == E_OK,
	   "the quota is unchanged and the invariants hold");
	ok_err(sys_space_control(n.tid, SC_SET_QUOTA, 1 << 20, NULL), E_OK,
	       "set a 1 MiB quota on N's space");
	ok(tap_kmem_quota(n.tid) == 1 << 20, "N's quota is 1 MiB");
	ok_err(sys_space_control(n.tid, SC_SET_QUOTA, quota, NULL), E_OK, "and back");
	ok_err(n_call(SYS_SPACE_CONTROL, n.tid, 0, 0, 0, 0, 0), E_NO_PRIVILEGE,
	       "N may not use space_control");
	ok_err(sys_space_control(n.tid, SC_PRIVILEGED, 0, NULL), E_OK, "make N's space privileged");
	ok_err(n_call(SYS_SPACE_CONTROL, n.tid, 0, 0, 0, 0, 0), E_OK, "now N may");
	ok(n_call(SYS_THREAD_CONTROL, n.tid, TID_NIL, TID_NIL, TID_NIL, 0, 0) == ~(word_t)0,
	   "N deletes itself: no answer");
	ok_err(sys_exchange_registers(n.tid, 0, NULL, NULL, NULL, NULL, NULL), E_BAD_THREAD,
	       "N is gone");
	ok(kdb_check() == E_OK && agent_start(&n, 1, 2, true), "and so is its space; a new N runs");
}

static void test_exchange_registers(void)
{
	struct agent_msg m;
	word_t fl = 0x3000 | 0x1, err;

	ok_err(sys_exchange_registers(a.tid, EXREG_HALT, NULL, NULL, NULL, NULL, NULL), E_OK,
	       "halt agent A");
	ok(state(a.tid) == (EXREG_STATE_HALTED | EXREG_STATE_RECEIVING),
	   "A is halted (and still receiving): %lx", state(a.tid));
	ok_err(agent_post(&a, AG_ECHO, 1, (word_t)1), E_OK, "a message still reaches it");
	sys_thread_switch(a.tid);
	ok_err(ipc_receive(a.tid, TIMEOUT_ZERO, NULL), E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE,
	       "but A does not run");
	ok_err(sys_exchange_registers(a.tid, EXREG_RESUME, NULL, NULL, NULL, NULL, NULL), E_OK,
	       "resume A");
	ok(agent_wait(&a, &m) == AGENT_DONE && m.mr[1] == 2, "it runs and answers");
	err = sys_exchange_registers(a.tid, EXREG_SET_FLAGS, NULL, NULL, &fl, NULL, NULL);
	fl = 0;
	sys_exchange_registers(a.tid, 0, NULL, NULL, &fl, NULL, NULL);
	ok(err == E_OK && (fl & 0x1) && (fl & 0x200) && !(fl & 0x3000),
	   "set flags CF|IOPL3: CF set, IOPL not, IF forced on (%lx)", fl);
	ok(agent_cmd(&a, &m, AG_ECHO, 1, (word_t)5) == AGENT_DONE && m.mr[1] == 6, "A still works");
	ok(state(n.tid) == EXREG_STATE_RECEIVING, "read the state of N in another space");
	ok_err(agent_post(&a, AG_SYSCALL, 7, (word_t)SYS_EXCHANGE_REGISTERS, a.tid,
			  (word_t)EXREG_HALT, 0, 0, 0, 0), E_OK, "A halts itself");
	ok(agent_blocked(&a, EXREG_STATE_HALTED) && ipc_receive(a.tid, TIMEOUT_ZERO, NULL) ==
	   (E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE), "A is halted and says nothing");
	ok_err(sys_exchange_registers(a.tid, EXREG_RESUME, NULL, NULL, NULL, NULL, NULL), E_OK,
	       "resume A");
	ok(agent_wait(&a, &m) == AGENT_DONE && m.mr[1] == E_OK,
	   "its exchange_registers returns E_OK and A goes on");
}

static void test_schedule(void)
{
	word_t prio = 0;

	ok(sys_schedule(libmap_myself, SCHED_KEEP, 0, &prio) == E_OK && prio == 100,
	   "my priority is 100 (%lu)", prio);
	ok_err(sys_schedule(a.tid, 50, 0, NULL), E_OK, "A to priority 50");
	ok(sys_schedule(a.tid, SCHED_KEEP, 0, &prio) == E_OK && prio == 50, "read back: %lu", prio);
	flag = 0;
	ok_err(agent_post(&a, AG_WRITE, 2, (word_t)&flag, (word_t)1), E_OK, "give A work");
	sys_thread_switch(TID_NIL);
	ok(flag == 0, "yielding does not let the lower priority A run");
	ok_err(sys_thread_switch(a.tid), E_OK, "thread_switch to A");
	/* a donation lasts until the next tick, which may come before A is
	 * done; then the higher priority (us) runs again: donate once more */
	for (int i = 0; i < 10 && flag == 0; i++)
		sys_thread_switch(a.tid);
	ok(flag == 1, "A ran in my place");
	agent_wait(&a, &(struct agent_msg){ 0 });
	ok_err(sys_schedule(a.tid, 150, 1000, NULL), E_OK, "privileged: A above my own priority");
	ok_err(sys_schedule(a.tid, 100, 0, NULL), E_OK, "and back");
	ok_err(n_call(SYS_SCHEDULE, n.tid, 101, 0, 0, 0, 0), E_BAD_SCHEDULER,
	       "N raising itself above its priority");
	ok_err(n_call(SYS_SCHEDULE, n.tid, 99, 0, 0, 0, 0), E_OK, "N lowering itself");
	ok_err(n_call(SYS_SCHEDULE, n.tid, 100, 0, 0, 0, 0), E_BAD_SCHEDULER, "and not back up");
	ok_err(n_call(SYS_SCHEDULE, libmap_myself, 50, 0, 0, 0, 0), E_NO_PRIVILEGE,
	       "N changing my priority");
}

static void test_unprivileged(void)
{
	word_t t = tap_tid(5, 1);

	ok_err(n_call(SYS_THREAD_CONTROL, t, n.tid, TID_NIL, TID_NIL, UTCB_AREA_BASE + UTCB_SIZE, 0),
	       E_NO_PRIVILEGE, "N may not create a thread in its own space");
	ok_err(n_call(SYS_THREAD_CONTROL, n.tid, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_NO_PRIVILEGE,
	       "nor delete itself");
	ok_err(n_call(SYS_EXCHANGE_REGISTERS, libmap_myself, EXREG_HALT, 0, 0, 0, 0), E_NO_PRIVILEGE,
	       "nor halt me (another space)");
	ok_err(n_call(SYS_EXCHANGE_REGISTERS, n.tid, 0, 0, 0, 0, 0), E_OK,
	       "but it may read its own registers");
	ok_err(n_call(SYS_KDEBUG, KDB_RAISE_IRQ, 5, 0, 0, 0, 0), E_NO_PRIVILEGE,
	       "nor raise an interrupt");
	ok_err(n_call(SYS_KDEBUG, KDB_EXIT_QEMU, 1, 0, 0, 0, 0), E_NO_PRIVILEGE, "nor end the machine");
	ok(state(libmap_myself) == 0, "and I am not halted");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "tc_bad", test_thread_control_bad },
		{ "tc", test_thread_control },
		{ "unprivileged", test_unprivileged },
		{ "schedule", test_schedule },
		{ "exreg", test_exchange_registers },
		{ "sc", test_space_control },
	};

	if (!ok(agent_start(&a, 0, 1, false) && agent_start(&n, 1, 1, true),
		"agents A (my space) and N (new, unprivileged space) run"))
		return tap_done("ctrl");
	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	ok_err(agent_stop(&a), E_OK, "delete A");
	ok_err(agent_stop(&n), E_OK, "delete N");
	return tap_done("ctrl");
}
