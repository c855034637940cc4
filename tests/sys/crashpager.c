/* SPDX-License-Identifier: MIT */
/*
 * A pager that crashes: it serves its clients' first faults like the
 * zero-fill pager, then dereferences NULL on its N-th fault. Its clients
 * lose their pager; everyone else's go on.
 */
#include <pager.h>

static word_t crash_after;

static word_t crash_fault(struct pager *p, struct pager_client *c, word_t addr, unsigned access,
			  unsigned *rights)
{
	if (p->faults + 1 >= crash_after) {
		printf("crashpager: crashing on purpose\n");
		return *(volatile word_t *)0;
	}
	return pager_fault_default(p, c, addr, access, rights);
}

static const struct pager_ops crash_ops = { .fault = crash_fault };

int main(int argc, char **argv)
{
	static struct pager p;

	crash_after = argc > 1 ? (word_t)(argv[1][0] - '0') * 10 : 20;
	pager_init(&p, "crashpager", &crash_ops);
	return pager_run(&p);
}
