/* SPDX-License-Identifier: MIT */
/*
 * A test of init's end-of-run check (issue 8, class 10): a privileged task
 * leaves a halted thread in init's space and one in sigma0's, and exits.
 * Their kernel memory is charged to init and sigma0 and never comes back;
 * the check must count it (leak.cfg has @expect-leak: the run passes only
 * if the check reports the loss).
 */
#include "tap.h"

#define LEAK_SLOT 900            /* a UTCB slot and thread number nobody uses */

int main(int argc, char **argv)
{
	word_t init = libmap_exit_to, sigma0 = libmap_kip->sigma0_id;

	(void)argc;
	(void)argv;
	ok_err(sys_thread_control(tid_make(LEAK_SLOT, 1), init, TID_NIL, TID_NIL,
				  UTCB_AREA_BASE + LEAK_SLOT * UTCB_SIZE, 0),
	       E_OK, "a thread left in init's space");
	ok_err(sys_thread_control(tid_make(LEAK_SLOT + 1, 1), sigma0, TID_NIL, TID_NIL,
				  UTCB_AREA_BASE + LEAK_SLOT * UTCB_SIZE, 0),
	       E_OK, "a thread left in sigma0's space");
	printf("leaker: 16 KiB of kernel memory charged to init and sigma0, never given back\n");
	return (int)tap_failed;
}
