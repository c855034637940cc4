/* SPDX-License-Identifier: MIT */
/*
 * A QEMU TCG plugin that counts the guest instructions executed inside
 * windows, for operations that wait for a device (tools/bench.py, the file
 * benchmarks on a virtio disk, docs/benchmarks.md).
 *
 *   -plugin build/tools/insncount.so -d plugin -D FILE
 *
 * Why: under -icount sleep=off the guest clock (and its TSC) advances by
 * one per instruction only while the vCPU runs; when the guest idles
 * waiting for the disk, the clock jumps to its next timer event. An rdtsc
 * difference across a disk read is therefore mostly jumps, not work. This
 * plugin adds one per instruction the vCPU executes (every privilege level,
 * every task, the kernel's idle loop too; a halted vCPU executes nothing),
 * so a window's count is the work the whole machine did for the operation.
 *
 * Windows are the same markers as tools/cachesim.c's: `xchg %bx,%bx`
 * (66 87 db) opens one, `xchg %cx,%cx` (66 87 c9) closes it and prints
 *   insncount: window N: instructions I
 * One vCPU (the counter is not atomic).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t insncount_total, insncount_start;
static unsigned insncount_window;
static int insncount_open;

static void insncount_marker(unsigned int vcpu, void *udata)
{
	char buf[96];

	(void)vcpu;
	if (udata == (void *)1) {                    /* open */
		insncount_start = insncount_total;
		insncount_open = 1;
		return;
	}
	if (!insncount_open)
		return;
	insncount_open = 0;
	snprintf(buf, sizeof(buf), "insncount: window %u: instructions %" PRIu64 "\n",
		 insncount_window++, insncount_total - insncount_start);
	qemu_plugin_outs(buf);
}

/* 1 for the opening marker, 2 for the closing one, 0 for anything else. */
static uintptr_t insncount_kind(struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);

	if (qemu_plugin_insn_size(insn) != 3 || b[0] != 0x66 || b[1] != 0x87)
		return 0;
	return b[2] == 0xdb ? 1 : b[2] == 0xc9 ? 2 : 0;
}

/* Count each instruction as it executes (not per block: a block left
 * early by an exception or interrupt counts only what ran). */
static void insncount_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uintptr_t kind = insncount_kind(insn);

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
	(void)argv;
	if (argc) {
		fprintf(stderr, "insncount: takes no arguments\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, insncount_tb);
	qemu_plugin_register_atexit_cb(id, insncount_exit, NULL);
	return 0;
}
