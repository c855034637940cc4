/* SPDX-License-Identifier: MIT */
/*
 * The FAT volume: the boot sector, the file allocation table and its
 * cluster chains (fat.h).
 *
 * How a FAT volume is laid out: reserved sectors (the boot sector first;
 * on FAT32 also FSInfo), then nfats copies of the table, then (FAT12/16
 * only) the fixed root directory, then the data clusters numbered from 2.
 * Entry c of the table is the cluster after c in its chain, 0 if c is
 * free, or an end-of-chain mark. The type follows from the cluster count
 * alone (Microsoft's rule): < 4085 is FAT12, < 65525 FAT16, else FAT32.
 *
 * Values are normalised when read: end-of-chain marks of every width become
 * FAT_EOC; the bad-cluster mark and anything outside 2..nclu+1 is never
 * followed (fat_next says FS_E_CORRUPT), and no walk takes more steps than
 * there are clusters, so a cycle is found, not followed forever. Writes go
 * to every copy of the table, through the block cache.
 *
 * The free count is counted from the table at mount (the FSInfo hint is
 * not trusted) and kept exact; fat_sync writes it to FSInfo, then every
 * dirty block, then flushes the disk.
 *
 * Clusters freed since the last sync are *held*: free in the table, but
 * not allocated again until the next sync has written the table, so that
 * after a crash no file that still names them on the disk can show
 * another file's new data. An allocation that finds too few clusters
 * beside the held ones syncs first (before it changes anything), which
 * releases them. The hold list has FAT_HELD_MAX extents; a free that
 * would overflow it syncs first too, and a free of more extents than the
 * list holds leaves the rest unheld.
 */
#include "fat.h"
#include <pagoda/error.h>
#include <lib/string.h>

static uint32_t fat_le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t fat_le32(const uint8_t *p) { return fat_le16(p) | fat_le16(p + 2) << 16; }

static void fat_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t fat_clu_lba(const struct fat *fs, uint32_t c)
{
	return fs->data_lba + (uint64_t)(c - 2) * fs->spc;
}

/* Decode and check the boot sector b; fill the geometry of fs. */
static int fat_parse_boot(struct fat *fs, const uint8_t *b, uint64_t dev_sectors)
{
	uint32_t bps = fat_le16(b + 11), spc = b[13], rsvd = fat_le16(b + 14), nfats = b[16];
	uint32_t rootents = fat_le16(b + 17), total = fat_le16(b + 19), fatsz = fat_le16(b + 22);
	uint32_t rootsecs, data, nclu;

	if ((b[0] != 0xeb && b[0] != 0xe9) || b[510] != 0x55 || b[511] != 0xaa)
		return FS_E_CORRUPT;
	if ((bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) || spc == 0 || (spc & (spc - 1)) ||
	    rsvd == 0 || nfats == 0 || nfats > 2)
		return FS_E_CORRUPT;
	total = total ? total : fat_le32(b + 32);
	fatsz = fatsz ? fatsz : fat_le32(b + 36);
	rootsecs = (rootents * 32 + bps - 1) / bps;
	data = rsvd + nfats * fatsz + rootsecs;
	if (fatsz == 0 || total <= data || (uint64_t)total * (bps / 512) > dev_sectors)
		return FS_E_CORRUPT;
	nclu = (total - data) / spc;
	fs->type = nclu < 4085 ? 12 : nclu < 65525 ? 16 : 32;
	if (nclu == 0 || (uint64_t)fatsz * bps * 8 < (uint64_t)(nclu + 2) * (fs->type == 32 ? 32 : fs->type))
		return FS_E_CORRUPT;
	if ((fs->type == 32) != (rootents == 0))
		return FS_E_CORRUPT;
	fs->bps = bps;
	fs->spc = spc;
	fs->cbytes = bps * spc;
	fs->fat_lba = rsvd;
	fs->fat_secs = fatsz;
	fs->nfats = nfats;
	fs->root_lba = rsvd + nfats * fatsz;
	fs->root_secs = rootsecs;
	fs->data_lba = data;
	fs->nclu = nclu;
	fs->root_clu = fs->type == 32 ? fat_le32(b + 44) : 0;
	fs->fsinfo_lba = fs->type == 32 ? fat_le16(b + 48) : 0;
	if (fs->type == 32 && (fs->root_clu < 2 || fs->root_clu > nclu + 1))
		return FS_E_CORRUPT;
	if (fs->fsinfo_lba >= rsvd)
		fs->fsinfo_lba = 0;
	return 0;
}

static bool fat_in_range(const struct fat *fs, uint32_t c);

/* FSInfo is used only if both of its signatures are there; its next-free
 * hint, if in range, is where allocation searches first. */
static int fat_probe_fsinfo(struct fat *fs)
{
	uint8_t *b;
	int err;

	if (!fs->fsinfo_lba)
		return 0;
	if ((err = bcache_get(&fs->bc, fs->fsinfo_lba, false, &b)))
		return err;
	if (fat_le32(b) != 0x41615252 || fat_le32(b + 484) != 0x61417272)
		fs->fsinfo_lba = 0;
	else if (fat_in_range(fs, fat_le32(b + 492)))
		fs->hint = fat_le32(b + 492);   /* next-fit goes on where it was */
	return 0;
}

int fat_mount(struct fat *fs, const struct bcache_dev *dev, void *cache_mem, size_t cache_bytes)
{
	uint8_t *b;
	int err;

	memset(fs, 0, sizeof(*fs));
	if (dev->sectors < 8 || dev->max_sectors < 8)
		return E_BAD_ARGUMENT;
	if ((err = bcache_init(&fs->bc, dev, 512, cache_mem, cache_bytes)))
		return err;
	if ((err = bcache_get(&fs->bc, 0, false, &b)))
		return err;
	err = fat_parse_boot(fs, b, dev->sectors);
	bcache_drop(&fs->bc);
	if (err)
		return err;
	if ((err = bcache_init(&fs->bc, dev, fs->bps, cache_mem, cache_bytes)))
		return err;
	fs->hint = 2;
	if ((err = fat_probe_fsinfo(fs)) || (err = fat_count_free(fs, &fs->free)))
		return err;
	return 0;
}

/* The raw entry of cluster c (0..nclu+1) as it is on disk. */
static int fat_raw(struct fat *fs, uint32_t c, uint32_t *v)
{
	uint32_t off = fs->type == 12 ? c + c / 2 : c * (fs->type / 8);
	uint64_t lba = fs->fat_lba + off / fs->bps;
	uint32_t at = off % fs->bps;
	uint8_t *b;
	int err;

	if ((err = bcache_get(&fs->bc, lba, false, &b)))
		return err;
	if (fs->type == 32) {
		*v = fat_le32(b + at) & 0x0fffffff;
	} else if (fs->type == 16) {
		*v = fat_le16(b + at);
	} else {
		uint32_t lo = b[at], hi;
		if (at + 1 < fs->bps) {
			hi = b[at + 1];
		} else {
			if ((err = bcache_get(&fs->bc, lba + 1, false, &b)))
				return err;
			hi = b[0];
		}
		*v = (c & 1) ? (lo | hi << 8) >> 4 : (lo | hi << 8) & 0xfff;
	}
	return 0;
}

int fat_get(struct fat *fs, uint32_t c, uint32_t *v)
{
	uint32_t eoc = fs->type == 12 ? 0xff8 : fs->type == 16 ? 0xfff8 : 0x0ffffff8;
	int err = fat_raw(fs, c, v);

	if (!err && *v >= eoc)
		*v = FAT_EOC;
	return err;
}

/* Write byte at (lba, at) of table copy k; bits under mask are replaced. */
static int fat_put_byte(struct fat *fs, uint64_t lba, uint32_t at, uint8_t val, uint8_t mask)
{
	uint8_t *b;
	int err;

	if (at >= fs->bps) {
		lba++;
		at -= fs->bps;
	}
	if ((err = bcache_get(&fs->bc, lba, true, &b)))
		return err;
	b[at] = (uint8_t)((b[at] & ~mask) | (val & mask));
	return 0;
}

/* Set entry c to v (0, a cluster, or FAT_EOC) in every copy of the table. */
int fat_set(struct fat *fs, uint32_t c, uint32_t v)
{
	uint32_t off = fs->type == 12 ? c + c / 2 : c * (fs->type / 8);
	uint32_t bytes = fs->type == 32 ? 4 : 2;
	int err = 0;

	if (v == FAT_EOC)
		v = fs->type == 12 ? 0xfff : fs->type == 16 ? 0xffff : 0x0fffffff;
	for (uint32_t k = 0; k < fs->nfats && !err; k++) {
		uint64_t lba = fs->fat_lba + (uint64_t)k * fs->fat_secs + off / fs->bps;
		uint32_t at = off % fs->bps;
		if (fs->type == 12 && (c & 1)) {
			err = fat_put_byte(fs, lba, at, (uint8_t)(v << 4), 0xf0);
			err = err ? err : fat_put_byte(fs, lba, at + 1, (uint8_t)(v >> 4), 0xff);
		} else if (fs->type == 12) {
			err = fat_put_byte(fs, lba, at, (uint8_t)v, 0xff);
			err = err ? err : fat_put_byte(fs, lba, at + 1, (uint8_t)(v >> 8), 0x0f);
		} else {
			for (uint32_t i = 0; i < bytes && !err; i++)
				err = fat_put_byte(fs, lba, at + i, (uint8_t)(v >> (8 * i)), i == 3 ? 0x0f : 0xff);
		}
	}
	return err;
}

static bool fat_in_range(const struct fat *fs, uint32_t c)
{
	return c >= 2 && c <= fs->nclu + 1;
}

int fat_next(struct fat *fs, uint32_t c, uint32_t *next)
{
	uint32_t v;
	int err;

	if (!fat_in_range(fs, c))
		return FS_E_CORRUPT;
	if ((err = fat_get(fs, c, &v)))
		return err;
	if (v == FAT_EOC) {
		*next = 0;
		return 0;
	}
	if (!fat_in_range(fs, v))
		return FS_E_CORRUPT;
	*next = v;
	return 0;
}

int fat_chain_len(struct fat *fs, uint32_t first, uint32_t *n)
{
	uint32_t c = first;
	int err;

	*n = 0;
	while (c) {
		if (++*n > fs->nclu)
			return FS_E_CORRUPT;
		if ((err = fat_next(fs, c, &c)))
			return err;
	}
	return 0;
}

/* Hold cluster c until the next sync (as part of an extent if it can). */
static void fat_hold(struct fat *fs, uint32_t c)
{
	if (fs->nheld && fs->held[fs->nheld - 1].first + fs->held[fs->nheld - 1].n == c) {
		fs->held[fs->nheld - 1].n++;
	} else if (fs->nheld < FAT_HELD_MAX) {
		fs->held[fs->nheld].first = c;
		fs->held[fs->nheld++].n = 1;
	} else {
		return;
	}
	fs->held_clusters++;
}

static bool fat_is_held(const struct fat *fs, uint32_t c)
{
	for (uint32_t i = 0; i < fs->nheld; i++)
		if (c - fs->held[i].first < fs->held[i].n)
			return true;
	return false;
}

/* The extents of a chain known to be sound (for the hold list). */
static int fat_chain_extents(struct fat *fs, uint32_t first, uint32_t *extents)
{
	uint32_t c = first, next;
	int err;

	*extents = 0;
	for (; c; c = next) {
		if ((err = fat_next(fs, c, &next)))
			return err;
		*extents += next != c + 1;
	}
	return 0;
}

/* Free the chain from first, holding its clusters if hold. */
static int fat_release_chain(struct fat *fs, uint32_t first, bool hold)
{
	uint32_t n, extents, c = first, next;
	int err;

	if ((err = fat_chain_len(fs, first, &n)) || (err = fat_chain_extents(fs, first, &extents)))
		return err;
	if (hold && fs->nheld + extents > FAT_HELD_MAX && fs->nheld && (err = fat_sync(fs)))
		return err;
	while (c) {
		if ((err = fat_next(fs, c, &next)) || (err = fat_set(fs, c, 0)))
			return err;
		fs->free++;
		if (hold)
			fat_hold(fs, c);
		c = next;
	}
	fs->fsinfo_dirty = true;
	return 0;
}

int fat_free_chain(struct fat *fs, uint32_t first)
{
	return fat_release_chain(fs, first, true);
}

/* A free cluster, searched from the hint round the table. */
static int fat_find_free(struct fat *fs, uint32_t *out)
{
	for (uint32_t k = 0; k < fs->nclu; k++) {
		uint32_t c = 2 + (fs->hint - 2 + k) % fs->nclu, v;
		int err = fat_raw(fs, c, &v);
		if (err)
			return err;
		if (v == 0 && !fat_is_held(fs, c)) {
			*out = c;
			fs->hint = c + 1 > fs->nclu + 1 ? 2 : c + 1;
			return 0;
		}
	}
	return FS_E_CORRUPT;   /* fs->free said there was one */
}

/*
 * Allocate n clusters as one chain ending in FAT_EOC; link it after tail
 * (a chain's last cluster, or 0). All or nothing: FS_E_NO_SPACE up front,
 * and on a failure half-way the new clusters are freed again.
 */
int fat_alloc_chain(struct fat *fs, uint32_t tail, uint32_t n, uint32_t *first)
{
	uint32_t prev = 0, c;
	int err = 0;

	*first = 0;
	if (n > fs->free)
		return FS_E_NO_SPACE;
	if (n > fs->free - fs->held_clusters && (err = fat_sync(fs)))
		return err;
	for (uint32_t i = 0; i < n && !err; i++) {
		if ((err = fat_find_free(fs, &c)) || (err = fat_set(fs, c, FAT_EOC)))
			break;
		fs->free--;
		err = prev ? fat_set(fs, prev, c) : 0;
		*first = *first ? *first : c;
		prev = c;
	}
	if (!err && tail && n)
		err = fat_set(fs, tail, *first);
	if (err && *first) {
		fat_release_chain(fs, *first, false);   /* never on the disk in a file: no hold */
		*first = 0;
	}
	fs->fsinfo_dirty = true;
	return err;
}

/* FAT16/32: read the table in runs of FAT_SCAN_BYTES past the cache (one
 * device call each, not one per sector) and count the zero entries. */
#define FAT_SCAN_BYTES 32768u
static int fat_count_free_runs(struct fat *fs, uint32_t *free)
{
	static uint8_t run[FAT_SCAN_BYTES];
	uint32_t width = fs->type / 8, per = FAT_SCAN_BYTES / fs->bps, c = 0;
	int err;

	for (uint32_t s = 0; s < fs->fat_secs && c <= fs->nclu + 1; s += per) {
		uint32_t n = fs->fat_secs - s < per ? fs->fat_secs - s : per;
		if ((err = bcache_read_run(&fs->bc, fs->fat_lba + s, n, run)))
			return err;
		for (uint32_t at = 0; at < n * fs->bps && c <= fs->nclu + 1; at += width, c++) {
			uint32_t v = width == 4 ? fat_le32(run + at) & 0x0fffffff : fat_le16(run + at);
			*free += c >= 2 && v == 0;
		}
	}
	return 0;
}

int fat_count_free(struct fat *fs, uint32_t *free)
{
	uint32_t v;
	int err;

	*free = 0;
	if (fs->type != 12)
		return fat_count_free_runs(fs, free);
	for (uint32_t c = 2; c <= fs->nclu + 1; c++) {
		if ((err = fat_raw(fs, c, &v)))
			return err;
		*free += v == 0;
	}
	return 0;
}

static int fat_write_fsinfo(struct fat *fs)
{
	uint8_t *b;
	int err;

	if (!fs->fsinfo_lba || !fs->fsinfo_dirty)
		return 0;
	if ((err = bcache_get(&fs->bc, fs->fsinfo_lba, true, &b)))
		return err;
	fat_put32(b + 488, fs->free);
	fat_put32(b + 492, fs->hint);
	fs->fsinfo_dirty = false;
	return 0;
}

int fat_sync(struct fat *fs)
{
	int err = fat_write_fsinfo(fs);

	if (!err && !(err = bcache_sync(&fs->bc)))
		fs->nheld = fs->held_clusters = 0;   /* the table on the disk says they are free */
	return err;
}

static bool fat_check_node(struct fat *fs, const struct fat_node *n, const char **why)
{
	if (n->first && !fat_in_range(fs, n->first)) {
		*why = "fat: node's first cluster out of range";
		return false;
	}
	if ((n->is_dir && n->size) || (!n->is_dir && n->dir_lba == 0)) {
		*why = "fat: directory node with a size, or a file node without an entry";
		return false;
	}
	if (n->pos_clu && (!fat_in_range(fs, n->pos_clu) || !n->first)) {
		*why = "fat: node's position cache out of range";
		return false;
	}
	for (const struct fat_node *m = n + 1; m < fs->nodes + FAT_NODES; m++) {
		if (m->refs && m->dir_lba == n->dir_lba && m->dir_off == n->dir_off) {
			*why = "fat: two nodes for one directory entry";
			return false;
		}
	}
	return true;
}

/* The hold list: extents in range, their sum held_clusters, no more than free. */
static bool fat_check_held(const struct fat *fs, const char **why)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < fs->nheld; i++) {
		if (!fs->held[i].n || !fat_in_range(fs, fs->held[i].first) ||
		    !fat_in_range(fs, fs->held[i].first + fs->held[i].n - 1)) {
			*why = "fat: held extent empty or out of range";
			return false;
		}
		sum += fs->held[i].n;
	}
	if (fs->nheld > FAT_HELD_MAX || sum != fs->held_clusters || sum > fs->free) {
		*why = "fat: held clusters miscounted";
		return false;
	}
	return true;
}

bool fat_check(struct fat *fs, const char **why)
{
	if (!bcache_check(&fs->bc, why))
		return false;
	if (fs->free > fs->nclu || !fat_in_range(fs, fs->hint)) {
		*why = "fat: free count or hint out of range";
		return false;
	}
	if (!fat_check_held(fs, why))
		return false;
	for (const struct fat_node *n = fs->nodes; n < fs->nodes + FAT_NODES; n++)
		if (n->refs && !fat_check_node(fs, n, why))
			return false;
	return true;
}
