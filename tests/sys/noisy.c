/* SPDX-License-Identifier: MIT */
/*
 * The noisy side of the colour-isolation experiment: streams through a
 * 4 MiB buffer (four times the modelled cache), writing one word per
 * cache line, and after each sweep tells the real-time task (the task in
 * boot.cfg slot SLOT) to run its next iteration; ends when it is gone.
 *
 *   tests/noisy SLOT
 */
#include <libmap.h>
#include <layout.h>
#include "../../rt-alloc/colour_client.h"

#define NOISY_BUFFER (4u << 20)

int main(int argc, char **argv)
{
	volatile word_t *buf = (volatile word_t *)USER_HEAP_BASE;
	unsigned slot = argc > 1 ? (unsigned)(argv[1][0] - '0') : 1, sweeps = 0;
	word_t rt = tid_make(libmap_kip->user_base + 2 + slot, 1);

	if (colour_populate())
		printf("noisy: COLOUR_POPULATE failed\n");
	do {
		for (word_t i = 0; i < NOISY_BUFFER / 8; i += 64 / 8)
			buf[i]++;
		sweeps++;
		msg_tag(0, 0, 0);
	} while (!ipc_send(rt, TIMEOUT_NEVER));
	printf("noisy: %u sweeps of %u KiB\n", sweeps, NOISY_BUFFER >> 10);
	return 0;
}
