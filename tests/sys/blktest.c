/* SPDX-License-Identifier: MIT */
/*
 * The block protocol of drivers/blk, end to end on a real virtio-blk disk
 * (tests/sys/blk_disk.py makes the image and checks it afterwards).
 *
 * The image holds a known pattern written by the host (blk_word(HOST, k,
 * j) in word j of sector k). A client reads it back, writes its own
 * pattern in several 64 KiB requests put in flight together (plus a
 * flush), reads that back, and sends malformed calls that must be refused
 * without touching the disk. Two instances run at once ("a" and "b"),
 * each on its own region of the disk, so calls of two clients overlap in
 * the driver. The host then finds the guests' patterns in the image.
 */
#include "tap.h"
#include <pagoda/blk.h>

#define HOST_TAG 0x48ul                      /* must match tests/sys/blk_disk.py */
#define GUEST_TAG 0x47ul
#define WIN1 TEST_VA_A
#define WIN2 TEST_VA_B
#define K64_SECTORS 128

static word_t drv;                           /* the driver: our pager */
static word_t region;                        /* first sector this instance writes */
static volatile word_t *buf = (volatile word_t *)WIN1;

static word_t blk_word(word_t tag, word_t sector, unsigned j)
{
	return tag << 56 | sector << 8 | j;
}

static word_t blk_info(word_t *cap, word_t *max, word_t *bufsize)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(BLK_LABEL_INFO, 0, 0);
	msg_accept(FPAGE_NIL);
	if ((err = tap_reply_error(ipc_call(drv))))
		return err;
	*cap = u->mr[1];
	*max = u->mr[2];
	*bufsize = u->mr[3];
	return tag_u(u->mr[0]) == 3 ? E_OK : E_BAD_ARGUMENT;
}

static word_t blk_share(word_t window_va)
{
	word_t err;

	msg_tag(BLK_LABEL_SHARE, 0, 0);
	msg_accept(fpage_make(window_va, BLK_BUF_LOG2, FPAGE_RW));
	err = tap_reply_error(ipc_call(drv));
	msg_accept(FPAGE_NIL);
	if (!err && tag_t(utcb()->mr[0]) != 2)
		return E_BAD_ARGUMENT;
	return err;
}

struct req {
	word_t op, nsec, off, sector;
};

/* One IO call of n requests with `u` words (normally 1 + 3n); the call's
 * refusal, or E_OK with results[] filled. */
static word_t blk_io_raw(const struct req *r, word_t n, unsigned u_words, word_t *results)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(BLK_LABEL_IO, u_words, 0);
	u->mr[1] = n;
	for (unsigned i = 0; i < n && i < BLK_IO_MAX + 1; i++) {
		u->mr[BLK_IO_MR_OP(i)] = blk_req(r[i].op, r[i].nsec);
		u->mr[BLK_IO_MR_OFFSET(i)] = r[i].off;
		u->mr[BLK_IO_MR_SECTOR(i)] = r[i].sector;
	}
	if ((err = tap_reply_error(ipc_call(drv))))
		return err;
	if (tag_u(u->mr[0]) != n)
		return E_BAD_ARGUMENT;
	for (unsigned i = 0; i < n; i++)
		results[i] = u->mr[1 + i];
	return E_OK;
}

/* All n requests done, each without error. */
static bool blk_io(const struct req *r, unsigned n)
{
	word_t res[BLK_IO_MAX], err = blk_io_raw(r, n, 1 + 3 * n, res);

	for (unsigned i = 0; !err && i < n; i++)
		err = res[i];
	return err == E_OK;
}

static void fill(word_t off, word_t sector, word_t nsec, word_t tag)
{
	for (word_t k = 0; k < nsec; k++)
		for (unsigned j = 0; j < 64; j++)
			buf[(off / 8) + k * 64 + j] = blk_word(tag, sector + k, j);
}

/* Does the buffer at off hold tag's pattern for nsec sectors? */
static bool holds(word_t off, word_t sector, word_t nsec, word_t tag)
{
	for (word_t k = 0; k < nsec; k++)
		for (unsigned j = 0; j < 64; j++)
			if (buf[(off / 8) + k * 64 + j] != blk_word(tag, sector + k, j)) {
				printf("# word %u of sector %lu: %lx\n", j, sector + k,
				       buf[(off / 8) + k * 64 + j]);
				return false;
			}
	return true;
}

static void clear(void)
{
	memset((void *)buf, 0, BLK_BUF_SIZE);
}

static word_t cap, maxb;

static void test_info_share(void)
{
	struct req r = { BLK_OP_READ, 1, 0, 0 };
	word_t bufsize = 0, res[1];

	ok_err(blk_info(&cap, &maxb, &bufsize), E_OK, "INFO");
	ok(cap == 32768 && maxb >= 65536 && bufsize == BLK_BUF_SIZE,
	   "16 MiB = %lu sectors, %lu bytes a request, buffer %lu", cap, maxb, bufsize);
	ok_err(blk_io_raw(&r, 1, 4, res), BLK_E_NO_BUFFER, "IO before SHARE");
	ok_err(blk_share(WIN1), E_OK, "SHARE maps the buffer");
	ok(buf[0] == 0 && buf[BLK_BUF_SIZE / 8 - 1] == 0, "it starts zeroed");
	buf[7] = 0x1234;
	ok_err(blk_share(WIN2), E_OK, "SHARE again, elsewhere");
	ok(((volatile word_t *)WIN2)[7] == 0x1234, "it is the same buffer");
}

/* Four 64 KiB reads of the host's pattern in one call. */
static void test_read_host(void)
{
	struct req r[4];

	clear();
	for (unsigned i = 0; i < 4; i++)
		r[i] = (struct req){ BLK_OP_READ, K64_SECTORS, i * 65536, 1000 + 300 * i };
	ok(blk_io(r, 4), "four 64 KiB reads in one call");
	for (unsigned i = 0; i < 4; i++)
		ok(holds(i * 65536, 1000 + 300 * i, K64_SECTORS, HOST_TAG),
		   "read %u: the host's pattern of sectors %u..", i, 1000 + 300 * i);
}

/* 256 KiB of our pattern as four 64 KiB writes and a flush in one call,
 * then read back as eight 32 KiB reads in one call. */
static void test_write_read(void)
{
	struct req r[BLK_IO_MAX];

	fill(0, region, 4 * K64_SECTORS, GUEST_TAG);
	for (unsigned i = 0; i < 4; i++)
		r[i] = (struct req){ BLK_OP_WRITE, K64_SECTORS, i * 65536, region + i * K64_SECTORS };
	r[4] = (struct req){ BLK_OP_FLUSH, 0, 0, 0 };
	ok(blk_io(r, 5), "four 64 KiB writes and a flush in one call");
	clear();
	for (unsigned i = 0; i < 8; i++)
		r[7 - i] = (struct req){ BLK_OP_READ, 64, i * 32768, region + i * 64 };
	ok(blk_io(r, 8), "eight 32 KiB reads in one call");
	ok(holds(0, region, 4 * K64_SECTORS, GUEST_TAG), "they read what was written");
}

/* One request of the whole buffer, if the driver takes that much; the
 * last sector of the disk. */
static void test_big_and_last(void)
{
	word_t n = MIN(maxb, BLK_BUF_SIZE) / BLK_SECTOR, at = region + 4 * K64_SECTORS;
	struct req w = { BLK_OP_WRITE, n, 0, at }, rd = { BLK_OP_READ, n, 0, at };

	fill(0, at, n, GUEST_TAG);
	ok(blk_io(&w, 1), "one write of %lu KiB", n / 2);
	clear();
	ok(blk_io(&rd, 1) && holds(0, at, n, GUEST_TAG), "and its read");
	if (region == 8192) {                /* instance "a" owns the last sector */
		fill(0, cap - 1, 1, GUEST_TAG);
		w = (struct req){ BLK_OP_WRITE, 1, 0, cap - 1 };
		ok(blk_io(&w, 1), "write the last sector");
	}
}

static word_t one(word_t op, word_t nsec, word_t off, word_t sector)
{
	struct req r = { op, nsec, off, sector };
	word_t res[1];

	return blk_io_raw(&r, 1, 4, res);
}

static void test_refused(void)
{
	struct req r[BLK_IO_MAX + 1];
	word_t res[BLK_IO_MAX + 1], nmax = maxb / BLK_SECTOR;

	for (unsigned i = 0; i <= BLK_IO_MAX; i++)
		r[i] = (struct req){ BLK_OP_WRITE, 1, 0, region };
	fill(0, 0, 1, 0xee);
	ok_err(blk_io_raw(r, 0, 1, res), E_BAD_ARGUMENT, "n = 0");
	ok_err(blk_io_raw(r, BLK_IO_MAX + 1, 1 + 3 * (BLK_IO_MAX + 1), res), E_BAD_ARGUMENT, "n = 9");
	ok_err(blk_io_raw(r, 2, 4, res), E_BAD_ARGUMENT, "n = 2 but one request's words");
	ok_err(one(3, 1, 0, region), E_BAD_ARGUMENT, "op 3");
	ok_err(one(0xff, 1, 0, region), E_BAD_ARGUMENT, "op 255");
	ok_err(one(BLK_OP_WRITE, 0, 0, region), E_BAD_ARGUMENT, "0 sectors");
	ok_err(one(BLK_OP_WRITE, nmax + 1, 0, region), E_BAD_ARGUMENT, "one sector more than MR2");
	ok_err(one(BLK_OP_WRITE, ~(word_t)0 >> 8, 0, region), E_BAD_ARGUMENT, "2^56 - 1 sectors");
	ok_err(one(BLK_OP_WRITE, 1, 100, region), E_BAD_ARGUMENT, "offset not 512-aligned");
	ok_err(one(BLK_OP_WRITE, 2, BLK_BUF_SIZE - 512, region), E_BAD_ARGUMENT,
	       "range past the buffer's end");
	ok_err(one(BLK_OP_WRITE, 1, BLK_BUF_SIZE, region), E_BAD_ARGUMENT, "offset = buffer size");
	ok_err(one(BLK_OP_WRITE, 1, ~(word_t)511, region), E_BAD_ARGUMENT, "offset 2^64 - 512");
	ok_err(one(BLK_OP_READ, 1, 0, cap), BLK_E_PAST_END, "sector = capacity");
	ok_err(one(BLK_OP_WRITE, 2, 0, cap - 1), BLK_E_PAST_END, "2 sectors from the last");
	ok_err(one(BLK_OP_WRITE, 1, 0, ~(word_t)0), BLK_E_PAST_END, "sector 2^64 - 1");
	ok_err(one(BLK_OP_FLUSH, 1, 0, 0), E_BAD_ARGUMENT, "flush of 1 sector");
	r[1] = (struct req){ 7, 1, 0, region };
	ok_err(blk_io_raw(r, 2, 7, res), E_BAD_ARGUMENT, "a good request and a bad one");
	msg_tag(BLK_LABEL_IO + 1, 0, 0);
	ok_err(tap_reply_error(ipc_call(drv)), E_BAD_ARGUMENT, "unknown label 0x6204");
	clear();
	r[0] = (struct req){ BLK_OP_READ, 4 * K64_SECTORS, 0, region };
	ok(blk_io(r, 1) && holds(0, region, 4 * K64_SECTORS, GUEST_TAG),
	   "the refused calls wrote nothing");
}

/* Argument "nodisk": the driver found no device and refuses everything. */
static int blktest_nodisk(void)
{
	word_t bufsize, res[1];
	struct req r = { BLK_OP_READ, 1, 0, 0 };

	ok_err(blk_info(&cap, &maxb, &bufsize), BLK_E_IO, "INFO without a disk");
	ok_err(blk_share(WIN1), BLK_E_IO, "SHARE without a disk");
	ok_err(blk_io_raw(&r, 1, 4, res), BLK_E_IO, "IO without a disk");
	return tap_done("blktest nodisk");
}

/* Argument "readonly": the disk refuses writes, so each write request
 * fails with BLK_E_IO in a reply that succeeds, beside reads that work. */
static int blktest_readonly(void)
{
	word_t bufsize, res[3];
	struct req r[3] = {
		{ BLK_OP_READ, K64_SECTORS, 0, 1000 },
		{ BLK_OP_WRITE, 8, 65536, 8192 },
		{ BLK_OP_READ, 8, 131072, 1300 },
	};

	ok_err(blk_info(&cap, &maxb, &bufsize), E_OK, "INFO");
	ok_err(blk_share(WIN1), E_OK, "SHARE");
	ok_err(blk_io_raw(r, 3, 10, res), E_OK, "read, write, read in one call");
	ok(res[0] == E_OK && res[1] == BLK_E_IO && res[2] == E_OK,
	   "only the write failed: %lx %lx %lx", res[0], res[1], res[2]);
	ok(holds(0, 1000, K64_SECTORS, HOST_TAG) && holds(131072, 1300, 8, HOST_TAG),
	   "the reads brought the host's pattern");
	return tap_done("blktest readonly");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "info_share", test_info_share },
		{ "read_host", test_read_host },
		{ "write_read", test_write_read },
		{ "big_and_last", test_big_and_last },
		{ "refused", test_refused },
	};

	drv = utcb()->pager;
	if (argc > 1 && !strcmp(argv[1], "nodisk"))
		return blktest_nodisk();
	if (argc > 1 && !strcmp(argv[1], "readonly"))
		return blktest_readonly();
	region = (argc > 1 && !strcmp(argv[1], "b")) ? 16384 : 8192;
	tap_run(cases, ARRAY_SIZE(cases), 1, argv);
	return tap_done(argc > 1 && !strcmp(argv[1], "b") ? "blktest b" : "blktest a");
}
