/* SPDX-License-Identifier: MIT */
/* Formatted output into a buffer (kernel and user programs). */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <pagoda/types.h>
#include <stdarg.h>

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
