/* SPDX-License-Identifier: MIT */
/*
 * The copy-on-write fork matrix: random trees of processes, nested to
 * DEPTH, in which parents and children write random pages at random
 * moments, and every process checks every byte of every page against its
 * own model of what it should see after each step and before it exits.
 *
 * Each process has NPAGES heap pages and a model: a copy of what every word
 * of them should hold (zero if never written). A write changes a random
 * run of words (often a single one), so a copy-on-write break that loses
 * any part of the page shows. A fork copies the model with the memory;
 * from then on each side changes only its own. A wrong byte anywhere (a write that
 * leaked across a fork, a page that lost its contents, a stale frame)
 * makes the process exit with a non-zero status, which its parent adds to
 * its own; the root reports the sum.
 *
 * Arguments (all optional): forks=N (stop starting trees once N forks are
 * done; default 300, `make stress` uses 10^4), seed=S, depth=D (default 4).
 * Prints "forkmatrix: T trees, N forks, depth D, W wrong" and exits with W
 * (capped at 255).
 */
#include "tap.h"
#include <fork.h>
#include <layout.h>

#define NPAGES 8
#define WORDS (4096 / sizeof(word_t))
#define K 0x9e3779b97f4a7c15ull
#define STEPS 6                      /* actions per process */
#define PAGE(n) ((volatile word_t *)(USER_HEAP_BASE + (word_t)(n) * 4096))

static word_t model[NPAGES][WORDS]; /* what this process's pages must hold */
static uint64_t rng;
static unsigned depth_max = 4;
static unsigned long forks;          /* forks by this process and its subtree */

static word_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Write a random run of words of page i, in the page and the model. */
static void page_write(unsigned i)
{
	volatile word_t *p = PAGE(i);
	word_t first = rnd() % WORDS, n = rnd() % 4 ? 1 + rnd() % (WORDS - first) : 1;
	word_t v = rnd();

	for (word_t j = first; j < first + n; j++)
		p[j] = model[i][j] = v * K + j;
}

/* Wrong words in page i (0 if it matches the model). */
static unsigned page_check(unsigned i)
{
	volatile word_t *p = PAGE(i);
	unsigned bad = 0;

	for (word_t j = 0; j < WORDS; j++)
		bad += p[j] != model[i][j];
	return bad;
}

static unsigned check_all(void)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < NPAGES; i++)
		bad += page_check(i);
	return bad;
}

static int run(unsigned depth);

/* Fork a child that runs the same program one level deeper; its id. */
static word_t spawn(unsigned depth)
{
	word_t child;

	rng = rnd() ^ 0x5851f42d4c957f2dull;   /* the child continues from here... */
	child = fork();
	if (child == 0) {
		rng ^= 0xda3e39cb94b95bdbull;       /* ...on a stream of its own */
		forks = 0;
		exit(run(depth + 1));
	}
	if (child != FORK_FAILED)
		forks++;
	return child;
}

/* Fold a child's exit status into our counts; its wrong count. */
static unsigned reap(word_t child)
{
	int status = -1;

	if (wait(child, &status) != E_OK || status < 0)
		return 1;
	forks += (unsigned)status >> 8;
	return (unsigned)status & 0xff;
}

/* One process: STEPS random actions, then reap its children; its exit
 * status (see above). */
static int run(unsigned depth)
{
	word_t kids[STEPS];
	unsigned nkids = 0, bad = 0;

	for (unsigned s = 0; s < STEPS; s++) {
		word_t roll = rnd() % 8;

		if (roll < 3 && depth < depth_max) {
			word_t c = spawn(depth);
			if (c == FORK_FAILED)
				bad++;                       /* the pager refused a fork */
			else
				kids[nkids++] = c;
		} else if (roll < 7) {
			page_write((unsigned)(rnd() % NPAGES));
		}
		bad += check_all();
	}
	for (unsigned k = 0; k < nkids; k++)
		bad += reap(kids[k]);
	bad += check_all();
	return (int)(forks << 8 | (bad > 255 ? 255 : bad));
}

int main(int argc, char **argv)
{
	word_t target = tap_arg(argc, argv, "forks", 300);
	word_t seed = tap_arg(argc, argv, "seed", 1);
	unsigned long wrong = 0, trees = 0;

	depth_max = (unsigned)tap_arg(argc, argv, "depth", 4);
	rng = seed * K + 0x2545f4914f6cdd1dull;
	printf("forkmatrix: seed %lu, %lu forks, depth %u\n", seed, target, depth_max);
	while (forks < target) {
		/* each tree starts from the root's own current pages */
		page_write((unsigned)(rnd() % NPAGES));
		word_t c = spawn(0);
		if (c == FORK_FAILED) {
			wrong++;
			break;
		}
		wrong += reap(c) + check_all();
		trees++;
	}
	printf("forkmatrix: %lu trees, %lu forks, depth %u, %lu wrong\n", trees, forks, depth_max,
	       wrong);
	ok(wrong == 0, "every process saw exactly its own pages (%lu wrong words or failures)",
	   wrong);
	return wrong > 255 ? 255 : (int)wrong;
}
