/* SPDX-License-Identifier: MIT */
/*
 * An unprivileged task calls every system call with good and bad
 * arguments: unknown numbers, the null call, the debug calls, the
 * privileged calls it may not make, bad and stale thread ids, bad fpages
 * for unmap, and kernel-owned pages it may not unmap.
 */
#include "tap.h"

#define ARGPAT 0x1111111111111111ull

static word_t stale_self(void)
{
	return tid_make(tid_number(libmap_myself), tid_version(libmap_myself) + 1);
}

/* Numbers and the null call: result in rax, argument registers kept. */
static void test_numbers(void)
{
	static const word_t bad[] = { SYS_COUNT, 31, 0x100, 0x8000000000000001ull, ~(word_t)0 };
	struct sysregs r;

	r = tap_syscall(SYS_NULL, ARGPAT, 2 * ARGPAT, 3 * ARGPAT, 4 * ARGPAT, 5 * ARGPAT, 6 * ARGPAT);
	ok(r.rax == E_OK, "SYS_NULL succeeds (%lx)", r.rax);
	ok(r.rdi == ARGPAT && r.rsi == 2 * ARGPAT && r.rdx == 3 * ARGPAT && r.r10 == 4 * ARGPAT &&
	   r.r8 == 5 * ARGPAT && r.r9 == 6 * ARGPAT, "SYS_NULL preserves the argument registers");
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		r = tap_syscall(bad[i], ARGPAT, 2 * ARGPAT, 3 * ARGPAT, 4 * ARGPAT, 5 * ARGPAT,
				6 * ARGPAT);
		ok(r.rax == E_BAD_SYSCALL && r.rdi == ARGPAT && r.r9 == 6 * ARGPAT,
		   "unknown system call %lx: E_BAD_SYSCALL (%lx), registers kept", bad[i], r.rax);
	}
}

/* SYS_KDEBUG: console, figures, checkers; what needs privilege. */
static void test_kdebug(void)
{
	static const char msg[] = "sysneg: KDB_PUTS prints this line\n";
	word_t used = 0, quota = 0;
	struct sysregs r;

	ok_err(tap_syscall(SYS_KDEBUG, KDB_PUTC, '\n', 0, 0, 0, 0).rax, E_OK, "KDB_PUTC");
	ok_err(kdb_puts(msg, sizeof(msg) - 1), E_OK, "KDB_PUTS of my string");
	ok_err(kdb_puts(msg, 4097), E_BAD_ARGUMENT, "KDB_PUTS longer than 4096 bytes");
	ok_err(kdb_puts((const char *)0xffffffff80100000ull, 16), E_BAD_ARGUMENT,
	       "KDB_PUTS of a kernel address");
	ok_err(kdb_puts((const char *)0x0000800000000000ull, 16), E_BAD_ARGUMENT,
	       "KDB_PUTS of a non-canonical address");
	ok_err(kdb_puts((const char *)TEST_VA_A, 16), E_BAD_ARGUMENT,
	       "KDB_PUTS of an unmapped user address");
	ok_err(kdb_puts((const char *)0xfffffffffffffff8ull, 16), E_BAD_ARGUMENT,
	       "KDB_PUTS of a range that wraps around");
	r = tap_syscall(SYS_KDEBUG, KDB_KMEM_FREE, 0, 0, 0, 0, 0);
	ok(r.rax == E_OK && r.rsi > 0 && r.rsi % 32 == 0, "KDB_KMEM_FREE: %lu bytes free", r.rsi);
	ok(kdb_space_kmem(libmap_myself, &used, &quota) == E_OK && used > 0 && used <= quota &&
	   quota == libmap_kip->kmem_default_quota,
	   "KDB_SPACE_KMEM of my space: %lu bytes used of a %lu quota", used, quota);
	ok_err(kdb_space_kmem(TID_NIL, NULL, NULL), E_BAD_THREAD, "KDB_SPACE_KMEM of nil");
	ok_err(kdb_space_kmem(stale_self(), NULL, NULL), E_STALE_THREAD,
	       "KDB_SPACE_KMEM of a stale id");
	ok_err(kdb_check(), E_OK, "KDB_CHECK (allowed to everyone)");
	ok_err(tap_syscall(SYS_KDEBUG, KDB_OP_COUNT, 0, 0, 0, 0, 0).rax, E_BAD_ARGUMENT,
	       "an unknown debug operation");
	ok_err(tap_syscall(SYS_KDEBUG, ~(word_t)0, 0, 0, 0, 0, 0).rax, E_BAD_ARGUMENT,
	       "debug operation ~0");
	ok_err(tap_syscall(SYS_KDEBUG, KDB_EXIT_QEMU, 3, 0, 0, 0, 0).rax, E_NO_PRIVILEGE,
	       "KDB_EXIT_QEMU without privilege (the machine goes on)");
	ok_err(tap_raise_irq(5), E_NO_PRIVILEGE, "KDB_RAISE_IRQ without privilege");
}

/* The privileged calls, from an unprivileged space. */
static void test_no_privilege(void)
{
	word_t t = tid_make(tid_number(libmap_myself) + 40, 1), sp = 0, ip = 0, err, prio = 0;

	ok_err(sys_thread_control(t, libmap_myself, TID_NIL, libmap_myself, UTCB_AREA_BASE + UTCB_SIZE,
				  0), E_NO_PRIVILEGE, "thread_control: create a thread");
	ok_err(sys_thread_control(libmap_myself, TID_ANY, TID_NIL, libmap_myself, 0, 0),
	       E_NO_PRIVILEGE, "thread_control: modify myself");
	ok_err(sys_thread_control(TID_NIL, 1, 2, 3, 4, 5), E_NO_PRIVILEGE,
	       "thread_control with garbage: privilege is checked first");
	ok_err(sys_thread_control(tid_irq(5), TID_NIL, TID_NIL, libmap_myself, 0, 0), E_NO_PRIVILEGE,
	       "thread_control: attach an interrupt");
	ok_err(sys_space_control(libmap_myself, SC_SET_QUOTA, 1 << 30, NULL), E_NO_PRIVILEGE,
	       "space_control: raise my own quota");
	ok_err(sys_space_control(libmap_myself, SC_PRIVILEGED, 0, NULL), E_NO_PRIVILEGE,
	       "space_control: make myself privileged");
	err = sys_exchange_registers(libmap_exit_to, 0, &sp, &ip, NULL, NULL, NULL);
	ok_err(err, E_NO_PRIVILEGE, "exchange_registers on init's thread (another space)");
	ok_err(sys_schedule(libmap_exit_to, SCHED_KEEP, 0, &prio), E_NO_PRIVILEGE,
	       "schedule on init's thread");
	ok_err(sys_schedule(libmap_myself, 101, 0, &prio), E_BAD_SCHEDULER,
	       "schedule: raise my own priority above 100");
}

/* exchange_registers, thread_switch and schedule on myself and on bad ids. */
static void test_self_calls(void)
{
	static const struct { word_t tid, err; const char *what; } bad[] = {
		{ TID_NIL, E_BAD_THREAD, "nil" },
		{ TID_ANY, E_BAD_THREAD, "TID_ANY" },
		{ 0, E_BAD_THREAD, "a number beyond the table" },
		{ 0, E_STALE_THREAD, "my number with another version" },
		{ 0, E_BAD_THREAD, "interrupt 5's id" },
		{ 0, E_BAD_THREAD, "the timer interrupt's id" },
	};
	word_t ids[ARRAY_SIZE(bad)], sp = 0, ip = 0, fl = 0, pager = 0, st = ~(word_t)0, prio = 0;
	word_t err, ip0;

	ids[0] = TID_NIL;
	ids[1] = TID_ANY;
	ids[2] = tid_make(libmap_kip->max_threads, 1);
	ids[3] = stale_self();
	ids[4] = tid_irq(5);
	ids[5] = tid_irq(0);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		ok_err(sys_exchange_registers(ids[i], 0, NULL, NULL, NULL, NULL, NULL), bad[i].err,
		       "exchange_registers on a bad id");
		ok(sys_thread_switch(ids[i]) == (i == 0 ? E_OK : bad[i].err),
		   "thread_switch to %s (nil yields)", bad[i].what);
		ok_err(sys_schedule(ids[i], SCHED_KEEP, 0, NULL), bad[i].err, "schedule of a bad id");
	}
	err = sys_exchange_registers(libmap_myself, 0, &sp, &ip, &fl, &pager, &st);
	ok(err == E_OK && ip >= USER_IMAGE_BASE && ip < (word_t)_end && sp < USER_STACK_TOP &&
	   sp > USER_STACK_TOP - USER_STACK_SIZE && (fl & 0x200) && pager == utcb()->pager && st == 0,
	   "exchange_registers reads my own registers (ip %lx, sp %lx, state %lx)", ip, sp, st);
	ip0 = ip;
	ok_err(sys_exchange_registers(libmap_myself, 0x100, NULL, NULL, NULL, NULL, NULL),
	       E_BAD_ARGUMENT, "exchange_registers with an unknown control bit");
	ip = 0xffffffff80100000ull;
	ok_err(sys_exchange_registers(libmap_myself, EXREG_SET_IP, NULL, &ip, NULL, NULL, NULL),
	       E_BAD_ARGUMENT, "exchange_registers: ip at a kernel address");
	ip = 0x7ffffffff000ull;
	ok_err(sys_exchange_registers(libmap_myself, EXREG_SET_IP, NULL, &ip, NULL, NULL, NULL),
	       E_BAD_ARGUMENT, "exchange_registers: ip on the top user page");
	ip = 0x400000;
	sp = 0x0000800000001000ull;
	ok_err(sys_exchange_registers(libmap_myself, EXREG_SET_IP | EXREG_SET_SP, &sp, &ip, NULL, NULL,
				      NULL), E_BAD_ARGUMENT,
	       "exchange_registers: good ip, non-canonical sp: refused as a whole");
	ip = 0;
	err = sys_exchange_registers(libmap_myself, 0, NULL, &ip, NULL, NULL, NULL);
	ok(err == E_OK && ip != 0x400000, "and the ip was not changed (%lx, before %lx)", ip, ip0);
	ok_err(sys_thread_switch(libmap_myself), E_OK, "thread_switch to myself");
	ok_err(sys_thread_switch(libmap_exit_to), E_OK, "thread_switch to init (another space)");
	ok(sys_schedule(libmap_myself, SCHED_KEEP, 0, &prio) == E_OK && prio == 100,
	   "schedule reads my priority (%lu)", prio);
	ok_err(sys_schedule(libmap_myself, SCHED_PRIO_MAX + 1, 0, NULL), E_BAD_SCHEDULER,
	       "schedule: priority 256");
	ok_err(sys_schedule(libmap_myself, SCHED_KEEP, 10000001, NULL), E_BAD_SCHEDULER,
	       "schedule: time slice above 10 s");
	ok_err(sys_schedule(libmap_myself, SCHED_KEEP, SCHED_KEEP, NULL), E_BAD_SCHEDULER,
	       "schedule: time slice ~0");
	ok_err(sys_schedule(libmap_myself, 100, 5000, &prio), E_OK,
	       "schedule: my own priority and a 5 ms slice");
}

static word_t unmap1(word_t fp, word_t control)
{
	utcb()->mr[0] = fp;
	return sys_unmap(control);
}

/* unmap: every kind of bad fpage, and pages that are not mine to unmap. */
static void test_unmap(void)
{
	static const struct { word_t fp; const char *what; } bad[] = {
		{ (11 << FPAGE_SIZE_SHIFT) | FPAGE_RWX, "size 11 (< 12)" },
		{ (2 << FPAGE_SIZE_SHIFT) | FPAGE_RWX, "size 2" },
		{ ((word_t)48 << FPAGE_SIZE_SHIFT) | FPAGE_RWX, "size 48 (> 47)" },
		{ ((word_t)63 << FPAGE_SIZE_SHIFT) | FPAGE_RWX, "size 63" },
		{ USER_HEAP_BASE + 0x1000 + (13 << FPAGE_SIZE_SHIFT) + FPAGE_RWX,
		  "base not aligned to the size" },
		{ 0xffff800000000000ull + (12 << FPAGE_SIZE_SHIFT) + FPAGE_RWX, "a kernel address" },
		{ 0x0000800000000000ull + (12 << FPAGE_SIZE_SHIFT) + FPAGE_RWX,
		  "a non-canonical address (2^47)" },
		{ USER_HEAP_BASE + (12 << FPAGE_SIZE_SHIFT) + 0x8 + FPAGE_RWX, "reserved bit 3" },
		{ USER_HEAP_BASE + (12 << FPAGE_SIZE_SHIFT) + 0x400 + FPAGE_RWX, "reserved bit 10" },
		{ USER_HEAP_BASE + (12 << FPAGE_SIZE_SHIFT) + 0x800 + FPAGE_RWX, "reserved bit 11" },
		{ (1 << FPAGE_SIZE_SHIFT) + 0x1000, "size 1 (complete) with a base" },
	};
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;
	struct utcb *u = utcb();
	word_t kip = KIP_DEFAULT_ADDR;

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		ok_err(unmap1(bad[i].fp, UNMAP_FLUSH), E_BAD_FPAGE, bad[i].what);
	ok_err(unmap1(FPAGE_NIL, UNMAP_FLUSH), E_OK, "unmap of the nil fpage");
	ok_err(unmap1(fpage_make(TEST_VA_A, 20, FPAGE_RWX), UNMAP_FLUSH), E_OK,
	       "unmap where nothing is mapped");
	ok(fpage_rights(u->mr[0]) == 0 && fpage_base(u->mr[0]) == TEST_VA_A,
	   "reports status 0 and keeps the fpage (%lx)", u->mr[0]);
	ok_err(unmap1(fpage_make(USER_HEAP_BASE, 12, FPAGE_RWX), 0x80), E_BAD_ARGUMENT,
	       "unmap with an unknown control bit");
	heap[0] = 42;
	u->mr[0] = fpage_make(USER_HEAP_BASE, 12, FPAGE_RWX);
	u->mr[1] = bad[0].fp;
	ok_err(sys_unmap(1 | UNMAP_FLUSH), E_BAD_FPAGE, "two fpages, the second bad");
	ok(u->mr[0] == fpage_make(USER_HEAP_BASE, 12, FPAGE_RWX),
	   "the good one was not processed: nothing happens unless all are valid");
	ok_err(unmap1(FPAGE_COMPLETE, 0), E_OK, "the complete fpage, no rights: status only");
	for (unsigned i = 0; i < 64; i++)
		u->mr[i] = FPAGE_NIL;
	ok_err(sys_unmap(UNMAP_COUNT_MASK), E_OK, "64 nil fpages");
	ok_err(unmap1(fpage_make(kip, 12, FPAGE_RWX), UNMAP_FLUSH), E_OK,
	       "unmap of my KIP page with flush");
	ok(libmap_kip->magic == KIP_MAGIC, "the KIP is still there (kernel-owned)");
	ok_err(unmap1(fpage_make(UTCB_AREA_BASE, UTCB_AREA_LOG2, FPAGE_RWX), UNMAP_FLUSH), E_OK,
	       "unmap of my whole UTCB area with flush");
	u->mr[5] = 0x5555;
	ok(u->mr[5] == 0x5555 && u->my_id == libmap_myself, "my UTCB is still there");
	ok(heap[0] == 42, "and my heap page kept its data");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "numbers", test_numbers },
		{ "kdebug", test_kdebug },
		{ "no_privilege", test_no_privilege },
		{ "self", test_self_calls },
		{ "unmap", test_unmap },
	};

	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("sysneg");
}
