/* SPDX-License-Identifier: MIT */
/* Samples, their order statistics and the BENCH/HIST output lines. */
#include "stats.h"

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define STATS_HIST_PER_LINE 12

void stats_begin(struct stats *s, const char *name, const char *unit)
{
	s->name = name;
	s->unit = unit;
	s->n = 0;
}

void stats_add(struct stats *s, uint64_t value)
{
	if (s->n < STATS_MAX_SAMPLES)
		s->v[s->n++] = value;
}

/* Restore the heap property below node i of v[0..n). */
static void stats_sift(uint64_t *v, unsigned i, unsigned n)
{
	for (;;) {
		unsigned c = 2 * i + 1;
		uint64_t t;

		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[i] >= v[c])
			return;
		t = v[i], v[i] = v[c], v[c] = t;
		i = c;
	}
}

/* Heapsort: O(n log n), no recursion, no allocation. */
static void stats_sort(uint64_t *v, unsigned n)
{
	for (unsigned i = n / 2; i-- > 0;)
		stats_sift(v, i, n);
	for (unsigned end = n; end-- > 1;) {
		uint64_t t = v[0];
		v[0] = v[end], v[end] = t;
		stats_sift(v, 0, end);
	}
}

/* The distribution of sorted v as value x count runs. */
static void stats_hist(const struct stats *s)
{
	unsigned i = 0, k = 0;

	while (i < s->n) {
		unsigned j = i;

		while (j < s->n && s->v[j] == s->v[i])
			j++;
		if (k % STATS_HIST_PER_LINE == 0)
			printf("%sHIST name=%s", k ? "\n" : "", s->name);
		printf(" %lux%u", (unsigned long)s->v[i], j - i);
		k++;
		i = j;
	}
	if (k)
		printf("\n");
}

void stats_report(struct stats *s)
{
	uint64_t median;

	if (!s->n) {
		printf("BENCH name=%s unit=%s iters=0\n", s->name, s->unit);
		return;
	}
	stats_sort(s->v, s->n);
	/* The lower median: always a measured value. */
	median = s->v[(s->n - 1) / 2];
	printf("BENCH name=%s unit=%s iters=%u min=%lu median=%lu max=%lu\n", s->name, s->unit,
	       s->n, (unsigned long)s->v[0], (unsigned long)median,
	       (unsigned long)s->v[s->n - 1]);
	stats_hist(s);
}
