/* SPDX-License-Identifier: MIT */
/*
 * The FAT server (fs/fatserv.c) end to end on a real virtio-blk disk that
 * tests/sys/fs_disk.py makes with mkfs.fat and mcopy and checks afterwards.
 *
 * The client reads the files the host put there, lists a directory, runs
 * a seeded random test (write, read, truncate, rename, remove, whole 4 KiB
 * pages at page offsets as a file pager moves them) against a model held
 * here, and sends malformed requests that must be refused. It ends by
 * writing /MODEL.TXT: one line "path size fnv1a64" per file of its model,
 * which the host compares with what mcopy reads, after fsck.fat -n.
 *
 * With the argument "damaged" it runs on an image with three damaged files
 * instead (fs_disk.py make-damaged): each is refused with FS_E_CORRUPT,
 * the rest of the volume still serves. With "nofat" the disk holds no FAT
 * volume: every request is refused with FS_E_IO, and nothing crashes.
 */
#include "tap.h"
#include <fsclient.h>

#define BUF TEST_VA_A
#define NFILES 3
#define FILE_MAX (96u << 10)
#define OPS 400

static word_t srv;
static uint8_t *const buf = (uint8_t *)BUF;
static uint64_t rng;

static struct {
	char path[64];
	word_t h, size;
	bool exists;
	uint8_t data[FILE_MAX];
} model[NFILES];

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint8_t host_byte(word_t i)
{
	return (uint8_t)(i * 7 + (i >> 9));
}

static uint64_t fnv(const uint8_t *p, word_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (word_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void test_info_share(void)
{
	struct fs_info info;

	ok_err(fs_info(srv, &info), E_OK, "INFO");
	ok(info.buf_size == FS_BUF_SIZE && (info.fat_type == 16 || info.fat_type == 32 || info.fat_type == 12),
	   "FAT%lu, buffer %lu bytes, %lu of %lu bytes free", info.fat_type, info.buf_size, info.free_bytes,
	   info.total_bytes);
	ok_err(fs_share(srv, BUF), E_OK, "SHARE maps the buffer");
	ok(buf[0] == 0 && buf[FS_BUF_SIZE - 1] == 0, "it starts zeroed");
}

static void test_read_host(void)
{
	word_t h, size, kind, done, bad = 0;
	static const char hello[] = "hello from the host\n";

	ok_err(fs_open(srv, "/hello.txt", 0, &h, &size, &kind), E_OK, "open /hello.txt");
	ok(size == sizeof(hello) - 1 && kind == FS_KIND_FILE, "its size %lu", size);
	memset(buf, 0xee, 4096);
	ok_err(fs_read(srv, h, 0, 4096, 0, &done), E_OK, "read a page of it");
	ok(done == size && !memcmp(buf, hello, size), "the host's text");
	for (word_t i = size; i < 4096; i++)
		bad += buf[i] != 0;
	ok(bad == 0, "the rest of the page reads as zeros");
	ok_err(fs_close(srv, h), E_OK, "close");
	ok_err(fs_open(srv, "/data/A Long Name.bin", 0, &h, &size, NULL), E_OK, "open a long name");
	ok(size == 100000, "100000 bytes");
	for (word_t off = 0; off < size; off += FS_IO_MAX) {
		ok_err(fs_read(srv, h, off, FS_IO_MAX, 4096, &done), E_OK, "read 64 KiB");
		for (word_t i = 0; i < done; i++)
			bad += buf[4096 + i] != host_byte(off + i);
	}
	ok(bad == 0, "every byte the host's");
	ok_err(fs_close(srv, h), E_OK, "close");
}

static void test_readdir(void)
{
	struct fs_dirent *d = (struct fs_dirent *)buf;
	word_t h, cookie = 0, count, total = 0;
	bool seen_long = false, seen_sub = false;

	ok_err(fs_open(srv, "/data", FS_OPEN_DIR, &h, NULL, NULL), E_OK, "open /data");
	do {
		ok_err(fs_readdir(srv, h, &cookie, 0, 2 * sizeof(*d), &count), E_OK, "READDIR two at a time");
		for (word_t i = 0; i < count; i++) {
			seen_long |= !strcmp(d[i].name, "A Long Name.bin") && d[i].size == 100000;
			seen_sub |= !strcmp(d[i].name, "sub") && d[i].kind == FS_KIND_DIR;
		}
		total += count;
	} while (cookie != FS_DIR_END && total < 100);
	ok(seen_long && seen_sub && total == 2, "%lu entries, the long name and the subdirectory among them",
	   total);
	cookie = 0;
	ok_err(fs_readdir(srv, h, &cookie, 0, sizeof(*d) - 1, &count), E_BAD_ARGUMENT, "room for no record");
	ok_err(fs_readdir(srv, h, &cookie, 4, sizeof(*d), &count), E_BAD_ARGUMENT, "an unaligned record");
	ok_err(fs_close(srv, h), E_OK, "close");
}

static word_t model_open(unsigned i)
{
	word_t err = fs_open(srv, model[i].path, FS_OPEN_CREATE, &model[i].h, NULL, NULL);

	model[i].exists = !err;
	return err;
}

/* One random step; false (and a "not ok") if the server disagrees with the model. */
static bool step(unsigned s)
{
	unsigned i = (unsigned)(rnd() % NFILES), op = (unsigned)(rnd() % 100);
	word_t off = rnd() % FILE_MAX, len = 1 + rnd() % (16u << 10), done, size, err = 0;
	typeof(model[0]) *m = &model[i];

	if (op < 20) {                                  /* a whole page, as a file pager */
		off &= ~(word_t)4095;
		len = 4096;
	}
	len = MIN(len, FILE_MAX - off);
	if (!m->exists && (err = model_open(i)))
		return ok(false, "step %u: create %s: %lx", s, m->path, err);
	if (op < 50) {
		word_t want = off < m->size ? MIN(len, m->size - off) : 0;
		if (!(err = fs_read(srv, m->h, off, len, 0, &done)) &&
		    (done != want || memcmp(buf, m->data + off, want) != 0))
			return ok(false, "step %u: read %lu@%lu: %lu bytes, want %lu", s, len, off, done, want);
	} else if (op < 85) {
		for (word_t k = 0; k < len; k++)
			m->data[off + k] = buf[k] = (uint8_t)(rnd() >> 32);
		if (off > m->size)
			memset(m->data + m->size, 0, off - m->size);
		err = fs_write(srv, m->h, off, len, 0, &size);
		m->size = MAX(m->size, off + len);
		if (!err && size != m->size)
			return ok(false, "step %u: size %lu after a write, want %lu", s, size, m->size);
	} else if (op < 93) {
		if (off > m->size)
			memset(m->data + m->size, 0, off - m->size);
		err = fs_truncate(srv, m->h, off);
		m->size = off;
	} else if (op < 97) {
		char to[64];
		fmt_snprintf(to, sizeof(to), "/out/model file %u.%u", i, s);
		err = fs_rename(srv, m->path, to);
		strlcpy(m->path, to, sizeof(m->path));
	} else {
		fs_close(srv, m->h);
		err = fs_remove(srv, m->path);
		m->exists = false;
		m->size = 0;
	}
	return err ? ok(false, "step %u: op %u on %s: error %lx", s, op, m->path, err) : true;
}

static void test_random(void)
{
	unsigned s;

	ok_err(fs_mkdir(srv, "/out"), E_OK, "mkdir /out");
	for (unsigned i = 0; i < NFILES; i++)
		fmt_snprintf(model[i].path, sizeof(model[i].path), "/out/model file %u", i);
	for (s = 0; s < OPS && step(s); s++)
		;
	ok(s == OPS, "%u random steps agree with the model", s);
	ok_err(fs_sync(srv), E_OK, "SYNC");
}

/* The model's manifest for the host: "path size fnv1a64" per file. */
static void test_manifest(void)
{
	word_t h, n = 0;

	for (unsigned i = 0; i < NFILES; i++)
		if (model[i].exists)
			n += fmt_snprintf((char *)buf + n, FS_BUF_SIZE - n, "%s\t%lu\t%016lx\n", model[i].path,
					  model[i].size, fnv(model[i].data, model[i].size));
	ok_err(fs_open(srv, "/MODEL.TXT", FS_OPEN_CREATE | FS_OPEN_TRUNC, &h, NULL, NULL), E_OK,
	       "create /MODEL.TXT");
	ok_err(fs_write(srv, h, 0, n, 0, NULL), E_OK, "write the manifest");
	ok_err(fs_close(srv, h), E_OK, "close");
	for (unsigned i = 0; i < NFILES; i++)
		if (model[i].exists)
			fs_close(srv, model[i].h);
}

static void test_refused(void)
{
	struct utcb *u = utcb();
	word_t h, h2;

	ok_err(fs_open(srv, "/missing", 0, &h, NULL, NULL), FS_E_NOT_FOUND, "a missing file");
	ok_err(fs_open(srv, "/data", 0, &h, NULL, NULL), FS_E_IS_DIR, "a directory as a file");
	ok_err(fs_open(srv, "/hello.txt/x", FS_OPEN_CREATE, &h, NULL, NULL), FS_E_NOT_DIR, "a file as a directory");
	ok_err(fs_open(srv, "/bad:name", FS_OPEN_CREATE, &h, NULL, NULL), FS_E_NAME, "a bad name");
	ok_err(fs_open(srv, "/hello.txt", 0x100, &h, NULL, NULL), E_BAD_ARGUMENT, "unknown flags");
	ok_err(fs_rmdir(srv, "/data"), FS_E_NOT_EMPTY, "rmdir of a full directory");
	ok_err(fs_open(srv, "/hello.txt", 0, &h, NULL, NULL), E_OK, "open");
	ok_err(fs_read(srv, h, 0, FS_IO_MAX + 1, 0, NULL), E_BAD_ARGUMENT, "a read over FS_IO_MAX");
	ok_err(fs_read(srv, h, 0, 4096, FS_BUF_SIZE - 4095, NULL), E_BAD_ARGUMENT, "a read past the buffer");
	ok_err(fs_read(srv, h, 0, 1, ~(word_t)0, NULL), E_BAD_ARGUMENT, "buffer offset 2^64 - 1");
	ok_err(fs_write(srv, h, 0xffffffffull, 1, 0, NULL), FS_E_TOO_BIG, "a write past 4 GiB");
	ok_err(fs_read(srv, h + 1, 0, 1, 0, NULL), FS_E_BAD_HANDLE, "a handle never given");
	ok_err(fs_read(srv, h ^ 0x100, 0, 1, 0, NULL), FS_E_BAD_HANDLE, "a handle of another generation");
	ok_err(fs_remove(srv, "/hello.txt"), FS_E_BUSY, "remove an open file");
	h2 = 0;
	ok_err(fs_readdir(srv, h, &h2, 0, 4096, &h2), FS_E_NOT_DIR, "READDIR of a file");
	ok_err(fs_close(srv, h), E_OK, "close");
	ok_err(fs_close(srv, h), FS_E_BAD_HANDLE, "close again");
	ok_err(fs_open(srv, "/hello.txt", 0, &h2, NULL, NULL), E_OK, "open again");
	ok_err(fs_size(srv, h, &h, NULL), FS_E_BAD_HANDLE, "the old handle stays dead");
	ok_err(fs_close(srv, h2), E_OK, "close");
	msg_tag(FS_LABEL_OPEN, 2, 0);                   /* a path longer than the message */
	u->mr[1] = 0;
	u->mr[2] = 40;
	ok_err(ipc_call(srv) ? ~0ul : tag_label(u->mr[0]) ? u->mr[1] : 0, E_BAD_ARGUMENT, "a path past the message");
	msg_tag(FS_LABEL_OPEN, 3, 0);                   /* a path over FS_PATH_MAX */
	u->mr[2] = FS_PATH_MAX + 1;
	ok_err(ipc_call(srv) ? ~0ul : tag_label(u->mr[0]) ? u->mr[1] : 0, E_BAD_ARGUMENT, "a path over 240 bytes");
	msg_tag(FS_LABEL_SYNC + 0x10, 0, 0);
	ok_err(ipc_call(srv) ? ~0ul : tag_label(u->mr[0]) ? u->mr[1] : 0, E_BAD_ARGUMENT, "an unknown label");
}

static void test_damaged(void)
{
	static const char *const bad[] = { "/CYCLE.BIN", "/PASTEND.BIN", "/OUTRANGE.BIN" };
	static const char text[] = "written beside the damage\n";   /* as tests/sys/fs_disk.py */
	word_t h, done;

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		ok_err(fs_open(srv, bad[i], 0, &h, NULL, NULL), FS_E_CORRUPT, bad[i]);
		ok_err(fs_remove(srv, bad[i]), FS_E_CORRUPT, "and its removal");
		ok_err(fs_rename(srv, bad[i], "/renamed"), FS_E_CORRUPT, "and its renaming");
	}
	ok_err(fs_open(srv, "/NEW.TXT", FS_OPEN_CREATE, &h, NULL, NULL), E_OK, "create a file beside them");
	memcpy(buf, text, sizeof(text) - 1);
	ok_err(fs_write(srv, h, 0, sizeof(text) - 1, 0, NULL), E_OK, "write it");
	ok_err(fs_read(srv, h, 0, 4096, 8192, &done), E_OK, "read it back");
	ok(done == sizeof(text) - 1 && !memcmp(buf + 8192, text, done), "the same text");
	ok_err(fs_close(srv, h), E_OK, "close");
	ok_err(fs_sync(srv), E_OK, "SYNC");
}

static void test_nofat(void)
{
	struct fs_info info;
	word_t h;

	ok_err(fs_info(srv, &info), FS_E_IO, "INFO without a FAT volume");
	ok_err(fs_share(srv, BUF), FS_E_IO, "SHARE");
	ok_err(fs_open(srv, "/hello.txt", 0, &h, NULL, NULL), FS_E_IO, "OPEN");
	ok_err(fs_sync(srv), FS_E_IO, "SYNC");
}

int main(int argc, char **argv)
{
	static const struct tap_case model_cases[] = {
		{ "info_share", test_info_share },
		{ "read_host", test_read_host },
		{ "readdir", test_readdir },
		{ "random", test_random },
		{ "manifest", test_manifest },
		{ "refused", test_refused },
	};
	static const struct tap_case damaged_cases[] = {
		{ "info_share", test_info_share },
		{ "read_host", test_read_host },
		{ "damaged", test_damaged },
	};
	static const struct tap_case nofat_cases[] = {
		{ "nofat", test_nofat },
	};
	const char *mode = argc > 1 ? argv[1] : "model";

	srv = utcb()->pager;
	rng = 1;
	if (!strcmp(mode, "damaged"))
		tap_run(damaged_cases, ARRAY_SIZE(damaged_cases), 1, argv);
	else if (!strcmp(mode, "nofat"))
		tap_run(nofat_cases, ARRAY_SIZE(nofat_cases), 1, argv);
	else
		tap_run(model_cases, ARRAY_SIZE(model_cases), 1, argv);
	return tap_done("fstest");
}
