/* SPDX-License-Identifier: MIT */
/*
 * The block cache (bcache.h). Blocks are found through a hash of chains
 * (heads[lba & (nheads - 1)], linked by index); a miss takes a free block,
 * or else the least recently used one, writing it first if it is dirty.
 * A block whose write-back fails stays dirty and cached; the request that
 * needed its place gets FS_E_IO.
 */
#include "bcache.h"
#include <pagoda/error.h>
#include <pagoda/fs.h>
#include <lib/string.h>

static uint32_t bcache_bucket(const struct bcache *bc, uint64_t lba)
{
	return (uint32_t)((lba ^ (lba >> 11)) & (bc->nheads - 1));
}

int bcache_init(struct bcache *bc, const struct bcache_dev *dev, uint32_t bsize, void *mem,
		size_t mem_bytes)
{
	size_t per = bsize + sizeof(struct bcache_block) + sizeof(int32_t);
	uint32_t n = (uint32_t)(mem_bytes / per), nheads = 1;
	uint8_t *p = mem;

	if (n < 4 || bsize % 512 || bsize == 0)
		return E_NO_MEMORY;
	while (nheads < n)
		nheads <<= 1;
	while (n * per + (nheads - n) * sizeof(int32_t) > mem_bytes)
		n--;
	memset(bc, 0, sizeof(*bc));
	bc->dev = dev;
	bc->bsize = bsize;
	bc->spb = bsize / 512;
	bc->n = n;
	bc->nheads = nheads;
	bc->blocks = (struct bcache_block *)p;
	p += n * sizeof(struct bcache_block);
	bc->heads = (int32_t *)p;
	p += nheads * sizeof(int32_t);
	for (uint32_t i = 0; i < n; i++)
		bc->blocks[i] = (struct bcache_block){ .next = -1, .data = p + (size_t)i * bsize };
	for (uint32_t i = 0; i < nheads; i++)
		bc->heads[i] = -1;
	return 0;
}

static struct bcache_block *bcache_find(struct bcache *bc, uint64_t lba)
{
	for (int32_t i = bc->heads[bcache_bucket(bc, lba)]; i >= 0; i = bc->blocks[i].next)
		if (bc->blocks[i].lba == lba)
			return &bc->blocks[i];
	return NULL;
}

static void bcache_unhash(struct bcache *bc, struct bcache_block *b)
{
	int32_t *link = &bc->heads[bcache_bucket(bc, b->lba)];
	int32_t me = (int32_t)(b - bc->blocks);

	while (*link != me)
		link = &bc->blocks[*link].next;
	*link = b->next;
	b->next = -1;
	b->valid = 0;
}

static int bcache_writeback(struct bcache *bc, struct bcache_block *b)
{
	int err = bc->dev->write(bc->dev->ctx, b->lba * bc->spb, bc->spb, b->data);

	if (err)
		return FS_E_IO;
	b->dirty = 0;
	bc->writes++;
	bc->dev_writes++;
	return 0;
}

/* A block for lba, hashed, not yet valid: free, or the LRU one evicted. */
static int bcache_take(struct bcache *bc, uint64_t lba, struct bcache_block **out)
{
	struct bcache_block *victim = NULL;
	int err;

	for (uint32_t i = 0; i < bc->n; i++) {
		struct bcache_block *b = &bc->blocks[i];
		if (!b->valid) {
			victim = b;
			break;
		}
		if (!victim || (int32_t)(b->stamp - victim->stamp) < 0)
			victim = b;
	}
	if (victim->valid && victim->dirty && (err = bcache_writeback(bc, victim)))
		return err;
	if (victim->valid)
		bcache_unhash(bc, victim);
	victim->lba = lba;
	victim->next = bc->heads[bcache_bucket(bc, lba)];
	bc->heads[bcache_bucket(bc, lba)] = (int32_t)(victim - bc->blocks);
	*out = victim;
	return 0;
}

static struct bcache_block *bcache_lookup(struct bcache *bc, uint64_t lba, bool fill, int *err)
{
	struct bcache_block *b = bcache_find(bc, lba);

	*err = 0;
	if (b) {
		bc->hits++;
	} else {
		bc->misses++;
		if ((*err = bcache_take(bc, lba, &b)))
			return NULL;
		if (fill && bc->dev->read(bc->dev->ctx, lba * bc->spb, bc->spb, b->data)) {
			bcache_unhash(bc, b);
			*err = FS_E_IO;
			return NULL;
		}
		if (fill)
			bc->dev_reads++;
		b->valid = 1;
		b->dirty = 0;
	}
	b->stamp = ++bc->clock;
	return b;
}

int bcache_get(struct bcache *bc, uint64_t lba, bool write, uint8_t **data)
{
	int err;
	struct bcache_block *b = bcache_lookup(bc, lba, true, &err);

	if (!b)
		return err;
	b->dirty |= write;
	*data = b->data;
	return 0;
}

int bcache_zero(struct bcache *bc, uint64_t lba, uint8_t **data)
{
	int err;
	struct bcache_block *b = bcache_lookup(bc, lba, false, &err);

	if (!b)
		return err;
	memset(b->data, 0, bc->bsize);
	b->dirty = 1;
	*data = b->data;
	return 0;
}

/* Device calls of at most max_sectors for n blocks from lba. */
static int bcache_dev_io(struct bcache *bc, uint64_t lba, uint32_t n, uint8_t *buf, bool write)
{
	uint32_t maxb = bc->dev->max_sectors / bc->spb;

	while (n) {
		uint32_t k = n < maxb ? n : maxb;
		int err = write ? bc->dev->write(bc->dev->ctx, lba * bc->spb, k * bc->spb, buf)
				: bc->dev->read(bc->dev->ctx, lba * bc->spb, k * bc->spb, buf);
		if (err)
			return FS_E_IO;
		write ? bc->dev_writes++ : bc->dev_reads++;
		lba += k;
		n -= k;
		buf += (size_t)k * bc->bsize;
	}
	return 0;
}

int bcache_read_run(struct bcache *bc, uint64_t lba, uint32_t n, void *buf)
{
	uint8_t *p = buf;
	uint32_t i = 0;

	while (i < n) {
		struct bcache_block *b = bcache_find(bc, lba + i);
		uint32_t j = i;
		int err;

		if (b) {
			memcpy(p + (size_t)i * bc->bsize, b->data, bc->bsize);
			i++;
			continue;
		}
		while (j < n && !bcache_find(bc, lba + j))
			j++;
		if ((err = bcache_dev_io(bc, lba + i, j - i, p + (size_t)i * bc->bsize, false)))
			return err;
		i = j;
	}
	return 0;
}

int bcache_write_run(struct bcache *bc, uint64_t lba, uint32_t n, const void *buf)
{
	const uint8_t *p = buf;
	int err = bcache_dev_io(bc, lba, n, (uint8_t *)p, true);

	if (err)
		return err;
	for (uint32_t i = 0; i < n; i++) {
		struct bcache_block *b = bcache_find(bc, lba + i);
		if (b) {
			memcpy(b->data, p + (size_t)i * bc->bsize, bc->bsize);
			b->dirty = 0;
		}
	}
	return 0;
}

/* The dirty blocks from b on that follow it on the disk, copied into run
 * (at most BCACHE_RUN_BYTES); how many. */
#define BCACHE_RUN_BYTES 32768u
static uint32_t bcache_gather(struct bcache *bc, struct bcache_block *b, uint8_t *run,
			      struct bcache_block **blocks)
{
	uint32_t n = 0, max = bc->dev->max_sectors / bc->spb;

	while (b && b->dirty && (n + 1) * bc->bsize <= BCACHE_RUN_BYTES && n < max) {
		memcpy(run + (size_t)n * bc->bsize, b->data, bc->bsize);
		blocks[n++] = b;
		b = bcache_find(bc, b->lba + 1);
	}
	return n;
}

/* Write the dirty blocks in block order, adjacent ones in one device
 * call; then flush. */
int bcache_sync(struct bcache *bc)
{
	static uint8_t run[BCACHE_RUN_BYTES];
	struct bcache_block *blocks[BCACHE_RUN_BYTES / 512];

	for (;;) {
		struct bcache_block *low = NULL;
		uint32_t n;

		for (uint32_t i = 0; i < bc->n; i++) {
			struct bcache_block *b = &bc->blocks[i];
			if (b->valid && b->dirty && (!low || b->lba < low->lba))
				low = b;
		}
		if (!low)
			break;
		n = bcache_gather(bc, low, run, blocks);
		if (bc->dev->write(bc->dev->ctx, low->lba * bc->spb, n * bc->spb, run))
			return FS_E_IO;
		bc->dev_writes++;
		bc->writes += n;
		for (uint32_t i = 0; i < n; i++)
			blocks[i]->dirty = 0;
	}
	return bc->dev->flush(bc->dev->ctx) ? FS_E_IO : 0;
}

void bcache_drop(struct bcache *bc)
{
	for (uint32_t i = 0; i < bc->n; i++)
		if (bc->blocks[i].valid)
			bcache_unhash(bc, &bc->blocks[i]);
}

bool bcache_check(const struct bcache *bc, const char **why)
{
	uint32_t hashed = 0, valid = 0;

#define BCACHE_FAIL(msg) do { *why = msg; return false; } while (0)
	for (uint32_t h = 0; h < bc->nheads; h++) {
		for (int32_t i = bc->heads[h]; i >= 0; i = bc->blocks[i].next) {
			const struct bcache_block *b = &bc->blocks[i];
			if ((uint32_t)i >= bc->n || ++hashed > bc->n)
				BCACHE_FAIL("bcache: hash chain broken or cyclic");
			if (!b->valid || bcache_bucket(bc, b->lba) != h)
				BCACHE_FAIL("bcache: hashed block invalid or in the wrong bucket");
			for (int32_t j = b->next; j >= 0; j = bc->blocks[j].next)
				if (bc->blocks[j].lba == b->lba)
					BCACHE_FAIL("bcache: a block cached twice");
		}
	}
	for (uint32_t i = 0; i < bc->n; i++) {
		const struct bcache_block *b = &bc->blocks[i];
		valid += b->valid;
		if (b->dirty && !b->valid)
			BCACHE_FAIL("bcache: dirty block not valid");
		if (b->data != (const uint8_t *)(bc->heads + bc->nheads) + (size_t)i * bc->bsize)
			BCACHE_FAIL("bcache: block data pointer moved");
	}
	if (valid != hashed)
		BCACHE_FAIL("bcache: valid blocks and hashed blocks differ");
#undef BCACHE_FAIL
	return true;
}
