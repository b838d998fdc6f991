/*
 * addr: SIP URI / JID <-> struct xl_addr. See addr.h for the rules.
 */
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "xlate/addr.h"
#include "xlate/text.h"

/* XEP-0106: the characters a localpart cannot hold, and their escapes. */
static const struct {
	char	c;
	char	code[3];
} jid_escapes[] = {
	{ ' ', "20" }, { '"', "22" }, { '&', "26" }, { '\'', "27" },
	{ '/', "2f" }, { ':', "3a" }, { '<', "3c" }, { '>', "3e" },
	{ '@', "40" }, { '\\', "5c" },
};
#define NESCAPES (sizeof(jid_escapes) / sizeof(jid_escapes[0]))

/* The character an escape "\hh" at s stands for, or 0. */
static char
jid_escape_at(const char *s)
{
	if (s[0] != '\\' || s[1] == '\0' || s[2] == '\0')
		return 0;
	for (size_t i = 0; i < NESCAPES; i++)
		if (s[1] == jid_escapes[i].code[0] &&
		    s[2] == jid_escapes[i].code[1])
			return jid_escapes[i].c;
	return 0;
}

int
xl_jid_escape(const char *user, char *buf, size_t len)
{
	struct xl_out o;
	size_t n = strlen(user);

	/* XEP-0106 §3.2: \20 may be neither first nor last. */
	if (n > 0 && (user[0] == ' ' || user[n - 1] == ' '))
		return XL_E_UNMAPPABLE;
	xl_out_init(&o, buf, len);
	for (const char *p = user; *p; p++) {
		size_t i;

		/* A backslash is escaped only where it would read as an escape. */
		if (*p == '\\' && !jid_escape_at(p)) {
			xl_out_char(&o, '\\');
			continue;
		}
		for (i = 0; i < NESCAPES; i++)
			if (*p == jid_escapes[i].c)
				break;
		if (i < NESCAPES) {
			xl_out_char(&o, '\\');
			xl_out_str(&o, jid_escapes[i].code);
		} else
			xl_out_char(&o, *p);
	}
	return xl_out_done(&o);
}

int
xl_jid_unescape(const char *local, char *buf, size_t len)
{
	struct xl_out o;

	xl_out_init(&o, buf, len);
	for (const char *p = local; *p; p++) {
		char c = jid_escape_at(p);

		if (c) {
			xl_out_char(&o, c);
			p += 2;
		} else
			xl_out_char(&o, *p);
	}
	return xl_out_done(&o);
}

/* Unicode spaces PRECIS refuses and XEP-0106 cannot escape. */
static int
is_unicode_space(int32_t cp)
{
	return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
	    cp == 0x3000;
}

/*
 * s[0..n) is UTF-8 without C0, DEL or C1 controls: XL_OK, else XL_E_UTF8.
 * With spaces_ok = 0, the Unicode spaces are XL_E_UNMAPPABLE.
 */
static int
utf8_printable(const char *s, size_t n, int spaces_ok)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		int32_t cp = xl_utf8_next(&p, end);

		if (cp <= 0 || cp < 0x20 || cp == 0x7F ||
		    (cp >= 0x80 && cp <= 0x9F))
			return XL_E_UTF8;
		if (!spaces_ok && is_unicode_space(cp))
			return XL_E_UNMAPPABLE;
	}
	return XL_OK;
}

/*
 * Check an unescaped user name: UTF-8 without controls, at most
 * XL_LOCAL_MAX - 1 bytes, no space XEP-0106 cannot carry. Lower-cases ASCII
 * in place.
 */
static int
user_normalize(char *u)
{
	size_t n = strlen(u);
	int rc;

	if (n >= XL_LOCAL_MAX)
		return XL_E_TOOLONG;
	if ((rc = utf8_printable(u, n, 0)) != XL_OK)
		return rc;
	if (n > 0 && (u[0] == ' ' || u[n - 1] == ' '))
		return XL_E_UNMAPPABLE;
	xl_ascii_lower(u);
	return XL_OK;
}

/* A resource: 1..1023 bytes of UTF-8 without controls. */
static int
resource_check(const char *r, size_t n)
{
	if (n == 0)
		return XL_E_SYNTAX;
	if (n >= XL_RES_MAX)
		return XL_E_TOOLONG;
	return utf8_printable(r, n, 1);
}

/* An ASCII label: letters, digits, inner hyphens, 1..63 long. */
static int
ldh_label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return 0;
	}
	return 1;
}

/* Every label of a lower-case ASCII name is LDH; some need IDNA checks. */
static int
ascii_domain_check(const char *d, int *has_alabel)
{
	const char *p = d;

	*has_alabel = 0;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!ldh_label_ok(p, n))
			return XL_E_SYNTAX;
		if (n >= 4 && !strncmp(p, "xn--", 4))
			*has_alabel = 1;
		if (!dot)
			return XL_OK;
		p = dot + 1;
	}
}

/*
 * Any domain -> lower-case A-labels. ASCII names are checked label by
 * label here; names with U-labels or A-labels go through libidn2 (IDNA2008
 * with TR46 non-transitional mapping), which also proves A-labels valid.
 */
int
xl_domain_normalize(const char *in, char *out, size_t len)
{
	char tmp[XL_DOMAIN_MAX * 4];
	size_t n = strlen(in);
	int ascii = 1, has_alabel, rc;
	char *idn = NULL;
	struct xl_out o;

	if (n > 0 && in[n - 1] == '.')
		n--;			/* RFC 7622 §3.2: strip one final dot */
	if (n == 0)
		return XL_E_SYNTAX;
	if (n >= sizeof(tmp))
		return XL_E_TOOLONG;
	memcpy(tmp, in, n);
	tmp[n] = '\0';
	if (xl_utf8_check(tmp, n, 0) != XL_OK)
		return XL_E_UTF8;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)tmp[i] >= 0x80)
			ascii = 0;
	if (ascii) {
		xl_ascii_lower(tmp);
		if ((rc = ascii_domain_check(tmp, &has_alabel)) != XL_OK)
			return rc;
	}
	if (!ascii || has_alabel) {
		if (idn2_lookup_u8((const uint8_t *)tmp, (uint8_t **)&idn,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK)
			return XL_E_IDNA;
		if (strlen(idn) >= sizeof(tmp)) {
			idn2_free(idn);
			return XL_E_TOOLONG;
		}
		strcpy(tmp, idn);
		idn2_free(idn);
		xl_ascii_lower(tmp);
		if ((rc = ascii_domain_check(tmp, &has_alabel)) != XL_OK)
			return rc;
	}
	if (strlen(tmp) > 253)
		return XL_E_TOOLONG;
	xl_out_init(&o, out, len);
	xl_out_str(&o, tmp);
	return xl_out_done(&o);
}

int
xl_domain_to_unicode(const char *alabel, char *out, size_t len)
{
	struct xl_out o;
	char *u = NULL;

	xl_out_init(&o, out, len);
	if (strstr(alabel, "xn--") == NULL) {
		xl_out_str(&o, alabel);
		return xl_out_done(&o);
	}
	if (idn2_to_unicode_8z8z(alabel, &u, 0) != IDN2_OK)
		return XL_E_IDNA;
	xl_out_str(&o, u);
	idn2_free(u);
	return xl_out_done(&o);
}

int
xl_addr_set(struct xl_addr *a, const char *user, const char *domain,
    const char *resource)
{
	struct xl_addr t;
	int rc;

	memset(&t, 0, sizeof(t));
	if (user == NULL)
		user = "";
	if (strlen(user) >= sizeof(t.user))
		return XL_E_TOOLONG;
	strcpy(t.user, user);
	if ((rc = user_normalize(t.user)) != XL_OK)
		return rc;
	if ((rc = xl_domain_normalize(domain, t.domain, sizeof(t.domain))) !=
	    XL_OK)
		return rc == XL_E_TRUNC ? XL_E_TOOLONG : rc;
	if (resource != NULL) {
		if ((rc = resource_check(resource, strlen(resource))) != XL_OK)
			return rc;
		strcpy(t.resource, resource);
	}
	*a = t;
	return XL_OK;
}

/* Percent-decode [s, s+n) into buf (size len); XL_E_TOOLONG if it is longer. */
static int
pct_part(const char *s, size_t n, char *buf, size_t len)
{
	struct xl_out o;
	int rc;

	xl_out_init(&o, buf, len);
	rc = xl_pct_decode(s, n, &o);
	return rc == XL_E_TRUNC ? XL_E_TOOLONG : rc;
}

/* The GRUU "gr" value among ";name=value" parameters, or NULL. */
static const char *
uri_find_gr(const char *params, const char *end, size_t *vlen)
{
	const char *p = params;

	while (p < end && *p == ';') {
		const char *name = p + 1, *next = name;

		while (next < end && *next != ';')
			next++;
		const char *eq = memchr(name, '=', (size_t)(next - name));
		size_t nlen = eq ? (size_t)(eq - name) : (size_t)(next - name);

		if (eq && xl_ascii_casecmp_n(name, nlen, "gr") == 0 &&
		    next > eq + 1) {
			*vlen = (size_t)(next - eq - 1);
			return eq + 1;
		}
		p = next;
	}
	return NULL;
}

/* "sip:" and friends; returns the length of "scheme:" or 0. */
static size_t
uri_scheme(const char *uri)
{
	static const char *const schemes[] = { "sip", "sips", "im", "pres" };
	const char *colon = strchr(uri, ':');

	if (colon == NULL)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (xl_ascii_casecmp_n(uri, (size_t)(colon - uri),
		    schemes[i]) == 0)
			return (size_t)(colon - uri) + 1;
	return 0;
}

/* Host part [h, h+n) of a URI (no brackets, no port) -> normalised domain. */
static int
uri_host(const char *h, size_t n, struct xl_addr *t)
{
	char host[XL_DOMAIN_MAX * 4];

	if (n == 0)
		return XL_E_SYNTAX;
	if (h[0] == '[')
		return XL_E_UNMAPPABLE;		/* IPv6 reference: no JID form */
	if (n >= sizeof(host))
		return XL_E_TOOLONG;
	memcpy(host, h, n);
	host[n] = '\0';
	int rc = xl_domain_normalize(host, t->domain, sizeof(t->domain));
	return rc == XL_E_TRUNC ? XL_E_TOOLONG : rc;
}

int
xl_addr_from_uri(const char *uri, struct xl_addr *out)
{
	struct xl_addr t;
	size_t n = strlen(uri), skip;
	const char *p, *end, *at, *host, *hend, *gr;
	size_t grlen = 0;
	int rc;

	if (n > XL_URI_MAX)
		return XL_E_TOOLONG;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)uri[i] <= 0x20 || uri[i] == 0x7F)
			return XL_E_SYNTAX;
	if ((skip = uri_scheme(uri)) == 0)
		return strchr(uri, ':') ? XL_E_SCHEME : XL_E_SYNTAX;
	memset(&t, 0, sizeof(t));
	p = uri + skip;
	/* No '@' may stand unescaped after the userinfo: the first ends it. */
	at = strchr(p, '@');
	end = strchr(at ? at : p, '?');
	if (end == NULL)
		end = uri + n;
	if (at != NULL) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *uend = colon ? colon : at;	/* drop a password */

		if (uend == p)
			return XL_E_SYNTAX;
		if ((rc = pct_part(p, (size_t)(uend - p), t.user,
		    sizeof(t.user))) != XL_OK)
			return rc;
		if ((rc = user_normalize(t.user)) != XL_OK)
			return rc;
		host = at + 1;
	} else
		host = p;
	for (hend = host; hend < end && *hend != ';' && *hend != ':'; hend++)
		if (*hend == '[')
			return XL_E_UNMAPPABLE;
	if ((rc = uri_host(host, (size_t)(hend - host), &t)) != XL_OK)
		return rc;
	if (hend < end && *hend == ':') {		/* port: digits only */
		const char *q = hend + 1;

		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q == hend + 1 || q - hend > 6 || (q < end && *q != ';'))
			return XL_E_SYNTAX;
		hend = q;
	}
	if ((gr = uri_find_gr(hend, end, &grlen)) != NULL) {
		if ((rc = pct_part(gr, grlen, t.resource,
		    sizeof(t.resource))) != XL_OK)
			return rc;
		if ((rc = resource_check(t.resource, strlen(t.resource))) !=
		    XL_OK)
			return rc;
	}
	*out = t;
	return XL_OK;
}

/* RFC 3261 user: unreserved / user-unreserved stay, the rest is %XX. */
static void
pct_encode(struct xl_out *o, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.!~*'()", *p) ||
		    strchr(keep, *p))
			xl_out_char(o, (char)*p);
		else {
			xl_out_char(o, '%');
			xl_out_char(o, hex[*p >> 4]);
			xl_out_char(o, hex[*p & 0xF]);
		}
	}
}

int
xl_addr_to_uri(const struct xl_addr *a, const char *scheme, int full,
    char *buf, size_t len)
{
	struct xl_out o;

	if (a->domain[0] == '\0')
		return XL_E_SYNTAX;
	if (scheme == NULL)
		scheme = "sip";
	xl_out_init(&o, buf, len);
	xl_out_str(&o, scheme);
	xl_out_char(&o, ':');
	if (a->user[0]) {
		pct_encode(&o, a->user, "&=+$,;?/");
		xl_out_char(&o, '@');
	}
	xl_out_str(&o, a->domain);
	if (full && a->resource[0]) {
		xl_out_str(&o, ";gr=");
		pct_encode(&o, a->resource, "[]/:&+$");
	}
	return xl_out_done(&o);
}

/* Characters RFC 7622 forbids in a localpart as sent (before unescaping). */
static int
jid_local_char_ok(char c)
{
	return strchr(" \"&'/:<>@", c) == NULL;
}

int
xl_addr_from_jid(const char *jid, struct xl_addr *out)
{
	char local[XL_LOCAL_MAX], dom[XL_DOMAIN_MAX * 4];
	const char *slash, *at;
	size_t n = strlen(jid), bare, ln, dn;
	struct xl_addr t;
	int rc;

	if (n > XL_LOCAL_MAX + XL_DOMAIN_MAX * 4 + XL_RES_MAX)
		return XL_E_TOOLONG;
	memset(&t, 0, sizeof(t));
	slash = strchr(jid, '/');
	bare = slash ? (size_t)(slash - jid) : n;
	at = memchr(jid, '@', bare);
	ln = at ? (size_t)(at - jid) : 0;
	if (at && ln == 0)
		return XL_E_SYNTAX;
	if (ln >= sizeof(local))
		return XL_E_TOOLONG;
	memcpy(local, jid, ln);
	local[ln] = '\0';
	for (size_t i = 0; i < ln; i++)
		if (!jid_local_char_ok(local[i]))
			return XL_E_SYNTAX;
	xl_ascii_lower(local);
	if (xl_jid_unescape(local, t.user, sizeof(t.user)) != XL_OK)
		return XL_E_TOOLONG;
	if ((rc = user_normalize(t.user)) != XL_OK)
		return rc;
	dn = bare - (at ? ln + 1 : 0);
	if (dn >= sizeof(dom))
		return XL_E_TOOLONG;
	memcpy(dom, at ? at + 1 : jid, dn);
	dom[dn] = '\0';
	if (dn == 0 || dom[0] == '[')
		return dn == 0 ? XL_E_SYNTAX : XL_E_UNMAPPABLE;
	if ((rc = xl_domain_normalize(dom, t.domain, sizeof(t.domain))) != XL_OK)
		return rc == XL_E_TRUNC ? XL_E_TOOLONG : rc;
	if (slash) {
		if ((rc = resource_check(slash + 1, strlen(slash + 1))) != XL_OK)
			return rc;
		strcpy(t.resource, slash + 1);
	}
	*out = t;
	return XL_OK;
}

int
xl_addr_to_jid(const struct xl_addr *a, int full, char *buf, size_t len)
{
	char local[XL_LOCAL_MAX * 3], dom[XL_DOMAIN_MAX * 4];
	struct xl_out o;
	int rc;

	if (a->domain[0] == '\0')
		return XL_E_SYNTAX;
	if ((rc = xl_jid_escape(a->user, local, sizeof(local))) != XL_OK)
		return rc;
	if (strlen(local) >= XL_LOCAL_MAX)
		return XL_E_TOOLONG;		/* escaping made it too long */
	if ((rc = xl_domain_to_unicode(a->domain, dom, sizeof(dom))) != XL_OK)
		return rc;
	xl_out_init(&o, buf, len);
	if (local[0]) {
		xl_out_str(&o, local);
		xl_out_char(&o, '@');
	}
	xl_out_str(&o, dom);
	if (full && a->resource[0]) {
		xl_out_char(&o, '/');
		xl_out_str(&o, a->resource);
	}
	return xl_out_done(&o);
}

int
xl_addr_equal(const struct xl_addr *a, const struct xl_addr *b, int full)
{
	return strcmp(a->user, b->user) == 0 &&
	    strcmp(a->domain, b->domain) == 0 &&
	    (!full || strcmp(a->resource, b->resource) == 0);
}
