/* SPDX-License-Identifier: MIT */
/*
 * A test of init's end-of-run check (issue 8, class 10): kernel memory
 * charged to init and sigma0 and never given back must be counted.
 * leak.cfg has @expect-leak: the run passes only if the check reports a
 * loss. This privileged task used to make the loss itself, with a halted
 * thread in init's space and one in sigma0's; since no task may make
 * threads in a space it did not create (issue 11, docs/abi.md §5.3) it
 * checks that it is refused, and with @expect-leak init leaves those two
 * threads itself before it measures.
 */
#include "tap.h"

#define LEAK_SLOT 900            /* a UTCB slot and thread number nobody uses */

int main(int argc, char **argv)
{
	word_t init = libmap_exit_to, sigma0 = libmap_kip->sigma0_id;

	(void)argc;
	(void)argv;
	ok_err(sys_thread_control(tid_make(LEAK_SLOT + 2, 1), init, TID_NIL, TID_NIL,
				  UTCB_AREA_BASE + LEAK_SLOT * UTCB_SIZE, 0),
	       E_NO_PRIVILEGE, "no thread of mine in init's space");
	ok_err(sys_thread_control(tid_make(LEAK_SLOT + 3, 1), sigma0, TID_NIL, TID_NIL,
				  UTCB_AREA_BASE + LEAK_SLOT * UTCB_SIZE, 0),
	       E_NO_PRIVILEGE, "no thread of mine in sigma0's space");
	return (int)tap_failed;
}
