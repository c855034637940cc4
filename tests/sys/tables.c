/* SPDX-License-Identifier: MIT */
/*
 * One client must not deny the others a server's table (docs/security.md,
 * "Tables one client could fill"). Each server bounds what one client
 * holds; a hog takes all it may, a victim beside it must still be served
 * and get its data right, and once the hog has ended its entries are back.
 *
 * The hog tells the victim it is full by renaming /HOG.TMP to /HOG.FUL
 * (needing no entry of the table it fills); the victim tells the hog it is
 * done by making the directory /VIC.DON, which the hog removes before it
 * ends.
 *
 * "fshog", "fsvictim" (fs/fatserv in slot 1; the hog its pager client in
 * slot 2, the victim a caller paged by init, as the file pager's clients
 * are): the hog opens until refused (FS_E_LIMIT at FS_OPEN_PER_CALLER;
 * the old server let it fill all 64 entries); the victim opens and reads
 * a file of the host, and after the hog's end gets its own full share.
 *
 * "filehog", "filevictim" (pagers/file in slot 2, hog in 3, victim in
 * 4): the hog maps until refused (FILE_E_LIMIT at FILE_MAPS_PER_CLIENT;
 * the old pager let it fill all 32 mappings); the victim maps a file of
 * the host and reads every byte, and after the hog's end gets its share.
 *
 * "filescale" (four clients of pagers/file at once, slots 3..6): each
 * makes 8 files and maps them all; together 32 files and 32 mappings at
 * once (the old pager had 16 files).
 *
 * "blkhog", "blkvictim" (drivers/blk in slot 0, its clients in 1 and 2):
 * for 1.5 s the hog sends IO calls of 256 KiB reads without waiting for
 * their replies, 16 at a time, and between them calls (BLK_E_LIMIT while
 * one is in flight); the victim reads sector 0 every 2 ms: never refused
 * (the old driver's table of 16 calls was full: about 1 read in 40 got
 * BLK_E_BUSY), always the boot sector. The driver then says it had at
 * most 2 calls in flight at once (the old one: 16).
 */
#include "tap.h"
#include <pagoda/blk.h>
#include <pagoda/file.h>
#include <pagoda/fs.h>
#include <layout.h>
#include <fsclient.h>

#define WIN TEST_VA_A                          /* the FAT server's or driver's buffer */
#define MAPS_VA 0x200000000000ull              /* file mappings, 64 KiB apart */
#define WAIT_TICKS 20000                       /* ms a task waits for the other */

/* Has the task in boot.cfg slot `slot` ended? */
static bool task_gone(unsigned slot)
{
	word_t err = sys_exchange_registers(tap_task_tid(slot), 0, NULL, NULL, NULL, NULL, NULL);

	return err == E_BAD_THREAD || err == E_STALE_THREAD;
}

static bool wait_gone(unsigned slot)
{
	word_t t0 = libmap_kip->ticks;

	while (!task_gone(slot) && libmap_kip->ticks - t0 < WAIT_TICKS)
		tap_sleep(10000);
	return task_gone(slot);
}

/* ---- the hog/victim handshake through the FAT server ---- */

static void hog_prepare(word_t srv)
{
	word_t h;

	fs_remove(srv, "/HOG.FUL");
	if (fs_open(srv, "/HOG.TMP", FS_OPEN_CREATE, &h, NULL, NULL) == E_OK)
		fs_close(srv, h);
}

/* Say we are full, wait until the victim is done. */
static void hog_full_wait(word_t srv, const char *who)
{
	word_t t0 = libmap_kip->ticks;

	ok_err(fs_rename(srv, "/HOG.TMP", "/HOG.FUL"), E_OK, "hog: says it is full");
	while (fs_rmdir(srv, "/VIC.DON") != E_OK && libmap_kip->ticks - t0 < WAIT_TICKS)
		tap_sleep(10000);
	printf("# %s: the victim is done; ending with everything held\n", who);
}

/* Wait until the hog is full (the server may refuse the open that looks:
 * it is the hog's full table, which the victim then meets itself). */
static void victim_wait_hog(word_t srv)
{
	word_t t0 = libmap_kip->ticks, h, err;

	while ((err = fs_open(srv, "/HOG.FUL", 0, &h, NULL, NULL)) == FS_E_NOT_FOUND &&
	       libmap_kip->ticks - t0 < WAIT_TICKS)
		tap_sleep(10000);
	if (err == E_OK)
		fs_close(srv, h);
	ok(err != FS_E_NOT_FOUND, "victim: the hog is full (%lu)", err);
}

static void victim_done(word_t srv, unsigned hog_slot)
{
	ok_err(fs_mkdir(srv, "/VIC.DON"), E_OK, "victim: says it is done");
	ok(wait_gone(hog_slot), "victim: the hog has ended");
}

/* /data/A Long Name.bin of tests/sys/fs_disk.py: byte i = (7i + i/512) mod 256. */
static bool long_bytes_right(const uint8_t *p, word_t from, word_t n)
{
	for (word_t i = from; i < from + n; i++)
		if (p[i - from] != (uint8_t)(i * 7 + (i >> 9)))
			return false;
	return true;
}

/* ---- the FAT server ---- */

static unsigned fs_open_all(word_t srv, word_t *handles, unsigned max, word_t *err)
{
	unsigned n = 0;

	while (n < max && (*err = fs_open(srv, "/", FS_OPEN_DIR, &handles[n], NULL, NULL)) == E_OK)
		n++;
	return n;
}

static void fs_close_all(word_t srv, const word_t *handles, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fs_close(srv, handles[i]);
}

static void test_fshog(void)
{
	static word_t h[1000];
	word_t srv = utcb()->pager, err = E_OK;
	unsigned n;

	hog_prepare(srv);
	n = fs_open_all(srv, h, ARRAY_SIZE(h), &err);
	ok_err(err, FS_E_LIMIT, "fshog: opens until refused at its share");
	ok(n == FS_OPEN_PER_CALLER, "fshog: %u files open (its share: %u)", n, FS_OPEN_PER_CALLER);
	hog_full_wait(srv, "fshog");
}

static void test_fsvictim(void)
{
	static word_t h[1000];
	word_t srv = tap_task_tid(1), f, size, done = 0, err = E_OK;
	unsigned n;

	victim_wait_hog(srv);
	ok_err(fs_share(srv, WIN), E_OK, "fsvictim: SHARE");
	ok_err(fs_open(srv, "/data/A Long Name.bin", 0, &f, &size, NULL), E_OK,
	       "fsvictim: opens a file while the hog holds its share");
	ok_err(fs_read(srv, f, 4096, 65536, 0, &done), E_OK, "fsvictim: reads 64 KiB of it");
	ok(done == 65536 && long_bytes_right((uint8_t *)WIN, 4096, 65536),
	   "fsvictim: the bytes are the host's");
	fs_close(srv, f);
	victim_done(srv, 2);
	n = fs_open_all(srv, h, ARRAY_SIZE(h), &err);
	ok(n == FS_OPEN_PER_CALLER && err == FS_E_LIMIT,
	   "fsvictim: after the hog's end, its own full share (%u opens, then %lu)", n, err);
	fs_close_all(srv, h, n);
}

/* ---- the file pager ---- */

static word_t file_unmap(word_t va)
{
	msg_tag(FILE_LABEL_UNMAP, 1, 0);
	utcb()->mr[1] = va;
	msg_accept(FPAGE_NIL);
	return tap_reply_error(ipc_call(utcb()->pager));
}

static word_t file_server(void)
{
	msg_tag(FILE_LABEL_FS, 0, 0);
	msg_accept(FPAGE_NIL);
	ipc_call(utcb()->pager);
	return utcb()->mr[1];
}

static word_t map_va(unsigned i)
{
	return MAPS_VA + (word_t)i * 0x10000;
}

/* Map `path` (one page, shared, read-only) at map_va(0), (1).. until
 * refused or `max`; how many. */
static unsigned file_map_all(const char *path, unsigned max, word_t *err)
{
	unsigned n = 0;

	while (n < max &&
	       (*err = tap_file_map(map_va(n), 4096, FILE_MAP_SHARED, path, TIMEOUT_NEVER)) == E_OK)
		n++;
	return n;
}

static void file_unmap_all(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		file_unmap(map_va(i));
}

static void test_filehog(void)
{
	word_t srv = file_server(), err = E_OK;
	unsigned n;

	hog_prepare(srv);
	n = file_map_all("/hello.txt", 1000, &err);
	ok_err(err, FILE_E_LIMIT, "filehog: maps until refused at its share");
	ok(n == FILE_MAPS_PER_CLIENT, "filehog: %u mappings (its share: %u)", n,
	   FILE_MAPS_PER_CLIENT);
	ok(n && memcmp((void *)map_va(n - 1), "hello from the host\n", 20) == 0,
	   "filehog: its mappings read the file");
	hog_full_wait(srv, "filehog");
}

static void test_filevictim(void)
{
	word_t srv = file_server(), err = E_OK;
	unsigned n;

	victim_wait_hog(srv);
	ok_err(tap_file_map(map_va(0), 25 * 4096, FILE_MAP_SHARED, "/data/A Long Name.bin",
			    TIMEOUT_NEVER),
	       E_OK, "filevictim: maps a file while the hog holds its share");
	ok(long_bytes_right((uint8_t *)map_va(0), 0, 100000),
	   "filevictim: all 100000 bytes are the host's");
	ok_err(file_unmap(map_va(0)), E_OK, "filevictim: unmaps it");
	victim_done(srv, 3);
	n = file_map_all("/hello.txt", 1000, &err);
	ok(n == FILE_MAPS_PER_CLIENT && err == FILE_E_LIMIT,
	   "filevictim: after the hog's end, its own full share (%u mappings, then %lx)", n, err);
	file_unmap_all(n);
}

#define SCALE_TASKS 4
#define SCALE_FILES 8

static void scale_name(char *buf, const char *fmt, unsigned slot, unsigned i)
{
	fmt_snprintf(buf, 32, fmt, slot, i);
}

/* Make file i of ours: one page of the byte slot * 16 + i. */
static word_t scale_make(word_t srv, unsigned slot, unsigned i)
{
	char name[32];
	word_t h, err;

	scale_name(name, "/S%u_%u.DAT", slot, i);
	if ((err = fs_open(srv, name, FS_OPEN_CREATE | FS_OPEN_TRUNC, &h, NULL, NULL)))
		return err;
	memset((void *)WIN, (int)(slot * 16 + i), 4096);
	err = fs_write(srv, h, 0, 4096, 0, NULL);
	fs_close(srv, h);
	return err;
}

/* Wait until every scale task has made its directory /M<slot>. */
static bool scale_barrier(word_t srv)
{
	word_t t0 = libmap_kip->ticks, h;
	unsigned seen = 0;
	char name[32];

	while (seen < SCALE_TASKS && libmap_kip->ticks - t0 < WAIT_TICKS) {
		seen = 0;
		for (unsigned s = 3; s < 3 + SCALE_TASKS; s++) {
			scale_name(name, "/M%u", s, 0);
			if (fs_open(srv, name, FS_OPEN_DIR, &h, NULL, NULL) == E_OK)
				seen++, fs_close(srv, h);
		}
		tap_sleep(10000);
	}
	return seen == SCALE_TASKS;
}

static bool scale_pages_right(unsigned slot)
{
	for (unsigned i = 0; i < SCALE_FILES; i++)
		for (unsigned b = 0; b < 4096; b += 512)
			if (((volatile uint8_t *)map_va(i))[b] != (uint8_t)(slot * 16 + i))
				return false;
	return true;
}

static void test_filescale(void)
{
	word_t srv = file_server(), err = E_OK;
	unsigned slot = tap_slot(), n = 0;
	char name[32];

	ok_err(fs_share(srv, WIN), E_OK, "filescale: SHARE");
	for (unsigned i = 0; i < SCALE_FILES && !err; i++)
		err = scale_make(srv, slot, i);
	ok_err(err, E_OK, "filescale: made its 8 files");
	for (err = E_OK; n < SCALE_FILES && !err; n += !err) {
		scale_name(name, "/S%u_%u.DAT", slot, n);
		err = tap_file_map(map_va(n), 4096, FILE_MAP_SHARED, name, TIMEOUT_NEVER);
	}
	ok_err(err, E_OK, "filescale: mapped all 8 of them");
	ok(scale_pages_right(slot), "filescale: each mapping reads its file");
	scale_name(name, "/M%u", slot, 0);
	ok_err(fs_mkdir(srv, name), E_OK, "filescale: says it has mapped");
	ok(scale_barrier(srv), "filescale: all %u clients hold their %u mappings at once",
	   SCALE_TASKS, SCALE_FILES);
	ok(scale_pages_right(slot), "filescale: each mapping still reads its file");
	file_unmap_all(n);
}

/* ---- the block driver ---- */

static word_t blk_share(word_t drv)
{
	word_t err;

	msg_tag(BLK_LABEL_SHARE, 0, 0);
	msg_accept(fpage_make(WIN, BLK_BUF_LOG2, FPAGE_RW));
	err = tap_reply_error(ipc_call(drv));
	msg_accept(FPAGE_NIL);
	return err;
}

/* An IO message of n reads of nsec sectors each, all into offset 0. */
static void blk_reads(unsigned n, word_t nsec)
{
	struct utcb *u = utcb();

	msg_tag(BLK_LABEL_IO, 1 + 3 * n, 0);
	u->mr[1] = n;
	for (unsigned i = 0; i < n; i++) {
		u->mr[BLK_IO_MR_OP(i)] = blk_req(BLK_OP_READ, nsec);
		u->mr[BLK_IO_MR_OFFSET(i)] = 0;
		u->mr[BLK_IO_MR_SECTOR(i)] = i * nsec;
	}
	msg_accept(FPAGE_NIL);
}

static void test_blkhog(void)
{
	word_t drv = utcb()->pager, t0, err, sent = 0, limited = 0;

	ok_err(blk_share(drv), E_OK, "blkhog: SHARE");
	t0 = libmap_kip->ticks;
	while (libmap_kip->ticks - t0 < 1500) {
		for (unsigned k = 0; k < 16; k++, sent++) {
			blk_reads(1, 512);                          /* 256 KiB */
			ipc_send(drv, TIMEOUT_NEVER);
		}
		blk_reads(1, 1);
		err = tap_reply_error(ipc_call(drv));
		limited += err == BLK_E_LIMIT;
	}
	printf("# blkhog: %lu calls sent without waiting, %lu calls refused at its share\n", sent,
	       limited);
	ok(limited > 0, "blkhog: refused at its share (BLK_E_LIMIT) while a call is in flight");
}

static void test_blkvictim(void)
{
	word_t drv = utcb()->pager, t0, n = 0, refused = 0, wrong = 0, err;
	volatile uint8_t *buf = (volatile uint8_t *)WIN;

	ok_err(blk_share(drv), E_OK, "blkvictim: SHARE");
	t0 = libmap_kip->ticks;
	while (libmap_kip->ticks - t0 < 1500) {
		buf[510] = buf[511] = 0;
		blk_reads(1, 1);
		err = tap_reply_error(ipc_call(drv));
		if (err || utcb()->mr[1] != E_OK)
			refused++;
		else if (buf[510] != 0x55 || buf[511] != 0xaa ||
			 memcmp((const void *)(buf + 54), "FAT16", 5) != 0)
			wrong++;
		n++;
		tap_sleep(2000);                            /* not just when our own call ends */
	}
	ok(n > 0 && refused == 0, "blkvictim: %lu of %lu reads refused beside the hog", refused, n);
	ok(wrong == 0, "blkvictim: every read gave the boot sector (%lu did not)", wrong);
	ok(wait_gone(1), "blkvictim: the hog has ended");
	blk_reads(BLK_IO_MAX, 1);
	ok_err(tap_reply_error(ipc_call(drv)), E_OK, "blkvictim: reads after the hog's end");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "fshog", test_fshog },         { "fsvictim", test_fsvictim },
		{ "filehog", test_filehog },     { "filevictim", test_filevictim },
		{ "filescale", test_filescale }, { "blkhog", test_blkhog },
		{ "blkvictim", test_blkvictim },
	};

	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("tables");
}
