/* SPDX-License-Identifier: MIT */
/*
 * The FAT library: FAT12, FAT16 and FAT32 volumes with long file names,
 * over a block device of 512-byte sectors (bcache.h). Freestanding C: the
 * FAT server (fs/fatserv.c) links it in the guest; tests/unit/test_fat.c
 * links it on the host over an image file.
 *
 *   fat.c      mount, the FAT and its cluster chains, sync, the checker
 *   fatdir.c   directories: entries, long and short names, lookup, create
 *   fatfile.c  open files (nodes), read/write/truncate, path operations
 *
 * Every function returns 0 or an error code of pagoda/fs.h (FS_E_*) or
 * pagoda/error.h; a refused request changes nothing on the volume. A
 * damaged image yields FS_E_CORRUPT where the damage is met: every chain
 * walk is bounded by the cluster count and every value checked first.
 *
 * One caller at a time (no locking); all state is in struct fat.
 */
#ifndef FS_FAT_H
#define FS_FAT_H

#include <pagoda/types.h>
#include <pagoda/fs.h>
#include "bcache.h"

#define FAT_NODES 256                  /* open files and directories at once (fatserv: FATSERV_OPEN) */
#define FAT_DIR_MAX_ENTRIES 65536u     /* entries of one directory (FAT's limit) */
#define FAT_FILE_MAX 0xffffffffull     /* bytes of one file */
#define FAT_HELD_MAX 256               /* extents of freed clusters held until a sync */

/* An open file or directory. refs = 0: the slot is free. A node is named
 * by where its short directory entry lies (dir_lba, dir_off); the root
 * directory has none (dir_lba = 0). */
struct fat_node {
	uint32_t refs;
	uint32_t dir_lba, dir_off;     /* its short entry (0, 0: the root) */
	uint32_t parent;               /* first cluster of the directory holding it */
	uint32_t first;                /* first cluster, 0 if none */
	uint32_t size;                 /* bytes (0 for directories) */
	bool is_dir;
	uint32_t pos_idx, pos_clu;     /* one known (index, cluster) of the chain; 0: none */
};

struct fat {
	struct bcache bc;
	unsigned type;                 /* 12, 16 or 32 */
	uint32_t bps, spc, cbytes;     /* bytes per sector, sectors per cluster, bytes per cluster */
	uint32_t fat_lba, fat_secs, nfats;
	uint32_t root_lba, root_secs;  /* FAT12/16 root directory area */
	uint32_t root_clu;             /* FAT32 root's first cluster (0 for FAT12/16) */
	uint32_t data_lba, nclu;       /* first data sector; data clusters 2..nclu+1 */
	uint32_t free, hint;           /* free clusters (held ones too); where the next search starts */
	struct { uint32_t first, n; } held[FAT_HELD_MAX];   /* freed since the last sync: not reused */
	uint32_t nheld, held_clusters; /* extents in held[]; clusters in them */
	uint32_t fsinfo_lba;           /* FAT32 FSInfo sector, 0 if none */
	bool fsinfo_dirty;
	struct fat_node nodes[FAT_NODES];
};

/* A directory entry as the library reports it. */
struct fat_dirent {
	char name[FS_NAME_MAX + 1];    /* UTF-8, NUL-terminated */
	uint32_t name_len;
	uint32_t size;
	bool is_dir;
};

/* ---- fat.c: the volume ---- */
int fat_mount(struct fat *fs, const struct bcache_dev *dev, void *cache_mem, size_t cache_bytes);
int fat_sync(struct fat *fs);
bool fat_check(struct fat *fs, const char **why);
/* Scan the whole FAT: the free count it holds (for tests: must equal fs->free). */
int fat_count_free(struct fat *fs, uint32_t *free);

/* ---- fatfile.c: files, directories and paths ---- */
int fat_open(struct fat *fs, const char *path, size_t len, unsigned flags, struct fat_node **out);
void fat_close(struct fat *fs, struct fat_node *n);
int fat_read(struct fat *fs, struct fat_node *n, uint64_t off, void *buf, size_t len, size_t *done);
int fat_write(struct fat *fs, struct fat_node *n, uint64_t off, const void *buf, size_t len);
int fat_truncate(struct fat *fs, struct fat_node *n, uint64_t size);
int fat_remove(struct fat *fs, const char *path, size_t len);
int fat_mkdir(struct fat *fs, const char *path, size_t len);
int fat_rmdir(struct fat *fs, const char *path, size_t len);
int fat_rename(struct fat *fs, const char *from, size_t flen, const char *to, size_t tlen);
/* The next entry of directory n at or after *cookie (an entry index);
 * FS_E_NOT_FOUND at the end. "." and ".." and volume labels are skipped. */
int fat_readdir(struct fat *fs, struct fat_node *n, uint32_t *cookie, struct fat_dirent *out);

/* ---- between the library's files ---- */
#define FAT_EOC 0x0ffffff8u            /* chain values ≥ this end a chain (normalised) */
uint64_t fat_clu_lba(const struct fat *fs, uint32_t c);
int fat_get(struct fat *fs, uint32_t c, uint32_t *v);
int fat_set(struct fat *fs, uint32_t c, uint32_t v);
int fat_next(struct fat *fs, uint32_t c, uint32_t *next);   /* 0 at the end of the chain */
int fat_alloc_chain(struct fat *fs, uint32_t tail, uint32_t n, uint32_t *first);
int fat_free_chain(struct fat *fs, uint32_t first);
int fat_chain_len(struct fat *fs, uint32_t first, uint32_t *n);

/* A position in a directory: entry index i, where it lies. dir = first
 * cluster of the directory, 0 for the FAT12/16 root area. */
struct fat_dirpos {
	uint32_t dir, i, clu, lba, off;
};
int fatdir_seek(struct fat *fs, uint32_t dir, uint32_t i, struct fat_dirpos *p);
int fatdir_step(struct fat *fs, struct fat_dirpos *p, bool grow);
int fatdir_entry(struct fat *fs, const struct fat_dirpos *p, uint8_t e[32]);
int fatdir_put(struct fat *fs, const struct fat_dirpos *p, const uint8_t e[32]);

/* What a lookup found: the entry, its position, where its long-name
 * entries start. */
struct fat_found {
	uint8_t e[32];
	struct fat_dirpos pos;         /* the short entry */
	uint32_t first_i;              /* index of its first long-name entry */
	struct fat_dirent d;
};
int fatdir_lookup(struct fat *fs, uint32_t dir, const char *name, size_t len, struct fat_found *f);
int fatdir_next(struct fat *fs, uint32_t dir, uint32_t *i, struct fat_found *f);
int fatdir_create(struct fat *fs, uint32_t dir, const char *name, size_t len, const uint8_t proto[32],
		  struct fat_dirpos *at);
int fatdir_delete(struct fat *fs, uint32_t dir, uint32_t first_i, uint32_t short_i);
int fatdir_valid_name(const char *name, size_t len);
uint32_t fatdir_entry_clu(const uint8_t e[32]);
void fatdir_set_clu(uint8_t e[32], uint32_t c);
uint32_t fatdir_root(const struct fat *fs);

#endif
