/* SPDX-License-Identifier: MIT */
/*
 * The server thread of S0 (echo) and of each child space: it answers
 * echo requests, accepts map items anywhere in its space (the hot spot
 * places them) and forwards a mapping it holds to another server, which
 * is how the pager chains S1 -> S2 -> S3 are built.
 */
#include "bench.h"

/* Map the fpage MR1 (here) on to thread MR2 at the same address. */
static void server_forward(void)
{
	struct utcb *u = utcb();
	word_t fp = u->mr[1], to = u->mr[2];

	msg_tag(LBL_MAP, 0, 2);
	msg_map_item(1, fpage_base(fp), fp, false);
	ipc_call(to);
}

void server_loop(void)
{
	struct utcb *u = utcb();
	word_t from, err;

	msg_accept(FPAGE_COMPLETE | BR0_FROM_ANY);  /* a test server: maps from anyone */
	err = ipc_receive(TID_ANY, TIMEOUT_NEVER, &from);
	for (;;) {
		if (err) {
			err = ipc_receive(TID_ANY, TIMEOUT_NEVER, &from);
			continue;
		}
		switch (tag_label(u->mr[0])) {
		case LBL_ECHO:
			break;                       /* same tag, same words back */
		case LBL_PEEK:
			u->mr[1] = *(volatile word_t *)u->mr[1];
			msg_tag(0, 1, 0);
			break;
		case LBL_FWD:
			server_forward();
			msg_tag(0, 0, 0);
			break;
		default:
			msg_tag(0, 0, 0);
			break;
		}
		err = ipc_reply_wait(from, &from);
	}
}
