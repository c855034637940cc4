/* SPDX-License-Identifier: MIT */
/*
 * Open files, their bytes, and the operations on paths (fat.h).
 *
 * An open file is a node, shared by every open of the same directory
 * entry, so all see one size. A file of size s owns exactly
 * ceil(s / cluster bytes) clusters (the rule fsck.fat enforces; open
 * checks it, so a damaged entry is refused before it is used): extending
 * allocates the clusters first (all or nothing), then zeroes the gap
 * between the old end and the new bytes, then writes; shrinking frees the
 * tail. A node remembers one (index, cluster) pair of its chain so that
 * sequential access does not walk the chain from its start.
 *
 * Every change of a file's first cluster or size is written to its short
 * directory entry at once (in the cache); fat_sync makes it all durable.
 * Removing or moving over an open file is refused (FS_E_BUSY); renaming an
 * open file moves its node with it.
 */
#include "fat.h"
#include <pagoda/error.h>
#include <lib/string.h>

#define FATFILE_ATTR_DIR 0x10
#define FATFILE_ATTR_ARCHIVE 0x20

static const uint8_t fatfile_zeros[4096];

static uint32_t fatfile_clusters(const struct fat *fs, uint64_t size)
{
	return (uint32_t)((size + fs->cbytes - 1) / fs->cbytes);
}

static uint32_t fatfile_dir(const struct fat *fs, const struct fat_node *n)
{
	return n->dir_lba == 0 ? fatdir_root(fs) : n->first;
}

/* ---- nodes ---- */

static struct fat_node *fatfile_node_find(struct fat *fs, uint32_t lba, uint32_t off)
{
	for (struct fat_node *n = fs->nodes; n < fs->nodes + FAT_NODES; n++)
		if (n->refs && n->dir_lba == lba && n->dir_off == off)
			return n;
	return NULL;
}

static struct fat_node *fatfile_node_free(struct fat *fs)
{
	for (struct fat_node *n = fs->nodes; n < fs->nodes + FAT_NODES; n++)
		if (!n->refs)
			return n;
	return NULL;
}

/* Write n's first cluster and size into its short entry. */
static int fatfile_store(struct fat *fs, const struct fat_node *n)
{
	struct fat_dirpos p = { .lba = n->dir_lba, .off = n->dir_off };
	uint8_t e[32];
	int err;

	if (n->dir_lba == 0)
		return 0;
	if ((err = fatdir_entry(fs, &p, e)))
		return err;
	fatdir_set_clu(e, n->first);
	for (int i = 0; i < 4; i++)
		e[28 + i] = (uint8_t)(n->is_dir ? 0 : n->size >> (8 * i));
	return fatdir_put(fs, &p, e);
}

/* The cluster at index k of n's chain. */
static int fatfile_cluster_at(struct fat *fs, struct fat_node *n, uint32_t k, uint32_t *c)
{
	uint32_t idx = 0, cur = n->first;
	int err;

	if (n->pos_clu && n->pos_idx <= k) {
		idx = n->pos_idx;
		cur = n->pos_clu;
	}
	for (; idx < k && cur; idx++)
		if ((err = fat_next(fs, cur, &cur)))
			return err;
	if (!cur)
		return FS_E_CORRUPT;
	n->pos_idx = k;
	n->pos_clu = cur;
	*c = cur;
	return 0;
}

/* ---- bytes ---- */

/* len bytes at byte soff of the sectors from lba (contiguous), to or from buf. */
static int fatfile_span(struct fat *fs, uint64_t lba, uint32_t soff, uint8_t *buf, uint32_t len, bool write)
{
	while (len) {
		uint32_t k = soff ? 0 : len / fs->bps, piece;
		uint8_t *b;
		int err;

		if (k) {
			err = write ? bcache_write_run(&fs->bc, lba, k, buf) : bcache_read_run(&fs->bc, lba, k, buf);
			piece = k * fs->bps;
			lba += k;
		} else {
			piece = fs->bps - soff < len ? fs->bps - soff : len;
			if (!(err = bcache_get(&fs->bc, lba, write, &b)))
				write ? memcpy(b + soff, buf, piece) : memcpy(buf, b + soff, piece);
			lba++;
			soff = 0;
		}
		if (err)
			return err;
		buf += piece;
		len -= piece;
	}
	return 0;
}

/* The bytes of n's chain from cluster index k on that lie in clusters
 * following cluster c on the disk, up to len: *piece, starting coff into c. */
static int fatfile_run(struct fat *fs, struct fat_node *n, uint32_t k, uint32_t c, uint32_t coff, size_t len,
		       uint32_t *piece)
{
	uint32_t next;
	int err;

	*piece = fs->cbytes - coff < len ? fs->cbytes - coff : (uint32_t)len;
	while (*piece < len && *piece <= (1u << 30)) {
		if ((err = fatfile_cluster_at(fs, n, ++k, &next)))
			return err;
		if (next != ++c)
			break;
		*piece += fs->cbytes < len - *piece ? fs->cbytes : (uint32_t)(len - *piece);
	}
	return 0;
}

/* len bytes of n's chain at off (within its clusters), to or from buf;
 * clusters that follow each other on the disk move in one run. */
static int fatfile_io(struct fat *fs, struct fat_node *n, uint64_t off, uint8_t *buf, size_t len, bool write)
{
	while (len) {
		uint32_t coff = (uint32_t)(off % fs->cbytes), k = (uint32_t)(off / fs->cbytes), c, piece;
		int err = fatfile_cluster_at(fs, n, k, &c);

		if (!err)
			err = fatfile_run(fs, n, k, c, coff, len, &piece);
		if (!err)
			err = fatfile_span(fs, fat_clu_lba(fs, c) + coff / fs->bps, coff % fs->bps, buf, piece, write);
		if (err)
			return err;
		off += piece;
		buf += piece;
		len -= piece;
	}
	return 0;
}

static int fatfile_zero(struct fat *fs, struct fat_node *n, uint64_t from, uint64_t to)
{
	while (from < to) {
		size_t piece = to - from < sizeof(fatfile_zeros) ? to - from : sizeof(fatfile_zeros);
		int err = fatfile_io(fs, n, from, (uint8_t *)fatfile_zeros, piece, true);
		if (err)
			return err;
		from += piece;
	}
	return 0;
}

/* Keep the first keep clusters of n's chain, free the rest. */
static int fatfile_shrink(struct fat *fs, struct fat_node *n, uint32_t keep)
{
	uint32_t c, next;
	int err;

	if (n->pos_idx >= keep)
		n->pos_clu = n->pos_idx = 0;
	if (keep == 0) {
		err = fat_free_chain(fs, n->first);
		n->first = err ? n->first : 0;
		return err;
	}
	if ((err = fatfile_cluster_at(fs, n, keep - 1, &c)) || (err = fat_next(fs, c, &next)))
		return err;
	if (next && !(err = fat_free_chain(fs, next)))
		err = fat_set(fs, c, FAT_EOC);
	return err;
}

/* Give n the clusters for size bytes (it has those for n->size). */
static int fatfile_grow(struct fat *fs, struct fat_node *n, uint64_t size)
{
	uint32_t have = fatfile_clusters(fs, n->size), need = fatfile_clusters(fs, size), tail = 0, first;
	int err;

	if (need <= have)
		return 0;
	if (have && (err = fatfile_cluster_at(fs, n, have - 1, &tail)))
		return err;
	if ((err = fat_alloc_chain(fs, tail, need - have, &first)))
		return err;
	n->first = n->first ? n->first : first;
	return 0;
}

int fat_read(struct fat *fs, struct fat_node *n, uint64_t off, void *buf, size_t len, size_t *done)
{
	int err;

	*done = 0;
	if (n->is_dir)
		return FS_E_IS_DIR;
	if (off >= n->size)
		return 0;
	len = len < n->size - off ? len : n->size - off;
	if ((err = fatfile_io(fs, n, off, buf, len, false)))
		return err;
	*done = len;
	return 0;
}

/* Make n size bytes long, its bytes [n->size, from) zero, then write buf there. */
static int fatfile_extend_write(struct fat *fs, struct fat_node *n, uint64_t from, const void *buf, size_t len)
{
	uint64_t end = from + len, old = n->size;
	int err;

	if (n->is_dir)
		return FS_E_IS_DIR;
	if (end < from || end > FAT_FILE_MAX)       /* also an end that wrapped */
		return FS_E_TOO_BIG;
	if ((err = fatfile_grow(fs, n, end > old ? end : old)))
		return err;
	if (from > old)
		err = fatfile_zero(fs, n, old, from);
	if (!err && len)
		err = fatfile_io(fs, n, from, (uint8_t *)buf, len, true);
	if (err) {
		fatfile_shrink(fs, n, fatfile_clusters(fs, old));
		return err;
	}
	n->size = end > old ? (uint32_t)end : (uint32_t)old;
	return fatfile_store(fs, n);
}

int fat_write(struct fat *fs, struct fat_node *n, uint64_t off, const void *buf, size_t len)
{
	if (len == 0)
		return n->is_dir ? FS_E_IS_DIR : 0;
	return fatfile_extend_write(fs, n, off, buf, len);
}

int fat_truncate(struct fat *fs, struct fat_node *n, uint64_t size)
{
	int err;

	if (n->is_dir)
		return FS_E_IS_DIR;
	if (size >= n->size)
		return size == n->size ? 0 : fatfile_extend_write(fs, n, size, NULL, 0);
	if ((err = fatfile_shrink(fs, n, fatfile_clusters(fs, size))))
		return err;
	n->size = (uint32_t)size;
	return fatfile_store(fs, n);
}

/* ---- paths ---- */

/* The directory holding the last component of path, and that component
 * (*name, *nlen; length 0 for the root itself). */
static int fatfile_walk(struct fat *fs, const char *path, size_t len, uint32_t *dir, const char **name,
			size_t *nlen)
{
	size_t i = 0;

	if (len > FS_PATH_MAX)
		return FS_E_NAME;
	*dir = fatdir_root(fs);
	for (;;) {
		struct fat_found f;
		size_t j;
		int err;

		while (i < len && path[i] == '/')
			i++;
		for (j = i; j < len && path[j] != '/'; j++)
			;
		*name = path + i;
		*nlen = j - i;
		while (j < len && path[j] == '/')
			j++;
		if (*nlen && fatdir_valid_name(*name, *nlen))
			return FS_E_NAME;
		if (j == len)
			return 0;
		if ((err = fatdir_lookup(fs, *dir, *name, *nlen, &f)))
			return err;
		if (!f.d.is_dir)
			return FS_E_NOT_DIR;
		*dir = fatdir_entry_clu(f.e);
		if (*dir < 2 || *dir > fs->nclu + 1)
			return FS_E_CORRUPT;
		i = j;
	}
}

/* Look the last component of path up: *dir holds it, f describes it. */
static int fatfile_find(struct fat *fs, const char *path, size_t len, uint32_t *dir, struct fat_found *f)
{
	const char *name;
	size_t nlen;
	int err = fatfile_walk(fs, path, len, dir, &name, &nlen);

	if (err)
		return err;
	return nlen ? fatdir_lookup(fs, *dir, name, nlen, f) : FS_E_BUSY;
}

/* Is the entry f acceptable: cluster in range, chain as long as its size? */
static int fatfile_entry_sane(struct fat *fs, const struct fat_found *f)
{
	uint32_t c = fatdir_entry_clu(f->e), n;
	int err;

	if (c && (c < 2 || c > fs->nclu + 1))
		return FS_E_CORRUPT;
	if (f->d.is_dir)
		return c ? 0 : FS_E_CORRUPT;
	if ((err = fat_chain_len(fs, c, &n)))
		return err;
	return n == fatfile_clusters(fs, f->d.size) ? 0 : FS_E_CORRUPT;
}

static int fatfile_open_root(struct fat *fs, unsigned flags, struct fat_node **out)
{
	struct fat_node *n = fatfile_node_find(fs, 0, 0);

	if (!(flags & FS_OPEN_DIR))
		return FS_E_IS_DIR;
	if (!n && !(n = fatfile_node_free(fs)))
		return FS_E_TOO_MANY;
	if (!n->refs)
		*n = (struct fat_node){ .first = fatdir_root(fs), .is_dir = true };
	n->refs++;
	*out = n;
	return 0;
}

static int fatfile_open_check(const struct fat_found *f, unsigned flags)
{
	if ((flags & FS_OPEN_CREATE) && (flags & FS_OPEN_EXCL))
		return FS_E_EXISTS;
	if (f->d.is_dir && !(flags & FS_OPEN_DIR))
		return FS_E_IS_DIR;
	if (!f->d.is_dir && (flags & FS_OPEN_DIR))
		return FS_E_NOT_DIR;
	return f->d.is_dir && (flags & FS_OPEN_TRUNC) ? FS_E_IS_DIR : 0;
}

int fat_open(struct fat *fs, const char *path, size_t len, unsigned flags, struct fat_node **out)
{
	uint8_t proto[32] = { [11] = FATFILE_ATTR_ARCHIVE, [16] = 0x21, [18] = 0x21, [24] = 0x21 };
	struct fat_found f;
	struct fat_node *n;
	const char *name;
	size_t nlen;
	uint32_t dir;
	int err;

	if (flags & ~(unsigned)FS_OPEN_ALL)
		return E_BAD_ARGUMENT;
	if ((err = fatfile_walk(fs, path, len, &dir, &name, &nlen)))
		return err;
	if (nlen == 0)
		return fatfile_open_root(fs, flags, out);
	if (!(n = fatfile_node_free(fs)))
		return FS_E_TOO_MANY;
	err = fatdir_lookup(fs, dir, name, nlen, &f);
	if (err == FS_E_NOT_FOUND && (flags & FS_OPEN_CREATE) && !(flags & FS_OPEN_DIR)) {
		if ((err = fatdir_create(fs, dir, name, nlen, proto, &f.pos)))
			return err;
		memcpy(f.e, proto, 32);
		f.d.is_dir = false;
		f.d.size = 0;
	} else if (err || (err = fatfile_open_check(&f, flags)) || (err = fatfile_entry_sane(fs, &f))) {
		return err;
	}
	if (!(n = fatfile_node_find(fs, f.pos.lba, f.pos.off))) {
		n = fatfile_node_free(fs);
		*n = (struct fat_node){ .dir_lba = f.pos.lba, .dir_off = f.pos.off, .parent = dir,
					.first = fatdir_entry_clu(f.e), .size = f.d.size, .is_dir = f.d.is_dir };
	}
	n->refs++;
	*out = n;
	if ((flags & FS_OPEN_TRUNC) && (err = fat_truncate(fs, n, 0))) {
		fat_close(fs, n);
		return err;
	}
	return 0;
}

void fat_close(struct fat *fs, struct fat_node *n)
{
	(void)fs;
	if (--n->refs == 0)
		*n = (struct fat_node){ 0 };
}

int fat_remove(struct fat *fs, const char *path, size_t len)
{
	struct fat_found f;
	uint32_t dir;
	int err = fatfile_find(fs, path, len, &dir, &f);

	if (err == FS_E_BUSY)
		return FS_E_IS_DIR;
	if (err || (err = f.d.is_dir ? FS_E_IS_DIR : 0) || (err = fatfile_entry_sane(fs, &f)))
		return err;
	if (fatfile_node_find(fs, f.pos.lba, f.pos.off))
		return FS_E_BUSY;
	if ((err = fat_free_chain(fs, fatdir_entry_clu(f.e))))
		return err;
	return fatdir_delete(fs, dir, f.first_i, f.pos.i);
}

/* Write the "." and ".." entries of new directory c (parent dir). */
static int fatfile_dots(struct fat *fs, uint32_t c, uint32_t parent)
{
	uint8_t *b;
	int err;

	for (uint32_t s = 0; s < fs->spc; s++)
		if ((err = bcache_zero(&fs->bc, fat_clu_lba(fs, c) + s, &b)))
			return err;
	if ((err = bcache_get(&fs->bc, fat_clu_lba(fs, c), true, &b)))
		return err;
	memset(b, ' ', 11);
	b[0] = '.';
	b[11] = FATFILE_ATTR_DIR;
	fatdir_set_clu(b, c);
	memset(b + 32, ' ', 11);
	b[32] = b[33] = '.';
	b[32 + 11] = FATFILE_ATTR_DIR;
	fatdir_set_clu(b + 32, parent == fatdir_root(fs) ? 0 : parent);
	b[16] = b[18] = b[24] = b[48] = b[50] = b[56] = 0x21;
	return 0;
}

int fat_mkdir(struct fat *fs, const char *path, size_t len)
{
	uint8_t proto[32] = { [11] = FATFILE_ATTR_DIR, [16] = 0x21, [18] = 0x21, [24] = 0x21 };
	struct fat_found f;
	struct fat_dirpos at;
	const char *name;
	size_t nlen;
	uint32_t dir, c;
	int err = fatfile_walk(fs, path, len, &dir, &name, &nlen);

	if (err)
		return err;
	err = nlen ? fatdir_lookup(fs, dir, name, nlen, &f) : 0;
	if (err != FS_E_NOT_FOUND)
		return err ? err : FS_E_EXISTS;
	if ((err = fat_alloc_chain(fs, 0, 1, &c)))
		return err;
	fatdir_set_clu(proto, c);
	if ((err = fatfile_dots(fs, c, dir)) || (err = fatdir_create(fs, dir, name, nlen, proto, &at)))
		fat_free_chain(fs, c);
	return err;
}

/* Does directory dir hold anything but "." and ".."? */
static int fatfile_dir_empty(struct fat *fs, uint32_t dir)
{
	struct fat_found f;
	uint32_t i = 0;
	int err;

	while (!(err = fatdir_next(fs, dir, &i, &f)))
		if (f.e[0] != '.')
			return FS_E_NOT_EMPTY;
	return err == FS_E_NOT_FOUND ? 0 : err;
}

int fat_rmdir(struct fat *fs, const char *path, size_t len)
{
	struct fat_found f;
	uint32_t dir, c;
	int err = fatfile_find(fs, path, len, &dir, &f);

	if (err == FS_E_BUSY)
		return FS_E_BUSY;
	if (err || (err = f.d.is_dir ? 0 : FS_E_NOT_DIR) || (err = fatfile_entry_sane(fs, &f)))
		return err;
	c = fatdir_entry_clu(f.e);
	if (fatfile_node_find(fs, f.pos.lba, f.pos.off))
		return FS_E_BUSY;
	if ((err = fatfile_dir_empty(fs, c)) || (err = fat_free_chain(fs, c)))
		return err;
	return fatdir_delete(fs, dir, f.first_i, f.pos.i);
}

/* Is directory c the directory dir or one above it? Walks up by "..". */
static int fatfile_is_ancestor(struct fat *fs, uint32_t c, uint32_t dir, bool *yes)
{
	for (uint32_t steps = 0; steps <= fs->nclu; steps++) {
		struct fat_dirpos p;
		uint8_t e[32];
		int err;

		*yes = dir == c;
		if (*yes || dir == fatdir_root(fs))
			return 0;
		if ((err = fatdir_seek(fs, dir, 1, &p)) || (err = fatdir_entry(fs, &p, e)))
			return err;
		if (e[0] != '.' || e[1] != '.')
			return FS_E_CORRUPT;
		dir = fatdir_entry_clu(e) ? fatdir_entry_clu(e) : fatdir_root(fs);
	}
	return FS_E_CORRUPT;
}

/* Point the ".." entry of moved directory c at its new parent dir. */
static int fatfile_reparent(struct fat *fs, uint32_t c, uint32_t dir)
{
	struct fat_dirpos p;
	uint8_t e[32];
	int err;

	if ((err = fatdir_seek(fs, c, 1, &p)) || (err = fatdir_entry(fs, &p, e)))
		return err;
	fatdir_set_clu(e, dir == fatdir_root(fs) ? 0 : dir);
	return fatdir_put(fs, &p, e);
}

int fat_rename(struct fat *fs, const char *from, size_t flen, const char *to, size_t tlen)
{
	struct fat_found f, g;
	struct fat_dirpos at;
	struct fat_node *n;
	uint32_t fdir, tdir;
	const char *name;
	size_t nlen;
	bool inside = false;
	int err = fatfile_find(fs, from, flen, &fdir, &f);

	if (err == FS_E_BUSY)
		return FS_E_NAME;
	if (err || (err = fatfile_entry_sane(fs, &f)) ||
	    (err = fatfile_walk(fs, to, tlen, &tdir, &name, &nlen)))
		return err;
	if (nlen == 0)
		return FS_E_EXISTS;
	err = fatdir_lookup(fs, tdir, name, nlen, &g);
	if (err != FS_E_NOT_FOUND)
		return err ? err : FS_E_EXISTS;
	if (f.d.is_dir && (err = fatfile_is_ancestor(fs, fatdir_entry_clu(f.e), tdir, &inside)))
		return err;
	if (inside)
		return E_BAD_ARGUMENT;
	if ((err = fatdir_create(fs, tdir, name, nlen, f.e, &at)))
		return err;
	if ((err = fatdir_delete(fs, fdir, f.first_i, f.pos.i)))
		return err;
	if (f.d.is_dir && fdir != tdir && (err = fatfile_reparent(fs, fatdir_entry_clu(f.e), tdir)))
		return err;
	if ((n = fatfile_node_find(fs, f.pos.lba, f.pos.off))) {
		n->dir_lba = at.lba;
		n->dir_off = at.off;
		n->parent = tdir;
	}
	return 0;
}

int fat_readdir(struct fat *fs, struct fat_node *n, uint32_t *cookie, struct fat_dirent *out)
{
	struct fat_found f;
	int err;

	if (!n->is_dir)
		return FS_E_NOT_DIR;
	do {
		if ((err = fatdir_next(fs, fatfile_dir(fs, n), cookie, &f)))
			return err;
	} while (f.e[0] == '.');
	*out = f.d;
	return 0;
}
