/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the FAT library (fs/), built for the host over image
 * files that mkfs.fat and mformat make at test time.
 *
 * The block device is the image file (pread/pwrite), with counters and a
 * way to make requests fail. Contents go in with mcopy and come out with
 * mcopy; after the library's writes fsck.fat -n must find the image clean
 * and every file must equal what a model says. fat_check runs after every
 * step. The random test (fsx style) runs read, write, truncate, extend,
 * rename, remove and re-create against a model; FSX_SEED replays a seed,
 * FSX_OPS, FSX_MAXOP and FSX_FILELEN set its scale (make fsx-long).
 * Each test is its own TCase: CK_RUN_CASE=name runs one alone.
 */
#include <check.h>
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pagoda/error.h>
#include <fat.h>

#define must(c) do { if (!(c)) ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c); } while (0)
#define must_ok(e) do { int e_ = (e); if (e_) ck_abort_msg("%s:%d: %s = %d", __FILE__, __LINE__, #e, e_); } while (0)
#define must_err(e, want) do { int e_ = (e); if (e_ != (want)) \
	ck_abort_msg("%s:%d: %s = %d, want %d", __FILE__, __LINE__, #e, e_, (want)); } while (0)

/* ---- the image and its device ---- */

static struct {
	char dir[64], path[96];
	int fd;
	long fail_after;               /* device requests before every one fails; < 0: never */
	uint64_t reads, writes;
} img;
static struct bcache_dev dev;
static struct fat fs;
static uint8_t cache_mem[256 << 10];

static bool dev_fails(void)
{
	return img.fail_after >= 0 && img.fail_after-- == 0 ? (img.fail_after = 0, true)
	       : img.fail_after == 0;
}

static int dev_read(void *ctx, uint64_t s, uint32_t n, void *buf)
{
	(void)ctx;
	img.reads++;
	if (dev_fails() || s + n > dev.sectors)
		return FS_E_IO;
	return pread(img.fd, buf, (size_t)n * 512, (off_t)s * 512) == (ssize_t)n * 512 ? 0 : FS_E_IO;
}

static int dev_write(void *ctx, uint64_t s, uint32_t n, const void *buf)
{
	(void)ctx;
	img.writes++;
	if (dev_fails() || s + n > dev.sectors)
		return FS_E_IO;
	return pwrite(img.fd, buf, (size_t)n * 512, (off_t)s * 512) == (ssize_t)n * 512 ? 0 : FS_E_IO;
}

static int dev_flush(void *ctx)
{
	(void)ctx;
	return dev_fails() ? FS_E_IO : 0;
}

/* Run a shell command (formatted); its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void setup(void)
{
	snprintf(img.dir, sizeof(img.dir), "/tmp/pagoda-fat-XXXXXX");
	must(mkdtemp(img.dir));
	snprintf(img.path, sizeof(img.path), "%s/disk.img", img.dir);
	img.fd = -1;
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	{       /* mkfs.fat and fsck.fat live in /usr/sbin */
		char path[4096];
		snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
		setenv("PATH", path, 1);
	}
	setenv("LC_ALL", "C.UTF-8", 1);
}

static void teardown(void)
{
	if (img.fd >= 0)
		close(img.fd);
	sh("rm -rf '%s'", img.dir);
}

/* Make the image with a command (%1$s = the image path). */
static void img_make(const char *fmt)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, img.path);
	must_ok(sh("%s >/dev/null 2>&1", cmd));
}

static void img_open(void)
{
	struct stat st;

	if (img.fd >= 0)
		close(img.fd);
	img.fd = open(img.path, O_RDWR);
	must(img.fd >= 0 && fstat(img.fd, &st) == 0);
	img.fail_after = -1;
	dev = (struct bcache_dev){ .read = dev_read, .write = dev_write, .flush = dev_flush,
				   .sectors = (uint64_t)st.st_size / 512, .max_sectors = 128 };
}

static void check_fs(void)
{
	const char *why = "";

	if (!fat_check(&fs, &why))
		ck_abort_msg("fat_check: %s", why);
}

static void mount_with(size_t cache_bytes)
{
	img_open();
	must_ok(fat_mount(&fs, &dev, cache_mem, cache_bytes));
	check_fs();
}

static void mount(void)
{
	mount_with(sizeof(cache_mem));
}

/* fsck.fat's last line ends "U/N clusters": the clusters in use and in
 * all, which must be what the library counts. */
static void fsck_agrees(void)
{
	char path[160], line[512];
	unsigned used = 0, total = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fsck.out", img.dir);
	must((f = fopen(path, "r")) != NULL);
	while (fgets(line, sizeof(line), f)) {
		char *p = NULL;
		for (char *q = line; *q; q++)
			p = *q == ',' ? q : p;
		if (p && sscanf(p, ", %u/%u clusters", &used, &total) == 2)
			break;
	}
	fclose(f);
	if (total != fs.nclu || used != fs.nclu - fs.free)
		ck_abort_msg("fsck.fat counts %u/%u clusters, the library %u/%u", used, total,
			     fs.nclu - fs.free, fs.nclu);
}

/* Sync, then the host's view: fsck.fat -n clean and the free count right. */
static void sync_and_fsck(void)
{
	uint32_t free;

	must_ok(fat_sync(&fs));
	check_fs();
	must_ok(fat_count_free(&fs, &free));
	must(free == fs.free);
	if (sh("fsck.fat -n '%s' >'%s/fsck.out' 2>&1", img.path, img.dir)) {
		sh("cat '%s/fsck.out' >&2", img.dir);
		ck_abort_msg("fsck.fat -n found the image unclean");
	}
	fsck_agrees();
}

/* What mcopy reads from ::path equals data[0..len). */
static void host_has(const char *path, const void *data, size_t len)
{
	char out[160];
	struct stat st;
	uint8_t *buf;
	int fd;

	snprintf(out, sizeof(out), "%s/out.bin", img.dir);
	unlink(out);
	if (sh("mcopy -n -o -i '%s' '::%s' '%s' 2>/dev/null", img.path, path, out))
		ck_abort_msg("mcopy could not read %s", path);
	must((fd = open(out, O_RDONLY)) >= 0 && fstat(fd, &st) == 0);
	if ((size_t)st.st_size != len)
		ck_abort_msg("%s: host reads %ld bytes, model has %zu", path, (long)st.st_size, len);
	buf = malloc(len + 1);
	must(read(fd, buf, len + 1) == (ssize_t)len);
	close(fd);
	if (memcmp(buf, data, len) != 0)
		ck_abort_msg("%s: host reads other bytes than the model", path);
	free(buf);
}

static void host_lacks(const char *path)
{
	must(sh("mtype -i '%s' '::%s' >/dev/null 2>&1", img.path, path) != 0);
}

/* Deterministic contents: byte i of a file with seed s. */
static void pattern(uint8_t *p, size_t n, unsigned s)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + s * 31 + (i >> 9));
}

/* Put a host file with pattern s of n bytes into the image at ::path. */
static void host_put(const char *path, size_t n, unsigned s)
{
	char src[160];
	uint8_t *buf = malloc(n + 1);
	FILE *f;

	snprintf(src, sizeof(src), "%s/in.bin", img.dir);
	pattern(buf, n, s);
	must((f = fopen(src, "wb")) && fwrite(buf, 1, n, f) == n && fclose(f) == 0);
	must_ok(sh("mcopy -o -i '%s' '%s' '::%s'", img.path, src, path));
	free(buf);
}

static struct fat_node *open_ok(const char *path, unsigned flags)
{
	struct fat_node *n = NULL;

	must_ok(fat_open(&fs, path, strlen(path), flags, &n));
	check_fs();
	return n;
}

static int open_err(const char *path, unsigned flags)
{
	struct fat_node *n = NULL;
	int err = fat_open(&fs, path, strlen(path), flags, &n);

	if (!err)
		fat_close(&fs, n);
	check_fs();
	return err;
}

static void write_ok(struct fat_node *n, uint64_t off, const void *p, size_t len)
{
	must_ok(fat_write(&fs, n, off, p, len));
	check_fs();
}

static void read_is(struct fat_node *n, uint64_t off, const uint8_t *want, size_t len)
{
	uint8_t *buf = malloc(len + 1);
	size_t done;

	must_ok(fat_read(&fs, n, off, buf, len, &done));
	must(done == len);
	must(memcmp(buf, want, len) == 0);
	free(buf);
}

/* ---- the FAT types and images of both tools ---- */

static const struct {
	const char *make;
	unsigned type;
} images[] = {
	{ "mkfs.fat -C -F 12 -n FAT12 %s 8192", 12 },
	{ "mkfs.fat -C -F 16 %s 32768", 16 },
	{ "mkfs.fat -C -F 32 -s 1 %s 65536", 32 },
	{ "truncate -s 8M %1$s && mformat -i %1$s ::", 12 },
	{ "truncate -s 32M %1$s && mformat -i %1$s ::", 16 },
	{ "truncate -s 64M %1$s && mformat -F -i %1$s ::", 32 },
	{ "mkfs.fat -C -F 32 %s 1048576", 32 },
	{ "truncate -s 1G %1$s && mformat -F -i %1$s ::", 32 },
};
#define NIMAGES (sizeof(images) / sizeof(images[0]))

/* Every type and size mounts, takes a directory and a file, and stays clean. */
START_TEST(mount_every_type)
{
	static uint8_t data[70000];

	pattern(data, sizeof(data), 4);
	for (unsigned i = 0; i < NIMAGES; i++) {
		unlink(img.path);
		img_make(images[i].make);
		mount();
		if (fs.type != images[i].type)
			ck_abort_msg("%s: type %u, want %u", images[i].make, fs.type, images[i].type);
		must_ok(fat_mkdir(&fs, "/New Directory", 14));
		struct fat_node *n = open_ok("/New Directory/some data.bin", FS_OPEN_CREATE);
		write_ok(n, 0, data, sizeof(data));
		fat_close(&fs, n);
		sync_and_fsck();
		host_has("/New Directory/some data.bin", data, sizeof(data));
	}
}
END_TEST

/* Files that mcopy put in are read back byte for byte, and listed. */
START_TEST(read_what_mcopy_wrote)
{
	static const struct { const char *path; size_t len; } files[] = {
		{ "/hello.txt", 13 }, { "/UPPER.TXT", 4000 }, { "/A Long File Name With Spaces.data", 100000 },
		{ "/sub/deeper/x.bin", 50000 }, { "/sub/empty", 0 }, { "/sub/mixed.Case.Name.txt", 1 },
	};
	uint8_t *want = malloc(100000);

	for (unsigned t = 0; t < 3; t++) {
		unlink(img.path);
		img_make(images[t].make);
		must_ok(sh("mmd -i '%s' ::/sub ::/sub/deeper", img.path));
		for (unsigned i = 0; i < 6; i++)
			host_put(files[i].path, files[i].len, i);
		mount();
		for (unsigned i = 0; i < 6; i++) {
			struct fat_node *n = open_ok(files[i].path, 0);
			must(n->size == files[i].len);
			pattern(want, files[i].len, i);
			read_is(n, 0, want, files[i].len);
			read_is(n, files[i].len / 3, want + files[i].len / 3, files[i].len - files[i].len / 3);
			fat_close(&fs, n);
		}
		struct fat_node *d = open_ok("/sub", FS_OPEN_DIR);
		struct fat_dirent de;
		uint32_t cookie = 0;
		unsigned seen = 0;
		while (fat_readdir(&fs, d, &cookie, &de) == 0)
			seen |= !strcmp(de.name, "deeper") ? 1 : !strcmp(de.name, "empty") ? 2
				: !strcmp(de.name, "mixed.Case.Name.txt") ? 4 : 8;
		must(seen == 7);
		fat_close(&fs, d);
		/* Case does not matter; the short name finds a long-named file. */
		fat_close(&fs, open_ok("/SUB/DEEPER/X.BIN", 0));
		fat_close(&fs, open_ok("/alongf~1.dat", 0));
	}
	free(want);
}
END_TEST

/* The library's files, directories, renames and removals, as the host sees them. */
START_TEST(host_reads_what_we_wrote)
{
	uint8_t *a = malloc(300000), *b = malloc(70000);

	pattern(a, 300000, 1);
	pattern(b, 70000, 2);
	for (unsigned t = 0; t < 6; t++) {
		unlink(img.path);
		img_make(images[t].make);
		mount();
		must_ok(fat_mkdir(&fs, "/docs", 5));
		must_ok(fat_mkdir(&fs, "/docs/a rather long directory name", 34));
		struct fat_node *n = open_ok("/docs/a rather long directory name/Big File.bin", FS_OPEN_CREATE);
		write_ok(n, 0, a, 300000);
		fat_close(&fs, n);
		n = open_ok("/small.txt", FS_OPEN_CREATE | FS_OPEN_EXCL);
		write_ok(n, 5000, b, 70000);            /* a gap of zeros, then data */
		must_ok(fat_truncate(&fs, n, 60000));    /* shrink into the data */
		must_ok(fat_truncate(&fs, n, 80000));    /* and extend with zeros again */
		fat_close(&fs, n);
		n = open_ok("/gone.txt", FS_OPEN_CREATE);
		write_ok(n, 0, b, 10);
		fat_close(&fs, n);
		must_ok(fat_remove(&fs, "/gone.txt", 9));
		must_ok(fat_rename(&fs, "/small.txt", 10, "/docs/Moved Name.txt", 20));
		must_ok(fat_mkdir(&fs, "/empty dir", 10));
		must_ok(fat_mkdir(&fs, "/tmpdir", 7));
		must_ok(fat_rmdir(&fs, "/tmpdir", 7));
		must_ok(fat_rename(&fs, "/docs/a rather long directory name", 34, "/empty dir/moved dir", 20));
		sync_and_fsck();
		host_has("/empty dir/moved dir/Big File.bin", a, 300000);
		uint8_t *m = calloc(1, 80000);
		memcpy(m + 5000, b, 55000);
		host_has("/docs/Moved Name.txt", m, 80000);
		free(m);
		host_lacks("/gone.txt");
		host_lacks("/small.txt");
		host_lacks("/tmpdir");
		/* mtools can list and add to what we made */
		must_ok(sh("mdir -i '%s' '::/empty dir/moved dir' >/dev/null", img.path));
		host_put("/docs/from host.txt", 777, 9);
		must_ok(sh("fsck.fat -n '%s' >/dev/null", img.path));
	}
	free(a);
	free(b);
}
END_TEST

START_TEST(short_names_generated)
{
	img_make(images[1].make);
	mount();
	fat_close(&fs, open_ok("/long name.txt", FS_OPEN_CREATE));
	fat_close(&fs, open_ok("/long name2.txt", FS_OPEN_CREATE));
	fat_close(&fs, open_ok("/lower.txt", FS_OPEN_CREATE));
	fat_close(&fs, open_ok("/ünïcødé файл.txt", FS_OPEN_CREATE));
	fat_close(&fs, open_ok("/LONGNA~1.TXT", 0));
	fat_close(&fs, open_ok("/LONGNA~2.TXT", 0));
	fat_close(&fs, open_ok("/LOWER.TXT", 0));
	fat_close(&fs, open_ok("/üNïCøDé файл.TXT", 0));   /* ASCII case only is folded */
	must_err(open_err("/ÜNÏCØDÉ файл.txt", 0), FS_E_NOT_FOUND);
	sync_and_fsck();
	must_ok(sh("mdir -i '%s' :: | grep -q 'LONGNA~2 TXT.*long name2.txt'", img.path));
	must_ok(sh("mdir -i '%s' :: | grep -q 'ünïcødé файл.txt'", img.path));
}
END_TEST

/* Every malformed request gets its error and changes nothing. */
START_TEST(refused_requests)
{
	struct fat_node *n, *d;
	uint8_t x = 1;
	size_t done;
	char longname[300];

	img_make(images[1].make);
	mount();
	must_ok(fat_mkdir(&fs, "/d", 2));
	n = open_ok("/d/f", FS_OPEN_CREATE);
	write_ok(n, 0, &x, 1);
	must_err(open_err("/missing", 0), FS_E_NOT_FOUND);
	must_err(open_err("/missing/f", FS_OPEN_CREATE), FS_E_NOT_FOUND);
	must_err(open_err("/d/f/g", FS_OPEN_CREATE), FS_E_NOT_DIR);
	must_err(open_err("/d", 0), FS_E_IS_DIR);
	must_err(open_err("/", 0), FS_E_IS_DIR);
	must_err(open_err("/d/f", FS_OPEN_DIR), FS_E_NOT_DIR);
	must_err(open_err("/d", FS_OPEN_DIR | FS_OPEN_TRUNC), FS_E_IS_DIR);
	must_err(open_err("/d/f", FS_OPEN_CREATE | FS_OPEN_EXCL), FS_E_EXISTS);
	must_err(open_err("/d/f", 64), E_BAD_ARGUMENT);
	must_err(open_err("/d/../f", FS_OPEN_CREATE), FS_E_NAME);
	must_err(open_err("/d/a:b", FS_OPEN_CREATE), FS_E_NAME);
	must_err(open_err("/d/trailing.", FS_OPEN_CREATE), FS_E_NAME);
	must_err(open_err("/d/bad\xff", FS_OPEN_CREATE), FS_E_NAME);
	memset(longname, 'x', sizeof(longname));
	must_err(fat_open(&fs, longname, 241, FS_OPEN_CREATE, &d), FS_E_NAME);
	must_err(fat_mkdir(&fs, "/d", 2), FS_E_EXISTS);
	must_err(fat_mkdir(&fs, "/d/f", 4), FS_E_EXISTS);
	must_err(fat_rmdir(&fs, "/d", 2), FS_E_NOT_EMPTY);
	must_err(fat_rmdir(&fs, "/d/f", 4), FS_E_NOT_DIR);
	must_err(fat_remove(&fs, "/d", 2), FS_E_IS_DIR);
	must_err(fat_remove(&fs, "/d/f", 4), FS_E_BUSY);      /* open */
	must_err(fat_remove(&fs, "/nothing", 8), FS_E_NOT_FOUND);
	must_err(fat_rename(&fs, "/d", 2, "/d/inside", 9), E_BAD_ARGUMENT);
	must_err(fat_rename(&fs, "/d/f", 4, "/d", 2), FS_E_EXISTS);
	must_err(fat_rename(&fs, "/nothing", 8, "/x", 2), FS_E_NOT_FOUND);
	d = open_ok("/d", FS_OPEN_DIR);
	must_err(fat_read(&fs, d, 0, &x, 1, &done), FS_E_IS_DIR);
	must_err(fat_write(&fs, d, 0, &x, 1), FS_E_IS_DIR);
	must_err(fat_truncate(&fs, d, 0), FS_E_IS_DIR);
	must_err(fat_truncate(&fs, n, FAT_FILE_MAX + 1), FS_E_TOO_BIG);
	must_err(fat_write(&fs, n, FAT_FILE_MAX, &x, 1), FS_E_TOO_BIG);
	must_err(fat_rmdir(&fs, "/d", 2), FS_E_BUSY);
	/* renaming an open file keeps it usable */
	must_ok(fat_rename(&fs, "/d/f", 4, "/renamed while open", 19));
	write_ok(n, 1, &x, 1);
	must(n->size == 2);
	fat_close(&fs, n);
	fat_close(&fs, d);
	must_ok(fat_rmdir(&fs, "/d", 2));
	sync_and_fsck();
	host_has("/renamed while open", "\x01\x01", 2);
}
END_TEST

/* A full disk: the write that does not fit is refused whole. */
START_TEST(full_disk)
{
	static uint8_t chunk[65536];
	struct fat_node *n, *m;
	uint64_t off = 0;
	int err;

	img_make(images[0].make);
	mount();
	pattern(chunk, sizeof(chunk), 3);
	n = open_ok("/filler", FS_OPEN_CREATE);
	while (!(err = fat_write(&fs, n, off, chunk, sizeof(chunk))))
		off += sizeof(chunk);
	must_err(err, FS_E_NO_SPACE);
	must(n->size == off);
	check_fs();
	while (!(err = fat_write(&fs, n, off, chunk, 512)))
		off += 512;
	must(n->size == off && fs.free == 0);
	m = open_ok("/second", FS_OPEN_CREATE);
	must_err(fat_write(&fs, m, 0, chunk, 1), FS_E_NO_SPACE);
	must_err(fat_truncate(&fs, m, 1), FS_E_NO_SPACE);
	must_err(fat_mkdir(&fs, "/dir", 4), FS_E_NO_SPACE);
	must(m->size == 0 && m->first == 0);
	fat_close(&fs, m);
	fat_close(&fs, n);
	sync_and_fsck();
	must_ok(fat_remove(&fs, "/filler", 7));
	must(fs.free == fs.nclu && fs.held_clusters == fs.nclu);
	/* the clusters are held until a sync; an allocation that needs them syncs */
	n = open_ok("/again", FS_OPEN_CREATE);
	write_ok(n, 0, chunk, sizeof(chunk));
	must(fs.held_clusters == 0);
	fat_close(&fs, n);
	sync_and_fsck();
	host_has("/again", chunk, sizeof(chunk));
}
END_TEST

/* Clusters freed since the last sync are not given to another file. */
START_TEST(freed_clusters_held_until_sync)
{
	static uint8_t data[20000];
	struct fat_node *a, *b;
	uint32_t old[64], nold = 0, c;

	img_make(images[1].make);
	mount();
	pattern(data, sizeof(data), 6);
	a = open_ok("/a", FS_OPEN_CREATE);
	write_ok(a, 0, data, sizeof(data));
	for (c = a->first; c && nold < 64;) {
		old[nold++] = c;
		must_ok(fat_next(&fs, c, &c));
	}
	must_ok(fat_sync(&fs));
	must_ok(fat_truncate(&fs, a, 0));
	must(fs.held_clusters == nold);
	fs.hint = old[0];                 /* the search starts right at them */
	b = open_ok("/b", FS_OPEN_CREATE);
	write_ok(b, 0, data, sizeof(data));
	for (c = b->first; c;) {
		for (uint32_t i = 0; i < nold; i++)
			must(c != old[i]);
		must_ok(fat_next(&fs, c, &c));
	}
	must_ok(fat_sync(&fs));
	must(fs.held_clusters == 0 && fs.nheld == 0);
	fs.hint = old[0];                 /* after the sync they may be taken */
	write_ok(a, 0, data, 100);
	must(a->first == old[0]);
	fat_close(&fs, a);
	fat_close(&fs, b);
	sync_and_fsck();
	host_has("/b", data, sizeof(data));
}
END_TEST

/* The FAT12/16 root directory is fixed: filling it is FS_E_NO_SPACE. */
START_TEST(root_directory_full)
{
	char name[16];
	unsigned i;
	int err = 0;

	img_make(images[0].make);   /* 512 root entries */
	mount();
	for (i = 0; i < 600 && !err; i++) {
		struct fat_node *n;
		snprintf(name, sizeof(name), "/F%u.TXT", i);
		if (!(err = fat_open(&fs, name, strlen(name), FS_OPEN_CREATE, &n)))
			fat_close(&fs, n);
	}
	must_err(err, FS_E_NO_SPACE);
	must(i == 512);   /* the volume label takes one slot */
	must_err(fat_mkdir(&fs, "/a long name that needs more slots", 34), FS_E_NO_SPACE);
	sync_and_fsck();
	/* a subdirectory grows past its first cluster */
	must_ok(fat_remove(&fs, "/F0.TXT", 7));
	must_ok(fat_mkdir(&fs, "/SUB", 4));
	for (i = 0; i < 300; i++) {
		struct fat_node *n;
		snprintf(name, sizeof(name), "/SUB/file %u", i);
		n = open_ok(name, FS_OPEN_CREATE);
		fat_close(&fs, n);
	}
	sync_and_fsck();
	must_ok(sh("mdir -i '%s' ::/SUB | grep -q 'file 299'", img.path));
}
END_TEST

/* A free of more extents than the hold list takes: it syncs what was
 * held first, holds FAT_HELD_MAX extents and leaves the rest free. */
START_TEST(hold_list_overflow)
{
	static uint8_t one[2048];
	struct fat_node *a, *b, *c;

	img_make(images[1].make);          /* 2 KiB clusters */
	mount();
	a = open_ok("/a", FS_OPEN_CREATE);
	b = open_ok("/b", FS_OPEN_CREATE);
	c = open_ok("/c", FS_OPEN_CREATE);
	write_ok(c, 0, one, sizeof(one));
	for (unsigned i = 0; i < 300; i++) {   /* a and b take turns: 300 extents each */
		write_ok(a, (uint64_t)i * sizeof(one), one, sizeof(one));
		write_ok(b, (uint64_t)i * sizeof(one), one, sizeof(one));
	}
	fat_close(&fs, a);
	fat_close(&fs, b);
	fat_close(&fs, c);
	must_ok(fat_sync(&fs));
	must_ok(fat_remove(&fs, "/c", 2));
	must(fs.nheld == 1 && fs.held_clusters == 1);
	must_ok(fat_remove(&fs, "/a", 2));
	must(fs.nheld == FAT_HELD_MAX && fs.held_clusters == FAT_HELD_MAX);
	check_fs();
	sync_and_fsck();
	must(fs.nheld == 0);
}
END_TEST

/* ---- damaged images ---- */

/* Make a FAT16 image holding /f.bin (n clusters) and /d with k entries. */
static void damaged_setup(uint32_t nclusters, struct fat_node **out)
{
	uint8_t *buf;

	img_make(images[1].make);
	mount();
	buf = calloc(1, (size_t)nclusters * fs.cbytes);
	struct fat_node *n = open_ok("/f.bin", FS_OPEN_CREATE);
	write_ok(n, 0, buf, (size_t)nclusters * fs.cbytes);
	free(buf);
	*out = n;
}

static void remount(void)
{
	must_ok(fat_sync(&fs));
	mount();
}

static void patch(uint64_t at, const void *p, size_t n)
{
	must(pwrite(img.fd, p, n, (off_t)at) == (ssize_t)n);
}

START_TEST(damaged_cycle_in_chain)
{
	struct fat_node *n;
	uint32_t first, c;

	damaged_setup(3, &n);
	first = n->first;
	must_ok(fat_next(&fs, first, &c));
	must_ok(fat_next(&fs, c, &c));
	fat_close(&fs, n);
	must_ok(fat_set(&fs, c, first));    /* the last cluster points back to the first */
	remount();
	must_err(open_err("/f.bin", 0), FS_E_CORRUPT);
	must_err(fat_remove(&fs, "/f.bin", 6), FS_E_CORRUPT);
	must_err(fat_rename(&fs, "/f.bin", 6, "/g", 2), FS_E_CORRUPT);
	fat_close(&fs, open_ok("/other", FS_OPEN_CREATE));   /* the rest still works */
}
END_TEST

START_TEST(damaged_cluster_out_of_range)
{
	struct fat_node *n;
	uint32_t first;
	uint8_t e[4];

	damaged_setup(3, &n);
	first = n->first;
	uint64_t at = (uint64_t)n->dir_lba * fs.bps + n->dir_off;
	fat_close(&fs, n);
	must_ok(fat_set(&fs, first, fs.nclu + 7));   /* in the chain */
	remount();
	must_err(open_err("/f.bin", 0), FS_E_CORRUPT);
	must_ok(fat_set(&fs, first, 1));             /* a reserved value */
	remount();
	must_err(open_err("/f.bin", 0), FS_E_CORRUPT);
	must_ok(fat_set(&fs, first, 0));             /* a free cluster in the chain */
	remount();
	must_err(open_err("/f.bin", 0), FS_E_CORRUPT);
	e[0] = 0xf0, e[1] = 0xff;                    /* the entry's first cluster */
	patch(at + 26, e, 2);
	mount();
	must_err(open_err("/f.bin", 0), FS_E_CORRUPT);
}
END_TEST

START_TEST(damaged_entry_past_the_end)
{
	struct fat_node *n;
	uint8_t big[4] = { 0, 0, 0x10, 0 };   /* 1 MiB, the chain holds 3 clusters */

	damaged_setup(3, &n);
	uint64_t at = (uint64_t)n->dir_lba * fs.bps + n->dir_off;
	fat_close(&fs, n);
	remount();
	patch(at + 28, big, 4);
	mount();
	must_err(open_err("/f.bin", 0), FS_E_CORRUPT);
	big[2] = 0;
	big[0] = 1;                            /* 1 byte with 3 clusters: chain too long */
	patch(at + 28, big, 4);
	mount();
	must_err(open_err("/f.bin", 0), FS_E_CORRUPT);
}
END_TEST

START_TEST(damaged_directory_cycle)
{
	struct fat_node *n, *d;
	struct fat_dirent de;
	char name[16];
	uint32_t c, cookie = 0;
	int err;

	damaged_setup(1, &n);
	fat_close(&fs, n);
	must_ok(fat_mkdir(&fs, "/D", 2));
	for (unsigned i = 0; i < fs.cbytes / 32 + 4; i++) {   /* two clusters of entries */
		snprintf(name, sizeof(name), "/D/F%u", i);
		fat_close(&fs, open_ok(name, FS_OPEN_CREATE));
	}
	d = open_ok("/D", FS_OPEN_DIR);
	c = d->first;
	fat_close(&fs, d);
	must_ok(fat_set(&fs, c, c));              /* the first cluster loops on itself */
	remount();
	must_err(open_err("/D/missing", 0), FS_E_CORRUPT);
	d = open_ok("/D", FS_OPEN_DIR);
	while (!(err = fat_readdir(&fs, d, &cookie, &de)))
		;
	must_err(err, FS_E_CORRUPT);
	fat_close(&fs, d);
	must_err(open_err("/D/newfile", FS_OPEN_CREATE), FS_E_CORRUPT);
}
END_TEST

START_TEST(damaged_boot_sector)
{
	static const struct { unsigned at; uint8_t v; } breaks[] = {
		{ 510, 0 },      /* no signature */
		{ 0, 0 },        /* no jump */
		{ 11, 100 },     /* 100 bytes per sector */
		{ 13, 3 },       /* 3 sectors per cluster */
		{ 16, 0 },       /* no FAT */
		{ 14, 0 },       /* no reserved sector */
		{ 35, 0x10 },    /* more sectors than the device */
	};
	uint8_t orig;

	img_make(images[1].make);
	img_open();
	for (unsigned i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		must(pread(img.fd, &orig, 1, breaks[i].at) == 1);
		patch(breaks[i].at, &breaks[i].v, 1);
		if (fat_mount(&fs, &dev, cache_mem, sizeof(cache_mem)) != FS_E_CORRUPT)
			ck_abort_msg("boot sector byte %u = %u mounts", breaks[i].at, breaks[i].v);
		patch(breaks[i].at, &orig, 1);
		must_ok(fat_mount(&fs, &dev, cache_mem, sizeof(cache_mem)));
	}
	dev.sectors = 4;
	must_err(fat_mount(&fs, &dev, cache_mem, sizeof(cache_mem)), E_BAD_ARGUMENT);
}
END_TEST

/* A device that fails: an error for the request, no crash, no hang. */
START_TEST(device_errors)
{
	static uint8_t buf[20000];
	struct fat_node *n;
	long k;
	int err;

	img_make(images[1].make);
	for (k = 0; k < 60; k++) {
		mount_with(16 << 10);
		img.fail_after = k;
		err = fat_open(&fs, "/a/b", 4, FS_OPEN_CREATE, &n);
		if (!err || err == FS_E_NOT_FOUND)
			err = fat_mkdir(&fs, "/a", 2);
		if (!err && !(err = fat_open(&fs, "/a/b", 4, FS_OPEN_CREATE, &n))) {
			err = fat_write(&fs, n, 100, buf, sizeof(buf));
			fat_close(&fs, n);
		}
		err = err ? err : fat_sync(&fs);
		must(err == 0 || err == FS_E_IO);
		check_fs();
		sh("rm -f '%s'", img.path);
		img_make(images[1].make);
	}
}
END_TEST

/* The cache keeps to its bound, and a tiny one still works. */
START_TEST(cache_bound)
{
	static uint8_t a[100000];
	struct fat_node *n;

	img_make(images[2].make);
	mount_with(8 * (512 + 64));
	must(fs.bc.n >= 4 && fs.bc.n <= 8);
	pattern(a, sizeof(a), 5);
	for (unsigned i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof(name), "/dir %u", i % 4);
		if (i < 4)
			must_ok(fat_mkdir(&fs, name, strlen(name)));
		snprintf(name, sizeof(name), "/dir %u/file %u", i % 4, i);
		n = open_ok(name, FS_OPEN_CREATE);
		write_ok(n, i * 100, a, sizeof(a) - i * 1000);
		fat_close(&fs, n);
	}
	sync_and_fsck();
	uint8_t *m = calloc(1, sizeof(a) + 2000);
	memcpy(m + 700, a, sizeof(a) - 7000);
	host_has("/dir 3/file 7", m, 700 + sizeof(a) - 7000);
	free(m);
	must_err(fat_mount(&fs, &dev, cache_mem, 3 * (512 + 64)), E_NO_MEMORY);
}
END_TEST

/* ---- the random test against a model ---- */

#define FSX_FILES 6

static struct {
	uint64_t rng;
	size_t filelen, maxop;
	struct {
		char path[64];
		uint8_t *data;
		size_t size;
		struct fat_node *n;    /* NULL: closed */
		bool exists;
	} f[FSX_FILES];
	unsigned renames;
	unsigned long ops[8];
} fsx;

static uint64_t fsx_rand(void)
{
	fsx.rng ^= fsx.rng << 13;
	fsx.rng ^= fsx.rng >> 7;
	fsx.rng ^= fsx.rng << 17;
	return fsx.rng;
}

static unsigned long env_or(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : dflt;
}

static struct fat_node *fsx_node(unsigned i)
{
	if (!fsx.f[i].n)
		fsx.f[i].n = open_ok(fsx.f[i].path, FS_OPEN_CREATE);
	return fsx.f[i].n;
}

static void fsx_op(unsigned long step)
{
	unsigned i = (unsigned)(fsx_rand() % FSX_FILES), op = (unsigned)(fsx_rand() % 100);
	size_t off = fsx_rand() % fsx.filelen, len = 1 + fsx_rand() % fsx.maxop;
	typeof(fsx.f[0]) *f = &fsx.f[i];
	struct fat_node *n;

	if (off + len > fsx.filelen)
		len = fsx.filelen - off;
	if (!f->exists) {
		f->n = open_ok(f->path, FS_OPEN_CREATE | FS_OPEN_EXCL);
		f->exists = true;
		f->size = 0;
	}
	n = fsx_node(i);
	if (op < 35) {                                  /* read */
		size_t want = off < f->size ? (f->size - off < len ? f->size - off : len) : 0, done;
		uint8_t *buf = malloc(len);
		must_ok(fat_read(&fs, n, off, buf, len, &done));
		if (done != want || memcmp(buf, f->data + off, want) != 0)
			ck_abort_msg("fsx step %lu: read %zu@%zu of file %u: %zu bytes or contents wrong",
				     step, len, off, i, done);
		free(buf);
		fsx.ops[0]++;
	} else if (op < 70) {                           /* write (extends) */
		for (size_t k = 0; k < len; k++)
			f->data[off + k] = (uint8_t)(fsx_rand() >> 24 | 1);
		if (off > f->size)
			memset(f->data + f->size, 0, off - f->size);
		write_ok(n, off, f->data + off, len);
		f->size = off + len > f->size ? off + len : f->size;
		fsx.ops[1]++;
	} else if (op < 85) {                           /* truncate: shrink or extend */
		if (off > f->size)
			memset(f->data + f->size, 0, off - f->size);
		must_ok(fat_truncate(&fs, n, off));
		f->size = off;
		fsx.ops[op < 78 ? 2 : 3]++;
	} else if (op < 91) {                           /* rename, maybe to another directory */
		char to[64];
		snprintf(to, sizeof(to), "/%s/fsx file %u.%u", fsx_rand() & 1 ? "dir a" : "Dir B", i,
			 fsx.renames++);
		must_ok(fat_rename(&fs, f->path, strlen(f->path), to, strlen(to)));
		snprintf(f->path, sizeof(f->path), "%s", to);
		fsx.ops[4]++;
	} else if (op < 95) {                           /* remove, re-created at next use */
		fat_close(&fs, n);
		f->n = NULL;
		must_ok(fat_remove(&fs, f->path, strlen(f->path)));
		f->exists = false;
		fsx.ops[5]++;
	} else if (op < 98) {                           /* close and reopen */
		fat_close(&fs, n);
		f->n = NULL;
		must(fsx_node(i)->size == f->size);
		fsx.ops[6]++;
	} else {
		must_ok(fat_sync(&fs));
		fsx.ops[7]++;
	}
	check_fs();
	must(fsx.f[i].exists == false || fsx_node(i)->size == f->size);
}

static void fsx_run(const char *make, unsigned long dflt_ops)
{
	unsigned long nops = env_or("FSX_OPS", dflt_ops), seed = env_or("FSX_SEED", 0x9e3779b9);

	fsx = (typeof(fsx)){ .rng = seed | 1, .filelen = env_or("FSX_FILELEN", 256 << 10),
			     .maxop = env_or("FSX_MAXOP", 16 << 10) };
	img_make(make);
	mount_with(64 << 10);
	must_ok(fat_mkdir(&fs, "/dir a", 6));
	must_ok(fat_mkdir(&fs, "/Dir B", 6));
	for (unsigned i = 0; i < FSX_FILES; i++) {
		snprintf(fsx.f[i].path, sizeof(fsx.f[i].path), "/fsx file %u", i);
		fsx.f[i].data = calloc(1, fsx.filelen);
	}
	for (unsigned long s = 0; s < nops; s++) {
		fsx_op(s);
		if (s % 1000 == 999) {
			uint32_t free;
			must_ok(fat_count_free(&fs, &free));
			must(free == fs.free);
		}
	}
	for (unsigned i = 0; i < FSX_FILES; i++)
		if (fsx.f[i].n)
			fat_close(&fs, fsx.f[i].n);
	sync_and_fsck();
	for (unsigned i = 0; i < FSX_FILES; i++) {
		if (fsx.f[i].exists)
			host_has(fsx.f[i].path, fsx.f[i].data, fsx.f[i].size);
		else
			host_lacks(fsx.f[i].path);
		free(fsx.f[i].data);
	}
	printf("fsx %s: seed %#lx, %lu ops: %lu reads, %lu writes, %lu shrinks, %lu extends, "
	       "%lu renames, %lu removes, %lu reopens, %lu syncs; %lu device reads, %lu writes\n",
	       make, seed, nops, fsx.ops[0], fsx.ops[1], fsx.ops[2], fsx.ops[3], fsx.ops[4],
	       fsx.ops[5], fsx.ops[6], fsx.ops[7], (unsigned long)img.reads, (unsigned long)img.writes);
}

START_TEST(fsx_fat12) { fsx_run(images[3].make, 10000); }
END_TEST
START_TEST(fsx_fat16) { fsx_run(images[1].make, 10000); }
END_TEST
START_TEST(fsx_fat32) { fsx_run(images[5].make, 10000); }
END_TEST

int main(int argc, char **argv)
{
	const struct unit_test tests[] = {
		{ "mount_every_type", mount_every_type, 0 },
		{ "read_what_mcopy_wrote", read_what_mcopy_wrote, 0 },
		{ "host_reads_what_we_wrote", host_reads_what_we_wrote, 0 },
		{ "short_names_generated", short_names_generated, 0 },
		{ "refused_requests", refused_requests, 0 },
		{ "full_disk", full_disk, 0 },
		{ "freed_clusters_held_until_sync", freed_clusters_held_until_sync, 0 },
		{ "hold_list_overflow", hold_list_overflow, 0 },
		{ "root_directory_full", root_directory_full, 0 },
		{ "damaged_cycle_in_chain", damaged_cycle_in_chain, 0 },
		{ "damaged_cluster_out_of_range", damaged_cluster_out_of_range, 0 },
		{ "damaged_entry_past_the_end", damaged_entry_past_the_end, 0 },
		{ "damaged_directory_cycle", damaged_directory_cycle, 0 },
		{ "damaged_boot_sector", damaged_boot_sector, 0 },
		{ "device_errors", device_errors, 0 },
		{ "cache_bound", cache_bound, 0 },
		{ "fsx_fat12", fsx_fat12, 0 },
		{ "fsx_fat16", fsx_fat16, 0 },
		{ "fsx_fat32", fsx_fat32, 0 },
	};

	(void)argc, (void)argv;
	return unit_run(unit_suite("fat", tests, sizeof(tests) / sizeof(tests[0]), setup, teardown, 300));
}
