/* SPDX-License-Identifier: MIT */
/*
 * x87/SSE/AVX state is per thread. Two copies of this program run in two
 * spaces at the same priority (tests/sys/fpu.cfg). Each checks that
 *  - a new thread starts with the clean state, never its creator's;
 *  - two threads of its space interleave vector work across thread
 *    switches and each finds its own registers afterwards;
 *  - across spaces, vector registers survive timer preemption while the
 *    other task spins on its own values;
 *  - #XM (SIMD) and #MF (x87) arrive at the exception handler as IPC, with
 *    MXCSR / the x87 status word in the error word;
 *  - exchange_registers on another space's thread is refused to an
 *    unprivileged task (and it never carries FPU state at all).
 * Copy 'a' is privileged (it creates threads); copy 'b' is not.
 */
#include "tap.h"
#include <layout.h>

#define REGS_BYTES (16 * 32)
#define ROUNDS 40

void fpu_cross(const void *in, void *out, word_t avx, word_t dest, volatile word_t *spin);
void fpu_dump(void *out);
void fpu_entry_dump(void);
void fpu_dumped(void);

bool fpu_have_avx;                               /* read by fpu_regs.S */
uint8_t fpu_dump_area[REGS_BYTES + 8] __attribute__((aligned(32)));
static uint8_t stack_a[8192] __attribute__((aligned(16)));
static uint8_t in_b[REGS_BYTES], out_b[REGS_BYTES];
static volatile word_t b_bad, b_rounds;
static word_t main_tid, peer_tid;
static char who;                                 /* 'a' or 'b': which copy */

/* A thread id of this task for its helper threads. */
static word_t helper_tid(unsigned k)
{
	return tap_tid(k, 1);
}

/* Start `ip` in a new thread of this space with stack_a; exception
 * handler: the main thread. */
static word_t helper_start(unsigned k, unsigned slot, void (*ip)(void))
{
	word_t t = helper_tid(k), sp = (word_t)&stack_a[sizeof(stack_a) - 8], pc = (word_t)ip;
	word_t err;

	err = sys_thread_control(t, libmap_myself, libmap_myself, utcb()->pager,
				 UTCB_AREA_BASE + slot * UTCB_SIZE, TC_FLAG_EXC_HANDLER);
	if (err)
		return err;
	return sys_exchange_registers(t, EXREG_SET_IP | EXREG_SET_SP | EXREG_RESUME, &sp, &pc,
				      NULL, NULL, NULL);
}

static void helper_stop(unsigned k)
{
	sys_thread_control(helper_tid(k), TID_NIL, TID_NIL, TID_NIL, 0, 0);
}

/* Fill 16 vector registers' worth of bytes with a pattern of (tag, round). */
static void pattern(uint8_t *p, unsigned tag, unsigned round)
{
	for (unsigned i = 0; i < REGS_BYTES; i++)
		p[i] = (uint8_t)(tag * 37 + round * 11 + i * 7 + (unsigned)who);
}

/* Do two register images agree (xmm: the low 16 bytes of each slot)? */
static bool same(const uint8_t *a, const uint8_t *b)
{
	unsigned width = fpu_have_avx ? 32 : 16;

	for (unsigned r = 0; r < 16; r++)
		if (memcmp(a + r * 32, b + r * 32, width) != 0)
			return false;
	return true;
}

/* ---- a new thread starts clean ---- */

void fpu_dumped(void)
{
	msg_tag(1, 0, 0);
	ipc_send(main_tid, TIMEOUT_NEVER);
	for (;;)
		ipc_receive(libmap_myself, TIMEOUT_NEVER, NULL);
}

static void test_clean_start(void)
{
	static uint8_t junk[REGS_BYTES], out[REGS_BYTES];
	bool zero = true;
	uint32_t mxcsr;
	uint16_t fcw;
	word_t from;

	pattern(junk, 9, 9);
	memset(fpu_dump_area, 0xee, sizeof(fpu_dump_area));
	/* leave junk in my registers (and a changed MXCSR and FCW) */
	fpu_cross(junk, out, fpu_have_avx, libmap_myself, NULL);
	__asm__ volatile("ldmxcsr %0" : : "m"((uint32_t){ 0x1f80 ^ 0x6000 }));
	__asm__ volatile("fldcw %0" : : "m"((uint16_t){ 0x027f }));
	ok_err(helper_start(1, 1, fpu_entry_dump), E_OK, "start a thread while my registers hold junk");
	ok_err(ipc_receive(helper_tid(1), TIMEOUT_NEVER, &from), E_OK, "it reports its registers");
	__asm__ volatile("ldmxcsr %0" : : "m"((uint32_t){ 0x1f80 }));
	__asm__ volatile("fldcw %0" : : "m"((uint16_t){ 0x037f }));
	for (unsigned i = 0; i < REGS_BYTES; i++)
		if (fpu_dump_area[i] != 0 && (fpu_have_avx || i % 32 < 16))
			zero = false;
	memcpy(&mxcsr, fpu_dump_area + 512, 4);
	memcpy(&fcw, fpu_dump_area + 516, 2);
	ok(zero, "a new thread's %s registers are all zero", fpu_have_avx ? "ymm" : "xmm");
	ok(mxcsr == 0x1f80, "its MXCSR is the reset value (%x)", mxcsr);
	ok(fcw == 0x037f, "its x87 control word is the reset value (%x)", fcw);
	helper_stop(1);
}

/* ---- two threads of one space interleave ---- */

static void thread_b(void)
{
	for (unsigned r = 0;; r++) {
		pattern(in_b, 2, r);
		fpu_cross(in_b, out_b, fpu_have_avx, main_tid, NULL);
		if (!same(in_b, out_b))
			b_bad++;
		b_rounds++;
	}
}

static void test_interleave(void)
{
	static uint8_t in[REGS_BYTES], out[REGS_BYTES];
	unsigned bad = 0;

	b_bad = b_rounds = 0;
	ok_err(helper_start(2, 1, thread_b), E_OK, "start a second thread in my space");
	for (unsigned r = 0; r < ROUNDS; r++) {
		pattern(in, 1, r);
		fpu_cross(in, out, fpu_have_avx, helper_tid(2), NULL);
		if (!same(in, out))
			bad++;
	}
	helper_stop(2);
	ok(b_rounds >= ROUNDS - 1, "the threads took turns (%lu rounds of the other)", b_rounds);
	ok(bad == 0 && b_bad == 0, "each found its own registers after every switch (%u + %lu bad)",
	   bad, b_bad);
}

/* ---- two spaces, preempted by the timer ---- */

static void test_preempted(unsigned rounds)
{
	static uint8_t in[REGS_BYTES], out[REGS_BYTES];
	volatile struct kip *k = libmap_kip;
	unsigned bad = 0;

	ok_err(sys_schedule(libmap_myself, SCHED_KEEP, 1000, NULL), E_OK, "a 1 ms time slice");
	for (unsigned r = 0; r < rounds; r++) {
		pattern(in, 3, r);
		fpu_cross(in, out, fpu_have_avx, 0, &k->ticks);
		if (!same(in, out))
			bad++;
	}
	ok(bad == 0, "vector registers survive preemption by the other space (%u bad)", bad);
}

/* ---- exceptions ---- */

/* Divide by zero with the exception unmasked. Hardware raises #XM; QEMU's
 * TCG (7.2) only sets the flag, so the thread then reports MXCSR itself
 * (label 2) and the test says it could not see #XM. */
static void raise_xm(void)
{
	float zero = 0.0f, one = 1.0f;
	uint32_t mxcsr = 0x1f80 & ~0x200u;       /* unmask divide-by-zero */

	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	__asm__ volatile("divss %1, %0" : "+x"(one) : "x"(zero));
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	utcb()->mr[1] = mxcsr;
	msg_tag(2, 1, 0);
	ipc_send(main_tid, TIMEOUT_NEVER);
	for (;;)
		ipc_receive(libmap_myself, TIMEOUT_NEVER, NULL);
}

static void raise_mf(void)
{
	uint16_t fcw = 0x037f & ~0x4u;           /* unmask zero-divide */
	float zero = 0.0f;

	__asm__ volatile("fldcw %0; fld1; fdivs %1; fwait" : : "m"(fcw), "m"(zero));
	for (;;)
		ipc_receive(libmap_myself, TIMEOUT_NEVER, NULL);
}

static void test_exception(unsigned k, void (*fn)(void), word_t vector, const char *name)
{
	word_t from = 0, err;
	struct utcb *u = utcb();

	ok_err(helper_start(k, 1, fn), E_OK, name);
	err = ipc_receive(helper_tid(k), 100000, &from);
	if (err == E_OK && tag_label(u->mr[0]) == 2) {
		ok(u->mr[1] & 0x4, "# SKIP %s: this CPU (QEMU TCG) sets the flag (MXCSR %lx) but "
		   "raises no exception", name, u->mr[1]);
		helper_stop(k);
		return;
	}
	ok(err == E_OK && tag_label(u->mr[0]) == LABEL_EXCEPTION &&
	   u->mr[EXC_MSG_VECTOR] == vector,
	   "%s reaches the handler as IPC (error %lu, label %lx, vector %lu)", name, err,
	   tag_label(u->mr[0]), u->mr[EXC_MSG_VECTOR]);
	ok(u->mr[EXC_MSG_ERROR] & 0x4, "%s: the zero-divide flag in the error word (%lx)", name,
	   u->mr[EXC_MSG_ERROR]);
	helper_stop(k);
}

int main(int argc, char **argv)
{
	uint32_t a, b, c, d;

	who = argc > 1 ? argv[1][0] : 'a';
	main_tid = libmap_myself;
	peer_tid = tap_task_tid(who == 'a' ? 1 : 0);
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	fpu_have_avx = (libmap_kip->cpu_features & KIP_CPU_AVX) != 0;
	ok(fpu_have_avx == ((c & (3u << 27)) == (3u << 27)),
	   "the KIP's AVX bit matches CPUID (AVX %s)", fpu_have_avx ? "on" : "off");
	tap_prefault(16 * 4096);
	if (who == 'b') {                        /* unprivileged */
		word_t sp = 0, ip = 0, fl = 0, pg = 0, st = 0;

		ok_err(sys_exchange_registers(peer_tid, 0, &sp, &ip, &fl, &pg, &st),
		       E_NO_PRIVILEGE, "exchange_registers on the other space's thread");
		test_preempted(ROUNDS);
		msg_tag(3, 0, 0);                /* a waits for this before it ends */
		ok_err(ipc_send(peer_tid, TIMEOUT_NEVER), E_OK, "tell the other copy I am done");
		return (int)tap_failed;
	}
	test_preempted(ROUNDS / 4);
	test_clean_start();
	test_interleave();
	test_exception(3, raise_xm, 19, "#XM (SIMD divide by zero)");
	test_exception(4, raise_mf, 16, "#MF (x87 divide by zero)");
	ok_err(ipc_receive(peer_tid, TIMEOUT_NEVER, NULL), E_OK, "the other copy is done");
	return (int)tap_failed;
}
