/*
 * text: bounded writer, UTF-8, XML escaping, base64, percent coding.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xlate/text.h"
#include "xlate/xlate.h"

void
xl_out_init(struct xl_out *o, char *buf, size_t len)
{
	o->buf = buf;
	o->len = len;
	o->n = 0;
	o->trunc = 0;
	if (len > 0)
		buf[0] = '\0';
}

void
xl_out_mem(struct xl_out *o, const void *p, size_t n)
{
	if (o->trunc)
		return;
	if (o->len == 0 || n > o->len - 1 - o->n) {
		o->trunc = 1;
		return;
	}
	memcpy(o->buf + o->n, p, n);
	o->n += n;
	o->buf[o->n] = '\0';
}

void
xl_out_str(struct xl_out *o, const char *s)
{
	xl_out_mem(o, s, strlen(s));
}

void
xl_out_char(struct xl_out *o, char c)
{
	xl_out_mem(o, &c, 1);
}

void
xl_out_fmt(struct xl_out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->trunc = 1;
		return;
	}
	xl_out_mem(o, tmp, (size_t)n);
}

void
xl_out_utf8(struct xl_out *o, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	xl_out_mem(o, b, n);
}

/* Escape the five XML specials; everything else is copied as is. */
void
xl_out_xml(struct xl_out *o, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&':	rep = "&amp;"; break;
		case '<':	rep = "&lt;"; break;
		case '>':	rep = "&gt;"; break;
		case '"':	rep = "&quot;"; break;
		case '\'':	rep = "&apos;"; break;
		default:	continue;
		}
		xl_out_mem(o, s + start, i - start);
		xl_out_str(o, rep);
		start = i + 1;
	}
	xl_out_mem(o, s + start, n - start);
}

int
xl_out_done(const struct xl_out *o)
{
	return o->trunc ? XL_E_TRUNC : XL_OK;
}

int32_t
xl_utf8_next(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	uint32_t cp, min;
	int more;

	if (p >= end)
		return -1;
	if (p[0] < 0x80) {
		*pp = p + 1;
		return p[0];
	}
	if ((p[0] & 0xE0) == 0xC0) {
		cp = p[0] & 0x1F; more = 1; min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		cp = p[0] & 0x0F; more = 2; min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		cp = p[0] & 0x07; more = 3; min = 0x10000;
	} else
		return -1;
	if (end - p <= more)
		return -1;
	for (int i = 1; i <= more; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*pp = p + 1 + more;
	return (int32_t)cp;
}

int
xl_utf8_check(const char *s, size_t n, int flags)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		int32_t cp = xl_utf8_next(&p, end);

		if (cp <= 0)
			return XL_E_UTF8;
		if ((flags & XL_UTF8_XML) && ((cp < 0x20 && cp != '\t' &&
		    cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF))
			return XL_E_UTF8;
	}
	return XL_OK;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
xl_base64_encode(const void *in, size_t n, struct xl_out *o)
{
	const unsigned char *p = in;
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		q[0] = b64[(v >> 18) & 0x3F];
		q[1] = b64[(v >> 12) & 0x3F];
		q[2] = left > 1 ? b64[(v >> 6) & 0x3F] : '=';
		q[3] = left > 2 ? b64[v & 0x3F] : '=';
		xl_out_mem(o, q, 4);
	}
	return xl_out_done(o);
}

static int
b64_value(char c)
{
	const char *p = strchr(b64, c);

	return c != '\0' && p ? (int)(p - b64) : -1;
}

/* Strict about the alphabet and padding; whitespace between groups is fine. */
int
xl_base64_decode(const char *in, size_t n, struct xl_out *o)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		count++;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64_value(c)) < 0)
			return XL_E_SYNTAX;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			xl_out_char(o, (char)((acc >> bits) & 0xFF));
		}
	}
	if (count % 4 != 0 || pad > 2)
		return XL_E_SYNTAX;
	return xl_out_done(o);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
xl_pct_decode(const char *s, size_t n, struct xl_out *o)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			xl_out_char(o, s[i]);
			continue;
		}
		if (n - i < 3 || hex_value(s[i + 1]) < 0 ||
		    hex_value(s[i + 2]) < 0)
			return XL_E_SYNTAX;
		char c = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
		if (c == '\0')
			return XL_E_UTF8;
		xl_out_char(o, c);
		i += 2;
	}
	return xl_out_done(o);
}

int
xl_ascii_casecmp_n(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b);

	if (an != bn)
		return 1;
	for (size_t i = 0; i < an; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 1;
	}
	return 0;
}

void
xl_ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}
