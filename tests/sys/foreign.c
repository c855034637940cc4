/* SPDX-License-Identifier: MIT */
/*
 * thread_control in a space the caller neither is nor owns (issue 11: the
 * fuzzer's lost kernel memory). A privileged task (the test) may create,
 * change and delete threads in its own space and in the spaces it created,
 * directly or not; anywhere else it gets E_NO_PRIVILEGE and nothing
 * changes. Only the boot spaces (sigma0, the root task) act on any space.
 *
 * On the old kernel the fuzzer made a thread in sigma0's space and started
 * it at address 0: a thread of sigma0's space that touches device memory
 * makes the kernel map it there as a root, charged to sigma0, which never
 * asked for it and never gave it back (32 bytes at every run's end; with a
 * page table, 4,128). This test does the same if the kernel lets it create
 * the thread, so init's end-of-run check then fails as well.
 */
#include "tap.h"

#define FOREIGN_SLOT 900               /* a thread number and UTCB slot nobody uses */

static word_t tc(word_t dest, word_t space, word_t pager, word_t utcb_slot, word_t flags)
{
	return sys_thread_control(dest, space, TID_NIL, pager,
				  UTCB_AREA_BASE + utcb_slot * UTCB_SIZE, flags);
}

/* The fuzzer's way to lose kernel memory: a thread in sigma0's space,
 * started at 0 (a device page) -- tried only if the kernel allowed it. */
static void foreign_old_leak(word_t t)
{
	word_t ip = 0, sp = 0;

	sys_exchange_registers(t, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME, &sp, &ip, NULL, NULL,
			       NULL);
	sys_thread_switch(t);
	tap_sleep(20000);
	sys_thread_control(t, TID_NIL, TID_NIL, TID_NIL, 0, 0);
}

static void foreign_refused(void)
{
	word_t s0 = libmap_kip->sigma0_id, init = libmap_exit_to, t = tid_make(FOREIGN_SLOT, 1);
	word_t other = tap_task_tid(1), used_s0 = tap_kmem_used(s0);
	word_t err;

	err = tc(t, s0, TID_NIL, FOREIGN_SLOT, 0);
	ok_err(err, E_NO_PRIVILEGE, "no thread in sigma0's space");
	if (err == E_OK)
		foreign_old_leak(t);
	err = tc(t, init, TID_NIL, FOREIGN_SLOT, 0);
	ok_err(err, E_NO_PRIVILEGE, "no thread in init's space");
	if (err == E_OK)
		sys_thread_control(t, TID_NIL, TID_NIL, TID_NIL, 0, 0);
	err = tc(t, other, TID_NIL, FOREIGN_SLOT, 0);
	ok_err(err, E_NO_PRIVILEGE, "no thread in another task's space");
	if (err == E_OK)
		sys_thread_control(t, TID_NIL, TID_NIL, TID_NIL, 0, 0);
	ok_err(sys_thread_control(other, TID_ANY, TID_NIL, TID_NIL, 0, 0), E_NO_PRIVILEGE,
	       "no change to another task's thread (even one that changes nothing)");
	ok_err(sys_thread_control(s0, TID_ANY, TID_NIL, TID_NIL, 0, 0), E_NO_PRIVILEGE,
	       "nor to sigma0's");
	ok_err(tc(t, tap_tid(29, 1), TID_NIL, FOREIGN_SLOT, 0), E_BAD_SPACE,
	       "a space specifier that names no thread is still E_BAD_SPACE");
	/* init's may move meanwhile (it pages the bystander); init's
	 * end-of-run check sees a loss charged to either */
	ok(tap_kmem_used(s0) == used_s0, "sigma0's kernel memory did not move (%lu -> %lu)",
	   used_s0, tap_kmem_used(s0));
	msg_tag(0, 0, 0);
	ok_err(ipc_send(other, 5000000), E_OK,
	       "the bystander was there throughout, and is released");
}

/* What stays allowed: my own space, a space I created, one it created. */
static void foreign_owned(void)
{
	word_t a = tap_tid(0, 1), b = tap_tid(1, 1), c = tap_tid(2, 1), d = tap_tid(3, 1);

	ok_err(tc(a, libmap_myself, TID_NIL, 5, 0), E_OK, "a thread in my own space");
	ok_err(tc(b, b, TID_NIL, 0, 0), E_OK, "a new space");
	ok_err(tc(c, b, TID_NIL, 1, 0), E_OK, "a second thread in the space I created");
	ok_err(sys_space_control(b, SC_PRIVILEGED, 0, NULL), E_OK, "made privileged");
	ok_err(sys_thread_control(c, TID_ANY, TID_NIL, libmap_myself, 0, 0), E_OK,
	       "its pager changed");
	ok_err(tc(d, d, TID_NIL, 0, 0), E_OK, "another new space");
	ok_err(sys_thread_control(d, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK, "and deleted again");
	ok_err(sys_thread_control(c, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK,
	       "a thread of a space I created deleted");
	ok_err(sys_thread_control(b, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK, "and its last");
	ok_err(sys_thread_control(a, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK, "mine deleted");
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (argc > 1 && !strcmp(argv[1], "bystander")) {
		/* alive until the test has tried its space (not for a fixed
		 * time: a slow DEBUG run outlived a 200 ms sleep) */
		ipc_receive(tap_task_tid(0), 60000000, NULL);
		return 0;
	}
	tap_prefault(16 * 4096);
	foreign_refused();
	foreign_owned();
	return tap_done("foreign");
}
