/* SPDX-License-Identifier: MIT */
/*
 * A custom pager in thirty lines (docs/writing-a-pager.md walks through
 * it): every new heap page of a client is filled with its own address in
 * every word instead of zeros (bss and stack must stay zero-filled: C
 * expects it), and the pager counts what it served.
 */
#include <pager.h>
#include <layout.h>

static word_t pattern_fault(struct pager *p, struct pager_client *c, word_t addr,
			    unsigned access, unsigned *rights)
{
	word_t va = ALIGN_DOWN(addr, 4096), frame;

	if (pager_page_lookup(c, va, &frame, rights))
		return frame;                       /* mapped before: map it again */
	if (!pager_client_region(c, va, rights))
		return 0;                           /* not the client's memory: refuse */
	if (va - USER_HEAP_BASE >= USER_HEAP_SIZE)
		return pager_fault_default(p, c, addr, access, rights);
	if (!(frame = pager_frame_alloc(p, false)))
		return 0;
	for (unsigned i = 0; i < 512; i++)
		((word_t *)frame)[i] = va + i * 8;
	if (!pager_page_insert(p, c, va, frame, *rights)) {
		pager_frame_put(frame);
		return 0;
	}
	return frame;
}

static const struct pager_ops pattern_ops = { .fault = pattern_fault };

int main(int argc, char **argv)
{
	static struct pager p;
	int status;

	(void)argc;
	(void)argv;
	pager_init(&p, "pattern", &pattern_ops);
	printf("pattern: pager %lx ready\n", libmap_myself);
	status = pager_run(&p);
	printf("pattern: served %lu faults\n", p.faults);
	return status;
}
