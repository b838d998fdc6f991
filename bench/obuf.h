/*
 * obuf: append-only formatting into a caller's fixed buffer, for the load
 * tool's hot path (one SIP request or one stanza at a time, no allocator,
 * no printf). Every append is bounded: on overflow the buffer is marked
 * failed and further appends do nothing, so the caller checks once, at the
 * end, with obuf_ok().
 */
#ifndef FGB_OBUF_H
#define FGB_OBUF_H

#include <stddef.h>
#include <stdint.h>

struct obuf {
	char	*p;
	size_t	 len, cap;
	int	 overflow;
};

void	obuf_init(struct obuf *b, char *mem, size_t cap);
void	obuf_mem(struct obuf *b, const void *p, size_t n);
void	obuf_str(struct obuf *b, const char *s);
void	obuf_u64(struct obuf *b, uint64_t v);
/* XML character data or attribute value (single-quoted): escapes & < > ' " */
void	obuf_xml(struct obuf *b, const char *s, size_t n);
void	obuf_pad(struct obuf *b, char c, size_t n);
int	obuf_ok(const struct obuf *b);

#endif
