/* SPDX-License-Identifier: MIT */
/*
 * Faults and exceptions a task forges (tests/sys/initfix.cfg):
 *
 * - a forged page fault (an ordinary IPC with the fault label, the
 *   address and the access in the words) to the task's pager, init or a
 *   libmap pager: only the kernel's faults carry TAG_K_FLAG (a thread
 *   that sets it finds it cleared on the way), and a forged one is
 *   refused with E_BAD_ARGUMENT instead of being served as a fault (which
 *   mapped the page at a place of the sender's choosing: where its
 *   receive window put it);
 * - a forged exception to init (its parent): refused, the task goes on
 *   (init took it for the kernel's and reaped the task as stopped).
 * Stray answers to init and its out-of-frames refusal: tests/sys/initmsg.c.
 */
#include "tap.h"
#include <layout.h>
#include <sigma0.h>

#define HEAP_VA (USER_HEAP_BASE + 0x100000)   /* never touched before the forgery */

/* A forged fault on HEAP_VA to our pager, the window at TEST_VA_A. */
static void forged_fault(void)
{
	struct utcb *u = utcb();
	word_t pager = u->pager, err = tap_forge_fault(pager, HEAP_VA, TEST_VA_A);

	if (!err && !tag_label(u->mr[0]) && tag_t(u->mr[0]) == 2) {
		ok(false,
		   "a forged fault to pager %lx is served: the page of %lx now at %lx (reads %lx)",
		   pager, HEAP_VA, TEST_VA_A, *(volatile word_t *)TEST_VA_A);
		return;
	}
	ok(!err && tag_label(u->mr[0]) && tag_u(u->mr[0]) >= 1 && u->mr[1] == E_BAD_ARGUMENT,
	   "a forged fault to pager %lx is refused: error %lx, label %lx, MR1 %lx", pager, err,
	   tag_label(u->mr[0]), u->mr[1]);
}

/* A forged exception to init: refused; we are not stopped or reaped. */
static void forged_exception(void)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(LABEL_EXCEPTION, EXC_MSG_LENGTH, 0);
	u->mr[0] |= TAG_K_FLAG;
	for (unsigned i = 1; i <= EXC_MSG_LENGTH; i++)
		u->mr[i] = 0;
	u->mr[EXC_MSG_VECTOR] = 13;
	err = ipc(libmap_exit_to, libmap_exit_to, timeouts(TIMEOUT_NEVER, 2000000), NULL);
	ok(!err && tag_label(u->mr[0]) && u->mr[1] == E_BAD_ARGUMENT,
	   "a forged exception to init is refused: error %lx, label %lx, MR1 %lx", err,
	   tag_label(u->mr[0]), u->mr[1]);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	forged_fault();
	if (utcb()->pager == libmap_exit_to)
		forged_exception();
	ok(*(volatile word_t *)HEAP_VA == 0, "the heap page reads zero when touched");
	return (int)tap_failed;
}
