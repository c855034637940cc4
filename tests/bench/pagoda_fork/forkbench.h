/* SPDX-License-Identifier: MIT */
/*
 * The Pagoda fork benchmarks: one ordinary task, a client of the
 * copy-on-write pager (pagers/cow.c), measuring what fork costs it.
 *
 *   fork_0, fork_1m, fork_16m   fork() with 0, 1 MiB or 16 MiB of heap
 *                               written (fork.c)
 *   fork_cycle                  fork, the child's exit, wait (fork.c)
 *   fork_64m                    fork() with 64 MiB written; only when named
 *                               (only=fork_64m: tests/bench/fork64.cfg),
 *                               since its pages cover the regions below
 *   cow_break                   the parent's first write to a page it
 *                               shares with its child (cow.c)
 *   pf_cow, pf_cow_pool         the first write to a fresh heap page,
 *                               the frame from the pager below or from
 *                               the pager's pool (fault.c)
 *
 * Every region lies in the heap the root task registers with the pager
 * (USER_HEAP_BASE, 1 GiB). The forks run first, while the task has only
 * its image, stack and the fork region; then the COW breaks and the
 * first-touch faults, each on pages of its own (pages once written stay
 * in the task and in every later fork).
 *
 * The pager keeps at most PAGER_POOL_KEEP free frames (libmap/pager.c)
 * and takes a new frame from the pager below when it has none: a series
 * that wants frames from below first uses up what the pool may hold.
 *
 * The task runs alone under the pager: the measured windows contain its
 * own work, the kernel's and the pager's (and sigma0's, or every pager
 * tier's, when the pager takes a new frame).
 */
#ifndef BENCH_FORK_H
#define BENCH_FORK_H

#include <libmap.h>
#include <fork.h>
#include <layout.h>
#include <pager.h>
#include "../stats.h"

#define FORK_REGION (USER_HEAP_BASE)                  /* up to 16 MiB: fork.c */
#define FORK_64M_PAGES 16384    /* fork_64m: FORK_REGION and the three below, a boot of its own */
#define COW_REGION (USER_HEAP_BASE + 0x1000000ull)    /* up to 16 MiB: cow.c */
#define FAULT_REGION (USER_HEAP_BASE + 0x2000000ull)  /* up to 16 MiB: fault.c */
#define POOL_REGION (USER_HEAP_BASE + 0x3000000ull)   /* PAGER_POOL_KEEP pages: fault.c */

/* main.c: the command line ("only=<names> n=<iterations> suffix=<s>"). */
extern struct stats bench_stats;             /* one operation at a time */
bool bench_want(const char *name);
bool bench_named(const char *name);          /* named by only=, not by default */
unsigned bench_iters(unsigned iters);
void bench_begin(const char *name);          /* stats_begin, name + suffix */
void bench_touch(word_t base, unsigned pages);
void bench_touch_stack(void);

/* the benchmarks, one file each; false if one could not run */
bool bench_fork(void);                       /* fork.c */
bool bench_cow(void);                        /* cow.c */
bool bench_fault(void);                      /* fault.c */

#endif
