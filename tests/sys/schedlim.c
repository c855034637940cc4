/* SPDX-License-Identifier: MIT */
/*
 * Scheduling parameters have limits (issue 8, class 8): an unprivileged
 * task may not give itself a longer time slice than it was started with,
 * nor keep refilling the slice it has, to starve a neighbour of its
 * priority.
 *
 * `tests/schedlim watch` spins and measures the longest time (in ticks)
 * it was kept off the CPU while the hogs run; `tests/schedlim big` asks
 * for a 10 s slice and then spins; `tests/schedlim refill` asks for its
 * own slice again and again while it spins (which used to refill it).
 * All three are unprivileged and have the same priority, so with 10 ms
 * slices the watcher waits about two slices at a time. Before the fix,
 * the big hog kept it off the CPU for its whole run (300 ticks).
 */
#include "tap.h"

#define HOG_TICKS 300
#define WATCH_TICKS 800
#define MAX_GAP 100          /* ticks: ten default slices */

static word_t now(void)
{
	return ((volatile struct kip *)libmap_kip)->ticks;
}

static int hog(bool big)
{
	word_t start = now(), err, last = 0;

	if (big) {
		err = sys_schedule(libmap_myself, SCHED_KEEP, 10000000, NULL);
		ok_err(err, E_BAD_SCHEDULER, "a 10 s time slice for myself");
		err = sys_schedule(libmap_myself, SCHED_KEEP, 10001, NULL);
		ok_err(err, E_BAD_SCHEDULER, "a slice one tick longer than mine");
	}
	while (now() - start < HOG_TICKS)
		if (!big && now() != last) {           /* each tick: my slice again */
			last = now();
			sys_schedule(libmap_myself, SCHED_KEEP, 10000, NULL);
		}
	return (int)tap_failed;
}

static int watch(void)
{
	word_t start = now(), seen = start, gap = 0;

	while (seen - start < WATCH_TICKS) {
		word_t t = now();
		gap = MAX(gap, t - seen);
		seen = t;
	}
	ok(gap < MAX_GAP, "the longest wait for the CPU was %lu ticks (limit %u)", gap, MAX_GAP);
	return tap_done("schedlim");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "big"))
		return hog(true);
	if (argc > 1 && !strcmp(argv[1], "refill"))
		return hog(false);
	return watch();
}
