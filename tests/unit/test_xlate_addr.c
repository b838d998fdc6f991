/*
 * Unit tests of xlate/addr: SIP URI and JID <-> struct xl_addr, XEP-0106,
 * IDNA, GRUU, round trips and hostile input. One TAP line per row.
 */
#include "tests/unit/xl_cases.h"

#include "xlate/addr.h"

/* Parse rows: input, expected result, and on success the three parts. */
struct parse_row {
	const char	*in;
	int		 rc;
	const char	*user, *domain, *resource;
};

static const struct parse_row uri_rows[] = {
	{ "sip:alice@example.com", 0, "alice", "example.com", "" },
	{ "sip:Alice@Example.COM", 0, "alice", "example.com", "" },
	{ "SIP:eve@example.com", 0, "eve", "example.com", "" },
	{ "sips:bob@example.org", 0, "bob", "example.org", "" },
	{ "im:carol@example.net", 0, "carol", "example.net", "" },
	{ "pres:dave@example.net", 0, "dave", "example.net", "" },
	{ "sip:john%20smith@example.com", 0, "john smith", "example.com", "" },
	{ "sip:d'artagnan@musketeers.lit", 0, "d'artagnan", "musketeers.lit", "" },
	{ "sip:a%C3%A9@example.com", 0, "a\xc3\xa9", "example.com", "" },
	{ "sip:a&b=c+d$e,f;g?h/i@example.com", 0, "a&b=c+d$e,f;g?h/i",
	  "example.com", "" },
	{ "sip:alice@example.com;transport=tls", 0, "alice", "example.com", "" },
	{ "sip:alice@example.com:5061;transport=tls", 0, "alice", "example.com", "" },
	{ "sip:alice:secret@example.com", 0, "alice", "example.com", "" },
	{ "sip:alice@example.com?subject=hi%20there", 0, "alice", "example.com", "" },
	{ "sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
	  0, "alice", "example.com", "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6" },
	{ "sip:alice@example.com;GR=laptop%2Fhome", 0, "alice", "example.com",
	  "laptop/home" },
	{ "sip:alice@example.com;lr;gr=Desk;maddr=x", 0, "alice", "example.com",
	  "Desk" },
	{ "sip:alice@example.com;gr", 0, "alice", "example.com", "" },
	{ "sip:example.com", 0, "", "example.com", "" },
	{ "sip:example.com:5061", 0, "", "example.com", "" },
	{ "sip:alice@xn--mnchen-3ya.de", 0, "alice", "xn--mnchen-3ya.de", "" },
	{ "sip:alice@m\xc3\xbcnchen.de", 0, "alice", "xn--mnchen-3ya.de", "" },
	{ "sip:alice@example.com.", 0, "alice", "example.com", "" },
	{ "sip:alice@192.0.2.1", 0, "alice", "192.0.2.1", "" },
	/* refused */
	{ "tel:+15551234", XL_E_SCHEME },
	{ "mailto:alice@example.com", XL_E_SCHEME },
	{ "http://example.com/", XL_E_SCHEME },
	{ "alice@example.com", XL_E_SYNTAX },
	{ "sip:", XL_E_SYNTAX },
	{ "sip:@example.com", XL_E_SYNTAX },
	{ "sip:alice@", XL_E_SYNTAX },
	{ "sip:alice@[2001:db8::1]", XL_E_UNMAPPABLE },
	{ "sip:alice@exa mple.com", XL_E_SYNTAX },
	{ "sip:alice@example.com\r\nVia: x", XL_E_SYNTAX },
	{ "sip:al%00ice@example.com", XL_E_UTF8 },
	{ "sip:al%ZZice@example.com", XL_E_SYNTAX },
	{ "sip:al%4@example.com", XL_E_SYNTAX },
	{ "sip:al%C3ice@example.com", XL_E_UTF8 },
	{ "sip:%C0%AF@example.com", XL_E_UTF8 },
	{ "sip:%ED%A0%80@example.com", XL_E_UTF8 },
	{ "sip:%01ctl@example.com", XL_E_UTF8 },
	{ "sip:%20alice@example.com", XL_E_UNMAPPABLE },
	{ "sip:alice%20@example.com", XL_E_UNMAPPABLE },
	{ "sip:a%E2%80%83b@example.com", XL_E_UNMAPPABLE },
	{ "sip:alice@exa_mple.com", XL_E_SYNTAX },
	{ "sip:alice@-example.com", XL_E_SYNTAX },
	{ "sip:alice@example..com", XL_E_SYNTAX },
	{ "sip:alice@example.com:99999999", XL_E_SYNTAX },
	{ "sip:alice@example.com:abc", XL_E_SYNTAX },
	{ "sip:alice@example.com;gr=a%00b", XL_E_UTF8 },
	{ "sip:alice@xn--a.com", XL_E_IDNA },
};

static const struct parse_row jid_rows[] = {
	{ "alice@example.com", 0, "alice", "example.com", "" },
	{ "Alice@Example.com/Laptop", 0, "alice", "example.com", "Laptop" },
	{ "d\\27artagnan@musketeers.lit", 0, "d'artagnan", "musketeers.lit", "" },
	{ "john\\20smith@example.com", 0, "john smith", "example.com", "" },
	{ "treville\\40musketeers.lit@smtp.gascon.fr", 0,
	  "treville@musketeers.lit", "smtp.gascon.fr", "" },
	{ "c\\3a\\5cnet@example.com", 0, "c:\\net", "example.com", "" },
	{ "foo\\bar@example.com", 0, "foo\\bar", "example.com", "" },
	{ "\\2plus\\2is\\4@example.com", 0, "\\2plus\\2is\\4", "example.com", "" },
	{ "foob\\41r@example.com", 0, "foob\\41r", "example.com", "" },
	{ "example.com", 0, "", "example.com", "" },
	{ "example.com/res", 0, "", "example.com", "res" },
	{ "user@m\xc3\xbcnchen.de", 0, "user", "xn--mnchen-3ya.de", "" },
	{ "user@M\xc3\x9cNCHEN.DE", 0, "user", "xn--mnchen-3ya.de", "" },
	{ "user@xn--mnchen-3ya.de", 0, "user", "xn--mnchen-3ya.de", "" },
	{ "a@b.example/res/with/slashes", 0, "a", "b.example", "res/with/slashes" },
	{ "a@b.example/res@x", 0, "a", "b.example", "res@x" },
	{ "\xc3\xa9lodie@example.com", 0, "\xc3\xa9lodie", "example.com", "" },
	/* refused */
	{ "@example.com", XL_E_SYNTAX },
	{ "alice@", XL_E_SYNTAX },
	{ "", XL_E_SYNTAX },
	{ "alice@example.com/", XL_E_SYNTAX },
	{ "al ice@example.com", XL_E_SYNTAX },
	{ "al'ice@example.com", XL_E_SYNTAX },
	{ "a:b@example.com", XL_E_SYNTAX },
	{ "a@b@c.example", XL_E_SYNTAX },
	{ "alice@[::1]", XL_E_UNMAPPABLE },
	{ "alice@example.com/res\x01", XL_E_UTF8 },
	{ "\xff@example.com", XL_E_UTF8 },
	{ "a\xc3@example.com", XL_E_UTF8 },
	{ "\\20alice@example.com", XL_E_UNMAPPABLE },
	{ "alice@exa mple.com", XL_E_SYNTAX },
};

static void
check_parse(const struct parse_row *r, int rc, const struct xl_addr *a)
{
	assert_int_equal(rc, r->rc);
	if (r->rc != 0)
		return;
	assert_string_equal(a->user, r->user);
	assert_string_equal(a->domain, r->domain);
	assert_string_equal(a->resource, r->resource);
}

static void
test_uri_parse(void **state)
{
	const struct parse_row *r = *state;
	struct xl_addr a;

	check_parse(r, xl_addr_from_uri(r->in, &a), &a);
}

static void
test_jid_parse(void **state)
{
	const struct parse_row *r = *state;
	struct xl_addr a;

	check_parse(r, xl_addr_from_jid(r->in, &a), &a);
}

/* Format rows: the parts, the options, the expected string or error. */
struct fmt_row {
	const char	*user, *domain, *resource;
	int		 full;
	const char	*scheme;
	size_t		 buflen;	/* 0 = large */
	int		 rc;
	const char	*out;
};

static const struct fmt_row jid_fmt_rows[] = {
	{ "alice", "example.com", "", 0, NULL, 0, 0, "alice@example.com" },
	{ "d'artagnan", "musketeers.lit", "", 0, NULL, 0, 0,
	  "d\\27artagnan@musketeers.lit" },
	{ "john smith", "example.com", "", 0, NULL, 0, 0,
	  "john\\20smith@example.com" },
	{ "x@y", "example.com", "", 0, NULL, 0, 0, "x\\40y@example.com" },
	{ "a\"b&c/d:e<f>g", "example.com", "", 0, NULL, 0, 0,
	  "a\\22b\\26c\\2fd\\3ae\\3cf\\3eg@example.com" },
	{ "a\\27b", "example.com", "", 0, NULL, 0, 0, "a\\5c27b@example.com" },
	{ "a\\5cb", "example.com", "", 0, NULL, 0, 0, "a\\5c5cb@example.com" },
	{ "a\\b", "example.com", "", 0, NULL, 0, 0, "a\\b@example.com" },
	{ "alice", "example.com", "Laptop", 1, NULL, 0, 0,
	  "alice@example.com/Laptop" },
	{ "alice", "example.com", "Laptop", 0, NULL, 0, 0, "alice@example.com" },
	{ "alice", "xn--mnchen-3ya.de", "", 0, NULL, 0, 0,
	  "alice@m\xc3\xbcnchen.de" },
	{ "", "example.com", "", 0, NULL, 0, 0, "example.com" },
	{ " lead", "example.com", "", 0, NULL, 0, XL_E_UNMAPPABLE, NULL },
	{ "alice", "example.com", "", 0, NULL, 10, XL_E_TRUNC, NULL },
	{ "alice", "", "", 0, NULL, 0, XL_E_SYNTAX, NULL },
};

static const struct fmt_row uri_fmt_rows[] = {
	{ "alice", "example.com", "", 0, NULL, 0, 0, "sip:alice@example.com" },
	{ "john smith", "example.com", "", 0, NULL, 0, 0,
	  "sip:john%20smith@example.com" },
	{ "d'artagnan", "musketeers.lit", "", 0, NULL, 0, 0,
	  "sip:d'artagnan@musketeers.lit" },
	{ "x@y", "example.com", "", 0, NULL, 0, 0, "sip:x%40y@example.com" },
	{ "a\xc3\xa9", "example.com", "", 0, NULL, 0, 0,
	  "sip:a%C3%A9@example.com" },
	{ "a:b<c>\"%", "example.com", "", 0, NULL, 0, 0,
	  "sip:a%3Ab%3Cc%3E%22%25@example.com" },
	{ "alice", "example.com", "laptop/home", 1, NULL, 0, 0,
	  "sip:alice@example.com;gr=laptop/home" },
	{ "alice", "example.com", "urn:uuid:12ab", 1, NULL, 0, 0,
	  "sip:alice@example.com;gr=urn:uuid:12ab" },
	{ "alice", "example.com", "a b;c", 1, NULL, 0, 0,
	  "sip:alice@example.com;gr=a%20b%3Bc" },
	{ "alice", "example.com", "Desk", 0, NULL, 0, 0, "sip:alice@example.com" },
	{ "alice", "example.com", "", 0, "sips", 0, 0, "sips:alice@example.com" },
	{ "alice", "example.com", "", 0, "pres", 0, 0, "pres:alice@example.com" },
	{ "", "example.com", "", 0, NULL, 0, 0, "sip:example.com" },
	{ "alice", "example.com", "", 0, NULL, 12, XL_E_TRUNC, NULL },
	{ "alice", "", "", 0, NULL, 0, XL_E_SYNTAX, NULL },
};

static void
fill_addr(struct xl_addr *a, const struct fmt_row *r)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->user, r->user);
	strcpy(a->domain, r->domain);
	strcpy(a->resource, r->resource);
}

static void
check_fmt(const struct fmt_row *r, int rc, const char *buf)
{
	assert_int_equal(rc, r->rc);
	if (r->rc == 0)
		assert_string_equal(buf, r->out);
}

static void
test_jid_fmt(void **state)
{
	const struct fmt_row *r = *state;
	char buf[4096];
	struct xl_addr a;

	fill_addr(&a, r);
	check_fmt(r, xl_addr_to_jid(&a, r->full, buf, r->buflen ? r->buflen :
	    sizeof(buf)), buf);
}

static void
test_uri_fmt(void **state)
{
	const struct fmt_row *r = *state;
	char buf[4096];
	struct xl_addr a;

	fill_addr(&a, r);
	check_fmt(r, xl_addr_to_uri(&a, r->scheme, r->full, buf, r->buflen ?
	    r->buflen : sizeof(buf)), buf);
}

/* SIP -> XMPP -> SIP: the URI comes back byte for byte. */
static const char *const uri_roundtrips[] = {
	"sip:alice@example.com",
	"sip:john%20smith@example.com",
	"sip:d'artagnan@musketeers.lit",
	"sip:o%22hara@example.com",
	"sip:a&b@example.com",
	"sip:x%40y@example.com",
	"sip:a%5C27b@example.com",
	"sip:c%3A%5Cnet@example.com",
	"sip:alice@example.com;gr=laptop",
	"sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0",
	"sip:%C3%A9lodie@example.com",
	"sip:alice@xn--mnchen-3ya.de",
	"sip:example.com",
};

static void
test_uri_roundtrip(void **state)
{
	const char *uri = *state;
	char jid[4096], back[4096];
	struct xl_addr a, b;

	assert_int_equal(xl_addr_from_uri(uri, &a), 0);
	assert_int_equal(xl_addr_to_jid(&a, 1, jid, sizeof(jid)), 0);
	assert_int_equal(xl_addr_from_jid(jid, &b), 0);
	assert_true(xl_addr_equal(&a, &b, 1));
	assert_int_equal(xl_addr_to_uri(&b, NULL, 1, back, sizeof(back)), 0);
	assert_string_equal(back, uri);
}

/* XMPP -> SIP -> XMPP: the JID comes back byte for byte. */
static const char *const jid_roundtrips[] = {
	"alice@example.com",
	"d\\27artagnan@musketeers.lit",
	"john\\20smith@example.com/Home Laptop",
	"\xc3\xa9lodie@example.com",
	"alice@m\xc3\xbcnchen.de",
	"a\\5c27b@example.com",
	"x\\40y@example.com/r/1",
	"example.com",
};

static void
test_jid_roundtrip(void **state)
{
	const char *jid = *state;
	char uri[4096], back[4096];
	struct xl_addr a, b;

	assert_int_equal(xl_addr_from_jid(jid, &a), 0);
	assert_int_equal(xl_addr_to_uri(&a, NULL, 1, uri, sizeof(uri)), 0);
	assert_int_equal(xl_addr_from_uri(uri, &b), 0);
	assert_true(xl_addr_equal(&a, &b, 1));
	assert_int_equal(xl_addr_to_jid(&b, 1, back, sizeof(back)), 0);
	assert_string_equal(back, jid);
}

/* Hostile sizes: built at run time. */
struct long_row {
	int		 jid;		/* parse as JID, else as URI */
	char		*in;
	int		 rc;
};

static void
test_long(void **state)
{
	struct long_row *r = *state;
	struct xl_addr a;

	assert_int_equal(r->jid ? xl_addr_from_jid(r->in, &a) :
	    xl_addr_from_uri(r->in, &a), r->rc);
	free(r->in);
	free(r);
}

static char *
repeat(const char *pre, char c, size_t n, const char *post)
{
	size_t pl = strlen(pre), sl = strlen(post);
	char *s = malloc(pl + n + sl + 1);

	memcpy(s, pre, pl);
	memset(s + pl, c, n);
	memcpy(s + pl + n, post, sl + 1);
	return s;
}

static void
add_long(int jid, char *in, int rc, const char *what)
{
	struct long_row *r = malloc(sizeof(*r));

	*r = (struct long_row){ jid, in, rc };
	xl_case(test_long, r, "hostile %s: %s", jid ? "jid" : "uri", what);
}

/* Escaping can triple a localpart: over 1023 bytes is refused. */
static void
test_escape_too_long(void **state)
{
	struct xl_addr a;
	char buf[8192];

	memset(&a, 0, sizeof(a));
	memset(a.user, '\'', 400);
	strcpy(a.domain, "example.com");
	assert_int_equal(xl_addr_to_jid(&a, 0, buf, sizeof(buf)), XL_E_TOOLONG);
}

static void
test_addr_set(void **state)
{
	struct xl_addr a, b;

	assert_int_equal(xl_addr_set(&a, "Bob", "EXAMPLE.org.", "Phone"), 0);
	assert_string_equal(a.user, "bob");
	assert_string_equal(a.domain, "example.org");
	assert_string_equal(a.resource, "Phone");
	assert_int_equal(xl_addr_set(&b, "bob", "example.org", NULL), 0);
	assert_true(xl_addr_equal(&a, &b, 0));
	assert_false(xl_addr_equal(&a, &b, 1));
	assert_int_equal(xl_addr_set(&b, "bo\x01", "example.org", NULL),
	    XL_E_UTF8);
	assert_int_equal(xl_addr_set(&b, "bob", "exa mple.org", NULL),
	    XL_E_SYNTAX);
	assert_int_equal(xl_addr_set(&b, "bob", "example.org", ""), XL_E_SYNTAX);
}

static void
test_domain_unicode(void **state)
{
	char buf[256];

	assert_int_equal(xl_domain_to_unicode("xn--mnchen-3ya.de", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "m\xc3\xbcnchen.de");
	assert_int_equal(xl_domain_to_unicode("example.com", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "example.com");
	assert_int_equal(xl_domain_normalize("B\xc3\xbc" "cher.Example", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "xn--bcher-kva.example");
}

int
main(void)
{
	for (size_t i = 0; i < XL_NELEM(uri_rows); i++)
		xl_case(test_uri_parse, (void *)&uri_rows[i], "uri->addr %s",
		    uri_rows[i].in);
	for (size_t i = 0; i < XL_NELEM(jid_rows); i++)
		xl_case(test_jid_parse, (void *)&jid_rows[i], "jid->addr %s",
		    jid_rows[i].in);
	for (size_t i = 0; i < XL_NELEM(jid_fmt_rows); i++)
		xl_case(test_jid_fmt, (void *)&jid_fmt_rows[i],
		    "addr->jid %zu (%s)", i, jid_fmt_rows[i].user);
	for (size_t i = 0; i < XL_NELEM(uri_fmt_rows); i++)
		xl_case(test_uri_fmt, (void *)&uri_fmt_rows[i],
		    "addr->uri %zu (%s)", i, uri_fmt_rows[i].user);
	for (size_t i = 0; i < XL_NELEM(uri_roundtrips); i++)
		xl_case(test_uri_roundtrip, (void *)uri_roundtrips[i],
		    "round trip sip->xmpp->sip %s", uri_roundtrips[i]);
	for (size_t i = 0; i < XL_NELEM(jid_roundtrips); i++)
		xl_case(test_jid_roundtrip, (void *)jid_roundtrips[i],
		    "round trip xmpp->sip->xmpp %s", jid_roundtrips[i]);
	add_long(0, repeat("sip:", 'a', 1100, "@example.com"), XL_E_TOOLONG,
	    "1100-byte user");
	add_long(0, repeat("sip:a@", 'b', 64, ".com"), XL_E_SYNTAX,
	    "64-byte label");
	add_long(0, repeat("sip:a@", 'x', 5000, ""), XL_E_TOOLONG,
	    "5000-byte URI");
	add_long(1, repeat("", 'a', 1024, "@example.com"), XL_E_TOOLONG,
	    "1024-byte localpart");
	add_long(1, repeat("a@example.com/", 'r', 1024, ""), XL_E_TOOLONG,
	    "1024-byte resource");
	add_long(1, repeat("a@", 'd', 300, ".com"), XL_E_SYNTAX,
	    "300-byte label");
	add_long(1, repeat("a@", 'd', 5000, ""), XL_E_TOOLONG,
	    "5000-byte domain");
	xl_case(test_escape_too_long, NULL, "escaping past 1023 bytes is refused");
	xl_case(test_addr_set, NULL, "xl_addr_set validates and normalises");
	xl_case(test_domain_unicode, NULL, "IDNA A-label <-> U-label");
	return xl_cases_run("xlate addresses");
}
