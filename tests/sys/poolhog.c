/* SPDX-License-Identifier: MIT */
/*
 * The pool's reserve (issue 8, classes 4 and 5): tasks that together may
 * take more kernel memory than the pool holds (nine tasks with 2 MiB
 * quotas, a 16 MiB pool) take all they can, and the root task and sigma0
 * can still get kernel memory.
 *
 * "check N" (slot 0) and "hog" (slots 1..N): every hog says it is ready;
 * the checker tells them all to go; each maps one page of its own to an
 * agent in its space at addresses 2 MiB apart (a page table each) until
 * the kernel says E_NO_MEMORY (its quota, or the pool) and says so. Then
 * the pool is down to its reserve and no further: the reserve (1 MiB of
 * the test machine's 16 MiB pool) stays for init, sigma0 and the kernel.
 * (This test used to show init using the reserve with a thread it made in
 * init's space; no task may make threads in a space it did not create
 * any more, issue 11.) The checker then lets the hogs exit.
 */
#include "agent.h"
#include <sigma0.h>

#define LABEL_READY 0x62
#define LABEL_FULL 0x63
#define LABEL_GO 0x64
#define POOLHOG_RESERVE (960u << 10) /* 1/16 of the pool (kmem.h), a little under 16 MiB */

static struct agent r;

static word_t pool_free(void)
{
	word_t index = 0;

	return kdb_kmem_free(&index);
}

/* Tell the checker (slot 0) `label`, then wait for its word. */
static void hog_sync(word_t label)
{
	word_t from = TID_NIL;

	msg_tag(label, 0, 0);
	ok_err(ipc_send(tap_task_tid(0), 20000000), E_OK, "tell the checker");
	ipc_receive(tap_task_tid(0), 30000000, &from);
}

static int hog(void)
{
	word_t serr = E_OK, rerr = E_OK, pa;
	unsigned i = 0;

	pa = tap_frame(TEST_VA_A, 0x40a);
	ok(agent_start(&r, 0, 1, false), "agent R in my space");
	hog_sync(LABEL_READY);
	while (i < 1024 && !serr && !rerr) {
		serr = agent_give(&r, TEST_VA_A, fpage_make(TEST_VA_A, 12, FPAGE_R), false,
				  fpage_make(TEST_VA_B + ((word_t)i << 21), 12, 0), &rerr);
		i += !serr && !rerr;
	}
	ok(serr == E_NO_MEMORY, "%u page tables, then E_NO_MEMORY (%lx, %lx)", i, serr, rerr);
	hog_sync(LABEL_FULL);
	agent_stop(&r);
	sigma0_free(pa, 12);
	return (int)tap_failed;
}

/* Hear from every hog, then let each go on. */
static void check_round(unsigned hogs)
{
	word_t from = TID_NIL;

	for (unsigned i = 0; i < hogs; i++)
		ipc_receive(TID_ANY, 20000000, &from);
	for (unsigned i = 1; i <= hogs; i++) {
		msg_tag(LABEL_GO, 0, 0);
		ipc_send(tap_task_tid(i), 5000000);
	}
}

/* Guest time since `t0` (KIP ticks), in ms. */
static word_t since_ms(word_t t0)
{
	return (libmap_kip->ticks - t0) * libmap_kip->tick_us / 1000;
}

static int check(unsigned hogs)
{
	word_t from = TID_NIL, t = tap_tid(0, 1), free;
	word_t utcb = UTCB_AREA_BASE + 900 * UTCB_SIZE;
	word_t t0 = libmap_kip->ticks, ready_ms;

	check_round(hogs);                          /* all ready: go */
	ready_ms = since_ms(t0);
	t0 = libmap_kip->ticks;
	for (unsigned i = 0; i < hogs; i++)
		ipc_receive(TID_ANY, 20000000, &from);  /* all full */
	printf("poolhog: all ready after %lu ms, all full %lu ms later (guest time)\n", ready_ms,
	       since_ms(t0));
	free = pool_free();
	printf("poolhog: %u tasks took all they could: %lu KiB of the pool left\n", hogs,
	       free >> 10);
	ok(free <= (2u << 20), "the pool is down to its reserve (%lu KiB free)", free >> 10);
	ok(free >= POOLHOG_RESERVE,
	   "and no further: the reserve is left for init and sigma0 "
	   "(at least %u KiB)",
	   POOLHOG_RESERVE >> 10);
	ok_err(sys_thread_control(t, libmap_exit_to, TID_NIL, TID_NIL, utcb, 0), E_NO_PRIVILEGE,
	       "(a thread of mine in init's space is refused, whatever the pool)");
	for (unsigned i = 1; i <= hogs; i++) {
		msg_tag(LABEL_GO, 0, 0);
		ipc_send(tap_task_tid(i), 5000000);
	}
	return (int)tap_failed;
}

int main(int argc, char **argv)
{
	tap_prefault(16 * 4096);
	if (argc > 1 && !strcmp(argv[1], "hog"))
		return hog();
	if (argc > 2 && !strcmp(argv[1], "check"))
		return check((unsigned)(argv[2][0] - '0'));
	return 1;
}
