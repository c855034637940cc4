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

/* Where a send fpage lands: source and destination base and the size. */
struct map_place {
	word_t src, dst, size;
};

/* The L4 placement rule for send fpage `snd` with hot spot `hot` into the
 * receive window `window`. false if nothing is transferred (nil fpage or
 * window). Pure arithmetic; unit-tested on the host. */
bool map_placement(word_t snd, word_t hot, word_t window, struct map_place *p);

/* Execute one map/grant item of a message from `from` to `to`. Returns
 * E_OK (also when nothing was mapped), E_IPC_BAD_ITEM for a malformed
 * fpage, or E_NO_MEMORY when the receiver's kernel memory ran out. */
word_t map_item(struct space *from, word_t w0, word_t w1, struct space *to, word_t window,
		bool grant);

void sys_unmap(struct frame *f);

#endif
