/* SPDX-License-Identifier: MIT */
/*
 * The file pager's protocol (pagers/file.c; docs/abi.md §16.6,
 * docs/files.md). A client of the file pager (boot.cfg
 * `pager=pagers/file`) maps files of the FAT server into its space.
 * Requests are calls; success is label 0, a refusal SIGMA0_REPLY_ERROR
 * (0x53ff) with MR1 = the error (enum pagoda_error, or the FAT server's
 * FS_E_* for the file).
 *
 *   FILE_LABEL_MAP    MR1 = va, MR2 = size, MR3 = file offset (all page
 *                     aligned, size > 0), MR4 = flags, MR5.. = the path
 *                     as in the file-system protocol (a length word, then
 *                     the bytes; include/pagoda/fs.h). Reply u = 1: MR1 =
 *                     the file's size. Pages past the end of the file are
 *                     mapped when the file has grown to them.
 *   FILE_LABEL_SYNC   MR1 = va, MR2 = size, MR3 = FILE_SYNC_* flags: the
 *                     dirty pages of the range are written to the file and
 *                     the file system synced (msync). With INVALIDATE the
 *                     range's cached pages are dropped afterwards, so the
 *                     next access reads the file again (after the client
 *                     wrote it through the FAT server).
 *   FILE_LABEL_UNMAP  MR1 = va of a mapping: its dirty pages are written
 *                     back and the mapping goes.
 *   FILE_LABEL_FS     reply u = 1: MR1 = the FAT server's thread id (for
 *                     read, write, create, truncate through fs.h).
 *   FILE_LABEL_STATS  reply u = 5: MR1 = pages in the cache, MR2 = its
 *                     bound, MR3 = pages read from the file, MR4 = pages
 *                     written back, MR5 = pages evicted.
 */
#ifndef PAGODA_FILE_H
#define PAGODA_FILE_H

#define FILE_LABEL_MAP 0x6401
#define FILE_LABEL_SYNC 0x6402
#define FILE_LABEL_UNMAP 0x6403
#define FILE_LABEL_FS 0x6404
#define FILE_LABEL_STATS 0x6405

enum file_map_flags {
	FILE_MAP_SHARED = 1,     /* writes reach the file */
	FILE_MAP_PRIVATE = 2,    /* copy on write: writes never reach the file */
	FILE_MAP_WRITE = 4,      /* writable (else read-only) */
};

enum file_sync_flags {
	FILE_SYNC_INVALIDATE = 1,
};

/* The pager's tables are shared by its clients: one client has at most
 * FILE_MAPS_PER_CLIENT mappings at once (so also at most that many files
 * open through the pager); a MAP beyond is refused with FILE_E_LIMIT. */
#define FILE_MAPS_PER_CLIENT 8u

enum file_error {
	FILE_E_LIMIT = 0x6481,   /* the client has FILE_MAPS_PER_CLIENT mappings already */
};

#endif
