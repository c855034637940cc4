/* SPDX-License-Identifier: MIT */
/*
 * The pager of the child spaces. A page fault is resolved in one of
 * three ways, by address:
 *
 *   CHILD_PF + i   the page-fault benchmark: frame i of POOL_PF, zeroed
 *                  with rep stosq first when pager_zero is set, mapped
 *                  read-write (sigma0 is not on this path: the frames
 *                  were taken from it beforehand);
 *   CHILD_AL + i   Appel-Li: frame i of POOL_AL mapped read-write, which
 *                  also restores write access the client revoked;
 *   anything else  loading: the page of S0 at the same address (main has
 *                  touched the whole image, so S0 has it).
 *
 * LBL_RESET revokes every mapping of the fault pool, so the client can
 * fault on the same pages again.
 */
#include "bench.h"
#include <layout.h>

extern char _end[];
volatile bool pager_zero = true;

/* Reply to a fault with the page of S0 at `src`, placed at `addr`. */
static void pager_reply_map(word_t addr, word_t src, unsigned rights)
{
	msg_tag(0, 0, 2);
	msg_map_item(1, addr, fpage_make(src, 12, rights), false);
}

static void pager_fault(word_t addr)
{
	word_t off = addr - CHILD_PF, src;

	if (off < (word_t)PF_PAGES * 4096) {
		src = POOL_PF + (off & ~(word_t)0xfff);
		if (pager_zero)
			stats_page_zero((void *)src);
		pager_reply_map(addr, src, FPAGE_RW);
		return;
	}
	off = addr - CHILD_AL;
	if (off < (word_t)AL_PAGES * 4096) {
		pager_reply_map(addr, POOL_AL + (off & ~(word_t)0xfff), FPAGE_RW);
		return;
	}
	if (addr >= USER_IMAGE_BASE && addr < (word_t)_end)
		pager_reply_map(addr, addr & ~(word_t)0xfff, FPAGE_RWX);
	else
		msg_tag(1, 0, 0);                    /* refuse: the kernel stops it */
}

static void pager_reset(void)
{
	utcb()->mr[0] = fpage_make(POOL_PF, PF_LOG2, FPAGE_RWX);
	sys_unmap(0);
	msg_tag(0, 0, 0);
}

void pager_loop(void)
{
	struct utcb *u = utcb();
	word_t from, err;

	msg_accept(FPAGE_NIL);
	err = ipc_receive(TID_ANY, TIMEOUT_NEVER, &from);
	for (;;) {
		word_t label = tag_label(u->mr[0]);

		if (err) {
			err = ipc_receive(TID_ANY, TIMEOUT_NEVER, &from);
			continue;
		}
		if ((label & ~(word_t)7) == LABEL_PAGEFAULT)
			pager_fault(u->mr[PF_MSG_ADDR]);
		else if (label == LBL_RESET)
			pager_reset();
		else
			msg_tag(1, 0, 0);
		err = ipc_reply_wait(from, &from);
	}
}
