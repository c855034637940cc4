/* SPDX-License-Identifier: MIT */
/*
 * The Appel-Li virtual-memory primitives (Appel & Li, ASPLOS 1991), as
 * a Pagoda client does them: protecting is an unmap of write access from
 * its own mapping (sys_unmap with UNMAP_FLUSH and FPAGE_W), the trap is
 * a write fault sent to the pager, and unprotecting is the pager's reply
 * mapping the frame read-write again (the kernel upgrades the mapping in
 * place). Runs in the client thread of S1 over AL_N pages of CHILD_AL.
 *
 *   appel_trap                write to a protected page, until it is done
 *   appel_prot1_trap_unprot   protect one page, then the same
 *   appel_protN_trap_unprot   protect AL_N pages at once (one unmap with
 *                             three fpages: 64 + 32 + 4 pages), then write
 *                             to each; per page (the round's total / AL_N)
 */
#include "bench.h"

#define AL_N 100
#define AL_ITERS 1000
#define AL_WARMUP 100
#define AL_ROUNDS 40
#define AL_ROUND_WARMUP 2

static volatile char *appel_page(unsigned p)
{
	return (volatile char *)(CHILD_AL + (word_t)p * 4096);
}

static void appel_protect1(unsigned p)
{
	utcb()->mr[0] = fpage_make((word_t)appel_page(p), 12, FPAGE_W);
	sys_unmap(UNMAP_FLUSH);
}

static void appel_protect_all(void)
{
	struct utcb *u = utcb();

	u->mr[0] = fpage_make(CHILD_AL, 18, FPAGE_W);
	u->mr[1] = fpage_make(CHILD_AL + 64 * 4096, 17, FPAGE_W);
	u->mr[2] = fpage_make(CHILD_AL + 96 * 4096, 14, FPAGE_W);
	sys_unmap(UNMAP_FLUSH | 2);
}

static void appel_trap(bool prot_in_timing)
{
	struct stats *s = &bench_stats;

	const char *name = prot_in_timing ? "appel_prot1_trap_unprot" : "appel_trap";

	if (!bench_want(name))
		return;
	stats_begin(s, name, "instructions");
	for (unsigned i = 0; i < AL_WARMUP + bench_iters(AL_ITERS); i++) {
		unsigned p = i % AL_N;
		uint64_t t0, t1;

		if (!prot_in_timing)
			appel_protect1(p);
		t0 = stats_rdtsc();
		if (prot_in_timing)
			appel_protect1(p);
		*appel_page(p) = 1;
		t1 = stats_rdtsc();
		if (i >= AL_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

static void appel_protn(void)
{
	struct stats *s = &bench_stats;

	if (!bench_want("appel_protN_trap_unprot"))
		return;
	stats_begin(s, "appel_protN_trap_unprot", "instructions/page");
	for (unsigned r = 0; r < AL_ROUND_WARMUP + bench_iters(AL_ROUNDS); r++) {
		uint64_t t0 = stats_rdtsc(), t1;

		appel_protect_all();
		for (unsigned p = 0; p < AL_N; p++)
			*appel_page(p) = 1;
		t1 = stats_rdtsc();
		if (r >= AL_ROUND_WARMUP)
			stats_add(s, (t1 - t0 + AL_N / 2) / AL_N);
	}
	stats_report(s);
}

void bench_appel(void)
{
	for (unsigned p = 0; p < AL_N; p++)
		*appel_page(p) = 1;                  /* map them all read-write */
	appel_trap(false);
	appel_trap(true);
	appel_protn();
}
