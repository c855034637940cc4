/* SPDX-License-Identifier: MIT */
/* The user-program runtime: start-up, console output and exit. */
#include <libmap.h>

struct kip *libmap_kip;          /* set at start-up */
word_t libmap_myself;
word_t libmap_exit_to = TID_NIL; /* parent: exit() reports to it */

#define ARGV_MAX 32
#define ARGS_BYTES 512

void libmap_start(struct kip *kip, const char *args, word_t parent);

const char *libmap_module_cmdline(unsigned idx)
{
	if (!libmap_kip || idx >= libmap_kip->module_count)
		return "";
	return libmap_kip->cmdlines + libmap_kip->module[idx].cmdline;
}

/* Split a copy of args at spaces into argv; the first word is argv[0]. */
static int runtime_split(char *buf, char **argv)
{
	int argc = 0;
	char *p = buf;

	while (*p && argc < ARGV_MAX - 1) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	argv[argc] = NULL;
	return argc;
}

void libmap_start(struct kip *kip, const char *args, word_t parent)
{
	static char buf[ARGS_BYTES];
	static char *argv[ARGV_MAX];

	libmap_kip = kip;
	libmap_myself = utcb()->my_id;
	libmap_exit_to = parent;
	if (!args && libmap_myself == kip->sigma0_id)
		args = libmap_module_cmdline(0);
	else if (!args && libmap_myself == kip->root_id)
		args = libmap_module_cmdline(1);
	strlcpy(buf, args ? args : "", sizeof(buf));
	exit(main(runtime_split(buf, argv), argv));
}

int printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kdb_puts(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}


_Noreturn void exit(int status)
{
	if (libmap_exit_to != TID_NIL) {
		msg_tag(LABEL_EXIT, 1, 0);
		utcb()->mr[1] = (word_t)status;
		ipc_call(libmap_exit_to);
	}
	for (;;) {
		struct sysregs r = { .rax = SYS_KDEBUG, .rdi = KDB_STOP_SELF, .rsi = (word_t)status };
		syscall_raw(&r);
	}
}
