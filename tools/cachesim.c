/* SPDX-License-Identifier: MIT */
/*
 * A QEMU TCG plugin that simulates one physically indexed, set-associative
 * LRU cache and counts its misses per guest-physical address range. TCG
 * models no caches; this is the model the colour-isolation experiment
 * (tools/rt_isolation.py, docs/rt-alloc.md) measures with.
 *
 *   -plugin build/tools/cachesim.so,sets=1024,ways=16,line=64,range=LO-HI[,range=...]
 *   -d plugin -D FILE          (plugin output goes only to QEMU's log)
 *
 * Every data access (loads and stores; instruction fetches are not
 * modelled) looks up its line by physical address: set = (pa / line) %
 * sets, the ways of a set hold tags with a last-use stamp, a miss evicts
 * the least recently used. Misses are counted per range (hex, [LO, HI)).
 *
 * Windows. The guest marks what to measure with two instructions that do
 * nothing on a real CPU: `xchg %bx,%bx` (66 87 db) opens a window,
 * `xchg %cx,%cx` (66 87 c9) closes it and prints one line
 *   cachesim: window N: accesses A misses M range0 R0 range1 R1 ...
 * with the counts of accesses inside it. (QEMU 7.2's plugin API cannot
 * read CR3, so a window -- and the ranges -- are how misses are attributed
 * to a task.) At exit: the totals over the whole run.
 *
 * QEMU 7.2 reports wrong physical addresses for RAM above 4 GiB: run the
 * guest with -m 2G or less. One vCPU (the callbacks take no lock).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define RANGES_MAX 8

static struct {
	uint64_t sets, ways, line;
	uint64_t *tag;                   /* sets * ways: line address + 1 (0: empty) */
	uint64_t *stamp;                 /* last use of each way */
	uint64_t clock;
} cache = { 1024, 16, 64, NULL, NULL, 0 };

static struct {
	uint64_t lo, hi;
} range[RANGES_MAX];
static unsigned nranges;

struct counts {
	uint64_t accesses, misses, range_misses[RANGES_MAX];
};
static struct counts total, window;
static unsigned window_no;
static int window_open;

/* Look pa up; true on a miss (the line is then filled, LRU way evicted). */
static int cache_access(uint64_t pa)
{
	uint64_t ln = pa / cache.line, set = ln % cache.sets, victim = 0;
	uint64_t *tag = &cache.tag[set * cache.ways], *stamp = &cache.stamp[set * cache.ways];

	cache.clock++;
	for (uint64_t w = 0; w < cache.ways; w++) {
		if (tag[w] == ln + 1) {
			stamp[w] = cache.clock;
			return 0;
		}
		if (stamp[w] < stamp[victim])
			victim = w;
	}
	tag[victim] = ln + 1;
	stamp[victim] = cache.clock;
	return 1;
}

static void count(struct counts *c, uint64_t pa, int miss)
{
	c->accesses++;
	if (!miss)
		return;
	c->misses++;
	for (unsigned i = 0; i < nranges; i++)
		if (pa >= range[i].lo && pa < range[i].hi)
			c->range_misses[i]++;
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
	uint64_t pa;
	int miss;

	(void)vcpu;
	(void)udata;
	if (!hw || qemu_plugin_hwaddr_is_io(hw))
		return;
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	miss = cache_access(pa);
	count(&total, pa, miss);
	if (window_open)
		count(&window, pa, miss);
}

static void print_counts(const char *what, const struct counts *c)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "cachesim: %s: accesses %" PRIu64 " misses %" PRIu64,
			 what, c->accesses, c->misses);

	for (unsigned i = 0; i < nranges && n < (int)sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " range%u %" PRIu64, i,
			      c->range_misses[i]);
	snprintf(buf + (n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 2),
		 sizeof(buf) - (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 2), "\n");
	qemu_plugin_outs(buf);
}

static void on_marker(unsigned int vcpu, void *udata)
{
	char what[32];

	(void)vcpu;
	if (udata == (void *)1) {                    /* open */
		memset(&window, 0, sizeof(window));
		window_open = 1;
		return;
	}
	if (!window_open)
		return;
	window_open = 0;
	snprintf(what, sizeof(what), "window %u", window_no++);
	print_counts(what, &window);
}

/* 1 for the opening marker, 2 for the closing one, 0 for anything else. */
static uintptr_t marker_kind(struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);

	if (qemu_plugin_insn_size(insn) != 3 || b[0] != 0x66 || b[1] != 0x87)
		return 0;
	return b[2] == 0xdb ? 1 : b[2] == 0xc9 ? 2 : 0;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uintptr_t kind = marker_kind(insn);
		if (kind)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
							       QEMU_PLUGIN_CB_NO_REGS, (void *)kind);
		qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS,
						 QEMU_PLUGIN_MEM_RW, NULL);
	}
}

static void on_atexit(qemu_plugin_id_t id, void *p)
{
	(void)id;
	(void)p;
	print_counts("total", &total);
}

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* One KEY=VALUE argument; 0 if it is bad. */
static int parse_arg(const char *a)
{
	char *end;

	if (!strncmp(a, "sets=", 5))
		cache.sets = strtoull(a + 5, &end, 0);
	else if (!strncmp(a, "ways=", 5))
		cache.ways = strtoull(a + 5, &end, 0);
	else if (!strncmp(a, "line=", 5))
		cache.line = strtoull(a + 5, &end, 0);
	else if (!strncmp(a, "range=", 6) && nranges < RANGES_MAX) {
		range[nranges].lo = strtoull(a + 6, &end, 16);
		if (*end != '-')
			return 0;
		range[nranges].hi = strtoull(end + 1, &end, 16);
		if (range[nranges].hi <= range[nranges].lo)
			return 0;
		nranges++;
	} else
		return 0;
	return *end == '\0';
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	char buf[160];

	(void)info;
	for (int i = 0; i < argc; i++)
		if (!parse_arg(argv[i])) {
			fprintf(stderr, "cachesim: bad argument '%s' (sets=N ways=N line=N "
					"range=LO-HI)\n", argv[i]);
			return -1;
		}
	if (!is_pow2(cache.sets) || !is_pow2(cache.line) || !cache.ways || cache.ways > 1024) {
		fprintf(stderr, "cachesim: sets and line must be powers of two, ways 1..1024\n");
		return -1;
	}
	cache.tag = calloc(cache.sets * cache.ways, sizeof(uint64_t));
	cache.stamp = calloc(cache.sets * cache.ways, sizeof(uint64_t));
	if (!cache.tag || !cache.stamp)
		return -1;
	snprintf(buf, sizeof(buf), "cachesim: %" PRIu64 " sets x %" PRIu64 " ways x %" PRIu64
		 " B lines, LRU, physically indexed; %u ranges\n", cache.sets, cache.ways,
		 cache.line, nranges);
	qemu_plugin_outs(buf);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
	return 0;
}
