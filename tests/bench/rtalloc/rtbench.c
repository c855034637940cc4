/* SPDX-License-Identifier: MIT */
/* The allocator benchmark workloads, shared by both sides (rtbench.h). */
#include "rtbench.h"

#define RTB_MAX_SLOTS (1u << 16)
#define RTB_HIST_PER_LINE 12

/* The seeded random workloads: sizes log-uniform in [2^min, 2^max]. */
const struct rtb_workload rtb_workloads[] = {
	{ "rand", 0x2545f4914f6cdd1dull, 20000, 256, 4, 20 },    /* 16 B .. 1 MiB */
	{ "small", 0x9e3779b97f4a7c15ull, 20000, 1024, 4, 12 },  /* 16 B .. 4 KiB */
};
const unsigned rtb_nworkloads = sizeof(rtb_workloads) / sizeof(rtb_workloads[0]);

/* The samples and the live blocks (3 MiB): in the bss on Pagoda, mapped
 * at first use on Linux, where a large bss in /init would make every fork
 * benchmark copy more page tables. */
static uint32_t *rtb_alloc_v, *rtb_free_v;
static void **rtb_slot_p;
static size_t *rtb_slot_n;

#ifdef RTB_RTALLOC
static uint32_t rtb_alloc_store[RTB_MAX_SAMPLES], rtb_free_store[RTB_MAX_SAMPLES];
static void *rtb_slot_p_store[RTB_MAX_SLOTS];
static size_t rtb_slot_n_store[RTB_MAX_SLOTS];

static bool rtb_arrays(void)
{
	rtb_alloc_v = rtb_alloc_store;
	rtb_free_v = rtb_free_store;
	rtb_slot_p = rtb_slot_p_store;
	rtb_slot_n = rtb_slot_n_store;
	return true;
}
#else
#include <sys/mman.h>

static bool rtb_arrays(void)
{
	size_t bytes = 2 * RTB_MAX_SAMPLES * sizeof(uint32_t) +
		       RTB_MAX_SLOTS * (sizeof(void *) + sizeof(size_t));
	char *m = rtb_alloc_v ? (char *)rtb_alloc_v
			      : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				     -1, 0);

	if (m == MAP_FAILED)
		return false;
	rtb_alloc_v = (uint32_t *)m;
	rtb_free_v = rtb_alloc_v + RTB_MAX_SAMPLES;
	rtb_slot_p = (void **)(rtb_free_v + RTB_MAX_SAMPLES);
	rtb_slot_n = (size_t *)(rtb_slot_p + RTB_MAX_SLOTS);
	return true;
}
#endif

extern const char rtb_trace_text[], rtb_trace_end[];

/* ----------------------------------------------------------------- report */

static void rtb_sift(uint32_t *v, unsigned i, unsigned n)
{
	for (;;) {
		unsigned c = 2 * i + 1;
		uint32_t t;

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

static void rtb_sort(uint32_t *v, unsigned n)
{
	for (unsigned i = n / 2; i-- > 0;)
		rtb_sift(v, i, n);
	for (unsigned end = n; end-- > 1;) {
		uint32_t t = v[0];
		v[0] = v[end], v[end] = t;
		rtb_sift(v, 0, end);
	}
}

void rtb_report(const char *op, const char *workload, const char *suffix, uint32_t *v, unsigned n)
{
	unsigned k = 0;

	if (!n) {
		printf("BENCH name=%s_%s_%s%s unit=instructions iters=0\n", RTB_ALLOCATOR, op, workload,
		       suffix);
		return;
	}
	rtb_sort(v, n);
	printf("BENCH name=%s_%s_%s%s unit=instructions iters=%u min=%u median=%u max=%u\n",
	       RTB_ALLOCATOR, op, workload, suffix, n, v[0], v[(n - 1) / 2], v[n - 1]);
	for (unsigned i = 0, j; i < n; i = j, k++) {
		for (j = i; j < n && v[j] == v[i]; j++)
			;
		if (k % RTB_HIST_PER_LINE == 0)
			printf("%sHIST name=%s_%s_%s%s", k ? "\n" : "", RTB_ALLOCATOR, op, workload, suffix);
		printf(" %ux%u", v[i], j - i);
	}
	printf("\n");
}

static void rtb_usage_report(const char *workload, const char *suffix, unsigned ops,
			     const struct rtb_usage *u)
{
	printf("RTFRAG name=%s_%s%s ops=%u failed=%u interrupted=%u peak_live=%lu high_water=%lu\n",
	       RTB_ALLOCATOR, workload, suffix, ops, u->failed, u->interrupted,
	       (unsigned long)u->peak_live, (unsigned long)u->high_water);
}

/* ------------------------------------------------------------- measuring */

/* After an allocation of p (size bytes): the memory the allocator
 * occupies, at its highest so far (not measured). */
static void rtb_high_water(struct rtb_usage *u, void *p, size_t size)
{
#ifdef RTB_RTALLOC
	size_t top = (uintptr_t)p + size - u->base;
#else
	size_t top = rtb_footprint();
	(void)p, (void)size;
#endif
	if (top > u->high_water)
		u->high_water = top;
}

/* The one place where calls are measured, for every series: the
 * instructions of the harness in a window are the same everywhere. */
__attribute__((noinline)) uint32_t rtb_time_malloc(size_t size, void **p)
{
	uint64_t k0 = rtb_ticks(), t0 = stats_rdtsc(), t1;

	*p = rtb_malloc(size);
	t1 = stats_rdtsc();
	return rtb_ticks() == k0 ? (uint32_t)(t1 - t0) : RTB_INTERRUPTED;
}

__attribute__((noinline)) uint32_t rtb_time_free(void *p)
{
	uint64_t k0 = rtb_ticks(), t0 = stats_rdtsc(), t1;

	rtb_free(p);
	t1 = stats_rdtsc();
	return rtb_ticks() == k0 ? (uint32_t)(t1 - t0) : RTB_INTERRUPTED;
}

/* One measured allocation into slot k; samples into rtb_alloc_v. */
static void rtb_alloc_one(unsigned k, size_t size, unsigned *na, struct rtb_usage *u)
{
	void *p;
	uint32_t t = rtb_time_malloc(size, &p);

	if (t == RTB_INTERRUPTED)
		u->interrupted++;
	else if (*na < RTB_MAX_SAMPLES)
		rtb_alloc_v[(*na)++] = t;
	if (!p) {
		u->failed++;
		return;
	}
	rtb_slot_p[k] = p;
	rtb_slot_n[k] = size;
	u->live += size;
	if (u->live > u->peak_live)
		u->peak_live = u->live;
	rtb_high_water(u, p, size);
}

/* One measured free of slot k (which holds a block). */
static void rtb_free_one(unsigned k, unsigned *nf, struct rtb_usage *u)
{
	uint32_t t = rtb_time_free(rtb_slot_p[k]);

	if (t == RTB_INTERRUPTED)
		u->interrupted++;
	else if (*nf < RTB_MAX_SAMPLES)
		rtb_free_v[(*nf)++] = t;
	rtb_slot_p[k] = NULL;
	u->live -= rtb_slot_n[k];
}

/* Free every slot still holding a block (not measured). */
static void rtb_drain(unsigned slots)
{
	for (unsigned k = 0; k < slots; k++) {
		if (rtb_slot_p[k])
			rtb_free(rtb_slot_p[k]);
		rtb_slot_p[k] = NULL;
	}
}

static uint64_t rtb_rng(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

bool rtb_random(const struct rtb_workload *w, unsigned ops, const char *suffix, uintptr_t base)
{
	struct rtb_usage u = { .base = base };
	uint64_t s = w->seed;
	unsigned na = 0, nf = 0, span = w->max_log2 - w->min_log2 + 1;

	if (!rtb_arrays())
		return false;
	ops = ops ? ops : w->ops;
	for (unsigned i = 0; i < ops; i++) {
		unsigned k = (unsigned)(rtb_rng(&s) % w->slots);
		size_t lo = (size_t)1 << (w->min_log2 + rtb_rng(&s) % span);
		size_t size = lo + rtb_rng(&s) % lo;   /* [2^b, 2^(b+1)) */
		if (size > (size_t)1 << w->max_log2)
			size = (size_t)1 << w->max_log2;
		if (rtb_slot_p[k])
			rtb_free_one(k, &nf, &u);
		else
			rtb_alloc_one(k, size, &na, &u);
	}
	rtb_drain(w->slots);
	rtb_report("malloc", w->name, suffix, rtb_alloc_v, na);
	rtb_report("free", w->name, suffix, rtb_free_v, nf);
	rtb_usage_report(w->name, suffix, ops, &u);
	return true;
}

/* ----------------------------------------------------------------- traces */

/* The decimal number at *p; advances *p past it and the blanks after. */
static unsigned long rtb_number(const char **p)
{
	unsigned long v = 0;

	while (**p == ' ')
		(*p)++;
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (unsigned long)(*(*p)++ - '0');
	return v;
}

/* The normalised trace (tools/rtalloc_trace.py): a first line
 * "rtalloc-trace slots=N ops=M", then "a SLOT SIZE" or "f SLOT" per line,
 * slots dense below N, every free naming a live slot. */
bool rtb_trace(const char *suffix, uintptr_t base)
{
	struct rtb_usage u = { .base = base };
	const char *p = rtb_trace_text;
	unsigned na = 0, nf = 0, ops = 0, slots;

	if (!rtb_arrays() || rtb_trace_end - p < 20 || p[0] != 'r')
		return false;
	while (*p && *p != '=')
		p++;
	p++;
	slots = (unsigned)rtb_number(&p);
	if (slots > RTB_MAX_SLOTS)
		return false;
	while (p < rtb_trace_end && *p != '\n')
		p++;
	for (; p < rtb_trace_end && *p; ops++) {
		char op = *++p;
		if (op != 'a' && op != 'f')
			break;
		p++;
		unsigned k = (unsigned)rtb_number(&p);
		if (k >= slots)
			return false;
		if (op == 'a')
			rtb_alloc_one(k, rtb_number(&p), &na, &u);
		else if (rtb_slot_p[k])
			rtb_free_one(k, &nf, &u);
		while (p < rtb_trace_end && *p && *p != '\n')
			p++;
	}
	rtb_drain(slots);
	rtb_report("malloc", "trace", suffix, rtb_alloc_v, na);
	rtb_report("free", "trace", suffix, rtb_free_v, nf);
	rtb_usage_report("trace", suffix, ops, &u);
	return true;
}
