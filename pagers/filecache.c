/* SPDX-License-Identifier: MIT */
/*
 * The file pager's page cache (filecache.h).
 *
 * A cached page is one frame of the pager's pool holding one 4 KiB page
 * of one open file; every shared mapping of that page, in any client,
 * derives from the pager's own mapping of the frame, so the file's page is
 * one frame however many clients map it. Pages are found through a hash
 * of (file, page index) with as many buckets as the cache can hold pages:
 * the bucket is the page index plus an odd multiple of the file's number,
 * so the pages of one run of a file fall into distinct buckets (a lookup
 * on the fault path compares one entry). They are kept on one list in the
 * order they were read in; beyond the bound the oldest is evicted, unless
 * a client touched it since it was last looked at (CLOCK, with the
 * kernel's accessed bit).
 *
 * Dirtiness comes from the kernel: unmap reports, for the pager's mapping
 * of a frame and every mapping derived from it, whether it was written
 * since the last report. A report that does not lead to a write-back is
 * kept in the page's `dirty` flag. Writing a page back first revokes the
 * write right from every client (so a write during the copy faults and
 * waits), then copies the page to the server's buffer and writes it: the
 * file's bytes up to its size, never the tail past the end of the file.
 * Eviction revokes every right, writes back if dirty, and frees the frame.
 * A page read in is reset to clean: the pager's own copy into it counts as
 * a write. The server fills the part of a page past the end of the file
 * with zeros.
 */
#include "filecache.h"
#include <fsclient.h>

/* The checker's report: through the unit tests' check_failed on the host
 * (tests/unit/unit.c keeps the message), on the console here. */
#ifdef HOST_TEST
bool check_failed(const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define FC_FAIL(...) check_failed(__FILE__, __LINE__, "filecache_check: " __VA_ARGS__)
#else
#define FC_FAIL(...) (printf("filecache_check: " __VA_ARGS__), printf("\n"), false)
#endif

/* Debug builds (FILECACHE_DEBUG: `make DEBUG=1`) run the checker after
 * every change and stop the pager with a trap at the first violation. */
static void fc_debug_check(void)
{
#ifdef FILECACHE_DEBUG
	if (!filecache_check())
		__builtin_trap();
#endif
}

#define FC_NONE 0
_Static_assert((FC_BUCKETS & (FC_BUCKETS - 1)) == 0, "FC_BUCKETS: a power of two");

struct fc_file fc_file[FC_FILES];
struct fc_stats fc_stats;

struct fc_page fc_pg[FC_PAGES_MAX + 1];    /* entry 0 unused, its frame 0 */
uint32_t fc_bucket[FC_BUCKETS];
static uint32_t fc_free, fc_used, fc_oldest, fc_newest;
static struct pager *fc_pager;
static word_t fc_srv;
static uint8_t *fc_buf;

bool fc_init(struct pager *p, word_t srv, word_t buf_va, unsigned bound)
{
	fc_pager = p;
	fc_srv = srv;
	fc_buf = (uint8_t *)buf_va;
	fc_stats.bound = MIN(bound, (unsigned)FC_PAGES_MAX);
	return fs_share(srv, buf_va) == E_OK;
}

word_t fc_server(void)
{
	return fc_srv;
}

/* Link a new entry for (f, idx) into its hash chain and at the newest end. */
static uint32_t fc_link(int f, word_t idx, word_t frame)
{
	uint32_t e = fc_free ? fc_free : ++fc_used, b = fc_hash(f, idx);

	if (fc_free)
		fc_free = fc_pg[e].next;
	fc_pg[e] = (struct fc_page){ idx, frame, f, false, fc_bucket[b], fc_newest, FC_NONE };
	fc_bucket[b] = e;
	if (fc_newest)
		fc_pg[fc_newest].next = e;
	else
		fc_oldest = e;
	fc_newest = e;
	fc_stats.pages++;
	return e;
}

static void fc_unlink(uint32_t e)
{
	struct fc_page *pg = &fc_pg[e];
	uint32_t *pp = &fc_bucket[fc_hash(pg->file, pg->idx)];

	while (*pp != e)
		pp = &fc_pg[*pp].hnext;
	*pp = pg->hnext;
	if (pg->prev)
		fc_pg[pg->prev].next = pg->next;
	else
		fc_oldest = pg->next;
	if (pg->next)
		fc_pg[pg->next].prev = pg->prev;
	else
		fc_newest = pg->prev;
	pg->frame = 0;
	pg->next = fc_free;
	fc_free = e;
	fc_stats.pages--;
}

/* Revoke `revoke` (at least the write right) from every mapping of page
 * e, and write the page back if it is dirty. */
static word_t fc_writeback(uint32_t e, unsigned revoke)
{
	struct fc_page *pg = &fc_pg[e];
	struct fc_file *fl = &fc_file[pg->file];
	word_t off = pg->idx * 4096, len, size, err;

	if (pager_revoke_status(pg->frame, revoke) & FPAGE_W)
		pg->dirty = true;
	if (!pg->dirty)
		return E_OK;
	if (off >= fl->size)
		fc_size_refresh(pg->file);              /* grown through the server? */
	if (off < fl->size) {
		len = MIN((word_t)4096, fl->size - off);
		memcpy(fc_buf, (void *)pg->frame, len);
		if ((err = fs_write(fc_srv, fl->handle, off, len, 0, &size)))
			return err;
		fc_stats.writebacks++;
	}
	pg->dirty = false;
	return E_OK;
}

/* Evict page e: every right revoked, written back if dirty, frame freed.
 * A page whose write-back fails stays (and stays dirty). */
static bool fc_evict(uint32_t e)
{
	if (fc_writeback(e, FPAGE_RWX))
		return false;
	pager_frame_put(fc_pg[e].frame);
	fc_unlink(e);
	fc_stats.evictions++;
	return true;
}

/* Move page e to the young end of the list. */
static void fc_to_newest(uint32_t e)
{
	struct fc_page *pg = &fc_pg[e];

	if (e == fc_newest)
		return;
	if (pg->prev)
		fc_pg[pg->prev].next = pg->next;
	else
		fc_oldest = pg->next;
	fc_pg[pg->next].prev = pg->prev;
	pg->prev = fc_newest;
	pg->next = FC_NONE;
	fc_pg[fc_newest].next = e;
	fc_newest = e;
}

/* Make room for one more page (CLOCK): the oldest page goes, unless a
 * client touched it since it was last looked at (the kernel's accessed
 * bit, which looking resets): then it moves to the young end instead. A
 * page whose write-back fails moves there too. Each page is looked at
 * most twice. */
static void fc_make_room(void)
{
	for (word_t looked = 0; fc_oldest && fc_stats.pages >= fc_stats.bound &&
	     looked < 2 * fc_stats.pages; looked++) {
		uint32_t e = fc_oldest;
		unsigned st = pager_revoke_status(fc_pg[e].frame, 0);

		if (st & FPAGE_W)
			fc_pg[e].dirty = true;
		if (((st & FPAGE_R) && looked < fc_stats.pages) || !fc_evict(e))
			fc_to_newest(e);
	}
}

/* A frame with page idx of f read in, its status reset. */
static word_t fc_fill(int f, word_t idx, word_t *err)
{
	word_t frame = pager_frame_alloc(fc_pager, false), done;

	if (!frame) {
		*err = E_NO_MEMORY;
		return 0;
	}
	if ((*err = fs_read(fc_srv, fc_file[f].handle, idx * 4096, 4096, 0, &done))) {
		pager_frame_put(frame);
		return 0;
	}
	memcpy((void *)frame, fc_buf, 4096);
	pager_revoke_status(frame, 0);           /* our copy does not count */
	fc_stats.fills++;
	return frame;
}

word_t fc_page(int f, word_t idx, word_t *err)
{
	uint32_t e = fc_find(f, idx);
	word_t frame;

	if (e)
		return fc_pg[e].frame;
	fc_make_room();
	if (fc_stats.pages >= fc_stats.bound || (fc_used == FC_PAGES_MAX && !fc_free)) {
		*err = E_NO_MEMORY;
		return 0;
	}
	if (!(frame = fc_fill(f, idx, err)))
		return 0;
	fc_link(f, idx, frame);
	fc_debug_check();
	return frame;
}

word_t fc_sync(int f, word_t from, word_t n, bool drop)
{
	word_t err = E_OK, e2;

	for (uint32_t e = fc_oldest, next; e; e = next) {
		next = fc_pg[e].next;
		if (fc_pg[e].file != f || fc_pg[e].idx - from >= n)
			continue;
		if ((e2 = fc_writeback(e, drop ? FPAGE_RWX : FPAGE_W))) {
			err = e2;
			continue;
		}
		if (drop) {
			pager_frame_put(fc_pg[e].frame);
			fc_unlink(e);
		}
	}
	fc_debug_check();
	return err;
}

int fc_open(const char *path, word_t *err)
{
	int f = -1;
	word_t kind;

	for (int i = 0; i < FC_FILES; i++) {
		if (fc_file[i].used && !strcmp(fc_file[i].path, path))
			return i;
		if (!fc_file[i].used && f < 0)
			f = i;
	}
	if (f < 0) {
		*err = E_NO_MEMORY;
		return -1;
	}
	if ((*err = fs_open(fc_srv, path, 0, &fc_file[f].handle, &fc_file[f].size, &kind)))
		return -1;
	strlcpy(fc_file[f].path, path, sizeof(fc_file[f].path));
	fc_file[f].used = true;
	fc_file[f].maps = 0;
	fc_debug_check();
	return f;
}

word_t fc_size_refresh(int f)
{
	word_t size, kind;

	if (fs_size(fc_srv, fc_file[f].handle, &size, &kind) == E_OK)
		fc_file[f].size = size;
	return fc_file[f].size;
}

void fc_unuse(int f)
{
	if (--fc_file[f].maps)
		return;
	fc_sync(f, 0, ~(word_t)0, true);
	fs_close(fc_srv, fc_file[f].handle);
	fc_file[f].used = false;
	fc_debug_check();
}

/* ----------------------------------------------------------------- checker
 *
 * filecache_check verifies what the cache relies on:
 *  - bounds: the bound is at most FC_PAGES_MAX, the entries ever used
 *    (fc_used) at most FC_PAGES_MAX, and entry 0 holds frame 0 (fc_lookup
 *    returns it for "not cached");
 *  - the age list: fc_oldest and fc_newest are both 0 or both entries;
 *    from fc_oldest each entry is one ever used, holds a page-aligned
 *    frame, its prev names the entry before, the walk ends at fc_newest
 *    and is no longer than fc_used (no cycle); it holds fc_stats.pages
 *    entries, at most the bound;
 *  - each listed page: of an open file (in range, used), and fc_find
 *    finds it: it is in the chain of its own bucket, the first entry there
 *    for its (file, page index), so no page is cached twice;
 *  - the hash chains: every entry on a chain is a listed page (frame not
 *    0) hashing to that bucket, and the chains hold no more entries than
 *    pages are listed (no cycle; with the above, every listed page is on
 *    exactly one chain and nothing else is);
 *  - the free list: each entry one ever used, with frame 0, no longer than
 *    fc_used; free and listed entries are all fc_used entries;
 *  - files: a used file's path is NUL-terminated (its last byte 0); a closed file has no
 *    mappings (its pages are checked above).
 */

/* The age list: its links, its pages and their chains. */
static bool fc_check_list(word_t *listed)
{
	uint32_t prev = FC_NONE, e;

	if (!fc_oldest != !fc_newest)
		return FC_FAIL("oldest %u and newest %u: one empty", fc_oldest, fc_newest);
	*listed = 0;
	for (e = fc_oldest; e; prev = e, e = fc_pg[e].next) {
		const struct fc_page *pg = &fc_pg[e];

		if (e > fc_used)
			return FC_FAIL("age list: entry %u beyond the %u used", e, fc_used);
		if (++*listed > fc_used)
			return FC_FAIL("age list longer than the %u entries used", fc_used);
		if (!pg->frame || (pg->frame & 4095))
			return FC_FAIL("age list: entry %u has frame %lx", e, pg->frame);
		if (pg->prev != prev)
			return FC_FAIL("age list: entry %u's prev %u, not %u", e, pg->prev, prev);
		if (pg->file < 0 || pg->file >= FC_FILES || !fc_file[pg->file].used)
			return FC_FAIL("page %lu of entry %u: file %d not open", pg->idx, e,
				       pg->file);
		if (fc_find(pg->file, pg->idx) != e)
			return FC_FAIL("page %lu of file %d (entry %u): fc_find finds %u", pg->idx,
				       pg->file, e, fc_find(pg->file, pg->idx));
	}
	if (prev != fc_newest)
		return FC_FAIL("age list ends at %u, newest is %u", prev, fc_newest);
	if (*listed != fc_stats.pages || fc_stats.pages > fc_stats.bound)
		return FC_FAIL("%lu pages listed, %lu counted, bound %lu", *listed, fc_stats.pages,
			       fc_stats.bound);
	return true;
}

/* The hash chains hold exactly the listed pages, each in its bucket. */
static bool fc_check_chains(word_t listed)
{
	word_t chained = 0;

	for (uint32_t b = 0; b < FC_BUCKETS; b++)
		for (uint32_t e = fc_bucket[b]; e; e = fc_pg[e].hnext) {
			if (e > fc_used || !fc_pg[e].frame)
				return FC_FAIL("bucket %u: entry %u is no cached page", b, e);
			if (fc_hash(fc_pg[e].file, fc_pg[e].idx) != b)
				return FC_FAIL("bucket %u: entry %u hashes to %u", b, e,
					       fc_hash(fc_pg[e].file, fc_pg[e].idx));
			if (++chained > listed)
				return FC_FAIL("hash chains hold more than the %lu pages", listed);
		}
	return true;                 /* fewer: a listed page fc_find misses */
}

/* The free list: unused entries only, and with the pages, all of them. */
static bool fc_check_free(word_t listed)
{
	word_t free = 0;

	for (uint32_t e = fc_free; e; e = fc_pg[e].next) {
		if (e > fc_used || fc_pg[e].frame)
			return FC_FAIL("free list: entry %u in use or beyond %u", e, fc_used);
		if (++free > fc_used)
			return FC_FAIL("free list longer than the %u entries used", fc_used);
	}
	if (free + listed != fc_used)
		return FC_FAIL("%lu free + %lu pages != %u entries used", free, listed, fc_used);
	return true;
}

bool filecache_check(void)
{
	word_t listed;

	if (fc_stats.bound > FC_PAGES_MAX || fc_used > FC_PAGES_MAX || fc_pg[0].frame)
		return FC_FAIL("bound %lu, %u used, entry 0's frame %lx", fc_stats.bound, fc_used,
			       fc_pg[0].frame);
	for (int f = 0; f < FC_FILES; f++) {
		if (fc_file[f].used && fc_file[f].path[FS_PATH_MAX])
			return FC_FAIL("file %d: path not terminated", f);
		if (!fc_file[f].used && fc_file[f].maps)
			return FC_FAIL("file %d closed with %u mappings", f, fc_file[f].maps);
	}
	return fc_check_list(&listed) && fc_check_chains(listed) && fc_check_free(listed);
}
