/*
 * sipwire: see sipwire.h.
 */
#include "bench/sipwire.h"

#include <string.h>
#include <strings.h>

static const char *
find_crlfcrlf(const char *p, size_t n)
{
	return memmem(p, n, "\r\n\r\n", 4);
}

int
sipw_eq(struct sipw_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static struct sipw_str
trim(const char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return (struct sipw_str){ p, n };
}

/* Which field of m a header name (long or compact form) fills. */
static struct sipw_str *
header_slot(struct sipw_msg *m, struct sipw_str name, int *is_via,
    int *is_clen)
{
	static const struct {
		const char	*lng;
		char		 compact;
		size_t		 off;
	} map[] = {
		{ "from", 'f', offsetof(struct sipw_msg, from) },
		{ "to", 't', offsetof(struct sipw_msg, to) },
		{ "call-id", 'i', offsetof(struct sipw_msg, call_id) },
		{ "cseq", 0, offsetof(struct sipw_msg, cseq) },
		{ "contact", 'm', offsetof(struct sipw_msg, contact) },
		{ "event", 'o', offsetof(struct sipw_msg, event) },
		{ "subscription-state", 0, offsetof(struct sipw_msg, sub_state) },
		{ "content-type", 'c', offsetof(struct sipw_msg, ctype) },
		{ "expires", 0, offsetof(struct sipw_msg, expires) },
	};

	*is_via = *is_clen = 0;
	if (sipw_eq(name, "via") || sipw_eq(name, "v")) {
		*is_via = 1;
		return NULL;
	}
	if (sipw_eq(name, "content-length") || sipw_eq(name, "l")) {
		*is_clen = 1;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (sipw_eq(name, map[i].lng) || (map[i].compact && name.n == 1 &&
		    (name.p[0] | 0x20) == map[i].compact))
			return (struct sipw_str *)((char *)m + map[i].off);
	}
	return NULL;
}

static int
parse_start_line(const char *p, size_t n, struct sipw_msg *m)
{
	const char *sp1, *sp2;

	if (n > 8 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		int code = 0;

		if (n < 11)
			return -1;
		for (int i = 8; i < 11; i++) {
			if (p[i] < '0' || p[i] > '9')
				return -1;
			code = code * 10 + (p[i] - '0');
		}
		if (code < 100 || code > 699 || (n > 11 && p[11] != ' '))
			return -1;
		m->is_request = 0;
		m->status = code;
		m->reason = n > 12 ? trim(p + 12, n - 12) : (struct sipw_str){ p + n, 0 };
		return 0;
	}
	sp1 = memchr(p, ' ', n);
	if (sp1 == NULL || sp1 == p)
		return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(p + n - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return -1;
	if ((size_t)(p + n - sp2 - 1) != 7 || memcmp(sp2 + 1, "SIP/2.0", 7))
		return -1;
	m->is_request = 1;
	m->method = (struct sipw_str){ p, (size_t)(sp1 - p) };
	m->ruri = (struct sipw_str){ sp1 + 1, (size_t)(sp2 - sp1 - 1) };
	return 0;
}

static int
parse_clen(struct sipw_str v, size_t *out)
{
	size_t n = 0;

	if (v.n == 0 || v.n > 9)
		return -1;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		n = n * 10 + (size_t)(v.p[i] - '0');
	}
	*out = n;
	return 0;
}

/* One header line [p, p+n) into m. */
static int
parse_header(const char *p, size_t n, struct sipw_msg *m, const char **why)
{
	const char *colon = memchr(p, ':', n);
	struct sipw_str name, value, *slot;
	int is_via, is_clen;

	if (p[0] == ' ' || p[0] == '\t') {
		*why = "folded header line";
		return -1;
	}
	if (colon == NULL) {
		*why = "header line without ':'";
		return -1;
	}
	name = trim(p, (size_t)(colon - p));
	value = trim(colon + 1, (size_t)(p + n - colon - 1));
	if (name.n == 0) {
		*why = "empty header name";
		return -1;
	}
	slot = header_slot(m, name, &is_via, &is_clen);
	if (is_via) {
		if (m->nvia == SIPW_MAX_VIA) {
			*why = "too many Via headers";
			return -1;
		}
		m->via[m->nvia++] = value;
	} else if (is_clen) {
		if (parse_clen(value, &m->clen) != 0) {
			*why = "bad Content-Length";
			return -1;
		}
		m->have_clen = 1;
	} else if (slot != NULL && slot->p == NULL)
		*slot = value;
	return 0;
}

enum sipw_rc
sipw_parse(const char *buf, size_t len, struct sipw_msg *m, const char **why)
{
	const char *end, *line, *eol, *hend;
	size_t hlen;

	memset(m, 0, sizeof(*m));
	*why = NULL;
	end = find_crlfcrlf(buf, len > SIPW_MAX_MSG ? SIPW_MAX_MSG : len);
	if (end == NULL) {
		if (len >= SIPW_MAX_MSG) {
			*why = "header block too long";
			return SIPW_BAD;
		}
		return SIPW_MORE;
	}
	hlen = (size_t)(end - buf) + 4;
	hend = end + 2;		/* each line ends with its own CRLF */
	eol = memmem(buf, (size_t)(hend - buf), "\r\n", 2);
	if (parse_start_line(buf, (size_t)(eol - buf), m) != 0) {
		*why = "bad start line";
		return SIPW_BAD;
	}
	for (line = eol + 2; line < hend; line = eol + 2) {
		eol = memmem(line, (size_t)(hend - line), "\r\n", 2);
		if (parse_header(line, (size_t)(eol - line), m, why) != 0)
			return SIPW_BAD;
	}
	if (m->call_id.p == NULL || m->cseq.p == NULL || m->from.p == NULL ||
	    m->to.p == NULL || (m->is_request && m->nvia == 0)) {
		*why = "missing Via, From, To, Call-ID or CSeq";
		return SIPW_BAD;
	}
	if (!m->have_clen)
		m->clen = 0;	/* tolerated; RFC 3261 wants it on streams */
	if (m->clen > SIPW_MAX_MSG - hlen) {
		*why = "message too long";
		return SIPW_BAD;
	}
	if (len < hlen + m->clen)
		return SIPW_MORE;
	m->body = (struct sipw_str){ buf + hlen, m->clen };
	m->total = hlen + m->clen;
	return SIPW_OK;
}

size_t
sipw_keepalive(const char *buf, size_t len, int *pings)
{
	size_t off = 0;

	*pings = 0;
	while (off + 1 < len && buf[off] == '\r' && buf[off + 1] == '\n') {
		if (off + 3 < len && buf[off + 2] == '\r' && buf[off + 3] == '\n') {
			(*pings)++;
			off += 4;
		} else
			off += 2;
	}
	return off;
}

struct sipw_str
sipw_cseq_method(struct sipw_str cseq)
{
	size_t i = 0;

	while (i < cseq.n && cseq.p[i] >= '0' && cseq.p[i] <= '9')
		i++;
	return trim(cseq.p + i, cseq.n - i);
}

struct sipw_str
sipw_param(struct sipw_str hdr, const char *name)
{
	size_t nl = strlen(name);
	const char *p = hdr.p, *end = hdr.p + hdr.n;
	const char *gt = memchr(p, '>', hdr.n);

	if (gt != NULL)		/* parameters of the header, not of the URI */
		p = gt + 1;
	while ((p = memchr(p, ';', (size_t)(end - p))) != NULL) {
		struct sipw_str nm;
		const char *vend;

		p++;
		nm = trim(p, (size_t)(end - p));
		if ((size_t)(end - nm.p) > nl && strncasecmp(nm.p, name, nl) == 0 &&
		    nm.p[nl] == '=') {
			const char *v = nm.p + nl + 1;
			for (vend = v; vend < end && *vend != ';' && *vend != ' ' &&
			    *vend != ','; vend++)
				;
			return (struct sipw_str){ v, (size_t)(vend - v) };
		}
	}
	return (struct sipw_str){ NULL, 0 };
}

static void
header(struct obuf *b, const char *name, struct sipw_str v)
{
	obuf_str(b, name);
	obuf_mem(b, v.p, v.n);
	obuf_mem(b, "\r\n", 2);
}

void
sipw_response(struct obuf *b, const struct sipw_msg *req, int code,
    const char *reason, const char *to_tag, const char *extra)
{
	obuf_str(b, "SIP/2.0 ");
	obuf_u64(b, (uint64_t)code);
	obuf_mem(b, " ", 1);
	obuf_str(b, reason);
	obuf_mem(b, "\r\n", 2);
	for (size_t i = 0; i < req->nvia; i++)
		header(b, "Via: ", req->via[i]);
	header(b, "From: ", req->from);
	obuf_str(b, "To: ");
	obuf_mem(b, req->to.p, req->to.n);
	if (to_tag != NULL && sipw_param(req->to, "tag").n == 0) {
		obuf_str(b, ";tag=");
		obuf_str(b, to_tag);
	}
	obuf_mem(b, "\r\n", 2);
	header(b, "Call-ID: ", req->call_id);
	header(b, "CSeq: ", req->cseq);
	if (extra != NULL)
		obuf_str(b, extra);
	obuf_str(b, "Content-Length: 0\r\n\r\n");
}
