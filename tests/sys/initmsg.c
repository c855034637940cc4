/* SPDX-License-Identifier: MIT */
/*
 * Messages to the root task that are not what they look like (issue 11),
 * from a task init pages:
 *  - "forge": a message with the page-fault label, sent as a call: init
 *    must refuse it (E_BAD_ARGUMENT), not serve it as a fault, since only
 *    the kernel sends faults; then the same page touched for real is
 *    served. And answer-shaped messages (label 0, 1, sigma0's refusal):
 *    init never answers one (a stray answer answered with a refusal is
 *    answered again, for ever).
 *  - "frames": touches heap pages past the most init keeps for one task:
 *    init refuses the fault and says why: it has no frame left for it (it
 *    used to say "outside its memory").
 */
#include "tap.h"
#include <layout.h>
#include <sigma0.h>
#include <pagoda/proto.h>

#define INITMSG_PAGES 2100               /* more than TASK_PAGES_MAX (init/init.h) */

static int initmsg_forge(void)
{
	struct utcb *u = utcb();
	word_t init = libmap_exit_to, va = USER_HEAP_BASE + 0x100000, err;
	const word_t answers[] = { SIGMA0_REPLY_OK, 1, SIGMA0_REPLY_ERROR };

	msg_tag(LABEL_PAGEFAULT | FPAGE_W, PF_MSG_LENGTH, 0);
	u->mr[PF_MSG_ADDR] = va;
	u->mr[PF_MSG_IP] = 0x1000;
	msg_accept(fpage_make(va, 12, 0));
	err = ipc(init, init, timeouts(1000000, 1000000), NULL);
	msg_accept(FPAGE_NIL);
	ok(!err && tag_label(u->mr[0]) != 0 && tag_t(u->mr[0]) == 0 && tag_u(u->mr[0]) == 1 &&
		   u->mr[1] == E_BAD_ARGUMENT,
	   "a forged page fault is refused, not served (error %lx, label %lx, u %u, t %u, mr1 %lx)",
	   err, tag_label(u->mr[0]), tag_u(u->mr[0]), tag_t(u->mr[0]), u->mr[1]);
	*(volatile word_t *)va = 42;
	ok(*(volatile word_t *)va == 42, "the page, touched for real, is served");
	for (unsigned i = 0; i < ARRAY_SIZE(answers); i++) {
		msg_tag(answers[i], 1, 0);
		u->mr[1] = E_BAD_ARGUMENT;
		err = ipc(init, init, timeouts(1000000, 200000), NULL);
		ok_err(err, E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE, "init does not answer an answer");
	}
	return tap_done("initmsg forge");
}

/* Touch pages until init cannot give more: it stops us (expect=fault). */
static int initmsg_frames(void)
{
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;

	printf("initmsg: touching %u heap pages\n", INITMSG_PAGES);
	for (unsigned i = 0; i < INITMSG_PAGES; i++)
		heap[i * 512] = i;
	printf("initmsg: not ok - all %u pages served\n", INITMSG_PAGES);
	return 1;
}

int main(int argc, char **argv)
{
	tap_prefault(16 * 4096);
	if (argc > 1 && !strcmp(argv[1], "frames"))
		return initmsg_frames();
	return initmsg_forge();
}
