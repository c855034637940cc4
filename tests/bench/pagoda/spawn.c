/* SPDX-License-Identifier: MIT */
/*
 * Starting benchmark threads, in S0 or in a new space, and ending them.
 *
 * A thread starts at spawn_entry on its own stack from stacks[], whose
 * top word holds its struct bthread; spawn_main calls the thread's
 * function, then reports LBL_DONE to main and waits to be deleted.
 * Thread numbers are taken far above the ones init gives its tasks.
 */
#include "bench.h"
#include <layout.h>

#define SPAWN_FIRST 600          /* thread numbers: user_base + this and up */
#define SPAWN_MAX 11        /* main.c's six, growth.c's five */

extern char _end[];
static word_t stacks[SPAWN_MAX][STACK_WORDS] __attribute__((aligned(4096)));
static unsigned spawned;
static unsigned utcb_slot = 1;    /* S0's slot 0 is main's UTCB */

void spawn_main(struct bthread *t);
void spawn_entry(void);
__asm__(".text\n"
	".globl spawn_entry\n"
	"spawn_entry:\n"
	"	movq (%rsp), %rdi\n"
	"	andq $-16, %rsp\n"
	"	call spawn_main\n"
	"	ud2\n");

void spawn_main(struct bthread *t)
{
	t->fn();
	msg_tag(LBL_DONE, 0, 0);
	ipc_send(libmap_myself, TIMEOUT_NEVER);
	for (;;)
		ipc_receive(libmap_myself, TIMEOUT_NEVER, NULL);
}

/* Read every page of the image (code, data, stacks) so that init maps
 * it into S0 now: S0's other threads must never fault. */
void spawn_touch_image(void)
{
	for (word_t va = USER_IMAGE_BASE; va < (word_t)_end; va += 4096)
		(void)*(volatile char *)va;
}

/*
 * Start fn in a new thread t: in a new space if `space` is TID_NIL,
 * otherwise in the space of thread `space`, with `pager`. Returns an
 * error code (and leaves t unused) if the kernel refuses.
 */
word_t spawn(struct bthread *t, word_t space, word_t pager, void (*fn)(void))
{
	word_t err, sp, ip = (word_t)spawn_entry, utcb_addr = UTCB_AREA_BASE;

	if (spawned == SPAWN_MAX)
		return E_NO_MEMORY;
	t->tid = tid_make(libmap_kip->user_base + SPAWN_FIRST + spawned, 1);
	t->fn = fn;
	t->stack_top = &stacks[spawned][STACK_WORDS - 2];
	t->stack_top[0] = (word_t)t;
	if (space != TID_NIL)
		utcb_addr += (word_t)utcb_slot * UTCB_SIZE;
	err = sys_thread_control(t->tid, space == TID_NIL ? t->tid : space, TID_NIL, pager,
				 utcb_addr, 0);
	if (err)
		return err;
	spawned++;
	if (space != TID_NIL)
		utcb_slot++;
	sp = (word_t)t->stack_top;
	return sys_exchange_registers(t->tid, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME, &sp,
				      &ip, NULL, NULL, NULL);
}

/* Wait until t's function has returned. */
void spawn_wait(struct bthread *t)
{
	word_t from;

	while (ipc_receive(t->tid, TIMEOUT_NEVER, &from) ||
	       tag_label(utcb()->mr[0]) != LBL_DONE)
		;
}

/* Delete t; a space goes with its last thread. */
void spawn_kill(struct bthread *t)
{
	if (t->tid != TID_NIL)
		sys_thread_control(t->tid, TID_NIL, TID_NIL, TID_NIL, 0, 0);
	t->tid = TID_NIL;
}
