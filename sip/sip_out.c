/*
 * sip_out: see sip_out.h.
 *
 * Life of a request: built at once (the caller's strings may go away),
 * routed (route_lookup: the local domain's edge=, a SIP static route, or
 * _sipfederationtls._tcp), handed to nta for the first next hop
 * (OUT_SENT), then answered or failed, and freed. A hop that cannot be
 * reached (refused, TLS verification failed, dropped before any answer)
 * is left for the next candidate; only an answer from a peer ends the
 * tries.
 *
 * Until its answer comes the request is on the watch list: a 100 ms timer
 * looks at its transport, and a connection that closed (refused TLS, wrong
 * name, or dropped before the answer) fails the attempt at once, with the
 * reason the TLS tap recorded. Sofia alone would say 408 after 32 seconds.
 */
#include "config.h"

#include "sip/sip_core.h"
#include "sip/sip_edge.h"
#include "sip/sip_out.h"
#include "sip/sip_tls.h"

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/route.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/tport.h>

#define WATCH_MS	100
#define HOP_MAX		300
#define HOPS_MAX	8	/* candidates tried, at most */

enum out_state {
	OUT_ROUTING,	/* waiting for route_lookup */
	OUT_SENT,	/* nta has it; waiting for the final response */
	OUT_FAILING,	/* a local failure, reported at the end of the turn */
};

struct sip_out {
	uint64_t	 id;
	enum out_state	 state;
	msg_t		*proto;		/* the request as built; each try sends a copy */
	nta_outgoing_t	*orq;
	uint64_t	 route_id;	/* while OUT_ROUTING */
	tport_t		*tp;		/* while watched: its transport (a ref) */
	int		 watched;
	int		 connected;	/* tp was seen established */
	sip_out_fn	*fn;
	void		*arg;
	char		 method[24];
	tport_t		*reuse;		/* the dialog's connection (a ref) */
	char		 hops[HOPS_MAX][HOP_MAX];
	size_t		 nhops, hop;	/* candidates, the one being tried */
	char		 failure[400];
	struct sip_out	*next;
};

static struct {
	struct sip_out	 *head;
	size_t		  n;
	struct loop_timer *watch;
	size_t		  nwatched;
} O;

static void out_watch_tick(void *arg);
static void out_try(struct sip_out *o);

static const char *
out_hop(const struct sip_out *o)
{
	return o->hop < o->nhops ? o->hops[o->hop] : "";
}

static struct sip_out *
out_find(uint64_t id)
{
	for (struct sip_out *o = O.head; o; o = o->next)
		if (o->id == id)
			return o;
	return NULL;
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
	if (o->route_id)
		route_cancel(o->route_id);
	out_unwatch(o);
	if (o->orq)
		nta_outgoing_destroy(o->orq);
	if (o->proto)
		msg_destroy(o->proto);
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
		fn(o->arg, status, phrase, sip, out_hop(o));
	out_free(o);
}

static void
out_fail_later(void *arg)
{
	struct sip_out *o = arg;

	log_info(SIP_MOD, "%s to %s failed: %s", o->method,
	    o->nhops ? out_hop(o) : "(no route)", o->failure);
	/*
	 * No hop could be reached: 502, which RFC 7247 maps to
	 * remote-server-not-found — what an XMPP sender should be told (503
	 * would say this gateway is out of service).
	 */
	out_finish(o, 502, o->failure, NULL);
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
	if (loop_call_later(out_fail_later, o) != 0)
		out_fail_later(o);
}

/* This hop could not be reached: the next candidate, or fail. */
static void
out_hop_failed(struct sip_out *o, const char *reason)
{
	sip_edge_report(out_hop(o), 0, reason);
	if (o->hop + 1 < o->nhops && o->fn) {
		log_info(SIP_MOD, "%s to %s failed (%s): trying %s", o->method,
		    out_hop(o), reason, o->hops[o->hop + 1]);
		if (o->orq)
			nta_outgoing_destroy(o->orq);
		o->orq = NULL;
		out_unwatch(o);
		o->hop++;
		out_try(o);
		return;
	}
	out_fail(o, reason);
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
	char reason[500];

	if (status < 200)
		return 0;
	if (sip == NULL || nta_sip_is_internal(sip)) {
		/* nta made it up: refused connection, no answer in time */
		char tls[400];
		int known = o->tp && sip_tls_failure(o->tp, tls, sizeof(tls)) == 0;
		snprintf(reason, sizeof(reason), "%d %s%s%.400s", status, phrase,
		    known ? ": " : "", known ? tls : "");
		if (status != 408) {
			out_hop_failed(o, reason);
			return 0;
		}
		sip_edge_report(out_hop(o), 0, reason);
	} else {
		sip_edge_report(out_hop(o), 1, NULL);
	}
	out_finish(o, status, phrase, sip);
	return 0;
}

/* ---- the watch ------------------------------------------------------ */

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
 * gone without an answer (this hop failed; nta would wait for timer F).
 */
static void
out_watch_one(struct sip_out *o)
{
	char reason[500], why[400];

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
	if (sip_tls_failure(o->tp, why, sizeof(why)) != 0)
		snprintf(why, sizeof(why), "closed before it was established");
	if (o->connected)
		snprintf(reason, sizeof(reason), "connection to %s closed before "
		    "the answer", out_hop(o));
	else
		snprintf(reason, sizeof(reason), "connection to %.80s failed: %.400s",
		    out_hop(o), why);
	out_hop_failed(o, reason);
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

/* ---- routing and sending ------------------------------------------ */

/* Hand a copy of the request to nta for the current hop. */
static void
out_try(struct sip_out *o)
{
	msg_t *msg = msg_dup(o->proto);

	if (o->reuse && (tport_is_closed(o->reuse) || !tport_is_connected(o->reuse))) {
		tport_unref(o->reuse);		/* gone: go by the hop */
		o->reuse = NULL;
	}
	o->state = OUT_SENT;
	o->orq = msg ? nta_outgoing_mcreate(sip_agent(),
	    o->fn ? out_response : NULL, (nta_outgoing_magic_t *)o,
	    URL_STRING_MAKE(out_hop(o)), msg,
	    TAG_IF(o->reuse, NTATAG_TPORT(o->reuse)), TAG_END()) : NULL;
	if (o->orq == NULL) {
		out_fail(o, "cannot send (nta refused the request)");
		return;
	}
	sip_count(SIP_C_REQ_OUT);
	if (o->fn == NULL) {		/* fire and forget: nta finishes it */
		out_free(o);
		return;
	}
	out_watch(o);
}

/* A candidate as a Sofia URL: "sip:host:port;transport=tls". */
static void
out_hop_url(const struct route_candidate *c, char *url, size_t len)
{
	int v6 = strchr(c->host, ':') != NULL;

	snprintf(url, len, "sip:%s%s%s:%u;transport=%s", v6 ? "[" : "",
	    c->host, v6 ? "]" : "", c->port ? c->port : 5061,
	    c->flags & ROUTE_F_NO_TLS ? "tcp" : "tls");
}

/* route_cb; arg is the request's id. */
static void
out_routed(uint64_t rid, const struct route_result *res, void *arg)
{
	struct sip_out *o = out_find((uint64_t)(uintptr_t)arg);
	char why[400];

	if (o == NULL || o->route_id != rid)
		return;
	o->route_id = 0;
	if (res->status != ROUTE_OK || res->n == 0) {
		snprintf(why, sizeof(why), "no route to %s: %s", res->domain,
		    res->error ? res->error : route_status_name(res->status));
		out_fail(o, why);
		return;
	}
	for (size_t i = 0; i < res->n && o->nhops < HOPS_MAX; i++)
		out_hop_url(&res->c[i], o->hops[o->nhops++], HOP_MAX);
	out_try(o);
}

/* Route o toward domain (or the hop URL given) and send it. */
static void
out_start(struct sip_out *o, const char *domain)
{
	if (strncmp(domain, "sip:", 4) == 0) {
		snprintf(o->hops[0], HOP_MAX, "%s", domain);
		o->nhops = 1;
		out_try(o);
		return;
	}
	o->state = OUT_ROUTING;
	o->route_id = route_lookup(domain, ROUTE_SIDE_SIP, 0, out_routed,
	    (void *)(uintptr_t)o->id);
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
	o->proto = msg;
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
