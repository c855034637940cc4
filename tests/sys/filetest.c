/* SPDX-License-Identifier: MIT */
/*
 * Memory-mapped files (pagers/file) on the FAT server on a virtio-blk disk
 * that tests/sys/fs_disk.py makes and checks (fsck.fat -n, the host's files
 * unchanged, every file of /MODEL.TXT as the model here says).
 *
 * Arguments: "main [SEED [OPS [MAXOP [nomap]]]]" runs the cases below
 * (fsx: OPS operations of up to MAXOP bytes from SEED; "nomap": through
 * the server only); "eof" maps a file
 * and touches a page past its end (it must be stopped by that fault);
 * "share1" and "share2" are two clients of one shared mapping.
 */
#include "tap.h"
#include <fsclient.h>
#include <pagoda/file.h>

#define FSBUF TEST_VA_A                      /* the FAT server's buffer */
#define MAP_A 0x400000000000ull              /* mappings, 1 GiB apart */
#define MAP_B 0x400040000000ull
#define MAP_C 0x400080000000ull
#define MAP_D 0x4000c0000000ull
#define LONG_PATH "/data/A Long Name.bin"
#define LONG_SIZE 100000
#define FSX_MAX (256u << 10)

static word_t fpg, srv;                      /* the file pager, the FAT server */
static uint8_t *const fsbuf = (uint8_t *)FSBUF;

static uint8_t host_byte(word_t i)
{
	return (uint8_t)(i * 7 + (i >> 9));
}

/* ---- the file pager's protocol ---- */

static word_t fmap(word_t va, word_t size, word_t off, word_t flags, const char *path, word_t *fsize)
{
	struct utcb *u = utcb();
	unsigned end = fs_put_path(5, path);
	word_t err;

	msg_tag(FILE_LABEL_MAP, end - 1, 0);
	u->mr[1] = va;
	u->mr[2] = size;
	u->mr[3] = off;
	u->mr[4] = flags;
	if ((err = tap_reply_error(ipc_call(fpg))))
		return err;
	if (fsize)
		*fsize = u->mr[1];
	return E_OK;
}

static word_t fcall(word_t label, word_t a, word_t b, word_t c)
{
	struct utcb *u = utcb();

	msg_tag(label, 3, 0);
	u->mr[1] = a;
	u->mr[2] = b;
	u->mr[3] = c;
	return tap_reply_error(ipc_call(fpg));
}

static word_t fsync_range(word_t va, word_t size, word_t flags)
{
	return fcall(FILE_LABEL_SYNC, va, size, flags);
}

static word_t funmap(word_t va)
{
	return fcall(FILE_LABEL_UNMAP, va, 0, 0);
}

static void fstats(word_t *st)
{
	fcall(FILE_LABEL_STATS, 0, 0, 0);
	for (unsigned i = 0; i < 5; i++)
		st[i] = utcb()->mr[1 + i];
}

/* Read len bytes of file h at off through the server into dst. */
static bool fs_get(word_t h, word_t off, word_t len, uint8_t *dst)
{
	for (word_t done = 0, n, got; done < len; done += n) {
		n = MIN(len - done, FS_IO_MAX);
		if (fs_read(srv, h, off + done, n, 0, &got))
			return false;
		memcpy(dst + done, fsbuf, n);
	}
	return true;
}

static bool fs_put(word_t h, word_t off, word_t len, const uint8_t *src)
{
	for (word_t done = 0, n; done < len; done += n) {
		n = MIN(len - done, FS_IO_MAX);
		memcpy(fsbuf, src + done, n);
		if (fs_write(srv, h, off + done, n, 0, NULL))
			return false;
	}
	return true;
}

static uint64_t fnv(const uint8_t *p, word_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (word_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* ---- the model of the files this test writes (for /MODEL.TXT) ---- */

struct mfile {
	const char *path;
	word_t h, size;
	uint8_t data[FSX_MAX];
};

static struct mfile m_shared = { .path = "/out/shared.bin" }, m_big = { .path = "/out/big.bin" },
		    m_fsx = { .path = "/out/fsx.bin" };
static struct mfile *const mfiles[] = { &m_shared, &m_big, &m_fsx };

static bool create(struct mfile *m, word_t size)
{
	if (fs_open(srv, m->path, FS_OPEN_CREATE | FS_OPEN_TRUNC, &m->h, NULL, NULL) ||
	    fs_truncate(srv, m->h, size))
		return false;
	m->size = size;
	memset(m->data, 0, sizeof(m->data));
	return true;
}

/* ---- the cases ---- */

static void test_read_host(void)
{
	volatile uint8_t *p = (volatile uint8_t *)MAP_A;
	word_t size = 0, bad = 0;

	ok_err(fmap(MAP_A, 128 << 10, 0, FILE_MAP_SHARED, LONG_PATH, &size), E_OK,
	       "map the host's 100000-byte file read-only");
	ok(size == LONG_SIZE, "its size: %lu", size);
	for (word_t i = 0; i < LONG_SIZE; i++)
		bad += p[i] != host_byte(i);
	ok(bad == 0, "every byte as the host wrote it (%lu differ)", bad);
	for (word_t i = LONG_SIZE; i < ALIGN_UP((word_t)LONG_SIZE, 4096); i++)
		bad += p[i] != 0;
	ok(bad == 0, "the tail of the last page reads as zeros");
	ok_err(funmap(MAP_A), E_OK, "unmap it");
}

static void test_shared_write(void)
{
	volatile uint8_t *p = (volatile uint8_t *)MAP_B;
	uint8_t back[4096];
	bool same = true;

	ok(create(&m_shared, 40000), "create %s, 40000 bytes", m_shared.path);
	ok_err(fmap(MAP_B, 64 << 10, 0, FILE_MAP_SHARED | FILE_MAP_WRITE, m_shared.path, NULL), E_OK,
	       "map it shared, writable, 64 KiB");
	for (word_t i = 0; i < 40000; i++)
		p[i] = m_shared.data[i] = (uint8_t)(i * 13 + 5);
	ok_err(fsync_range(MAP_B, 64 << 10, 0), E_OK, "msync");
	for (word_t off = 0; off < 40000 && same; off += 4096) {
		word_t n = MIN((word_t)4096, 40000 - off);
		same = fs_get(m_shared.h, off, n, back) && !memcmp(back, m_shared.data + off, n);
	}
	ok(same, "the server reads what was written through the mapping");
	ok_err(fs_truncate(srv, m_shared.h, 60000), E_OK, "the file grows to 60000 through the server");
	m_shared.size = 60000;
	for (word_t i = 50000; i < 50100; i++)
		p[i] = m_shared.data[i] = (uint8_t)i;
	ok(p[59999] == 0 && p[50050] == (uint8_t)50050, "its new pages are mappable");
	ok_err(funmap(MAP_B), E_OK, "unmap: written back");
	ok(fs_get(m_shared.h, 49152, 4096, back) && !memcmp(back, m_shared.data + 49152, 4096),
	   "the new page reached the file");
}

static void test_private(void)
{
	volatile char *p = (volatile char *)MAP_C;
	char back[32];

	ok_err(fmap(MAP_C, 4096, 0, FILE_MAP_PRIVATE | FILE_MAP_WRITE, "/hello.txt", NULL), E_OK,
	       "map /hello.txt private, writable");
	ok(p[0] == 'h' && p[6] == 'f', "it reads the host's text");
	// NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes, not a string
	memcpy((void *)p, "PRIVATE", 7);
	ok(p[0] == 'P' && p[8] == 'o', "a write changes my copy");
	ok_err(fsync_range(MAP_C, 4096, 0), E_OK, "msync");
	ok_err(funmap(MAP_C), E_OK, "unmap");
	word_t h;

	ok_err(fs_open(srv, "/hello.txt", 0, &h, NULL, NULL), E_OK, "open /hello.txt");
	ok(fs_get(h, 0, 20, (uint8_t *)back) && !memcmp(back, "hello from the host\n", 20),
	   "the file never saw it");
	fs_close(srv, h);
}

/* 512 KiB written through a cache bound of 64 pages: evictions write back. */
static void test_pressure(void)
{
	volatile word_t *p = (volatile word_t *)MAP_D;
	word_t st[5], size = 512 << 10, bad = 0;
	static word_t back[512];

	ok(create(&m_big, size), "create %s, 512 KiB", m_big.path);
	ok_err(fmap(MAP_D, size, 0, FILE_MAP_SHARED | FILE_MAP_WRITE, m_big.path, NULL), E_OK,
	       "map it shared");
	for (word_t i = 0; i < size / 8; i += 512)
		p[i] = i * 0x10001;
	fstats(st);
	ok(st[1] == 64 && st[0] <= 64 && st[4] >= 64 && st[3] >= 64,
	   "cache bound %lu, %lu pages; %lu evicted, %lu written back", st[1], st[0], st[4], st[3]);
	for (word_t i = 0; i < size / 8; i += 512)
		bad += p[i] != i * 0x10001;
	ok(bad == 0, "evicted pages come back with what was written (%lu differ)", bad);
	ok_err(funmap(MAP_D), E_OK, "unmap");
	for (word_t pg = 0; pg < size / 4096; pg++) {
		bad += !fs_get(m_big.h, pg * 4096, 4096, (uint8_t *)back) || back[0] != pg * 512 * 0x10001;
		if (pg * 4096 < FSX_MAX)
			memcpy(m_big.data + pg * 4096, &back[0], 8);
	}
	ok(bad == 0, "the file holds every page's word (%lu wrong)", bad);
	m_big.size = FSX_MAX;                        /* the model keeps the first 256 KiB */
	ok_err(fs_truncate(srv, m_big.h, FSX_MAX), E_OK, "cut it to 256 KiB");
}

static void test_refused(void)
{
	word_t flags = FILE_MAP_SHARED;

	ok_err(fmap(MAP_A, 4096, 0, flags, "/missing.txt", NULL), FS_E_NOT_FOUND, "a missing file");
	ok_err(fmap(MAP_A, 4096, 0, flags, "/data", NULL), FS_E_IS_DIR, "a directory");
	ok_err(fmap(MAP_A + 1, 4096, 0, flags, "/hello.txt", NULL), E_BAD_ARGUMENT, "unaligned address");
	ok_err(fmap(MAP_A, 100, 0, flags, "/hello.txt", NULL), E_BAD_ARGUMENT, "unaligned size");
	ok_err(fmap(MAP_A, 0, 0, flags, "/hello.txt", NULL), E_BAD_ARGUMENT, "size 0");
	ok_err(fmap(MAP_A, 4096, 512, flags, "/hello.txt", NULL), E_BAD_ARGUMENT, "unaligned offset");
	ok_err(fmap(MAP_A, 4096, 0, 0, "/hello.txt", NULL), E_BAD_ARGUMENT, "neither shared nor private");
	ok_err(fmap(MAP_A, 4096, 0, FILE_MAP_SHARED | FILE_MAP_PRIVATE, "/hello.txt", NULL),
	       E_BAD_ARGUMENT, "shared and private");
	ok_err(fmap(MAP_A, 4096, 0, flags | 0x100, "/hello.txt", NULL), E_BAD_ARGUMENT, "an unknown flag");
	ok_err(fmap(0x7ffffffff000ull, 8192, 0, flags, "/hello.txt", NULL), E_BAD_ARGUMENT,
	       "a range past the user half");
	ok_err(fmap(USER_HEAP_BASE, 4096, 0, flags, "/hello.txt", NULL), E_EXISTS, "over my heap");
	ok_err(fmap(MAP_A, 8192, 0, flags, "/hello.txt", NULL), E_OK, "map /hello.txt");
	ok_err(fmap(MAP_A + 4096, 4096, 0, flags, "/hello.txt", NULL), E_EXISTS, "over that mapping");
	ok_err(funmap(MAP_A + 4096), E_BAD_ARGUMENT, "unmap inside a mapping, not at its start");
	ok_err(funmap(MAP_B), E_BAD_ARGUMENT, "unmap where nothing is mapped");
	ok_err(fsync_range(MAP_A, 4096, 2), E_BAD_ARGUMENT, "msync with an unknown flag");
	ok_err(fsync_range(MAP_A, 100, 0), E_BAD_ARGUMENT, "msync of an unaligned size");
	msg_tag(FILE_LABEL_MAP, 2, 0);
	ok_err(tap_reply_error(ipc_call(fpg)), E_BAD_ARGUMENT, "a MAP without a path");
	msg_tag(0x64ff, 0, 0);
	ok_err(tap_reply_error(ipc_call(fpg)), E_BAD_ARGUMENT, "an unknown label");
	ok_err(funmap(MAP_A), E_OK, "unmap /hello.txt");
}

/* ---- fsx: random operations against a model ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static bool fsx_check(unsigned step, const char *what, word_t off, word_t len, const uint8_t *got)
{
	for (word_t i = 0; i < len; i++) {
		uint8_t want = off + i < m_fsx.size ? m_fsx.data[off + i] : 0;
		if (got[i] != want)
			return ok(false, "fsx step %u: %s at %lu+%lu: byte %lu is %02x, want %02x", step, what,
				  off, len, off + i, got[i], want);
	}
	return true;
}

static word_t fsx_seed = 1, fsx_ops = 10000, fsx_maxop = 16384;
static bool fsx_nomap;

static bool fsx_step(unsigned s)
{
	static uint8_t tmp[64 << 10];
	volatile uint8_t *map = (volatile uint8_t *)MAP_A;
	unsigned op = (unsigned)(rnd() % 100);
	word_t size = m_fsx.size, mapped = ALIGN_UP(size, 4096);
	word_t off = rnd() % FSX_MAX, len = 1 + rnd() % fsx_maxop;

	if (fsx_nomap && op < 50)
		op += 50;                             /* server operations only */

	if (op < 25 && size) {                        /* mapped read, zeros past EOF */
		off %= mapped;
		len = MIN(len, mapped - off);
		for (word_t i = 0; i < len; i++)
			tmp[i] = map[off + i];
		return fsx_check(s, "mapped read", off, len, tmp);
	}
	if (op < 50 && size) {                        /* mapped write inside the file */
		off %= size;
		len = MIN(len, size - off);
		for (word_t i = 0; i < len; i++)
			map[off + i] = m_fsx.data[off + i] = (uint8_t)rnd();
		return true;
	}
	if (op < 65) {                                /* read through the server */
		len = MIN(len, FSX_MAX - off);
		if (fsync_range(MAP_A, FSX_MAX, 0) || !fs_get(m_fsx.h, off, len, tmp))
			return ok(false, "fsx step %u: read failed", s);
		return fsx_check(s, "read", off, len, tmp);
	}
	if (op < 85) {                                /* write through the server */
		len = MIN(len, FSX_MAX - off);
		for (word_t i = 0; i < len; i++)
			tmp[i] = m_fsx.data[off + i] = (uint8_t)rnd();
		if (off > size)
			memset(m_fsx.data + size, 0, off - size);
		if (fsync_range(MAP_A, FSX_MAX, 0) || !fs_put(m_fsx.h, off, len, tmp) ||
		    fsync_range(MAP_A, FSX_MAX, FILE_SYNC_INVALIDATE))
			return ok(false, "fsx step %u: write failed", s);
		m_fsx.size = MAX(size, off + len);
		return true;
	}
	if (op < 95) {                                /* truncate */
		if (fsync_range(MAP_A, FSX_MAX, 0) || fs_truncate(srv, m_fsx.h, off) ||
		    fsync_range(MAP_A, FSX_MAX, FILE_SYNC_INVALIDATE))
			return ok(false, "fsx step %u: truncate failed", s);
		if (off > size)
			memset(m_fsx.data + size, 0, off - size);
		else
			memset(m_fsx.data + off, 0, size - off);
		m_fsx.size = off;
		return true;
	}
	return fsync_range(MAP_A, FSX_MAX, 0) == E_OK || ok(false, "fsx step %u: msync failed", s);
}

static void test_fsx(void)
{
	unsigned s;

	rng = fsx_seed * 0x9e3779b97f4a7c15ull | 1;
	printf("# fsx: seed %lu, %lu operations of up to %lu bytes%s (replay: boot.cfg line "
	       "'tests/filetest pager=pagers/file main %lu OPS MAXOP%s')\n", fsx_seed, fsx_ops,
	       fsx_maxop, fsx_nomap ? ", server only" : "", fsx_seed, fsx_nomap ? " nomap" : "");
	ok(create(&m_fsx, 0), "create %s", m_fsx.path);
	ok_err(fmap(MAP_A, FSX_MAX, 0, FILE_MAP_SHARED | FILE_MAP_WRITE, m_fsx.path, NULL), E_OK,
	       "map it shared, 256 KiB");
	for (s = 0; s < fsx_ops && fsx_step(s); s++)
		;
	ok(s == fsx_ops, "fsx: %u operations agree with the model", s);
	ok_err(funmap(MAP_A), E_OK, "unmap");
}

/* The manifest for the host: "path size fnv1a64" per file. */
static void test_manifest(void)
{
	word_t h, n = 0;
	char *text = (char *)fsbuf;

	for (unsigned i = 0; i < ARRAY_SIZE(mfiles); i++)
		n += fmt_snprintf(text + n, FS_BUF_SIZE - n, "%s\t%lu\t%016lx\n", mfiles[i]->path,
				  mfiles[i]->size, fnv(mfiles[i]->data, mfiles[i]->size));
	ok_err(fs_open(srv, "/MODEL.TXT", FS_OPEN_CREATE | FS_OPEN_TRUNC, &h, NULL, NULL), E_OK,
	       "create /MODEL.TXT");
	ok_err(fs_write(srv, h, 0, n, 0, NULL), E_OK, "write the manifest");
	fs_close(srv, h);
	for (unsigned i = 0; i < ARRAY_SIZE(mfiles); i++)
		fs_close(srv, mfiles[i]->h);
	ok_err(fs_sync(srv), E_OK, "SYNC");
}

static word_t number(const char *s)
{
	word_t n = 0;

	while (*s >= '0' && *s <= '9')
		n = n * 10 + (word_t)(*s++ - '0');
	return n;
}

/* ---- the other clients ---- */

static int client_eof(void)
{
	volatile uint8_t *p = (volatile uint8_t *)MAP_A;

	ok_err(fmap(MAP_A, 128 << 10, 0, FILE_MAP_SHARED, LONG_PATH, NULL), E_OK, "map 128 KiB of a 100000-byte file");
	ok(p[LONG_SIZE - 1] == host_byte(LONG_SIZE - 1), "its last byte");
	printf("filetest eof: touching page 25, past the end\n");
	return p[25 * 4096];
}

/* share1 writes, then calls share2 (slot + 1); share2 reads it, writes its
 * own, answers; share1 reads that. One frame, two clients. */
static int client_share(bool first)
{
	volatile word_t *p = (volatile word_t *)MAP_A;
	word_t other = tap_task_tid(tap_slot() + (first ? 1 : -1u)), from;

	if (first) {
		ok_err(fs_open(srv, "/share.bin", FS_OPEN_CREATE, &from, NULL, NULL) ||
		       fs_truncate(srv, from, 8192), E_OK, "share1 creates /share.bin, 8 KiB");
		ok_err(fmap(MAP_A, 8192, 0, FILE_MAP_SHARED | FILE_MAP_WRITE, "/share.bin", NULL), E_OK,
		       "share1 maps it shared");
		p[100] = 0x5151;
		msg_tag(0, 0, 0);
		ok_err(ipc_call(other), E_OK, "share1 wrote; share2 has read and written");
		ok(p[101] == 0x5252, "share1 sees share2's write (%lx)", p[101]);
	} else {
		ok_err(ipc_receive(other, TIMEOUT_NEVER, &from), E_OK, "share2 waits for share1");
		ok_err(fmap(MAP_A, 8192, 0, FILE_MAP_SHARED | FILE_MAP_WRITE, "/share.bin", NULL), E_OK,
		       "share2 maps it shared");
		ok(p[100] == 0x5151, "share2 sees share1's write (%lx)", p[100]);
		p[101] = 0x5252;
		msg_tag(0, 0, 0);
		ipc_send(other, TIMEOUT_NEVER);
	}
	ok_err(funmap(MAP_A), E_OK, "unmap");
	return tap_done(first ? "filetest share1" : "filetest share2");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "read_host", test_read_host },
		{ "shared_write", test_shared_write },
		{ "private", test_private },
		{ "pressure", test_pressure },
		{ "refused", test_refused },
		{ "fsx", test_fsx },
		{ "manifest", test_manifest },
	};

	fpg = utcb()->pager;
	msg_tag(FILE_LABEL_FS, 0, 0);
	srv = tap_reply_error(ipc_call(fpg)) ? TID_NIL : utcb()->mr[1];
	if (argc > 1 && !strcmp(argv[1], "eof"))
		return client_eof();
	if (argc > 1 && !strncmp(argv[1], "share", 5))
		return client_share(argv[1][5] == '1');
	if (!ok(srv != TID_NIL && fs_share(srv, FSBUF) == E_OK, "the FAT server %lx, its buffer", srv))
		return tap_done("filetest");
	ok_err(fs_mkdir(srv, "/out"), E_OK, "mkdir /out");
	if (argc > 2)
		fsx_seed = number(argv[2]);
	if (argc > 3)
		fsx_ops = number(argv[3]);
	if (argc > 4)
		fsx_maxop = MIN(MAX(number(argv[4]), (word_t)1), (word_t)65536);
	fsx_nomap = argc > 5 && !strcmp(argv[5], "nomap");
	tap_run(cases, ARRAY_SIZE(cases), 1, argv);
	return tap_done("filetest");
}
