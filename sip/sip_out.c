/*
 * sip_out: see sip_out.h.
 *
 * Life of a request: built at once (the caller's strings may go away),
 * routed, handed to nta (OUT_SENT), then answered (or failed) and freed.
 * While its connection is not yet up the request is on the watch list: a
 * 100 ms timer looks at the transport, and a connection that closed before
 * it was established (refused TLS, wrong name, no route) fails the request
 * at once with the reason the TLS tap recorded. Sofia alone would say 408
 * after 32 seconds.
 */
#include "config.h"

#include "sip/sip_core.h"
#include "sip/sip_edge.h"
#include "sip/sip_out.h"
#include "sip/sip_tls.h"

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/tport.h>

#define WATCH_MS	100

enum out_state {
	OUT_SENT,	/* nta has it; waiting for the final response */
	OUT_FAILING,	/* a local failure, reported at the end of the turn */
};

struct sip_out {
	uint64_t	 id;
	enum out_state	 state;
	msg_t		*msg;		/* the request until handed to nta */
	nta_outgoing_t	*orq;
	tport_t		*tp;		/* while watched: its transport (a ref) */
	int		 watched;
	int		 connected;	/* tp was seen established */
	sip_out_fn	*fn;
	void		*arg;
	char		 method[24];
	tport_t		*reuse;		/* the dialog's connection (a ref) */
	char		 hop[300];
	char		 failure[320];
	struct sip_out	*next;
};

static struct {
	struct sip_out	 *head;
	size_t		  n;
	struct loop_timer *watch;
	size_t		  nwatched;
} O;

static void out_watch_tick(void *arg);

/* ---- routing (the one place to switch to route_lookup) ------------ */

/* "a.b.c" -> ".c.b.a", the form of Cisco-style reversed patterns. */
static void
domain_reversed(const char *d, char *buf, size_t len)
{
	size_t n = 0, dl = strlen(d);
	const char *end = d + dl;

	buf[0] = '\0';
	while (end > d && n + 2 < len) {
		const char *dot = end;
		while (dot > d && dot[-1] != '.')
			dot--;
		size_t l = (size_t)(end - dot);
		if (n + 1 + l >= len)
			break;
		buf[n++] = '.';
		memcpy(buf + n, dot, l);
		n += l;
		end = dot > d ? dot - 1 : d;
	}
	buf[n] = '\0';
}

static int
sip_pattern_match(const char *pattern, const char *domain)
{
	char rev[CFG_HOST_MAX + 2];
	size_t pl = strlen(pattern);

	if (pl >= 2 && strcmp(pattern + pl - 2, ".*") == 0)
		pl -= 2;
	domain_reversed(domain, rev, sizeof(rev));
	return strncasecmp(rev, pattern, pl) == 0 &&
	    (rev[pl] == '\0' || rev[pl] == '.');
}

static void
hop_url(const struct hostport *hp, int tls, char *url, size_t len)
{
	snprintf(url, len, "sip:%s%s%s:%u;transport=%s",
	    hp->is_ipv6 ? "[" : "", hp->host, hp->is_ipv6 ? "]" : "",
	    hp->port ? hp->port : 5061, tls ? "tls" : "tcp");
}

/*
 * Stand-in until core/route.c lands: the local domain's edge=, else a SIP
 * static route. Becomes route_lookup(domain, ROUTE_SIDE_SIP, 0, ...).
 */
int
sip_route_hop(const char *domain, char *url, size_t len, char *why,
    size_t whylen)
{
	const struct config *cfg = sip_cfg();
	const struct cfg_domain *d = config_domain_find(cfg, domain);
	int tls = cfg->sip_transport == SIP_TRANSPORT_TLS;

	if (d == NULL || (d->kind != DOMAIN_LOCAL && d->kind != DOMAIN_EMAIL)) {
		snprintf(why, whylen, "%s is not a local SIP domain", domain);
		return -1;
	}
	if (d->edge.host[0]) {
		hop_url(&d->edge, tls, url, len);
		return 0;
	}
	for (size_t i = 0; i < cfg->nsip_routes; i++) {
		const struct cfg_sip_route *r = &cfg->sip_routes[i];
		if (sip_pattern_match(r->pattern, domain)) {
			hop_url(&r->next_hop, tls && r->proto == ROUTE_PROTO_TLS,
			    url, len);
			return 0;
		}
	}
	snprintf(why, whylen, "no next hop for %s (no edge= and no sip route)",
	    domain);
	return -1;
}

/* ---- life cycle ---------------------------------------------------- */

static void
out_unwatch(struct sip_out *o)
{
	if (!o->watched)
		return;
	o->watched = 0;
	O.nwatched--;
	if (o->tp)
		tport_unref(o->tp);
	o->tp = NULL;
}

static void
out_free(struct sip_out *o)
{
	for (struct sip_out **pp = &O.head; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			O.n--;
			break;
		}
	}
	out_unwatch(o);
	if (o->orq)
		nta_outgoing_destroy(o->orq);
	if (o->msg)
		msg_destroy(o->msg);
	if (o->reuse)
		tport_unref(o->reuse);
	free(o);
}

/* Report the outcome once, then free. */
static void
out_finish(struct sip_out *o, int status, const char *phrase,
    const sip_t *sip)
{
	sip_out_fn *fn = o->fn;

	o->fn = NULL;
	if (fn)
		fn(o->arg, status, phrase, sip, o->hop);
	out_free(o);
}

static void
out_fail_later(void *arg)
{
	struct sip_out *o = arg;

	log_info(SIP_MOD, "%s to %s failed: %s", o->method,
	    o->hop[0] ? o->hop : "(no route)", o->failure);
	out_finish(o, 503, o->failure, NULL);
}

/* A failure known before any response: reported from the loop. */
static void
out_fail(struct sip_out *o, const char *reason)
{
	snprintf(o->failure, sizeof(o->failure), "%s", reason);
	o->state = OUT_FAILING;
	if (o->orq) {
		nta_outgoing_destroy(o->orq);
		o->orq = NULL;
	}
	out_unwatch(o);
	if (o->hop[0])
		sip_edge_report(o->hop, 0, reason);
	if (loop_call_later(out_fail_later, o) != 0)
		out_fail_later(o);
}

/* nta_response_f: only final responses matter here. */
static int
out_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
    const sip_t *sip)
{
	struct sip_out *o = (struct sip_out *)magic;
	int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
	const char *phrase = sip && sip->sip_status ?
	    sip->sip_status->st_phrase : "Request Timeout";

	if (status < 200)
		return 0;
	if (sip && nta_sip_is_internal(sip)) {
		/* nta made it up: no answer, refused connection, timeout */
		char reason[320];
		const char *tls = o->tp ? sip_tls_failure(o->tp) : NULL;
		snprintf(reason, sizeof(reason), "%d %s%s%s", status, phrase,
		    tls ? ": " : "", tls ? tls : "");
		sip_edge_report(o->hop, 0, reason);
	} else {
		sip_edge_report(o->hop, 1, NULL);
	}
	out_finish(o, status, phrase, sip);
	return 0;
}

/* Put o on the watch list until its answer comes. */
static void
out_watch(struct sip_out *o)
{
	o->tp = nta_outgoing_transport(o->orq);
	o->connected = o->tp && tport_is_connected(o->tp);
	o->watched = 1;
	O.nwatched++;
	if (O.watch == NULL)
		O.watch = loop_timer_new(out_watch_tick, NULL);
	if (O.watch && !loop_timer_pending(O.watch))
		loop_timer_set(O.watch, WATCH_MS);
}

/*
 * One watched request: answered (stop watching), or its connection is
 * gone without an answer (fail it now; nta would wait for timer F).
 */
static void
out_watch_one(struct sip_out *o)
{
	char reason[400];
	const char *why;

	if (nta_outgoing_status(o->orq) > 0) {
		out_unwatch(o);
		return;
	}
	if (o->tp == NULL)
		o->tp = nta_outgoing_transport(o->orq);
	if (o->tp == NULL)
		return;			/* still resolving the hop */
	if (tport_is_connected(o->tp))
		o->connected = 1;
	if (!tport_is_closed(o->tp))
		return;
	why = sip_tls_failure(o->tp);
	if (o->connected)
		snprintf(reason, sizeof(reason), "connection to %s closed before "
		    "the answer", o->hop);
	else
		snprintf(reason, sizeof(reason), "connection to %s failed: %s",
		    o->hop, why ? why : "closed before it was established");
	out_fail(o, reason);
}

static void
out_watch_tick(void *arg)
{
	struct sip_out *o, *next;

	for (o = O.head; o; o = next) {
		next = o->next;
		if (o->watched && o->state == OUT_SENT)
			out_watch_one(o);
	}
	if (O.nwatched)
		loop_timer_set(O.watch, WATCH_MS);
}

/* Route o and hand it to nta. */
static void
out_start(struct sip_out *o, const char *domain)
{
	char why[300];
	msg_t *msg;

	if (strncmp(domain, "sip:", 4) == 0)
		snprintf(o->hop, sizeof(o->hop), "%s", domain);
	else if (sip_route_hop(domain, o->hop, sizeof(o->hop), why,
	    sizeof(why)) != 0) {
		o->hop[0] = '\0';
		out_fail(o, why);
		return;
	}
	if (o->reuse && (tport_is_closed(o->reuse) || !tport_is_connected(o->reuse))) {
		tport_unref(o->reuse);		/* gone: go by the hop */
		o->reuse = NULL;
	}
	msg = o->msg;
	o->msg = NULL;
	o->orq = nta_outgoing_mcreate(sip_agent(), o->fn ? out_response : NULL,
	    (nta_outgoing_magic_t *)o, URL_STRING_MAKE(o->hop), msg,
	    TAG_IF(o->reuse, NTATAG_TPORT(o->reuse)), TAG_END());
	if (o->orq == NULL) {
		out_fail(o, "cannot send (nta refused the request)");
		return;
	}
	sip_count(SIP_C_REQ_OUT);
	o->state = OUT_SENT;
	if (o->fn == NULL) {		/* fire and forget: nta finishes it */
		out_free(o);
		return;
	}
	out_watch(o);
}

/* Build the request now, from leg and tags; NULL when it cannot be. */
static struct sip_out *
out_create(nta_leg_t *leg, tport_t *reuse, sip_out_fn *fn, void *arg,
    sip_method_t method, const char *name, const url_t *ruri,
    tagi_t const *tags)
{
	struct sip_out *o;
	msg_t *msg;

	if (sip_agent() == NULL || (msg = nta_msg_create(sip_agent(), 0)) == NULL)
		return NULL;
	if (sip_add_tl(msg, sip_object(msg), TAG_NEXT(tags)) < 0 ||
	    nta_msg_request_complete(msg, leg, method, name,
	    (const url_string_t *)ruri) < 0 || (o = calloc(1, sizeof(*o))) == NULL) {
		msg_destroy(msg);
		return NULL;
	}
	o->id = sip_next_id();
	o->msg = msg;
	o->reuse = reuse ? tport_ref(reuse) : NULL;
	o->fn = fn;
	o->arg = arg;
	snprintf(o->method, sizeof(o->method), "%s", name);
	o->next = O.head;
	O.head = o;
	O.n++;
	return o;
}

struct sip_out *
sip_out_send(nta_leg_t *leg, const char *domain, tport_t *reuse,
    sip_out_fn *fn, void *arg, sip_method_t method, const char *name,
    const url_t *ruri, tag_type_t tag, tag_value_t value, ...)
{
	struct sip_out *o;
	ta_list ta;

	ta_start(ta, tag, value);
	o = out_create(leg, reuse, fn, arg, method, name, ruri, ta_args(ta));
	(void)ta_end(ta);
	if (o)
		out_start(o, domain);
	return o;
}

int
sip_out_send_once(nta_leg_t *leg, const char *domain, tport_t *reuse,
    sip_method_t method, const char *name, const url_t *ruri, tag_type_t tag,
    tag_value_t value, ...)
{
	struct sip_out *o;
	ta_list ta;

	ta_start(ta, tag, value);
	o = out_create(leg, reuse, NULL, NULL, method, name, ruri, ta_args(ta));
	(void)ta_end(ta);
	if (o == NULL)
		return -1;
	out_start(o, domain);
	return 0;
}

int
sip_out_ack(nta_leg_t *leg, const char *hop, const url_t *ruri)
{
	nta_outgoing_t *ack;

	ack = nta_outgoing_tcreate(leg, NULL, NULL, URL_STRING_MAKE(hop),
	    SIP_METHOD_ACK, (const url_string_t *)ruri, TAG_END());
	if (ack == NULL)
		return -1;
	nta_outgoing_destroy(ack);
	return 0;
}

void
sip_out_cancel(struct sip_out *o)
{
	if (o == NULL)
		return;
	o->fn = NULL;
	if (o->state == OUT_FAILING)
		return;			/* freed by the pending call */
	out_free(o);
}

size_t
sip_out_count(void)
{
	return O.n;
}

void
sip_out_shutdown(void)
{
	struct sip_out *o, *next;

	for (o = O.head; o; o = next) {
		next = o->next;
		o->fn = NULL;
		if (o->state != OUT_FAILING)
			out_free(o);
	}
	loop_timer_free(O.watch);
	O.watch = NULL;
}
