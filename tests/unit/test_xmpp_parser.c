/*
 * Unit tests of xmpp/parser: a stream fed in one piece and one byte at a
 * time gives the same header and stanzas; what RFC 6120 §11 forbids and
 * what exceeds the limits gives the right stream error condition, also
 * when it arrives in small pieces.
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

/* What the callbacks saw, as text, so that runs can be compared. */
struct seen {
	struct evbuffer	*log;
	int		 nstanzas;
	int		 closed;
	char		 cond[64];
	int		 nerrors;
	int		 halt_after;	/* halt after this many stanzas (0 = never) */
	struct xparser	*p;
};

static void
cb_open(void *arg, const struct xnode *h)
{
	struct seen *s = arg;
	const char *name, *value;

	evbuffer_add_printf(s->log, "OPEN {%s}%s", xnode_ns(h), xnode_name(h));
	for (size_t i = 0; xnode_attr_at(h, i, &name, &value); i++)
		evbuffer_add_printf(s->log, " %s=%s", name, value);
	evbuffer_add_printf(s->log, "\n");
}

static void
cb_element(void *arg, struct xnode *el)
{
	struct seen *s = arg;

	evbuffer_add_printf(s->log, "EL ");
	xnode_write(el, XMPP_NS_SERVER, s->log);
	evbuffer_add_printf(s->log, "\n");
	xnode_free(el);
	s->nstanzas++;
	if (s->halt_after && s->nstanzas == s->halt_after)
		xparser_halt(s->p);
}

static void
cb_close(void *arg)
{
	struct seen *s = arg;

	s->closed++;
	evbuffer_add_printf(s->log, "CLOSE\n");
}

static void
cb_error(void *arg, const char *cond, const char *text)
{
	struct seen *s = arg;

	s->nerrors++;
	snprintf(s->cond, sizeof(s->cond), "%s", cond);
}

static const struct xparser_cb cb = { cb_open, cb_element, cb_close, cb_error };

/* Feed data in pieces of step bytes (0 = at once); returns the log. */
static char *
run(const char *data, size_t step, size_t max, struct seen *s)
{
	size_t len = strlen(data), n;
	char *out;

	memset(s, 0, sizeof(*s));
	s->log = evbuffer_new();
	s->p = xparser_new(&cb, s, max);
	assert_non_null(s->p);
	for (size_t off = 0; off < len; off += n) {
		n = step == 0 || len - off < step ? len - off : step;
		if (xparser_feed(s->p, data + off, n) != 0)
			break;
	}
	xparser_free(s->p);
	n = evbuffer_get_length(s->log);
	out = malloc(n + 1);
	evbuffer_remove(s->log, out, n);
	out[n] = '\0';
	evbuffer_free(s->log);
	return out;
}

static const char STREAM[] =
    "<?xml version='1.0'?>"
    "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'"
    " xmlns:db='jabber:server:dialback' from='xmpp.test' to='sip.test' version='1.0'"
    " id='abc'>\n "
    "<db:result from='xmpp.test' to='sip.test'>  0123abcd  </db:result>"
    "<message from='a@xmpp.test/r' to='b@sip.test' type='chat' xml:lang='fr'>"
    "<body>caf\xc3\xa9 &amp; &lt;tea&gt; &#x41;&#66; \xf0\x9f\x98\x80</body>"
    "<active xmlns='http://jabber.org/protocol/chatstates'/>"
    "<x:y xmlns:x='urn:x'><x:z a='1&apos;2'>t</x:z></x:y>"
    "</message>\r\n\t "
    "<presence from='a@xmpp.test' to='b@sip.test'><show>away</show></presence>"
    "</stream:stream>";

static void
test_stream_whole_and_bytewise(void **state)
{
	struct seen s1, s2;
	char *whole = run(STREAM, 0, 65536, &s1);
	char *bytes = run(STREAM, 1, 65536, &s2);

	assert_int_equal(s1.nerrors, 0);
	assert_int_equal(s1.nstanzas, 3);
	assert_int_equal(s1.closed, 1);
	assert_string_equal(whole, bytes);
	assert_int_equal(s2.nerrors, 0);
	/* the header: namespace, declarations, attributes */
	assert_non_null(strstr(whole, "OPEN {http://etherx.jabber.org/streams}stream"));
	assert_non_null(strstr(whole, " xmlns=jabber:server"));
	assert_non_null(strstr(whole, " xmlns:db=jabber:server:dialback"));
	assert_non_null(strstr(whole, " from=xmpp.test to=sip.test version=1.0 id=abc"));
	/* the dialback element keeps its namespace; text as sent */
	assert_non_null(strstr(whole, "EL <result xmlns='jabber:server:dialback'"
	    " from='xmpp.test' to='sip.test'>  0123abcd  </result>"));
	/* entities and character references decoded, then re-escaped once */
	assert_non_null(strstr(whole, "<body>caf\xc3\xa9 &amp; &lt;tea&gt; AB "
	    "\xf0\x9f\x98\x80</body>"));
	assert_non_null(strstr(whole, " xml:lang='fr'"));
	assert_non_null(strstr(whole, "<active xmlns='http://jabber.org/protocol/chatstates'/>"));
	assert_non_null(strstr(whole, "<y xmlns='urn:x'><z a='1&apos;2'>t</z></y>"));
	assert_non_null(strstr(whole, "EL <presence from='a@xmpp.test' "
	    "to='b@sip.test'><show>away</show></presence>"));
	free(whole);
	free(bytes);
}

/* Every split point of the stream gives the same result. */
static void
test_every_split(void **state)
{
	struct seen s;
	char *ref = run(STREAM, 0, 65536, &s);
	size_t len = strlen(STREAM);

	for (size_t cut = 1; cut < len; cut += 7) {
		char *a = strndup(STREAM, cut), *out;
		struct evbuffer *log = evbuffer_new();

		memset(&s, 0, sizeof(s));
		s.log = log;
		s.p = xparser_new(&cb, &s, 65536);
		assert_int_equal(xparser_feed(s.p, a, cut), 0);
		assert_int_equal(xparser_feed(s.p, STREAM + cut, len - cut), 0);
		xparser_free(s.p);
		evbuffer_add(log, "", 1);
		out = (char *)evbuffer_pullup(log, -1);
		assert_string_equal(ref, out);
		evbuffer_free(log);
		free(a);
	}
	free(ref);
}

static const char HDR[] =
    "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'"
    " to='sip.test' version='1.0'>";

/* data after the header, fed in pieces: the error condition reported */
static const char *
error_of(const char *after, size_t step, size_t max, int *nstanzas)
{
	static struct seen s;
	char *buf = malloc(strlen(HDR) + strlen(after) + 1);

	strcpy(buf, HDR);
	strcat(buf, after);
	free(run(buf, step, max, &s));
	free(buf);
	assert_true(s.nerrors <= 1);
	if (nstanzas)
		*nstanzas = s.nstanzas;
	return s.nerrors ? s.cond : "";
}

static void
test_restricted_xml(void **state)
{
	struct seen s;

	/* a DOCTYPE before the stream, with or without an internal subset */
	free(run("<?xml version='1.0'?><!DOCTYPE stream:stream>", 1, 4096, &s));
	assert_string_equal(s.cond, "restricted-xml");
	free(run("<!DOCTYPE x [<!ENTITY e 'boom'>]><stream:stream/>", 3, 4096, &s));
	assert_string_equal(s.cond, "restricted-xml");
	assert_int_equal(s.nerrors, 1);
	/* comments and processing instructions, between and inside stanzas */
	assert_string_equal(error_of("<!-- hi -->", 1, 4096, NULL), "restricted-xml");
	assert_string_equal(error_of("<message><!-- hi --></message>", 2, 4096,
	    NULL), "restricted-xml");
	assert_string_equal(error_of("<?php echo 1; ?>", 1, 4096, NULL),
	    "restricted-xml");
	assert_string_equal(error_of("<message><?x y?></message>", 0, 4096, NULL),
	    "restricted-xml");
}

static void
test_malformed(void **state)
{
	int n;

	assert_string_equal(error_of("<message></presence>", 1, 4096, NULL),
	    "not-well-formed");
	assert_string_equal(error_of("<message a='1' a='2'/>", 1, 4096, NULL),
	    "not-well-formed");
	assert_string_equal(error_of("<message>&undefined;</message>", 1, 4096,
	    NULL), "not-well-formed");
	assert_string_equal(error_of("<foo:message/>", 1, 4096, NULL),
	    "bad-namespace-prefix");
	assert_string_equal(error_of("<message>\xff\xfe</message>", 1, 4096, NULL),
	    "not-well-formed");
	/* only whitespace may stand between stanzas */
	assert_string_equal(error_of("  \n<message/> hello", 1, 4096, &n),
	    "bad-format");
	assert_int_equal(n, 1);
	assert_string_equal(error_of(" \r\n\t <message/>   ", 1, 4096, &n), "");
	assert_int_equal(n, 1);
}

static void
test_limits(void **state)
{
	char big[3000], deep[2000];
	int n;

	/* a body larger than the limit, arriving 7 bytes at a time */
	memset(big, 'a', sizeof(big));
	memcpy(big, "<message><body>", 15);
	big[sizeof(big) - 1] = '\0';
	assert_string_equal(error_of(big, 7, 1024, &n), "policy-violation");
	assert_int_equal(n, 0);
	/* the same when it is one huge attribute value never finished */
	memcpy(big, "<message to='", 13);
	memset(big + 13, 'b', sizeof(big) - 14);
	assert_string_equal(error_of(big, 100, 1024, NULL), "policy-violation");
	/* a stream header that never ends is refused as well */
	{
		struct seen sh;
		char *hdr = malloc(4000);

		strcpy(hdr, "<stream:stream xmlns='jabber:server' "
		    "xmlns:stream='http://etherx.jabber.org/streams' to='");
		memset(hdr + strlen(hdr), 'x', 3900 - strlen(hdr));
		hdr[3900] = '\0';
		free(run(hdr, 50, 1024, &sh));
		assert_string_equal(sh.cond, "policy-violation");
		free(hdr);
	}
	/* stanzas under the limit pass, however many */
	assert_string_equal(error_of("<message><body>small</body></message>"
	    "<message><body>small</body></message>", 1, 1024, &n), "");
	assert_int_equal(n, 2);
	/* nesting deeper than XPARSER_MAX_DEPTH */
	deep[0] = '\0';
	for (int i = 0; i < XPARSER_MAX_DEPTH + 5; i++)
		strcat(deep, "<a>");
	assert_string_equal(error_of(deep, 1, 4096, NULL), "policy-violation");
	deep[0] = '\0';
	for (int i = 0; i < 10; i++)
		strcat(deep, "<a>");
	for (int i = 0; i < 10; i++)
		strcat(deep, "</a>");
	assert_string_equal(error_of(deep, 1, 4096, &n), "");
	assert_int_equal(n, 1);
}

static void
test_halt(void **state)
{
	struct seen s;
	char *log;

	/* a stanza that restarts the stream (e.g. <proceed/>): nothing after it */
	memset(&s, 0, sizeof(s));
	s.log = evbuffer_new();
	s.halt_after = 1;
	s.p = xparser_new(&cb, &s, 4096);
	assert_int_equal(xparser_feed(s.p, HDR, strlen(HDR)), 0);
	assert_int_equal(xparser_feed(s.p, "<proceed/><message/><!-- x -->", 30), 0);
	assert_int_equal(xparser_feed(s.p, "<message/>", 10), 0);
	xparser_free(s.p);
	assert_int_equal(s.nstanzas, 1);
	assert_int_equal(s.nerrors, 0);
	evbuffer_add(s.log, "", 1);
	log = (char *)evbuffer_pullup(s.log, -1);
	assert_non_null(strstr(log, "EL <proceed/>"));
	evbuffer_free(s.log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_whole_and_bytewise),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_restricted_xml),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_halt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
