/* SPDX-License-Identifier: MIT */
/*
 * Copy-on-write fork tested the way a student would, from libmap/fork.h
 * and docs/abi.md §16.4 alone (run under pagers/cow): parent and child
 * write the same pages and each sees only its own writes, through three
 * generations; wait returns exit statuses (negative ones too), -1000 for
 * a child killed by a fault, and E_BAD_THREAD for a thread that is not
 * (or no longer) our child; pager_release gives pages back in one process
 * only; and many short-lived children leave nothing behind (the cow
 * pager's summary at shutdown says how many frames are still in use).
 */
#include "../../tests/sys/tap.h"
#include <fork.h>
#include <layout.h>
#include <sigma0.h>

#define PAGES 16
#define ROUNDS 40

static char data[64] = "written before the fork";      /* .data */
static word_t bss_word;                                 /* .bss */

static volatile word_t *page(unsigned k)
{
	return (volatile word_t *)(USER_HEAP_BASE + (word_t)k * 4096);
}

static void fill(word_t who)
{
	for (unsigned k = 0; k < PAGES; k++)
		*page(k) = who << 8 | k;
}

/* Pages of the heap that do not hold who's values. */
static unsigned wrong(word_t who)
{
	unsigned bad = 0;

	for (unsigned k = 0; k < PAGES; k++)
		bad += *page(k) != (who << 8 | k);
	return bad;
}

/* Fork, run fn in the child (its return value is the exit status), wait
 * for it and return its status (or 1000 if fork or wait failed). */
static int spawn(int (*fn)(void))
{
	word_t child = fork();
	int status = 1000;

	if (child == 0)
		exit(fn());
	if (child == TID_NIL || wait(child, &status) != E_OK)
		return 1000;
	return status;
}

static int grandchild(void)
{
	int bad = wrong(2);

	fill(3);
	strlcpy(data, "the grandchild's", sizeof(data));
	return bad + (int)wrong(3) + (strcmp(data, "the grandchild's") != 0);
}

/* The child: sees the parent's pre-fork pages, writes its own, forks a
 * grandchild that does the same, and keeps its own values through it. */
static int child(void)
{
	int bad = (int)wrong(1) + (strcmp(data, "written before the fork") != 0) +
		  (bss_word != 11);
	int status;

	fill(2);
	bss_word = 22;
	status = spawn(grandchild);
	bad += !ok(status == 0, "grandchild saw its parent's pages and its own (status %d)",
		   status);
	bad += (int)wrong(2) + (bss_word != 22) + (strcmp(data, "written before the fork") != 0);
	return bad;
}

static void test_isolation(void)
{
	fill(1);
	bss_word = 11;
	ok(spawn(child) == 0, "child and grandchild each see only their own writes");
	ok(!wrong(1) && bss_word == 11 && !strcmp(data, "written before the fork"),
	   "the parent still reads its own heap, bss and data");
}

/* After fork the parent writes first: the child must still see the old
 * values, whichever of the two runs first. */
static int child_reads_old(void)
{
	return (int)wrong(1);
}

static void test_parent_writes_after_fork(void)
{
	word_t c;
	int status = -1;

	fill(1);
	c = fork();
	if (c == 0)
		exit(child_reads_old());
	fill(4);
	ok(c != TID_NIL && wait(c, &status) == E_OK && status == 0,
	   "the parent's writes after fork are not seen by the child (status %d)", status);
	ok(!wrong(4), "and the parent sees them");
}

static int exit_minus_five(void)
{
	return -5;
}

static int die_of_fault(void)
{
	return *(volatile int *)8;                  /* nobody's memory: refused */
}

static void test_wait_statuses(void)
{
	word_t c;
	int status = 0;

	ok(spawn(exit_minus_five) == -5, "a negative exit status arrives sign-extended");
	status = spawn(die_of_fault);
	ok(status == -1000, "a child killed by a fault is reported as -1000 (got %d)", status);
	c = fork();
	if (c == 0)
		exit(7);
	ok(wait(c, &status) == E_OK && status == 7, "wait returns the status (7)");
	ok_err(wait(c, &status), E_BAD_THREAD, "waiting a second time for the same child");
	ok_err(wait(libmap_myself, &status), E_BAD_THREAD, "waiting for oneself");
	ok_err(wait(libmap_exit_to, &status), E_BAD_THREAD, "waiting for a thread that is no child");
}

/* pager_release in the child gives its pages back; the parent keeps its. */
static int child_releases(void)
{
	int bad = (int)wrong(5);

	bad += pager_release(USER_HEAP_BASE, PAGES * 4096) != E_OK;
	for (unsigned k = 0; k < PAGES; k++)
		bad += *page(k) != 0;
	return bad;
}

static void test_release(void)
{
	fill(5);
	ok(spawn(child_releases) == 0, "released pages read as zero in the child");
	ok(!wrong(5), "while the parent keeps its values");
	ok_err(pager_release(USER_HEAP_BASE, PAGES * 4096), E_OK, "the parent releases them too");
	ok(*page(0) == 0 && *page(PAGES - 1) == 0, "and reads zeros");
	ok_err(pager_release(USER_HEAP_BASE + 1, 4096), E_BAD_ARGUMENT,
	       "an unaligned range is refused");
}

static int child_writes_all(void)
{
	fill(6);
	return (int)wrong(6);
}

/* Each child copies every page it writes; when it has been waited for,
 * its frames are back with the cow pager, which keeps at most 64 spare
 * ones and gives the rest back to sigma0. */
static void test_many_children(void)
{
	word_t free0, given0, free1, given1;
	unsigned bad = 0;

	fill(1);
	sigma0_stats(&free0, &given0);
	for (unsigned i = 0; i < ROUNDS; i++)
		bad += spawn(child_writes_all) != 0;
	sigma0_stats(&free1, &given1);
	ok(!bad && !wrong(1), "%u children in turn each wrote every page; the parent's stay",
	   ROUNDS);
	ok(given1 <= given0 + 96 * 4096, "their memory came back: sigma0 gave out %ld KiB more",
	   (long)(given1 - given0) / 1024);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_isolation();
	test_parent_writes_after_fork();
	test_wait_statuses();
	test_release();
	test_many_children();
	return tap_done("forkcheck");
}
