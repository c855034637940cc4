/* SPDX-License-Identifier: MIT */
/*
 * The file-system protocol, served by the FAT server (fs/fatserv.c) to its
 * clients (the file pager, programs, tests). docs/abi.md §16.6 and
 * docs/files.md describe it; this header is its layout.
 *
 * Every request is a call. Success: label 0 and the reply words listed.
 * Failure: label FS_REPLY_ERROR, u = 1, MR1 = an error code (enum
 * fs_error below, or E_BAD_ARGUMENT / E_NO_MEMORY of pagoda/error.h).
 * A refused request changes nothing.
 *
 * File bytes travel through a shared buffer, as in the block protocol:
 * FS_LABEL_SHARE maps the caller's private buffer of FS_BUF_SIZE bytes
 * (RW) into its receive window; READ and WRITE name an offset in it. One
 * call moves up to FS_IO_MAX bytes, so a file pager reads or writes one
 * 4 KiB page of a file at any offset with one call.
 *
 * Paths travel in message registers: one word holding the length in bytes
 * (at most FS_PATH_MAX), then the bytes packed eight to a word, little
 * endian (a memcpy of the string into the words), fs_path_words(len) words
 * in all. Components are separated by '/', a leading '/' is optional, the
 * empty path and "/" name the root directory; "." and ".." components are
 * refused (FS_E_NAME). Names are UTF-8, compared without regard to ASCII
 * case, at most FS_NAME_MAX bytes.
 *
 * Handles are the server's: a word that names one open file of one client
 * (the calling thread); another thread's handle is FS_E_BAD_HANDLE.
 */
#ifndef PAGODA_FS_H
#define PAGODA_FS_H

#include <pagoda/types.h>

enum fs_label {
	/* reply u = 5: MR1 = FS_BUF_SIZE, MR2 = FAT type (12, 16, 32),
	 * MR3 = cluster bytes, MR4 = data bytes in all, MR5 = free bytes */
	FS_LABEL_INFO = 0x6301,
	/* receive window in br[0] (at least FS_BUF_SIZE); reply t = 2: one map
	 * item, the caller's buffer, FS_BUF_SIZE bytes, RW (the same buffer
	 * again on a later call) */
	FS_LABEL_SHARE = 0x6302,
	/* MR1 = enum fs_open_flags, MR2.. = path. Reply u = 3: MR1 = handle,
	 * MR2 = size in bytes, MR3 = enum fs_kind */
	FS_LABEL_OPEN = 0x6303,
	/* MR1 = handle; the handle is no longer valid */
	FS_LABEL_CLOSE = 0x6304,
	/* MR1 = handle, MR2 = file offset, MR3 = length (≤ FS_IO_MAX),
	 * MR4 = buffer offset (length + buffer offset ≤ FS_BUF_SIZE). Reply
	 * u = 1: MR1 = bytes of the file read (fewer than asked only at end of
	 * file); the rest of the buffer range is filled with zeros */
	FS_LABEL_READ = 0x6305,
	/* as READ; the bytes are written at the file offset, extending the
	 * file (a gap reads as zeros). Reply u = 2: MR1 = bytes written (all),
	 * MR2 = the file's size afterwards */
	FS_LABEL_WRITE = 0x6306,
	/* MR1 = handle. Reply u = 2: MR1 = size, MR2 = enum fs_kind */
	FS_LABEL_SIZE = 0x6307,
	/* MR1 = handle, MR2 = new size: shrinks, or extends with zeros */
	FS_LABEL_TRUNCATE = 0x6308,
	/* MR1.. = path of a file (not a directory; not open) */
	FS_LABEL_REMOVE = 0x6309,
	/* MR1.. = old path, then right after it the new path; the new path
	 * must not exist; a directory must not move into itself */
	FS_LABEL_RENAME = 0x630a,
	/* MR1.. = path of a new directory */
	FS_LABEL_MKDIR = 0x630b,
	/* MR1.. = path of an empty directory (not open) */
	FS_LABEL_RMDIR = 0x630c,
	/* MR1 = handle of a directory, MR2 = cookie (0: from the start),
	 * MR3 = buffer offset (8-aligned), MR4 = bytes there (room for one
	 * record at least). The entries
	 * ("." and ".." left out) are written as struct fs_dirent records.
	 * Reply u = 2: MR1 = records written, MR2 = the cookie that continues
	 * (FS_DIR_END when the directory is done) */
	FS_LABEL_READDIR = 0x630d,
	/* write every changed block to the disk, then flush the disk */
	FS_LABEL_SYNC = 0x630e,
	FS_REPLY_OK = 0,
	FS_REPLY_ERROR = 0x63ff,
};

enum fs_open_flags {
	FS_OPEN_CREATE = 1,  /* create the file if it does not exist */
	FS_OPEN_EXCL = 2,    /* with CREATE: FS_E_EXISTS if it exists */
	FS_OPEN_TRUNC = 4,   /* truncate to 0 bytes */
	FS_OPEN_DIR = 8,     /* open a directory (for READDIR) */
	FS_OPEN_ALL = 15,
};

enum fs_kind {
	FS_KIND_FILE = 1,
	FS_KIND_DIR = 2,
};

/* Error codes (MR1 of FS_REPLY_ERROR), numbered apart from pagoda_error;
 * append only. */
enum fs_error {
	FS_E_NOT_FOUND = 64,  /* no such file or directory (or a path component) */
	FS_E_EXISTS = 65,     /* the name exists (create EXCL, mkdir, rename) */
	FS_E_NOT_DIR = 66,    /* a path component, or an OPEN_DIR target, is a file */
	FS_E_IS_DIR = 67,     /* a directory opened, removed or truncated as a file */
	FS_E_NOT_EMPTY = 68,  /* rmdir of a directory with entries */
	FS_E_NO_SPACE = 69,   /* no free cluster, or a full FAT12/16 root directory */
	FS_E_CORRUPT = 70,    /* the image is damaged here (chain, boot sector, entry) */
	FS_E_IO = 71,         /* the block device refused a request */
	FS_E_NAME = 72,       /* a malformed name or path */
	FS_E_BAD_HANDLE = 73, /* no such open file of the caller */
	FS_E_TOO_MANY = 74,   /* open files, or clients, exhausted */
	FS_E_TOO_BIG = 75,    /* beyond the 4 GiB - 1 file size of FAT */
	FS_E_BUSY = 76,       /* removing or moving over an open file */
	FS_E_LIMIT = 77,      /* the caller has FS_OPEN_PER_CALLER files open already */
};

/* The FAT server's table of open files is shared by all its callers; one
 * caller (thread) holds at most this many of its entries at once, so
 * that it cannot fill the table for the others (docs/abi.md §16.6). */
#define FS_OPEN_PER_CALLER 32u

#define FS_BUF_SIZE ((word_t)128 << 10)   /* one client's shared buffer */
#define FS_IO_MAX ((word_t)64 << 10)      /* bytes per READ or WRITE */
#define FS_PATH_MAX 240u                  /* bytes of a path */
#define FS_NAME_MAX 255u                  /* bytes of one name (UTF-8) */
#define FS_DIR_END (~(word_t)0)           /* READDIR's last cookie */

/* One directory entry as READDIR writes it (8-aligned, 272 bytes). */
struct fs_dirent {
	uint64_t size;                    /* bytes (0 for a directory) */
	uint32_t kind;                    /* enum fs_kind */
	uint32_t name_len;                /* bytes of name, without the NUL */
	char name[FS_NAME_MAX + 1];       /* UTF-8, NUL-terminated */
};
_Static_assert(sizeof(struct fs_dirent) == 272, "fs_dirent layout is ABI");

/* Message words a path of len bytes takes (its length word included). */
static inline unsigned fs_path_words(word_t len)
{
	return 1 + (unsigned)((len + 7) / 8);
}

/* Two paths (RENAME) fit in the 63 message registers of one message. */
_Static_assert(2 * (1 + (FS_PATH_MAX + 7) / 8) <= 63, "two paths fit in one message");

#endif
