/* SPDX-License-Identifier: MIT */
/*
 * A client of the file-system protocol (include/pagoda/fs.h): one
 * function per request, for programs and pagers that use the FAT server.
 * Each returns E_OK (0) or the error of the refusal (FS_E_*, E_*), or the
 * IPC error of a call that failed.
 */
#ifndef FS_FSCLIENT_H
#define FS_FSCLIENT_H

#include <libmap.h>
#include <pagoda/fs.h>

struct fs_info {
	word_t buf_size, fat_type, cluster_bytes, total_bytes, free_bytes;
};

word_t fs_info(word_t srv, struct fs_info *info);
/* Map the caller's buffer (FS_BUF_SIZE bytes) at va, aligned to its size. */
word_t fs_share(word_t srv, word_t va);
word_t fs_open(word_t srv, const char *path, word_t flags, word_t *handle, word_t *size, word_t *kind);
word_t fs_close(word_t srv, word_t handle);
/* len bytes at file offset off to/from the buffer at boff; *done = bytes. */
word_t fs_read(word_t srv, word_t handle, word_t off, word_t len, word_t boff, word_t *done);
word_t fs_write(word_t srv, word_t handle, word_t off, word_t len, word_t boff, word_t *size);
word_t fs_size(word_t srv, word_t handle, word_t *size, word_t *kind);
word_t fs_truncate(word_t srv, word_t handle, word_t size);
word_t fs_remove(word_t srv, const char *path);
word_t fs_mkdir(word_t srv, const char *path);
word_t fs_rmdir(word_t srv, const char *path);
word_t fs_rename(word_t srv, const char *from, const char *to);
word_t fs_readdir(word_t srv, word_t handle, word_t *cookie, word_t boff, word_t room, word_t *count);
word_t fs_sync(word_t srv);

/* Put a path at MR[at]; the next free MR index, or 0 if it is too long. */
unsigned fs_put_path(unsigned at, const char *path);

#endif
