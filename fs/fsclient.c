/* SPDX-License-Identifier: MIT */
/* A client of the file-system protocol (fsclient.h). */
#include "fsclient.h"

/* Call srv with the message as set; E_OK, the refusal's code, or the IPC error. */
static word_t fs_call(word_t srv)
{
	struct utcb *u = utcb();
	word_t err = ipc_call(srv);

	if (err)
		return err;
	return tag_label(u->mr[0]) ? u->mr[1] : E_OK;
}

unsigned fs_put_path(unsigned at, const char *path)
{
	struct utcb *u = utcb();
	size_t len = strlen(path);

	if (len > FS_PATH_MAX)
		return 0;
	u->mr[at] = len;
	memset(&u->mr[at + 1], 0, (len + 7) / 8 * 8);
	memcpy(&u->mr[at + 1], path, len);
	return at + fs_path_words(len);
}

word_t fs_info(word_t srv, struct fs_info *info)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(FS_LABEL_INFO, 0, 0);
	if ((err = fs_call(srv)))
		return err;
	*info = (struct fs_info){ u->mr[1], u->mr[2], u->mr[3], u->mr[4], u->mr[5] };
	return E_OK;
}

word_t fs_share(word_t srv, word_t va)
{
	word_t err;

	msg_tag(FS_LABEL_SHARE, 0, 0);
	msg_accept(fpage_make(va, 17, FPAGE_RW));
	err = fs_call(srv);
	msg_accept(FPAGE_NIL);
	return err;
}

word_t fs_open(word_t srv, const char *path, word_t flags, word_t *handle, word_t *size, word_t *kind)
{
	struct utcb *u = utcb();
	unsigned end = fs_put_path(2, path);
	word_t err;

	if (!end)
		return FS_E_NAME;
	msg_tag(FS_LABEL_OPEN, end - 1, 0);
	u->mr[1] = flags;
	if ((err = fs_call(srv)))
		return err;
	*handle = u->mr[1];
	if (size)
		*size = u->mr[2];
	if (kind)
		*kind = u->mr[3];
	return E_OK;
}

static word_t fs_handle_call(word_t srv, word_t label, unsigned u_words, word_t h, word_t a, word_t b,
			     word_t c)
{
	struct utcb *u = utcb();

	msg_tag(label, u_words, 0);
	u->mr[1] = h;
	u->mr[2] = a;
	u->mr[3] = b;
	u->mr[4] = c;
	return fs_call(srv);
}

word_t fs_close(word_t srv, word_t handle)
{
	return fs_handle_call(srv, FS_LABEL_CLOSE, 1, handle, 0, 0, 0);
}

word_t fs_read(word_t srv, word_t handle, word_t off, word_t len, word_t boff, word_t *done)
{
	word_t err = fs_handle_call(srv, FS_LABEL_READ, 4, handle, off, len, boff);

	if (!err && done)
		*done = utcb()->mr[1];
	return err;
}

word_t fs_write(word_t srv, word_t handle, word_t off, word_t len, word_t boff, word_t *size)
{
	word_t err = fs_handle_call(srv, FS_LABEL_WRITE, 4, handle, off, len, boff);

	if (!err && size)
		*size = utcb()->mr[2];
	return err;
}

word_t fs_size(word_t srv, word_t handle, word_t *size, word_t *kind)
{
	word_t err = fs_handle_call(srv, FS_LABEL_SIZE, 1, handle, 0, 0, 0);

	if (!err) {
		*size = utcb()->mr[1];
		if (kind)
			*kind = utcb()->mr[2];
	}
	return err;
}

word_t fs_truncate(word_t srv, word_t handle, word_t size)
{
	return fs_handle_call(srv, FS_LABEL_TRUNCATE, 2, handle, size, 0, 0);
}

static word_t fs_path_call(word_t srv, word_t label, const char *path)
{
	unsigned end = fs_put_path(1, path);

	if (!end)
		return FS_E_NAME;
	msg_tag(label, end - 1, 0);
	return fs_call(srv);
}

word_t fs_remove(word_t srv, const char *path)
{
	return fs_path_call(srv, FS_LABEL_REMOVE, path);
}

word_t fs_mkdir(word_t srv, const char *path)
{
	return fs_path_call(srv, FS_LABEL_MKDIR, path);
}

word_t fs_rmdir(word_t srv, const char *path)
{
	return fs_path_call(srv, FS_LABEL_RMDIR, path);
}

word_t fs_rename(word_t srv, const char *from, const char *to)
{
	unsigned mid = fs_put_path(1, from), end = mid ? fs_put_path(mid, to) : 0;

	if (!end)
		return FS_E_NAME;
	msg_tag(FS_LABEL_RENAME, end - 1, 0);
	return fs_call(srv);
}

word_t fs_readdir(word_t srv, word_t handle, word_t *cookie, word_t boff, word_t room, word_t *count)
{
	word_t err = fs_handle_call(srv, FS_LABEL_READDIR, 4, handle, *cookie, boff, room);

	if (!err) {
		*count = utcb()->mr[1];
		*cookie = utcb()->mr[2];
	}
	return err;
}

word_t fs_sync(word_t srv)
{
	msg_tag(FS_LABEL_SYNC, 0, 0);
	return fs_call(srv);
}
