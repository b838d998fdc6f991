/*
 * msg: SIP message bodies <-> plain text, ms-text-format. See msg.h.
 */
#include <stdlib.h>
#include <string.h>

#include "xlate/err.h"
#include "xlate/msg.h"
#include "xlate/text.h"

#define MAX_NESTING	3	/* cpim in multipart in cpim is enough */

/* ------------------------------------------------------------------ */
/* Content-Type                                                       */

static int
is_tspecial_or_ctl(unsigned char c)
{
	return c <= 0x20 || c >= 0x7F || strchr("()<>@,;:\\\"/[]?=", c);
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* A token at p: its length (0 = none). */
static size_t
token_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && !is_tspecial_or_ctl((unsigned char)*q))
		q++;
	return (size_t)(q - p);
}

/* Copy a token lower-cased into dst (size dlen); XL_E_SYNTAX if too long. */
static int
token_copy(char *dst, size_t dlen, const char *p, size_t n)
{
	if (n == 0 || n >= dlen)
		return XL_E_SYNTAX;
	memcpy(dst, p, n);
	dst[n] = '\0';
	xl_ascii_lower(dst);
	return XL_OK;
}

/*
 * A parameter value at *pp: token or quoted-string. Sets val/vlen to the
 * raw bytes (inside the quotes) and advances *pp.
 */
static int
param_value(const char **pp, const char *end, const char **val, size_t *vlen)
{
	const char *p = *pp;

	if (p < end && *p == '"') {
		const char *q = ++p;

		while (q < end && *q != '"') {
			if (*q == '\\' && q + 1 < end)
				q++;
			q++;
		}
		if (q >= end)
			return XL_E_SYNTAX;
		*val = p;
		*vlen = (size_t)(q - p);
		*pp = q + 1;
		return XL_OK;
	}
	/*
	 * A token, read liberally up to ';' or space: Lync writes base64
	 * with its '=' padding unquoted in ms-body.
	 */
	*val = p;
	while (p < end && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7F &&
	    *p != ';' && *p != '"')
		p++;
	*vlen = (size_t)(p - *val);
	*pp = p;
	return *vlen ? XL_OK : XL_E_SYNTAX;
}

/* Store the parameters we use: charset, boundary, ms-body. */
static int
param_store(struct xl_ctype *ct, const char *name, size_t nlen,
    const char *val, size_t vlen)
{
	if (xl_ascii_casecmp_n(name, nlen, "charset") == 0)
		return token_copy(ct->charset, sizeof(ct->charset), val, vlen);
	if (xl_ascii_casecmp_n(name, nlen, "boundary") == 0) {
		if (vlen == 0 || vlen > 70)
			return XL_E_SYNTAX;
		memcpy(ct->boundary, val, vlen);
		ct->boundary[vlen] = '\0';
		return XL_OK;
	}
	if (xl_ascii_casecmp_n(name, nlen, "ms-body") == 0) {
		ct->ms_body = val;
		ct->ms_body_len = vlen;
	}
	return XL_OK;
}

int
xl_ctype_parse(const char *s, size_t n, struct xl_ctype *ct)
{
	const char *p = s, *end = s + n;
	size_t len;
	int rc;

	memset(ct, 0, sizeof(*ct));
	p = skip_ws(p, end);
	len = token_len(p, end);
	if ((rc = token_copy(ct->type, sizeof(ct->type), p, len)) != XL_OK)
		return rc;
	p += len;
	if (p >= end || *p++ != '/')
		return XL_E_SYNTAX;
	len = token_len(p, end);
	if ((rc = token_copy(ct->subtype, sizeof(ct->subtype), p, len)) != XL_OK)
		return rc;
	p = skip_ws(p + len, end);
	while (p < end) {
		const char *name, *val;
		size_t vlen;

		if (*p++ != ';')
			return XL_E_SYNTAX;
		p = skip_ws(p, end);
		if (p >= end)
			break;			/* a trailing ';' is tolerated */
		name = p;
		len = token_len(p, end);
		p = skip_ws(p + len, end);
		if (len == 0 || p >= end || *p++ != '=')
			return XL_E_SYNTAX;
		p = skip_ws(p, end);
		if ((rc = param_value(&p, end, &val, &vlen)) != XL_OK ||
		    (rc = param_store(ct, name, len, val, vlen)) != XL_OK)
			return rc;
		p = skip_ws(p, end);
	}
	return XL_OK;
}

int
xl_ctype_is(const struct xl_ctype *ct, const char *type_subtype)
{
	const char *slash = strchr(type_subtype, '/');

	return slash && xl_ascii_casecmp_n(type_subtype,
	    (size_t)(slash - type_subtype), ct->type) == 0 &&
	    strcmp(slash + 1, ct->subtype) == 0;
}

/* ------------------------------------------------------------------ */
/* Charsets -> UTF-8                                                  */

/* windows-1252 0x80..0x9F; 0 = undefined. */
static const uint16_t cp1252[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static int
decode_8bit(const unsigned char *p, size_t n, int cs1252, int ascii,
    struct xl_out *o)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = p[i];

		if (cp >= 0x80 && ascii)
			return XL_E_CHARSET;
		if (cp >= 0x80 && cp <= 0x9F && cs1252) {
			if ((cp = cp1252[cp - 0x80]) == 0)
				return XL_E_CHARSET;
		}
		xl_out_utf8(o, cp);
	}
	return XL_OK;
}

/* UTF-16 with surrogate pairs; be = big endian. */
static int
decode_utf16(const unsigned char *p, size_t n, int be, struct xl_out *o)
{
	if (n % 2)
		return XL_E_CHARSET;
	for (size_t i = 0; i < n; i += 2) {
		uint32_t u = be ? (uint32_t)(p[i] << 8 | p[i + 1]) :
		    (uint32_t)(p[i + 1] << 8 | p[i]);

		if (u >= 0xDC00 && u <= 0xDFFF)
			return XL_E_CHARSET;
		if (u >= 0xD800 && u <= 0xDBFF) {
			uint32_t l;

			if (i + 3 >= n)
				return XL_E_CHARSET;
			l = be ? (uint32_t)(p[i + 2] << 8 | p[i + 3]) :
			    (uint32_t)(p[i + 3] << 8 | p[i + 2]);
			if (l < 0xDC00 || l > 0xDFFF)
				return XL_E_CHARSET;
			u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
			i += 2;
		}
		xl_out_utf8(o, u);
	}
	return XL_OK;
}

/* Bytes in charset cs ("" = UTF-8) -> UTF-8 in o. */
static int
charset_decode(const char *cs, const char *in, size_t n, struct xl_out *o)
{
	const unsigned char *p = (const unsigned char *)in;

	if (cs[0] == '\0' || !strcmp(cs, "utf-8") || !strcmp(cs, "utf8")) {
		if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
			p += 3, n -= 3;		/* byte order mark */
		if (xl_utf8_check((const char *)p, n, 0) != XL_OK)
			return XL_E_UTF8;
		xl_out_mem(o, p, n);
		return XL_OK;
	}
	if (!strcmp(cs, "us-ascii") || !strcmp(cs, "ascii"))
		return decode_8bit(p, n, 0, 1, o);
	if (!strcmp(cs, "iso-8859-1") || !strcmp(cs, "latin1") ||
	    !strcmp(cs, "iso_8859-1") || !strcmp(cs, "l1"))
		return decode_8bit(p, n, 0, 0, o);
	if (!strcmp(cs, "windows-1252") || !strcmp(cs, "cp1252"))
		return decode_8bit(p, n, 1, 0, o);
	if (!strcmp(cs, "utf-16be"))
		return decode_utf16(p, n, 1, o);
	if (!strcmp(cs, "utf-16le"))
		return decode_utf16(p, n, 0, o);
	if (!strcmp(cs, "utf-16")) {		/* RFC 2781: BOM, else BE */
		if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE)
			return decode_utf16(p + 2, n - 2, 0, o);
		if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF)
			return decode_utf16(p + 2, n - 2, 1, o);
		return decode_utf16(p, n, 1, o);
	}
	return XL_E_CHARSET;
}

/* ------------------------------------------------------------------ */
/* HTML -> text                                                       */

struct html_state {
	struct xl_out	*o;
	int		 space;		/* whitespace seen, not yet written */
	int		 bol;		/* at the beginning of a line */
};

static void
html_emit(struct html_state *h, const char *s, size_t n)
{
	if (h->space && !h->bol)
		xl_out_char(h->o, ' ');
	xl_out_mem(h->o, s, n);
	h->space = h->bol = 0;
}

static void
html_newline(struct html_state *h, int always)
{
	if (always || !h->bol)
		xl_out_char(h->o, '\n');
	h->bol = 1;
	h->space = 0;
}

/* &name; or &#n; at s (before end): writes it, returns bytes used. */
static size_t
html_entity(struct html_state *h, const char *s, const char *end)
{
	static const struct { const char *name; uint32_t cp; } named[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' },
		{ "apos", '\'' }, { "nbsp", 0xA0 },
	};
	const char *semi = memchr(s, ';', (size_t)(end - s) < 12 ?
	    (size_t)(end - s) : 12);
	char tmp[8];
	struct xl_out t;
	uint32_t cp = 0;

	if (semi == NULL)
		return 0;
	if (s[1] == '#') {
		int hex = s[2] == 'x' || s[2] == 'X';
		const char *d = s + 2 + hex;

		if (d == semi)
			return 0;
		for (; d < semi; d++) {
			int v = (*d >= '0' && *d <= '9') ? *d - '0' :
			    hex && (*d | 0x20) >= 'a' && (*d | 0x20) <= 'f' ?
			    (*d | 0x20) - 'a' + 10 : -1;
			if (v < 0 || cp > 0x10FFFF)
				return 0;
			cp = cp * (hex ? 16 : 10) + (uint32_t)v;
		}
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
		    (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
			return 0;
	} else {
		size_t i;

		for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
			if (xl_ascii_casecmp_n(s + 1, (size_t)(semi - s - 1),
			    named[i].name) == 0)
				break;
		if (i == sizeof(named) / sizeof(named[0]))
			return 0;
		cp = named[i].cp;
	}
	xl_out_init(&t, tmp, sizeof(tmp));
	xl_out_utf8(&t, cp);
	html_emit(h, tmp, t.n);
	return (size_t)(semi - s) + 1;
}

/* Position after "</name" ... ">" (case-insensitive), or end. */
static const char *
html_skip_element(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);

	for (; p + nl + 2 <= end; p++)
		if (p[0] == '<' && p[1] == '/' &&
		    xl_ascii_casecmp_n(p + 2, nl, name) == 0) {
			const char *gt = memchr(p, '>', (size_t)(end - p));

			return gt ? gt + 1 : end;
		}
	return end;
}

/* A tag at p ('<'): line breaks for block elements; returns what follows. */
static const char *
html_tag(struct html_state *h, const char *p, const char *end)
{
	static const char *const blocks[] = { "p", "div", "li", "tr", "h1",
	    "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote" };
	static const char *const skipped[] = { "script", "style", "head",
	    "title" };
	const char *gt, *q = p + 1;
	char name[16];
	size_t n = 0;
	int closing = 0;

	if (end - p >= 4 && !strncmp(p, "<!--", 4)) {
		const char *c = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
		return c ? c + 3 : end;
	}
	if ((gt = memchr(p, '>', (size_t)(end - p))) == NULL)
		return end;			/* an unclosed tag ends the text */
	if (q < gt && *q == '/')
		closing = 1, q++;
	for (; q < gt && n < sizeof(name) - 1; q++) {
		char c = *q;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			break;
		name[n++] = c;
	}
	name[n] = '\0';
	if (!strcmp(name, "br")) {
		html_newline(h, 1);
		return gt + 1;
	}
	for (size_t i = 0; !closing && i < sizeof(skipped) / sizeof(*skipped);
	    i++)
		if (!strcmp(name, skipped[i]))
			return html_skip_element(gt + 1, end, name);
	for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++)
		if (!strcmp(name, blocks[i]))
			html_newline(h, 0);
	return gt + 1;
}

/* HTML (already UTF-8) -> text: tags dropped, entities decoded. */
static void
html_to_text(const char *s, size_t n, struct xl_out *o)
{
	struct html_state h = { o, 0, 1 };
	const char *p = s, *end = s + n;

	while (p < end) {
		size_t used;

		if (*p == '<' && p + 1 < end && (p[1] == '/' || p[1] == '!' ||
		    ((p[1] | 0x20) >= 'a' && (p[1] | 0x20) <= 'z')))
			p = html_tag(&h, p, end);
		else if (*p == '&' && (used = html_entity(&h, p, end)) > 0)
			p += used;
		else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			h.space = 1;
			p++;
		} else
			html_emit(&h, p++, 1);
	}
	while (o->n > 0 && (o->buf[o->n - 1] == '\n' || o->buf[o->n - 1] == ' '))
		o->buf[--o->n] = '\0';
}

/* ------------------------------------------------------------------ */
/* MIME structure: CPIM and multipart                                 */

/*
 * The header block at s ends at the first empty line: *hlen is the
 * headers' length, *body where the body starts. A block may be empty.
 */
static int
split_headers(const char *s, size_t n, size_t *hlen, size_t *body)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\n' && !(s[i] == '\r' && i + 1 < n &&
		    s[i + 1] == '\n'))
			continue;
		if (i == 0) {			/* no headers at all */
			*hlen = 0;
			*body = s[0] == '\r' ? 2 : 1;
			return XL_OK;
		}
		size_t eol = s[i] == '\r' ? i + 2 : i + 1;
		if (eol < n && (s[eol] == '\n' || (s[eol] == '\r' &&
		    eol + 1 < n && s[eol + 1] == '\n'))) {
			*hlen = i;
			*body = eol + (s[eol] == '\r' ? 2 : 1);
			return XL_OK;
		}
		i = eol - 1;
	}
	return XL_E_SYNTAX;
}

/* The value of header name (case-insensitive) in a header block. */
static int
header_find(const char *h, size_t n, const char *name, const char **val,
    size_t *vlen)
{
	const char *p = h, *end = h + n;
	size_t nl = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *lend = eol ? eol : end;

		if ((size_t)(lend - p) > nl && p[nl] == ':' &&
		    xl_ascii_casecmp_n(p, nl, name) == 0) {
			const char *v = skip_ws(p + nl + 1, lend);
			const char *ve = lend;

			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			*val = v;
			*vlen = (size_t)(ve - v);
			return XL_OK;
		}
		p = eol ? eol + 1 : end;
	}
	return XL_E_SYNTAX;
}

static int decode_body(const struct xl_ctype *ct, const char *body,
    size_t len, struct xl_out *o, int depth);

/* A MIME entity (headers + body) whose missing Content-Type means dflt. */
static int
decode_entity(const char *s, size_t n, const char *dflt, struct xl_out *o,
    int depth)
{
	const char *cv = dflt;
	size_t hlen, boff, cl = strlen(dflt);
	struct xl_ctype ct;
	int rc;

	if ((rc = split_headers(s, n, &hlen, &boff)) != XL_OK)
		return rc;
	if (header_find(s, hlen, "content-type", &cv, &cl) != XL_OK &&
	    dflt[0] == '\0')
		return XL_E_SYNTAX;
	if ((rc = xl_ctype_parse(cv, cl, &ct)) != XL_OK)
		return rc;
	return decode_body(&ct, s + boff, n - boff, o, depth + 1);
}

/* RFC 3862: message headers, blank line, then a MIME entity. */
static int
decode_cpim(const char *s, size_t n, struct xl_out *o, int depth)
{
	size_t hlen, boff;
	int rc;

	if ((rc = split_headers(s, n, &hlen, &boff)) != XL_OK)
		return rc;
	return decode_entity(s + boff, n - boff, "", o, depth);
}

/* Next "--boundary" at a line start in [p, end), or NULL. */
static const char *
mp_delim(const char *s, const char *p, const char *end, const char *b)
{
	size_t bl = strlen(b);

	for (; p + bl + 2 <= end; p++) {
		const char *after = p + 2 + bl;

		if ((p == s || p[-1] == '\n') && p[0] == '-' && p[1] == '-' &&
		    memcmp(p + 2, b, bl) == 0 && (after == end ||
		    strchr("-\r\n \t", *after)))
			return p;
	}
	return NULL;
}

/* Type of a part by its headers (default text/plain, RFC 2046 §5.1). */
static int
mp_part_rank(const char *s, size_t n)
{
	const char *cv;
	size_t hlen, boff, cl;
	struct xl_ctype ct;

	if (split_headers(s, n, &hlen, &boff) != XL_OK)
		return 0;
	if (header_find(s, hlen, "content-type", &cv, &cl) != XL_OK)
		return 3;
	if (xl_ctype_parse(cv, cl, &ct) != XL_OK)
		return 0;
	if (xl_ctype_is(&ct, "text/plain"))
		return 3;
	if (xl_ctype_is(&ct, "text/html") ||
	    xl_ctype_is(&ct, "application/xhtml+xml"))
		return 2;
	if (xl_ctype_is(&ct, "message/cpim"))
		return 1;
	return 0;
}

/* multipart/alternative: the best part we can read (text/plain first). */
static int
decode_multipart(const struct xl_ctype *ct, const char *s, size_t n,
    struct xl_out *o, int depth)
{
	const char *end = s + n, *d, *best = NULL;
	size_t bl = strlen(ct->boundary), best_len = 0;
	int best_rank = 0;

	if (bl == 0 || (d = mp_delim(s, s, end, ct->boundary)) == NULL)
		return XL_E_SYNTAX;
	for (;;) {
		const char *start = d + 2 + bl, *next;

		if (end - start >= 2 && start[0] == '-' && start[1] == '-')
			break;				/* closing delimiter */
		if ((start = memchr(start, '\n', (size_t)(end - start))) == NULL)
			return XL_E_SYNTAX;
		start++;
		if ((next = mp_delim(s, start, end, ct->boundary)) == NULL)
			return XL_E_SYNTAX;		/* no closing delimiter */
		size_t plen = (size_t)(next - start);
		plen -= plen >= 2 && next[-2] == '\r' ? 2 : plen >= 1 ? 1 : 0;
		int rank = mp_part_rank(start, plen);
		if (rank > best_rank) {
			best_rank = rank;
			best = start;
			best_len = plen;
		}
		d = next;
	}
	if (best == NULL)
		return XL_E_MEDIA;
	return decode_entity(best, best_len, "text/plain", o, depth);
}

/* HTML in its charset -> UTF-8 -> text. */
static int
decode_html(const struct xl_ctype *ct, const char *body, size_t len,
    struct xl_out *o)
{
	size_t cap = 3 * len + 4;
	char *tmp = malloc(cap);
	struct xl_out t;
	int rc;

	if (tmp == NULL)
		return XL_E_NOMEM;
	xl_out_init(&t, tmp, cap);
	if ((rc = charset_decode(ct->charset, body, len, &t)) == XL_OK)
		html_to_text(tmp, t.n, o);
	free(tmp);
	return rc;
}

static int
decode_body(const struct xl_ctype *ct, const char *body, size_t len,
    struct xl_out *o, int depth)
{
	if (depth > MAX_NESTING)
		return XL_E_DEPTH;
	if (xl_ctype_is(ct, "text/plain"))
		return charset_decode(ct->charset, body, len, o);
	if (xl_ctype_is(ct, "text/html") ||
	    xl_ctype_is(ct, "application/xhtml+xml"))
		return decode_html(ct, body, len, o);
	if (xl_ctype_is(ct, "message/cpim"))
		return decode_cpim(body, len, o, depth);
	if (xl_ctype_is(ct, "multipart/alternative"))
		return decode_multipart(ct, body, len, o, depth);
	return XL_E_MEDIA;
}

/* Run a decoder into out and check that XML can carry the result. */
static int
decode_checked(const struct xl_ctype *ct, const char *body, size_t len,
    char *out, size_t outlen, size_t *outn)
{
	struct xl_out o;
	int rc;

	if (len > XL_BODY_MAX)
		return XL_E_TOOLONG;
	xl_out_init(&o, out, outlen);
	if ((rc = decode_body(ct, body, len, &o, 0)) != XL_OK)
		return rc;
	if ((rc = xl_out_done(&o)) != XL_OK)
		return rc;
	if (xl_utf8_check(o.buf, o.n, XL_UTF8_XML) != XL_OK)
		return XL_E_UTF8;
	if (outn)
		*outn = o.n;
	return XL_OK;
}

int
xl_body_from_sip(const char *ctype, const char *body, size_t len,
    char *out, size_t outlen, size_t *outn)
{
	struct xl_ctype ct;
	int rc;

	if (ctype == NULL || ctype[0] == '\0') {
		if (len != 0)
			return XL_E_MEDIA;
		if (outlen == 0)
			return XL_E_TRUNC;
		out[0] = '\0';
		if (outn)
			*outn = 0;
		return XL_OK;
	}
	if ((rc = xl_ctype_parse(ctype, strlen(ctype), &ct)) != XL_OK)
		return rc;
	return decode_checked(&ct, body, len, out, outlen, outn);
}

enum xl_body_kind
xl_body_classify(const char *ctype)
{
	struct xl_ctype ct;

	if (ctype == NULL || xl_ctype_parse(ctype, strlen(ctype), &ct) != XL_OK)
		return XL_BODY_UNSUPPORTED;
	if (xl_ctype_is(&ct, "application/im-iscomposing+xml"))
		return XL_BODY_ISCOMPOSING;
	if (xl_ctype_is(&ct, "application/xml"))
		return XL_BODY_KEYBOARD;
	if (xl_ctype_is(&ct, "text/plain") || xl_ctype_is(&ct, "text/html") ||
	    xl_ctype_is(&ct, "application/xhtml+xml") ||
	    xl_ctype_is(&ct, "message/cpim") ||
	    xl_ctype_is(&ct, "multipart/alternative"))
		return XL_BODY_TEXT;
	return XL_BODY_UNSUPPORTED;
}

int
xl_body_to_sip(const char *text, size_t len, const char **ctype)
{
	if (len > XL_BODY_MAX)
		return XL_E_TOOLONG;
	if (xl_utf8_check(text, len, XL_UTF8_XML) != XL_OK)
		return XL_E_UTF8;
	*ctype = XL_SIP_TEXT_CTYPE;
	return XL_OK;
}

/* ------------------------------------------------------------------ */
/* Lync ms-text-format                                                */

int
xl_ms_text_format_encode(const char *text, size_t len, char *buf,
    size_t buflen)
{
	const char *ctype;
	struct xl_out o;
	int rc;

	if ((rc = xl_body_to_sip(text, len, &ctype)) != XL_OK)
		return rc;
	xl_out_init(&o, buf, buflen);
	xl_out_str(&o, "text/plain; charset=UTF-8; ms-body=");
	return xl_base64_encode(text, len, &o);
}

int
xl_ms_text_format_decode(const char *hdr, char *out, size_t outlen,
    size_t *outn)
{
	struct xl_ctype ct;
	struct xl_out o;
	char *raw;
	int rc;

	if ((rc = xl_ctype_parse(hdr, strlen(hdr), &ct)) != XL_OK)
		return rc;
	if (ct.ms_body == NULL)
		return XL_E_SYNTAX;
	if (ct.ms_body_len / 4 * 3 > XL_BODY_MAX)
		return XL_E_TOOLONG;
	if ((raw = malloc(ct.ms_body_len / 4 * 3 + 4)) == NULL)
		return XL_E_NOMEM;
	xl_out_init(&o, raw, ct.ms_body_len / 4 * 3 + 4);
	rc = xl_base64_decode(ct.ms_body, ct.ms_body_len, &o);
	if (rc == XL_OK)
		rc = decode_checked(&ct, raw, o.n, out, outlen, outn);
	free(raw);
	return rc;
}

/* ------------------------------------------------------------------ */
/* XMPP messages toward SIP                                           */

enum xl_msg_kind
xl_msg_kind(const struct xl_msg *m)
{
	if (m->body != NULL && m->body_len > 0)
		return XL_MSGK_TEXT;
	if (m->chat_state != XL_CS_NONE)
		return XL_MSGK_CHAT_STATE;
	return XL_MSGK_EMPTY;
}

int
xl_msg_check_to_sip(const struct xl_msg *m, struct xl_err *err)
{
	const char *ctype;
	int rc;

	if (m->type == XL_MSG_GROUPCHAT || xl_msg_kind(m) == XL_MSGK_EMPTY) {
		xl_err_set(err, XL_ERR_FEATURE_NOT_IMPLEMENTED);
		err->text = m->type == XL_MSG_GROUPCHAT ?
		    "group chat is not carried to SIP" :
		    "no body and no chat state: nothing to carry to SIP";
		return XL_E_UNMAPPABLE;
	}
	if (xl_msg_kind(m) == XL_MSGK_TEXT &&
	    (rc = xl_body_to_sip(m->body, m->body_len, &ctype)) != XL_OK) {
		xl_status_to_err(rc, err);
		return rc;
	}
	return XL_OK;
}
