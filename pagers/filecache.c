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
}
