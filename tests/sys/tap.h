/* SPDX-License-Identifier: MIT */
/*
 * System tests print one TAP-style line per check ("ok - ..." or
 * "not ok - ..."); the test runner fails a test on any "not ok". A test
 * program returns the number of failed checks as its exit status, and
 * init (the parent) compares it with the expectation in the boot config.
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <libmap.h>
#include <layout.h>

extern unsigned tap_failed;

#define ok(cond, ...) tap_check((cond), __VA_ARGS__)

static inline bool tap_check(bool cond, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("%s - %s\n", cond ? "ok" : "not ok", buf);
	if (!cond)
		tap_failed++;
	return cond;
}

/* Check a system call result against the expected error code. */
static inline bool ok_err(word_t got, word_t want, const char *what)
{
	return ok(got == want, "%s: error %lx (want %lx)", what, got, want);
}

/* Sleep for about `us` microseconds (an IPC receive that times out). */
static inline void tap_sleep(word_t us)
{
	ipc_receive(libmap_myself, us, NULL);
}

/* A server's answer: the IPC error err, else the error a refusal carries
 * (a nonzero label with the error in MR1), else E_OK. */
static inline word_t tap_reply_error(word_t err)
{
	struct utcb *u = utcb();

	if (err)
		return err;
	return tag_label(u->mr[0]) ? u->mr[1] : E_OK;
}

/* ---- helpers of the bigger system tests (tap.c) ---- */

/* Addresses tests use for memory they manage themselves: outside the
 * image, stack and heap that init pages, so a stray access there is never
 * silently satisfied by init. */
#define TEST_VA_A 0x500000000000ull     /* the controller's own frames */
#define TEST_VA_B 0x510000000000ull     /* where agents receive them */
#define TEST_VA_C 0x520000000000ull

extern char _end[];                     /* end of the image (libmap/user.ld) */

/* Map every page of this program's image (text, data, bss) and `stack`
 * bytes of stack below the current one, so that other threads of the
 * space (which init does not page) and the agents never fault on them. */
void tap_prefault(word_t stack);

/* The number in argument KEY=N (decimal), or dflt if there is none. */
word_t tap_arg(int argc, char **argv, const char *key, word_t dflt);

/* This task's slot in the boot configuration (0 = first task line). */
unsigned tap_slot(void);

/* A thread id of this task for private use: number 128 + 32 * slot + k. */
word_t tap_tid(unsigned k, unsigned version);

/* The main thread of the task in configuration slot `slot` (version 1). */
word_t tap_task_tid(unsigned slot);

/* FILE_LABEL_MAP of [va, va + size) of `path` (offset 0) to this
 * thread's pager; the answer's error (tap_reply_error), or the IPC error
 * if the pager does not answer within timeout_us (TIMEOUT_NEVER: wait). */
word_t tap_file_map(word_t va, word_t size, word_t flags, const char *path, word_t timeout_us);

/* Send `to` a forged page-fault message (a read at va, with the kernel's
 * mark set, which the kernel clears on the way) with the receive window
 * at `window`; the IPC error. The answer is left in the UTCB. */
word_t tap_forge_fault(word_t to, word_t va, word_t window);

/* Any system call with raw registers (struct sysregs in syscall_arch.h). */
static inline struct sysregs tap_syscall(word_t rax, word_t rdi, word_t rsi, word_t rdx,
					 word_t r10, word_t r8, word_t r9)
{
	struct sysregs r = { rax, rdi, rsi, rdx, r10, r8, r9 };

	syscall_raw(&r);
	return r;
}

/* KDB_RAISE_IRQ: inject interrupt `irq` (privileged). */
static inline word_t tap_raise_irq(word_t irq)
{
	return tap_syscall(SYS_KDEBUG, KDB_RAISE_IRQ, irq, 0, 0, 0, 0).rax;
}

/* Kernel memory charged to the space of `tid`, and its quota. */
word_t tap_kmem_used(word_t tid);
word_t tap_kmem_quota(word_t tid);

/* One frame from sigma0 at va (4 KiB, rwx), filled with `fill`; its
 * physical address, or 0 (with a "not ok") on failure. */
word_t tap_frame(word_t va, word_t fill);

/* A named table of test cases; tap_run runs those named on the command
 * line (argv[1..]), or all of them. */
struct tap_case {
	const char *name;
	void (*fn)(void);
};
void tap_run(const struct tap_case *cases, unsigned n, int argc, char **argv);

/* Run the kernel's invariant checkers, print the summary and return the
 * exit status (the number of failed checks). */
int tap_done(const char *name);

#endif
