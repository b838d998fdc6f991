/*
 * Unit tests of the load tool's pure parts: SIP framing and responses
 * (bench/sipwire), the XMPP stream summariser (bench/xmlstream), XEP-0185
 * dialback keys (bench/dbkey, with the XEP's own example) and the latency
 * histogram and tracker (bench/stats).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/dbkey.h"
#include "bench/obuf.h"
#include "bench/sipwire.h"
#include "bench/stats.h"
#include "bench/xmlstream.h"

#define S(lit) (struct sipw_str){ lit, sizeof(lit) - 1 }

static const char msg1[] =
    "MESSAGE sip:user1@xmpp.test SIP/2.0\r\n"
    "Via: SIP/2.0/TLS gw.sip.test:5061;branch=z9hG4bK1\r\n"
    "v: SIP/2.0/TLS edge.sip.test;branch=z9hG4bK0\r\n"
    "f: <sip:user1@sip.test>;tag=a1\r\n"
    "t: <sip:user1@xmpp.test>\r\n"
    "i: abc@edge\r\n"
    "CSeq: 7 MESSAGE\r\n"
    "c: text/plain\r\n"
    "l: 5\r\n"
    "\r\n"
    "hello";

static void
test_sip_parse_compact(void **state)
{
	struct sipw_msg m;
	const char *why;

	assert_int_equal(sipw_parse(msg1, sizeof(msg1) - 1, &m, &why), SIPW_OK);
	assert_true(m.is_request);
	assert_true(sipw_eq(m.method, "MESSAGE"));
	assert_int_equal(m.nvia, 2);
	assert_true(sipw_eq(m.call_id, "abc@edge"));
	assert_true(sipw_eq(sipw_cseq_method(m.cseq), "message"));
	assert_int_equal(m.body.n, 5);
	assert_memory_equal(m.body.p, "hello", 5);
	assert_int_equal(m.total, sizeof(msg1) - 1);
	assert_int_equal(sipw_param(m.from, "tag").n, 2);
	assert_int_equal(sipw_param(m.to, "tag").n, 0);
}

/* Every split point: incomplete until the last byte, then exactly one. */
static void
test_sip_parse_incremental(void **state)
{
	char two[2 * sizeof(msg1)];
	struct sipw_msg m;
	const char *why;
	size_t n = sizeof(msg1) - 1;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(sipw_parse(msg1, i, &m, &why), SIPW_MORE);
	memcpy(two, msg1, n);
	memcpy(two + n, msg1, n);
	assert_int_equal(sipw_parse(two, 2 * n, &m, &why), SIPW_OK);
	assert_int_equal(m.total, n);
	assert_int_equal(sipw_parse(two + m.total, n, &m, &why), SIPW_OK);
}

static void
test_sip_parse_bad(void **state)
{
	static const char *bad[] = {
		"MESSAGE sip:a@b SIP/3.0\r\nVia: x\r\nFrom: a\r\nTo: b\r\n"
		    "Call-ID: c\r\nCSeq: 1 MESSAGE\r\n\r\n",
		"SIP/2.0 2x0 OK\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\n"
		    "CSeq: 1 MESSAGE\r\n\r\n",
		"MESSAGE sip:a@b SIP/2.0\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\n"
		    "CSeq: 1 MESSAGE\r\n\r\n",		/* no Via */
		"MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\nFrom: a\r\n  folded\r\n"
		    "To: b\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n\r\n",
		"MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\nFrom: a\r\nTo: b\r\n"
		    "Call-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Length: x1\r\n\r\n",
		"MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\nFrom: a\r\nTo: b\r\n"
		    "Call-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Length: 999999\r\n\r\n",
	};
	struct sipw_msg m;
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sipw_parse(bad[i], strlen(bad[i]), &m, &why),
		    SIPW_BAD);
		assert_non_null(why);
	}
}

static void
test_sip_keepalive(void **state)
{
	int pings;

	assert_int_equal(sipw_keepalive("\r\n\r\nMESSAGE", 11, &pings), 4);
	assert_int_equal(pings, 1);
	assert_int_equal(sipw_keepalive("\r\nSIP", 5, &pings), 2);
	assert_int_equal(pings, 0);
	assert_int_equal(sipw_keepalive("MESSAGE", 7, &pings), 0);
}

static void
test_sip_response(void **state)
{
	struct sipw_msg m, r;
	const char *why;
	char out[1024];
	struct obuf ob;

	assert_int_equal(sipw_parse(msg1, sizeof(msg1) - 1, &m, &why), SIPW_OK);
	obuf_init(&ob, out, sizeof(out));
	sipw_response(&ob, &m, 200, "OK", "t9", "Expires: 60\r\n");
	assert_true(obuf_ok(&ob));
	assert_int_equal(sipw_parse(out, ob.len, &r, &why), SIPW_OK);
	assert_false(r.is_request);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.nvia, 2);
	assert_true(sipw_eq(r.call_id, "abc@edge"));
	assert_true(sipw_eq(sipw_param(r.to, "tag"), "t9"));
	assert_true(sipw_eq(r.expires, "60"));
	assert_int_equal(r.total, ob.len);
	/* a buffer too small is an overflow, never a truncated message */
	obuf_init(&ob, out, 40);
	sipw_response(&ob, &m, 200, "OK", "t9", NULL);
	assert_false(obuf_ok(&ob));
}

/* ---- xmlstream ---------------------------------------------------------- */

struct seen {
	int		 headers, stanzas, closed, restart_on;
	struct xs_header h;
	struct xs_stanza last[8];
	struct xs_parser *p;
};

static void
on_header(void *arg, const struct xs_header *h)
{
	struct seen *s = arg;

	s->headers++;
	s->h = *h;
}

static void
on_stanza(void *arg, const struct xs_stanza *st)
{
	struct seen *s = arg;

	if (s->stanzas < 8)
		s->last[s->stanzas] = *st;
	s->stanzas++;
	if (s->restart_on && !strcmp(st->name, "proceed"))
		xs_restart_after(s->p);
}

static void
on_close(void *arg)
{
	((struct seen *)arg)->closed++;
}

static const struct xs_handlers handlers = { on_header, on_stanza, on_close };

static const char stream1[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' from='sip.test' to='xmpp.test' "
    "id='s1' version='1.0'>"
    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
    "<required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
    "<mechanism>PLAIN</mechanism><mechanism>EXTERNAL</mechanism></mechanisms>"
    "<dialback xmlns='urn:xmpp:features:dialback'/></stream:features>\n  "
    "<db:result from='sip.test' to='xmpp.test'> abc </db:result>"
    "<message from='a@sip.test' to='b@xmpp.test' id='m1' type='chat'>"
    "<thread>t</thread><body>fgb 1 2 3 4 &amp; &lt;x&gt;</body></message>"
    "<message type='error' id='m2'><error type='cancel'>"
    "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
    "</message>"
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>"
    "</stream:stream>";

static void
check_stream1(const struct seen *s)
{
	assert_int_equal(s->headers, 1);
	assert_string_equal(s->h.from, "sip.test");
	assert_string_equal(s->h.id, "s1");
	assert_int_equal(s->stanzas, 5);
	assert_string_equal(s->last[0].name, "features");
	assert_true(s->last[0].flags & XSF_STARTTLS);
	assert_true(s->last[0].flags & XSF_EXTERNAL);
	assert_true(s->last[0].flags & XSF_DIALBACK);
	assert_string_equal(s->last[1].ns, XS_NS_DIALBACK);
	assert_string_equal(s->last[1].text, " abc ");
	assert_string_equal(s->last[2].text, "fgb 1 2 3 4 & <x>");
	assert_string_equal(s->last[2].id, "m1");
	assert_string_equal(s->last[3].type, "error");
	assert_string_equal(s->last[3].cond, "item-not-found");
	assert_string_equal(s->last[4].mechanism, "EXTERNAL");
	assert_string_equal(s->last[4].text, "=");
	assert_int_equal(s->closed, 1);
}

/* Fed whole, and fed one byte at a time: the same summary. */
static void
test_xs_stream(void **state)
{
	struct seen s;
	struct xs_parser *p;

	memset(&s, 0, sizeof(s));
	p = xs_new(&handlers, &s);
	assert_int_equal(xs_feed(p, stream1, sizeof(stream1) - 1), 0);
	check_stream1(&s);
	xs_free(p);

	memset(&s, 0, sizeof(s));
	p = xs_new(&handlers, &s);
	for (size_t i = 0; i < sizeof(stream1) - 1; i++)
		assert_int_equal(xs_feed(p, stream1 + i, 1), 0);
	check_stream1(&s);
	xs_free(p);
}

/* A restart after <proceed/>: the rest of the same chunk is a new stream. */
static void
test_xs_restart(void **state)
{
	static const char in[] =
	    "<stream:stream xmlns='jabber:server' xmlns:stream="
	    "'http://etherx.jabber.org/streams' id='a'>"
	    "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
	    "<stream:stream xmlns='jabber:server' xmlns:stream="
	    "'http://etherx.jabber.org/streams' id='b'><iq type='get' id='x'/>";
	struct seen s;

	memset(&s, 0, sizeof(s));
	s.restart_on = 1;
	s.p = xs_new(&handlers, &s);
	assert_int_equal(xs_feed(s.p, in, sizeof(in) - 1), 0);
	assert_int_equal(s.headers, 2);
	assert_string_equal(s.h.id, "b");
	assert_int_equal(s.stanzas, 2);
	assert_string_equal(s.last[1].name, "iq");
	xs_free(s.p);
}

static void
test_xs_refuses(void **state)
{
	static const char *bad[] = {
		"<!DOCTYPE x><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
		"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><!-- c -->",
		"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><?pi x?>",
		"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><a></b>",
		"<foo/>",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct seen s;
		struct xs_parser *p;

		memset(&s, 0, sizeof(s));
		p = xs_new(&handlers, &s);
		assert_int_equal(xs_feed(p, bad[i], strlen(bad[i])), -1);
		assert_string_not_equal(xs_error(p), "no error");
		xs_free(p);
	}
}

/* ---- dialback keys ------------------------------------------------------ */

/* XEP-0185 §3: the example's values and result. */
static void
test_dbkey_xep0185(void **state)
{
	struct dbkey k;
	char key[DBKEY_HEX_LEN + 1];
	static const char want[] =
	    "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643";

	assert_int_equal(dbkey_init(&k, "s3cr3tf0rd14lb4ck", 17), 0);
	assert_string_equal(k.hkey,
	    "a7136eb1f46c9ef18c5e78c36ca257067c69b3d518285f0b18a96c33beae9acc");
	assert_int_equal(dbkey_compute(&k, "xmpp.example.com", "example.org",
	    "D60000229F", key), 0);
	assert_string_equal(key, want);
	assert_true(dbkey_check(&k, "xmpp.example.com", "example.org",
	    "D60000229F", "\n  " "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe"
	    "4a2686482ba5b89323075643  \n", 64 + 6));
	assert_false(dbkey_check(&k, "xmpp.example.com", "example.org",
	    "D60000229E", want, 64));
	assert_false(dbkey_check(&k, "example.org", "xmpp.example.com",
	    "D60000229F", want, 64));
	assert_false(dbkey_check(&k, "xmpp.example.com", "example.org",
	    "D60000229F", want, 63));
}

static void
test_dbkey_file(void **state)
{
	char path[] = "/tmp/fgb-secretXXXXXX", err[256];
	struct dbkey a, b;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("s3cr3tf0rd14lb4ck\n", f);
	fclose(f);
	assert_int_equal(dbkey_load(&a, path, err, sizeof(err)), 0);
	assert_int_equal(dbkey_init(&b, "s3cr3tf0rd14lb4ck", 17), 0);
	assert_string_equal(a.hkey, b.hkey);	/* the newline is not secret */
	unlink(path);
	assert_int_equal(dbkey_load(&a, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
}

/* ---- stats ---------------------------------------------------------------- */

static void
test_hist(void **state)
{
	static struct hist h;

	hist_reset(&h);
	assert_int_equal(hist_percentile(&h, 50), 0);
	for (uint64_t i = 1; i <= 1000; i++)
		hist_add(&h, i * 1000);		/* 1 us .. 1 ms */
	assert_int_equal(h.n, 1000);
	/* within the bucket precision (< 1.6 %) */
	assert_in_range(hist_percentile(&h, 50), 492000, 508000);
	assert_in_range(hist_percentile(&h, 99), 975000, 1000000);
	assert_int_equal(hist_percentile(&h, 100), 1000000);
	hist_add(&h, 0);
	hist_add(&h, UINT64_MAX / 2);
	assert_int_equal(h.max, UINT64_MAX / 2);
}

static void
test_tracker(void **state)
{
	static struct tracker t;
	char codes[64];

	assert_int_equal(tracker_reset(&t, 7, 10), 0);
	t.measure_from = 1;
	for (uint64_t s = 0; s < 4; s++)
		tracker_sent(&t, s);
	assert_int_equal(tracker_outstanding(&t), 4);
	assert_int_equal(tracker_delivered(&t, 7, 0, 100), 0);
	assert_int_equal(t.lat.n, 0);		/* before the window */
	assert_int_equal(tracker_delivered(&t, 7, 0, 100), -1);	/* dup */
	assert_int_equal(tracker_delivered(&t, 6, 1, 100), -1);	/* stale */
	assert_int_equal(tracker_delivered(&t, 7, 9, 100), -1);	/* unsent */
	assert_int_equal(tracker_response(&t, 7, 0, 200, 50), 0);
	assert_int_equal(tracker_response(&t, 7, 1, 503, 50), 0);
	assert_int_equal(tracker_bounced(&t, 7, 2), 0);
	assert_int_equal(t.dups, 1);
	assert_int_equal(t.stale, 1);
	assert_int_equal(t.bogus, 1);
	assert_int_equal(t.errors, 2);
	assert_int_equal(tracker_outstanding(&t), 1);	/* seq 3 */
	assert_int_equal(tracker_unanswered(&t), 2);
	tracker_codes(&t, codes, sizeof(codes));
	assert_string_equal(codes, "200:1,503:1");
	/* bounced, then delivered after all: no longer an error */
	assert_int_equal(tracker_delivered(&t, 7, 2, 10), 0);
	assert_int_equal(t.errors, 1);
	assert_int_equal(t.lat.n, 1);		/* seq 2 is in the window */
	tracker_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sip_parse_compact),
		cmocka_unit_test(test_sip_parse_incremental),
		cmocka_unit_test(test_sip_parse_bad),
		cmocka_unit_test(test_sip_keepalive),
		cmocka_unit_test(test_sip_response),
		cmocka_unit_test(test_xs_stream),
		cmocka_unit_test(test_xs_restart),
		cmocka_unit_test(test_xs_refuses),
		cmocka_unit_test(test_dbkey_xep0185),
		cmocka_unit_test(test_dbkey_file),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_tracker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
