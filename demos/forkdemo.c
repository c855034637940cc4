/* SPDX-License-Identifier: MIT */
/*
 * The demo `make qemu` runs: a client of the copy-on-write pager forks a
 * small family of processes. Each child changes its copy of a shared page;
 * nobody sees anybody else's change, and the parent collects every exit
 * status with wait().
 */
#include <libmap.h>
#include <fork.h>
#include <layout.h>

#define CHILDREN 3

static char *const page = (char *)USER_HEAP_BASE;

static int child(int n)
{
	word_t grandchild;
	int status = -1;

	printf("forkdemo: child %d (%lx) sees \"%s\"\n", n, libmap_myself, page);
	fmt_snprintf(page, 64, "child %d was here", n);
	if (n == CHILDREN) {
		grandchild = fork();
		if (grandchild == 0) {
			printf("forkdemo: grandchild (%lx) sees \"%s\"\n", libmap_myself, page);
			exit(42);
		}
		wait(grandchild, &status);
		printf("forkdemo: child %d reaped its own child: status %d\n", n, status);
	}
	printf("forkdemo: child %d now reads \"%s\"\n", n, page);
	return n;
}

int main(int argc, char **argv)
{
	word_t kids[CHILDREN + 1];
	int status;

	(void)argc;
	(void)argv;
	strlcpy(page, "the parent's data", 64);
	printf("forkdemo: parent %lx wrote \"%s\"; forking %d children\n", libmap_myself, page,
	       CHILDREN);
	for (int n = 1; n <= CHILDREN; n++) {
		kids[n] = fork();
		if (kids[n] == 0)
			exit(child(n));
	}
	for (int n = 1; n <= CHILDREN; n++) {
		wait(kids[n], &status);
		printf("forkdemo: child %d (%lx) exited with status %d\n", n, kids[n], status);
	}
	printf("forkdemo: parent still reads \"%s\"\n", page);
	return strcmp(page, "the parent's data") ? 1 : 0;
}
