/* SPDX-License-Identifier: MIT */
/*
 * A QEMU TCG plugin that counts the guest instructions executed inside
 * windows, for operations that wait for a device (tools/bench.py, the file
 * benchmarks on a virtio disk, docs/benchmarks.md).
 *
 *   -plugin build/tools/insncount.so[,idle=skip] -d plugin -D FILE
 *
 * Why: under -icount the guest clock (and its TSC) advances by one per
 * instruction only while the vCPU runs; when the guest idles waiting for
 * the disk, the clock runs with the host's time (sleep=on, the runs with a
 * disk) or jumps to its next timer event (sleep=off). An rdtsc difference
 * across a disk read is therefore mostly host time, not work. This
 * plugin adds one per instruction the vCPU executes (every privilege level,
 * every task, the kernel's idle loop too; a halted vCPU executes nothing),
 * so a window's count is the work the whole machine did for the operation.
 *
 * With idle=skip (the Pagoda side), less the idle ticks: while the disk
 * works the guest waits in the
 * kernel's idle loop (`sti; hlt`), and each timer tick then runs the
 * interrupt path and returns to `hlt`. How many ticks fall there depends
 * on how long the host takes for the I/O (a loaded host: more), not on
 * the guest, and made the figures move by up to 44 %. So an instruction
 * stream from one `hlt` to the next that runs no user instruction (an
 * idle tick, or the ticks' kernel work) is left out; from a `hlt` to a
 * user instruction (the device's interrupt delivered to its driver, a
 * timeout that wakes a task) counts. Kernel addresses are the upper half.
 * This holds for Pagoda only, whose kernel does no work of its own beyond
 * ticks and timeouts (drivers and servers are user tasks); Linux completes
 * I/O in interrupts and kernel threads that no user instruction may
 * follow, so its windows count everything.
 *
 * Windows are the same markers as tools/cachesim.c's: `xchg %bx,%bx`
 * (66 87 db) opens one, `xchg %cx,%cx` (66 87 c9) closes it and prints
 *   insncount: window N: instructions I
 *   insncount: window N: idle instructions left out J
 * One vCPU (the counter is not atomic).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t insncount_total, insncount_start;
static uint64_t insncount_idle, insncount_idle_start; /* idle ticks' instructions */
static uint64_t insncount_span;                       /* total at the last hlt */
static int insncount_in_span;                         /* no user insn since it */
static int insncount_skip_idle;                       /* idle=skip given */
static unsigned insncount_window;
static int insncount_open;

static void insncount_marker(unsigned int vcpu, void *udata)
{
	char buf[96];

	(void)vcpu;
	if (udata == (void *)1) {                    /* open */
		insncount_start = insncount_total;
		insncount_idle_start = insncount_idle;
		insncount_open = 1;
		return;
	}
	if (!insncount_open)
		return;
	insncount_open = 0;
	snprintf(buf, sizeof(buf), "insncount: window %u: instructions %" PRIu64 "\n",
		 insncount_window,
		 insncount_total - insncount_start - (insncount_idle - insncount_idle_start));
	qemu_plugin_outs(buf);
	snprintf(buf, sizeof(buf), "insncount: window %u: idle instructions left out %" PRIu64 "\n",
		 insncount_window++, insncount_idle - insncount_idle_start);
	qemu_plugin_outs(buf);
}

/* A kernel hlt: the stream since the previous one ran no user code (an
 * idle tick): leave it out. */
static void insncount_hlt(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	(void)udata;
	if (insncount_in_span)
		insncount_idle += insncount_total - insncount_span;
	insncount_span = insncount_total;
	insncount_in_span = 1;
}

/* A user block starts: the stream since the last hlt was work. */
static void insncount_user(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	(void)udata;
	insncount_in_span = 0;
}

/* 1 for the opening marker, 2 for the closing one, 0 for anything else. */
static uintptr_t insncount_kind(struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);

	if (qemu_plugin_insn_size(insn) != 3 || b[0] != 0x66 || b[1] != 0x87)
		return 0;
	return b[2] == 0xdb ? 1 : b[2] == 0xc9 ? 2 : 0;
}

#define INSNCOUNT_KERNEL_BASE 0xffff800000000000ull

/* The kernel idle loop's hlt (f4), not a user's (which faults). */
static int insncount_is_hlt(struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);

	return qemu_plugin_insn_size(insn) == 1 && b[0] == 0xf4 &&
	       qemu_plugin_insn_vaddr(insn) >= INSNCOUNT_KERNEL_BASE;
}

/* Count each instruction as it executes (not per block: a block left
 * early by an exception or interrupt counts only what ran). */
static void insncount_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	if (insncount_skip_idle && qemu_plugin_tb_vaddr(tb) < INSNCOUNT_KERNEL_BASE)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, insncount_user, QEMU_PLUGIN_CB_NO_REGS,
						     NULL);
	for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uintptr_t kind = insncount_kind(insn);

		if (insncount_skip_idle && insncount_is_hlt(insn))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, insncount_hlt,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							   &insncount_total, 1);
		if (kind)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, insncount_marker,
							       QEMU_PLUGIN_CB_NO_REGS, (void *)kind);
	}
}

static void insncount_exit(qemu_plugin_id_t id, void *p)
{
	char buf[80];

	(void)id;
	(void)p;
	snprintf(buf, sizeof(buf), "insncount: total: instructions %" PRIu64 "\n", insncount_total);
	qemu_plugin_outs(buf);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	(void)info;
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "idle=skip") != 0)) {
		fprintf(stderr, "insncount: takes only idle=skip\n");
		return -1;
	}
	insncount_skip_idle = argc == 1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, insncount_tb);
	qemu_plugin_register_atexit_cb(id, insncount_exit, NULL);
	return 0;
}
