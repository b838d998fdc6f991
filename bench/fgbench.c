/*
 * fgbench: the load tool of fedgate. It plays the SIP edge and the remote
 * XMPP server around a running fedgated, in one process with one clock,
 * and prints one parsable summary line per run:
 *
 *   fgbench sip2xmpp|xmpp2sip|subs|selftest [options]
 *
 * See docs/performance.md for the method and bench/run.sh for a complete
 * run against the gateway in a network namespace.
 */
#include "config.h"
#include "bench/bench.h"
#include "bench/btls.h"
#include "bench/runner.h"
#include "bench/sippeer.h"
#include "bench/xmpppeer.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mode { M_SIP2XMPP, M_XMPP2SIP, M_SUBS, M_SELFTEST, M_SERVE };

static void
usage(FILE *out)
{
	fprintf(out,
"usage: fgbench sip2xmpp|xmpp2sip|subs|selftest|serve [options]\n"
"\n"
"  sip2xmpp   SIP MESSAGEs from the edge through the gateway to the XMPP sink\n"
"  xmpp2sip   XMPP <message/>s from the remote server through the gateway to\n"
"             the SIP edge sink\n"
"  subs       N presence subscriptions from the SIP edge; report the RSS\n"
"  selftest   SIP source -> SIP sink and XMPP source -> XMPP sink, no gateway\n"
"  serve      only play the peers (SIP edge sink, XMPP server) for --secs,\n"
"             answering what comes; print what was received\n"
"\n"
"load:\n"
"  --rate N            offered messages/s (default 2000)\n"
"  --secs S            measured window (default 10)\n"
"  --warmup S          sent at the rate before measuring (default 2)\n"
"  --drain S           wait for stragglers after sending (default 5)\n"
"  --search            find the highest rate with zero loss and no growing\n"
"                      backlog: --start N (default = step), --step N\n"
"                      (default 2000), --max N (default 200000)\n"
"  --users N           distinct users (userK, default 100)\n"
"  --size N            body bytes (default 100)\n"
"  --conns N           SIP connections from the edge (default 1)\n"
"  --subs N            subscriptions (subs: 10000, selftest: 1000; 0 = none)\n"
"  --sub-rate N        SUBSCRIBEs per second (default 2000)\n"
"  --timeout S         bound of each wait: connect, probe, subs (default 10)\n"
"  --pid PID           the gateway: CPU (/proc/PID/schedstat) and RSS\n"
"\n"
"peers (defaults fit bench/run.sh):\n"
"  --local-domain D    the gateway's SIP domain (sip.test)\n"
"  --remote-domain D   the XMPP domain we play (xmpp.test)\n"
"  --gw-sip A          gateway SIP listener (127.0.0.2:5061)\n"
"  --gw-xmpp A         gateway XMPP listener (127.0.0.2:5269)\n"
"  --gw-name N         name in the gateway's SIP certificate (gw.sip.test)\n"
"  --xmpp-listen A     our XMPP server (127.0.0.3:5269)\n"
"  --edge-listen A     our SIP edge (127.0.0.4:5061)\n"
"  --edge-name N       our edge's FQDN in Via/Contact (edge.sip.test)\n"
"  --certs DIR         DIR/ca.pem, DIR/EDGE-NAME.pem/.key, DIR/REMOTE.pem/.key\n"
"  --ca F --edge-cert F --edge-key F --xmpp-cert F --xmpp-key F\n"
"  --dialback-secret F the gateway's dialback secret (to check its keys)\n"
"  --own-secret F      our secret as the remote domain (default: random)\n"
"  --xmpp-auth M       auto | external | dialback (source side, default auto)\n"
"  -v                  log connection and stream steps to stderr\n");
}

static int
parse_num(const char *s, double *out, double min)
{
	char *end;
	double v = strtod(s, &end);

	if (*end != '\0' || v < min)
		return -1;
	*out = v;
	return 0;
}

static void
defaults(struct bench_opts *o)
{
	o->local_domain = "sip.test";
	o->remote_domain = "xmpp.test";
	o->gw_sip = "127.0.0.2:5061";
	o->gw_xmpp = "127.0.0.2:5269";
	o->gw_name = "gw.sip.test";
	o->xmpp_listen = "127.0.0.3:5269";
	o->edge_listen = "127.0.0.4:5061";
	o->edge_name = "edge.sip.test";
	o->rate = 2000;
	o->secs = 10;
	o->warmup = 2;
	o->drain = 5;
	o->timeout = 10;
	o->users = 100;
	o->conns = 1;
	o->body_size = 100;
	o->step = 2000;
	o->search_max = 200000;
	o->sub_rate = 2000;
	o->subs = (unsigned)-1;
}

/* DIR/NAME.EXT in one of a few static buffers (the options point at them). */
static const char *
path_join(const char *dir, const char *name, const char *ext)
{
	static char paths[5][4096];
	static unsigned next;
	char *p;

	if (next == sizeof(paths) / sizeof(paths[0]))
		return NULL;
	p = paths[next++];
	if (snprintf(p, sizeof(paths[0]), "%s/%s%s", dir, name, ext) >=
	    (int)sizeof(paths[0]))
		return NULL;
	return p;
}

enum { O_RATE = 256, O_SECS, O_WARMUP, O_DRAIN, O_SEARCH, O_START, O_STEP,
	O_MAX, O_USERS, O_SIZE, O_CONNS, O_SUBS, O_SUBRATE, O_TIMEOUT, O_PID,
	O_LDOM, O_RDOM, O_GWSIP, O_GWXMPP, O_GWNAME, O_XLISTEN, O_ELISTEN,
	O_ENAME, O_CERTS, O_CA, O_ECERT, O_EKEY, O_XCERT, O_XKEY, O_GWSECRET,
	O_OWNSECRET, O_XAUTH };

static const struct option long_opts[] = {
	{ "rate", 1, 0, O_RATE }, { "secs", 1, 0, O_SECS },
	{ "warmup", 1, 0, O_WARMUP }, { "drain", 1, 0, O_DRAIN },
	{ "search", 0, 0, O_SEARCH }, { "start", 1, 0, O_START },
	{ "step", 1, 0, O_STEP }, { "max", 1, 0, O_MAX },
	{ "users", 1, 0, O_USERS }, { "size", 1, 0, O_SIZE },
	{ "conns", 1, 0, O_CONNS }, { "subs", 1, 0, O_SUBS },
	{ "sub-rate", 1, 0, O_SUBRATE }, { "timeout", 1, 0, O_TIMEOUT },
	{ "pid", 1, 0, O_PID }, { "local-domain", 1, 0, O_LDOM },
	{ "remote-domain", 1, 0, O_RDOM }, { "gw-sip", 1, 0, O_GWSIP },
	{ "gw-xmpp", 1, 0, O_GWXMPP }, { "gw-name", 1, 0, O_GWNAME },
	{ "xmpp-listen", 1, 0, O_XLISTEN }, { "edge-listen", 1, 0, O_ELISTEN },
	{ "edge-name", 1, 0, O_ENAME }, { "certs", 1, 0, O_CERTS },
	{ "ca", 1, 0, O_CA }, { "edge-cert", 1, 0, O_ECERT },
	{ "edge-key", 1, 0, O_EKEY }, { "xmpp-cert", 1, 0, O_XCERT },
	{ "xmpp-key", 1, 0, O_XKEY }, { "dialback-secret", 1, 0, O_GWSECRET },
	{ "own-secret", 1, 0, O_OWNSECRET }, { "xmpp-auth", 1, 0, O_XAUTH },
	{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
};

static int
parse_mode(const char *s, enum mode *mode)
{
	static const struct { const char *name; enum mode m; } modes[] = {
		{ "sip2xmpp", M_SIP2XMPP }, { "xmpp2sip", M_XMPP2SIP },
		{ "subs", M_SUBS }, { "selftest", M_SELFTEST },
		{ "serve", M_SERVE },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(s, modes[i].name)) {
			*mode = modes[i].m;
			return 0;
		}
	}
	fprintf(stderr, "fgbench: unknown mode '%s'\n", s);
	return -1;
}

/* A number option into its field. Returns 0, or -1 when out of range. */
static int
parse_number_opt(int c, const char *arg, struct bench_opts *o)
{
	double v;

	switch (c) {
	case O_RATE: return parse_num(arg, &o->rate, 1);
	case O_SECS: return parse_num(arg, &o->secs, 0.1);
	case O_WARMUP: return parse_num(arg, &o->warmup, 0);
	case O_DRAIN: return parse_num(arg, &o->drain, 0);
	case O_START: return parse_num(arg, &o->start, 1);
	case O_STEP: return parse_num(arg, &o->step, 100);
	case O_MAX: return parse_num(arg, &o->search_max, 1);
	case O_SUBRATE: return parse_num(arg, &o->sub_rate, 1);
	case O_TIMEOUT: return parse_num(arg, &o->timeout, 0.1);
	}
	if (parse_num(arg, &v, 0) != 0 || v > 10000000)
		return -1;
	switch (c) {
	case O_USERS: o->users = (unsigned)v; return v >= 1 ? 0 : -1;
	case O_SIZE: o->body_size = (unsigned)v; return v <= 1500 ? 0 : -1;
	case O_CONNS: o->conns = (unsigned)v; return v >= 1 ? 0 : -1;
	case O_SUBS: o->subs = (unsigned)v; return 0;
	case O_PID: o->pid = (pid_t)v; return v >= 1 ? 0 : -1;
	}
	return -1;
}

/* One option (other than a number). Returns 0, or -1 for a bad value. */
static int
parse_opt(int c, const char *arg, struct bench_opts *o, const char **certs)
{
	switch (c) {
	case O_SEARCH: o->search = 1; return 0;
	case O_LDOM: o->local_domain = arg; return 0;
	case O_RDOM: o->remote_domain = arg; return 0;
	case O_GWSIP: o->gw_sip = arg; return 0;
	case O_GWXMPP: o->gw_xmpp = arg; return 0;
	case O_GWNAME: o->gw_name = arg; return 0;
	case O_XLISTEN: o->xmpp_listen = arg; return 0;
	case O_ELISTEN: o->edge_listen = arg; return 0;
	case O_ENAME: o->edge_name = arg; return 0;
	case O_CERTS: *certs = arg; return 0;
	case O_CA: o->ca = arg; return 0;
	case O_ECERT: o->edge_cert = arg; return 0;
	case O_EKEY: o->edge_key = arg; return 0;
	case O_XCERT: o->xmpp_cert = arg; return 0;
	case O_XKEY: o->xmpp_key = arg; return 0;
	case O_GWSECRET: o->gw_secret = arg; return 0;
	case O_OWNSECRET: o->own_secret = arg; return 0;
	case O_XAUTH:
		if (!strcmp(arg, "auto")) o->xmpp_auth = XAUTH_AUTO;
		else if (!strcmp(arg, "external")) o->xmpp_auth = XAUTH_EXTERNAL;
		else if (!strcmp(arg, "dialback")) o->xmpp_auth = XAUTH_DIALBACK;
		else return -1;
		return 0;
	case 'v': o->verbose = 1; return 0;
	}
	return parse_number_opt(c, arg, o);
}

/* --certs DIR: the files named after the edge and the remote domain. */
static int
derive_certs(struct bench_opts *o, const char *certs)
{
	if (certs) {
		if (!o->ca) o->ca = path_join(certs, "ca", ".pem");
		if (!o->edge_cert) o->edge_cert = path_join(certs, o->edge_name, ".pem");
		if (!o->edge_key) o->edge_key = path_join(certs, o->edge_name, ".key");
		if (!o->xmpp_cert) o->xmpp_cert = path_join(certs, o->remote_domain, ".pem");
		if (!o->xmpp_key) o->xmpp_key = path_join(certs, o->remote_domain, ".key");
	}
	if (!o->ca || !o->edge_cert || !o->edge_key || !o->xmpp_cert ||
	    !o->xmpp_key) {
		fprintf(stderr, "fgbench: certificates needed: --certs DIR, or "
		    "--ca, --edge-cert, --edge-key, --xmpp-cert, --xmpp-key\n");
		return -1;
	}
	return 0;
}

/* Returns 0 to run, 1 to exit 0 (help), -1 to exit 2 (usage error). */
static int
parse_args(int argc, char **argv, struct bench_opts *o, enum mode *mode)
{
	const char *certs = NULL;
	int c;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 1;
	}
	if (argc < 2 || parse_mode(argv[1], mode) != 0) {
		usage(stderr);
		return -1;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?' || c == ':') {
			usage(stderr);
			return -1;
		}
		if (parse_opt(c, optarg, o, &certs) != 0) {
			const char *name = "?";
			for (size_t i = 0; long_opts[i].name; i++)
				if (long_opts[i].val == c)
					name = long_opts[i].name;
			fprintf(stderr, "fgbench: bad value '%s' for --%s\n",
			    optarg, name);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (derive_certs(o, certs) != 0)
		return -1;
	if (o->subs == (unsigned)-1)
		o->subs = *mode == M_SUBS ? 10000 : *mode == M_SELFTEST ? 1000 : 0;
	return 0;
}

/* TLS contexts and dialback keys for every role. */
static int
setup_crypto(struct bench *b, enum mode mode)
{
	const struct bench_opts *o = &b->o;
	char err[512];

	if (!(b->sip_cli = btls_ctx_new(BTLS_CLIENT, o->ca, o->edge_cert,
	    o->edge_key, err, sizeof(err))) ||
	    !(b->sip_srv = btls_ctx_new(BTLS_SERVER_REQUIRE, o->ca, o->edge_cert,
	    o->edge_key, err, sizeof(err))) ||
	    !(b->xmpp_cli = btls_ctx_new(BTLS_CLIENT, o->ca, o->xmpp_cert,
	    o->xmpp_key, err, sizeof(err))) ||
	    !(b->xmpp_srv = btls_ctx_new(BTLS_SERVER_OPTIONAL, o->ca,
	    o->xmpp_cert, o->xmpp_key, err, sizeof(err)))) {
		fprintf(stderr, "fgbench: TLS setup: %s\n", err);
		return -1;
	}
	if (o->own_secret ? dbkey_load(&b->own_key, o->own_secret, err,
	    sizeof(err)) : dbkey_random(&b->own_key)) {
		fprintf(stderr, "fgbench: own dialback secret: %s\n", err);
		return -1;
	}
	if (o->gw_secret && dbkey_load(&b->gw_key, o->gw_secret, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fgbench: --dialback-secret: %s\n", err);
		return -1;
	}
	/* alone, the sink checks the keys our own source makes */
	if (mode == M_SELFTEST && !o->gw_secret)
		b->gw_key = b->own_key;
	return 0;
}

/*
 * Listeners and source targets for a run against the gateway. The SIP
 * source connects for sip2xmpp and subs; the XMPP stream to the gateway
 * opens for xmpp2sip, or when a reply of the sink needs it.
 */
static int
setup_gateway(struct bench *b, enum mode mode)
{
	const struct bench_opts *o = &b->o;
	char err[512];

	xmpp_sink_serve(b->xmpp, o->remote_domain);
	if (xmpp_sink_listen(b->xmpp, o->xmpp_listen, NULL, err, sizeof(err)) ||
	    sip_sink_listen(b->sip, o->edge_listen, NULL, err, sizeof(err)) ||
	    xmpp_source_target(b->xmpp, o->gw_xmpp, o->local_domain, err,
	    sizeof(err)) ||
	    ((mode == M_SIP2XMPP || mode == M_SUBS) && sip_source_start(b->sip,
	    o->gw_sip, o->gw_name, o->conns, err, sizeof(err)))) {
		fprintf(stderr, "fgbench: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * Alone: sinks on ephemeral loopback ports, sources pointed at them. The
 * XMPP sink stands in for the gateway (serves the local domain too).
 */
static int
setup_selftest(struct bench *b)
{
	const struct bench_opts *o = &b->o;
	char err[512], addr[64];
	int sport, xport;

	xmpp_sink_serve(b->xmpp, o->remote_domain);
	xmpp_sink_serve(b->xmpp, o->local_domain);
	if (sip_sink_listen(b->sip, "127.0.0.1:0", &sport, err, sizeof(err)) ||
	    xmpp_sink_listen(b->xmpp, "127.0.0.1:0", &xport, err, sizeof(err)))
		goto fail;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", sport);
	if (sip_source_start(b->sip, addr, o->edge_name, o->conns, err,
	    sizeof(err)))
		goto fail;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", xport);
	if (xmpp_source_target(b->xmpp, addr, o->remote_domain, err,
	    sizeof(err)))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "fgbench: %s\n", err);
	return -1;
}

static void
report_problem(struct bench *b, const char *what)
{
	printf("# %s: %s\n", what, b->problem);
	fprintf(stderr, "fgbench: %s: %s\n", what, b->problem);
}

/* One direction: ready, probe, then one run or a search. */
static int
run_direction(struct bench *b, enum bdir d)
{
	struct trial_result r;
	int rc;

	if (runner_ready(b, d, b->o.timeout) != 0 ||
	    runner_probe(b, d, b->o.timeout) != 0) {
		memset(&r, 0, sizeof(r));
		r.dir = d;
		r.offered = b->o.rate;
		r.secs = b->o.secs;
		r.warmup = b->o.warmup;
		snprintf(r.reason, sizeof(r.reason), "%s", b->problem);
		runner_print_trial(b, &r, "", stdout);
		report_problem(b, bdir_name(d));
		return -1;
	}
	if (b->o.search) {
		rc = runner_search(b, d, &r);
		if (rc != 0 && b->problem[0])
			report_problem(b, bdir_name(d));
		runner_print_trial(b, &r, "sustained ", stdout);
		return rc;
	}
	rc = runner_trial(b, d, b->o.rate, b->o.secs, b->o.warmup, &r);
	runner_print_trial(b, &r, "", stdout);
	return rc;
}

static int
run_subs(struct bench *b)
{
	struct subs_result r;
	int rc;

	if (runner_ready(b, BD_SIP2XMPP, b->o.timeout) != 0) {
		report_problem(b, "subs");
		return -1;
	}
	rc = runner_subs(b, b->o.subs, &r);
	runner_print_subs(b, &r, "", stdout);
	return rc;
}

static int
run_mode(struct bench *b, enum mode mode)
{
	int rc = 0;

	switch (mode) {
	case M_SIP2XMPP:
		return run_direction(b, BD_SIP2XMPP);
	case M_XMPP2SIP:
		return run_direction(b, BD_XMPP2SIP);
	case M_SUBS:
		return run_subs(b);
	case M_SERVE:
		printf("# serving for %.0f s\n", b->o.secs);
		fflush(stdout);
		runner_pause(b, b->o.secs);
		if (b->problem[0] && strncmp(b->problem, "stopped by signal", 17))
			report_problem(b, "serve");
		else
			b->problem[0] = '\0';
		sip_side_report(b->sip, stdout);
		xmpp_side_report(b->xmpp, stdout);
		return b->problem[0] ? -1 : 0;
	case M_SELFTEST:
		/* SIP, then subscriptions (SIP too), XMPP last: a failure of
		 * one part cannot spill into the next */
		if (run_direction(b, BD_SELF_SIP) != 0)
			rc = -1;
		b->problem[0] = '\0';
		if (b->o.subs > 0 && run_subs(b) != 0)
			rc = -1;
		b->problem[0] = '\0';
		if (run_direction(b, BD_SELF_XMPP) != 0)
			rc = -1;
		printf("# selftest xmpp source authenticated by %s\n",
		    xmpp_source_auth(b->xmpp));
		return rc;
	}
	return -1;
}

/* SIGINT/SIGTERM end the current wait; what was measured is printed. */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	bench_problem(arg, "stopped by signal %d", (int)sig);
}

int
main(int argc, char **argv)
{
	struct event *sigint, *sigterm;
	struct bench b;
	enum mode mode = M_SELFTEST;
	int rc;

	memset(&b, 0, sizeof(b));
	/* run ids unique across processes: a straggler from an earlier
	 * fgbench that the gateway delivers late is stale, never counted */
	b.run = arc4random() & 0x7fffffff;
	defaults(&b.o);
	rc = parse_args(argc, argv, &b.o, &mode);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	b.base = event_base_new();
	b.sip = sip_side_new(&b);
	b.xmpp = xmpp_side_new(&b);
	if (b.base == NULL || b.sip == NULL || b.xmpp == NULL) {
		fprintf(stderr, "fgbench: out of memory\n");
		return 2;
	}
	sigint = evsignal_new(b.base, SIGINT, on_signal, &b);
	sigterm = evsignal_new(b.base, SIGTERM, on_signal, &b);
	if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) ||
	    evsignal_add(sigterm, NULL)) {
		fprintf(stderr, "fgbench: cannot handle signals\n");
		return 2;
	}
	if (setup_crypto(&b, mode) != 0 || (mode == M_SELFTEST ?
	    setup_selftest(&b) : setup_gateway(&b, mode)) != 0)
		return 2;
	rc = run_mode(&b, mode);
	if (mode != M_SERVE && (b.o.verbose || rc != 0)) {
		sip_side_report(b.sip, stdout);
		xmpp_side_report(b.xmpp, stdout);
	}
	runner_shutdown(&b);
	sip_side_free(b.sip);
	xmpp_side_free(b.xmpp);
	for (int d = 0; d < BD_N; d++)
		tracker_free(&b.trk[d]);
	free(b.sub_st);
	SSL_CTX_free(b.sip_cli);
	SSL_CTX_free(b.sip_srv);
	SSL_CTX_free(b.xmpp_cli);
	SSL_CTX_free(b.xmpp_srv);
	event_free(sigint);
	event_free(sigterm);
	event_base_free(b.base);
	return rc == 0 ? 0 : 1;
}
