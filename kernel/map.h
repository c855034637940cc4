/* SPDX-License-Identifier: MIT */
/*
 * Flexpage operations: placing a send fpage in a receive window, and
 * map, grant and unmap over whole fpages (page by page, through the
 * mapping database).
 */
#ifndef KERNEL_MAP_H
#define KERNEL_MAP_H

#include <pagoda/types.h>

struct space;
struct frame;

/* Execute one map/grant item of a message from `from` to `to`. Returns
 * E_OK, E_IPC_NOT_MAPPED when the item named memory the sender does not
 * have (nothing was mapped; not an IPC failure), E_IPC_BAD_ITEM for a
 * malformed fpage, or E_NO_MEMORY when the receiver's kernel memory ran
 * out. A nil fpage or receive window maps nothing and returns E_OK. */
word_t map_item(struct space *from, word_t w0, word_t w1, struct space *to, word_t window,
		bool grant);

void sys_unmap(struct frame *f);

#endif
