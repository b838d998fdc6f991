/*
 * text: the small string tools every xlate module needs — a bounded
 * output writer, strict UTF-8 checks, XML escaping, base64 and percent
 * coding. Pure C, no allocation.
 *
 * The writer (struct xl_out) never writes past its buffer: once something
 * does not fit it remembers it, and xl_out_done() says XL_E_TRUNC. The
 * buffer is always NUL-terminated when its size is not 0.
 */
#ifndef FG_XLATE_TEXT_H
#define FG_XLATE_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct xl_out {
	char	*buf;
	size_t	 len;		/* size of buf */
	size_t	 n;		/* bytes written, without the NUL */
	int	 trunc;		/* something did not fit */
};

void	xl_out_init(struct xl_out *o, char *buf, size_t len);
void	xl_out_mem(struct xl_out *o, const void *p, size_t n);
void	xl_out_str(struct xl_out *o, const char *s);
void	xl_out_char(struct xl_out *o, char c);
void	xl_out_fmt(struct xl_out *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Code point as UTF-8 (cp must be a valid scalar value). */
void	xl_out_utf8(struct xl_out *o, uint32_t cp);
/* Text escaped for XML character data and attribute values. */
void	xl_out_xml(struct xl_out *o, const char *s, size_t n);
/* XL_OK, or XL_E_TRUNC when anything was cut. */
int	xl_out_done(const struct xl_out *o);

/*
 * Decode one UTF-8 sequence at *p (before end): returns the code point and
 * advances *p, or -1 for an invalid sequence (overlong, surrogate, above
 * U+10FFFF, truncated).
 */
int32_t	xl_utf8_next(const unsigned char **p, const unsigned char *end);

#define XL_UTF8_XML	0x1	/* also refuse what XML 1.0 cannot carry */
/*
 * XL_OK when s[0..n) is valid UTF-8 without NUL; with XL_UTF8_XML also
 * without the controls XML forbids (all C0 but TAB, LF, CR) and without
 * U+FFFE/U+FFFF. Else XL_E_UTF8.
 */
int	xl_utf8_check(const char *s, size_t n, int flags);

/* Base64 (RFC 4648, with padding). Decoding skips whitespace. */
int	xl_base64_encode(const void *in, size_t n, struct xl_out *o);
int	xl_base64_decode(const char *in, size_t n, struct xl_out *o);

/*
 * Percent-decode s[0..n) (RFC 3986) into o. XL_E_SYNTAX for a broken
 * escape; a decoded NUL is XL_E_UTF8.
 */
int	xl_pct_decode(const char *s, size_t n, struct xl_out *o);

/* ASCII case-insensitive comparisons (protocol tokens, not user text). */
int	xl_ascii_casecmp_n(const char *a, size_t an, const char *b);
void	xl_ascii_lower(char *s);

#endif
