/* SPDX-License-Identifier: MIT */
/*
 * The file pager: memory-mapped files of the FAT server (docs/files.md,
 * include/pagoda/file.h, docs/abi.md §16.6).
 *
 * It is a libmap pager stacked on the FAT server (boot.cfg:
 * `pagers/file pager=fs/fatserv [cache=PAGES]`); its clients name it as
 * their pager. A client maps a file range at an address of its choice,
 * shared or private. A fault there finds the file's page in the page
 * cache (pagers/filecache.c), reading it in if need be, and maps the
 * cache's frame: read-write for a writable shared mapping, read-only
 * otherwise. A write to a private mapping copies the page into a frame of
 * the client's own (kept in the framework's page table, so it goes with
 * the client) and maps that instead: the file never sees it. A fault on a
 * page wholly past the end of the file asks the server for the size again
 * (the file may have grown) and is refused if it is still past the end;
 * the client's exception handler gets the fault, and the console says why.
 *
 * Dirty pages reach the file when the client syncs (FILE_LABEL_SYNC,
 * msync), unmaps, or exits, and when the cache evicts them beyond its
 * bound. Everything else (create, read, write, truncate) clients do
 * through the FAT server, whose id FILE_LABEL_FS gives; a client that
 * writes a mapped file that way syncs with FILE_SYNC_INVALIDATE
 * afterwards so that its mapping reads the new bytes.
 *
 * The tables of mappings and open files are shared by all clients; one
 * client has at most FILE_MAPS_PER_CLIENT mappings (FILE_E_LIMIT beyond),
 * so at most that many files, and both tables have room for several such
 * shares: one client cannot refuse the others.
 */
#include <pager.h>
#include <layout.h>
#include <pagoda/file.h>
#include <fsclient.h>
#include "filecache.h"

#define FILE_MAPS 64
_Static_assert(FILE_MAPS >= 8 * FILE_MAPS_PER_CLIENT, "room for eight clients' shares");
_Static_assert(FC_FILES >= 4 * FILE_MAPS_PER_CLIENT, "room for four clients' files");
#define FILE_BUF_VA 0x40000000000ul          /* the FAT server's buffer */
#define FILE_CACHE_DEFAULT 1024               /* pages (4 MiB) */

struct file_map {
	struct pager_client *c;              /* NULL: free */
	word_t va, size, off;
	unsigned flags;
	int file;
	unsigned shared_rights;              /* shared: what a fault maps; private: 0 */
};

static struct file_map file_map[FILE_MAPS];
static struct file_map *file_map_last = file_map;   /* the last one a fault found */
static word_t file_cow_copies;

static void file_fail(word_t err)
{
	msg_tag(SIGMA0_REPLY_ERROR, 1, 0);
	utcb()->mr[1] = err;
}

/* c's mapping holding va; the last one found is tried first (faults come
 * in runs on one mapping). */
static struct file_map *file_map_find(struct pager_client *c, word_t va)
{
	struct file_map *last = file_map_last;

	if (last->c == c && va - last->va < last->size)
		return last;
	for (unsigned i = 0; i < FILE_MAPS; i++)
		if (file_map[i].c == c && va - file_map[i].va < file_map[i].size)
			return file_map_last = &file_map[i];
	return NULL;
}

/* Does [va, va + size) meet one of c's mappings or regions? Range against
 * range: a MAP may cover terabytes, which page by page took hours. */
static bool file_overlaps(struct pager_client *c, word_t va, word_t size)
{
	for (unsigned i = 0; i < FILE_MAPS; i++)
		if (file_map[i].c == c && va < file_map[i].va + file_map[i].size &&
		    file_map[i].va < va + size)
			return true;
	for (unsigned i = 0; i < c->nregions; i++)
		if (c->region[i].size && va < c->region[i].va + c->region[i].size &&
		    c->region[i].va < va + size)
			return true;
	return false;
}

/* ---- faults ---- */

static word_t file_past_end(struct pager_client *c, struct file_map *m, word_t addr, word_t idx)
{
	struct fc_file *f = &fc_file[m->file];

	if (idx * 4096 < fc_size_refresh(m->file))
		return 0;
	printf("[file] %lx: fault at %lx: page %lu of '%s' lies past its end (%lu bytes): refused\n",
	       c->tid, addr, idx, f->path, f->size);
	return 1;
}

/* A write to a private mapping: the client's own copy of the page. */
static word_t file_cow(struct pager *p, struct pager_client *c, word_t va, word_t page)
{
	word_t frame = pager_frame_alloc(p, false);

	if (!frame)
		return 0;
	memcpy((void *)frame, (void *)page, 4096);
	if (!pager_page_insert(p, c, va, frame, FPAGE_RW)) {
		pager_frame_put(frame);
		return 0;
	}
	file_cow_copies++;
	return frame;
}

/* The whole way: any mapping, private copies, the size asked again, the
 * page read in. Not inlined, so that file_fault's short way saves no
 * registers. */
static __attribute__((noinline)) word_t file_fault_slow(struct pager *p, struct pager_client *c,
							word_t addr, unsigned access,
							unsigned *rights)
{
	word_t va = ALIGN_DOWN(addr, 4096), idx, page, err;
	struct file_map *m = file_map_find(c, va);

	if (!m)
		return pager_fault_default(p, c, addr, access, rights);
	if ((m->flags & FILE_MAP_PRIVATE) && pager_page_lookup(c, va, &page, rights))
		return page;                          /* a private copy */
	idx = (m->off + (va - m->va)) / 4096;
	if (idx * 4096 >= fc_file[m->file].size && file_past_end(c, m, addr, idx))
		return 0;
	if (!(page = fc_page(m->file, idx, &err))) {
		printf("[file] %lx: fault at %lx: reading '%s' failed (error %lx): refused\n", c->tid,
		       addr, fc_file[m->file].path, err);
		return 0;
	}
	*rights = FPAGE_R;
	if (!(m->flags & FILE_MAP_WRITE))
		return page;
	if (m->flags & FILE_MAP_SHARED) {
		*rights = FPAGE_RW;
		return page;
	}
	if (!(access & FPAGE_W))
		return page;                          /* read-only until written */
	*rights = FPAGE_RW;
	return file_cow(p, c, va, page);
}

/* A fault. The common case, a page of the last mapping a fault found, a
 * shared one, inside the file and in the cache, takes the short way: one
 * hash lookup, nothing else (no page-table lookup, no size asked, no
 * call that could read or evict). Everything else goes the whole way. */
static word_t file_fault(struct pager *p, struct pager_client *c, word_t addr, unsigned access,
			 unsigned *rights)
{
	const struct file_map *m = file_map_last;
	word_t off = ALIGN_DOWN(addr, 4096) - m->va + m->off, frame;

	if (m->c != c || addr - m->va >= m->size || !m->shared_rights ||
	    off >= fc_file[m->file].size || !(frame = fc_lookup(m->file, off / 4096)))
		return file_fault_slow(p, c, addr, access, rights);
	*rights = m->shared_rights;
	return frame;
}

/* ---- requests ---- */

/* Copy the path at MR5.. (fs.h encoding) into buf; false if malformed. */
static bool file_path(char *buf)
{
	struct utcb *u = utcb();
	word_t len = u->mr[5];

	if (len > FS_PATH_MAX || tag_u(u->mr[0]) < 4 + fs_path_words(len))
		return false;
	memcpy(buf, &u->mr[6], len);
	buf[len] = 0;
	return strlen(buf) == len;
}

static word_t file_decode_map(struct pager_client *c, struct file_map *m, char *path)
{
	struct utcb *u = utcb();
	unsigned kind = u->mr[4] & (FILE_MAP_SHARED | FILE_MAP_PRIVATE);

	m->va = u->mr[1];
	m->size = u->mr[2];
	m->off = u->mr[3];
	m->flags = (unsigned)u->mr[4];
	if (tag_u(u->mr[0]) < 5 || !file_path(path) || (kind != FILE_MAP_SHARED && kind != FILE_MAP_PRIVATE))
		return E_BAD_ARGUMENT;
	if (m->flags & ~(unsigned)(FILE_MAP_SHARED | FILE_MAP_PRIVATE | FILE_MAP_WRITE))
		return E_BAD_ARGUMENT;
	if ((m->va | m->size | m->off) & 4095 || !m->size || m->va + m->size < m->va ||
	    m->va + m->size > FPAGE_USER_END || m->off + m->size < m->off)
		return E_BAD_ARGUMENT;
	if (file_overlaps(c, m->va, m->size))
		return E_EXISTS;
	return E_OK;
}

/* The mappings c has. */
static unsigned file_map_count(const struct pager_client *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FILE_MAPS; i++)
		n += file_map[i].c == c;
	return n;
}

static void file_on_map(struct pager_client *c)
{
	static char path[FS_PATH_MAX + 1];
	struct file_map req, *slot = NULL;
	word_t err;

	for (unsigned i = 0; i < FILE_MAPS && !slot; i++)
		if (!file_map[i].c)
			slot = &file_map[i];
	if (!(err = file_decode_map(c, &req, path)) && file_map_count(c) >= FILE_MAPS_PER_CLIENT)
		err = FILE_E_LIMIT;
	if (err || (!slot && (err = E_NO_MEMORY))) {
		file_fail(err);
		return;
	}
	if ((req.file = fc_open(path, &err)) < 0) {
		file_fail(err);
		return;
	}
	req.c = c;
	req.shared_rights = !(req.flags & FILE_MAP_SHARED) ? 0
			    : req.flags & FILE_MAP_WRITE ? FPAGE_RW : FPAGE_R;
	*slot = req;
	fc_file[req.file].maps++;
	msg_tag(0, 1, 0);
	utcb()->mr[1] = fc_file[req.file].size;
}

/* The file pages [first, first + n) that m's range [va, va + size) covers. */
static void file_range(const struct file_map *m, word_t va, word_t size, word_t *first, word_t *n)
{
	word_t from = MAX(va, m->va), to = MIN(va + size, m->va + m->size);

	*first = (m->off + (from - m->va)) / 4096;
	*n = to > from ? (to - from) / 4096 : 0;
}

static word_t file_sync_map(struct file_map *m, word_t va, word_t size, bool invalidate)
{
	word_t first, n, err;

	file_range(m, va, size, &first, &n);
	if (!(m->flags & FILE_MAP_SHARED) && !invalidate)
		return E_OK;
	err = fc_sync(m->file, first, n, invalidate);
	if (invalidate)
		fc_size_refresh(m->file);
	return err;
}

static word_t file_on_sync(struct pager_client *c)
{
	struct utcb *u = utcb();
	word_t va = u->mr[1], size = u->mr[2], flags = u->mr[3], err = E_OK, e;

	word_t written = fc_stats.writebacks;

	if ((va | size) & 4095 || va + size < va || flags & ~(word_t)FILE_SYNC_INVALIDATE)
		return E_BAD_ARGUMENT;
	for (unsigned i = 0; i < FILE_MAPS; i++)
		if (file_map[i].c == c && va < file_map[i].va + file_map[i].size &&
		    file_map[i].va < va + size &&
		    (e = file_sync_map(&file_map[i], va, size, flags & FILE_SYNC_INVALIDATE)))
			err = e;
	if (!err && fc_stats.writebacks != written)
		err = fs_sync(fc_server());             /* what we wrote, on the disk */
	return err;
}

/* Write back and forget mapping m: the cached pages of its range are
 * written back if dirty and dropped (so no mapping of them is left in the
 * client; other clients read them in again), and the client's private
 * copies go. */
static struct {
	word_t va, size;                     /* the range */
	word_t found[64];
	unsigned n;
} file_copies;

static void file_copy_seen(struct pager *p, struct pager_client *c, word_t va, word_t frame,
			   unsigned rights)
{
	(void)p, (void)c, (void)frame;
	if (va - file_copies.va < file_copies.size && !(rights & PAGER_PAGE_LENT) &&
	    file_copies.n < ARRAY_SIZE(file_copies.found))
		file_copies.found[file_copies.n++] = va;
}

/* Free c's private copies in m's range, found through c's page list (a
 * mapping may cover terabytes: walking its range page by page hung the
 * pager), a batch at a time. */
static void file_drop_copies(struct pager_client *c, struct file_map *m)
{
	word_t frame;
	unsigned status, taken;

	file_copies.va = m->va;
	file_copies.size = m->size;
	do {
		file_copies.n = taken = 0;
		pager_page_each(NULL, c, file_copy_seen);
		for (unsigned i = 0; i < file_copies.n; i++)
			if (pager_page_take(c, file_copies.found[i], &frame, &status))
				pager_frame_put(frame), taken++;
	} while (file_copies.n == ARRAY_SIZE(file_copies.found) && taken);
}

static void file_unmap(struct pager_client *c, struct file_map *m)
{
	file_drop_copies(c, m);
	fc_sync(m->file, m->off / 4096, m->size / 4096, true);
	fc_unuse(m->file);
	m->c = NULL;
}

static word_t file_on_unmap(struct pager_client *c)
{
	struct file_map *m = file_map_find(c, utcb()->mr[1]);

	if (!m || m->va != utcb()->mr[1])
		return E_BAD_ARGUMENT;
	file_unmap(c, m);
	return fs_sync(fc_server());
}

static void file_reply(word_t err)
{
	if (err)
		file_fail(err);
	else
		msg_tag(0, 0, 0);
}

static void file_on_stats(void)
{
	struct utcb *u = utcb();

	msg_tag(0, 5, 0);
	u->mr[1] = fc_stats.pages;
	u->mr[2] = fc_stats.bound;
	u->mr[3] = fc_stats.fills;
	u->mr[4] = fc_stats.writebacks;
	u->mr[5] = fc_stats.evictions;
}

static bool file_request(struct pager *p, word_t from, word_t label)
{
	struct pager_client *c = pager_client_find(p, from);

	if (label == FILE_LABEL_FS) {
		msg_tag(0, 1, 0);
		utcb()->mr[1] = fc_server();
	} else if (label == FILE_LABEL_STATS) {
		file_on_stats();
	} else if (!c) {
		file_fail(E_NO_PRIVILEGE);                /* only clients map files */
	} else if (label == FILE_LABEL_MAP) {
		file_on_map(c);
	} else if (label == FILE_LABEL_SYNC) {
		file_reply(file_on_sync(c));
	} else if (label == FILE_LABEL_UNMAP) {
		file_reply(file_on_unmap(c));
	} else {
		file_fail(E_BAD_ARGUMENT);
	}
	return true;
}

static void file_client_exit(struct pager *p, struct pager_client *c)
{
	(void)p;
	for (unsigned i = 0; i < FILE_MAPS; i++)
		if (file_map[i].c == c)
			file_unmap(c, &file_map[i]);
	fs_sync(fc_server());
}

static const struct pager_ops file_ops = {
	.fault = file_fault,
	.request = file_request,
	.client_exit = file_client_exit,
};

/* cache=PAGES among the arguments (at least 1), or the default. */
static unsigned file_cache_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		unsigned n = 0;

		if (strncmp(argv[i], "cache=", 6) != 0)
			continue;
		for (const char *d = argv[i] + 6; *d >= '0' && *d <= '9' && n < 1000000; d++)
			n = n * 10 + (unsigned)(*d - '0');
		return MAX(n, 1u);
	}
	return FILE_CACHE_DEFAULT;
}

int main(int argc, char **argv)
{
	static struct pager p;
	word_t srv = utcb()->pager;
	int status;

	pager_init(&p, "file", &file_ops);
	if (!fc_init(&p, srv, FILE_BUF_VA, file_cache_arg(argc, argv)))
		printf("file: the file server %lx gives no buffer: every map will fail\n", srv);
	printf("file: pager %lx on file server %lx, cache of %lu pages\n", libmap_myself, srv,
	       fc_stats.bound);
	status = pager_run(&p);
	printf("file: %lu pages read, %lu written back, %lu evicted, %lu private copies\n",
	       fc_stats.fills, fc_stats.writebacks, fc_stats.evictions, file_cow_copies);
	printf("file: %u mappings left at the end\n", FILE_MAPS - file_map_count(NULL));
	return status;
}
