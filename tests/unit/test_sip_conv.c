/*
 * test_sip_conv: the SIP <-> neutral conversions of sip/sip_conv.c, alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip/sip_conv.h"

static void
test_addr_from_uri(void **state)
{
	struct xl_addr a;

	assert_int_equal(sip_conv_addr_from_uri("alice", "Sip.Test", &a), 0);
	assert_string_equal(a.user, "alice");
	assert_string_equal(a.domain, "sip.test");
	assert_string_equal(a.resource, "");
	assert_int_equal(sip_conv_addr_from_uri("j%20doe%2b1", "sip.test", &a), 0);
	assert_string_equal(a.user, "j doe+1");
	/* bad escapes, control characters, missing parts, bad domains */
	assert_int_equal(sip_conv_addr_from_uri("a%zz", "sip.test", &a), -1);
	assert_int_equal(sip_conv_addr_from_uri("a%2", "sip.test", &a), -1);
	assert_int_equal(sip_conv_addr_from_uri("a%00b", "sip.test", &a), -1);
	assert_int_equal(sip_conv_addr_from_uri("a%0ab", "sip.test", &a), -1);
	assert_int_equal(sip_conv_addr_from_uri("", "sip.test", &a), -1);
	assert_int_equal(sip_conv_addr_from_uri(NULL, "sip.test", &a), -1);
	assert_int_equal(sip_conv_addr_from_uri("alice", NULL, &a), -1);
	assert_int_equal(sip_conv_addr_from_uri("alice", "bad..domain", &a), -1);
	assert_int_equal(sip_conv_addr_from_uri("alice", "-x.test", &a), -1);
}

static void
test_addr_from_uri_too_long(void **state)
{
	char user[XL_LOCAL_MAX + 10];
	struct xl_addr a;

	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	assert_int_equal(sip_conv_addr_from_uri(user, "sip.test", &a), -1);
	user[XL_LOCAL_MAX - 1] = '\0';
	assert_int_equal(sip_conv_addr_from_uri(user, "sip.test", &a), 0);
	assert_int_equal(strlen(a.user), XL_LOCAL_MAX - 1);
}

static void
test_addr_to_uri(void **state)
{
	struct xl_addr a = { .user = "bob", .domain = "xmpp.test" }, b;
	char buf[256], small[12];

	assert_int_equal(sip_conv_addr_to_uri(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sip:bob@xmpp.test");
	strcpy(a.user, "j doe@x:y<z>");
	assert_int_equal(sip_conv_addr_to_uri(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sip:j%20doe%40x%3Ay%3Cz%3E@xmpp.test");
	/* and back */
	*strchr(buf, '@') = '\0';
	assert_int_equal(sip_conv_addr_from_uri(buf + 4, "xmpp.test", &b), 0);
	assert_string_equal(b.user, a.user);
	/* no truncation: too small is an error */
	assert_int_equal(sip_conv_addr_to_uri(&a, small, sizeof(small)), -1);
	a.user[0] = '\0';
	assert_int_equal(sip_conv_addr_to_uri(&a, buf, sizeof(buf)), -1);
}

static void
test_err_to_status(void **state)
{
	struct xl_err e = { .cond = XL_ERR_ITEM_NOT_FOUND };
	const char *phrase;

	assert_int_equal(sip_conv_status_from_err(NULL, &phrase), 200);
	assert_string_equal(phrase, "OK");
	assert_int_equal(sip_conv_status_from_err(&e, &phrase), 404);
	e.cond = XL_ERR_RECIPIENT_UNAVAILABLE;
	assert_int_equal(sip_conv_status_from_err(&e, &phrase), 480);
	e.cond = XL_ERR_REMOTE_SERVER_TIMEOUT;
	assert_int_equal(sip_conv_status_from_err(&e, &phrase), 504);
	e.cond = XL_ERR_SERVICE_UNAVAILABLE;
	assert_int_equal(sip_conv_status_from_err(&e, &phrase), 503);
	e.cond = XL_ERR_FORBIDDEN;
	assert_int_equal(sip_conv_status_from_err(&e, &phrase), 403);
	assert_string_equal(phrase, "Forbidden");
	/* the SIP code the error came with wins */
	e.sip_code = 486;
	assert_int_equal(sip_conv_status_from_err(&e, &phrase), 486);
	e.sip_code = 99;		/* out of range: ignored */
	assert_int_equal(sip_conv_status_from_err(&e, &phrase), 403);
	assert_string_equal(sip_conv_err_name(XL_ERR_POLICY_VIOLATION),
	    "policy-violation");
}

static void
test_status_to_err(void **state)
{
	static const struct { int status; enum xl_err_cond cond; } t[] = {
		{ 400, XL_ERR_BAD_REQUEST }, { 403, XL_ERR_FORBIDDEN },
		{ 404, XL_ERR_ITEM_NOT_FOUND }, { 408, XL_ERR_REMOTE_SERVER_TIMEOUT },
		{ 415, XL_ERR_NOT_ACCEPTABLE }, { 480, XL_ERR_RECIPIENT_UNAVAILABLE },
		{ 481, XL_ERR_ITEM_NOT_FOUND }, { 486, XL_ERR_RECIPIENT_UNAVAILABLE },
		{ 501, XL_ERR_FEATURE_NOT_IMPLEMENTED },
		{ 502, XL_ERR_REMOTE_SERVER_NOT_FOUND },
		{ 503, XL_ERR_SERVICE_UNAVAILABLE }, { 504, XL_ERR_REMOTE_SERVER_TIMEOUT },
		{ 599, XL_ERR_INTERNAL_SERVER_ERROR }, { 499, XL_ERR_UNDEFINED_CONDITION },
	};
	struct xl_err e;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&e, 0, sizeof(e));
		sip_conv_err_from_status(t[i].status, "why", &e);
		assert_int_equal(e.cond, t[i].cond);
		assert_int_equal(e.sip_code, t[i].status);
		assert_string_equal(e.text, "why");
	}
}

static void
test_body_kind(void **state)
{
	assert_int_equal(sip_conv_body_kind("text/plain", NULL), SIP_BODY_TEXT);
	assert_int_equal(sip_conv_body_kind("Text/Plain", "UTF-8"), SIP_BODY_TEXT);
	assert_int_equal(sip_conv_body_kind("text/plain", "us-ascii"), SIP_BODY_TEXT);
	assert_int_equal(sip_conv_body_kind("text/plain", "iso-8859-1"),
	    SIP_BODY_UNSUPPORTED);
	assert_int_equal(sip_conv_body_kind("text/html", NULL), SIP_BODY_HTML);
	assert_int_equal(sip_conv_body_kind("application/im-iscomposing+xml",
	    NULL), SIP_BODY_ISCOMPOSING);
	assert_int_equal(sip_conv_body_kind("application/octet-stream", NULL),
	    SIP_BODY_UNSUPPORTED);
	assert_int_equal(sip_conv_body_kind(NULL, NULL), SIP_BODY_UNSUPPORTED);
}

static void
test_utf8(void **state)
{
	assert_true(sip_conv_utf8_valid("plain", 5));
	assert_true(sip_conv_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	assert_false(sip_conv_utf8_valid("caf\xe9", 4));		/* Latin-1 */
	assert_false(sip_conv_utf8_valid("\xc0\xaf", 2));		/* overlong */
	assert_false(sip_conv_utf8_valid("\xe0\x80\xaf", 3));	/* overlong */
	assert_false(sip_conv_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(sip_conv_utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(sip_conv_utf8_valid("\xe2\x82", 2));		/* truncated */
	assert_false(sip_conv_utf8_valid("a\0b", 3));		/* NUL */
}

static void
test_html(void **state)
{
	char buf[128];
	size_t n;
	const char *h = "<p>hello &amp; <b>welcome</b></p><p>line<br/>two</p>";

	assert_int_equal(sip_conv_html_to_text(h, strlen(h), buf, sizeof(buf), &n), 0);
	assert_string_equal(buf, "hello & welcome\nline\ntwo");
	assert_int_equal(n, strlen(buf));
	assert_int_equal(sip_conv_html_to_text("<b", 2, buf, sizeof(buf), &n), -1);
	assert_int_equal(sip_conv_html_to_text("a &bogus; b", 11, buf, sizeof(buf),
	    &n), -1);
	assert_int_equal(sip_conv_html_to_text("&#233;&#x20AC;", 14, buf,
	    sizeof(buf), &n), 0);
	assert_string_equal(buf, "\xc3\xa9\xe2\x82\xac");
}

static void
test_iscomposing(void **state)
{
	enum xl_chat_state cs = XL_CS_NONE;
	char buf[512];
	const char *doc = "<?xml version='1.0'?><isComposing xmlns="
	    "'urn:ietf:params:xml:ns:im-iscomposing'><state> active </state>"
	    "</isComposing>";

	assert_int_equal(sip_conv_iscomposing_parse(doc, strlen(doc), &cs), 0);
	assert_int_equal(cs, XL_CS_COMPOSING);
	assert_true(sip_conv_iscomposing_make(XL_CS_PAUSED, buf, sizeof(buf)) > 0);
	assert_int_equal(sip_conv_iscomposing_parse(buf, strlen(buf), &cs), 0);
	assert_int_equal(cs, XL_CS_PAUSED);
	assert_true(sip_conv_iscomposing_make(XL_CS_COMPOSING, buf, sizeof(buf)) > 0);
	assert_int_equal(sip_conv_iscomposing_parse(buf, strlen(buf), &cs), 0);
	assert_int_equal(cs, XL_CS_COMPOSING);
	/* malformed: no root, unknown state, unclosed */
	assert_int_equal(sip_conv_iscomposing_parse("<state>active</state>", 21,
	    &cs), -1);
	assert_int_equal(sip_conv_iscomposing_parse("<isComposing><state>maybe"
	    "</state></isComposing>", 47, &cs), -1);
	assert_int_equal(sip_conv_iscomposing_parse("<isComposing><state>active",
	    26, &cs), -1);
	assert_int_equal(sip_conv_iscomposing_make(XL_CS_COMPOSING, buf, 20), -1);
}

static void
test_keyboard(void **state)
{
	enum xl_chat_state cs;
	char buf[256];
	const char *lync = "<?xml version=\"1.0\"?>\r\n<KeyboardActivity>\r\n"
	    "  <status status=\"type\" />\r\n</KeyboardActivity>\r\n";

	assert_int_equal(sip_conv_keyboard_parse(lync, strlen(lync), &cs), 0);
	assert_int_equal(cs, XL_CS_COMPOSING);
	assert_true(sip_conv_keyboard_make(XL_CS_PAUSED, buf, sizeof(buf)) > 0);
	assert_int_equal(sip_conv_keyboard_parse(buf, strlen(buf), &cs), 0);
	assert_int_equal(cs, XL_CS_PAUSED);
	assert_int_equal(sip_conv_keyboard_parse("<KeyboardActivity><status "
	    "status='dance'/></KeyboardActivity>", 61, &cs), -1);
	assert_int_equal(sip_conv_keyboard_parse("<Other/>", 8, &cs), -1);
}

static void
test_base64(void **state)
{
	char enc[64];
	unsigned char dec[64];
	size_t n;
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba",
	    "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy" };

	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(sip_conv_base64_encode((const unsigned char *)in[i],
		    strlen(in[i]), enc, sizeof(enc)), (int)strlen(out[i]));
		assert_string_equal(enc, out[i]);
		assert_int_equal(sip_conv_base64_decode(out[i], strlen(out[i]), dec,
		    sizeof(dec), &n), 0);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(dec, in[i], n);
	}
	assert_int_equal(sip_conv_base64_decode("Zm9v!", 5, dec, sizeof(dec),
	    &n), -1);
	assert_int_equal(sip_conv_base64_decode("Zg=a", 4, dec, sizeof(dec), &n),
	    -1);
	assert_int_equal(sip_conv_base64_decode("Z", 1, dec, sizeof(dec), &n), -1);
	assert_int_equal(sip_conv_base64_decode("Zm9vYmFy", 8, dec, 3, &n), -1);
	assert_int_equal(sip_conv_base64_encode((const unsigned char *)"foo", 3,
	    enc, 4), -1);
}

static void
test_ms_text_format(void **state)
{
	char type[64], body[128], hdr[256];
	size_t n;
	const char *v = "text/plain; charset=UTF-8;msgr=WAAtAE0ATQBTAC0ASQBNAC0ARgBv"
	    "AHIAbQBhAHQAOgAgAEYATgA9AFMAZQBnAG8AZQAlADIAMABVAEkAOwAgAEUARgA9ADsA"
	    "IABDAE8APQAwADsAIABDAFMAPQAwADsAIABQAEYAPQAwAAoADQAKAA0A; "
	    "ms-body=aGVsbG8gYm9iLCB0aGlzIGlzIHRoZSBlZGdl";

	assert_int_equal(sip_conv_ms_text_format_parse(v, type, sizeof(type),
	    body, sizeof(body), &n), 0);
	assert_string_equal(type, "text/plain");
	assert_int_equal(n, 27);
	assert_string_equal(body, "hello bob, this is the edge");
	/* no body: valid, empty */
	assert_int_equal(sip_conv_ms_text_format_parse("text/plain; charset=UTF-8",
	    type, sizeof(type), body, sizeof(body), &n), 0);
	assert_int_equal(n, 0);
	/* malformed */
	assert_int_equal(sip_conv_ms_text_format_parse("text/plain; ms-body=@@",
	    type, sizeof(type), body, sizeof(body), &n), -1);
	assert_int_equal(sip_conv_ms_text_format_parse("; ms-body=Zm9v", type,
	    sizeof(type), body, sizeof(body), &n), -1);
	assert_int_equal(sip_conv_ms_text_format_parse("plain", type, sizeof(type),
	    body, sizeof(body), &n), -1);
	assert_int_equal(sip_conv_ms_text_format_parse(v, type, sizeof(type), body,
	    10, &n), -1);
	/* round trip */
	assert_int_equal(sip_conv_ms_text_format_make("h\xc3\xa9llo", 6, hdr,
	    sizeof(hdr)), 0);
	assert_int_equal(sip_conv_ms_text_format_parse(hdr, type, sizeof(type),
	    body, sizeof(body), &n), 0);
	assert_string_equal(body, "h\xc3\xa9llo");
}

static void
test_pidf(void **state)
{
	struct xl_pres p, q;
	char buf[2048], status[128];
	const char *doc = "<?xml version='1.0'?><pidf:presence xmlns:pidf="
	    "'urn:ietf:params:xml:ns:pidf' entity='sip:alice@sip.test'>"
	    "<pidf:tuple id='t'><pidf:status><pidf:basic>open</pidf:basic>"
	    "</pidf:status></pidf:tuple><dm:person><rpid:activities>"
	    "<rpid:on-the-phone/></rpid:activities><dm:note>on a call &amp; "
	    "busy</dm:note></dm:person></pidf:presence>";

	assert_int_equal(sip_conv_pidf_parse(doc, strlen(doc), &p, status,
	    sizeof(status)), 0);
	assert_int_equal(p.show, XL_SHOW_DND);
	assert_string_equal(p.status, "on a call & busy");
	assert_int_equal(sip_conv_pidf_parse("<presence><tuple><status><basic>"
	    "closed</basic></status></tuple></presence>", 75, &p, status,
	    sizeof(status)), 0);
	assert_int_equal(p.show, XL_SHOW_UNAVAILABLE);
	assert_null(p.status);
	assert_int_equal(sip_conv_pidf_parse("<isComposing/>", 14, &p, status,
	    sizeof(status)), -1);
	/* every show survives make -> parse (xa reads back as away) */
	for (int s = XL_SHOW_AVAILABLE; s <= XL_SHOW_UNAVAILABLE; s++) {
		memset(&p, 0, sizeof(p));
		p.show = (enum xl_show)s;
		p.status = "<b>&\"at lunch\"</b>";
		assert_true(sip_conv_pidf_make(&p, "sip:bob@xmpp.test", buf,
		    sizeof(buf)) > 0);
		assert_non_null(strstr(buf, "entity=\"sip:bob@xmpp.test\""));
		assert_int_equal(sip_conv_pidf_parse(buf, strlen(buf), &q, status,
		    sizeof(status)), 0);
		assert_int_equal(q.show, s == XL_SHOW_XA ? XL_SHOW_AWAY :
		    s == XL_SHOW_CHAT ? XL_SHOW_AVAILABLE : s);
		assert_string_equal(q.status, p.status);
	}
	assert_int_equal(sip_conv_pidf_make(&p, "sip:bob@xmpp.test", buf, 64), -1);
}

static void
test_categories(void **state)
{
	struct xl_pres p = { .show = XL_SHOW_DND, .status = "in a meeting",
	    .lync_availability = -1 }, q;
	char buf[2048], status[128];

	assert_true(sip_conv_categories_make(&p, "sip:bob@xmpp.test", buf,
	    sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "<availability>9500</availability>"));
	assert_int_equal(sip_conv_categories_parse(buf, strlen(buf), &q, status,
	    sizeof(status)), 0);
	assert_int_equal(q.show, XL_SHOW_DND);
	assert_int_equal(q.lync_availability, 9500);
	assert_string_equal(q.status, "in a meeting");
	/* a known availability is passed on unchanged */
	p.lync_availability = 4800;
	assert_true(sip_conv_categories_make(&p, "sip:bob@xmpp.test", buf,
	    sizeof(buf)) > 0);
	assert_int_equal(sip_conv_categories_parse(buf, strlen(buf), &q, status,
	    sizeof(status)), 0);
	assert_int_equal(q.lync_availability, 4800);
	assert_int_equal(q.show, XL_SHOW_AWAY);
	assert_int_equal(sip_conv_categories_parse("<presence/>", 11, &q, status,
	    sizeof(status)), -1);
}

static void
test_sdp(void **state)
{
	char buf[512];

	assert_true(sip_conv_sdp_make("gw.sip.test", 5061, "null", buf,
	    sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "m=message 5061 sip null\r\n"));
	assert_true(sip_conv_sdp_has_message(buf, strlen(buf)));
	assert_false(sip_conv_sdp_has_message("v=0\r\nm=audio 4000 RTP/AVP 0\r\n",
	    29));
	assert_int_equal(sip_conv_sdp_make("gw.sip.test", 5061, "null", buf, 40),
	    -1);
}

static void
test_xml_escape(void **state)
{
	char buf[64];

	assert_int_equal(sip_conv_xml_escape("a<b>&\"'", 7, buf, sizeof(buf)), 27);
	assert_string_equal(buf, "a&lt;b&gt;&amp;&quot;&apos;");
	assert_int_equal(sip_conv_xml_escape("<<<<", 4, buf, 10), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_from_uri),
		cmocka_unit_test(test_addr_from_uri_too_long),
		cmocka_unit_test(test_addr_to_uri),
		cmocka_unit_test(test_err_to_status),
		cmocka_unit_test(test_status_to_err),
		cmocka_unit_test(test_body_kind),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_iscomposing),
		cmocka_unit_test(test_keyboard),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_ms_text_format),
		cmocka_unit_test(test_pidf),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_sdp),
		cmocka_unit_test(test_xml_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
