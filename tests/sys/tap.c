/* SPDX-License-Identifier: MIT */
/* Helpers shared by the system tests (see tap.h). */
#include "tap.h"
#include <sigma0.h>
#include <pagoda/file.h>

unsigned tap_failed;       /* checks that failed in this program */

void tap_prefault(word_t stack)
{
	volatile char *p = __builtin_alloca(stack);

	for (word_t va = USER_IMAGE_BASE; va < (word_t)_end; va += 4096)
		(void)*(volatile char *)va;
	for (word_t off = 0; off < stack; off += 4096)
		p[off] = 0;
}

unsigned tap_slot(void)
{
	return (unsigned)(tid_number(libmap_myself) - libmap_kip->user_base - 2);
}

word_t tap_arg(int argc, char **argv, const char *key, word_t dflt)
{
	size_t n = strlen(key);

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=') {
			word_t v = 0;
			for (const char *c = argv[i] + n + 1; *c >= '0' && *c <= '9'; c++)
				v = v * 10 + (word_t)(*c - '0');
			return v;
		}
	return dflt;
}

word_t tap_tid(unsigned k, unsigned version)
{
	return tid_make(128 + 32 * tap_slot() + k, version);
}

word_t tap_task_tid(unsigned slot)
{
	return tid_make(libmap_kip->user_base + 2 + slot, 1);
}

word_t tap_kmem_used(word_t tid)
{
	word_t used = 0;

	kdb_space_kmem(tid, &used, NULL);
	return used;
}

word_t tap_kmem_quota(word_t tid)
{
	word_t quota = 0;

	kdb_space_kmem(tid, NULL, &quota);
	return quota;
}

word_t tap_frame(word_t va, word_t fill)
{
	word_t pa = 0, err = sigma0_alloc(12, FPAGE_RWX, fpage_make(va, 12, 0), &pa);

	if (!ok(err == E_OK && pa, "sigma0 gives a frame at %lx (error %lu)", va, err))
		return 0;
	((volatile word_t *)va)[0] = fill;
	((volatile word_t *)va)[1] = ~fill;
	return pa;
}

void tap_run(const struct tap_case *cases, unsigned n, int argc, char **argv)
{
	for (unsigned i = 0; i < n; i++) {
		bool run = argc < 2;

		for (int j = 1; j < argc; j++)
			run |= !strcmp(argv[j], cases[i].name);
		if (run) {
			printf("# %s\n", cases[i].name);
			cases[i].fn();
		}
	}
}

int tap_done(const char *name)
{
	word_t checker = 0, line = 0, err = kdb_check_report(&checker, &line);

	ok(err == E_OK, "KDB_CHECK: every kernel invariant holds (error %lu, checker %lu, line %lu)",
	   err, checker, line);
	printf("%s: %u check(s) failed, at tick %lu\n", name, tap_failed, libmap_kip->ticks);
	return (int)tap_failed;
}

word_t tap_file_map(word_t va, word_t size, word_t flags, const char *path, word_t timeout_us)
{
	struct utcb *u = utcb();
	word_t len = strlen(path);

	msg_tag(FILE_LABEL_MAP, 5 + (unsigned)(len + 7) / 8, 0);
	u->mr[1] = va;
	u->mr[2] = size;
	u->mr[3] = 0;
	u->mr[4] = flags;
	u->mr[5] = len;
	memcpy(&u->mr[6], path, len);
	msg_accept(FPAGE_NIL);
	return tap_reply_error(ipc(u->pager, u->pager, timeouts(TIMEOUT_NEVER, timeout_us), NULL));
}

word_t tap_forge_fault(word_t to, word_t va, word_t window)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(LABEL_PAGEFAULT | FPAGE_R, PF_MSG_LENGTH, 0);
	u->mr[0] |= TAG_K_FLAG;                   /* the kernel clears it on the way */
	u->mr[PF_MSG_ADDR] = va;
	u->mr[PF_MSG_IP] = 0x401000;
	msg_accept(fpage_make(window, 12, 0));
	err = ipc(to, to, timeouts(TIMEOUT_NEVER, 2000000), NULL);
	msg_accept(FPAGE_NIL);
	return err;
}
