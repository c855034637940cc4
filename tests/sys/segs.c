/* SPDX-License-Identifier: MIT */
/*
 * Segment state does not cross a thread switch (issue 8, class 2).
 *
 * `tests/segs attack` loads user selectors into %ds, %es and %gs and a
 * null selector into %fs (which zeroes the FS base, where the UTCB is)
 * before every yield and every fast-path IPC call to the victim.
 * `tests/segs victim`, in its own space with its UTCB at the same
 * address, checks after each switch what the kernel promises a thread
 * (docs/abi.md §4): %fs:0 is its UTCB, the GS base is 0, and %ds, %es,
 * %fs and %gs hold the null selector. Before the fix the victim read its
 * UTCB pointer through FS base 0 and was stopped by a fault at address 0.
 */
#include "tap.h"

#define ROUNDS 200
#define SEL_USER_DATA 0x23          /* the user data selector, RPL 3 */

static volatile word_t gs_probe = 0x6565656565ull;

/* The attack: what any thread may load, no privilege needed. */
static inline void segs_clobber(void)
{
	__asm__ volatile("movw %w0, %%ds\n\tmovw %w0, %%es\n\tmovw %w0, %%gs\n\tmovw %w1, %%fs"
			 : : "r"(SEL_USER_DATA), "r"(0) : "memory");
}

/* The four data selectors, or-ed together (0 if all are null). */
static inline word_t segs_selectors(void)
{
	word_t ds = 0, es = 0, fs = 0, gs = 0;

	__asm__ volatile("movw %%ds, %w0\n\tmovw %%es, %w1\n\tmovw %%fs, %w2\n\tmovw %%gs, %w3"
			 : "+r"(ds), "+r"(es), "+r"(fs), "+r"(gs));
	return ds | es | fs | gs;
}

/* What %fs:0 and %gs:&gs_probe read: the UTCB's self pointer, and (with
 * GS base 0) the probe. */
static inline word_t segs_fs0(void)
{
	word_t v;

	__asm__ volatile("movq %%fs:0, %0" : "=r"(v));
	return v;
}

static inline word_t segs_gs_probe(void)
{
	word_t v;

	__asm__ volatile("movq %%gs:(%1), %0" : "=r"(v) : "r"(&gs_probe));
	return v;
}

/* Raw system calls: the attacker's own FS base is 0 until the kernel
 * switches back to it, so it must not touch its UTCB in between. */
static word_t segs_yield(void)
{
	return tap_syscall(SYS_THREAD_SWITCH, TID_NIL, 0, 0, 0, 0, 0).rax;
}

static word_t segs_call(word_t to)
{
	return tap_syscall(SYS_IPC, to, to, timeouts(TIMEOUT_NEVER, TIMEOUT_NEVER), 0, 0, 0).rax;
}

static word_t segs_sleep(word_t us)
{
	return tap_syscall(SYS_IPC, TID_NIL, libmap_myself, timeouts(TIMEOUT_ZERO, us), 0, 0, 0).rax;
}

static int segs_attack(word_t victim)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < ROUNDS; i++) {
		segs_clobber();
		segs_yield();
	}
	for (unsigned i = 0; i < ROUNDS; i++) {
		segs_clobber();
		bad += segs_call(victim) != E_OK;
	}
	segs_sleep(2000);                    /* a switch away and back: my UTCB again */
	ok(bad == 0, "attacker: %u fast-path calls, %u failed", ROUNDS, bad);
	return (int)tap_failed;
}

/* One check of the victim's state after a switch; counts what is wrong. */
static unsigned segs_check(void)
{
	return (segs_fs0() != UTCB_AREA_BASE) + (segs_gs_probe() != gs_probe) +
	       (segs_selectors() != 0);
}

static int segs_victim(word_t attacker)
{
	unsigned bad_yield = 0, bad_ipc = 0;
	struct sysregs r;

	for (unsigned i = 0; i < ROUNDS; i++) {
		segs_yield();
		bad_yield += segs_check();
	}
	r = tap_syscall(SYS_IPC, TID_NIL, attacker, timeouts(TIMEOUT_ZERO, TIMEOUT_NEVER), 0, 0, 0);
	for (unsigned i = 0; i < ROUNDS && r.rax == E_OK; i++) {
		bad_ipc += segs_check();
		r = tap_syscall(SYS_IPC, attacker, i + 1 < ROUNDS ? attacker : TID_NIL,
				timeouts(TIMEOUT_ZERO, TIMEOUT_NEVER), 0, 0, 0);
	}
	ok_err(r.rax, E_OK, "victim: served the attacker's calls");
	ok(bad_yield == 0, "victim: FS base, GS base and selectors intact after %u yields (%u wrong)",
	   ROUNDS, bad_yield);
	ok(bad_ipc == 0, "victim: ... and after %u fast-path calls (%u wrong)", ROUNDS, bad_ipc);
	return tap_done("segs");
}

/* x87 registers are per thread (the kernel switches them with the rest of
 * the FPU state): two copies keep different values on the x87 stack across
 * 200 yields each and find them unchanged. */
static int segs_x87(const char *which)
{
	double in = which[0] == 'a' ? 2.5 : 7.25, out = 0;
	unsigned bad = 0;

	for (unsigned i = 0; i < ROUNDS; i++) {
		__asm__ volatile("fldl %[in]\n\t"
				 "movl %[sw], %%eax\n\t"
				 "movq %[nil], %%rdi\n\t"
				 "syscall\n\t"
				 "fstpl %[out]"
				 : [out] "=m"(out)
				 : [in] "m"(in), [sw] "i"(SYS_THREAD_SWITCH), [nil] "i"(TID_NIL)
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
		bad += out != in;
		in += 1.0;
	}
	ok(bad == 0, "x87 %s: my x87 stack survived %u yields (%u wrong)", which, ROUNDS, bad);
	return (int)tap_failed;
}

/* sgdt shows where the kernel's tables are: with UMIP (the CPUs QEMU
 * models have it) it raises #GP in user mode. */
static int segs_sgdt(void)
{
	struct { uint16_t limit; word_t base; } __attribute__((packed)) gdt = { 0, 0 };

	__asm__ volatile("sgdt %0" : "=m"(gdt));
	ok(false, "sgdt ran in user mode: GDT at %lx", gdt.base);
	return (int)tap_failed;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "x87"))
		return segs_x87(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "sgdt"))
		return segs_sgdt();
	if (argc > 1 && !strcmp(argv[1], "attack"))
		return segs_attack(tap_task_tid(tap_slot() + 1));
	return segs_victim(tap_task_tid(tap_slot() - 1));
}
