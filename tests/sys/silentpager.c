/* SPDX-License-Identifier: MIT */
/*
 * A pager that falls silent (issue 8, class 7). It takes the root task's
 * set-up requests for its clients, then:
 *
 *   silentpager  never answers a page fault: its client hangs in its
 *                first fault;
 *   mutepager    (mutepager.c) refuses every fault (its client is
 *                stopped) but never answers PAGER_SHUTDOWN or
 *                PAGER_CLIENT_EXIT.
 *
 * The root task must end it, and its clients, within its deadline, and
 * @shutdown must complete with memory back to the baseline.
 */
#include "tap.h"

#ifndef SILENT_REFUSE
#define SILENT_REFUSE false
#endif

int main(int argc, char **argv)
{
	bool refuse = SILENT_REFUSE;
	word_t from = TID_NIL;

	(void)argc;
	printf("%s: %s\n", argv[0], refuse ? "refusing faults, deaf to shutdown" :
					  "never answering a fault");
	for (;;) {
		word_t label;
		if (ipc_receive(TID_ANY, TIMEOUT_NEVER, &from))
			continue;
		label = tag_label(utcb()->mr[0]);
		if (label == PAGER_CLIENT || label == PAGER_PAGE || label == PAGER_REGION) {
			msg_tag(0, 0, 0);
		} else if (refuse && (label & ~(word_t)7) == LABEL_PAGEFAULT) {
			printf("%s: refusing a fault at %lx\n", argv[0], utcb()->mr[PF_MSG_ADDR]);
			msg_tag(1, 0, 0);
		} else {
			continue;                       /* silence */
		}
		ipc_send(from, TIMEOUT_ZERO);
	}
}
