/* SPDX-License-Identifier: MIT */
/*
 * Memory and string helpers. Whole-word fills and copies use the 8-byte
 * string instructions, so a 4 KiB page costs 512 iterations (QEMU's icount
 * counts each iteration of a rep prefix as one instruction).
 */
#include <lib/string.h>

void *memset(void *d, int c, size_t n)
{
	void *ret = d;

	if (((uintptr_t)d & 7) == 0 && (n & 7) == 0) {
		word_t q = (uint8_t)c * 0x0101010101010101ull, cnt = n / 8;
		__asm__ volatile("rep stosq" : "+D"(d), "+c"(cnt) : "a"(q) : "memory");
		return ret;
	}
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return ret;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *ret = d;

	if ((((uintptr_t)d | (uintptr_t)s | n) & 7) == 0) {
		size_t cnt = n / 8;
		__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(cnt) : : "memory");
		return ret;
	}
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return ret;
}

void *memmove(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	if (dp <= sp || dp >= sp + n)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}

char *strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return (char *)s;
	return c ? NULL : (char *)s;
}

size_t strlcpy(char *d, const char *s, size_t size)
{
	size_t n = strlen(s);

	if (size) {
		size_t k = n < size - 1 ? n : size - 1;
		memcpy(d, s, k);
		d[k] = '\0';
	}
	return n;
}
