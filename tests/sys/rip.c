/* SPDX-License-Identifier: MIT */
/*
 * Return addresses and debug traps (issue 8, class 11), from a privileged
 * task whose second thread takes the exceptions and whose main thread is
 * that thread's exception handler.
 *
 *  - hostile replies: an exception handler that answers with a
 *    non-canonical rip, or one in the kernel half, gets the thread stopped
 *    (a defined outcome); exchange_registers refuses such an ip;
 *  - debug traps from user mode (TF single-steps) arrive on the #DB
 *    stack and are moved to the thread's kernel stack: they reach the
 *    handler as vector 1, and the thread goes on after the reply;
 *  - `mov ss` + TF + `syscall`: the single-step trap that the `mov ss`
 *    delayed may be delivered at the kernel's syscall entry, before it
 *    has left the user's stack. The kernel takes it on its own stack,
 *    drops it, and the thread goes on. (QEMU's TCG delivers that trap
 *    after the syscall, in user mode, so here this only shows that the
 *    sequence is harmless; on hardware it is the case the IST is for.)
 */
#include "tap.h"

#define STACK_WORDS 1024
static word_t stack2[STACK_WORDS] __attribute__((aligned(16)));
static volatile word_t steps_done;

static word_t worker(void)
{
	return tap_tid(1, 1);
}

/* Create and start the worker at fn, handled by me. */
static bool start(void (*fn)(void))
{
	word_t sp = (word_t)&stack2[STACK_WORDS - 2], ip = (word_t)fn;
	word_t err = sys_thread_control(worker(), libmap_myself, libmap_myself, utcb()->pager,
					UTCB_AREA_BASE + UTCB_SIZE, TC_FLAG_EXC_HANDLER);

	if (!ok_err(err, E_OK, "create the worker"))
		return false;
	err = sys_exchange_registers(worker(), EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME, &sp,
				     &ip, NULL, NULL, NULL);
	return ok_err(err, E_OK, "start it");
}

static void stop(void)
{
	ok_err(sys_thread_control(worker(), TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK,
	       "delete the worker");
}

/* The worker's next exception message; its vector, or ~0 on error
 * (none within 100 ms). */
static word_t next_exception(void)
{
	word_t from = TID_NIL, err = ipc_receive(worker(), 100000, &from);

	if (err || tag_label(utcb()->mr[0]) != LABEL_EXCEPTION)
		return ~(word_t)0;
	return utcb()->mr[EXC_MSG_VECTOR];
}

/* Reply with the registers of the message, rip and rflags replaced. */
static word_t reply_regs(word_t rip, word_t rflags)
{
	struct utcb *u = utcb();

	u->mr[EXC_MSG_RIP] = rip;
	u->mr[EXC_MSG_RFLAGS] = rflags;
	msg_tag(0, EXC_MSG_LENGTH, 0);
	return ipc_send(worker(), TIMEOUT_NEVER);
}

static void w_ud2(void)
{
	__asm__ volatile("ud2");
	for (;;)
		tap_sleep(1000000);
}

static bool worker_stopped(void)
{
	word_t ip = 0, sp = 0;

	for (int i = 0; i < 10; i++)
		tap_sleep(1000);
	return sys_exchange_registers(worker(), EXREG_RESUME, &sp, &ip, NULL, NULL, NULL) ==
	       E_BAD_THREAD;
}

static void test_bad_replies(void)
{
	static const word_t bad[] = { 0x800000000000ull, 0xffff800000000000ull, 0xfff0000000000000ull };

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		word_t ip = bad[i], v;
		if (!start(w_ud2))
			return;
		v = next_exception();
		ok(v == 6, "#UD reaches the handler (vector %lx)", v);
		ok_err(sys_exchange_registers(worker(), EXREG_SET_IP, NULL, &ip, NULL, NULL, NULL),
		       E_BAD_ARGUMENT, "exchange_registers refuses the ip");
		ok(reply_regs(bad[i], 0x202) == E_OK, "a reply with rip %lx", bad[i]);
		ok(worker_stopped(), "and the kernel stops the thread instead of returning there");
		stop();
	}
}

/* TF single-steps: #DB from user mode. */
static void w_step(void)
{
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq; nop; nop" ::: "memory", "cc");
	steps_done = 1;
	for (;;)
		tap_sleep(1000000);
}

static void test_user_db(void)
{
	word_t v, n = 0;

	steps_done = 0;
	if (!start(w_step))
		return;
	while ((v = next_exception()) == 1 && n < 10) {
		word_t ip = 0, sp = 0;
		sys_exchange_registers(worker(), 0, &sp, &ip, NULL, NULL, NULL);
		ok(ip == utcb()->mr[EXC_MSG_RIP] && sp == utcb()->mr[EXC_MSG_RSP],
		   "the saved frame is the thread's (ip %lx, sp %lx)", ip, sp);
		n++;
		reply_regs(utcb()->mr[EXC_MSG_RIP], utcb()->mr[EXC_MSG_RFLAGS] & ~(word_t)0x100);
	}
	ok(n == 1 && v == ~(word_t)0, "TF: %lu single-step trap (vector 1), then TF cleared by the reply", n);
	ok(steps_done == 1, "the worker went on");
	stop();
}

/* mov ss delays the single-step trap past the next instruction: syscall. */
static void w_movss(void)
{
	__asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\t"
			 "movw %%ss, %%cx\n\tmovw %%cx, %%ss\n\tsyscall\n\t"
			 "nop\n\tnop"
			 : : "a"((word_t)SYS_NULL) : "rcx", "r11", "memory", "cc");
	steps_done = 1;
	for (;;)
		tap_sleep(1000000);
}

static void test_movss_syscall(void)
{
	word_t v, n = 0;

	steps_done = 0;
	if (!start(w_movss))
		return;
	while ((v = next_exception()) == 1 && n < 20) {
		n++;
		reply_regs(utcb()->mr[EXC_MSG_RIP], utcb()->mr[EXC_MSG_RFLAGS] & ~(word_t)0x100);
	}
	ok(steps_done == 1, "mov ss + TF + syscall: the worker went on (%lu #DB from user mode)", n);
	stop();
}

/* mov ss before int3: on hardware the delayed single-step trap comes at
 * the kernel's #BP entry, in ring 0. */
static void w_movss_int3(void)
{
	__asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\t"
			 "movw %%ss, %%cx\n\tmovw %%cx, %%ss\n\tint3\n\t"
			 "nop\n\tnop"
			 : : : "rcx", "memory", "cc");
	steps_done = 1;
	for (;;)
		tap_sleep(1000000);
}

static void test_movss_int3(void)
{
	word_t v, n = 0, bp = 0;

	steps_done = 0;
	if (!start(w_movss_int3))
		return;
	while (((v = next_exception()) == 1 || v == 3) && n < 20) {
		n++;
		bp += v == 3;
		reply_regs(utcb()->mr[EXC_MSG_RIP], utcb()->mr[EXC_MSG_RFLAGS] & ~(word_t)0x100);
	}
	ok(steps_done == 1 && bp == 1, "mov ss + TF + int3: one #BP, the worker went on (%lu exceptions)", n);
	stop();
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "bad_replies", test_bad_replies },
		{ "user_db", test_user_db },
		{ "movss_syscall", test_movss_syscall },
		{ "movss_int3", test_movss_int3 },
	};

	tap_prefault(16384);
	for (unsigned i = 0; i < STACK_WORDS; i += 512)
		stack2[i] = 0;
	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("rip");
}
