/* SPDX-License-Identifier: MIT */
/* A small forking program: parent and child each write their own copy. */
#include "tap.h"
#include <fork.h>
#include <layout.h>

int main(int argc, char **argv)
{
	volatile word_t *v = (volatile word_t *)USER_HEAP_BASE;
	word_t child;
	int status = -1;

	(void)argc;
	(void)argv;
	*v = 1;
	child = fork();
	if (child == 0) {
		*v = 2;
		printf("forkhello: child %lx sees %lu\n", libmap_myself, *v);
		exit(*v == 2 ? 0 : 1);
	}
	ok(child != FORK_FAILED, "fork returned child %lx", child);
	ok(wait(child, &status) == E_OK && status == 0, "child exited with 0");
	ok(*v == 1, "parent still sees its own value");
	return (int)tap_failed;
}
