/* SPDX-License-Identifier: MIT */
/* The colouring pager's client calls (colour_client.h). */
#include "colour_client.h"

word_t colour_populate(void)
{
	struct utcb *u = utcb();
	word_t next = 0, err;

	do {
		msg_tag(COLOUR_POPULATE, 1, 0);
		u->mr[1] = next;
		msg_accept(FPAGE_COMPLETE);
		if ((err = ipc_call(u->pager)))
			return err;
		if (tag_label(u->mr[0]))
			return tag_u(u->mr[0]) ? u->mr[1] : E_BAD_ARGUMENT;
		next = u->mr[1];
	} while (next);
	msg_accept(FPAGE_NIL);
	return E_OK;
}

word_t colour_info(struct colour_info *out)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(COLOUR_INFO, 0, 0);
	if ((err = ipc_call(u->pager)))
		return err;
	if (tag_label(u->mr[0]) || tag_u(u->mr[0]) < COLOUR_INFO_LENGTH)
		return tag_u(u->mr[0]) ? u->mr[1] : E_BAD_ARGUMENT;
	out->colours = u->mr[1];
	out->faults = u->mr[2];
	out->pages = u->mr[3];
	out->free = u->mr[4];
	for (unsigned i = 0; i < 8; i++)
		out->set[i] = u->mr[COLOUR_INFO_SET + i];
	return E_OK;
}
