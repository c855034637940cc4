/* SPDX-License-Identifier: MIT */
/*
 * Damage tests for filecache_check, the file pager's page cache checker:
 * each breaks one structure of the cache (the age list, a hash chain, the
 * free list, a counter, a file) and expects the branch of filecache_check
 * that names it. White-box: the test includes pagers/filecache.c itself
 * to reach its state. Around it the test plays the pager framework (frames
 * from the host heap, nothing ever accessed or written) and the FAT server
 * (every read fills the buffer with the page's index).
 */
#include <check.h>
#include "unit.h"
#include <stdlib.h>
#include <string.h>

#include <filecache.c> // NOLINT(bugprone-suspicious-include): white-box, the cache's state

#define BOUND 8
#define FILE_SIZE ((word_t)64 * 4096)

static uint8_t buf[4096] __attribute__((aligned(4096)));
static struct pager test_pager;
static int fa, fb;                    /* the two open files */
static word_t next_handle;

/* What libmap's runtime would define. */
struct utcb *host_utcb;
word_t host_pool_base;
struct kip *libmap_kip;
word_t libmap_myself, libmap_exit_to;

/* lib/string.c's, which the host's C library may lack. */
size_t strlcpy(char *d, const char *s, size_t size)
{
	size_t n = strlen(s);

	if (size) {
		size_t k = MIN(n, size - 1);

		memcpy(d, s, k);
		d[k] = 0;
	}
	return n;
}

/* The pager framework: frames from the heap, never touched by a client. */
word_t pager_frame_alloc(struct pager *p, bool zero)
{
	void *f = aligned_alloc(4096, 4096);

	(void)p;
	if (f && zero)
		memset(f, 0, 4096);
	return (word_t)f;
}

bool pager_frame_put(word_t frame)
{
	free((void *)frame);
	return true;
}

unsigned pager_revoke_status(word_t frame, unsigned rights)
{
	(void)frame;
	(void)rights;
	return 0;
}

/* The FAT server. */
word_t fs_share(word_t srv, word_t va)
{
	(void)srv;
	return va == (word_t)buf ? E_OK : E_BAD_ARGUMENT;
}

word_t fs_open(word_t srv, const char *path, word_t flags, word_t *handle, word_t *size,
	       word_t *kind)
{
	(void)srv, (void)path, (void)flags;
	*handle = ++next_handle;
	*size = FILE_SIZE;
	*kind = 0;
	return E_OK;
}

word_t fs_close(word_t srv, word_t handle)
{
	(void)srv, (void)handle;
	return E_OK;
}

word_t fs_read(word_t srv, word_t handle, word_t off, word_t len, word_t boff, word_t *done)
{
	(void)srv, (void)handle, (void)boff;
	memset(buf, (int)(off / 4096), len);
	*done = len;
	return E_OK;
}

word_t fs_write(word_t srv, word_t handle, word_t off, word_t len, word_t boff, word_t *size)
{
	(void)srv, (void)handle, (void)boff;
	*size = MAX(FILE_SIZE, off + len);
	return E_OK;
}

word_t fs_size(word_t srv, word_t handle, word_t *size, word_t *kind)
{
	(void)srv, (void)handle;
	*size = FILE_SIZE;
	*kind = 0;
	return E_OK;
}

static word_t page(int f, word_t idx)
{
	word_t err = E_OK, frame = fc_page(f, idx, &err);

	ck_assert_uint_eq(err, E_OK);
	ck_assert_uint_ne(frame, 0);
	ck_assert_uint_eq(*(uint8_t *)frame, (uint8_t)idx);
	return frame;
}

/* Two open files, the cache full (BOUND pages of them, after evictions
 * that reused entries): no free entry. */
static void setup(void)
{
	word_t err;

	ck_assert(fc_init(&test_pager, 1, (word_t)buf, BOUND));
	ck_assert_int_ge(fa = fc_open("/a", &err), 0);
	ck_assert_int_ge(fb = fc_open("/b", &err), 0);
	fc_file[fa].maps = fc_file[fb].maps = 1;
	for (word_t i = 0; i < 6; i++) {
		page(fa, i);
		page(fb, i);
	}
	ck_assert_uint_eq(fc_stats.pages, BOUND);
	ck_assert_uint_eq(fc_stats.evictions, 4);
	ck_assert_uint_eq(fc_free, 0);
	ck_assert_uint_eq(fc_lookup(fb, 5), page(fb, 5));
	ck_assert(filecache_check());
}

static void teardown(void)
{
	if (fc_file[fa].used)
		fc_unuse(fa);
	if (fc_file[fb].used)
		fc_unuse(fb);
	ck_assert_uint_eq(fc_stats.pages, 0);
	memset(fc_pg, 0, sizeof(fc_pg));
	memset(fc_bucket, 0, sizeof(fc_bucket));
	memset(fc_file, 0, sizeof(fc_file));
	memset(&fc_stats, 0, sizeof(fc_stats));
	fc_free = fc_used = fc_oldest = fc_newest = 0;
}

#define FC_CATCHES(what) unit_check_catches(filecache_check(), "filecache_check: ", what)

/* Break one field, expect the branch, mend it. */
#define DAMAGE(field, value, what)                \
	do {                                      \
		__typeof__(field) save = (field); \
		(field) = (value);                \
		FC_CATCHES(what);                 \
		(field) = save;                   \
		ck_assert(filecache_check());     \
	} while (0)

/* The cache's use keeps it whole: drop, refill, unmap. */
START_TEST(use_keeps_it_whole)
{
	ck_assert_uint_eq(fc_sync(fa, 0, 6, true), E_OK);
	ck_assert(filecache_check());
	ck_assert_uint_ne(fc_free, 0);
	for (word_t i = 10; i < 20; i++) {
		page(fa, i);
		ck_assert(filecache_check());
	}
	fc_unuse(fb);
	ck_assert(filecache_check());
	ck_assert_uint_eq(fc_stats.pages, BOUND);
}
END_TEST

START_TEST(bounds)
{
	DAMAGE(fc_stats.bound, FC_PAGES_MAX + 1, "entry 0's frame");
	DAMAGE(fc_used, FC_PAGES_MAX + 1, "entry 0's frame");
	DAMAGE(fc_pg[0].frame, 4096, "entry 0's frame");
}
END_TEST

START_TEST(files)
{
	DAMAGE(fc_file[fa].path[FS_PATH_MAX], 'x', "path not terminated");
	DAMAGE(fc_file[FC_FILES - 1].maps, 1, "closed with 1 mappings");
}
END_TEST

START_TEST(age_list)
{
	uint32_t second = fc_pg[fc_oldest].next;

	DAMAGE(fc_newest, 0, "one empty");
	DAMAGE(fc_pg[fc_newest].next, fc_used + 1, "beyond the");
	DAMAGE(fc_pg[fc_newest].next, fc_oldest, "age list longer than");
	DAMAGE(fc_pg[second].frame, fc_pg[second].frame + 1, "has frame");
	DAMAGE(fc_pg[second].frame, 0, "has frame");
	DAMAGE(fc_pg[second].prev, second, "prev");
	DAMAGE(fc_newest, fc_oldest, "age list ends at");
	DAMAGE(fc_stats.pages, BOUND - 1, "pages listed");
	DAMAGE(fc_stats.bound, BOUND - 1, "pages listed");
}
END_TEST

START_TEST(pages)
{
	uint32_t e = fc_oldest;

	DAMAGE(fc_pg[e].file, fc_pg[e].file + 2, "not open");
	DAMAGE(fc_pg[e].file, -1, "not open");
	DAMAGE(fc_pg[e].idx, fc_pg[e].idx + 1000, "fc_find finds");
}
END_TEST

START_TEST(chains)
{
	uint32_t e = fc_newest, b = fc_hash(fc_pg[e].file, fc_pg[e].idx),
		 empty = (b + 100) % FC_BUCKETS;

	ck_assert_uint_eq(fc_bucket[empty], 0);
	ck_assert_uint_eq(fc_bucket[b], e);
	DAMAGE(fc_bucket[empty], fc_used + 1, "is no cached page");
	DAMAGE(fc_bucket[empty], e, "hashes to");
	DAMAGE(fc_pg[e].hnext, e, "hash chains hold more than");
}
END_TEST

START_TEST(free_list)
{
	uint32_t last;

	ck_assert_uint_eq(fc_sync(fb, 0, 6, true), E_OK);     /* four entries free */
	ck_assert(filecache_check());
	for (last = fc_free; fc_pg[last].next; last = fc_pg[last].next)
		;
	DAMAGE(fc_free, fc_oldest, "free list: entry");
	DAMAGE(fc_pg[last].next, fc_used + 1, "free list: entry");
	DAMAGE(fc_pg[last].next, fc_free, "free list longer than");
	DAMAGE(fc_used, fc_used + 1, "entries used");
}
END_TEST

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	const struct unit_test tests[] = {
		{ "use_keeps_it_whole", use_keeps_it_whole, 0 },
		{ "bounds", bounds, 0 },
		{ "files", files, 0 },
		{ "age_list", age_list, 0 },
		{ "pages", pages, 0 },
		{ "chains", chains, 0 },
		{ "free_list", free_list, 0 },
	};

	return unit_run(unit_suite("filecache", tests, ARRAY_SIZE(tests), setup, teardown, 0));
}
