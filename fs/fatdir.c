/* SPDX-License-Identifier: MIT */
/*
 * FAT directories: 32-byte entries, long and short names (fat.h).
 *
 * A directory is a cluster chain (the FAT12/16 root: a fixed area) of
 * 32-byte entries. A file's short entry holds its 8.3 name, attributes,
 * first cluster and size. A long name (up to 255 UTF-16 units) is stored
 * in up to 20 entries of attribute 0x0f just before the short entry, the
 * last part first (its ordinal has bit 0x40), each carrying 13 units and
 * the checksum of the short name. A long name whose sequence is broken or
 * whose checksum does not match is ignored, and the short name stands, as
 * the specification asks. First byte 0xe5 marks a deleted entry, 0x00 the
 * end of the directory.
 *
 * Creating a name: a name that is already a valid upper-case 8.3 name is
 * stored as such; any other gets long-name entries and a generated short
 * name BASIS~N (upper case, invalid characters as '_', N the smallest
 * number not taken in the directory). The entries go into the first run of
 * free slots long enough; a directory chain grows by a zeroed cluster when
 * there is none; the FAT12/16 root cannot grow (FS_E_NO_SPACE).
 *
 * Names are compared without regard to ASCII case, against the long name
 * and the short name alike. Walks stop at FAT_DIR_MAX_ENTRIES entries, so
 * a directory whose chain loops is an error, not a hang.
 */
#include "fat.h"
#include <pagoda/error.h>
#include <lib/string.h>

#define FATDIR_ATTR_LFN 0x0f
#define FATDIR_ATTR_VOLUME 0x08
#define FATDIR_ATTR_DIR 0x10
#define FATDIR_LFN_UNITS 13
#define FATDIR_UNITS_MAX 255

static const uint8_t fatdir_lfn_off[FATDIR_LFN_UNITS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

uint32_t fatdir_root(const struct fat *fs)
{
	return fs->root_clu;
}

uint32_t fatdir_entry_clu(const uint8_t e[32])
{
	return ((uint32_t)e[26] | (uint32_t)e[27] << 8 | (uint32_t)e[20] << 16 | (uint32_t)e[21] << 24);
}

void fatdir_set_clu(uint8_t e[32], uint32_t c)
{
	e[26] = (uint8_t)c;
	e[27] = (uint8_t)(c >> 8);
	e[20] = (uint8_t)(c >> 16);
	e[21] = (uint8_t)(c >> 24);
}

int fatdir_seek(struct fat *fs, uint32_t dir, uint32_t i, struct fat_dirpos *p)
{
	uint32_t eps = fs->bps / 32, epc = fs->cbytes / 32, c = dir;
	int err;

	if (i > FAT_DIR_MAX_ENTRIES)
		return FS_E_CORRUPT;
	*p = (struct fat_dirpos){ .dir = dir, .i = i, .off = (i % eps) * 32 };
	if (dir == 0) {
		if (i / eps >= fs->root_secs)
			return FS_E_NOT_FOUND;
		p->lba = fs->root_lba + i / eps;
		return 0;
	}
	for (uint32_t k = i / epc; k; k--) {
		if ((err = fat_next(fs, c, &c)))
			return err;
		if (!c)
			return FS_E_NOT_FOUND;
	}
	if (c < 2 || c > fs->nclu + 1 || i == FAT_DIR_MAX_ENTRIES)
		return FS_E_CORRUPT;   /* a chain longer than a directory may be */
	p->clu = c;
	p->lba = (uint32_t)fat_clu_lba(fs, c) + (i % epc) / eps;
	return 0;
}

/* Append a zeroed cluster to directory chain after its cluster clu. */
static int fatdir_grow(struct fat *fs, uint32_t clu, uint32_t *c)
{
	uint8_t *b;
	int err = fat_alloc_chain(fs, clu, 1, c);

	for (uint32_t s = 0; !err && s < fs->spc; s++)
		err = bcache_zero(&fs->bc, fat_clu_lba(fs, *c) + s, &b);
	return err;
}

/*
 * Move p to the next entry. At the end of the directory: FS_E_NOT_FOUND,
 * or with grow a new cluster (FS_E_NO_SPACE where it cannot grow).
 */
int fatdir_step(struct fat *fs, struct fat_dirpos *p, bool grow)
{
	uint32_t c;
	int err;

	if (p->i + 1 >= FAT_DIR_MAX_ENTRIES)
		return grow ? FS_E_NO_SPACE : FS_E_CORRUPT;
	p->i++;
	p->off += 32;
	if (p->off < fs->bps)
		return 0;
	p->off = 0;
	p->lba++;
	if (p->dir == 0)
		return p->lba < fs->root_lba + fs->root_secs ? 0 : grow ? FS_E_NO_SPACE : FS_E_NOT_FOUND;
	if (p->lba < fat_clu_lba(fs, p->clu) + fs->spc)
		return 0;
	if ((err = fat_next(fs, p->clu, &c)))
		return err;
	if (!c && !grow)
		return FS_E_NOT_FOUND;
	if (!c && (err = fatdir_grow(fs, p->clu, &c)))
		return err;
	p->clu = c;
	p->lba = (uint32_t)fat_clu_lba(fs, c);
	return 0;
}

int fatdir_entry(struct fat *fs, const struct fat_dirpos *p, uint8_t e[32])
{
	uint8_t *b;
	int err = bcache_get(&fs->bc, p->lba, false, &b);

	if (!err)
		memcpy(e, b + p->off, 32);
	return err;
}

int fatdir_put(struct fat *fs, const struct fat_dirpos *p, const uint8_t e[32])
{
	uint8_t *b;
	int err = bcache_get(&fs->bc, p->lba, true, &b);

	if (!err)
		memcpy(b + p->off, e, 32);
	return err;
}

static uint8_t fatdir_checksum(const uint8_t *name11)
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name11[i]);
	return sum;
}

static char fatdir_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

static bool fatdir_same(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (fatdir_upper(a[i]) != fatdir_upper(b[i]))
			return false;
	return true;
}

/* ---- UTF-8 and UTF-16 ---- */

/* One code point from s (n bytes left); bytes used, 0 if malformed. */
static size_t fatdir_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
		   : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };

	if (len == 0 || len > n)
		return 0;
	*cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min[len] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp < 0xe000))
		return 0;
	return len;
}

/* name (UTF-8) as UTF-16 units; count, or 0 if malformed or too long. */
static size_t fatdir_to_utf16(const char *name, size_t len, uint16_t *u)
{
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = fatdir_utf8_decode((const uint8_t *)name + i, len - i, &cp);
		if (!k || n + (cp >= 0x10000 ? 2 : 1) > FATDIR_UNITS_MAX)
			return 0;
		if (cp >= 0x10000) {
			u[n++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			u[n++] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
		} else {
			u[n++] = (uint16_t)cp;
		}
		i += k;
	}
	return n;
}

/* n UTF-16 units as UTF-8 into out (FS_NAME_MAX + 1); length, 0 if it does not fit. */
static size_t fatdir_to_utf8(const uint16_t *u, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t cp = u[i];
		if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < n && u[i + 1] >= 0xdc00 && u[i + 1] < 0xe000)
			cp = 0x10000 + ((cp - 0xd800) << 10) + (u[++i] - 0xdc00);
		size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		if (o + k > FS_NAME_MAX)
			return 0;
		if (k == 1) {
			out[o++] = (char)cp;
			continue;
		}
		out[o++] = (char)((0xf00 >> k) | (cp >> (6 * (k - 1))));
		for (size_t j = k - 1; j-- > 0;)
			out[o++] = (char)(0x80 | ((cp >> (6 * j)) & 0x3f));
	}
	out[o] = 0;
	return o;
}

int fatdir_valid_name(const char *name, size_t len)
{
	uint16_t u[FATDIR_UNITS_MAX];

	if (len == 0 || len > FS_NAME_MAX || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return FS_E_NAME;
	if (name[len - 1] == '.' || name[len - 1] == ' ')
		return FS_E_NAME;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)name[i];
		if (c < 0x20 || c == 0x7f || strchr("\"*/:<>?\\|", c))
			return FS_E_NAME;
	}
	return fatdir_to_utf16(name, len, u) ? 0 : FS_E_NAME;
}

/* ---- reading entries ---- */

/* The 8.3 name of short entry e as text, with the NT lower-case flags. */
static size_t fatdir_short_text(const uint8_t e[32], char *out)
{
	size_t o = 0;
	int base = 8, ext = 3;

	while (base > 0 && e[base - 1] == ' ')
		base--;
	while (ext > 0 && e[8 + ext - 1] == ' ')
		ext--;
	for (int i = 0; i < base; i++) {
		char c = (char)(i == 0 && e[0] == 0x05 ? 0xe5 : e[i]);
		out[o++] = (e[12] & 0x08) && c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	if (ext)
		out[o++] = '.';
	for (int i = 0; i < ext; i++) {
		char c = (char)e[8 + i];
		out[o++] = (e[12] & 0x10) && c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	out[o] = 0;
	return o;
}

/* A long name being collected, last part first. */
struct fatdir_lfn {
	uint16_t u[20 * FATDIR_LFN_UNITS];
	uint32_t first_i;
	uint8_t expect, parts, csum;   /* expect: ordinal wanted next; 0: none pending */
	bool complete;
};

static void fatdir_lfn_take(struct fatdir_lfn *l, const uint8_t e[32], uint32_t i)
{
	uint8_t ord = e[0] & 0x1f;

	if (e[0] & 0x40) {
		*l = (struct fatdir_lfn){ .first_i = i, .parts = ord, .csum = e[13] };
		l->expect = ord;
	}
	if (ord == 0 || ord > 20 || ord != l->expect || e[13] != l->csum) {
		l->expect = 0;
		l->complete = false;
		return;
	}
	for (int k = 0; k < FATDIR_LFN_UNITS; k++)
		l->u[(ord - 1) * FATDIR_LFN_UNITS + k] = (uint16_t)(e[fatdir_lfn_off[k]] | e[fatdir_lfn_off[k] + 1] << 8);
	l->expect = ord - 1;
	l->complete = ord == 1;
}

/* Fill f->d from short entry e and the long name before it, if valid. */
static void fatdir_describe(const struct fatdir_lfn *l, const uint8_t e[32], struct fat_found *f)
{
	size_t n = 0;

	memcpy(f->e, e, 32);
	f->first_i = f->pos.i;
	f->d.name_len = 0;
	if (l->complete && fatdir_checksum(e) == l->csum) {
		while (n < (size_t)l->parts * FATDIR_LFN_UNITS && l->u[n] != 0)
			n++;
		f->d.name_len = n ? (uint32_t)fatdir_to_utf8(l->u, n, f->d.name) : 0;
		f->first_i = f->d.name_len ? l->first_i : f->pos.i;
	}
	if (!f->d.name_len)
		f->d.name_len = (uint32_t)fatdir_short_text(e, f->d.name);
	f->d.is_dir = (e[11] & FATDIR_ATTR_DIR) != 0;
	f->d.size = f->d.is_dir ? 0 : (uint32_t)e[28] | (uint32_t)e[29] << 8 | (uint32_t)e[30] << 16 |
		(uint32_t)e[31] << 24;
}

/*
 * The next live entry at index *i or after (volume labels skipped), with
 * its name; *i moves past it. FS_E_NOT_FOUND at the end.
 */
int fatdir_next(struct fat *fs, uint32_t dir, uint32_t *i, struct fat_found *f)
{
	struct fatdir_lfn l = { 0 };
	uint8_t e[32];
	int err = fatdir_seek(fs, dir, *i, &f->pos);

	for (; !err; err = fatdir_step(fs, &f->pos, false)) {
		if ((err = fatdir_entry(fs, &f->pos, e)))
			return err;
		if (e[0] == 0)
			break;
		if (e[0] == 0xe5) {
			l.expect = 0;
			l.complete = false;
		} else if ((e[11] & 0x3f) == FATDIR_ATTR_LFN) {
			fatdir_lfn_take(&l, e, f->pos.i);
		} else if (e[11] & FATDIR_ATTR_VOLUME) {
			l.complete = false;
		} else {
			fatdir_describe(&l, e, f);
			*i = f->pos.i + 1;
			return 0;
		}
	}
	*i = f->pos.i;
	return err ? err : FS_E_NOT_FOUND;
}

int fatdir_lookup(struct fat *fs, uint32_t dir, const char *name, size_t len, struct fat_found *f)
{
	char sn[13];
	uint32_t i = 0;
	int err;

	while (!(err = fatdir_next(fs, dir, &i, f))) {
		size_t sl = fatdir_short_text(f->e, sn);
		if (fatdir_same(name, len, f->d.name, f->d.name_len) || fatdir_same(name, len, sn, sl))
			return 0;
	}
	return err;
}

/* ---- creating entries ---- */

static bool fatdir_short_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("!#$%&'()-@^_`{}~", c));
}

/* If name is a valid upper-case 8.3 name, its 11 bytes into s11. */
static bool fatdir_is_short(const char *name, size_t len, uint8_t s11[11])
{
	const char *dot = NULL;
	size_t base, ext;

	for (size_t i = 0; i < len && !dot; i++)
		dot = name[i] == '.' ? name + i : NULL;
	base = dot ? (size_t)(dot - name) : len;
	ext = dot ? len - base - 1 : 0;

	if (base == 0 || base > 8 || ext > 3 || (dot && ext == 0))
		return false;
	memset(s11, ' ', 11);
	for (size_t i = 0; i < len; i++) {
		if (name + i == dot)
			continue;
		if (!fatdir_short_char(name[i]))
			return false;
		s11[name + i < dot || !dot ? i : 8 + (i - base - 1)] = (uint8_t)name[i];
	}
	return true;
}

/* Up to max short-name characters of name[from, to) into out: upper
 * case, spaces and dots dropped, anything else invalid as '_'. */
static size_t fatdir_basis_part(const char *name, size_t from, size_t to, uint8_t *out, size_t max)
{
	size_t o = 0;

	for (size_t i = from; i < to && o < max; i++) {
		char c = fatdir_upper(name[i]);
		if (c == ' ' || c == '.')
			continue;
		if ((uint8_t)c >= 0x80 && ((uint8_t)c & 0xc0) == 0x80)
			continue;   /* one '_' per non-ASCII character */
		out[o++] = (uint8_t)(fatdir_short_char(c) ? c : '_');
	}
	return o;
}

/* Is the 11-byte short name taken in dir? */
static int fatdir_short_taken(struct fat *fs, uint32_t dir, const uint8_t s11[11], bool *taken)
{
	struct fat_found f;
	uint32_t i = 0;
	int err;

	*taken = false;
	while (!(err = fatdir_next(fs, dir, &i, &f)))
		if (!memcmp(f.e, s11, 11)) {
			*taken = true;
			return 0;
		}
	return err == FS_E_NOT_FOUND ? 0 : err;
}

/* A generated short name BASIS~N not yet in dir. */
static int fatdir_make_short(struct fat *fs, uint32_t dir, const char *name, size_t len, uint8_t s11[11])
{
	uint8_t base[8], ext[3];
	size_t dot = len, nb, ne = 0;
	bool taken;
	int err;

	for (size_t i = len; i-- > 1;)
		if (name[i] == '.') {
			dot = i;
			break;
		}
	nb = fatdir_basis_part(name, 0, dot, base, 8);
	if (dot < len)
		ne = fatdir_basis_part(name, dot + 1, len, ext, 3);
	if (nb == 0)
		base[nb++] = '_';
	for (uint32_t n = 1; n < 1000000; n++) {
		char tail[8];
		size_t tl = 0, keep;
		for (uint32_t v = n; v; v /= 10)
			tail[tl++] = (char)('0' + v % 10);
		keep = nb < 7 - tl ? nb : 7 - tl;
		memset(s11, ' ', 11);
		memcpy(s11, base, keep);
		s11[keep] = '~';
		for (size_t k = 0; k < tl; k++)
			s11[keep + 1 + k] = (uint8_t)tail[tl - 1 - k];
		memcpy(s11 + 8, ext, ne);
		if ((err = fatdir_short_taken(fs, dir, s11, &taken)))
			return err;
		if (!taken)
			return 0;
	}
	return FS_E_NO_SPACE;
}

/* The first run of n free entries in dir (growing it if need be). */
static int fatdir_find_free(struct fat *fs, uint32_t dir, uint32_t n, uint32_t *start)
{
	struct fat_dirpos p;
	uint32_t run = 0;
	uint8_t e[32];
	int err = fatdir_seek(fs, dir, 0, &p);

	while (!err) {
		if ((err = fatdir_entry(fs, &p, e)))
			return err;
		if (e[0] == 0 || e[0] == 0xe5) {
			*start = run++ ? *start : p.i;
			if (run == n)
				return 0;
		} else {
			run = 0;
		}
		err = fatdir_step(fs, &p, true);
	}
	return err;
}

static void fatdir_lfn_entry(uint8_t e[32], const uint16_t *u, size_t n, uint8_t ord, bool last, uint8_t csum)
{
	memset(e, 0, 32);
	e[0] = (uint8_t)(ord | (last ? 0x40 : 0));
	e[11] = FATDIR_ATTR_LFN;
	e[13] = csum;
	for (size_t k = 0; k < FATDIR_LFN_UNITS; k++) {
		size_t at = (ord - 1) * FATDIR_LFN_UNITS + k;
		uint16_t v = at < n ? u[at] : at == n ? 0 : 0xffff;
		e[fatdir_lfn_off[k]] = (uint8_t)v;
		e[fatdir_lfn_off[k] + 1] = (uint8_t)(v >> 8);
	}
}

/*
 * Add name to dir (which must not hold it) with the other fields of
 * proto; *at = where its short entry went.
 */
int fatdir_create(struct fat *fs, uint32_t dir, const char *name, size_t len, const uint8_t proto[32],
		  struct fat_dirpos *at)
{
	uint16_t u[FATDIR_UNITS_MAX];
	uint8_t s11[11], e[32];
	size_t nu = fatdir_to_utf16(name, len, u);
	uint32_t parts = 0, start;
	int err;

	if (fatdir_valid_name(name, len))
		return FS_E_NAME;
	if (!fatdir_is_short(name, len, s11)) {
		if ((err = fatdir_make_short(fs, dir, name, len, s11)))
			return err;
		parts = (uint32_t)((nu + FATDIR_LFN_UNITS - 1) / FATDIR_LFN_UNITS);
	}
	if ((err = fatdir_find_free(fs, dir, parts + 1, &start)) || (err = fatdir_seek(fs, dir, start, at)))
		return err;
	for (uint32_t k = parts; k >= 1; k--) {
		fatdir_lfn_entry(e, u, nu, (uint8_t)k, k == parts, fatdir_checksum(s11));
		if ((err = fatdir_put(fs, at, e)) || (err = fatdir_step(fs, at, false)))
			return err;
	}
	memcpy(e, proto, 32);
	memcpy(e, s11, 11);
	e[12] = 0;
	return fatdir_put(fs, at, e);
}

/* Mark entries first_i..short_i of dir deleted. */
int fatdir_delete(struct fat *fs, uint32_t dir, uint32_t first_i, uint32_t short_i)
{
	struct fat_dirpos p;
	uint8_t e[32];
	int err = fatdir_seek(fs, dir, first_i, &p);

	for (; !err; err = fatdir_step(fs, &p, false)) {
		if ((err = fatdir_entry(fs, &p, e)))
			return err;
		e[0] = 0xe5;
		if ((err = fatdir_put(fs, &p, e)) || p.i == short_i)
			return err;
	}
	return err;
}
