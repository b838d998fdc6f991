/*
 * Unit tests of xmpp/stanza (the serializer and its escaping) and
 * xmpp/stanza_conv (JIDs, neutral types <-> stanzas): whatever text the
 * other side hands us, what we write is well-formed XML that says exactly
 * that text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "xmpp/parser.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_conv.h"

static char *
take(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static char *
text_escaped(const char *in, size_t len, int attr)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	assert_int_equal(attr ? xml_write_attr(b, in, len) :
	    xml_write_text(b, in, len), 0);
	s = take(b);
	evbuffer_free(b);
	return s;
}

static void
test_escaping(void **state)
{
	static const struct { const char *in; const char *text, *attr; } cases[] = {
		{ "plain", "plain", "plain" },
		{ "<&>", "&lt;&amp;&gt;", "&lt;&amp;&gt;" },
		{ "it's \"q\"", "it's \"q\"", "it&apos;s &quot;q&quot;" },
		{ "a\tb\nc\rd", "a\tb\nc&#13;d", "a&#9;b&#10;c&#13;d" },
		{ "]]>", "]]&gt;", "]]&gt;" },
		/* controls XML 1.0 forbids become U+FFFD */
		{ "x\x01y\x1fz\x7f", "x\xef\xbf\xbdy\xef\xbf\xbdz\x7f",
		  "x\xef\xbf\xbdy\xef\xbf\xbdz\x7f" },
		/* valid UTF-8 passes through, 2, 3 and 4 bytes */
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		/* invalid: lone continuation, truncated, overlong, surrogate, U+FFFE */
		{ "a\x80" "b", "a\xef\xbf\xbd" "b", "a\xef\xbf\xbd" "b" },
		{ "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd", "a\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xc0\xbc", "\xef\xbf\xbd\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xef\xbf\xbe", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = text_escaped(cases[i].in, strlen(cases[i].in), 0);
		char *a = text_escaped(cases[i].in, strlen(cases[i].in), 1);

		assert_string_equal(t, cases[i].text);
		assert_string_equal(a, cases[i].attr);
		free(t);
		free(a);
	}
	/* a NUL inside the data is data, and not allowed in XML either */
	{
		char *t = text_escaped("a\0b", 3, 0);
		assert_string_equal(t, "a\xef\xbf\xbd" "b");
		free(t);
	}
}

static void
test_writef(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	assert_int_equal(xml_writef(b, "<db:result from='%s' to='%s'>%%</db:result>",
	    "a'b", "<c>"), 0);
	s = take(b);
	assert_string_equal(s, "<db:result from='a&apos;b' to='&lt;c&gt;'>%</db:result>");
	free(s);
	assert_int_equal(xml_writef(b, "%d", 1), -1);	/* only %s and %% */
	evbuffer_free(b);
}

static void
test_tree_namespaces(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct xnode *m = xnode_new(XMPP_NS_SERVER, "message"), *c;
	char *s;

	xnode_set_attr(m, "to", "b@sip.test");
	xnode_set_attr(m, "to", "c@sip.test");		/* replaced, not doubled */
	xnode_set_attr(m, "xml:lang", "en");
	c = xnode_add_child(m, XMPP_NS_SERVER, "body");
	xnode_add_text(c, "a", 1);
	xnode_add_text(c, "<b>", 3);			/* merged */
	c = xnode_add_child(m, "urn:x", "x");
	xnode_add_child(c, NULL, "y");			/* inherits urn:x */
	assert_int_equal(xnode_write(m, XMPP_NS_SERVER, b), 0);
	s = take(b);
	assert_string_equal(s, "<message to='c@sip.test' xml:lang='en'>"
	    "<body>a&lt;b&gt;</body><x xmlns='urn:x'><y/></x></message>");
	free(s);
	/* written on a stream of another default namespace, it says its own */
	assert_int_equal(xnode_write(m, XMPP_NS_CLIENT, b), 0);
	s = take(b);
	assert_non_null(strstr(s, "<message xmlns='jabber:server' to="));
	free(s);
	assert_string_equal(xnode_text(xnode_child(m, NULL, "body"), NULL), "a<b>");
	assert_null(xnode_child(m, XMPP_NS_CLIENT, "body"));
	xnode_free(m);
	evbuffer_free(b);
}

static void
test_jid(void **state)
{
	struct xl_addr a;
	char buf[CONV_JID_MAX], dom[XL_DOMAIN_MAX];

	/* xlate/addr.h does the work; this checks the wiring */
	assert_int_equal(conv_jid_parse("Alice@XMPP.Test./phone 1", &a), 0);
	assert_string_equal(a.user, "alice");
	assert_string_equal(a.domain, "xmpp.test");
	assert_string_equal(a.resource, "phone 1");
	assert_int_equal(conv_jid_format(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "alice@xmpp.test/phone 1");
	assert_int_equal(conv_jid_parse("d\\27artagnan@xn--caf-dma.test", &a), 0);
	assert_string_equal(a.user, "d'artagnan");
	assert_string_equal(a.domain, "xn--caf-dma.test");
	assert_int_equal(conv_jid_parse("xmpp.test", &a), 0);
	assert_string_equal(a.user, "");
	assert_int_equal(conv_jid_parse("a@b@c.test", &a), -1);
	assert_int_equal(conv_jid_parse("@c.test", &a), -1);
	assert_int_equal(conv_jid_parse("a b@c.test", &a), -1);
	assert_int_equal(conv_jid_parse("a@", &a), -1);
	assert_int_equal(conv_jid_parse("a@c..test", &a), -1);
	assert_int_equal(conv_jid_parse("a@c.test/", &a), -1);
	assert_int_equal(conv_jid_parse("a@c<.test", &a), -1);
	assert_int_equal(conv_jid_domain("u@Sub.Example.COM/r/x", dom, sizeof(dom)), 0);
	assert_string_equal(dom, "sub.example.com");
}

/* Parse stanza text back with the stream parser: its one element. */
static struct xnode *reparsed;
static int reparse_errors;

static void rp_open(void *a, const struct xnode *h) { }
static void rp_close(void *a) { }

static void
rp_element(void *a, struct xnode *el)
{
	if (reparsed == NULL)
		reparsed = el;
	else
		xnode_free(el);
}

static void
rp_error(void *a, const char *cond, const char *text)
{
	reparse_errors++;
}

static struct xnode *
reparse(struct evbuffer *b)
{
	static const struct xparser_cb cb = { rp_open, rp_element, rp_close,
	    rp_error };
	static const char hdr[] = "<stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams'>";
	struct xparser *p = xparser_new(&cb, NULL, 1 << 20);
	char *s = take(b);

	reparsed = NULL;
	reparse_errors = 0;
	assert_int_equal(xparser_feed(p, hdr, sizeof(hdr) - 1), 0);
	assert_int_equal(xparser_feed(p, s, strlen(s)), 0);
	xparser_free(p);
	free(s);
	assert_int_equal(reparse_errors, 0);
	assert_non_null(reparsed);
	return reparsed;
}

static void
addr(struct xl_addr *a, const char *user, const char *domain, const char *res)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->user, sizeof(a->user), "%s", user);
	snprintf(a->domain, sizeof(a->domain), "%s", domain);
	snprintf(a->resource, sizeof(a->resource), "%s", res);
}

/* Hostile text from the SIP side comes back out as exactly that text. */
static void
test_message_roundtrip(void **state)
{
	static const char body[] = "</body><evil xmlns='x'/>&amp; ]]> \x01 \xc3\xa9";
	struct evbuffer *b = evbuffer_new(), *scratch = evbuffer_new();
	struct xl_msg *m = calloc(1, sizeof(*m)), *back = calloc(1, sizeof(*back));
	struct xnode *st;

	addr(&m->from, "bob", "sip.test", "");
	addr(&m->to, "alice", "xmpp.test", "res'1");
	m->type = XL_MSG_CHAT;
	m->body = body;
	m->body_len = strlen(body);
	m->subject = "s<>";
	m->thread = "t&1";
	m->id = "id'\"";
	m->lang = "fr";
	m->chat_state = XL_CS_COMPOSING;
	m->html = "<p>hi <b>there</b></p>";
	m->html_len = strlen(m->html);
	assert_int_equal(conv_write_msg(m, b), 0);
	st = reparse(b);
	assert_int_equal(conv_to_msg(st, back, scratch), 0);
	assert_string_equal(back->from.user, "bob");
	assert_string_equal(back->to.resource, "res'1");
	assert_int_equal(back->type, XL_MSG_CHAT);
	/* the control character could not be sent: it became U+FFFD */
	assert_string_equal(back->body, "</body><evil xmlns='x'/>&amp; ]]> "
	    "\xef\xbf\xbd \xc3\xa9");
	assert_string_equal(back->subject, "s<>");
	assert_string_equal(back->thread, "t&1");
	assert_string_equal(back->id, "id'\"");
	assert_string_equal(back->lang, "fr");
	assert_int_equal(back->chat_state, XL_CS_COMPOSING);
	assert_non_null(back->html);
	assert_string_equal(back->html, "<p>hi <b>there</b></p>");
	xnode_free(st);

	/* markup that does not parse is left out, the message still goes */
	m->html = "<p>broken <b></p>";
	m->html_len = strlen(m->html);
	assert_int_equal(conv_write_msg(m, b), 0);
	st = reparse(b);
	assert_null(xnode_child(st, "http://jabber.org/protocol/xhtml-im", "html"));
	assert_int_equal(conv_to_msg(st, back, scratch), 0);
	assert_null(back->html);
	xnode_free(st);
	free(m);
	free(back);
	evbuffer_free(b);
	evbuffer_free(scratch);
}

static void
test_presence_sub_error(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct xl_pres *p = calloc(1, sizeof(*p)), *pb = calloc(1, sizeof(*pb));
	struct xl_sub *s = calloc(1, sizeof(*s)), *sb = calloc(1, sizeof(*sb));
	struct xl_err e = { .cond = XL_ERR_SERVICE_UNAVAILABLE,
	    .type = XL_ERRT_CANCEL, .text = "no <one>" };
	struct xl_err eb;
	struct xnode *st;
	char *out;

	addr(&p->from, "bob", "sip.test", "");
	addr(&p->to, "alice", "xmpp.test", "");
	p->show = XL_SHOW_DND;
	p->status = "in a meeting & busy";
	p->priority = 5;
	assert_int_equal(conv_write_pres(p, b), 0);
	st = reparse(b);
	assert_int_equal(conv_to_pres(st, pb), 0);
	assert_int_equal(pb->show, XL_SHOW_DND);
	assert_string_equal(pb->status, "in a meeting & busy");
	assert_int_equal(pb->priority, 5);
	xnode_free(st);

	p->show = XL_SHOW_UNAVAILABLE;
	assert_int_equal(conv_write_pres(p, b), 0);
	st = reparse(b);
	assert_string_equal(xnode_attr(st, "type"), "unavailable");
	assert_int_equal(conv_to_pres(st, pb), 0);
	assert_int_equal(pb->show, XL_SHOW_UNAVAILABLE);
	xnode_free(st);

	s->from = p->from;
	s->to = p->to;
	s->type = XL_SUB_UNSUBSCRIBED;
	assert_int_equal(conv_write_sub(s, b), 0);
	st = reparse(b);
	assert_int_equal(conv_to_sub(st, sb), 0);
	assert_int_equal(sb->type, XL_SUB_UNSUBSCRIBED);
	xnode_free(st);

	assert_int_equal(conv_write_error("message", "b@sip.test", "a@xmpp.test",
	    "x1", &e, b), 0);
	evbuffer_add(b, "", 1);
	out = (char *)evbuffer_pullup(b, -1);
	assert_string_equal(out, "<message from='b@sip.test' to='a@xmpp.test' "
	    "id='x1' type='error'><error type='cancel'><service-unavailable "
	    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
	    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no &lt;one&gt;</text>"
	    "</error></message>");
	evbuffer_drain(b, evbuffer_get_length(b) - 1);
	evbuffer_drain(b, 1);
	assert_int_equal(conv_write_error("message", "b@sip.test", "a@xmpp.test",
	    "x1", &e, b), 0);
	st = reparse(b);
	conv_to_err(st, &eb);
	assert_int_equal(eb.cond, XL_ERR_SERVICE_UNAVAILABLE);
	assert_int_equal(eb.type, XL_ERRT_CANCEL);
	assert_string_equal(eb.text, "no <one>");
	xnode_free(st);
	assert_int_equal(conv_err_cond_parse("remote-server-timeout"),
	    XL_ERR_REMOTE_SERVER_TIMEOUT);
	assert_int_equal(conv_err_cond_parse("nonsense"), XL_ERR_UNDEFINED_CONDITION);
	free(p);
	free(pb);
	free(s);
	free(sb);
	evbuffer_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_writef),
		cmocka_unit_test(test_tree_namespaces),
		cmocka_unit_test(test_jid),
		cmocka_unit_test(test_message_roundtrip),
		cmocka_unit_test(test_presence_sub_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
