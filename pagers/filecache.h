/* SPDX-License-Identifier: MIT */
/*
 * The file pager's page cache: open files of the FAT server and their
 * pages in frames, at most a bound of them, written back when dirty.
 */
#ifndef PAGERS_FILECACHE_H
#define PAGERS_FILECACHE_H

#include <pager.h>
#include <pagoda/fs.h>

#define FC_FILES 32                  /* at most the FAT server's FS_OPEN_PER_CALLER */
_Static_assert(FC_FILES <= FS_OPEN_PER_CALLER, "the FAT server keeps them all open");

struct fc_file {
	bool used;
	char path[FS_PATH_MAX + 1];
	word_t handle, size;             /* the FAT server's; size as last learnt */
	unsigned maps;                   /* mappings of it: it is closed at 0 */
};

struct fc_stats {
	word_t pages, bound, fills, writebacks, evictions;
};

extern struct fc_file fc_file[FC_FILES];
extern struct fc_stats fc_stats;

/* The page cache's entries and their hash (filecache.c owns them; they are
 * here only for fc_lookup, inlined into the fault path). */
#define FC_PAGES_MAX 8192                    /* a power of two */
#define FC_BUCKETS FC_PAGES_MAX

struct fc_page {
	word_t idx, frame;               /* frame 0: free entry */
	int file;
	bool dirty;                      /* written since its last write-back */
	uint32_t hnext, prev, next;      /* hash chain; age list (oldest first) */
};

extern struct fc_page fc_pg[FC_PAGES_MAX + 1];
extern uint32_t fc_bucket[FC_BUCKETS];

/* The bucket of page idx of file f: consecutive pages of a file fall into
 * consecutive buckets. */
static inline uint32_t fc_hash(int f, word_t idx)
{
	return (uint32_t)((word_t)f * 0x9e3779b1u + idx) & (FC_BUCKETS - 1);
}

/* The entry of page idx of file f, 0 if it is not cached. */
static inline uint32_t fc_find(int f, word_t idx)
{
	uint32_t e = fc_bucket[fc_hash(f, idx)];

	while (e && (fc_pg[e].file != f || fc_pg[e].idx != idx))
		e = fc_pg[e].hnext;
	return e;
}

/* The cache of pager p on file server srv, its buffer at buf_va, holding
 * at most `bound` pages. False if the server refuses the buffer. */
bool fc_init(struct pager *p, word_t srv, word_t buf_va, unsigned bound);
/* Open path (or find it open): the file's index, or -1 with *err. */
int fc_open(const char *path, word_t *err);
/* One mapping less; at none the file's pages are written back and
 * dropped and the file closed. */
void fc_unuse(int f);
/* The file's size, asked again from the server. */
word_t fc_size_refresh(int f);
/* The frame holding page idx of file f if the cache has it, else 0 (the
 * fault path's lookup: nothing read, nothing evicted). */
static inline word_t fc_lookup(int f, word_t idx)
{
	return fc_pg[fc_find(f, idx)].frame;     /* entry 0: frame 0 */
}
/* The frame holding page idx of file f, read in if need be (evicting the
 * oldest page beyond the bound); 0 with *err if the server fails. */
word_t fc_page(int f, word_t idx, word_t *err);
/* Write back the dirty cached pages idx in [from, from + n) of f; drop
 * them too if `drop`. E_OK or the server's error (pages stay dirty). */
word_t fc_sync(int f, word_t from, word_t n, bool drop);
/* The file server's thread. */
word_t fc_server(void);
/* Every invariant of the cache holds (filecache.c lists them); false at
 * the first broken one, reported as "filecache_check: <what>". Run after
 * every change in `make DEBUG=1` builds (FILECACHE_DEBUG). */
bool filecache_check(void);

#endif
