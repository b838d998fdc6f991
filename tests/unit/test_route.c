/*
 * Unit tests of core/route with a fake DNS backend (dns_set_ops): every
 * step of the chain (edge, static, SRV, host, the clearinghouse chain),
 * SIP pattern specificity, XMPP static shuffling, XEP-0368 merging, SRV
 * ".", timeouts, aliases, candidate resolution, cancel and the reload
 * swap. The fake answers from the end of the loop turn, as dns does, and
 * can hold its answers until a test releases them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/route.h"
#include "tests/unit/test_route_util.h"

/* ---- the fake resolver ------------------------------------------ */

/* One name's canned answer. SRV recs: "prio weight port target;...",
 * addr recs: "addr addr ...". A name absent from the zone: not found. */
struct fake_rr {
	int		 srv;
	const char	*name;
	enum dns_status	 st;
	const char	*recs;
};

enum { FQ_PENDING, FQ_DELIVERED, FQ_CANCELLED };

struct fake_q {
	uint64_t	 id;
	int		 srv;
	char		 name[300];
	dns_cb		*cb;
	void		*arg;
	int		 state;
};

static struct {
	const struct fake_rr *zone;
	size_t		 nzone;
	struct fake_q	 q[256];
	size_t		 nq;
	int		 hold;
	int		 scheduled;
} F;

static const struct fake_rr *
fake_find(int srv, const char *name)
{
	for (size_t i = 0; i < F.nzone; i++)
		if (F.zone[i].srv == srv && !strcmp(F.zone[i].name, name))
			return &F.zone[i];
	return NULL;
}

static void
fake_parse_srv(const char *recs, struct dns_srv *v, size_t *n)
{
	const char *p = recs;

	*n = 0;
	while (p && *p) {
		unsigned pr, w, port;
		char t[256];
		if (sscanf(p, " %u %u %u %255[^;]", &pr, &w, &port, t) != 4)
			fail_msg("bad fake SRV '%s'", p);
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].priority = (uint16_t)pr;
		v[*n].weight = (uint16_t)w;
		v[*n].port = (uint16_t)port;
		snprintf(v[*n].target, sizeof(v[*n].target), "%s", t);
		(*n)++;
		p = strchr(p, ';');
		if (p)
			p++;
	}
}

static void
fake_parse_addr(const char *recs, struct sockaddr_storage *v, size_t *n)
{
	char buf[512], *save = NULL;

	*n = 0;
	snprintf(buf, sizeof(buf), "%s", recs);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		memset(&v[*n], 0, sizeof(v[*n]));
		if (inet_pton(AF_INET, t, &((struct sockaddr_in *)&v[*n])->sin_addr) == 1)
			v[*n].ss_family = AF_INET;
		else if (inet_pton(AF_INET6, t,
		    &((struct sockaddr_in6 *)&v[*n])->sin6_addr) == 1)
			v[*n].ss_family = AF_INET6;
		else
			fail_msg("bad fake address '%s'", t);
		(*n)++;
	}
}

static void
fake_answer(struct fake_q *q)
{
	const struct fake_rr *rr = fake_find(q->srv, q->name);
	struct dns_srv srv[16];
	struct sockaddr_storage addr[16];
	struct dns_result res = { .status = DNS_NOT_FOUND, .error = "fake: no record" };
	size_t n = 0;

	if (rr) {
		res.status = rr->st;
		res.error = rr->st == DNS_OK ? NULL : "fake failure";
		if (rr->st == DNS_OK && q->srv) {
			fake_parse_srv(rr->recs, srv, &n);
			res.nsrv = n;
			res.srv = srv;
		} else if (rr->st == DNS_OK) {
			fake_parse_addr(rr->recs, addr, &n);
			res.naddr = n;
			res.addr = addr;
		}
	}
	q->state = FQ_DELIVERED;
	q->cb(q->id, &res, q->arg);
}

/* Deliver every pending answer (new queries made meanwhile too). */
static void
fake_flush(void *arg)
{
	F.scheduled = 0;
	if (F.hold)
		return;
	for (size_t i = 0; i < F.nq; i++)
		if (F.q[i].state == FQ_PENDING)
			fake_answer(&F.q[i]);
}

static void
fake_schedule(void)
{
	if (!F.scheduled && !F.hold && loop_call_later(fake_flush, NULL) == 0)
		F.scheduled = 1;
}

static uint64_t
fake_query(int srv, const char *name, dns_cb *cb, void *arg)
{
	struct fake_q *q;

	assert_true(F.nq < sizeof(F.q) / sizeof(F.q[0]));
	q = &F.q[F.nq];
	memset(q, 0, sizeof(*q));
	q->id = 1000 + F.nq++;
	q->srv = srv;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->cb = cb;
	q->arg = arg;
	fake_schedule();
	return q->id;
}

static uint64_t
fake_query_srv(const char *name, dns_cb *cb, void *arg)
{
	return fake_query(1, name, cb, arg);
}

static uint64_t
fake_query_addr(const char *name, dns_cb *cb, void *arg)
{
	return fake_query(0, name, cb, arg);
}

static void
fake_cancel(uint64_t id)
{
	for (size_t i = 0; i < F.nq; i++)
		if (F.q[i].id == id && F.q[i].state == FQ_PENDING)
			F.q[i].state = FQ_CANCELLED;
}

static const struct dns_ops fake_ops = {
	"fake", fake_query_srv, fake_query_addr, fake_cancel,
};

static void
fake_zone(const struct fake_rr *z, size_t n)
{
	F.zone = z;
	F.nzone = n;
	F.nq = 0;
	F.hold = 0;
}

/* How many queries of that kind were made for name. */
static int
fake_asked(int srv, const char *name)
{
	int n = 0;

	for (size_t i = 0; i < F.nq; i++)
		n += F.q[i].srv == srv && !strcmp(F.q[i].name, name);
	return n;
}

static int
fake_count(int state)
{
	int n = 0;

	for (size_t i = 0; i < F.nq; i++)
		n += F.q[i].state == state;
	return n;
}

/* ---- lookups ----------------------------------------------------- */

struct got {
	int		 calls;
	uint64_t	 id;
	enum route_status st;
	char		 error[512];
	char		 domain[256];
	size_t		 n;
	struct route_candidate c[16];
	char		 trace[8192];
	int		 returned;	/* route_lookup had returned */
};

static void
got_cb(uint64_t id, const struct route_result *r, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->id = id;
	g->st = r->status;
	assert_true(g->returned);	/* never from inside route_lookup */
	snprintf(g->error, sizeof(g->error), "%s", r->error ? r->error : "");
	snprintf(g->domain, sizeof(g->domain), "%s", r->domain);
	snprintf(g->trace, sizeof(g->trace), "%s", r->trace ? r->trace : "");
	g->n = r->n < 16 ? r->n : 16;
	if (g->n)
		memcpy(g->c, r->c, g->n * sizeof(g->c[0]));
	tu_loop_done();
}

static void
lookup(const char *domain, enum route_side side, unsigned flags, struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->id = route_lookup(domain, side, flags | ROUTE_TRACE, got_cb, g);
	g->returned = 1;
	assert_int_not_equal(g->id, 0);
	assert_int_equal(g->calls, 0);
	assert_int_equal(tu_loop_run(2000), 0);
	assert_int_equal(g->calls, 1);
}

/* "host:port/step/flags ..." of the candidates, in order. */
static const char *
cands(const struct got *g)
{
	static char buf[2048];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < g->n; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s:%u/%s/%u",
		    i ? " " : "", g->c[i].host, g->c[i].port,
		    route_step_name(g->c[i].step), g->c[i].flags);
	return buf;
}

/* Every config also routes other.test, base_domains' edge-less local. */
static void
use_config(const char *federation, const char *domains, const char *routes)
{
	char all[1024];
	struct config *cfg;

	snprintf(all, sizeof(all), "sip .test.other edge.other.test 5062 tcp\n%s",
	    routes);
	cfg = tu_config(federation, domains, all, "");

	config_set_current(cfg);
	config_unref(cfg);
}

static const char *const base_domains =
    "local sip.test edge=edge.sip.test:5071\n"
    "local other.test\n"
    "chat-alias conf.sip.test\n"
    "remote xmpp.test\n"
    "remote hosted.test type=clearinghouse\n"
    "remote aol.test type=clearinghouse\n"
    "alias aim.test aol.test\n";

static int
setup(void **state)
{
	dns_set_ops(&fake_ops);
	use_config("default_routing_domain = aol.test", base_domains, "");
	return 0;
}

/* ---- the steps --------------------------------------------------- */

static void
test_edge_of_local_domain(void **state)
{
	struct got g;

	fake_zone(NULL, 0);
	lookup("sip.test", ROUTE_SIDE_SIP, 0, &g);
	assert_int_equal(g.st, ROUTE_OK);
	assert_string_equal(cands(&g), "edge.sip.test:5071/edge/0");
	assert_string_equal(g.c[0].tls_name, "edge.sip.test");
	/* a local domain without edge=: the sip route covering it */
	lookup("other.test", ROUTE_SIDE_SIP, 0, &g);
	assert_string_equal(cands(&g), "edge.other.test:5062/static/2");
	assert_int_equal(F.nq, 0);
	/* our own domains are not routed on the XMPP side */
	lookup("sip.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_ERROR);
	assert_non_null(strstr(g.error, "sip.test is one of our own domains"));
	lookup("conf.sip.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_ERROR);
	assert_int_equal(F.nq, 0);
}

static void
test_sip_pattern_specificity(void **state)
{
	static const struct { const char *p, *d; int score; } m[] = {
		{ ".com.domaina.*", "domaina.com", 4 },
		{ ".com.domaina.*", "x.domaina.com", 4 },
		{ ".com.domaina.*", "DomainA.COM", 4 },
		{ ".com.domaina.*", "xdomaina.com", -1 },
		{ ".com.domaina.*", "domaina.com.evil", -1 },
		{ ".com.domaina", "domaina.com", 5 },
		{ ".com.domaina", "x.domaina.com", -1 },
		{ ".com.domaina.sales.*", "a.sales.domaina.com", 6 },
		{ ".*", "anything.example", 0 },
	};
	struct got g;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (route_sip_pattern_match(m[i].p, m[i].d) != m[i].score)
			fail_msg("%s ~ %s: %d, want %d", m[i].p, m[i].d,
			    route_sip_pattern_match(m[i].p, m[i].d), m[i].score);

	use_config(NULL, "local sip.test edge=edge.sip.test\n",
	    "sip .* catchall.test 5061 tls\n"
	    "sip .test.a.* wild-a.test 5061 tls\n"
	    "sip .test.a.b.* wild-ab.test 5061 tls\n"
	    "sip .test.a.b exact-ab.test 5061 tls\n"
	    "sip .test.a.b.* wild-ab2.test 5063 tcp\n");
	fake_zone(NULL, 0);
	lookup("b.a.test", ROUTE_SIDE_SIP, 0, &g);
	assert_string_equal(cands(&g), "exact-ab.test:5061/static/0");
	lookup("c.b.a.test", ROUTE_SIDE_SIP, 0, &g);
	/* same pattern twice: both, in file order */
	assert_string_equal(cands(&g),
	    "wild-ab.test:5061/static/0 wild-ab2.test:5063/static/2");
	assert_string_equal(g.c[1].tls_name, "wild-ab2.test");
	lookup("x.a.test", ROUTE_SIDE_SIP, 0, &g);
	assert_string_equal(cands(&g), "wild-a.test:5061/static/0");
	lookup("a.test", ROUTE_SIDE_SIP, 0, &g);
	assert_string_equal(cands(&g), "wild-a.test:5061/static/0");
	lookup("elsewhere.example", ROUTE_SIDE_SIP, 0, &g);
	assert_string_equal(cands(&g), "catchall.test:5061/static/0");
	assert_int_equal(F.nq, 0);	/* never DNS */
	setup(NULL);
}

static void
test_xmpp_static_shuffled(void **state)
{
	int first[3] = { 0 };
	struct got g;

	use_config(NULL, base_domains,
	    "xmpp st.test 192.0.2.1\nxmpp st.test h2.st.test:5300\n"
	    "xmpp st.test [2001:db8::3]:5301\n");
	static const struct fake_rr z[] = {
		{ 1, "_xmpp-server._tcp.st.test", DNS_OK, "0 0 5269 never.st.test" },
	};
	fake_zone(z, 1);
	for (int i = 0; i < 60; i++) {
		char sorted[3][64];
		lookup("st.test", ROUTE_SIDE_XMPP, 0, &g);
		assert_int_equal(g.n, 3);
		for (size_t k = 0; k < 3; k++) {
			assert_string_equal(g.c[k].tls_name, "st.test");
			assert_int_equal(g.c[k].step, ROUTE_STEP_STATIC);
			snprintf(sorted[k], sizeof(sorted[k]), "%s:%u",
			    g.c[k].host, g.c[k].port);
		}
		first[!strcmp(g.c[0].host, "192.0.2.1") ? 0 :
		    !strcmp(g.c[0].host, "h2.st.test") ? 1 : 2]++;
		qsort(sorted, 3, sizeof(sorted[0]),
		    (int (*)(const void *, const void *))strcmp);
		assert_string_equal(sorted[0], "192.0.2.1:5269");
		assert_string_equal(sorted[1], "2001:db8::3:5301");
		assert_string_equal(sorted[2], "h2.st.test:5300");
	}
	/* equal priority: every address comes first sometimes */
	assert_true(first[0] > 0 && first[1] > 0 && first[2] > 0);
	/* a domain with a static route never asks DNS */
	assert_int_equal(fake_asked(1, "_xmpp-server._tcp.st.test"), 0);
	assert_int_equal(F.nq, 0);
	assert_non_null(strstr(g.trace, "never falls back to DNS"));
	setup(NULL);
}

static void
test_srv_xmpp_merged(void **state)
{
	static const struct fake_rr z[] = {
		{ 1, "_xmpps-server._tcp.xmpp.test", DNS_OK,
		  "5 0 5270 tls1.xmpp.test;20 0 5271 tls2.xmpp.test" },
		{ 1, "_xmpp-server._tcp.xmpp.test", DNS_OK,
		  "10 0 5269 plain1.xmpp.test;30 0 5269 plain2.xmpp.test" },
	};
	struct got g;

	fake_zone(z, 2);
	lookup("xmpp.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_OK);
	assert_string_equal(cands(&g), "tls1.xmpp.test:5270/srv/1 "
	    "plain1.xmpp.test:5269/srv/0 tls2.xmpp.test:5271/srv/1 "
	    "plain2.xmpp.test:5269/srv/0");
	for (size_t i = 0; i < g.n; i++)	/* RFC 6125: the domain */
		assert_string_equal(g.c[i].tls_name, "xmpp.test");
	assert_int_equal(fake_asked(0, "xmpp.test"), 0);	/* no A fallback */
}

static void
test_srv_sip(void **state)
{
	static const struct fake_rr z[] = {
		{ 1, "_sipfederationtls._tcp.fed.test", DNS_OK,
		  "20 0 5061 b.fed.test;10 0 5062 a.fed.test" },
	};
	struct got g;

	fake_zone(z, 1);
	lookup("fed.test", ROUTE_SIDE_SIP, 0, &g);
	assert_string_equal(cands(&g), "a.fed.test:5062/srv/0 b.fed.test:5061/srv/0");
	assert_string_equal(g.c[0].tls_name, "a.fed.test");	/* next-hop host */
	assert_int_equal(fake_asked(1, "_xmpp-server._tcp.fed.test"), 0);
}

static void
test_srv_dot(void **state)
{
	static const struct fake_rr z[] = {
		{ 1, "_xmpp-server._tcp.dot.test", DNS_NO_SERVICE, NULL },
		{ 1, "_sipfederationtls._tcp.dot.test", DNS_NO_SERVICE, NULL },
		{ 0, "dot.test", DNS_OK, "192.0.2.9" },
		{ 1, "_xmpps-server._tcp.half.test", DNS_NO_SERVICE, NULL },
		{ 1, "_xmpp-server._tcp.half.test", DNS_OK, "0 0 5269 x.half.test" },
		{ 1, "_xmpps-server._tcp.nofb.test", DNS_NO_SERVICE, NULL },
		{ 0, "nofb.test", DNS_OK, "192.0.2.10" },
	};
	struct got g;

	fake_zone(z, sizeof(z) / sizeof(z[0]));
	lookup("dot.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_NO_SERVICE);
	assert_non_null(strstr(g.error, "SRV target \".\""));
	assert_int_equal(g.n, 0);
	lookup("dot.test", ROUTE_SIDE_SIP, 0, &g);
	assert_int_equal(g.st, ROUTE_NO_SERVICE);
	assert_int_equal(fake_asked(0, "dot.test"), 0);	/* no A fallback */
	/* "." on _xmpps-server only: no direct TLS, _xmpp-server used */
	lookup("half.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_string_equal(cands(&g), "x.half.test:5269/srv/0");
	/* ... and without _xmpp-server records: no A/AAAA (XEP-0368) */
	lookup("nofb.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_NOT_FOUND);
	assert_non_null(strstr(g.error, "no A/AAAA fallback per XEP-0368"));
	assert_int_equal(fake_asked(0, "nofb.test"), 0);
}

static void
test_host_fallback(void **state)
{
	static const struct fake_rr z[] = {
		{ 0, "plain.test", DNS_OK, "192.0.2.20 2001:db8::20" },
	};
	struct got g;
	char a[64];

	fake_zone(z, 1);
	lookup("plain.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_string_equal(cands(&g), "plain.test:5269/host/0");
	assert_int_equal(g.c[0].naddrs, 2);	/* both families */
	assert_int_equal(g.c[0].addrs[0].ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&g.c[0].addrs[0])->sin_port), 5269);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&g.c[0].addrs[1])->sin6_addr,
	    a, sizeof(a));
	assert_string_equal(a, "2001:db8::20");
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&g.c[0].addrs[1])->sin6_port), 5269);
	assert_int_equal(fake_asked(1, "_xmpps-server._tcp.plain.test"), 1);
	assert_int_equal(fake_asked(1, "_xmpp-server._tcp.plain.test"), 1);
	lookup("plain.test", ROUTE_SIDE_SIP, 0, &g);
	assert_string_equal(cands(&g), "plain.test:5061/host/0");
	assert_string_equal(g.c[0].tls_name, "plain.test");
}

static void
test_not_found_timeout_error(void **state)
{
	static const struct fake_rr z[] = {
		{ 1, "_xmpp-server._tcp.slow.test", DNS_TIMEOUT, NULL },
		{ 1, "_xmpp-server._tcp.broken.test", DNS_ERROR, NULL },
		{ 0, "slowhost.test", DNS_TIMEOUT, NULL },
	};
	struct got g;

	fake_zone(z, sizeof(z) / sizeof(z[0]));
	lookup("missing.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_NOT_FOUND);
	assert_string_equal(g.error,
	    "missing.test has no SRV record and no A/AAAA record");
	lookup("slow.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_TIMEOUT);
	assert_int_equal(fake_asked(0, "slow.test"), 0);	/* stops there */
	lookup("broken.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_ERROR);
	lookup("slowhost.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_TIMEOUT);
	lookup("not a domain", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_ERROR);
}

/* hosted.test (clearinghouse) -> static route of aol.test */
static void
test_clearinghouse_default_static(void **state)
{
	static const struct fake_rr z[] = {
		{ 0, "hosted.test", DNS_OK, "192.0.2.99" },	/* its web site */
	};
	struct got g;

	use_config("default_routing_domain = aol.test", base_domains,
	    "xmpp aol.test 192.0.2.30:5269\n"
	    "sip .test.aol.* sip.aol.test 5061 tls\n");
	fake_zone(z, 1);
	lookup("hosted.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_string_equal(cands(&g), "192.0.2.30:5269/default-static/0");
	assert_string_equal(g.c[0].tls_name, "aol.test");
	assert_int_equal(fake_asked(1, "_xmpp-server._tcp.hosted.test"), 1);
	assert_int_equal(fake_asked(0, "hosted.test"), 0);
	assert_int_equal(fake_asked(1, "_xmpp-server._tcp.aol.test"), 0);
	assert_non_null(strstr(g.trace, "step host: skipped: hosted.test is "
	    "type=clearinghouse"));
	lookup("hosted.test", ROUTE_SIDE_SIP, 0, &g);
	assert_string_equal(cands(&g), "sip.aol.test:5061/default-static/0");
	/* the default domain itself: its static route */
	lookup("aol.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_string_equal(cands(&g), "192.0.2.30:5269/static/0");
	setup(NULL);
}

/* no static route for the default either: its SRV */
static void
test_clearinghouse_default_srv(void **state)
{
	static const struct fake_rr z[] = {
		{ 1, "_xmpp-server._tcp.aol.test", DNS_OK, "0 0 5269 xmpp.aol.test" },
		{ 1, "_sipfederationtls._tcp.aol.test", DNS_OK, "0 0 5061 sip.aol.test" },
	};
	struct got g;

	fake_zone(z, 2);
	lookup("hosted.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_string_equal(cands(&g), "xmpp.aol.test:5269/default-srv/0");
	assert_string_equal(g.c[0].tls_name, "aol.test");
	lookup("hosted.test", ROUTE_SIDE_SIP, 0, &g);
	assert_string_equal(cands(&g), "sip.aol.test:5061/default-srv/0");
	assert_string_equal(g.c[0].tls_name, "sip.aol.test");
	/* a hosted domain with its own SRV uses it */
	static const struct fake_rr z2[] = {
		{ 1, "_xmpp-server._tcp.hosted.test", DNS_OK, "0 0 5269 own.hosted.test" },
		{ 1, "_xmpp-server._tcp.aol.test", DNS_OK, "0 0 5269 xmpp.aol.test" },
	};
	fake_zone(z2, 2);
	lookup("hosted.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_string_equal(cands(&g), "own.hosted.test:5269/srv/0");
	assert_int_equal(fake_asked(1, "_xmpp-server._tcp.aol.test"), 0);
	/* nothing anywhere: not found, and the default domain said so */
	fake_zone(NULL, 0);
	lookup("hosted.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_NOT_FOUND);
	assert_non_null(strstr(g.error, "default routing domain aol.test has no "
	    "static route and no SRV record"));
	/* the default routing domain itself: 1 then 2, no loop */
	fake_zone(NULL, 0);
	lookup("aol.test", ROUTE_SIDE_XMPP, 0, &g);
	assert_int_equal(g.st, ROUTE_NOT_FOUND);
	assert_int_equal(fake_asked(1, "_xmpp-server._tcp.aol.test"), 1);
	assert_int_equal(fake_asked(0, "aol.test"), 0);
}

static void
test_alias(void **state)
{
	static const struct fake_rr z[] = {
		{ 1, "_xmpp-server._tcp.aol.test", DNS_OK, "0 0 5269 xmpp.aol.test" },
	};
	struct got g;

	fake_zone(z, 1);
	lookup("AIM.test.", ROUTE_SIDE_XMPP, 0, &g);
	assert_string_equal(g.domain, "aol.test");
	assert_string_equal(cands(&g), "xmpp.aol.test:5269/srv/0");
	assert_string_equal(g.c[0].tls_name, "aol.test");
	assert_int_equal(fake_asked(1, "_xmpp-server._tcp.aim.test"), 0);
	assert_non_null(strstr(g.trace, "step alias: domains.conf:7: aim.test -> aol.test"));
}

static void
test_resolve(void **state)
{
	static const struct fake_rr z[] = {
		{ 1, "_xmpp-server._tcp.xmpp.test", DNS_OK,
		  "0 0 5269 ok.xmpp.test;1 0 5269 gone.xmpp.test;2 0 5269 192.0.2.77" },
		{ 0, "ok.xmpp.test", DNS_OK, "192.0.2.5 2001:db8::5" },
		{ 1, "_xmpp-server._tcp.nores.test", DNS_OK, "0 0 5269 gone.nores.test" },
		{ 0, "gone.nores.test", DNS_TIMEOUT, NULL },
		{ 1, "_xmpps-server._tcp.dup.test", DNS_OK, "0 0 5270 same.dup.test" },
		{ 1, "_xmpp-server._tcp.dup.test", DNS_OK, "0 0 5269 same.dup.test" },
		{ 0, "same.dup.test", DNS_OK, "192.0.2.8" },
	};
	struct got g;

	fake_zone(z, sizeof(z) / sizeof(z[0]));
	lookup("xmpp.test", ROUTE_SIDE_XMPP, ROUTE_RESOLVE, &g);
	assert_int_equal(g.st, ROUTE_OK);
	/* the one that does not resolve is dropped; a literal needs no DNS */
	assert_string_equal(cands(&g), "ok.xmpp.test:5269/srv/0 192.0.2.77:5269/srv/0");
	assert_int_equal(g.c[0].naddrs, 2);
	assert_int_equal(g.c[1].naddrs, 1);
	assert_int_equal(ntohs(((struct sockaddr_in *)&g.c[1].addrs[0])->sin_port), 5269);
	assert_int_equal(fake_asked(0, "192.0.2.77"), 0);
	assert_int_equal(fake_asked(0, "gone.xmpp.test"), 1);
	assert_non_null(strstr(g.trace, "gone.xmpp.test: not-found"));
	lookup("nores.test", ROUTE_SIDE_XMPP, ROUTE_RESOLVE, &g);
	assert_int_equal(g.st, ROUTE_TIMEOUT);
	assert_int_equal(g.n, 0);
	/* one host behind both services: resolved once, for both */
	lookup("dup.test", ROUTE_SIDE_XMPP, ROUTE_RESOLVE, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.c[0].naddrs, 1);
	assert_int_equal(g.c[1].naddrs, 1);
	assert_int_equal(fake_asked(0, "same.dup.test"), 1);
}

/* ---- cancel and reload ------------------------------------------- */

static uint64_t other_id;
static int other_calls;

static void
other_cb(uint64_t id, const struct route_result *r, void *arg)
{
	other_calls++;
}

/* The first result cancels the other pending lookup. */
static void
cancel_other_cb(uint64_t id, const struct route_result *r, void *arg)
{
	int *calls = arg;

	(*calls)++;
	route_cancel(other_id);
	route_cancel(id);	/* already delivered: a no-op */
	tu_loop_done();
}

static void
test_cancel(void **state)
{
	static const struct fake_rr z[] = {
		{ 1, "_xmpp-server._tcp.xmpp.test", DNS_OK, "0 0 5269 a.xmpp.test" },
	};
	int calls = 0;
	uint64_t id;

	fake_zone(z, 1);
	/* cancelled while its DNS queries run: no callback, queries cancelled */
	F.hold = 1;
	other_calls = 0;
	id = route_lookup("xmpp.test", ROUTE_SIDE_XMPP, 0, other_cb, NULL);
	assert_int_equal(fake_count(FQ_PENDING), 2);
	route_cancel(id);
	assert_int_equal(fake_count(FQ_PENDING), 0);
	assert_int_equal(fake_count(FQ_CANCELLED), 2);
	route_cancel(id);	/* twice: harmless */
	route_cancel(0);
	/* cancelled after it finished but before delivery: no callback */
	fake_zone(z, 1);
	id = route_lookup("sip.test", ROUTE_SIDE_SIP, 0, other_cb, NULL);
	route_cancel(id);
	/* cancelled from inside another lookup's callback */
	other_id = route_lookup("xmpp.test", ROUTE_SIDE_XMPP, 0, other_cb, NULL);
	route_lookup("sip.test", ROUTE_SIDE_SIP, 0, cancel_other_cb, &calls);
	assert_int_equal(tu_loop_run(2000), 0);
	assert_int_equal(calls, 1);
	/* let anything left run: the cancelled ones never call back */
	tu_loop_run(50);
	assert_int_equal(other_calls, 0);
	assert_int_equal(fake_count(FQ_PENDING), 0);
}

/*
 * A lookup that began before a reload finishes with its config: the
 * clearinghouse chain goes on to the old default static route, while a
 * lookup begun after the swap uses the new one.
 */
static void
test_reload_swap(void **state)
{
	struct got g, g2;

	use_config("default_routing_domain = aol.test", base_domains,
	    "xmpp aol.test old.aol.test\n");
	fake_zone(NULL, 0);
	F.hold = 1;
	memset(&g, 0, sizeof(g));
	g.id = route_lookup("hosted.test", ROUTE_SIDE_XMPP, 0, got_cb, &g);
	g.returned = 1;
	assert_int_equal(fake_count(FQ_PENDING), 2);
	/* reload: the new config replaces the old one, whose last
	 * reference is now the lookup's */
	use_config("default_routing_domain = aol.test", base_domains,
	    "xmpp aol.test new.aol.test\n");
	F.hold = 0;
	fake_schedule();
	assert_int_equal(tu_loop_run(2000), 0);
	assert_string_equal(cands(&g), "old.aol.test:5269/default-static/0");
	lookup("hosted.test", ROUTE_SIDE_XMPP, 0, &g2);
	assert_string_equal(cands(&g2), "new.aol.test:5269/default-static/0");
	setup(NULL);
}

static int
teardown_all(void **state)
{
	config_set_current(NULL);
	dns_set_ops(NULL);
	loop_destroy();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_of_local_domain),
		cmocka_unit_test(test_sip_pattern_specificity),
		cmocka_unit_test(test_xmpp_static_shuffled),
		cmocka_unit_test(test_srv_xmpp_merged),
		cmocka_unit_test(test_srv_sip),
		cmocka_unit_test(test_srv_dot),
		cmocka_unit_test(test_host_fallback),
		cmocka_unit_test(test_not_found_timeout_error),
		cmocka_unit_test(test_clearinghouse_default_static),
		cmocka_unit_test(test_clearinghouse_default_srv),
		cmocka_unit_test(test_alias),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_reload_swap),
	};

	log_init(1, LOG_LVL_ERROR);
	if (loop_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown_all);
}
