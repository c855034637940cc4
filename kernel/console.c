/* SPDX-License-Identifier: MIT */
/*
 * The console and who may say what on it.
 *
 * Test verdicts and diagnostics are read off the serial line, so a task
 * printing "RESULT: PASS" or "[kernel] ..." must not look like the kernel
 * or the root task. The kernel owns the line discipline:
 *
 *  - lines of the kernel and of the two boot tasks the kernel itself
 *    started (sigma0 and the root task, spaces with SPACE_BOOT_TASK) are
 *    printed as they are;
 *  - every line of any other thread starts with its thread id in hex and
 *    "| " (`230001| forkdemo: ...`), and every byte but printable ASCII,
 *    newline and tab is printed as '?' (no carriage return, escape
 *    sequence or Unicode line separator can hide the mark);
 *  - a line belongs to one writer: when another writer starts while a
 *    line is unfinished, the kernel ends that line first, so no writer
 *    can continue (or prefix) another's line.
 */
#include <console.h>
#include <thread.h>
#include <space.h>
#include <klib.h>
#include <arch.h>
#include <pagoda/thread.h>

#define CONSOLE_KERNEL TID_ANY                /* the kernel as a writer */

static word_t console_writer = CONSOLE_KERNEL;  /* who wrote the unfinished line */
static bool console_bol = true;                 /* at the beginning of a line */

/* Make `who` the writer of the current line, ending someone else's. */
static void console_begin(word_t who)
{
	if (!console_bol && console_writer != who) {
		arch_console_putc('\n');
		console_bol = true;
	}
	console_writer = who;
}

static void console_put(char c)
{
	arch_console_putc(c);
	console_bol = c == '\n';
}

void console_kernel_write(const char *buf, size_t n)
{
	console_begin(CONSOLE_KERNEL);
	for (size_t i = 0; i < n; i++)
		console_put(buf[i]);
}

/* A marked line's first characters: the thread id and "| ". */
static void console_mark(word_t tid)
{
	char mark[24];
	int n = ksnprintf(mark, sizeof(mark), "%lx| ", tid);

	for (int i = 0; i < n && i < (int)sizeof(mark) - 1; i++)
		console_put(mark[i]);
}

/* Printable ASCII, newline and tab; anything else would be a control
 * character to a terminal or a line break to some reader (a UTF-8 NEL or
 * line separator, to Python's splitlines). */
static char console_clean(char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' ? c : '?';
}

void console_task_write(struct tcb *t, const char *buf, size_t n)
{
	bool marked = !(t->space->flags & SPACE_BOOT_TASK);

	console_begin(t->tid);
	for (size_t i = 0; i < n; i++) {
		if (!marked) {
			console_put(buf[i]);
			continue;
		}
		if (console_bol)
			console_mark(t->tid);
		console_put(console_clean(buf[i]));
	}
}
