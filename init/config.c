/* SPDX-License-Identifier: MIT */
/*
 * The boot configuration: plain text, one task per line.
 *
 *   # comment
 *   @shutdown                      end the machine when every task is done
 *   @expect-skipped N              N lines are bad on purpose (tests)
 *   IMAGE [OPTION...] [--] [ARG...]
 *
 * Options: pager=NAME (init, sigma0, or the image name of an earlier
 * task), prio=N (1..254), priv (may use privileged system calls, and
 * ask sigma0 for device memory), devices (may ask sigma0 for device
 * memory), expect=N (the exit status the task must end with), expect=fault
 * (the task must be stopped by a fault) or expect=killed (init must end
 * it: its pager was silent), kmem=KiB (its kernel-memory quota), mem=SIZE
 * (the RAM it may take from sigma0: bytes, or with K, M or G; by default
 * all there is for privileged and pager tasks, none for others). The
 * first word that is not an option,
 * or everything after "--", is the task's argument list; the image name
 * itself becomes argv[0]. Any other KEY=VALUE option is the pager's
 * (colours=0-7 for rt-alloc/colour): init hands it to the task's pager
 * task with PAGER_OPTION, and a task paged by init may have none. A
 * malformed line is reported with its number and skipped.
 */
#include "init.h"

bool config_shutdown;             /* @shutdown seen */
bool config_expect_leak;          /* @expect-leak seen (tests of the check) */
unsigned config_skipped;          /* lines reported and skipped (init.c adds its own) */
int config_expect_skipped;        /* @expect-skipped N: lines that must be skipped */

static bool config_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Next whitespace-separated word of [*p, end) into buf; false at the end. */
static bool config_word(const char **p, const char *end, char *buf, size_t size)
{
	size_t n = 0;

	while (*p < end && config_is_space(**p))
		(*p)++;
	if (*p >= end)
		return false;
	while (*p < end && !config_is_space(**p)) {
		if (n + 1 < size)
			buf[n++] = **p;
		(*p)++;
	}
	buf[n] = '\0';
	return true;
}

static bool config_number(const char *s, int *out)
{
	int v = 0, sign = 1;

	if (*s == '-')
		sign = -1, s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v * sign;
	return true;
}

/* "64M", "512K", "1G", "0", "8192": bytes, a multiple of 4 KiB. */
static bool config_size(const char *s, word_t *out)
{
	char num[16];
	size_t n = strlen(s);
	word_t unit = 1;
	int v;

	if (n && (s[n - 1] == 'K' || s[n - 1] == 'M' || s[n - 1] == 'G'))
		unit = (word_t)1 << (s[n - 1] == 'K' ? 10 : s[n - 1] == 'M' ? 20 : 30), n--;
	if (n == 0 || n >= sizeof(num) || *s == '-')
		return false;
	memcpy(num, s, n);
	num[n] = '\0';
	if (!config_number(num, &v))
		return false;
	*out = (word_t)v * unit;
	return *out % 4096 == 0;
}

/* Keep KEY=VALUE for the task's pager (checked there, at start). */
static void config_popt(struct task_conf *c, const char *w, const char **bad)
{
	size_t n = strlen(c->popts);

	if (strlen(w) > PAGER_OPTION_MAX || n + 1 + strlen(w) >= TASK_ARGS_MAX) {
		*bad = "pager option too long";
		return;
	}
	if (n)
		c->popts[n++] = ' ';
	strlcpy(c->popts + n, w, TASK_ARGS_MAX - n);
}

/* Apply one option word; false if it is not an option at all, and *bad
 * set if it looks like one but is malformed. */
static bool config_option(struct task_conf *c, const char *w, const char **bad)
{
	int v;

	if (!strcmp(w, "priv")) {
		c->priv = true;
	} else if (!strcmp(w, "devices")) {
		c->devices = true;
	} else if (!strncmp(w, "pager=", 6)) {
		if (!w[6] || strlen(w + 6) >= NAME_MAX)
			*bad = "bad pager name";
		strlcpy(c->pager, w + 6, NAME_MAX);
	} else if (!strncmp(w, "prio=", 5)) {
		if (!config_number(w + 5, &v) || v < 1 || v > 254)
			*bad = "prio must be 1..254";
		c->prio = (unsigned)v;
	} else if (!strncmp(w, "expect=", 7)) {
		if (!strcmp(w + 7, "fault"))
			c->expect = EXPECT_FAULT;
		else if (!strcmp(w + 7, "killed"))
			c->expect = EXPECT_KILLED;
		else if (!config_number(w + 7, &c->expect))
			*bad = "expect must be a number, 'fault' or 'killed'";
	} else if (!strncmp(w, "kmem=", 5)) {
		if (!config_number(w + 5, &v) || v < 64 || v > 1000000)
			*bad = "kmem must be 64..1000000 (KiB)";
		c->kmem_kib = (unsigned)v;
	} else if (!strncmp(w, "mem=", 4)) {
		if (!config_size(w + 4, &c->mem_bytes))
			*bad = "mem must be a size: N (bytes, a multiple of 4096), NK, NM or NG";
		c->mem_set = true;
	} else if (strchr(w, '=') && w[0] != '=') {
		config_popt(c, w, bad);
	} else {
		if (strchr(w, '='))
			*bad = "unknown option";
		return strchr(w, '=') != NULL;
	}
	return true;
}

/* Append word w to the argument string. */
static void config_arg(struct task_conf *c, const char *w)
{
	size_t n = strlen(c->args);

	if (n && n + 1 < TASK_ARGS_MAX)
		c->args[n++] = ' ';
	strlcpy(c->args + n, w, TASK_ARGS_MAX - n);
}

/* Parse one line; returns 1 for a task, 0 for nothing, -1 on error. */
static int config_line(const char *p, const char *end, unsigned lineno, struct task_conf *c)
{
	char w[TASK_ARGS_MAX];
	const char *bad = NULL;
	bool args = false, directive;

	if (!config_word(&p, end, w, sizeof(w)) || w[0] == '#')
		return 0;
	directive = w[0] == '@';
	if (directive && !strcmp(w, "@expect-skipped")) {
		if (!config_word(&p, end, w, sizeof(w)) ||
		    !config_number(w, &config_expect_skipped) || config_expect_skipped < 0)
			bad = "@expect-skipped needs a count";
	} else if (directive) {
		if (!strcmp(w, "@shutdown"))
			config_shutdown = true;
		else if (!strcmp(w, "@expect-leak"))
			config_expect_leak = true;
		else
			bad = "unknown directive";
	} else {
		memset(c, 0, sizeof(*c));
		c->line = lineno;
		c->prio = 100;
		strlcpy(c->pager, "init", NAME_MAX);
		if (strlen(w) >= NAME_MAX)
			bad = "image name too long";
		strlcpy(c->image, w, NAME_MAX);
		config_arg(c, w);
		while (!bad && config_word(&p, end, w, sizeof(w))) {
			if (!args && !strcmp(w, "--"))
				args = true;
			else if (args || !config_option(c, w, &bad))
				args = true, config_arg(c, w);
		}
		if (!bad && c->popts[0] && !strcmp(c->pager, "init"))
			bad = "unknown option";       /* init takes no KEY=VALUE of its own */
	}
	if (bad) {
		printf("init: boot.cfg:%u: %s\n", lineno, bad);
		return -1;
	}
	return directive ? 0 : 1;
}

int config_parse(const char *text, size_t len, struct task_conf *out, int max)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	int n = 0;

	while (p < end) {
		const char *eol = p;
		while (eol < end && *eol != '\n')
			eol++;
		lineno++;
		if (n >= max) {
			printf("init: boot.cfg:%u: too many tasks (at most %d)\n", lineno, max);
			config_skipped++;
			break;
		}
		int kind = config_line(p, eol, lineno, &out[n]);
		n += kind == 1;
		config_skipped += kind < 0;
		p = eol + 1;
	}
	return n;
}
