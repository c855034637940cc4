/* SPDX-License-Identifier: MIT */
/*
 * Copy-on-write fork in user space, after Linux's
 * tools/testing/selftests/mm/cow.c: after fork, writes by the parent are
 * never seen by the child and the reverse, for pages written before the
 * fork, pages only read before it, pages never touched, and pages shared
 * with a third process; nested forks; a fork storm.
 */
#include "tap.h"
#include <fork.h>
#include <layout.h>

#define PAGE(n) ((volatile word_t *)(USER_HEAP_BASE + (word_t)(n) * 4096))
#define STORM 200

/* Run fn in a child and check that it exits with status 0. */
static void in_child(const char *what, int (*fn)(void))
{
	word_t child = fork();
	int status = -1;

	if (child == 0)
		exit(fn());
	ok(child != FORK_FAILED, "%s: fork", what);
	ok(wait(child, &status) == E_OK && status == 0, "%s: child passed (status %d)", what, status);
}

static int child_written_before(void)
{
	int bad = !ok(*PAGE(0) == 0x1111, "child sees the parent's pre-fork value");
	*PAGE(0) = 0x2222;
	bad += !ok(*PAGE(0) == 0x2222, "child sees its own write");
	return bad;
}

static int child_read_only(void)
{
	int bad = !ok(*PAGE(1) == 0, "child reads the zero page the parent only read");
	*PAGE(1) = 0x3333;
	return bad + !ok(*PAGE(1) == 0x3333, "child's write to a read-only-before-fork page");
}

static int child_untouched(void)
{
	int bad = !ok(*PAGE(2) == 0, "child reads a never-touched page as zero");
	*PAGE(2) = 0x4444;
	return bad;
}

static int child_nested(void)
{
	word_t me = libmap_myself, child;
	int status = -1, depth = (int)*PAGE(3);

	*PAGE(4 + depth) = me;
	if (depth == 3)
		return 0;
	*PAGE(3) = (word_t)depth + 1;
	child = fork();
	if (child == 0)
		exit(child_nested());
	if (child == FORK_FAILED || wait(child, &status) || status)
		return 1;
	return !ok(*PAGE(3) == (word_t)depth + 1 && *PAGE(4 + depth) == me,
		   "level %d keeps its values after its child ran", depth);
}

static int child_third(void)
{
	return !ok(*PAGE(10) == 0x5555, "third process sees the value shared before the forks");
}

static int child_writer(void)
{
	*PAGE(10) = 0x6666;
	return !ok(*PAGE(10) == 0x6666, "second process sees its own write to the shared page");
}

static int child_exit_code(void)
{
	return 0;
}

static int child_release_shared(void)
{
	int bad = !ok(*PAGE(31) == 5, "child sees the shared page before releasing it");

	bad += !ok(pager_release((word_t)PAGE(31), 4096) == E_OK, "child releases its copy");
	return bad + !ok(*PAGE(31) == 0, "child's released page reads as zero");
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	*PAGE(0) = 0x1111;
	in_child("written before fork", child_written_before);
	ok(*PAGE(0) == 0x1111, "parent does not see the child's write (%lx)", *PAGE(0));

	ok(*PAGE(1) == 0, "parent reads page 1 before the fork");
	in_child("read-only before fork", child_read_only);
	ok(*PAGE(1) == 0, "parent does not see the child's write to page 1");

	in_child("never touched", child_untouched);
	ok(*PAGE(2) == 0, "parent's never-touched page stays zero");
	*PAGE(2) = 0x7777;
	ok(*PAGE(2) == 0x7777, "parent writes page 2 after the child is gone");

	*PAGE(10) = 0x5555;
	in_child("shared with a writer", child_writer);
	in_child("shared with a third process", child_third);
	ok(*PAGE(10) == 0x5555, "parent keeps the shared value");

	*PAGE(3) = 0;
	in_child("nested forks", child_nested);
	ok(*PAGE(3) == 0, "parent's depth counter untouched by descendants");

	for (int i = 0; i < STORM; i++) {
		word_t child = fork();
		int status = -1;
		if (child == 0)
			exit(child_exit_code());
		if (child == FORK_FAILED || wait(child, &status) || status) {
			ok(false, "fork storm: cycle %d failed", i);
			break;
		}
		if (i == STORM - 1)
			ok(true, "fork storm: %d fork/exit/wait cycles", STORM);
	}
	ok(wait(libmap_myself, NULL) == E_BAD_THREAD, "wait for a non-child is refused");

	for (int i = 20; i < 24; i++)
		*PAGE(i) = (word_t)i;
	ok(pager_release((word_t)PAGE(20), 4 * 4096) == E_OK, "release four pages to the pager");
	ok(*PAGE(20) == 0 && *PAGE(23) == 0, "released pages read as zero-filled memory again");
	ok(pager_release((word_t)PAGE(20) + 1, 4096) == E_BAD_ARGUMENT, "an unaligned release is refused");
	*PAGE(31) = 5;
	in_child("release of a shared page", child_release_shared);
	ok(*PAGE(31) == 5, "the parent keeps its copy of a page its child released");
	return (int)tap_failed;
}
