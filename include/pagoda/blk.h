/* SPDX-License-Identifier: MIT */
/*
 * The block-device protocol of the virtio-blk driver (drivers/blk.c;
 * docs/abi.md §16.5). Every request is a call to the driver; success is
 * label 0, a refused call is a non-zero label (SIGMA0_REPLY_ERROR), u = 1,
 * MR1 = the error (enum pagoda_error or BLK_E_*). Only the driver's
 * pager clients are served; anyone else gets E_NO_PRIVILEGE.
 *
 *   BLK_LABEL_INFO   reply u = 3: MR1 = capacity in 512-byte sectors,
 *                    MR2 = most bytes one request may move (>= 65536),
 *                    MR3 = BLK_BUF_SIZE, the size of a client's buffer.
 *   BLK_LABEL_SHARE  br[0] = a receive window of >= BLK_BUF_SIZE bytes.
 *                    Reply t = 2: one map item, read-write, of the
 *                    client's own DMA buffer (BLK_BUF_SIZE bytes; the same
 *                    buffer again on a second SHARE).
 *   BLK_LABEL_IO     MR1 = n (1..BLK_IO_MAX); request i in MR[2+3i] =
 *                    op | nsectors << 8, MR[3+3i] = byte offset in the
 *                    buffer (512-aligned), MR[4+3i] = first sector. The
 *                    n requests go to the device together; the reply
 *                    (u = n) comes when all are done: MR[1+i] = E_OK or
 *                    BLK_E_IO for request i. A call with any bad request
 *                    is refused whole and nothing is done.
 */
#ifndef PAGODA_BLK_H
#define PAGODA_BLK_H

#define BLK_LABEL_INFO 0x6201
#define BLK_LABEL_SHARE 0x6202
#define BLK_LABEL_IO 0x6203

#define BLK_SECTOR 512
#define BLK_BUF_LOG2 18
#define BLK_BUF_SIZE (1ul << BLK_BUF_LOG2)    /* 256 KiB per client */
#define BLK_IO_MAX 8                          /* requests in one IO call */

/* A request's first word. */
enum blk_op {
	BLK_OP_READ = 0,      /* device -> buffer */
	BLK_OP_WRITE = 1,     /* buffer -> device */
	BLK_OP_FLUSH = 2,     /* make earlier writes durable; nsectors 0 */
};
#define BLK_OP_SHIFT 8
#define BLK_OP_MASK 0xfful

static inline unsigned long blk_req(enum blk_op op, unsigned long nsectors)
{
	return (unsigned long)op | nsectors << BLK_OP_SHIFT;
}

/* Where request i of an IO call lies in the message registers. */
#define BLK_IO_MR_OP(i) (2 + 3 * (i))
#define BLK_IO_MR_OFFSET(i) (3 + 3 * (i))
#define BLK_IO_MR_SECTOR(i) (4 + 3 * (i))

/*
 * Errors besides E_BAD_ARGUMENT (unknown label or op, n out of range,
 * offset unaligned, a transfer of 0 sectors or more than INFO's MR2, a
 * range outside the buffer, nsectors != 0 on a flush).
 */
enum blk_error {
	BLK_E_PAST_END = 0x6281,    /* a sector at or past the capacity */
	BLK_E_IO = 0x6282,          /* the device reported an error (per request) */
	BLK_E_NO_BUFFER = 0x6283,   /* IO before SHARE */
	BLK_E_BUSY = 0x6284,        /* too many IO calls in flight at once */
	BLK_E_LIMIT = 0x6285,       /* the caller has BLK_CALLS_PER_CLIENT calls in flight */
};

/* A client has at most this many IO calls in flight at once: the one it
 * waits in (a call sent without waiting for the reply still counts until
 * the device is done with it). The driver's table of calls has room for
 * every client's share, so one client cannot refuse another. */
#define BLK_CALLS_PER_CLIENT 1u

#endif
