/* SPDX-License-Identifier: MIT */
/*
 * The memory-mapped file demo (init/file.cfg, README): a client of the
 * file pager maps a text file of the disk (argument: its path, default
 * /NOTE.TXT) shared and writable, changes it in place through the mapping
 * (lower case to upper case), syncs, unmaps and exits. The host then reads
 * the change with mtype.
 */
#include <libmap.h>
#include <pagoda/file.h>
#include <pagoda/fs.h>

#define MAP_VA 0x400000000000ull
#define MAP_SIZE (1ul << 20)

static word_t call(word_t label, unsigned u_words)
{
	word_t err;

	msg_tag(label, u_words, 0);
	err = ipc_call(utcb()->pager);
	if (err)
		return err;
	return tag_label(utcb()->mr[0]) ? utcb()->mr[1] : E_OK;
}

/* FILE_LABEL_MAP of path at MAP_VA; the file's size in *size. */
static word_t map(const char *path, word_t *size)
{
	struct utcb *u = utcb();
	word_t len = strlen(path), err;

	if (len > FS_PATH_MAX)
		return E_BAD_ARGUMENT;
	u->mr[1] = MAP_VA;
	u->mr[2] = MAP_SIZE;
	u->mr[3] = 0;
	u->mr[4] = FILE_MAP_SHARED | FILE_MAP_WRITE;
	u->mr[5] = len;
	memset(&u->mr[6], 0, (len + 7) / 8 * 8);
	memcpy(&u->mr[6], path, len);
	if ((err = call(FILE_LABEL_MAP, 4 + fs_path_words(len))))
		return err;
	*size = u->mr[1];
	return E_OK;
}

/* The first line of the text (at most 60 bytes) as a string. */
static const char *first_line(const char *text, word_t n)
{
	static char line[61];
	word_t i;

	for (i = 0; i < MIN(n, (word_t)60) && text[i] != '\n'; i++)
		line[i] = text[i];
	line[i] = 0;
	return line;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/NOTE.TXT";
	char *text = (char *)MAP_VA;
	word_t size, err, n;

	if ((err = map(path, &size))) {
		printf("filedemo: cannot map %s: error %lx\n", path, err);
		return 1;
	}
	n = MIN(size, MAP_SIZE);
	printf("filedemo: %s (%lu bytes) reads \"%s\"\n", path, size, first_line(text, n));
	for (word_t i = 0; i < n; i++)
		if (text[i] >= 'a' && text[i] <= 'z')
			text[i] = (char)(text[i] - 'a' + 'A');
	printf("filedemo: now it reads \"%s\"\n", first_line(text, n));
	utcb()->mr[1] = MAP_VA;
	utcb()->mr[2] = MAP_SIZE;
	utcb()->mr[3] = 0;
	if ((err = call(FILE_LABEL_SYNC, 3)) ||
	    (utcb()->mr[1] = MAP_VA, err = call(FILE_LABEL_UNMAP, 1))) {
		printf("filedemo: sync or unmap failed: error %lx\n", err);
		return 1;
	}
	printf("filedemo: written back; read it on the host with mtype\n");
	return 0;
}
