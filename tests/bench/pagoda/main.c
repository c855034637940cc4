/* SPDX-License-Identifier: MIT */
/*
 * The Pagoda benchmark task (bench.h tells its cast). main sets up the
 * frames and threads, runs every benchmark once in a fixed order, tears
 * everything down so that init finds memory back at its baseline, and
 * ends with "BENCH-END" (tools/bench.py checks that the run completed).
 */
#include "bench.h"

struct stats bench_stats;
struct bthread bt_pager, bt_echo0, bt_srv[3], bt_client;
static const char *main_only;          /* run only this operation */
static unsigned main_n;                /* with this many iterations */

bool bench_want(const char *name)
{
	return !main_only || !strcmp(main_only, name);
}

unsigned bench_iters(unsigned iters)
{
	return main_n ? main_n : iters;
}

/* "only=<name>" and "n=<iterations>". */
static void main_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "only=", 5))
			main_only = argv[i] + 5;
		else if (!strncmp(argv[i], "n=", 2))
			for (const char *p = argv[i] + 2; *p >= '0' && *p <= '9'; p++)
				main_n = main_n * 10 + (unsigned)(*p - '0');
	}
	if (main_n > STATS_MAX_SAMPLES)
		main_n = STATS_MAX_SAMPLES;
}

static void main_client(void)
{
	bench_fault();
	bench_appel();
}

static bool main_setup(void)
{
	word_t me = libmap_myself, err;

	spawn_touch_image();
	if ((err = frames_alloc(POOL_PF, PF_PAGES)) || (err = frames_alloc(POOL_AL, AL_PAGES)) ||
	    (err = frames_alloc(POOL_MAP, MAP_PAGES))) {
		printf("not ok - bench: no frames from sigma0 (error %lu)\n", err);
		return false;
	}
	if ((err = spawn(&bt_pager, me, utcb()->pager, pager_loop)) ||
	    (err = spawn(&bt_echo0, me, utcb()->pager, server_loop))) {
		printf("not ok - bench: cannot start threads in S0 (error %lu)\n", err);
		return false;
	}
	for (unsigned k = 0; k < 3; k++)
		if ((err = spawn(&bt_srv[k], TID_NIL, bt_pager.tid, server_loop))) {
			printf("not ok - bench: cannot create space S%u (error %lu)\n", k + 1, err);
			return false;
		}
	return true;
}

static void main_teardown(void)
{
	spawn_kill(&bt_client);
	for (unsigned k = 3; k-- > 0;)
		spawn_kill(&bt_srv[k]);
	spawn_kill(&bt_echo0);
	spawn_kill(&bt_pager);
	frames_free();
}

int main(int argc, char **argv)
{
	word_t err;
	bool ok;

	main_args(argc, argv);
	printf("bench: Pagoda benchmarks, unit = guest instructions (QEMU -icount shift=0)\n");
	ok = main_setup();
	if (ok) {
		bench_basic();
		bench_ipc();
		bench_map();
		if ((err = spawn(&bt_client, bt_srv[0].tid, bt_pager.tid, main_client))) {
			printf("not ok - bench: cannot start the client in S1 (error %lu)\n", err);
			ok = false;
		} else {
			spawn_wait(&bt_client);
			ok = bench_growth();
		}
	}
	main_teardown();
	printf("BENCH-END %s\n", ok ? "ok" : "failed");
	return ok ? 0 : 1;
}
