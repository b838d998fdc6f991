/*
 * Unit tests of xlate/msg: SIP bodies -> text (charsets, HTML, CPIM,
 * multipart), text -> SIP, Lync ms-text-format, Content-Type parsing and
 * what an XMPP message asks of SIP. One TAP line per row.
 */
#include "tests/unit/xl_cases.h"

#include "xlate/err.h"
#include "xlate/msg.h"

struct body_row {
	const char	*what;
	const char	*ctype;
	const char	*body;
	size_t		 len;		/* 0 = strlen(body) */
	int		 rc;
	const char	*text;
};

#define CPIM_HDRS "From: <im:alice@example.com>\r\nTo: <im:bob@example.net>\r\n" \
	"DateTime: 2024-01-01T10:00:00Z\r\n\r\n"
#define MP_ALT "--b1\r\nContent-Type: text/html\r\n\r\n<b>Hi</b> there\r\n" \
	"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi there\r\n--b1--\r\n"

static const char utf16le[] = "\xff\xfeH\0i\0";
static const char utf16be_pair[] = "\xfe\xff\xd8\x3d\xde\x00";	/* U+1F600 */
static const char utf16_lone[] = "\xd8\x3d\x00\x41";
static const char nul_body[] = "a\0b";

static const struct body_row body_rows[] = {
	{ "plain utf-8", "text/plain;charset=UTF-8", "Hello, world", 0, 0,
	  "Hello, world" },
	{ "plain without charset is utf-8", "text/plain",
	  "caf\xc3\xa9", 0, 0, "caf\xc3\xa9" },
	{ "plain quoted charset", "Text/Plain; charset=\"utf-8\"", "hi", 0, 0,
	  "hi" },
	{ "plain utf-8 BOM dropped", "text/plain; charset=utf-8",
	  "\xef\xbb\xbfhi", 0, 0, "hi" },
	{ "plain us-ascii", "text/plain; charset=us-ascii", "abc", 0, 0, "abc" },
	{ "plain us-ascii with 8-bit", "text/plain; charset=us-ascii",
	  "caf\xe9", 0, XL_E_CHARSET, NULL },
	{ "plain iso-8859-1", "text/plain; charset=ISO-8859-1", "caf\xe9", 0, 0,
	  "caf\xc3\xa9" },
	{ "plain windows-1252 euro", "text/plain; charset=windows-1252",
	  "\x80 5", 0, 0, "\xe2\x82\xac 5" },
	{ "plain windows-1252 undefined byte", "text/plain; charset=windows-1252",
	  "\x81", 0, XL_E_CHARSET, NULL },
	{ "plain utf-16 LE with BOM", "text/plain; charset=utf-16", utf16le, 6, 0,
	  "Hi" },
	{ "plain utf-16 surrogate pair", "text/plain; charset=utf-16",
	  utf16be_pair, 6, 0, "\xf0\x9f\x98\x80" },
	{ "plain utf-16 lone surrogate", "text/plain; charset=utf-16be",
	  utf16_lone, 4, XL_E_CHARSET, NULL },
	{ "plain utf-16 odd length", "text/plain; charset=utf-16le", "abc", 3,
	  XL_E_CHARSET, NULL },
	{ "unknown charset", "text/plain; charset=koi8-r", "abc", 0,
	  XL_E_CHARSET, NULL },
	{ "invalid utf-8", "text/plain; charset=utf-8", "a\xc3(b", 0, XL_E_UTF8,
	  NULL },
	{ "overlong utf-8", "text/plain", "\xc0\xaf", 0, XL_E_UTF8, NULL },
	{ "NUL byte in body", "text/plain", nul_body, 3, XL_E_UTF8, NULL },
	{ "control character in body", "text/plain", "a\x01" "b", 0, XL_E_UTF8,
	  NULL },
	{ "tab and newlines kept", "text/plain", "a\tb\r\nc", 0, 0, "a\tb\r\nc" },
	{ "empty body", "text/plain", "", 0, 0, "" },
	{ "html to text", "text/html", "<p>Hello <b>Bob</b></p><p>Bye</p>", 0, 0,
	  "Hello Bob\nBye" },
	{ "html entities", "text/html; charset=utf-8",
	  "a &lt;b&gt; &amp; &quot;c&quot; &#233;&#x20AC;&nbsp;!", 0, 0,
	  "a <b> & \"c\" \xc3\xa9\xe2\x82\xac\xc2\xa0!" },
	{ "html br and whitespace", "text/html", "one<br>two<BR/>  three\n four",
	  0, 0, "one\ntwo\nthree four" },
	{ "html script and style dropped", "text/html",
	  "<head><title>t</title><style>p{}</style></head>"
	  "<script>alert(1)</script>hi<!-- c -->!", 0, 0, "hi!" },
	{ "html unknown entity kept", "text/html", "a &bogus; b", 0, 0,
	  "a &bogus; b" },
	{ "html NUL entity kept literal", "text/html", "a&#0;b", 0, 0, "a&#0;b" },
	{ "html in latin-1", "text/html; charset=iso-8859-1", "<i>caf\xe9</i>",
	  0, 0, "caf\xc3\xa9" },
	{ "html bare less-than kept", "text/html", "a < b <3 c", 0, 0,
	  "a < b <3 c" },
	{ "multipart boundary prefix is not a delimiter",
	  "multipart/alternative; boundary=b1",
	  "--b1\r\n\r\none\r\n--b1x\r\n--b1--", 0, 0, "one\r\n--b1x" },
	{ "xhtml", "application/xhtml+xml", "<html><body><p>x</p></body></html>",
	  0, 0, "x" },
	{ "cpim unwrapped", "message/cpim",
	  CPIM_HDRS "Content-Type: text/plain; charset=utf-8\r\n\r\nHello", 0, 0,
	  "Hello" },
	{ "cpim with LF only", "message/cpim",
	  "From: <im:a@b.c>\n\nContent-Type: text/plain\n\nHi", 0, 0, "Hi" },
	{ "cpim of html", "message/cpim",
	  CPIM_HDRS "Content-type: text/html\r\n\r\n<p>A&amp;B</p>", 0, 0, "A&B" },
	{ "cpim without content-type", "message/cpim", CPIM_HDRS "\r\nHello", 0,
	  XL_E_SYNTAX, NULL },
	{ "cpim without blank line", "message/cpim", "From: x", 0, XL_E_SYNTAX,
	  NULL },
	{ "cpim of unknown type", "message/cpim",
	  CPIM_HDRS "Content-Type: image/png\r\n\r\nPNG", 0, XL_E_MEDIA, NULL },
	{ "multipart takes text/plain", "multipart/alternative; boundary=b1",
	  MP_ALT, 0, 0, "Hi there" },
	{ "multipart html only", "multipart/alternative; boundary=\"b 2\"",
	  "preamble\r\n--b 2\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--b 2--",
	  0, 0, "x" },
	{ "multipart part without headers", "multipart/alternative; boundary=q",
	  "--q\r\n\r\nplain\r\n--q--", 0, 0, "plain" },
	{ "multipart no usable part", "multipart/alternative; boundary=q",
	  "--q\r\nContent-Type: image/png\r\n\r\nx\r\n--q--", 0, XL_E_MEDIA, NULL },
	{ "multipart no closing delimiter", "multipart/alternative; boundary=q",
	  "--q\r\nContent-Type: text/plain\r\n\r\nx", 0, XL_E_SYNTAX, NULL },
	{ "multipart without boundary", "multipart/alternative", "--q\r\n", 0,
	  XL_E_SYNTAX, NULL },
	{ "cpim nested too deep", "message/cpim",
	  "A: 1\r\n\r\nContent-Type: message/cpim\r\n\r\n"
	  "A: 1\r\n\r\nContent-Type: message/cpim\r\n\r\n"
	  "A: 1\r\n\r\nContent-Type: message/cpim\r\n\r\n"
	  "A: 1\r\n\r\nContent-Type: text/plain\r\n\r\nx", 0, XL_E_DEPTH, NULL },
	{ "unknown type image/png", "image/png", "\x89PNG", 0, XL_E_MEDIA, NULL },
	{ "unknown type application/octet-stream", "application/octet-stream",
	  "x", 0, XL_E_MEDIA, NULL },
	{ "multipart/mixed not carried", "multipart/mixed; boundary=x", "--x--",
	  0, XL_E_MEDIA, NULL },
	{ "no content-type with a body", "", "hello", 0, XL_E_MEDIA, NULL },
	{ "no content-type, no body", NULL, "", 0, 0, "" },
	{ "malformed content-type", "text", "x", 0, XL_E_SYNTAX, NULL },
	{ "malformed parameter", "text/plain; charset", "x", 0, XL_E_SYNTAX,
	  NULL },
	{ "unterminated quoted parameter", "text/plain; charset=\"utf-8", "x", 0,
	  XL_E_SYNTAX, NULL },
};

static void
test_body(void **state)
{
	const struct body_row *r = *state;
	char out[1024];
	size_t n = 99;
	int rc = xl_body_from_sip(r->ctype, r->body, r->len ? r->len :
	    strlen(r->body), out, sizeof(out), &n);

	assert_int_equal(rc, r->rc);
	if (rc == 0) {
		assert_string_equal(out, r->text);
		assert_int_equal(n, strlen(r->text));
	}
}

static void
test_body_too_long(void **state)
{
	size_t n = XL_BODY_MAX + 1;
	char *b = malloc(n), out[16];

	memset(b, 'a', n);
	assert_int_equal(xl_body_from_sip("text/plain", b, n, out, sizeof(out),
	    NULL), XL_E_TOOLONG);
	assert_int_equal(xl_body_to_sip(b, n, &(const char *){ NULL }),
	    XL_E_TOOLONG);
	free(b);
}

static void
test_body_trunc(void **state)
{
	char out[4];

	assert_int_equal(xl_body_from_sip("text/plain", "hello", 5, out,
	    sizeof(out), NULL), XL_E_TRUNC);
}

/* Text toward SIP. */
static const struct {
	const char	*what, *text;
	size_t		 len;
	int		 rc;
} to_sip_rows[] = {
	{ "plain text", "hello", 0, 0 },
	{ "unicode text", "\xe2\x82\xac \xf0\x9f\x98\x80", 0, 0 },
	{ "invalid utf-8", "\xff", 0, XL_E_UTF8 },
	{ "NUL inside", "a\0b", 3, XL_E_UTF8 },
	{ "escape character", "\x1b[31m", 0, XL_E_UTF8 },
	{ "U+FFFE", "\xef\xbf\xbe", 0, XL_E_UTF8 },
};

static void
test_to_sip(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	const char *ct = NULL;
	int rc = xl_body_to_sip(to_sip_rows[i].text, to_sip_rows[i].len ?
	    to_sip_rows[i].len : strlen(to_sip_rows[i].text), &ct);

	assert_int_equal(rc, to_sip_rows[i].rc);
	if (rc == 0)
		assert_string_equal(ct, XL_SIP_TEXT_CTYPE);
}

/* XMPP -> SIP -> XMPP: the text survives the SIP body. */
static const char *const text_roundtrips[] = {
	"hello", "caf\xc3\xa9 \xe2\x82\xac", "line1\nline2", "<b>not html</b> &amp;",
	"\xf0\x9f\x98\x80 emoji",
};

static void
test_text_roundtrip(void **state)
{
	const char *t = *state, *ct;
	char out[256];

	assert_int_equal(xl_body_to_sip(t, strlen(t), &ct), 0);
	assert_int_equal(xl_body_from_sip(ct, t, strlen(t), out, sizeof(out),
	    NULL), 0);
	assert_string_equal(out, t);
}

/* ms-text-format both ways. */
static const struct {
	const char	*what, *hdr;
	int		 rc;
	const char	*text;
} mstf_rows[] = {
	{ "lync header", "text/plain; charset=UTF-8;msgr=WAAtAE0AUwA;"
	  "ms-body=SGVsbG8gQm9i", 0, "Hello Bob" },
	{ "quoted ms-body", "text/plain; ms-body=\"aGk=\"", 0, "hi" },
	{ "html first message", "text/html; charset=UTF-8; ms-body="
	  "PGI+SGk8L2I+IHRoZXJl", 0, "Hi there" },
	{ "latin-1 first message", "text/plain; charset=iso-8859-1; "
	  "ms-body=Y2Fm6Q==", 0, "caf\xc3\xa9" },
	{ "no ms-body", "text/plain; charset=UTF-8", XL_E_SYNTAX, NULL },
	{ "bad base64", "text/plain; ms-body=SGV*bG8=", XL_E_SYNTAX, NULL },
	{ "base64 of a NUL", "text/plain; ms-body=AA==", XL_E_UTF8, NULL },
	{ "unknown type", "image/gif; ms-body=R0lG", XL_E_MEDIA, NULL },
};

static void
test_mstf_decode(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	char out[256];
	int rc = xl_ms_text_format_decode(mstf_rows[i].hdr, out, sizeof(out),
	    NULL);

	assert_int_equal(rc, mstf_rows[i].rc);
	if (rc == 0)
		assert_string_equal(out, mstf_rows[i].text);
}

static const char *const mstf_roundtrips[] = {
	"Hello", "a", "ab", "abc", "caf\xc3\xa9 \xe2\x82\xac!", "multi\nline",
};

static void
test_mstf_roundtrip(void **state)
{
	const char *t = *state;
	char hdr[512], out[256];

	assert_int_equal(xl_ms_text_format_encode(t, strlen(t), hdr,
	    sizeof(hdr)), 0);
	assert_non_null(strstr(hdr, "ms-body="));
	assert_int_equal(xl_ms_text_format_decode(hdr, out, sizeof(out), NULL), 0);
	assert_string_equal(out, t);
}

static void
test_mstf_encode(void **state)
{
	char hdr[64];

	assert_int_equal(xl_ms_text_format_encode("Hello Bob", 9, hdr,
	    sizeof(hdr)), 0);
	assert_string_equal(hdr,
	    "text/plain; charset=UTF-8; ms-body=SGVsbG8gQm9i");
	assert_int_equal(xl_ms_text_format_encode("Hello Bob", 9, hdr, 20),
	    XL_E_TRUNC);
	assert_int_equal(xl_ms_text_format_encode("\x01", 1, hdr, sizeof(hdr)),
	    XL_E_UTF8);
}

static const struct {
	const char		*ctype;
	enum xl_body_kind	 kind;
} classify_rows[] = {
	{ "text/plain;charset=UTF-8", XL_BODY_TEXT },
	{ "message/cpim", XL_BODY_TEXT },
	{ "multipart/alternative; boundary=x", XL_BODY_TEXT },
	{ "application/im-iscomposing+xml", XL_BODY_ISCOMPOSING },
	{ "application/xml", XL_BODY_KEYBOARD },
	{ "application/pidf+xml", XL_BODY_UNSUPPORTED },
	{ "garbage", XL_BODY_UNSUPPORTED },
};

static void
test_classify(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;

	assert_int_equal(xl_body_classify(classify_rows[i].ctype),
	    classify_rows[i].kind);
}

static void
test_ctype(void **state)
{
	struct xl_ctype ct;
	const char *s = "Multipart/Alternative ; Boundary=\"a;b\" ; CHARSET=Latin1;";

	assert_int_equal(xl_ctype_parse(s, strlen(s), &ct), 0);
	assert_string_equal(ct.type, "multipart");
	assert_string_equal(ct.subtype, "alternative");
	assert_string_equal(ct.boundary, "a;b");
	assert_string_equal(ct.charset, "latin1");
	assert_true(xl_ctype_is(&ct, "multipart/alternative"));
	assert_false(xl_ctype_is(&ct, "multipart/mixed"));
	s = "text/plain; boundary=0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890";
	assert_int_equal(xl_ctype_parse(s, strlen(s), &ct), XL_E_SYNTAX);
}

/* What an XMPP message asks of SIP. */
static const struct {
	const char		*what;
	enum xl_msg_type	 type;
	const char		*body;
	enum xl_chat_state	 cs;
	enum xl_msg_kind	 kind;
	int			 rc;
	enum xl_err_cond	 cond;
} kind_rows[] = {
	{ "chat with body", XL_MSG_CHAT, "hi", XL_CS_ACTIVE, XL_MSGK_TEXT, 0 },
	{ "normal with body", XL_MSG_NORMAL, "hi", XL_CS_NONE, XL_MSGK_TEXT, 0 },
	{ "headline with body", XL_MSG_HEADLINE, "news", XL_CS_NONE,
	  XL_MSGK_TEXT, 0 },
	{ "composing only", XL_MSG_CHAT, NULL, XL_CS_COMPOSING,
	  XL_MSGK_CHAT_STATE, 0 },
	{ "empty body, paused", XL_MSG_CHAT, "", XL_CS_PAUSED,
	  XL_MSGK_CHAT_STATE, 0 },
	{ "nothing to carry", XL_MSG_CHAT, NULL, XL_CS_NONE, XL_MSGK_EMPTY,
	  XL_E_UNMAPPABLE, XL_ERR_FEATURE_NOT_IMPLEMENTED },
	{ "groupchat", XL_MSG_GROUPCHAT, "hi", XL_CS_NONE, XL_MSGK_TEXT,
	  XL_E_UNMAPPABLE, XL_ERR_FEATURE_NOT_IMPLEMENTED },
	{ "body with control char", XL_MSG_CHAT, "a\x02", XL_CS_NONE,
	  XL_MSGK_TEXT, XL_E_UTF8, XL_ERR_BAD_REQUEST },
};

static void
test_msg_kind(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	struct xl_msg m = { .type = kind_rows[i].type, .body = kind_rows[i].body,
	    .body_len = kind_rows[i].body ? strlen(kind_rows[i].body) : 0,
	    .chat_state = kind_rows[i].cs };
	struct xl_err e = { 0 };

	assert_int_equal(xl_msg_kind(&m), kind_rows[i].kind);
	assert_int_equal(xl_msg_check_to_sip(&m, &e), kind_rows[i].rc);
	if (kind_rows[i].rc)
		assert_int_equal(e.cond, kind_rows[i].cond);
}

static void
test_msg_dup(void **state)
{
	struct xl_msg m = { .type = XL_MSG_CHAT, .body = "hello", .body_len = 5,
	    .thread = "t1", .id = "m1", .chat_state = XL_CS_ACTIVE };
	struct xl_msg *c;

	strcpy(m.to.user, "bob");
	c = xl_msg_dup(&m);
	assert_non_null(c);
	assert_string_equal(c->body, "hello");
	assert_ptr_not_equal(c->body, m.body);
	assert_string_equal(c->thread, "t1");
	assert_string_equal(c->id, "m1");
	assert_null(c->subject);
	assert_null(c->html);
	assert_string_equal(c->to.user, "bob");
	xl_msg_free(c);
}

int
main(void)
{
	for (size_t i = 0; i < XL_NELEM(body_rows); i++)
		xl_case(test_body, (void *)&body_rows[i], "body: %s",
		    body_rows[i].what);
	xl_case(test_body_too_long, NULL, "body: over 256 KiB is refused");
	xl_case(test_body_trunc, NULL, "body: small output buffer is XL_E_TRUNC");
	for (size_t i = 0; i < XL_NELEM(to_sip_rows); i++)
		xl_case(test_to_sip, (void *)(uintptr_t)i, "text->sip: %s",
		    to_sip_rows[i].what);
	for (size_t i = 0; i < XL_NELEM(text_roundtrips); i++)
		xl_case(test_text_roundtrip, (void *)text_roundtrips[i],
		    "round trip xmpp->sip->xmpp text %zu", i);
	for (size_t i = 0; i < XL_NELEM(mstf_rows); i++)
		xl_case(test_mstf_decode, (void *)(uintptr_t)i,
		    "ms-text-format: %s", mstf_rows[i].what);
	for (size_t i = 0; i < XL_NELEM(mstf_roundtrips); i++)
		xl_case(test_mstf_roundtrip, (void *)mstf_roundtrips[i],
		    "ms-text-format round trip %zu", i);
	xl_case(test_mstf_encode, NULL, "ms-text-format encode");
	for (size_t i = 0; i < XL_NELEM(classify_rows); i++)
		xl_case(test_classify, (void *)(uintptr_t)i, "classify %s",
		    classify_rows[i].ctype);
	xl_case(test_ctype, NULL, "content-type parser");
	for (size_t i = 0; i < XL_NELEM(kind_rows); i++)
		xl_case(test_msg_kind, (void *)(uintptr_t)i, "xmpp message: %s",
		    kind_rows[i].what);
	xl_case(test_msg_dup, NULL, "xl_msg_dup copies every string");
	return xl_cases_run("xlate message bodies");
}
