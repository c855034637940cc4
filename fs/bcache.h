/* SPDX-License-Identifier: MIT */
/*
 * The block cache of the FAT library: a bounded set of blocks (one block =
 * one FAT sector, 512..4096 bytes) over a device of 512-byte sectors.
 *
 * Metadata (boot sector, FAT, directories) is read and changed in the cache
 * (bcache_get) and written back on eviction or bcache_sync: write-back.
 * File data moves in runs straight between the caller's buffer and the
 * device (bcache_read_run, bcache_write_run), through the cached copy of a
 * block when there is one, so the two never disagree. Partial blocks of
 * data go through bcache_get like metadata.
 *
 * Freestanding: lib/string.h (the C library's functions, on the guest and
 * on the host), nothing else.
 */
#ifndef FS_BCACHE_H
#define FS_BCACHE_H

#include <pagoda/types.h>

/* The device: 512-byte sectors; each call returns 0 or FS_E_IO. */
struct bcache_dev {
	int (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf);
	int (*write)(void *ctx, uint64_t sector, uint32_t count, const void *buf);
	int (*flush)(void *ctx);
	void *ctx;
	uint64_t sectors;              /* capacity */
	uint32_t max_sectors;          /* per read or write call (≥ 8) */
};

struct bcache_block {
	uint64_t lba;                  /* block number (block-size units) */
	uint32_t stamp;                /* last use, for LRU eviction */
	int32_t next;                  /* hash chain (-1: end) */
	uint8_t valid, dirty;          /* dirty implies valid */
	uint8_t *data;
};

/* Owned by one caller; no locking (the FAT server is one thread). */
struct bcache {
	const struct bcache_dev *dev;
	uint32_t bsize;                /* bytes per block */
	uint32_t spb;                  /* device sectors per block */
	struct bcache_block *blocks;   /* n blocks, carved from the memory given */
	int32_t *heads;                /* hash buckets (nheads, a power of 2) */
	uint32_t n, nheads, clock;
	uint64_t hits, misses, writes, dev_reads, dev_writes;  /* statistics */
};

/* Set up a cache of blocks of bsize bytes in mem (mem_bytes); the block
 * count is what fits. Returns 0, or E_NO_MEMORY if fewer than 4 fit. */
int bcache_init(struct bcache *bc, const struct bcache_dev *dev, uint32_t bsize, void *mem,
		size_t mem_bytes);

/* The data of block lba, read if not cached; with write, marked dirty.
 * The pointer is valid until the next call of bcache_*. 0 or FS_E_IO. */
int bcache_get(struct bcache *bc, uint64_t lba, bool write, uint8_t **data);

/* Block lba, zero-filled and dirty without reading the device. */
int bcache_zero(struct bcache *bc, uint64_t lba, uint8_t **data);

/* n whole blocks from lba into buf / from buf to the device. */
int bcache_read_run(struct bcache *bc, uint64_t lba, uint32_t n, void *buf);
int bcache_write_run(struct bcache *bc, uint64_t lba, uint32_t n, const void *buf);

/* Write every dirty block (in block order), then flush the device. */
int bcache_sync(struct bcache *bc);

/* Forget every block; dirty ones are lost (after a failed mount). */
void bcache_drop(struct bcache *bc);

/* Walk every invariant; false and *why on the first broken one. */
bool bcache_check(const struct bcache *bc, const char **why);

#endif
