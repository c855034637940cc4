/* SPDX-License-Identifier: MIT */
/*
 * Attacks on the user-level servers added after issue 8 (docs/security.md,
 * "Audit after the fixes"), by an unprivileged task that is no client of
 * the server it attacks. The server's thread id is found as any task can
 * find it: task slot n of boot.cfg runs as thread user_base + 2 + n.
 *
 * "blk" (drivers/blk in slot 0): the block driver must not serve raw disk
 * sectors, a DMA buffer or anything else to a task that is not its pager
 * client (the FAT server is; its volume would otherwise be open to
 * anyone, bypassing it, and 16 such tasks took every buffer for good).
 */
#include "tap.h"
#include <pagoda/blk.h>
#include <pagoda/proto.h>

#define WIN TEST_VA_A

/* A refusal's code, E_OK for a success reply, or the IPC error. */
static word_t reply_error(word_t err)
{
	struct utcb *u = utcb();

	if (err)
		return err;
	return tag_label(u->mr[0]) ? u->mr[1] : E_OK;
}

static word_t call_plain(word_t to, word_t label)
{
	msg_tag(label, 0, 0);
	msg_accept(FPAGE_NIL);
	return reply_error(ipc_call(to));
}

static void test_blk(void)
{
	word_t drv = tap_task_tid(0), err;
	struct utcb *u = utcb();

	ok_err(call_plain(drv, BLK_LABEL_INFO), E_NO_PRIVILEGE, "blk: INFO from a non-client is refused");

	msg_tag(BLK_LABEL_SHARE, 0, 0);
	msg_accept(fpage_make(WIN, BLK_BUF_LOG2, FPAGE_RW));
	err = reply_error(ipc_call(drv));
	ok(tag_t(u->mr[0]) == 0, "blk: the answer to SHARE carries no map item");
	msg_accept(FPAGE_NIL);
	ok_err(err, E_NO_PRIVILEGE, "blk: SHARE from a non-client is refused");

	/* Read the volume's boot sector into "our" buffer. */
	msg_tag(BLK_LABEL_IO, 4, 0);
	u->mr[1] = 1;
	u->mr[BLK_IO_MR_OP(0)] = blk_req(BLK_OP_READ, 1);
	u->mr[BLK_IO_MR_OFFSET(0)] = 0;
	u->mr[BLK_IO_MR_SECTOR(0)] = 0;
	msg_accept(FPAGE_NIL);
	ok_err(reply_error(ipc_call(drv)), E_NO_PRIVILEGE, "blk: IO from a non-client is refused");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "blk", test_blk },
	};

	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("srvattack");
}
