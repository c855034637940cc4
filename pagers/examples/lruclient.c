/* SPDX-License-Identifier: MIT */
/*
 * A client of pagers/examples/lru: it uses many more pages than the pager
 * has frames (heap, bss and stack), so most of them are taken away and
 * come back from the pager's store, and checks that every word it wrote,
 * and every zero it never wrote, survives; pages it gives back
 * (pager_release) read as zeros again, evicted or not.
 */
#include "../../tests/sys/tap.h"
#include <fork.h>
#include <layout.h>

#define HEAP_PAGES 64                   /* written */
#define ZERO_PAGES 16                   /* after them: only read */
#define BSS_PAGES 8
#define WORDS 512

static volatile word_t bss[BSS_PAGES][WORDS];

static volatile word_t *heap_page(unsigned k)
{
	return (volatile word_t *)(USER_HEAP_BASE + (word_t)k * 4096);
}

static word_t sig(unsigned round, unsigned k, unsigned w)
{
	return (word_t)round << 48 | (word_t)k << 16 | w;
}

static void fill(volatile word_t *page, word_t round, unsigned k)
{
	for (unsigned w = 0; w < WORDS; w++)
		page[w] = sig(round, k, w);
}

/* Words of page k that do not hold round's signature. */
static unsigned wrong(volatile word_t *page, word_t round, unsigned k)
{
	unsigned bad = 0;

	for (unsigned w = 0; w < WORDS; w++)
		bad += page[w] != sig(round, k, w);
	return bad;
}

/* Touch every written heap page once: everything else gets evicted. */
static void churn(void)
{
	for (unsigned k = 0; k < HEAP_PAGES; k++)
		(void)heap_page(k)[k];
}

static unsigned heap_wrong(unsigned even_round)
{
	unsigned bad = 0;

	for (unsigned k = 0; k < HEAP_PAGES; k++)
		bad += wrong(heap_page(k), k % 2 ? 1 : even_round, k);
	return bad;
}

int main(int argc, char **argv)
{
	volatile word_t stack[3][WORDS];
	unsigned bad = 0;

	(void)argc;
	(void)argv;
	for (unsigned k = 0; k < HEAP_PAGES; k++)
		fill(heap_page(k), 1, k);
	ok(!heap_wrong(1), "%u heap pages written, each read back whole", HEAP_PAGES);
	for (unsigned k = 0; k < HEAP_PAGES; k += 2)
		fill(heap_page(k), 2, k);
	ok(!heap_wrong(2), "half of them rewritten: new and old contents both survive");
	for (unsigned k = HEAP_PAGES; k < HEAP_PAGES + ZERO_PAGES; k++)
		for (unsigned w = 0; w < WORDS; w++)
			bad += heap_page(k)[w] != 0;
	churn();
	for (unsigned k = HEAP_PAGES; k < HEAP_PAGES + ZERO_PAGES; k++)
		bad += heap_page(k)[k] != 0;
	ok(!bad, "%u pages only read are zero, and still zero after eviction", ZERO_PAGES);
	for (unsigned k = 0; k < BSS_PAGES; k++)
		fill(bss[k], 3, k);
	for (unsigned k = 0; k < 3; k++)
		fill(stack[k], 4, k);
	churn();
	bad = 0;
	for (unsigned k = 0; k < BSS_PAGES; k++)
		bad += wrong(bss[k], 3, k);
	ok(!bad, "%u bss pages survive eviction", BSS_PAGES);
	bad = 0;
	for (unsigned k = 0; k < 3; k++)
		bad += wrong(stack[k], 4, k);
	ok(!bad, "3 stack pages survive eviction");
	ok(!heap_wrong(2), "and the heap still holds what was written last");
	bad = pager_release(USER_HEAP_BASE, HEAP_PAGES / 2 * 4096) != E_OK;
	for (unsigned k = 0; k < HEAP_PAGES; k++)
		bad += k < HEAP_PAGES / 2 ? heap_page(k)[k] != 0 : wrong(heap_page(k), k % 2 ? 1 : 2, k);
	ok(!bad, "%u pages given back read as zeros, the other %u as written", HEAP_PAGES / 2,
	   HEAP_PAGES / 2);
	return tap_done("lruclient");
}
