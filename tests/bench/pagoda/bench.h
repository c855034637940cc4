/* SPDX-License-Identifier: MIT */
/*
 * The Pagoda benchmark task: one privileged task (space S0) that builds
 * its own little system of threads and spaces and measures it.
 *
 *   S0 (this task, paged by init)
 *     main      orchestrates, measures IPC from the client side, maps
 *               and unmaps (it holds the frames it maps)
 *     pager     the pager of every thread in the child spaces: loads
 *               them (maps S0's own image pages at the same address),
 *               resolves the page-fault and Appel-Li benchmarks with
 *               frames it got from sigma0 beforehand
 *     echo0     an IPC server in S0 (intra-space round trips)
 *   S1, S2, S3  one server thread each (echo, receive and forward
 *               mappings: the pager chain); S1 also runs the client
 *               thread of the fault benchmarks
 *
 * Child spaces share S0's image frames: their code, data and stacks are
 * S0's, mapped by the pager, so a child thread reads and writes the same
 * globals as main. Threads of S0 other than main must never fault (init,
 * S0's pager, knows only main), so main touches the whole image before
 * it starts any thread.
 */
#ifndef BENCH_PAGODA_H
#define BENCH_PAGODA_H

#include <libmap.h>
#include "../stats.h"

/* Virtual layout. Frame pools live in S0; the regions the benchmarks
 * fault on or map to live in the child spaces. */
#define POOL_PF ((word_t)0x30000000000ull)   /* 256 frames: fault benchmark */
#define POOL_AL ((word_t)0x30000200000ull)   /* 128 frames: Appel-Li */
#define POOL_MAP ((word_t)0x30000400000ull)  /* 512 frames: map/unmap (2 MiB aligned) */
#define PF_PAGES 256
#define PF_LOG2 20                            /* the fault pool as one fpage */
#define AL_PAGES 128
#define MAP_PAGES 512
#define MAP_LOG2 21
#define MAP_MAGIC 0x5a5a0001ull               /* in POOL_MAP's last page: map.c checks */
#define CHILD_PF ((word_t)0x40000000000ull)  /* fault region in S1 */
#define CHILD_AL ((word_t)0x40000200000ull)  /* Appel-Li region in S1 */
#define CHILD_MAP ((word_t)0x40000400000ull) /* map target in S1..S3 */

/* Message labels between the benchmark threads. */
enum bench_label {
	LBL_ECHO = 0x100,    /* reply with the same untyped words */
	LBL_MAP = 0x101,     /* carries a map item; reply empty */
	LBL_FWD = 0x102,     /* MR1 = fpage here, MR2 = to: map it on to `to` */
	LBL_RESET = 0x103,   /* to the pager: revoke the fault pool's mappings */
	LBL_DONE = 0x104,    /* a thread's function returned */
	LBL_PEEK = 0x105,    /* reply MR1 = the word at address MR1 (checks) */
};

/* A thread the benchmark starts. */
struct bthread {
	word_t tid;
	void (*fn)(void);
	word_t *stack_top;
};

#define STACK_WORDS 2048     /* 16 KiB each */

/* spawn.c */
void spawn_touch_image(void);
word_t spawn(struct bthread *t, word_t space, word_t pager, void (*fn)(void));
void spawn_wait(struct bthread *t);
void spawn_kill(struct bthread *t);

/* server.c */
void server_loop(void);

/* pager.c */
extern volatile bool pager_zero;             /* fault benchmark: zero frames */
void pager_loop(void);

/* frames.c */
word_t frames_alloc(word_t va, unsigned n);
void frames_free(void);

/* main.c: which operations to run, and how often (the defaults, or
 * "only=<name> n=<iterations>" on the command line: tools/bench.py
 * --profile runs one operation alone to see where its instructions go) */
bool bench_want(const char *name);
unsigned bench_iters(unsigned iters);

/* the benchmarks, one file each */
extern struct stats bench_stats;             /* one operation at a time */
extern struct bthread bt_pager, bt_echo0, bt_srv[3], bt_client;
void bench_basic(void);                      /* basic.c: rdtsc, null, zero, copy */
void bench_ipc(void);                        /* ipc.c */
void bench_ipc_round_trip(const char *name, word_t server, unsigned u, unsigned iters,
			  unsigned warmup);           /* ipc.c */
void bench_fault(void);                      /* fault.c, runs in bt_client */
void bench_appel(void);                      /* appel.c, runs in bt_client */
void bench_map(void);                        /* map.c */
bool bench_growth(void);                     /* growth.c, last: the growth series */

/* room.c: free mapping-node slots for a map series (see there) */
void room_begin(unsigned nodes);
void room_end(void);

#endif
