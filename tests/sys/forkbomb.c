/* SPDX-License-Identifier: MIT */
/*
 * A fork bomb through the copy-on-write pager (issue 8, class 5). Every
 * child takes kernel memory (a page table for each of 64 pages 2 MiB
 * apart) and waits; the parent forks until a fork fails or 60 children
 * live. The children's spaces belong to the cow pager, so together they
 * cannot take more kernel memory than the pager's quota: forks and the
 * children's faults fail cleanly (E_NO_MEMORY; a child that gets no page
 * table is stopped), the pool never runs low, and everything comes back
 * when the children end (init's end-of-run check).
 */
#include "tap.h"
#include <fork.h>
#include <layout.h>

#define CHILDREN_MAX 60
#define TOUCHES 64
#define LABEL_GO 0x61

static word_t pool_free(void)
{
	word_t index = 0, free = kdb_kmem_free(&index);

	return free + index;
}

/* The child: take kernel memory, then wait for the parent's word. */
static _Noreturn void child(void)
{
	volatile uint8_t *heap = (volatile uint8_t *)USER_HEAP_BASE;
	word_t from = TID_NIL;

	for (unsigned i = 0; i < TOUCHES; i++)
		heap[(word_t)i << 21] = 1;
	ipc_receive(TID_ANY, TIMEOUT_NEVER, &from);
	exit(0);
}

/* One bomb: fork until refused (or CHILDREN_MAX), then end them all and
 * check that fork works again. */
static void bomb(word_t quota)
{
	word_t kids[CHILDREN_MAX], start = pool_free(), low = start, c;
	unsigned n = 0, died = 0, failed = 0;
	int status;

	while (n < CHILDREN_MAX) {
		c = fork();
		if (c == 0)
			child();
		if (c == FORK_FAILED) {
			failed++;
			break;
		}
		kids[n++] = c;
		tap_sleep(20000);                   /* let it take its memory */
		low = MIN(low, pool_free());
	}
	ok(failed || n == CHILDREN_MAX, "forked %u children, then fork %s", n,
	   failed ? "failed" : "was not refused");
	ok(start - low <= quota + (256u << 10),
	   "the bomb took %lu KiB of kernel memory at most, within the pager's quota of %lu KiB",
	   (start - low) >> 10, quota >> 10);
	for (unsigned i = 0; i < n; i++) {
		msg_tag(LABEL_GO, 0, 0);
		ipc_send(kids[i], 2000000);          /* it may still be faulting */
		if (wait(kids[i], &status) == E_OK && status != 0)
			died++;
	}
	ok(failed || died, "the quota stopped the bomb: %u forks refused, %u children denied memory",
	   failed, died);
	c = fork();
	if (c == 0)
		exit(7);
	ok(c != FORK_FAILED && wait(c, &status) == E_OK && status == 7,
	   "with the children gone, fork works again");
	printf("forkbomb: %u children, %u stopped for want of kernel memory; pool %lu KiB -> %lu KiB\n",
	       n, died, start >> 10, low >> 10);
}

/* Arguments: rounds=N (default 1; make stress runs more), kmem=KiB: the
 * quota boot.cfg gives the pager (default 3072). */
int main(int argc, char **argv)
{
	word_t quota = 0, used = 0, want = tap_arg(argc, argv, "kmem", 3072);
	word_t rounds = tap_arg(argc, argv, "rounds", 1);

	kdb_space_kmem(utcb()->pager, &used, &quota);
	ok(quota == want << 10, "the pager's quota is what boot.cfg says (kmem=%lu): %lu KiB",
	   want, quota >> 10);
	for (word_t r = 0; r < rounds; r++)
		bomb(quota);
	printf("forkbomb: %lu rounds\n", rounds);
	return (int)tap_failed;
}
