/* SPDX-License-Identifier: MIT */
/*
 * The kernel's tiny C library: memory and string helpers, the console
 * printf, assert and panic. Built for the host (HOST_TEST) it maps onto
 * libc so that kernel sources can be unit-tested unchanged.
 */
#ifndef KERNEL_KLIB_H
#define KERNEL_KLIB_H

#include <pagoda/types.h>
#include <stdarg.h>

#ifdef HOST_TEST
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define kprintf printf
#define ksnprintf snprintf
#define panic(...) (fprintf(stderr, "panic: " __VA_ARGS__), fputc('\n', stderr), abort())
#define check_failed(file, line, ...) (printf("%s:%u: ", file, line), printf(__VA_ARGS__), \
				       printf("\n"), false)
#else
#include <lib/string.h>
#include <lib/fmt.h>
#define ksnprintf fmt_snprintf

/* Formatted output to the kernel console: %d %u %x %lx %lu %ld %p %s %c %%. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A broken kernel invariant: print "PANIC: <subsystem: what>" and halt. */
_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
#define assert(c) ((c) ? (void)0 : panic("assertion failed: %s", #c))

/* A checker found a broken invariant at file:line: print it, remember the
 * first since the last KDB_CHECK (kdebug.c), and yield false. */
bool check_failed(const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#endif

/* In an invariant checker: `return CHECK_FAIL("what broke", ...);`. */
#define CHECK_FAIL(...) check_failed(__FILE__, __LINE__, __VA_ARGS__)

#include <lib/util.h>

#endif
