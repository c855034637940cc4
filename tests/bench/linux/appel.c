/* SPDX-License-Identifier: MIT */
/*
 * The Appel-Li virtual-memory primitives (Appel & Li, ASPLOS 1991) the
 * classic way: mprotect to protect, a SIGSEGV handler that unprotects
 * the faulting page with mprotect, and sigreturn. Over AL_N populated
 * pages of a private anonymous mapping.
 *
 *   appel_trap                write to a protected page, until it is done
 *   appel_prot1_trap_unprot   mprotect one page read-only, then the same
 *   appel_protN_trap_unprot   mprotect AL_N pages read-only at once, then
 *                             write to each; per page (total / AL_N)
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "lbench.h"

#define AL_N 100
#define AL_ITERS 1000
#define AL_WARMUP 100
#define AL_ROUNDS 40
#define AL_ROUND_WARMUP 2

static uint8_t *al_region;

static void appel_handler(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t page = (uintptr_t)si->si_addr & ~(uintptr_t)4095;

	(void)sig;
	(void)ctx;
	lbench_syscall3(SYS_mprotect, (long)page, 4096, PROT_READ | PROT_WRITE);
}

static volatile uint8_t *appel_page(unsigned p)
{
	return al_region + (size_t)p * 4096;
}

static void appel_protect(unsigned p, unsigned n)
{
	lbench_syscall3(SYS_mprotect, (long)appel_page(p), (long)n * 4096, PROT_READ);
}

static void appel_trap(int prot_in_timing)
{
	struct stats *s = &lbench_stats;

	stats_begin(s, prot_in_timing ? "appel_prot1_trap_unprot" : "appel_trap", "instructions");
	for (unsigned i = 0; i < AL_WARMUP + AL_ITERS; i++) {
		unsigned p = i % AL_N;
		uint64_t t0, t1;

		if (!prot_in_timing)
			appel_protect(p, 1);
		t0 = stats_rdtsc();
		if (prot_in_timing)
			appel_protect(p, 1);
		*appel_page(p) = 1;
		t1 = stats_rdtsc();
		if (i >= AL_WARMUP)
			stats_add(s, t1 - t0);
	}
	stats_report(s);
}

static void appel_protn(void)
{
	struct stats *s = &lbench_stats;

	stats_begin(s, "appel_protN_trap_unprot", "instructions/page");
	for (unsigned r = 0; r < AL_ROUND_WARMUP + AL_ROUNDS; r++) {
		uint64_t t0 = stats_rdtsc(), t1;

		appel_protect(0, AL_N);
		for (unsigned p = 0; p < AL_N; p++)
			*appel_page(p) = 1;
		t1 = stats_rdtsc();
		if (r >= AL_ROUND_WARMUP)
			stats_add(s, (t1 - t0 + AL_N / 2) / AL_N);
	}
	stats_report(s);
}

void lbench_appel(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = appel_handler;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSEGV, &sa, NULL))
		lbench_fail("sigaction");
	al_region = mmap(NULL, AL_N * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (al_region == MAP_FAILED)
		lbench_fail("mmap");
	for (unsigned p = 0; p < AL_N; p++)
		*appel_page(p) = 1;
	appel_trap(0);
	appel_trap(1);
	appel_protn();
}
