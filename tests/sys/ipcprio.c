/* SPDX-License-Identifier: MIT */
/*
 * The IPC fast path respects priorities when it runs a partner of lower
 * priority than the sender: a server H (prio 150) that has woken a thread
 * M (prio 120) and then replies to its client L (prio 100, this main
 * thread) must let M run before L. With nothing above L ready, L simply
 * gets its reply.
 */
#include "tap.h"
#include <layout.h>

static volatile word_t step, m_mark;
static word_t stack_h[512] __attribute__((aligned(16)));
static word_t stack_m[512] __attribute__((aligned(16)));
static word_t tid_h, tid_m;

/* M: marks each message it receives. */
static void thread_m(void)
{
	word_t from;

	for (;;)
		if (ipc_receive(TID_ANY, TIMEOUT_NEVER, &from) == E_OK)
			m_mark = ++step;
}

/* H: label 1 wakes M first (M becomes ready, H goes on), then replies. */
static void thread_h(void)
{
	word_t from, err = ipc_receive(TID_ANY, TIMEOUT_NEVER, &from);

	for (;;) {
		if (!err && tag_label(utcb()->mr[0]) == 1) {
			msg_tag(0, 0, 0);
			ipc_send(tid_m, TIMEOUT_NEVER);
		}
		msg_tag(0, 0, 0);
		err = ipc_reply_wait(err ? TID_NIL : from, &from);
	}
}

static word_t start(word_t tid, unsigned k, word_t *stack, void (*fn)(void), unsigned prio)
{
	word_t sp = (word_t)&stack[509], ip = (word_t)fn, err;

	stack[511] = 0;                     /* its stack page is present (our pager's fault) */

	err = sys_thread_control(tid, libmap_myself, TID_NIL, utcb()->pager,
				 UTCB_AREA_BASE + k * UTCB_SIZE, 0);
	if (!err)
		err = sys_schedule(tid, prio, 0, NULL);
	if (!err)
		err = sys_exchange_registers(tid, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME, &sp,
					     &ip, NULL, NULL, NULL);
	return err;
}

int main(int argc, char **argv)
{
	word_t err, l_mark;

	(void)argc;
	(void)argv;
	tid_h = tid_make(tid_number(libmap_myself) + 16, 1);
	tid_m = tid_make(tid_number(libmap_myself) + 17, 1);
	ok_err(start(tid_m, 1, stack_m, thread_m, 120), E_OK, "start M at priority 120");
	ok_err(start(tid_h, 2, stack_h, thread_h, 150), E_OK, "start H at priority 150");

	for (unsigned i = 0; i < 3; i++) {
		msg_tag(0, 0, 0);
		err = ipc_call(tid_h);
		l_mark = ++step;
		ok_err(err, E_OK, "call H, nothing else ready");
		ok(m_mark == 0, "M did not run");
	}
	for (unsigned i = 0; i < 3; i++) {
		word_t before = m_mark;

		msg_tag(1, 0, 0);
		err = ipc_call(tid_h);
		l_mark = ++step;
		ok_err(err, E_OK, "call H, which wakes M (prio 120) and replies to us");
		ok(m_mark > before && m_mark < l_mark,
		   "M ran before our reply came back (M at step %lu, we at %lu)", m_mark, l_mark);
	}
	ok_err(sys_thread_control(tid_h, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK, "delete H");
	ok_err(sys_thread_control(tid_m, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK, "delete M");
	return (int)tap_failed;
}
