/*
 * route: the routing chain of CONFIG.md "Routing order". See route.h for
 * the contract and the decisions (pattern specificity, shuffling, the
 * clearinghouse chain, tls_name).
 *
 * One lookup is one struct route_req, driven by route_fsm() through its
 * states (start, SRV, host, default SRV, resolve, done). It holds a
 * config_ref of the config it began with and the ids of its DNS queries;
 * its destructor cancels those, so a DNS answer never reaches a freed
 * request. Results are delivered from the ready list at the end of the loop
 * turn, never from inside route_lookup().
 */
#include "config.h"
#include "core/route.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD		"route"
#define ID_BUCKETS	128
#define EXPLAIN_MAX_MS	60000	/* --route gives up after this */

enum rq_state {
	RQ_START,		/* static steps, synchronous */
	RQ_SRV,			/* SRV of the domain */
	RQ_HOST,		/* A/AAAA of the domain */
	RQ_DEFAULT_SRV,		/* SRV of the default routing domain */
	RQ_RESOLVE,		/* addresses of the candidates */
	RQ_DONE,		/* on the ready list */
};

enum rq_event { EV_START, EV_DNS };

/* One SRV query of the SRV steps: two on the XMPP side (XEP-0368). */
struct srv_query {
	uint64_t	 id;		/* 0 once answered */
	char		 name[CFG_HOST_MAX + 32];
	unsigned	 tag;		/* ROUTE_F_DIRECT_TLS for _xmpps-server */
	enum dns_status	 status;
	size_t		 n;
	struct dns_srv	*srv;
};

struct route_req {
	uint64_t	 id;
	struct config	*cfg;		/* the config it began with (a ref) */
	char		 asked[CFG_HOST_MAX];
	char		 domain[CFG_HOST_MAX];	/* after alias rewriting */
	const char	*target;	/* domain, or the default routing domain */
	enum route_side	 side;
	unsigned	 flags;
	route_cb	*cb;
	void		*arg;
	enum rq_state	 state;
	int		 clearinghouse;
	struct srv_query q[2];
	size_t		 nq, qpending;
	uint64_t	 host_id;
	uint64_t	*rids;		/* RQ_RESOLVE: a query per candidate */
	size_t		 nrids, rpending;
	int		 rtimeout;
	struct route_candidate *c;
	size_t		 n, cap;
	enum route_status status;
	char		 error[384];
	FILE		*tr;		/* ROUTE_TRACE */
	char		*trace;
	size_t		 tracelen;
	int		 cancelled;
	struct route_req *hnext;	/* id table */
	struct route_req *rnext;	/* ready list */
};

static struct {
	uint64_t	 next_id;
	struct route_req *ids[ID_BUCKETS];
	struct route_req *ready, **ready_tail;
	int		 flush_scheduled;
} R;

static void route_fsm(struct route_req *rq, enum rq_event ev, uint64_t qid,
    const struct dns_result *res);

/* ------------------------------------------------------------------ */
/* Names.                                                             */

const char *
route_step_name(enum route_step step)
{
	switch (step) {
	case ROUTE_STEP_EDGE: return "edge";
	case ROUTE_STEP_STATIC: return "static";
	case ROUTE_STEP_SRV: return "srv";
	case ROUTE_STEP_HOST: return "host";
	case ROUTE_STEP_DEFAULT_STATIC: return "default-static";
	case ROUTE_STEP_DEFAULT_SRV: return "default-srv";
	}
	return "?";
}

const char *
route_status_name(enum route_status st)
{
	switch (st) {
	case ROUTE_OK: return "ok";
	case ROUTE_NOT_FOUND: return "not-found";
	case ROUTE_NO_SERVICE: return "no-service";
	case ROUTE_TIMEOUT: return "timeout";
	case ROUTE_ERROR: return "error";
	}
	return "?";
}

static const char *
rq_state_name(enum rq_state st)
{
	static const char *const names[] = { "start", "srv", "host",
	    "default-srv", "resolve", "done" };

	return names[st];
}

/* Explanations name files as the admin knows them: "routes.conf:3". */
static const char *
file_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

static const char *
side_name(enum route_side side)
{
	return side == ROUTE_SIDE_SIP ? "sip" : "xmpp";
}

static void
rq_enter_state(struct route_req *rq, enum rq_state st)
{
	log_debug(LOG_MOD, "lookup id=%llu domain=%s side=%s state %s -> %s",
	    (unsigned long long)rq->id, rq->domain, side_name(rq->side),
	    rq_state_name(rq->state), rq_state_name(st));
	rq->state = st;
}

/* One line of the explanation (ROUTE_TRACE), also logged at debug. */
static void
rq_trace(struct route_req *rq, const char *step, const char *fmt, ...)
    FG_PRINTF(3, 4);

static void
rq_trace(struct route_req *rq, const char *step, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug(LOG_MOD, "lookup id=%llu step %s: %s",
	    (unsigned long long)rq->id, step, line);
	if (rq->tr)
		fprintf(rq->tr, "step %s: %s\n", step, line);
}

/* ------------------------------------------------------------------ */
/* Request table, ready list, destructor.                             */

static struct route_req **
rq_slot(uint64_t id)
{
	struct route_req **pp = &R.ids[id % ID_BUCKETS];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->hnext;
	return pp;
}

static void
rq_unlink(struct route_req *rq)
{
	struct route_req **pp = rq_slot(rq->id);

	if (*pp == rq)
		*pp = rq->hnext;
	rq->hnext = NULL;
}

/* Stop every DNS query still running for rq: none may call back. */
static void
rq_cancel_dns(struct route_req *rq)
{
	for (size_t i = 0; i < rq->nq; i++) {
		dns_cancel(rq->q[i].id);
		rq->q[i].id = 0;
	}
	rq->qpending = 0;
	dns_cancel(rq->host_id);
	rq->host_id = 0;
	for (size_t i = 0; i < rq->nrids; i++) {
		dns_cancel(rq->rids[i]);
		rq->rids[i] = 0;
	}
	rq->rpending = 0;
}

/* The one destructor. */
static void
rq_free(struct route_req *rq)
{
	rq_cancel_dns(rq);
	for (size_t i = 0; i < rq->nq; i++)
		free(rq->q[i].srv);
	if (rq->tr)
		fclose(rq->tr);
	free(rq->trace);
	free(rq->rids);
	free(rq->c);
	config_unref(rq->cfg);
	free(rq);
}

static void
route_flush_ready(void *arg)
{
	struct route_req *list = R.ready, *rq;

	R.ready = NULL;
	R.flush_scheduled = 0;
	while ((rq = list) != NULL) {
		list = rq->rnext;
		if (!rq->cancelled) {
			struct route_result res = {
				.status = rq->status,
				.domain = rq->domain,
				.error = rq->status == ROUTE_OK ? NULL : rq->error,
				.n = rq->n,
				.c = rq->c,
			};
			rq_unlink(rq);
			if (rq->tr) {
				fclose(rq->tr);	/* flushes into rq->trace */
				rq->tr = NULL;
				res.trace = rq->trace;
			}
			rq->cb(rq->id, &res, rq->arg);
		}
		rq_free(rq);
	}
}

/* The lookup is over: status and reason; delivered at end of turn. */
static void
rq_finish(struct route_req *rq, enum route_status st, const char *fmt, ...)
    FG_PRINTF(3, 4);

static void
rq_finish(struct route_req *rq, enum route_status st, const char *fmt, ...)
{
	va_list ap;

	rq_cancel_dns(rq);
	rq->status = st;
	rq->error[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(rq->error, sizeof(rq->error), fmt, ap);
		va_end(ap);
	}
	if (st != ROUTE_OK)
		rq->n = 0;
	log_debug(LOG_MOD, "lookup id=%llu domain=%s side=%s status=%s "
	    "candidates=%zu%s%s", (unsigned long long)rq->id, rq->domain,
	    side_name(rq->side), route_status_name(st), rq->n,
	    rq->error[0] ? " reason=" : "", rq->error);
	rq_enter_state(rq, RQ_DONE);
	rq->rnext = NULL;
	if (R.ready == NULL)
		R.ready_tail = &R.ready;
	*R.ready_tail = rq;
	R.ready_tail = &rq->rnext;
	if (!R.flush_scheduled && loop_call_later(route_flush_ready, NULL) == 0)
		R.flush_scheduled = 1;
}

/* ------------------------------------------------------------------ */
/* Candidates.                                                        */

static struct route_candidate *
cand_add(struct route_req *rq, const char *host, uint16_t port,
    const char *tls_name, enum route_step step, unsigned flags)
{
	struct route_candidate *c;

	if (rq->n == ROUTE_MAX_CANDIDATES)
		return NULL;
	if (rq->n == rq->cap) {
		size_t cap = rq->cap ? rq->cap * 2 : 4;
		c = realloc(rq->c, cap * sizeof(*c));
		if (c == NULL)
			fatalx(LOG_MOD, "out of memory");
		rq->c = c;
		rq->cap = cap;
	}
	c = &rq->c[rq->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	snprintf(c->tls_name, sizeof(c->tls_name), "%s", tls_name);
	c->step = step;
	c->flags = flags;
	return c;
}

/* Append addresses from a DNS answer to c, with c's port. */
static void
cand_set_addrs(struct route_candidate *c, const struct sockaddr_storage *a,
    size_t n)
{
	for (size_t i = 0; i < n && c->naddrs < ROUTE_MAX_ADDRS; i++) {
		struct sockaddr_storage *s = &c->addrs[c->naddrs++];
		*s = a[i];
		if (s->ss_family == AF_INET)
			((struct sockaddr_in *)s)->sin_port = htons(c->port);
		else if (s->ss_family == AF_INET6)
			((struct sockaddr_in6 *)s)->sin6_port = htons(c->port);
	}
}

/* An IP literal needs no DNS. Returns 1 when host was one. */
static int
cand_literal(struct route_candidate *c)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, c->host, &((struct sockaddr_in *)&ss)->sin_addr)
	    == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, c->host,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return 0;
	cand_set_addrs(c, &ss, 1);
	return 1;
}

static void
addr_text(const struct sockaddr_storage *s, char *buf, size_t len)
{
	const void *a = s->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)s)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)s)->sin6_addr;

	if (inet_ntop(s->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static void
addrs_text(const struct route_candidate *c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->naddrs && off + 2 < len; i++) {
		char a[INET6_ADDRSTRLEN];
		addr_text(&c->addrs[i], a, sizeof(a));
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? "," : "", a);
	}
}

/* ------------------------------------------------------------------ */
/* Static routes.                                                     */

/* ".com.domaina.sales" for "sales.domaina.com"; labels counted. */
static int
reverse_domain(const char *domain, char *out, size_t len)
{
	const char *end = domain + strlen(domain);
	size_t off = 0;
	int labels = 0;

	out[0] = '\0';
	while (end > domain) {
		const char *start = end;
		while (start > domain && start[-1] != '.')
			start--;
		if (off + 1 + (size_t)(end - start) + 1 > len)
			return -1;
		out[off++] = '.';
		for (const char *p = start; p < end; p++)
			out[off++] = (char)tolower((unsigned char)*p);
		out[off] = '\0';
		labels++;
		end = start > domain ? start - 1 : domain;
	}
	return labels;
}

static int
pattern_labels(const char *p, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] == '.';
	return n;
}

int
route_sip_pattern_match(const char *pattern, const char *domain)
{
	char rev[CFG_HOST_MAX + 2];
	size_t plen = strlen(pattern);
	int labels = reverse_domain(domain, rev, sizeof(rev));

	if (labels <= 0)
		return -1;
	if (!strcmp(pattern, ".*"))
		return 0;
	if (plen > 2 && !strcmp(pattern + plen - 2, ".*")) {
		size_t pre = plen - 2;
		if (strncasecmp(rev, pattern, pre) != 0 ||
		    (rev[pre] != '\0' && rev[pre] != '.'))
			return -1;
		return 2 * pattern_labels(pattern, pre);
	}
	if (strcasecmp(rev, pattern) != 0)
		return -1;
	return 2 * pattern_labels(pattern, plen) + 1;
}

/*
 * SIP: the routes with the most specific pattern covering domain (several
 * lines with that pattern = equal candidates, in file order).
 */
static size_t
static_sip(struct route_req *rq, const char *domain, enum route_step step)
{
	const struct config *cfg = rq->cfg;
	int best = -1;
	size_t added = 0;

	for (size_t i = 0; i < cfg->nsip_routes; i++) {
		int s = route_sip_pattern_match(cfg->sip_routes[i].pattern, domain);
		if (s > best)
			best = s;
	}
	if (best < 0)
		return 0;
	for (size_t i = 0; i < cfg->nsip_routes; i++) {
		const struct cfg_sip_route *r = &cfg->sip_routes[i];
		if (route_sip_pattern_match(r->pattern, domain) != best)
			continue;
		if (cand_add(rq, r->next_hop.host, r->next_hop.port,
		    r->next_hop.host, step, r->proto == ROUTE_PROTO_TCP ?
		    ROUTE_F_NO_TLS : 0) == NULL)
			break;
		rq_trace(rq, route_step_name(step), "%s:%d: sip %s -> %s:%u %s",
		    file_name(r->file), r->line, r->pattern, r->next_hop.host,
		    r->next_hop.port, r->proto == ROUTE_PROTO_TCP ? "tcp" : "tls");
		added++;
	}
	return added;
}

/* XMPP: every address of domain, shuffled (equal priority). */
static size_t
static_xmpp(struct route_req *rq, const char *domain, enum route_step step)
{
	const struct config *cfg = rq->cfg;
	size_t first = rq->n, added = 0;

	for (size_t i = 0; i < cfg->nxmpp_routes; i++) {
		const struct cfg_xmpp_route *r = &cfg->xmpp_routes[i];
		if (strcasecmp(r->domain, domain) != 0)
			continue;
		if (cand_add(rq, r->addr.host, r->addr.port, domain, step, 0)
		    == NULL)
			break;
		rq_trace(rq, route_step_name(step), "%s:%d: xmpp %s -> %s:%u",
		    file_name(r->file), r->line, r->domain, r->addr.host, r->addr.port);
		added++;
	}
	for (size_t i = added; i > 1; i--) {
		size_t j = dns_random() % i;
		struct route_candidate t = rq->c[first + i - 1];
		rq->c[first + i - 1] = rq->c[first + j];
		rq->c[first + j] = t;
	}
	if (added > 1)
		rq_trace(rq, route_step_name(step), "%zu addresses of equal "
		    "priority, shuffled", added);
	return added;
}

static size_t
static_routes(struct route_req *rq, const char *domain, enum route_step step)
{
	size_t n = rq->side == ROUTE_SIDE_SIP ? static_sip(rq, domain, step) :
	    static_xmpp(rq, domain, step);

	if (n == 0)
		rq_trace(rq, route_step_name(step), "no %s route for %s",
		    side_name(rq->side), domain);
	return n;
}

/* ------------------------------------------------------------------ */
/* Steps.                                                             */

static void route_dns_answer(uint64_t qid, const struct dns_result *res,
    void *arg);
static void resolve_done(struct route_req *rq);

/* Candidates are known: resolve them if asked, else done. */
static void
route_found(struct route_req *rq)
{
	size_t need = 0;

	if ((rq->flags & ROUTE_RESOLVE) && rq->rids == NULL) {
		rq->nrids = rq->n;
		rq->rids = calloc(rq->nrids, sizeof(*rq->rids));
		if (rq->rids == NULL)
			fatalx(LOG_MOD, "out of memory");
		for (size_t i = 0; i < rq->nrids; i++) {
			if (rq->c[i].naddrs > 0 || cand_literal(&rq->c[i]))
				continue;
			/* a host named twice (SRV for both services) once */
			for (size_t j = 0; j < i && rq->rids[i] == 0; j++)
				if (!strcmp(rq->c[j].host, rq->c[i].host))
					rq->rids[i] = rq->rids[j];
			if (rq->rids[i] != 0)
				continue;
			rq->rids[i] = dns_query_addr(rq->c[i].host,
			    route_dns_answer, rq);
			if (rq->rids[i] != 0)
				need++;
		}
	}
	rq->rpending = need;
	rq_enter_state(rq, RQ_RESOLVE);
	if (need == 0)
		resolve_done(rq);
}

/* Start the SRV queries of target (the domain or the default one). */
static void
srv_start(struct route_req *rq, const char *target, enum rq_state st)
{
	static const struct { const char *svc; unsigned tag; } xmpp[] = {
		{ "_xmpps-server._tcp.", ROUTE_F_DIRECT_TLS },
		{ "_xmpp-server._tcp.", 0 },
	};

	for (size_t i = 0; i < rq->nq; i++)
		free(rq->q[i].srv);
	memset(rq->q, 0, sizeof(rq->q));
	rq->target = target;
	if (rq->side == ROUTE_SIDE_SIP) {
		snprintf(rq->q[0].name, sizeof(rq->q[0].name),
		    "_sipfederationtls._tcp.%s", target);
		rq->nq = 1;
	} else {
		for (size_t i = 0; i < 2; i++) {
			snprintf(rq->q[i].name, sizeof(rq->q[i].name), "%s%s",
			    xmpp[i].svc, target);
			rq->q[i].tag = xmpp[i].tag;
		}
		rq->nq = 2;
	}
	rq_enter_state(rq, st);
	rq->qpending = rq->nq;
	for (size_t i = 0; i < rq->nq; i++) {
		rq->q[i].id = dns_query_srv(rq->q[i].name, route_dns_answer, rq);
		if (rq->q[i].id == 0) {
			rq_finish(rq, ROUTE_ERROR, "the resolver is not running");
			return;
		}
	}
}

/* Store one SRV answer; 1 when it was one of ours. */
static int
srv_store(struct route_req *rq, uint64_t qid, const struct dns_result *res)
{
	for (size_t i = 0; i < rq->nq; i++) {
		struct srv_query *q = &rq->q[i];
		if (q->id != qid || qid == 0)
			continue;
		q->id = 0;
		q->status = res->status;
		if (res->status == DNS_OK && res->nsrv > 0) {
			q->srv = malloc(res->nsrv * sizeof(*q->srv));
			if (q->srv == NULL)
				fatalx(LOG_MOD, "out of memory");
			memcpy(q->srv, res->srv, res->nsrv * sizeof(*q->srv));
			q->n = res->nsrv;
		}
		if (res->status == DNS_OK)
			rq_trace(rq, rq->state == RQ_SRV ? "srv" : "default-srv",
			    "%s: %zu record%s%s", q->name, q->n,
			    q->n == 1 ? "" : "s", res->cached ? " (cached)" : "");
		else
			rq_trace(rq, rq->state == RQ_SRV ? "srv" : "default-srv",
			    "%s: %s (%s)", q->name, dns_status_name(res->status),
			    res->error ? res->error : "");
		rq->qpending--;
		return 1;
	}
	return 0;
}

/* Turn the answered SRV records into candidates (XEP-0368 merge). */
static size_t
srv_candidates(struct route_req *rq)
{
	struct dns_srv all[2 * DNS_MAX_RECORDS];
	size_t n = 0, added = 0;
	enum route_step step = rq->state == RQ_SRV ? ROUTE_STEP_SRV :
	    ROUTE_STEP_DEFAULT_SRV;

	for (size_t i = 0; i < rq->nq; i++)
		for (size_t j = 0; j < rq->q[i].n && n < 2 * DNS_MAX_RECORDS; j++) {
			all[n] = rq->q[i].srv[j];
			all[n++].tag = rq->q[i].tag;
		}
	dns_srv_order(all, n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		const char *tls = rq->side == ROUTE_SIDE_XMPP ? rq->target :
		    all[i].target;
		if (cand_add(rq, all[i].target, all[i].port, tls, step,
		    all[i].tag) == NULL)
			break;
		added++;
	}
	return added;
}

static int
srv_any(const struct route_req *rq, enum dns_status st)
{
	for (size_t i = 0; i < rq->nq; i++)
		if (rq->q[i].status == st)
			return 1;
	return 0;
}

static void host_start(struct route_req *rq);
static void default_chain(struct route_req *rq);

/* Every SRV query of the step has answered: decide the next step. */
static void
srv_done(struct route_req *rq)
{
	/* the service proper: _sipfederationtls or _xmpp-server */
	const struct srv_query *svc = &rq->q[rq->nq - 1];
	int is_default = rq->state == RQ_DEFAULT_SRV;

	if (srv_candidates(rq) > 0) {
		route_found(rq);
		return;
	}
	if (srv_any(rq, DNS_TIMEOUT)) {
		rq_finish(rq, ROUTE_TIMEOUT, "DNS did not answer the SRV query "
		    "for %s in time", rq->target);
		return;
	}
	if (srv_any(rq, DNS_ERROR)) {
		rq_finish(rq, ROUTE_ERROR, "DNS failed on the SRV query for %s",
		    rq->target);
		return;
	}
	if (svc->status == DNS_NO_SERVICE) {
		rq_finish(rq, ROUTE_NO_SERVICE, "%s has SRV target \".\": %s "
		    "offers no %s federation service", svc->name, rq->target,
		    side_name(rq->side));
		return;
	}
	if (is_default) {
		rq_finish(rq, ROUTE_NOT_FOUND, "no route: the default routing "
		    "domain %s has no static route and no SRV record",
		    rq->target);
		return;
	}
	if (rq->clearinghouse) {
		rq_trace(rq, "host", "skipped: %s is type=clearinghouse (its "
		    "A/AAAA records are not a federation server)", rq->domain);
		default_chain(rq);
		return;
	}
	if (rq->nq == 2 && rq->q[0].status == DNS_NO_SERVICE) {
		rq_trace(rq, "host", "skipped: %s says \".\" (no direct TLS) and "
		    "has no %s record: no A/AAAA fallback (XEP-0368)",
		    rq->q[0].name, svc->name);
		rq_finish(rq, ROUTE_NOT_FOUND, "%s has no %s record (and no "
		    "direct TLS service); no A/AAAA fallback per XEP-0368",
		    rq->domain, svc->name);
		return;
	}
	host_start(rq);
}

/* The domain's own A/AAAA, on the side's standard port. */
static void
host_start(struct route_req *rq)
{
	rq_enter_state(rq, RQ_HOST);
	rq->host_id = dns_query_addr(rq->domain, route_dns_answer, rq);
	if (rq->host_id == 0)
		rq_finish(rq, ROUTE_ERROR, "the resolver is not running");
}

static void
host_done(struct route_req *rq, uint64_t qid, const struct dns_result *res)
{
	uint16_t port = rq->side == ROUTE_SIDE_SIP ? 5061 : 5269;
	struct route_candidate *c;
	char a[512];

	if (qid != rq->host_id || qid == 0)
		return;
	rq->host_id = 0;
	if (res->status != DNS_OK) {
		rq_trace(rq, "host", "%s: %s (%s)", rq->domain,
		    dns_status_name(res->status), res->error ? res->error : "");
		rq_finish(rq, res->status == DNS_TIMEOUT ? ROUTE_TIMEOUT :
		    res->status == DNS_ERROR ? ROUTE_ERROR : ROUTE_NOT_FOUND,
		    "%s has no SRV record and %s", rq->domain,
		    res->status == DNS_NOT_FOUND ? "no A/AAAA record" :
		    res->error ? res->error : "no address");
		return;
	}
	c = cand_add(rq, rq->domain, port, rq->domain, ROUTE_STEP_HOST, 0);
	cand_set_addrs(c, res->addr, res->naddr);
	addrs_text(c, a, sizeof(a));
	rq_trace(rq, "host", "%s: %s port %u%s", rq->domain, a, port,
	    res->cached ? " (cached)" : "");
	route_found(rq);
}

/* Clearinghouse: the default routing domain's static route, then SRV. */
static void
default_chain(struct route_req *rq)
{
	const char *drd = rq->cfg->default_routing_domain;

	if (drd == NULL || drd[0] == '\0') {
		rq_finish(rq, ROUTE_NOT_FOUND, "%s is type=clearinghouse but "
		    "[federation] default_routing_domain is empty", rq->domain);
		return;
	}
	if (strcasecmp(drd, rq->domain) == 0) {
		rq_finish(rq, ROUTE_NOT_FOUND, "%s is the default routing domain "
		    "itself and has no static route and no SRV record",
		    rq->domain);
		return;
	}
	rq_trace(rq, "default-static", "default routing domain %s", drd);
	rq->target = drd;
	if (static_routes(rq, drd, ROUTE_STEP_DEFAULT_STATIC) > 0) {
		route_found(rq);
		return;
	}
	srv_start(rq, drd, RQ_DEFAULT_SRV);
}

/* Our own domains: the edge on the SIP side, never DNS. 1 = handled. */
static int
route_own_domain(struct route_req *rq, const struct cfg_domain *dom)
{
	if (dom == NULL || dom->kind == DOMAIN_REMOTE || dom->kind == DOMAIN_ALIAS)
		return 0;
	if (rq->side == ROUTE_SIDE_SIP && dom->kind == DOMAIN_LOCAL &&
	    dom->edge.host[0]) {
		cand_add(rq, dom->edge.host, dom->edge.port, dom->edge.host,
		    ROUTE_STEP_EDGE, rq->cfg->sip_transport == SIP_TRANSPORT_TCP ?
		    ROUTE_F_NO_TLS : 0);
		rq_trace(rq, "edge", "%s:%d: local %s edge=%s:%u", file_name(dom->file),
		    dom->line, dom->name, dom->edge.host, dom->edge.port);
		route_found(rq);
		return 1;
	}
	if (static_routes(rq, rq->domain, ROUTE_STEP_STATIC) > 0) {
		route_found(rq);
		return 1;
	}
	rq_finish(rq, ROUTE_ERROR, "%s is one of our own domains (%s:%d) and "
	    "no %s route covers it: it is served here, not routed",
	    rq->domain, file_name(dom->file), dom->line, side_name(rq->side));
	return 1;
}

/* RQ_START: everything that needs no DNS, then the first query. */
static void
route_begin(struct route_req *rq)
{
	const struct cfg_domain *dom = config_domain_find(rq->cfg, rq->domain);

	if (route_own_domain(rq, dom))
		return;
	rq->clearinghouse = dom && dom->kind == DOMAIN_REMOTE &&
	    dom->type == REMOTE_CLEARINGHOUSE;
	if (static_routes(rq, rq->domain, ROUTE_STEP_STATIC) > 0) {
		rq_trace(rq, "static", "a domain with a static route never "
		    "falls back to DNS");
		route_found(rq);
		return;
	}
	srv_start(rq, rq->domain, RQ_SRV);
}

/* RQ_RESOLVE: one host's addresses, for every candidate naming it. */
static void
resolve_store(struct route_req *rq, uint64_t qid, const struct dns_result *res)
{
	int seen = 0;
	char a[512];

	for (size_t i = 0; qid && i < rq->nrids; i++) {
		struct route_candidate *c = &rq->c[i];
		if (rq->rids[i] != qid)
			continue;
		rq->rids[i] = 0;
		if (res->status == DNS_OK)
			cand_set_addrs(c, res->addr, res->naddr);
		if (seen++)
			continue;
		rq->rpending--;
		if (res->status == DNS_OK) {
			addrs_text(c, a, sizeof(a));
			rq_trace(rq, "resolve", "%s: %s%s", c->host, a,
			    res->cached ? " (cached)" : "");
		} else {
			rq_trace(rq, "resolve", "%s: %s (%s): candidate dropped",
			    c->host, dns_status_name(res->status),
			    res->error ? res->error : "");
			if (res->status == DNS_TIMEOUT)
				rq->rtimeout = 1;
		}
	}
}

/* Every candidate host is resolved: keep those with addresses. */
static void
resolve_done(struct route_req *rq)
{
	size_t k = 0;

	for (size_t i = 0; i < rq->n; i++)
		if (rq->c[i].naddrs > 0 || !(rq->flags & ROUTE_RESOLVE))
			rq->c[k++] = rq->c[i];
	rq->n = k;
	if (k == 0) {
		rq_finish(rq, rq->rtimeout ? ROUTE_TIMEOUT : ROUTE_NOT_FOUND,
		    "no candidate host of %s has an address", rq->domain);
		return;
	}
	rq_finish(rq, ROUTE_OK, NULL);
}

/* The state x event function: every DNS answer comes through here. */
static void
route_fsm(struct route_req *rq, enum rq_event ev, uint64_t qid,
    const struct dns_result *res)
{
	switch (rq->state) {
	case RQ_START:
		if (ev == EV_START)
			route_begin(rq);
		break;
	case RQ_SRV:
	case RQ_DEFAULT_SRV:
		if (ev == EV_DNS && res && srv_store(rq, qid, res) &&
		    rq->qpending == 0)
			srv_done(rq);
		break;
	case RQ_HOST:
		if (ev == EV_DNS && res)
			host_done(rq, qid, res);
		break;
	case RQ_RESOLVE:
		if (ev == EV_DNS && res)
			resolve_store(rq, qid, res);
		if (rq->rpending == 0)
			resolve_done(rq);
		break;
	case RQ_DONE:
		break;
	}
}

static void
route_dns_answer(uint64_t qid, const struct dns_result *res, void *arg)
{
	route_fsm(arg, EV_DNS, qid, res);
}

/* ------------------------------------------------------------------ */
/* API.                                                               */

/* Lower case, no trailing dot; aliases rewritten (traced). */
static void
rq_set_domain(struct route_req *rq, const char *domain)
{
	const struct cfg_domain *a;
	size_t i;

	for (i = 0; domain[i] && i < sizeof(rq->asked) - 1; i++)
		rq->asked[i] = (char)tolower((unsigned char)domain[i]);
	rq->asked[i] = '\0';
	if (i > 1 && rq->asked[i - 1] == '.')
		rq->asked[i - 1] = '\0';
	snprintf(rq->domain, sizeof(rq->domain), "%s", rq->asked);
	if (rq->cfg == NULL)
		return;
	a = config_domain_find(rq->cfg, rq->asked);
	if (a && a->kind == DOMAIN_ALIAS) {
		snprintf(rq->domain, sizeof(rq->domain), "%s", a->target);
		rq_trace(rq, "alias", "%s:%d: %s -> %s", file_name(a->file), a->line,
		    rq->asked, a->target);
	} else
		rq_trace(rq, "alias", "none");
}

uint64_t
route_lookup(const char *domain, enum route_side side, unsigned flags,
    route_cb *cb, void *arg)
{
	struct route_req *rq = calloc(1, sizeof(*rq));

	if (rq == NULL)
		fatalx(LOG_MOD, "out of memory");
	rq->id = ++R.next_id;
	rq->side = side;
	rq->flags = flags;
	rq->cb = cb;
	rq->arg = arg;
	rq->cfg = config_ref(config_current());
	if ((flags & ROUTE_TRACE) &&
	    (rq->tr = open_memstream(&rq->trace, &rq->tracelen)) == NULL)
		fatalx(LOG_MOD, "out of memory");
	rq->hnext = R.ids[rq->id % ID_BUCKETS];
	R.ids[rq->id % ID_BUCKETS] = rq;
	rq_set_domain(rq, domain ? domain : "");
	rq->target = rq->domain;
	if (rq->cfg == NULL)
		rq_finish(rq, ROUTE_ERROR, "no configuration loaded");
	else if (!config_valid_domain(rq->domain))
		rq_finish(rq, ROUTE_ERROR, "'%s' is not a valid domain name",
		    rq->domain);
	else
		route_fsm(rq, EV_START, 0, NULL);
	return rq->id;
}

void
route_cancel(uint64_t id)
{
	struct route_req *rq;

	if (id == 0 || (rq = *rq_slot(id)) == NULL)
		return;
	rq_unlink(rq);
	if (rq->state == RQ_DONE)
		rq->cancelled = 1;	/* on the ready list: freed there */
	else
		rq_free(rq);
}

enum route_side
route_default_side(const struct config *cfg, const char *domain)
{
	const struct cfg_domain *d = cfg ? config_domain_find(cfg, domain) : NULL;

	if (d && d->kind == DOMAIN_ALIAS)
		d = config_domain_find(cfg, d->target);
	if (d && (d->kind == DOMAIN_LOCAL || d->kind == DOMAIN_EMAIL ||
	    (d->kind == DOMAIN_REMOTE && d->type == REMOTE_SIP)))
		return ROUTE_SIDE_SIP;
	return ROUTE_SIDE_XMPP;
}

/* ------------------------------------------------------------------ */
/* fedgated --route                                                   */

struct explain {
	FILE	*out;
	int	 done;
	int	 rc;
	struct loop_timer *t;
};

static void
explain_flags(unsigned f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", f & ROUTE_F_DIRECT_TLS ? "direct-tls" : "",
	    (f & ROUTE_F_DIRECT_TLS) && (f & ROUTE_F_NO_TLS) ? "," : "",
	    f & ROUTE_F_NO_TLS ? "no-tls" : "");
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

static void
explain_done(uint64_t id, const struct route_result *res, void *arg)
{
	struct explain *ex = arg;
	char flags[32], addrs[1024];

	if (res->trace)
		fputs(res->trace, ex->out);
	if (res->status == ROUTE_OK)
		fprintf(ex->out, "result: ok, %zu candidate%s\n", res->n,
		    res->n == 1 ? "" : "s");
	else
		fprintf(ex->out, "result: %s: %s\n",
		    route_status_name(res->status), res->error);
	for (size_t i = 0; i < res->n; i++) {
		const struct route_candidate *c = &res->c[i];
		explain_flags(c->flags, flags, sizeof(flags));
		addrs_text(c, addrs, sizeof(addrs));
		fprintf(ex->out, "candidate %zu: host=%s port=%u tls_name=%s "
		    "step=%s flags=%s addrs=%s\n", i + 1, c->host, c->port,
		    c->tls_name, route_step_name(c->step), flags,
		    addrs[0] ? addrs : "-");
	}
	ex->done = 1;
	ex->rc = res->status == ROUTE_OK ? 0 : 1;
	/*
	 * Results arrive at the end of a loop turn, after which the loop
	 * would wait up to its poll interval before seeing loop_stop():
	 * stop from a timer due now instead, which ends this very turn.
	 */
	loop_timer_set(ex->t, 0);
}

static void
explain_timeout(void *arg)
{
	loop_stop();
}

static void
explain_policy(const struct config *cfg, const char *domain, FILE *out)
{
	static const struct { enum policy_dir dir; const char *name; } dirs[] = {
		{ POLICY_DIR_INBOUND, "inbound" },
		{ POLICY_DIR_OUTBOUND, "outbound" },
	};
	struct policy_decision d;

	for (size_t i = 0; i < 2; i++) {
		policy_check(cfg, domain, dirs[i].dir, &d);
		fprintf(out, "policy %s: %s (%s)\n", dirs[i].name,
		    d.allowed ? "allowed" : "denied", d.rule);
	}
}

int
route_explain(const char *domain, enum route_side side, FILE *out)
{
	struct explain ex = { out, 0, 1, NULL };
	uint64_t id;

	fprintf(out, "route %s side=%s\n", domain, side_name(side));
	if (config_current() == NULL) {
		fprintf(out, "result: error: no configuration loaded\n");
		return 1;
	}
	explain_policy(config_current(), domain, out);
	ex.t = loop_timer_new(explain_timeout, NULL);
	if (ex.t == NULL)
		fatalx(LOG_MOD, "out of memory");
	loop_timer_set(ex.t, EXPLAIN_MAX_MS);
	id = route_lookup(domain, side, ROUTE_RESOLVE | ROUTE_TRACE,
	    explain_done, &ex);
	loop_run();
	loop_timer_free(ex.t);
	if (!ex.done) {
		route_cancel(id);
		fprintf(out, "result: timeout: gave up after %d s\n",
		    EXPLAIN_MAX_MS / 1000);
	}
	fflush(out);
	return ex.rc;
}
