/* SPDX-License-Identifier: MIT */
/* The syscall fuzzer's parts (fuzz.c: calls and driver; fuzz_more.c: own
 * registers, segments, blocking, servers, sigma0, worker threads). */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include "tap.h"
#include <layout.h>

#define OWN_IDS 8                       /* tap_tid(0..7): random thread_control */
#define FUZZ_WORKERS 2                  /* tap_tid(8..9): worker threads */
#define FUZZ_PRIO_OWN 100               /* privileged: its threads' at most, below its own */

extern uint64_t rng;
extern bool privileged;
extern unsigned open_classes;           /* bit n: issue-8 class n not fixed here */
#define FUZZ_OPEN(n) ((open_classes >> (n)) & 1u)

word_t rnd(void);
word_t pick(void);
word_t own_tid(void);

/* A receive window that cannot land on this task's own memory. */
word_t fuzz_window(void);

void put_items(unsigned first, unsigned n);

void fuzz_more_init(void);
word_t fuzz_self(void);
word_t fuzz_segments(void);
word_t fuzz_block(void);
word_t fuzz_server(void);
word_t fuzz_sigma0(void);
word_t fuzz_workers(void);
void fuzz_more_done(void);
void fuzz_more_report(void);

/* fuzz_paths.c: the paths of the fourth audit ("paths" argument) */
extern bool fuzz_paths;
word_t fuzz_path(void);
void fuzz_paths_report(void);

#endif
