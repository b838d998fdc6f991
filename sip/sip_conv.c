/*
 * sip_conv: see sip_conv.h. The XML here is read with a small tolerant
 * scanner (element by local name, any prefix): enough for the few flat
 * documents SIP IM and presence carry, and replaced by xlate's Expat-based
 * body helper when it lands.
 */
#include "config.h"

#include "sip/sip_conv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"

/* ---- addresses ---------------------------------------------------- */

static int
hexval(int c)
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
sip_conv_addr_from_uri(const char *user, const char *host, struct xl_addr *a)
{
	size_t n = 0, hl;

	memset(a, 0, sizeof(*a));
	if (user == NULL || host == NULL || *user == '\0')
		return -1;
	for (const char *p = user; *p; p++) {
		int c = (unsigned char)*p;
		if (c == '%') {
			int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
			if (l < 0)
				return -1;
			c = h * 16 + l;
			p += 2;
		}
		if (c < 0x20 || c == 0x7f || n + 1 >= sizeof(a->user))
			return -1;
		a->user[n++] = (char)c;
	}
	hl = strlen(host);
	if (hl == 0 || hl >= sizeof(a->domain))
		return -1;
	for (size_t i = 0; i < hl; i++)
		a->domain[i] = (char)tolower((unsigned char)host[i]);
	if (!config_valid_domain(a->domain))
		return -1;
	return 0;
}

/* RFC 3261 §25.1: unreserved and user-unreserved stay as they are. */
static int
user_char_plain(int c)
{
	return isalnum(c) || (c && strchr("-_.!~*'()&=+$,;?/", c) != NULL);
}

int
sip_conv_addr_to_uri(const struct xl_addr *a, char *buf, size_t len)
{
	size_t n = 0;
	int w;

	if (a->user[0] == '\0' || a->domain[0] == '\0' || len < 8)
		return -1;
	memcpy(buf, "sip:", 4);
	n = 4;
	for (const unsigned char *p = (const unsigned char *)a->user; *p; p++) {
		if (n + 4 >= len)
			return -1;
		if (user_char_plain(*p))
			buf[n++] = (char)*p;
		else
			n += (size_t)snprintf(buf + n, len - n, "%%%02X", *p);
	}
	w = snprintf(buf + n, len - n, "@%s", a->domain);
	return w < 0 || (size_t)w >= len - n ? -1 : 0;
}

/* ---- errors ------------------------------------------------------- */

static const struct {
	enum xl_err_cond cond;
	const char	*name;
	int		 status;
	const char	*phrase;
	enum xl_err_type type;
} err_table[] = {
	{ XL_ERR_BAD_REQUEST, "bad-request", 400, "Bad Request", XL_ERRT_MODIFY },
	{ XL_ERR_CONFLICT, "conflict", 400, "Bad Request", XL_ERRT_CANCEL },
	{ XL_ERR_FEATURE_NOT_IMPLEMENTED, "feature-not-implemented", 501, "Not Implemented", XL_ERRT_CANCEL },
	{ XL_ERR_FORBIDDEN, "forbidden", 403, "Forbidden", XL_ERRT_AUTH },
	{ XL_ERR_GONE, "gone", 410, "Gone", XL_ERRT_CANCEL },
	{ XL_ERR_INTERNAL_SERVER_ERROR, "internal-server-error", 500, "Internal Server Error", XL_ERRT_WAIT },
	{ XL_ERR_ITEM_NOT_FOUND, "item-not-found", 404, "Not Found", XL_ERRT_CANCEL },
	{ XL_ERR_JID_MALFORMED, "jid-malformed", 400, "Bad Request", XL_ERRT_MODIFY },
	{ XL_ERR_NOT_ACCEPTABLE, "not-acceptable", 406, "Not Acceptable", XL_ERRT_MODIFY },
	{ XL_ERR_NOT_ALLOWED, "not-allowed", 403, "Forbidden", XL_ERRT_CANCEL },
	{ XL_ERR_NOT_AUTHORIZED, "not-authorized", 403, "Forbidden", XL_ERRT_AUTH },
	{ XL_ERR_POLICY_VIOLATION, "policy-violation", 403, "Forbidden", XL_ERRT_MODIFY },
	{ XL_ERR_RECIPIENT_UNAVAILABLE, "recipient-unavailable", 480, "Temporarily Unavailable", XL_ERRT_WAIT },
	{ XL_ERR_REDIRECT, "redirect", 302, "Moved Temporarily", XL_ERRT_MODIFY },
	{ XL_ERR_REGISTRATION_REQUIRED, "registration-required", 403, "Forbidden", XL_ERRT_AUTH },
	{ XL_ERR_REMOTE_SERVER_NOT_FOUND, "remote-server-not-found", 404, "Not Found", XL_ERRT_CANCEL },
	{ XL_ERR_REMOTE_SERVER_TIMEOUT, "remote-server-timeout", 504, "Server Time-out", XL_ERRT_WAIT },
	{ XL_ERR_RESOURCE_CONSTRAINT, "resource-constraint", 503, "Service Unavailable", XL_ERRT_WAIT },
	{ XL_ERR_SERVICE_UNAVAILABLE, "service-unavailable", 503, "Service Unavailable", XL_ERRT_CANCEL },
	{ XL_ERR_SUBSCRIPTION_REQUIRED, "subscription-required", 403, "Forbidden", XL_ERRT_AUTH },
	{ XL_ERR_UNDEFINED_CONDITION, "undefined-condition", 500, "Internal Server Error", XL_ERRT_CANCEL },
	{ XL_ERR_UNEXPECTED_REQUEST, "unexpected-request", 491, "Request Pending", XL_ERRT_WAIT },
};

#define NERR (sizeof(err_table) / sizeof(err_table[0]))

const char *
sip_conv_err_name(enum xl_err_cond cond)
{
	for (size_t i = 0; i < NERR; i++)
		if (err_table[i].cond == cond)
			return err_table[i].name;
	return "none";
}

static const char *
status_phrase(int status)
{
	for (size_t i = 0; i < NERR; i++)
		if (err_table[i].status == status)
			return err_table[i].phrase;
	return status >= 500 ? "Server Error" : "Request Failed";
}

int
sip_conv_status_from_err(const struct xl_err *err, const char **phrase)
{
	if (err == NULL || err->cond == XL_ERR_NONE) {
		*phrase = "OK";
		return 200;
	}
	if (err->sip_code >= 300 && err->sip_code <= 699) {
		*phrase = status_phrase(err->sip_code);
		return err->sip_code;
	}
	for (size_t i = 0; i < NERR; i++) {
		if (err_table[i].cond == err->cond) {
			*phrase = err_table[i].phrase;
			return err_table[i].status;
		}
	}
	*phrase = "Internal Server Error";
	return 500;
}

void
sip_conv_err_from_status(int status, const char *phrase, struct xl_err *err)
{
	enum xl_err_cond c;

	switch (status) {
	case 400: case 413: case 414: case 416: case 420: case 421: case 423:
	case 493:
		c = XL_ERR_BAD_REQUEST; break;
	case 401: case 407:
		c = XL_ERR_NOT_AUTHORIZED; break;
	case 402: case 403: case 603:
		c = XL_ERR_FORBIDDEN; break;
	case 404: case 481: case 484: case 604:
		c = XL_ERR_ITEM_NOT_FOUND; break;
	case 405:
		c = XL_ERR_NOT_ALLOWED; break;
	case 406: case 415: case 488: case 606:
		c = XL_ERR_NOT_ACCEPTABLE; break;
	case 408: case 504:
		c = XL_ERR_REMOTE_SERVER_TIMEOUT; break;
	case 410: case 301:
		c = XL_ERR_GONE; break;
	case 302: case 305: case 380:
		c = XL_ERR_REDIRECT; break;
	case 480: case 486: case 600:
		c = XL_ERR_RECIPIENT_UNAVAILABLE; break;
	case 482: case 483:
		c = XL_ERR_NOT_ACCEPTABLE; break;
	case 491:
		c = XL_ERR_UNEXPECTED_REQUEST; break;
	case 501:
		c = XL_ERR_FEATURE_NOT_IMPLEMENTED; break;
	case 502:
		c = XL_ERR_REMOTE_SERVER_NOT_FOUND; break;
	case 503:
		c = XL_ERR_SERVICE_UNAVAILABLE; break;
	case 500:
		c = XL_ERR_INTERNAL_SERVER_ERROR; break;
	default:
		c = status >= 500 ? XL_ERR_INTERNAL_SERVER_ERROR :
		    XL_ERR_UNDEFINED_CONDITION;
	}
	err->cond = c;
	err->type = XL_ERRT_CANCEL;
	for (size_t i = 0; i < NERR; i++)
		if (err_table[i].cond == c)
			err->type = err_table[i].type;
	err->sip_code = status;
	err->text = phrase;
}

/* ---- bodies ------------------------------------------------------- */

enum sip_body
sip_conv_body_kind(const char *type, const char *charset)
{
	int utf8 = charset == NULL || strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "us-ascii") == 0;

	if (type == NULL)
		return SIP_BODY_UNSUPPORTED;
	if (strcasecmp(type, "text/plain") == 0)
		return utf8 ? SIP_BODY_TEXT : SIP_BODY_UNSUPPORTED;
	if (strcasecmp(type, "text/html") == 0)
		return utf8 ? SIP_BODY_HTML : SIP_BODY_UNSUPPORTED;
	if (strcasecmp(type, "application/im-iscomposing+xml") == 0)
		return SIP_BODY_ISCOMPOSING;
	return SIP_BODY_UNSUPPORTED;
}

int
sip_conv_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p++, n, cp;
		if (c < 0x80) {
			if (c == 0)
				return 0;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
		else return 0;
		if ((size_t)(end - p) < n)
			return 0;
		for (unsigned i = 0; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		p += n;
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

/* ---- a small XML scanner ------------------------------------------ */

struct xelem {
	const char	*attrs;		/* inside the start tag, after the name */
	size_t		 alen;
	const char	*content;	/* between start and end tag */
	size_t		 clen;
	const char	*next;		/* first byte after the element */
};

/* End of a start tag: the '>' not inside a quoted attribute value. */
static const char *
tag_end(const char *p, const char *end)
{
	char q = 0;

	for (; p < end; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '>') {
			return p;
		}
	}
	return NULL;
}

/*
 * Find the next element with local name `name` (any prefix) in [s, end).
 * Returns 0 and fills e, or -1 when there is none or it is not closed.
 */
static int
xml_find(const char *s, const char *end, const char *name, struct xelem *e)
{
	size_t nl = strlen(name);

	for (const char *p = s; p && p < end; p++) {
		const char *q, *colon, *gt, *lname;
		size_t qlen;
		if ((p = memchr(p, '<', (size_t)(end - p))) == NULL)
			return -1;
		if (p + 1 >= end || p[1] == '/' || p[1] == '?' || p[1] == '!')
			continue;
		for (q = p + 1; q < end && !isspace((unsigned char)*q) &&
		    *q != '/' && *q != '>'; q++)
			;
		qlen = (size_t)(q - (p + 1));
		colon = memchr(p + 1, ':', qlen);
		lname = colon ? colon + 1 : p + 1;
		if ((size_t)(q - lname) != nl || memcmp(lname, name, nl) != 0)
			continue;
		if ((gt = tag_end(q, end)) == NULL)
			return -1;
		e->attrs = q;
		e->alen = (size_t)(gt - q);
		if (gt > q && gt[-1] == '/') {	/* <name ... /> */
			e->alen--;
			e->content = gt + 1;
			e->clen = 0;
			e->next = gt + 1;
			return 0;
		}
		e->content = gt + 1;
		/* the matching end tag: "</" qname optional-space ">" */
		for (const char *c = gt + 1; c + 2 + qlen <= end; c++) {
			if ((c = memchr(c, '<', (size_t)(end - c))) == NULL)
				break;
			if (c + 2 + qlen > end)
				break;
			if (c[1] == '/' && memcmp(c + 2, p + 1, qlen) == 0) {
				const char *r = c + 2 + qlen;
				while (r < end && isspace((unsigned char)*r))
					r++;
				if (r < end && *r == '>') {
					e->clen = (size_t)(c - e->content);
					e->next = r + 1;
					return 0;
				}
			}
		}
		return -1;
	}
	return -1;
}

/* Decode character data (the five entities, numeric references). */
static int
xml_text(const char *s, size_t n, char *buf, size_t len)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (o + 5 >= len)
			return -1;
		if (s[i] != '&') {
			buf[o++] = s[i];
			continue;
		}
		size_t k, rest = n - i - 1;
		for (k = 0; k < 5; k++) {
			size_t el = strlen(ents[k].ent);
			if (rest >= el && memcmp(s + i + 1, ents[k].ent, el) == 0) {
				buf[o++] = ents[k].c;
				i += el;
				break;
			}
		}
		if (k < 5)
			continue;
		if (rest >= 3 && s[i + 1] == '#') {
			char num[12];
			size_t j = 0;
			const char *semi = memchr(s + i, ';', n - i);
			unsigned long cp;
			char *ep;
			if (semi == NULL || (size_t)(semi - (s + i + 2)) >= sizeof(num))
				return -1;
			for (const char *c = s + i + 2; c < semi; c++)
				num[j++] = *c;
			num[j] = '\0';
			cp = num[0] == 'x' ? strtoul(num + 1, &ep, 16) :
			    strtoul(num, &ep, 10);
			if (*ep || cp == 0 || cp > 0x10ffff)
				return -1;
			if (cp < 0x80) {
				buf[o++] = (char)cp;
			} else if (cp < 0x800) {
				buf[o++] = (char)(0xc0 | (cp >> 6));
				buf[o++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				buf[o++] = (char)(0xe0 | (cp >> 12));
				buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[o++] = (char)(0x80 | (cp & 0x3f));
			} else {
				buf[o++] = (char)(0xf0 | (cp >> 18));
				buf[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[o++] = (char)(0x80 | (cp & 0x3f));
			}
			i = (size_t)(semi - s);
			continue;
		}
		return -1;
	}
	buf[o] = '\0';
	return (int)o;
}

/* Trimmed, decoded text content of the first element `name`. */
static int
xml_child_text(const char *s, const char *end, const char *name, char *buf,
    size_t len)
{
	struct xelem e;
	const char *a, *b;

	if (xml_find(s, end, name, &e) != 0)
		return -1;
	a = e.content;
	b = e.content + e.clen;
	while (a < b && isspace((unsigned char)*a))
		a++;
	while (b > a && isspace((unsigned char)b[-1]))
		b--;
	return xml_text(a, (size_t)(b - a), buf, len);
}

/* Value of attribute `name` in a start tag's attribute region. */
static int
xml_attr(const char *attrs, size_t alen, const char *name, char *buf,
    size_t len)
{
	size_t nl = strlen(name);
	const char *end = attrs + alen;

	for (const char *p = attrs; p + nl + 2 < end; p++) {
		const char *v, *ve;
		if (p != attrs && !isspace((unsigned char)p[-1]))
			continue;
		if (memcmp(p, name, nl) != 0)
			continue;
		v = p + nl;
		while (v < end && isspace((unsigned char)*v))
			v++;
		if (v >= end || *v != '=')
			continue;
		v++;
		while (v < end && isspace((unsigned char)*v))
			v++;
		if (v >= end || (*v != '"' && *v != '\''))
			return -1;
		if ((ve = memchr(v + 1, *v, (size_t)(end - v - 1))) == NULL)
			return -1;
		return xml_text(v + 1, (size_t)(ve - v - 1), buf, len);
	}
	return -1;
}

int
sip_conv_xml_escape(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		const char *r = NULL;
		switch (s[i]) {
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '&': r = "&amp;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&apos;"; break;
		}
		size_t rl = r ? strlen(r) : 1;
		if (o + rl >= len)
			return -1;
		if (r)
			memcpy(buf + o, r, rl);
		else
			buf[o] = s[i];
		o += rl;
	}
	buf[o] = '\0';
	return (int)o;
}

int
sip_conv_html_to_text(const char *html, size_t len, char *buf, size_t buflen,
    size_t *outlen)
{
	size_t o = 0;
	const char *p = html, *end = html + len;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		const char *stop = lt ? lt : end;
		int w;
		if (stop > p) {
			if (o >= buflen)
				return -1;
			if ((w = xml_text(p, (size_t)(stop - p), buf + o,
			    buflen - o)) < 0)
				return -1;
			o += (size_t)w;
		}
		if (lt == NULL)
			break;
		const char *gt = tag_end(lt, end);
		if (gt == NULL)
			return -1;
		if ((gt - lt >= 3 && strncasecmp(lt, "<br", 3) == 0) ||
		    (gt - lt >= 3 && strncasecmp(lt, "</p", 3) == 0) ||
		    (gt - lt >= 5 && strncasecmp(lt, "</div", 5) == 0)) {
			if (o + 1 >= buflen)
				return -1;
			buf[o++] = '\n';
		}
		p = gt + 1;
	}
	while (o > 0 && buf[o - 1] == '\n')
		o--;
	if (o >= buflen)
		return -1;
	buf[o] = '\0';
	*outlen = o;
	return 0;
}

/* ---- isComposing, KeyboardActivity -------------------------------- */

int
sip_conv_iscomposing_parse(const char *body, size_t len, enum xl_chat_state *cs)
{
	const char *end = body + len;
	struct xelem root;
	char state[32];

	if (xml_find(body, end, "isComposing", &root) != 0)
		return -1;
	if (xml_child_text(root.content, root.content + root.clen, "state",
	    state, sizeof(state)) < 0)
		return -1;
	if (strcmp(state, "active") == 0)
		*cs = XL_CS_COMPOSING;
	else if (strcmp(state, "idle") == 0)
		*cs = XL_CS_PAUSED;
	else
		return -1;
	return 0;
}

int
sip_conv_iscomposing_make(enum xl_chat_state cs, char *buf, size_t len)
{
	int n = snprintf(buf, len,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">"
	    "<state>%s</state><contenttype>text/plain</contenttype>"
	    "%s</isComposing>\n", cs == XL_CS_COMPOSING ? "active" : "idle",
	    cs == XL_CS_COMPOSING ? "<refresh>60</refresh>" : "");
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int
sip_conv_keyboard_parse(const char *body, size_t len, enum xl_chat_state *cs)
{
	const char *end = body + len;
	struct xelem root, st;
	char v[32];

	if (xml_find(body, end, "KeyboardActivity", &root) != 0)
		return -1;
	if (xml_find(root.content, root.content + root.clen, "status", &st) != 0)
		return -1;
	if (xml_attr(st.attrs, st.alen, "status", v, sizeof(v)) < 0)
		return -1;
	if (strcmp(v, "type") == 0)
		*cs = XL_CS_COMPOSING;
	else if (strcmp(v, "idle") == 0)
		*cs = XL_CS_PAUSED;
	else
		return -1;
	return 0;
}

int
sip_conv_keyboard_make(enum xl_chat_state cs, char *buf, size_t len)
{
	int n = snprintf(buf, len, "<?xml version=\"1.0\"?>\r\n"
	    "<KeyboardActivity>\r\n  <status status=\"%s\" />\r\n"
	    "</KeyboardActivity>\r\n", cs == XL_CS_COMPOSING ? "type" : "idle");
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* ---- base64, Ms-Text-Format --------------------------------------- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
sip_conv_base64_encode(const unsigned char *in, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	if ((n + 2) / 3 * 4 + 1 > len)
		return -1;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		buf[o++] = b64[(v >> 18) & 63];
		buf[o++] = b64[(v >> 12) & 63];
		buf[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		buf[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	buf[o] = '\0';
	return (int)o;
}

int
sip_conv_base64_decode(const char *in, size_t n, unsigned char *buf,
    size_t len, size_t *outlen)
{
	unsigned v = 0, bits = 0;
	size_t o = 0, pad = 0;

	for (size_t i = 0; i < n; i++) {
		const char *c;
		if (in[i] == '=') {
			pad++;
			continue;
		}
		if (pad || (c = strchr(b64, in[i])) == NULL || in[i] == '\0')
			return -1;
		v = (v << 6) | (unsigned)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= len)
				return -1;
			buf[o++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	if (pad > 2 || (n - pad) % 4 == 1)
		return -1;
	*outlen = o;
	return 0;
}

/* One "name=value" or bare token of a ';'-separated header value. */
static const char *
param_next(const char *p, const char **tok, size_t *toklen)
{
	const char *semi;

	while (*p == ';' || isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return NULL;
	semi = strchr(p, ';');
	*tok = p;
	*toklen = semi ? (size_t)(semi - p) : strlen(p);
	while (*toklen && isspace((unsigned char)p[*toklen - 1]))
		(*toklen)--;
	return semi ? semi : p + strlen(p);
}

int
sip_conv_ms_text_format_parse(const char *value, char *type, size_t typelen,
    char *body, size_t bodylen, size_t *outlen)
{
	const char *p = value, *tok;
	size_t tl;
	int first = 1;

	*outlen = 0;
	type[0] = '\0';
	while ((p = param_next(p, &tok, &tl)) != NULL) {
		if (first) {
			if (tl == 0 || tl >= typelen || memchr(tok, '/', tl) == NULL)
				return -1;
			memcpy(type, tok, tl);
			type[tl] = '\0';
			first = 0;
			continue;
		}
		if (tl > 8 && strncasecmp(tok, "ms-body=", 8) == 0) {
			if (bodylen == 0 || sip_conv_base64_decode(tok + 8, tl - 8,
			    (unsigned char *)body, bodylen - 1, outlen) != 0)
				return -1;
			body[*outlen] = '\0';
		}
	}
	return first ? -1 : 0;
}

int
sip_conv_ms_text_format_make(const char *text, size_t len, char *buf,
    size_t buflen)
{
	int n = snprintf(buf, buflen, "text/plain; charset=UTF-8; ms-body=");

	if (n < 0 || (size_t)n >= buflen)
		return -1;
	if (sip_conv_base64_encode((const unsigned char *)text, len, buf + n,
	    buflen - (size_t)n) < 0)
		return -1;
	return 0;
}

/* ---- presence ------------------------------------------------------ */

/* RPID activities (RFC 4480) and what they mean as an XMPP <show/>. */
static const struct {
	const char	*activity;
	enum xl_show	 show;
} activities[] = {
	{ "away", XL_SHOW_AWAY }, { "appointment", XL_SHOW_AWAY },
	{ "breakfast", XL_SHOW_AWAY }, { "dinner", XL_SHOW_AWAY },
	{ "lunch", XL_SHOW_AWAY }, { "meal", XL_SHOW_AWAY },
	{ "travel", XL_SHOW_AWAY }, { "steering", XL_SHOW_AWAY },
	{ "busy", XL_SHOW_DND }, { "on-the-phone", XL_SHOW_DND },
	{ "meeting", XL_SHOW_DND }, { "presentation", XL_SHOW_DND },
	{ "performance", XL_SHOW_DND }, { "worship", XL_SHOW_DND },
	{ "vacation", XL_SHOW_XA }, { "holiday", XL_SHOW_XA },
	{ "sleeping", XL_SHOW_XA }, { "permanent-absence", XL_SHOW_XA },
};

int
sip_conv_pidf_parse(const char *body, size_t len, struct xl_pres *p,
    char *statusbuf, size_t statuslen)
{
	const char *end = body + len;
	struct xelem root, e;
	char basic[32];

	p->show = XL_SHOW_UNAVAILABLE;
	p->status = NULL;
	p->lync_availability = -1;
	if (xml_find(body, end, "presence", &root) != 0)
		return -1;
	end = root.content + root.clen;
	if (xml_child_text(root.content, end, "basic", basic, sizeof(basic)) >= 0 &&
	    strcmp(basic, "open") == 0)
		p->show = XL_SHOW_AVAILABLE;
	if (p->show == XL_SHOW_AVAILABLE &&
	    xml_find(root.content, end, "activities", &e) == 0) {
		for (size_t i = 0; i < sizeof(activities) / sizeof(activities[0]);
		    i++) {
			struct xelem a;
			if (xml_find(e.content, e.content + e.clen,
			    activities[i].activity, &a) == 0) {
				p->show = activities[i].show;
				break;
			}
		}
	}
	if (statuslen && xml_child_text(root.content, end, "note", statusbuf,
	    statuslen) > 0)
		p->status = statusbuf;
	return 0;
}

static const char *
show_activity(enum xl_show s)
{
	switch (s) {
	case XL_SHOW_AWAY:	return "<rpid:away/>";
	case XL_SHOW_XA:	return "<rpid:away/>";
	case XL_SHOW_DND:	return "<rpid:busy/>";
	default:		return NULL;
	}
}

int
sip_conv_pidf_make(const struct xl_pres *p, const char *entity, char *buf,
    size_t len)
{
	char note[1200] = "", ent[600];
	const char *act = show_activity(p->show);
	int open = p->show != XL_SHOW_UNAVAILABLE, n;

	if (sip_conv_xml_escape(entity, strlen(entity), ent, sizeof(ent)) < 0)
		return -1;
	if (p->status && *p->status) {
		char esc[1024];
		if (sip_conv_xml_escape(p->status, strlen(p->status), esc,
		    sizeof(esc)) < 0)
			return -1;
		snprintf(note, sizeof(note), "<note>%s</note>", esc);
	}
	n = snprintf(buf, len,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	    "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
	    "xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"%s\">\n"
	    "<tuple id=\"fg\"><status><basic>%s</basic></status></tuple>\n"
	    "%s%s%s"
	    "%s\n</presence>\n", ent, open ? "open" : "closed",
	    act ? "<dm:person id=\"p\"><rpid:activities>" : "", act ? act : "",
	    act ? "</rpid:activities></dm:person>\n" : "", note);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* Lync availability ranges (msrtc "aggregateState"). */
static enum xl_show
availability_show(long a)
{
	if (a < 3000 || a >= 18000)
		return XL_SHOW_UNAVAILABLE;
	if (a < 4500)
		return XL_SHOW_AVAILABLE;
	if (a < 6000)
		return XL_SHOW_AWAY;	/* inactive */
	if (a < 12000)
		return XL_SHOW_DND;	/* busy, do not disturb */
	return XL_SHOW_AWAY;		/* be right back, away */
}

static int
show_availability(enum xl_show s)
{
	switch (s) {
	case XL_SHOW_AVAILABLE:
	case XL_SHOW_CHAT:	return 3500;
	case XL_SHOW_AWAY:	return 15500;
	case XL_SHOW_XA:	return 15500;
	case XL_SHOW_DND:	return 9500;
	default:		return 18500;
	}
}

int
sip_conv_categories_parse(const char *body, size_t len, struct xl_pres *p,
    char *statusbuf, size_t statuslen)
{
	const char *end = body + len;
	struct xelem root, note;
	char num[16];
	char *ep;
	long a;

	p->show = XL_SHOW_UNAVAILABLE;
	p->status = NULL;
	p->lync_availability = -1;
	if (xml_find(body, end, "categories", &root) != 0)
		return -1;
	end = root.content + root.clen;
	if (xml_child_text(root.content, end, "availability", num,
	    sizeof(num)) > 0) {
		a = strtol(num, &ep, 10);
		if (*ep == '\0' && a >= 0) {
			p->lync_availability = (int)a;
			p->show = availability_show(a);
		}
	}
	if (statuslen && xml_find(root.content, end, "note", &note) == 0 &&
	    xml_child_text(note.content, note.content + note.clen, "body",
	    statusbuf, statuslen) > 0)
		p->status = statusbuf;
	return 0;
}

int
sip_conv_categories_make(const struct xl_pres *p, const char *entity,
    char *buf, size_t len)
{
	char ent[600], esc[1024] = "";
	int n;

	if (sip_conv_xml_escape(entity, strlen(entity), ent, sizeof(ent)) < 0)
		return -1;
	if (p->status && sip_conv_xml_escape(p->status, strlen(p->status), esc,
	    sizeof(esc)) < 0)
		return -1;
	n = snprintf(buf, len,
	    "<categories xmlns=\"http://schemas.microsoft.com/2006/09/sip/"
	    "categories\" uri=\"%s\">"
	    "<category name=\"state\"><state xmlns=\"http://schemas.microsoft."
	    "com/2006/09/sip/state\" xmlns:xsi=\"http://www.w3.org/2001/"
	    "XMLSchema-instance\" xsi:type=\"aggregateState\"><availability>%d"
	    "</availability></state></category>"
	    "%s%s%s</categories>", ent,
	    p->lync_availability >= 0 ? p->lync_availability :
	    show_availability(p->show),
	    esc[0] ? "<category name=\"note\"><note xmlns=\"http://schemas."
	    "microsoft.com/2006/09/sip/note\"><body type=\"personal\" uri=\"\">" :
	    "", esc, esc[0] ? "</body></note></category>" : "");
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* ---- SDP ----------------------------------------------------------- */

int
sip_conv_sdp_has_message(const char *sdp, size_t len)
{
	const char *p = sdp, *end = sdp + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ll > 10 && memcmp(p, "m=message ", 10) == 0)
			return 1;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

int
sip_conv_sdp_make(const char *host, unsigned port, const char *uri, char *buf,
    size_t len)
{
	int n = snprintf(buf, len,
	    "v=0\r\n"
	    "o=- 0 0 IN IP4 %s\r\n"
	    "s=session\r\n"
	    "c=IN IP4 %s\r\n"
	    "t=0 0\r\n"
	    "m=message %u sip %s\r\n"
	    "a=accept-types:text/plain\r\n", host, host, port, uri);
	return n < 0 || (size_t)n >= len ? -1 : n;
}
