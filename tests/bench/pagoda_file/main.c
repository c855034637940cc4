/* SPDX-License-Identifier: MIT */
/*
 * The file benchmarks (tools/bench.py boots tests/bench/file.cfg under
 * -icount, on a disk tests/bench/file_disk.py makes: /BIG.BIN, 16 MiB).
 * A client of the file pager on the FAT server on the virtio-blk driver:
 *
 *   file_fault_cached    the first write to a page of a fresh shared
 *                        mapping whose page is in the cache (4 mappings of
 *                        256 pages): instructions (Linux: the first write
 *                        to a page of a populated memfd, i.e. tmpfs).
 *   file_seq_read_16m_requests   pages the file pager read from the FAT
 *                        server for a sequential mapped read of the whole
 *                        16 MiB file (each a cold fault).
 *   file_writeback_16m_requests  pages written back by an msync of the
 *                        16 MiB, every page dirty.
 *
 * The time of a cold fault and of the write-back is printed too, on "#"
 * lines, in ticks: under -icount sleep=off the idle guest's clock jumps to
 * its next timer tick while the device works, so these are not
 * instruction counts and differ from run to run; they are not BENCH
 * figures.
 *
 * `-- only=file_fault_cached n=N` (what `tools/bench.py --profile` passes)
 * reads only the 256 pages the cached faults need, measures one batch of
 * N of them (N at most 256) and skips the write-back.
 *
 * Ends with "BENCH-END ok" or "BENCH-END failed".
 */
#include <libmap.h>
#include <pagoda/file.h>
#include <pagoda/fs.h>
#include "../stats.h"

#define BIG "/BIG.BIN"
#define BIG_PAGES 4096
#define VA_BIG 0x400000000000ull
#define VA_CACHED 0x400100000000ull          /* + batch * 1 GiB */
#define CACHED_PAGES 256
#define CACHED_BATCHES 4

static struct stats st;
static unsigned cold_pages = BIG_PAGES, cached_batches = CACHED_BATCHES,
		cached_n = CACHED_PAGES;
static bool profiling;

/* Open and close a window of tools/insncount.c (instructions the whole
 * machine executes; no-ops on a CPU): tools/bench.py runs this program
 * under that plugin, since the rdtsc difference of a disk operation is
 * mostly the idle clock's jumps. */
static inline void window_open(void)
{
	__asm__ volatile(".byte 0x66, 0x87, 0xdb" ::: "memory");   /* xchg %bx,%bx */
}

static inline void window_close(void)
{
	__asm__ volatile(".byte 0x66, 0x87, 0xc9" ::: "memory");   /* xchg %cx,%cx */
}

static word_t call(word_t label, unsigned u_words)
{
	word_t err;

	msg_tag(label, u_words, 0);
	if ((err = ipc_call(utcb()->pager)))
		return err;
	return tag_label(utcb()->mr[0]) ? utcb()->mr[1] : E_OK;
}

static word_t map(word_t va, word_t size)
{
	struct utcb *u = utcb();
	word_t len = sizeof(BIG) - 1;

	u->mr[1] = va;
	u->mr[2] = size;
	u->mr[3] = 0;
	u->mr[4] = FILE_MAP_SHARED | FILE_MAP_WRITE;
	u->mr[5] = len;
	memset(&u->mr[6], 0, 8 * ((len + 7) / 8));
	memcpy(&u->mr[6], BIG, len);
	return call(FILE_LABEL_MAP, 4 + fs_path_words(len));
}

static word_t stat_of(unsigned i)
{
	call(FILE_LABEL_STATS, 0);
	return utcb()->mr[i];
}

static void one(const char *name, const char *unit, uint64_t v)
{
	stats_begin(&st, name, unit);
	stats_add(&st, v);
	stats_report(&st);
}

static bool bench_cold(void)
{
	word_t fills = stat_of(3);

	if (map(VA_BIG, (word_t)BIG_PAGES * 4096))
		return false;
	uint64_t t0 = stats_rdtsc(), t1;

	window_open();
	for (unsigned i = 0; i < cold_pages; i++)
		(void)*(volatile uint8_t *)(VA_BIG + (word_t)i * 4096);
	window_close();
	t1 = stats_rdtsc();
	if (profiling)
		return true;
	printf("# file_fault_cold: %lu ticks a page over 16 MiB (device time included)\n",
	       (t1 - t0) / BIG_PAGES);
	one("file_seq_read_16m_requests", "pages", stat_of(3) - fills);
	return true;
}

static bool bench_cached(void)
{
	stats_begin(&st, "file_fault_cached", "instructions");
	for (unsigned b = 0; b < cached_batches; b++) {
		word_t va = VA_CACHED + ((word_t)b << 30);

		if (map(va, CACHED_PAGES * 4096))
			return false;
		for (unsigned i = 0; i < cached_n; i++) {
			volatile uint8_t *p = (volatile uint8_t *)(va + (word_t)i * 4096);
			uint64_t t0 = stats_rdtsc(), t1;
			*p = (uint8_t)i;
			t1 = stats_rdtsc();
			stats_add(&st, t1 - t0);
		}
	}
	stats_report(&st);
	return true;
}

static bool bench_writeback(void)
{
	word_t written = stat_of(4);
	uint64_t t0, t1;

	for (unsigned i = 0; i < BIG_PAGES; i++)
		*(volatile word_t *)(VA_BIG + (word_t)i * 4096 + 8) = i;
	utcb()->mr[1] = VA_BIG;
	utcb()->mr[2] = (word_t)BIG_PAGES * 4096;
	utcb()->mr[3] = 0;
	t0 = stats_rdtsc();
	window_open();
	if (call(FILE_LABEL_SYNC, 3))
		return false;
	window_close();
	t1 = stats_rdtsc();
	printf("# file_writeback_16m: %lu ticks a page (device time included)\n",
	       (t1 - t0) / BIG_PAGES);
	one("file_writeback_16m_requests", "pages", stat_of(4) - written);
	return true;
}

int main(int argc, char **argv)
{
	bool good;

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "only=", 5)) {
			profiling = true;
			cold_pages = CACHED_PAGES;
			cached_batches = 1;
		} else if (!strncmp(argv[i], "n=", 2)) {
			cached_n = 0;
			for (const char *d = argv[i] + 2; *d >= '0' && *d <= '9'; d++)
				cached_n = cached_n * 10 + (unsigned)(*d - '0');
			cached_n = MIN(MAX(cached_n, 1u), (unsigned)CACHED_PAGES);
		}
	}
	good = bench_cold() && bench_cached() && (profiling || bench_writeback());
	printf("BENCH-END %s\n", good ? "ok" : "failed");
	return good ? 0 : 1;
}
