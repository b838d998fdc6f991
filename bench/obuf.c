/*
 * obuf: see obuf.h.
 */
#include "bench/obuf.h"

#include <string.h>

void
obuf_init(struct obuf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->overflow = 0;
}

void
obuf_mem(struct obuf *b, const void *p, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
obuf_str(struct obuf *b, const char *s)
{
	obuf_mem(b, s, strlen(s));
}

void
obuf_u64(struct obuf *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	obuf_mem(b, tmp + sizeof(tmp) - n, n);
}

void
obuf_xml(struct obuf *b, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '\'': rep = "&apos;"; break;
		case '"': rep = "&quot;"; break;
		default: continue;
		}
		obuf_mem(b, s + run, i - run);
		obuf_str(b, rep);
		run = i + 1;
	}
	obuf_mem(b, s + run, n - run);
}

void
obuf_pad(struct obuf *b, char c, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memset(b->p + b->len, c, n);
	b->len += n;
}

int
obuf_ok(const struct obuf *b)
{
	return !b->overflow;
}
