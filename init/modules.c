/* SPDX-License-Identifier: MIT */
/*
 * Boot modules: init takes every module's frames from sigma0 (they are
 * boot-module RAM, which sigma0 owns) and keeps them mapped at
 * FRAME_BASE + physical address, so images can be loaded any number of
 * times. A module is named by the second word of its command line
 * ("build/tests/hello.elf tests/hello" is "tests/hello").
 */
#include "init.h"
#include <sigma0.h>

int modules_map_all(void)
{
	struct kip *k = libmap_kip;

	for (unsigned i = 2; i < k->module_count; i++) {
		word_t base = ALIGN_DOWN(k->module[i].base, 4096);
		word_t end = ALIGN_UP(k->module[i].base + k->module[i].size, 4096);
		for (word_t pa = base; pa < end; pa += 4096) {
			word_t err = sigma0_phys(fpage_make(pa, 12, FPAGE_R), FRAME_WINDOW);
			if (err) {
				printf("init: cannot map module %u page %lx (error %lu)\n", i, pa, err);
				return -1;
			}
		}
	}
	return 0;
}

/* The name of module i: the second word of its command line, or the first. */
static void module_name(unsigned i, char *buf, size_t size)
{
	const char *c = libmap_module_cmdline(i), *sp = strchr(c, ' ');

	strlcpy(buf, sp ? sp + 1 : c, size);
	if ((sp = strchr(buf, ' ')))
		buf[sp - buf] = '\0';
}

const uint8_t *module_find(const char *name, word_t *size)
{
	struct kip *k = libmap_kip;
	char n[NAME_MAX * 2];

	for (unsigned i = 2; i < k->module_count; i++) {
		module_name(i, n, sizeof(n));
		if (!strcmp(n, name)) {
			*size = k->module[i].size;
			return frame_va(k->module[i].base);
		}
	}
	return NULL;
}
