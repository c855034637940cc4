/* SPDX-License-Identifier: MIT */
/* Memory and string helpers, shared by the kernel and user programs. */
#ifndef LIB_STRING_H
#define LIB_STRING_H

#include <pagoda/types.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *d, const char *s, size_t size);

#endif
