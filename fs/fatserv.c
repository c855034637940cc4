/* SPDX-License-Identifier: MIT */
/*
 * The FAT server: a user task that serves the files of a FAT volume over
 * the file-system protocol (include/pagoda/fs.h, docs/abi.md §16.6), reading
 * and writing the disk through the block driver (include/pagoda/blk.h).
 *
 * How it works. The server runs on the libmap pager loop: boot.cfg names
 * the block driver as its pager (`fs/fatserv pager=drivers/blk`), which is
 * how it finds the driver, and it is the pager of its own clients
 * (`pager=fs/fatserv`), which is how they find it and how it learns of
 * their end and of the shutdown; file requests reach it through the
 * loop's request hook. At start it asks the driver for its geometry
 * (INFO), has its DMA buffer mapped (SHARE) and mounts the volume with the
 * FAT library (fs/fat.h), whose block device moves sectors between that
 * buffer and the block cache with one IO call per run.
 *
 * Each client (by thread id) gets a buffer of FS_BUF_SIZE bytes in the
 * server's heap, mapped read-write into the client on FS_LABEL_SHARE; READ
 * and WRITE copy between it and the file. Handles are indices into one
 * table of open files with a generation count, and name their owner.
 * The table is shared by every caller; one caller holds at most
 * FS_OPEN_PER_CALLER entries (FS_E_LIMIT beyond), and the table has room
 * for eight such shares, so that one caller cannot refuse the others.
 * Every request is decoded (handle, ranges, path) before anything
 * changes; the library refuses the rest without changing the volume.
 *
 * What is durable when: the block cache writes metadata back on eviction,
 * on SYNC, when a client ends, and at shutdown (then the disk is flushed).
 * File data goes to the disk when it is written. See docs/files.md.
 */
#include <pager.h>
#include <layout.h>
#include <pagoda/blk.h>
#include <pagoda/fs.h>
#include "fat.h"

#define FATSERV_CLIENTS 8
#define FATSERV_OPEN 256                                     /* a handle's low byte */
#define FATSERV_CACHE_BYTES ((size_t)512 << 10)
#define FATSERV_CACHE_VA USER_HEAP_BASE                      /* the block cache */
#define FATSERV_BUF_VA (USER_HEAP_BASE + ((word_t)1 << 20))  /* client i's buffer at + i * FS_BUF_SIZE */
#define FATSERV_DMA_VA 0x40000000000ull                     /* the driver's buffer for us */
#define FATSERV_BUF_LOG2 17
_Static_assert(((word_t)1 << FATSERV_BUF_LOG2) == FS_BUF_SIZE, "buffer fpage");
_Static_assert(FATSERV_OPEN <= 256 && FATSERV_OPEN <= FAT_NODES, "handles and nodes");
_Static_assert(FATSERV_OPEN >= 8 * FS_OPEN_PER_CALLER, "room for eight callers' shares");

static struct {
	word_t blk;                          /* the block driver */
	word_t max_bytes;                    /* per block request */
	struct bcache_dev dev;
	struct fat fs;
	bool mounted;
	word_t clients[FATSERV_CLIENTS];     /* thread ids, TID_NIL: free */
	struct {
		word_t owner;                /* TID_NIL: free */
		struct fat_node *n;
		uint16_t gen;
	} open[FATSERV_OPEN];
	word_t requests, errors, io_calls;   /* statistics */
} srv;

static void fatserv_fail(word_t err)
{
	msg_tag(FS_REPLY_ERROR, 1, 0);
	utcb()->mr[1] = err;
	srv.errors++;
}

static void fatserv_ok(unsigned u)
{
	msg_tag(FS_REPLY_OK, u, 0);
}

/* ---- the block device, through the driver ---- */

/* One IO call of one request; 0 or FS_E_IO. */
static int fatserv_blk_io(word_t op, uint64_t sector, uint32_t count)
{
	struct utcb *u = utcb();

	msg_tag(BLK_LABEL_IO, 4, 0);
	u->mr[1] = 1;
	u->mr[BLK_IO_MR_OP(0)] = blk_req(op, count);
	u->mr[BLK_IO_MR_OFFSET(0)] = 0;
	u->mr[BLK_IO_MR_SECTOR(0)] = sector;
	srv.io_calls++;
	if (ipc_call(srv.blk) || tag_label(u->mr[0]) || u->mr[1])
		return FS_E_IO;
	return 0;
}

static int fatserv_dev_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
	int err = fatserv_blk_io(BLK_OP_READ, sector, count);

	(void)ctx;
	if (!err)
		memcpy(buf, (void *)FATSERV_DMA_VA, (size_t)count * BLK_SECTOR);
	return err;
}

static int fatserv_dev_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
	(void)ctx;
	memcpy((void *)FATSERV_DMA_VA, buf, (size_t)count * BLK_SECTOR);
	return fatserv_blk_io(BLK_OP_WRITE, sector, count);
}

static int fatserv_dev_flush(void *ctx)
{
	(void)ctx;
	return fatserv_blk_io(BLK_OP_FLUSH, 0, 0);
}

/* INFO and SHARE with the driver; a message for the log if they fail. */
static const char *fatserv_blk_connect(void)
{
	struct utcb *u = utcb();

	srv.blk = u->pager;
	msg_tag(BLK_LABEL_INFO, 0, 0);
	msg_accept(FPAGE_NIL);
	if (ipc_call(srv.blk) || tag_label(u->mr[0]) || tag_u(u->mr[0]) != 3)
		return "the block driver does not answer INFO";
	srv.max_bytes = MIN(u->mr[2], BLK_BUF_SIZE);
	srv.dev = (struct bcache_dev){ .read = fatserv_dev_read, .write = fatserv_dev_write,
				       .flush = fatserv_dev_flush, .sectors = u->mr[1],
				       .max_sectors = (uint32_t)(srv.max_bytes / BLK_SECTOR) };
	msg_tag(BLK_LABEL_SHARE, 0, 0);
	msg_accept(fpage_make(FATSERV_DMA_VA, BLK_BUF_LOG2, FPAGE_RW));
	if (ipc_call(srv.blk) || tag_label(u->mr[0]) || tag_t(u->mr[0]) != 2)
		return "the block driver does not share its buffer";
	msg_accept(FPAGE_NIL);
	return NULL;
}

/* ---- clients, buffers, handles ---- */

static int fatserv_client(word_t tid)
{
	for (int i = 0; i < FATSERV_CLIENTS; i++)
		if (srv.clients[i] == tid)
			return i;
	return -1;
}

static uint8_t *fatserv_buf(int i)
{
	return (uint8_t *)(FATSERV_BUF_VA + (word_t)i * FS_BUF_SIZE);
}

static void fatserv_close_slot(unsigned i);

/* Does thread tid still exist? exchange_registers names a thread of
 * another space E_NO_PRIVILEGE, a vanished one (or its number reused)
 * E_BAD_THREAD or E_STALE_THREAD. */
static bool fatserv_alive(word_t tid)
{
	word_t err = sys_exchange_registers(tid, 0, NULL, NULL, NULL, NULL, NULL);

	return err != E_BAD_THREAD && err != E_STALE_THREAD;
}

/* Callers that are no pager clients (the file pager's clients, anyone)
 * are not reported when they end: when a table is full, free what
 * vanished callers still hold, so that none can keep it full for good. */
static void fatserv_sweep(void)
{
	for (unsigned i = 0; i < FATSERV_OPEN; i++)
		if (srv.open[i].owner != TID_NIL && !fatserv_alive(srv.open[i].owner))
			fatserv_close_slot(i);
	for (unsigned i = 0; i < FATSERV_CLIENTS; i++)
		if (srv.clients[i] != TID_NIL && !fatserv_alive(srv.clients[i]))
			srv.clients[i] = TID_NIL;
}

/* A slot for tid, its buffer zeroed (which also maps it here) and taken
 * from wherever it was mapped before (an earlier owner's space may live on
 * after that thread is gone). */
static int fatserv_client_add(word_t tid)
{
	int i = fatserv_client(TID_NIL);

	if (i < 0) {
		fatserv_sweep();
		i = fatserv_client(TID_NIL);
	}

	if (i < 0)
		return -1;
	srv.clients[i] = tid;
	utcb()->mr[0] = fpage_make((word_t)fatserv_buf(i), FATSERV_BUF_LOG2, FPAGE_RWX);
	sys_unmap(0);                        /* not where an earlier owner had it mapped */
	memset(fatserv_buf(i), 0, FS_BUF_SIZE);
	return i;
}

static word_t fatserv_handle(unsigned i)
{
	return (word_t)srv.open[i].gen << 8 | i;
}

/* The open file of handle h if `from` owns it, else NULL. */
static struct fat_node *fatserv_lookup(word_t from, word_t h, unsigned *slot)
{
	unsigned i = (unsigned)(h & 0xff);

	if (i >= FATSERV_OPEN || srv.open[i].owner != from || fatserv_handle(i) != h)
		return NULL;
	*slot = i;
	return srv.open[i].n;
}

static void fatserv_close_slot(unsigned i)
{
	fat_close(&srv.fs, srv.open[i].n);
	srv.open[i].owner = TID_NIL;
	srv.open[i].n = NULL;
	srv.open[i].gen = (uint16_t)((srv.open[i].gen + 1) & 0xffff);
}

/* ---- paths in message registers ---- */

/* The path at MR[at] (length word, then bytes) into buf; *next = the word
 * after it. False if it is longer than FS_PATH_MAX or than the message. */
static bool fatserv_path(unsigned at, char *buf, size_t *len, unsigned *next)
{
	struct utcb *u = utcb();
	unsigned words = (unsigned)tag_u(u->mr[0]);

	if (at > words)
		return false;
	*len = u->mr[at];
	if (*len > FS_PATH_MAX || at + fs_path_words(*len) - 1 > words)
		return false;
	memcpy(buf, &u->mr[at + 1], *len);
	buf[*len] = 0;
	*next = at + fs_path_words(*len);
	return true;
}

/* ---- requests ---- */

static void fatserv_on_info(word_t from, word_t label)
{
	struct utcb *u = utcb();

	(void)from, (void)label;
	fatserv_ok(5);
	u->mr[1] = FS_BUF_SIZE;
	u->mr[2] = srv.fs.type;
	u->mr[3] = srv.fs.cbytes;
	u->mr[4] = (word_t)srv.fs.nclu * srv.fs.cbytes;
	u->mr[5] = (word_t)srv.fs.free * srv.fs.cbytes;
}

static void fatserv_on_share(word_t from, word_t label)
{
	int i = fatserv_client(from);

	(void)label;
	if (i < 0 && (i = fatserv_client_add(from)) < 0) {
		fatserv_fail(FS_E_TOO_MANY);
		return;
	}
	msg_tag(FS_REPLY_OK, 0, 2);
	msg_map_item(1, 0, fpage_make((word_t)fatserv_buf(i), FATSERV_BUF_LOG2, FPAGE_RW), false);
}

/* The open files tid holds. */
static unsigned fatserv_open_count(word_t tid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FATSERV_OPEN; i++)
		n += srv.open[i].owner == tid;
	return n;
}

static void fatserv_on_open(word_t from, word_t label)
{
	struct utcb *u = utcb();
	word_t flags = u->mr[1];
	char path[FS_PATH_MAX + 1];
	struct fat_node *n;
	size_t len;
	unsigned next, i;
	int err;

	(void)label;
	if (!fatserv_path(2, path, &len, &next) || flags & ~(word_t)FS_OPEN_ALL)
		return fatserv_fail(E_BAD_ARGUMENT);
	if (fatserv_open_count(from) >= FS_OPEN_PER_CALLER)
		return fatserv_fail(FS_E_LIMIT);
	for (i = 0; i < FATSERV_OPEN && srv.open[i].owner != TID_NIL; i++)
		;
	if (i == FATSERV_OPEN)
		fatserv_sweep();
	for (i = 0; i < FATSERV_OPEN && srv.open[i].owner != TID_NIL; i++)
		;
	if (i == FATSERV_OPEN)
		return fatserv_fail(FS_E_TOO_MANY);
	if ((err = fat_open(&srv.fs, path, len, (unsigned)flags, &n)))
		return fatserv_fail((word_t)err);
	srv.open[i].owner = from;
	srv.open[i].n = n;
	fatserv_ok(3);
	u->mr[1] = fatserv_handle(i);
	u->mr[2] = n->size;
	u->mr[3] = n->is_dir ? FS_KIND_DIR : FS_KIND_FILE;
}

static void fatserv_on_close(word_t from, word_t label)
{
	unsigned i;

	(void)label;
	if (!fatserv_lookup(from, utcb()->mr[1], &i))
		return fatserv_fail(FS_E_BAD_HANDLE);
	fatserv_close_slot(i);
	fatserv_ok(0);
}

/* READ and WRITE: MR1 = handle, MR2 = file offset, MR3 = length, MR4 = buffer offset. */
static void fatserv_on_rw(word_t from, word_t label)
{
	struct utcb *u = utcb();
	word_t off = u->mr[2], len = u->mr[3], boff = u->mr[4];
	int c = fatserv_client(from);
	bool write = label == FS_LABEL_WRITE;
	struct fat_node *n;
	size_t done = 0;
	unsigned i;
	int err;

	if (!(n = fatserv_lookup(from, u->mr[1], &i)))
		return fatserv_fail(FS_E_BAD_HANDLE);
	if (c < 0 || len > FS_IO_MAX || boff > FS_BUF_SIZE || len > FS_BUF_SIZE - boff)
		return fatserv_fail(E_BAD_ARGUMENT);
	if (write) {
		err = fat_write(&srv.fs, n, off, fatserv_buf(c) + boff, len);
		done = err ? 0 : len;
	} else {
		err = fat_read(&srv.fs, n, off, fatserv_buf(c) + boff, len, &done);
	}
	if (err)
		return fatserv_fail((word_t)err);
	if (!write)
		memset(fatserv_buf(c) + boff + done, 0, len - done);
	fatserv_ok(write ? 2 : 1);
	u->mr[1] = done;
	u->mr[2] = n->size;
}

static void fatserv_on_size(word_t from, word_t label)
{
	struct utcb *u = utcb();
	struct fat_node *n;
	unsigned i;

	(void)label;
	if (!(n = fatserv_lookup(from, u->mr[1], &i)))
		return fatserv_fail(FS_E_BAD_HANDLE);
	fatserv_ok(2);
	u->mr[1] = n->size;
	u->mr[2] = n->is_dir ? FS_KIND_DIR : FS_KIND_FILE;
}

static void fatserv_on_truncate(word_t from, word_t label)
{
	struct utcb *u = utcb();
	struct fat_node *n;
	unsigned i;
	int err;

	(void)label;
	if (!(n = fatserv_lookup(from, u->mr[1], &i)))
		return fatserv_fail(FS_E_BAD_HANDLE);
	if ((err = fat_truncate(&srv.fs, n, u->mr[2])))
		return fatserv_fail((word_t)err);
	fatserv_ok(0);
}

/* REMOVE, MKDIR, RMDIR: one path. */
static void fatserv_on_path(word_t from, word_t label)
{
	char path[FS_PATH_MAX + 1];
	size_t len;
	unsigned next;
	int err;

	(void)from;
	if (!fatserv_path(1, path, &len, &next))
		return fatserv_fail(E_BAD_ARGUMENT);
	err = label == FS_LABEL_REMOVE ? fat_remove(&srv.fs, path, len)
	    : label == FS_LABEL_MKDIR ? fat_mkdir(&srv.fs, path, len) : fat_rmdir(&srv.fs, path, len);
	if (err)
		return fatserv_fail((word_t)err);
	fatserv_ok(0);
}

static void fatserv_on_rename(word_t from, word_t label)
{
	char src[FS_PATH_MAX + 1], dst[FS_PATH_MAX + 1];
	size_t slen, dlen;
	unsigned next, end;
	int err;

	(void)from, (void)label;
	if (!fatserv_path(1, src, &slen, &next) || !fatserv_path(next, dst, &dlen, &end))
		return fatserv_fail(E_BAD_ARGUMENT);
	if ((err = fat_rename(&srv.fs, src, slen, dst, dlen)))
		return fatserv_fail((word_t)err);
	fatserv_ok(0);
}

static void fatserv_on_readdir(word_t from, word_t label)
{
	struct utcb *u = utcb();
	word_t boff = u->mr[3], room = u->mr[4];
	int c = fatserv_client(from);
	uint32_t cookie = (uint32_t)u->mr[2], count = 0;
	struct fat_dirent d;
	struct fat_node *n;
	unsigned i;
	int err = 0;

	(void)label;
	if (!(n = fatserv_lookup(from, u->mr[1], &i)))
		return fatserv_fail(FS_E_BAD_HANDLE);
	if (c < 0 || boff % 8 || boff > FS_BUF_SIZE || room > FS_BUF_SIZE - boff || room < sizeof(struct fs_dirent) ||
	    (u->mr[2] > FAT_DIR_MAX_ENTRIES && u->mr[2] != FS_DIR_END))
		return fatserv_fail(E_BAD_ARGUMENT);
	if (!n->is_dir)
		return fatserv_fail(FS_E_NOT_DIR);
	while (u->mr[2] != FS_DIR_END && room >= sizeof(struct fs_dirent)) {
		if ((err = fat_readdir(&srv.fs, n, &cookie, &d)))
			break;
		struct fs_dirent *e = (struct fs_dirent *)(fatserv_buf(c) + boff);
		memset(e, 0, sizeof(*e));
		e->size = d.size;
		e->kind = d.is_dir ? FS_KIND_DIR : FS_KIND_FILE;
		e->name_len = d.name_len;
		memcpy(e->name, d.name, d.name_len);
		boff += sizeof(*e);
		room -= sizeof(*e);
		count++;
	}
	if (err && err != FS_E_NOT_FOUND && count == 0)
		return fatserv_fail((word_t)err);
	fatserv_ok(2);
	u->mr[1] = count;
	u->mr[2] = u->mr[2] == FS_DIR_END || err == FS_E_NOT_FOUND ? FS_DIR_END : cookie;
}

static void fatserv_on_sync(word_t from, word_t label)
{
	int err = fat_sync(&srv.fs);

	(void)from, (void)label;
	if (err)
		return fatserv_fail((word_t)err);
	fatserv_ok(0);
}

/* The handlers, by label - FS_LABEL_INFO; each sets the reply. */
static void (*const fatserv_handlers[])(word_t from, word_t label) = {
	[FS_LABEL_INFO - FS_LABEL_INFO] = fatserv_on_info,
	[FS_LABEL_SHARE - FS_LABEL_INFO] = fatserv_on_share,
	[FS_LABEL_OPEN - FS_LABEL_INFO] = fatserv_on_open,
	[FS_LABEL_CLOSE - FS_LABEL_INFO] = fatserv_on_close,
	[FS_LABEL_READ - FS_LABEL_INFO] = fatserv_on_rw,
	[FS_LABEL_WRITE - FS_LABEL_INFO] = fatserv_on_rw,
	[FS_LABEL_SIZE - FS_LABEL_INFO] = fatserv_on_size,
	[FS_LABEL_TRUNCATE - FS_LABEL_INFO] = fatserv_on_truncate,
	[FS_LABEL_REMOVE - FS_LABEL_INFO] = fatserv_on_path,
	[FS_LABEL_RENAME - FS_LABEL_INFO] = fatserv_on_rename,
	[FS_LABEL_MKDIR - FS_LABEL_INFO] = fatserv_on_path,
	[FS_LABEL_RMDIR - FS_LABEL_INFO] = fatserv_on_path,
	[FS_LABEL_READDIR - FS_LABEL_INFO] = fatserv_on_readdir,
	[FS_LABEL_SYNC - FS_LABEL_INFO] = fatserv_on_sync,
};

/* The pager loop's hook: every file-system request (any other label is
 * refused). Without a mounted volume every request fails with FS_E_IO. */
static bool fatserv_request(struct pager *p, word_t from, word_t label)
{
	word_t i = label - FS_LABEL_INFO;

	(void)p;
	srv.requests++;
	if (i >= ARRAY_SIZE(fatserv_handlers))
		fatserv_fail(E_BAD_ARGUMENT);
	else if (!srv.mounted)
		fatserv_fail(FS_E_IO);
	else
		fatserv_handlers[i](from, label);
	return true;
}

/* A client ended: close its files, free its slot, make its changes durable. */
static void fatserv_client_exit(struct pager *p, struct pager_client *pc)
{
	int c = fatserv_client(pc->tid);

	(void)p;
	for (unsigned i = 0; i < FATSERV_OPEN; i++)
		if (srv.open[i].owner == pc->tid)
			fatserv_close_slot(i);
	if (c >= 0)
		srv.clients[c] = TID_NIL;
	if (srv.mounted && fat_sync(&srv.fs))
		printf("fatserv: sync failed after client %lx ended\n", pc->tid);
}

static const struct pager_ops fatserv_ops = {
	.request = fatserv_request,
	.client_exit = fatserv_client_exit,
};

static void fatserv_mount(void)
{
	const char *why = fatserv_blk_connect();
	int err;

	if (why) {
		printf("fatserv: %s; every request fails\n", why);
		return;
	}
	err = fat_mount(&srv.fs, &srv.dev, (void *)FATSERV_CACHE_VA, FATSERV_CACHE_BYTES);
	if (err) {
		printf("fatserv: no FAT volume on the disk (error %d); every request fails\n", err);
		return;
	}
	srv.mounted = true;
	printf("fatserv: FAT%u, %u clusters of %u bytes, %u free, cache of %u blocks\n", srv.fs.type,
	       srv.fs.nclu, srv.fs.cbytes, srv.fs.free, srv.fs.bc.n);
}

int main(int argc, char **argv)
{
	static struct pager p;
	const char *why;
	int status;

	(void)argc, (void)argv;
	for (unsigned i = 0; i < FATSERV_CLIENTS; i++)
		srv.clients[i] = TID_NIL;
	for (unsigned i = 0; i < FATSERV_OPEN; i++)
		srv.open[i].owner = TID_NIL;
	pager_init(&p, "fatserv", &fatserv_ops);
	fatserv_mount();
	status = pager_run(&p);
	if (srv.mounted && fat_sync(&srv.fs))
		printf("fatserv: the final sync failed\n");
	if (srv.mounted && !fat_check(&srv.fs, &why))
		printf("fatserv: PANIC: %s\n", why);
	printf("fatserv: %lu requests (%lu refused), %lu block calls, cache %lu hits %lu misses\n",
	       srv.requests, srv.errors, srv.io_calls, (word_t)srv.fs.bc.hits, (word_t)srv.fs.bc.misses);
	printf("fatserv: %u files still open at the end\n",
	       FATSERV_OPEN - fatserv_open_count(TID_NIL));
	return status;
}
