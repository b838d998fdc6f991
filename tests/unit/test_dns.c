/*
 * Unit tests of core/dns: RFC 2782 ordering, and the real c-ares backend
 * on the loop against a tiny DNS server inside this process (UDP on
 * 127.0.0.1, answers built here): SRV parsing, target ".", NXDOMAIN with
 * SOA negative caching, A and AAAA, the TTL cache and its expiry, cancel
 * (also from inside another callback), a silent server (bounded timeout),
 * and a reload while a query is in flight.
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
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/loop.h"
#include "tests/unit/test_route_util.h"

/* ---- the test's DNS server --------------------------------------- */

enum { T_A = 1, T_SOA = 6, T_AAAA = 28, T_SRV = 33 };
enum srv_mode { MODE_ANSWER, MODE_SILENT, MODE_HOLD };

struct zrec {
	const char	*name;
	int		 type;
	const char	*data;	/* SRV "prio weight port target", A/AAAA text */
	uint32_t	 ttl;
};

static const struct zrec zone[] = {
	{ "_xmpp-server._tcp.three.test", T_SRV, "20 0 5269 C.three.test", 300 },
	{ "_xmpp-server._tcp.three.test", T_SRV, "10 5 5270 a.three.test", 300 },
	{ "_xmpp-server._tcp.three.test", T_SRV, "10 5 5271 b.three.test", 600 },
	{ "_xmpp-server._tcp.dot.test", T_SRV, "0 0 0 .", 300 },
	{ "_xmpp-server._tcp.short.test", T_SRV, "0 0 5269 s.short.test", 2 },
	{ "_xmpp-server._tcp.zero.test", T_SRV, "0 0 5269 z.zero.test", 0 },
	{ "_xmpp-server._tcp.slow.test", T_SRV, "0 0 5269 x.slow.test", 300 },
	{ "_xmpp-server._tcp.burst.test", T_SRV, "0 0 5269 x.burst.test", 300 },
	{ "_xmpp-server._tcp.reload.test", T_SRV, "0 0 5269 x.reload.test", 300 },
	{ "both.test", T_A, "192.0.2.1", 300 },
	{ "both.test", T_AAAA, "2001:db8::1", 300 },
	{ "v6only.test", T_AAAA, "2001:db8::6", 300 },
};

static struct {
	int		 fd;
	uint16_t	 port;
	struct loop_io	*io;
	enum srv_mode	 mode;
	int		 queries;
	uint32_t	 soa_min;
	struct { struct sockaddr_in to; unsigned char b[512]; size_t n; } held[8];
	size_t		 nheld;
} S;

static size_t
put_name(unsigned char *p, const char *name)
{
	size_t off = 0;
	const char *s = name;

	while (*s && strcmp(s, ".") != 0) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		p[off++] = (unsigned char)l;
		memcpy(p + off, s, l);
		off += l;
		s += l + (dot ? 1 : 0);
	}
	p[off++] = 0;
	return off;
}

static size_t
put_rr_head(unsigned char *p, int type, uint32_t ttl)
{
	p[0] = 0xc0;	/* the question's name */
	p[1] = 12;
	p[2] = 0;
	p[3] = (unsigned char)type;
	p[4] = 0;
	p[5] = 1;
	p[6] = (unsigned char)(ttl >> 24);
	p[7] = (unsigned char)(ttl >> 16);
	p[8] = (unsigned char)(ttl >> 8);
	p[9] = (unsigned char)ttl;
	return 12;	/* rdlength at p[10..11], set by the caller */
}

static size_t
put_rdata(unsigned char *p, const struct zrec *z)
{
	unsigned pr, w, port;
	char target[256];

	if (z->type == T_A) {
		inet_pton(AF_INET, z->data, p);
		return 4;
	}
	if (z->type == T_AAAA) {
		inet_pton(AF_INET6, z->data, p);
		return 16;
	}
	sscanf(z->data, "%u %u %u %255s", &pr, &w, &port, target);
	p[0] = (unsigned char)(pr >> 8); p[1] = (unsigned char)pr;
	p[2] = (unsigned char)(w >> 8); p[3] = (unsigned char)w;
	p[4] = (unsigned char)(port >> 8); p[5] = (unsigned char)port;
	return 6 + put_name(p + 6, target);
}

/* An answer for the query q (n bytes) into out; returns its length. */
static size_t
build_answer(const unsigned char *q, size_t n, unsigned char *out)
{
	char name[256];
	size_t qi = 12, ni = 0, off, an = 0, exists = 0;
	int qtype;

	while (qi < n && q[qi]) {
		size_t l = q[qi++];
		if (ni)
			name[ni++] = '.';
		memcpy(name + ni, q + qi, l);
		ni += l;
		qi += l;
	}
	name[ni] = '\0';
	qtype = q[qi + 1] << 8 | q[qi + 2];
	qi += 5;			/* end of the question */
	memcpy(out, q, qi);
	out[2] = 0x84 | (q[2] & 1);	/* QR, AA, RD as asked */
	out[3] = 0x80;			/* RA, NOERROR */
	off = qi;
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (strcasecmp(zone[i].name, name) != 0)
			continue;
		exists = 1;
		if (zone[i].type != qtype)
			continue;
		size_t h = put_rr_head(out + off, qtype, zone[i].ttl);
		size_t rd = put_rdata(out + off + h, &zone[i]);
		out[off + 10] = (unsigned char)(rd >> 8);
		out[off + 11] = (unsigned char)rd;
		off += h + rd;
		an++;
	}
	if (!exists)
		out[3] |= 3;		/* NXDOMAIN */
	if (an == 0) {			/* SOA in authority: negative TTL */
		size_t h = put_rr_head(out + off, T_SOA, 3600), rd;
		unsigned char *p = out + off + h;
		rd = put_name(p, "ns.test");
		rd += put_name(p + rd, "admin.test");
		memset(p + rd, 0, 16);
		p[rd + 16] = (unsigned char)(S.soa_min >> 24);
		p[rd + 17] = (unsigned char)(S.soa_min >> 16);
		p[rd + 18] = (unsigned char)(S.soa_min >> 8);
		p[rd + 19] = (unsigned char)S.soa_min;
		rd += 20;
		out[off + 10] = (unsigned char)(rd >> 8);
		out[off + 11] = (unsigned char)rd;
		off += h + rd;
	}
	out[6] = 0;
	out[7] = (unsigned char)an;
	out[8] = 0;
	out[9] = an ? 0 : 1;
	out[10] = out[11] = 0;
	return off;
}

static void
srv_read(int fd, int events, void *arg)
{
	unsigned char q[512], a[512];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	size_t len;

	if (n < 17)
		return;
	S.queries++;
	if (S.mode == MODE_SILENT)
		return;
	len = build_answer(q, (size_t)n, a);
	if (S.mode == MODE_HOLD && S.nheld < 8) {
		S.held[S.nheld].to = from;
		memcpy(S.held[S.nheld].b, a, len);
		S.held[S.nheld++].n = len;
		return;
	}
	sendto(fd, a, len, 0, (struct sockaddr *)&from, fl);
}

static void
srv_release(void)
{
	for (size_t i = 0; i < S.nheld; i++)
		sendto(S.fd, S.held[i].b, S.held[i].n, 0,
		    (struct sockaddr *)&S.held[i].to, sizeof(S.held[i].to));
	S.nheld = 0;
	S.mode = MODE_ANSWER;
}

static void
srv_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t l = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	S.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(S.fd >= 0);
	assert_int_equal(bind(S.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(S.fd, (struct sockaddr *)&sa, &l), 0);
	S.port = ntohs(sa.sin_port);
	S.io = loop_io_add(S.fd, LOOP_READ, srv_read, NULL);
	assert_non_null(S.io);
	S.soa_min = 60;
}

/* ---- results ----------------------------------------------------- */

struct got {
	int		 calls;
	uint64_t	 id;
	enum dns_status	 st;
	char		 error[256];
	int		 cached;
	size_t		 n;
	struct dns_srv	 srv[8];
	struct sockaddr_storage addr[8];
};

static int want;
static int total_calls;

static void
got_cb(uint64_t id, const struct dns_result *r, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->id = id;
	g->st = r->status;
	g->cached = r->cached;
	snprintf(g->error, sizeof(g->error), "%s", r->error ? r->error : "");
	g->n = r->nsrv ? r->nsrv : r->naddr;
	if (g->n > 8)
		g->n = 8;
	if (r->nsrv)
		memcpy(g->srv, r->srv, g->n * sizeof(g->srv[0]));
	else if (r->naddr)
		memcpy(g->addr, r->addr, g->n * sizeof(g->addr[0]));
	if (++total_calls >= want)
		tu_loop_done();
}

/* Run the loop until n more callbacks (bounded). */
static void
wait_calls(int n, uint64_t ms)
{
	want = total_calls + n;
	assert_int_equal(tu_loop_run(ms), 0);
}

static void
query_srv(const char *name, struct got *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_not_equal(dns_query_srv(name, got_cb, g), 0);
	assert_int_equal(g->calls, 0);		/* never synchronous */
	wait_calls(1, 3000);
	assert_int_equal(g->calls, 1);
}

/* ---- RFC 2782 order ---------------------------------------------- */

static uint32_t
fixed_rnd(void *arg)
{
	return *(uint32_t *)arg;
}

static void
set_srv(struct dns_srv *s, const char *t, unsigned prio, unsigned w)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->target, sizeof(s->target), "%s", t);
	s->priority = (uint16_t)prio;
	s->weight = (uint16_t)w;
}

/* Order {w10, w0, w20} (one priority) with a fixed pick. */
static const char *
order_w(uint32_t pick)
{
	static char buf[3 * 256 + 3];
	struct dns_srv v[3];

	set_srv(&v[0], "w10", 1, 10);
	set_srv(&v[1], "w0", 1, 0);
	set_srv(&v[2], "w20", 1, 20);
	dns_srv_order(v, 3, fixed_rnd, &pick);
	snprintf(buf, sizeof(buf), "%s %s %s", v[0].target, v[1].target,
	    v[2].target);
	return buf;
}

static void
test_srv_order(void **state)
{
	struct dns_srv v[4];
	uint32_t r;
	int afirst = 0, zfirst = 0;

	/* priority ascending, stable for equal weights 0 */
	set_srv(&v[0], "p30", 30, 0);
	set_srv(&v[1], "p10a", 10, 0);
	set_srv(&v[2], "p20", 20, 0);
	set_srv(&v[3], "p10b", 10, 0);
	r = 12345;
	dns_srv_order(v, 4, fixed_rnd, &r);
	assert_string_equal(v[0].target, "p10a");
	assert_string_equal(v[1].target, "p10b");
	assert_string_equal(v[2].target, "p20");
	assert_string_equal(v[3].target, "p30");

	/* weight 0 first in the running sum: chosen when the pick is 0 */
	assert_string_equal(order_w(0), "w0 w10 w20");
	/* pick 30 of [0,30]: the last of the running sum, then 30 % 11 = 8 */
	assert_string_equal(order_w(30), "w20 w10 w0");

	/* the real generator: 75/25 and 0/10 in the right proportions */
	for (int i = 0; i < 10000; i++) {
		set_srv(&v[0], "b", 5, 25);
		set_srv(&v[1], "a", 5, 75);
		dns_srv_order(v, 2, NULL, NULL);
		afirst += v[0].target[0] == 'a';
		set_srv(&v[0], "ten", 5, 10);
		set_srv(&v[1], "zero", 5, 0);
		dns_srv_order(v, 2, NULL, NULL);
		zfirst += v[0].target[0] == 'z';
	}
	if (afirst < 7000 || afirst > 8000)
		fail_msg("weight 75 of 100 first %d/10000", afirst);
	if (zfirst < 600 || zfirst > 1250)	/* 1/11 */
		fail_msg("weight 0 beside 10 first %d/10000", zfirst);
}

/* ---- c-ares on the loop ------------------------------------------ */

static void
test_srv_answer(void **state)
{
	struct got g;
	int q0 = S.queries;

	query_srv("_xmpp-server._tcp.three.test", &g);
	assert_int_equal(g.st, DNS_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.srv[0].priority, 10);
	assert_int_equal(g.srv[1].priority, 10);
	assert_string_equal(g.srv[2].target, "c.three.test");	/* lower case */
	assert_int_equal(g.srv[2].port, 5269);
	assert_int_equal(g.srv[2].priority, 20);
	assert_int_equal(g.cached, 0);
	assert_int_equal(S.queries, q0 + 1);
	/* again: from the cache, no packet */
	query_srv("_XMPP-server._tcp.three.test.", &g);
	assert_int_equal(g.st, DNS_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.cached, 1);
	assert_int_equal(S.queries, q0 + 1);
}

static void
test_srv_dot_and_nxdomain(void **state)
{
	struct got g;
	int q0;

	query_srv("_xmpp-server._tcp.dot.test", &g);
	assert_int_equal(g.st, DNS_NO_SERVICE);
	assert_int_equal(g.n, 0);
	assert_non_null(strstr(g.error, "SRV target \".\""));
	q0 = S.queries;
	query_srv("_xmpp-server._tcp.nowhere.test", &g);
	assert_int_equal(g.st, DNS_NOT_FOUND);
	assert_non_null(strstr(g.error, "NXDOMAIN"));
	assert_int_equal(S.queries, q0 + 1);
	/* negative answer cached for the SOA minimum (60 s here) */
	query_srv("_xmpp-server._tcp.nowhere.test", &g);
	assert_int_equal(g.st, DNS_NOT_FOUND);
	assert_int_equal(g.cached, 1);
	assert_int_equal(S.queries, q0 + 1);
	/* a name that exists without that type: no data, not found */
	query_srv("both.test", &g);
	assert_int_equal(g.st, DNS_NOT_FOUND);
	assert_non_null(strstr(g.error, "no SRV record"));
}

static void
test_addr_both_families(void **state)
{
	struct got g;
	int v4 = 0, v6 = 0;

	memset(&g, 0, sizeof(g));
	assert_int_not_equal(dns_query_addr("both.test", got_cb, &g), 0);
	wait_calls(1, 3000);
	assert_int_equal(g.st, DNS_OK);
	assert_int_equal(g.n, 2);
	for (size_t i = 0; i < g.n; i++) {
		v4 += g.addr[i].ss_family == AF_INET;
		v6 += g.addr[i].ss_family == AF_INET6;
		if (g.addr[i].ss_family == AF_INET)
			assert_int_equal(((struct sockaddr_in *)&g.addr[i])->sin_port, 0);
	}
	assert_int_equal(v4, 1);
	assert_int_equal(v6, 1);
	memset(&g, 0, sizeof(g));
	dns_query_addr("v6only.test", got_cb, &g);
	wait_calls(1, 3000);
	assert_int_equal(g.st, DNS_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.addr[0].ss_family, AF_INET6);
	memset(&g, 0, sizeof(g));
	dns_query_addr("nothing.test", got_cb, &g);
	wait_calls(1, 3000);
	assert_int_equal(g.st, DNS_NOT_FOUND);
	/* an IP literal needs no server */
	memset(&g, 0, sizeof(g));
	dns_query_addr("192.0.2.55", got_cb, &g);
	wait_calls(1, 3000);
	assert_int_equal(g.st, DNS_OK);
	assert_int_equal(g.n, 1);
}

static void
test_cache_ttl(void **state)
{
	struct got g;
	int q0 = S.queries;

	query_srv("_xmpp-server._tcp.short.test", &g);	/* TTL 2 s */
	assert_int_equal(S.queries, q0 + 1);
	query_srv("_xmpp-server._tcp.short.test", &g);
	assert_int_equal(g.cached, 1);
	assert_int_equal(S.queries, q0 + 1);
	/* let the TTL run out: the next query asks the server again */
	assert_int_equal(tu_loop_run(2100), -1);
	query_srv("_xmpp-server._tcp.short.test", &g);
	assert_int_equal(g.st, DNS_OK);
	assert_int_equal(g.cached, 0);
	assert_int_equal(S.queries, q0 + 2);
	/* TTL 0: never cached */
	query_srv("_xmpp-server._tcp.zero.test", &g);
	query_srv("_xmpp-server._tcp.zero.test", &g);
	assert_int_equal(g.cached, 0);
	assert_int_equal(S.queries, q0 + 4);
}

static uint64_t victim;

static void
cancel_victim_cb(uint64_t id, const struct dns_result *r, void *arg)
{
	dns_cancel(victim);
	dns_cancel(id);		/* already delivered: harmless */
	got_cb(id, r, arg);
}

static void
test_cancel(void **state)
{
	struct got g1, g2, g3;

	memset(&g1, 0, sizeof(g1));
	memset(&g2, 0, sizeof(g2));
	memset(&g3, 0, sizeof(g3));
	/* in flight: cancelled before the answer comes */
	uint64_t id = dns_query_srv("_xmpp-server._tcp.slow.test", got_cb, &g1);
	dns_cancel(id);
	dns_cancel(id);
	/* from the cache (on the ready list): cancelled from another callback */
	query_srv("_xmpp-server._tcp.three.test", &g3);
	memset(&g3, 0, sizeof(g3));
	dns_query_srv("_xmpp-server._tcp.three.test", cancel_victim_cb, &g2);
	victim = dns_query_srv("_xmpp-server._tcp.three.test", got_cb, &g3);
	wait_calls(1, 3000);
	assert_int_equal(g2.calls, 1);
	/* a later answer for the cancelled in-flight query is dropped too */
	tu_loop_run(300);
	assert_int_equal(g1.calls, 0);
	assert_int_equal(g3.calls, 0);
	dns_cancel(0);
	dns_cancel(987654321);
}

/*
 * A burst of identical questions is one query; the others wait on it and
 * get its answer, even when the first asker cancels.
 */
static void
test_coalesce(void **state)
{
	struct got a, b, c;
	int q0 = S.queries;
	uint64_t ida;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	S.mode = MODE_HOLD;
	ida = dns_query_srv("_xmpp-server._tcp.burst.test", got_cb, &a);
	dns_query_srv("_xmpp-server._tcp.burst.test", got_cb, &b);
	dns_query_srv("_xmpp-server._tcp.burst.test", got_cb, &c);
	dns_cancel(ida);
	assert_int_equal(tu_loop_run(200), -1);
	assert_int_equal(S.queries, q0 + 1);
	srv_release();
	wait_calls(2, 3000);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(b.st, DNS_OK);
	assert_string_equal(c.srv[0].target, "x.burst.test");
	assert_int_equal(S.queries, q0 + 1);
}

/* The old channel finishes its query after a reload; the cache is new. */
static void
test_reload_in_flight(void **state)
{
	struct config cfg;
	char server[32], *servers[1] = { server };
	struct got g;
	int q0;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(server, sizeof(server), "127.0.0.1:%u", S.port);
	cfg.dns_servers.v = servers;
	cfg.dns_servers.n = 1;
	S.mode = MODE_HOLD;
	memset(&g, 0, sizeof(g));
	dns_query_srv("_xmpp-server._tcp.reload.test", got_cb, &g);
	assert_int_equal(tu_loop_run(200), -1);	/* the query reaches us */
	assert_int_equal(S.nheld, 1);
	dns_reload(&cfg);
	srv_release();
	wait_calls(1, 3000);
	assert_int_equal(g.st, DNS_OK);
	assert_string_equal(g.srv[0].target, "x.reload.test");
	/* reload flushed the cache: three.test is asked again */
	q0 = S.queries;
	query_srv("_xmpp-server._tcp.three.test", &g);
	assert_int_equal(g.cached, 0);
	assert_int_equal(S.queries, q0 + 1);
}

/* A server that never answers: DNS_TIMEOUT in bounded time. */
static void
test_silent_server(void **state)
{
	struct got g;
	uint64_t t0;

	S.mode = MODE_SILENT;
	memset(&g, 0, sizeof(g));
	t0 = loop_now_ms_fresh();
	dns_query_srv("_xmpp-server._tcp.nocache.test", got_cb, &g);
	wait_calls(1, 10000);
	assert_int_equal(g.st, DNS_TIMEOUT);
	assert_string_equal(g.error,
	    "no answer from the DNS server within 6 s (2 tries)");
	uint64_t took = loop_now_ms_fresh() - t0;
	if (took < 5000 || took > 9500)
		fail_msg("timeout after %llu ms", (unsigned long long)took);
	S.mode = MODE_ANSWER;
	/* timeouts are not cached */
	query_srv("_xmpp-server._tcp.nocache.test", &g);
	assert_int_equal(g.st, DNS_NOT_FOUND);
}

static int
setup(void **state)
{
	struct config cfg;
	char server[32], *servers[1] = { server };

	if (loop_init() != 0)
		return -1;
	/* before dns_init: a query cannot start */
	if (dns_query_srv("x.test", got_cb, NULL) != 0)
		return -1;
	srv_start();
	memset(&cfg, 0, sizeof(cfg));
	snprintf(server, sizeof(server), "127.0.0.1:%u", S.port);
	cfg.dns_servers.v = servers;
	cfg.dns_servers.n = 1;
	return dns_init(&cfg);
}

static int
teardown(void **state)
{
	dns_shutdown();
	loop_io_del(S.io);
	close(S.fd);
	loop_destroy();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srv_order),
		cmocka_unit_test(test_srv_answer),
		cmocka_unit_test(test_srv_dot_and_nxdomain),
		cmocka_unit_test(test_addr_both_families),
		cmocka_unit_test(test_cache_ttl),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_coalesce),
		cmocka_unit_test(test_reload_in_flight),
		cmocka_unit_test(test_silent_server),
	};

	log_init(1, LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
