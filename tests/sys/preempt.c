/* SPDX-License-Identifier: MIT */
/*
 * The timer preempts a spinning thread: a second thread of this space, at
 * the same priority, makes progress while the main thread spins without
 * ever entering the kernel.
 */
#include "tap.h"
#include <layout.h>

#define SPIN_TICKS 300

static volatile word_t progress;
static word_t stack2[512] __attribute__((aligned(16)));

static void spinner2(void)
{
	for (;;)
		progress++;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	word_t t2 = tid_make(tid_number(libmap_myself) + 16, 1), sp, ip, err;
	volatile struct kip *k = libmap_kip;
	word_t start;

	stack2[511] = 0;
	err = sys_thread_control(t2, libmap_myself, TID_NIL, utcb()->pager,
				 UTCB_AREA_BASE + UTCB_SIZE, 0);
	ok_err(err, E_OK, "create a second thread in my space");
	sp = (word_t)&stack2[509];       /* (sp + 8) % 16 == 0, as after a call */
	ip = (word_t)spinner2;
	err = sys_exchange_registers(t2, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME, &sp, &ip,
				     NULL, NULL, NULL);
	ok_err(err, E_OK, "start it");
	start = k->ticks;
	while (progress == 0 && k->ticks - start < SPIN_TICKS)
		;
	ok(progress != 0, "the other thread ran while main spun (%lu ticks)", k->ticks - start);
	ok(k->ticks != start, "timer ticks advance");
	ok_err(sys_thread_control(t2, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK, "delete it");
	return (int)tap_failed;
}
