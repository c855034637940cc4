/* SPDX-License-Identifier: MIT */
/* printf-style formatting into a buffer, shared by the kernel and user programs:
 * %d %i %u %x %p %s %c %%, with l/ll/z modifiers, a width and 0-padding. */
#include <lib/fmt.h>

/* Output state of kvsnprintf: a bounded buffer and how much was wanted. */
struct fmt_out {
	char *buf;
	size_t size, len;
};

static void fmt_putc(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* Print an unsigned number in base 10 or 16, padded to width. */
static void fmt_num(struct fmt_out *o, uint64_t v, unsigned base, bool neg, int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		fmt_putc(o, pad);
	while (n)
		fmt_putc(o, tmp[--n]);
}

/* Fetch the next integer argument of the given length modifier count. */
static uint64_t fmt_arg(va_list *ap, int longs, bool is_signed, bool *neg)
{
	int64_t s;

	*neg = false;
	if (!is_signed)
		return longs ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned);
	s = longs ? va_arg(*ap, int64_t) : va_arg(*ap, int);
	if (s < 0) {
		*neg = true;
		return (uint64_t)0 - (uint64_t)s;
	}
	return (uint64_t)s;
}

static void fmt_str(struct fmt_out *o, const char *s, int width)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while (s[n])
		n++;
	while (width-- > n)
		fmt_putc(o, ' ');
	while (*s)
		fmt_putc(o, *s++);
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap0)
{
	struct fmt_out o = { buf, size, 0 };
	va_list ap;

	va_copy(ap, ap0);
	for (; *fmt; fmt++) {
		int width = 0, longs = 0;
		char pad = ' ';
		bool neg;
		uint64_t v;

		if (*fmt != '%') {
			fmt_putc(&o, *fmt);
			continue;
		}
		if (*++fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			longs++, fmt++;
		switch (*fmt) {
		case 'd':
		case 'i':
			v = fmt_arg(&ap, longs, true, &neg);
			fmt_num(&o, v, 10, neg, width, pad);
			break;
		case 'u':
		case 'x':
			v = fmt_arg(&ap, longs, false, &neg);
			fmt_num(&o, v, *fmt == 'u' ? 10 : 16, false, width, pad);
			break;
		case 'p':
			fmt_putc(&o, '0');
			fmt_putc(&o, 'x');
			fmt_num(&o, (uint64_t)va_arg(ap, void *), 16, false, 16, '0');
			break;
		case 's': fmt_str(&o, va_arg(ap, const char *), width); break;
		case 'c': fmt_putc(&o, (char)va_arg(ap, int)); break;
		case '\0': fmt--; break;
		default: fmt_putc(&o, *fmt); break;
		}
	}
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
