/*
 * s2s_out: the outbound stream state machine. We are the initiating
 * server for one (local, remote) pair of a link, and on the same stream
 * the receiving server's side of <db:verify/> questions.
 *
 *   new -> resolving -> connecting -> [tls-handshake] -> wait-header
 *     -> wait-features -> starttls -> tls-handshake -> wait-header
 *     -> wait-features -> sasl -> (restart) wait-header -> wait-features -> ready
 *                      \-> dialback ----------------------------------> ready
 *
 * One function, out_fsm(), takes every event (state x event, STYLE rule
 * 4); out_enter() holds every entry action. The element handlers of the
 * dispatch table and the hooks the core calls only turn what happened into
 * an event.
 *
 * XEP-0288: when the receiving server offers bidi, we ask for it (after
 * TLS, before SASL or dialback); once authenticated, the peer may send us
 * its stanzas on this stream too -- from its domain to ours, and from its
 * other domains that it proves here by dialback (s2s_recv.c).
 *
 * Candidates come from route_lookup() in order; any failure before the
 * stream is authenticated moves to the next address, then the next
 * candidate, unless the peer refused to authenticate us (that would be
 * the same everywhere). When none is left the link is told, and it
 * bounces what waited with remote-server-not-found or -timeout.
 */
#include "config.h"
#include "xmpp/s2s_int.h"
#include "xmpp/conn.h"
#include "xmpp/dialback.h"
#include "xmpp/link.h"
#include "xmpp/parser.h"
#include "xmpp/stanza.h"
#include "xmpp/tls.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


enum out_event {
	OEV_START,		/* the stream was created (0 ms timer) */
	OEV_ROUTED,		/* route_lookup() answered */
	OEV_CONNECTED,		/* TCP connect finished */
	OEV_TLS_UP,		/* TLS handshake finished */
	OEV_HEADER,		/* the peer's stream header */
	OEV_FEATURES,		/* <stream:features/> (or none from an old peer) */
	OEV_PROCEED,		/* <proceed/> to our <starttls/> */
	OEV_SASL_SUCCESS,
	OEV_SASL_FAILURE,
	OEV_DB_VALID,		/* <db:result type='valid'/> */
	OEV_DB_REFUSED,		/* <db:result type='invalid' or 'error'/> */
	OEV_TIMEOUT,		/* the state's deadline passed */
	OEV_LOST,		/* connection, TLS or stream failed / refused */
};

static const char *const event_names[] = {
	"start", "routed", "connected", "tls-up", "header", "features",
	"proceed", "sasl-success", "sasl-failure", "db-valid", "db-refused",
	"timeout", "lost",
};

/* What came with an event. */
struct out_arg {
	const struct route_result *route;
	const struct xnode	*el;
	const char		*why;
	int			 cond;		/* enum xl_err_cond, 0 = default */
};

static void out_fsm(struct s2s_stream *s, enum out_event ev,
    const struct out_arg *a);

/* ---- creation ------------------------------------------------------ */

/*
 * The stream starts from its timer (0 ms): the link that creates it is in
 * the middle of its own bookkeeping, and nothing may call it back from
 * inside s2s_out_new().
 */
struct s2s_stream *
s2s_out_new(struct s2s_link *link, const char *local, const char *remote)
{
	struct s2s_stream *s = s2s_stream_new(S2S_OUT);

	if (s == NULL)
		return NULL;
	s->link = link;
	snprintf(s->local, sizeof(s->local), "%s", local);
	snprintf(s->remote, sizeof(s->remote), "%s", remote);
	s->deadline_ms = loop_now_ms();
	s2s_timer_arm(s);
	return s;
}

/* No candidate left (or none at all): the link bounces what waits. */
static void
out_give_up(struct s2s_stream *s, int cond, const char *why)
{
	if (s->fail_cond == 0)
		s->fail_cond = cond;
	if (why && !s->fail_text[0])
		snprintf(s->fail_text, sizeof(s->fail_text), "%s", why);
	s2s_stream_free(s, s->fail_text[0] ? s->fail_text : "no route");
}

/* The peer will not authenticate us: the same anywhere, no next candidate. */
static void
out_refused(struct s2s_stream *s, int cond, const char *why, const char *serr)
{
	s->authfail = 1;
	s->fail_cond = cond;
	snprintf(s->fail_text, sizeof(s->fail_text), "%s", why);
	metric_inc(s2s_m.auth_failures);
	log_warnx(LOG_MOD, "outbound stream refused id=%llu local=%s remote=%s: "
	    "%s", (unsigned long long)s->id, s->local, s->remote, why);
	if (serr)
		s2s_stream_error(s, serr, why);
	else
		s2s_stream_close(s, why);
}

/* ---- routing and connecting --------------------------------------- */

static void
out_route_cb(uint64_t id, const struct route_result *res, void *arg)
{
	struct s2s_stream *s = s2s_stream_find((uint64_t)(uintptr_t)arg);
	struct out_arg a = { .route = res };

	if (s == NULL || s->dir != S2S_OUT || s->route_req != id)
		return;
	s->route_req = 0;
	out_fsm(s, OEV_ROUTED, &a);
}

/*
 * Connect to the next address of the current candidate, or of the next
 * candidate. Raises OEV_CONNECTED when the connect finished at once.
 */
static void
out_next_address(struct s2s_stream *s)
{
	const struct config *cfg = config_current();
	char err[160];

	while (s->cand_i < s->ncands) {
		const struct route_candidate *c = &s->cands[s->cand_i];
		struct sockaddr_storage ss;
		int fd, r;

		if (s->addr_i >= c->naddrs || s->addr_i >= ROUTE_MAX_ADDRS) {
			s->cand_i++;
			s->addr_i = 0;
			continue;
		}
		ss = c->addrs[s->addr_i++];
		r = xconn_connect_start(&ss, &fd, err, sizeof(err));
		if (r == XCONN_ERR) {
			log_warnx(LOG_MOD, "outbound stream id=%llu remote=%s "
			    "candidate=%s:%u: %s", (unsigned long long)s->id,
			    s->remote, c->host, c->port, err);
			snprintf(s->fail_text, sizeof(s->fail_text), "%s", err);
			continue;
		}
		s->flags &= ~S2S_F_DIRECT_TLS;
		if (c->flags & ROUTE_F_DIRECT_TLS)
			s->flags |= S2S_F_DIRECT_TLS;
		if (s2s_attach(s, fd, &ss) != 0) {
			out_give_up(s, XL_ERR_INTERNAL_SERVER_ERROR, "out of memory");
			return;
		}
		log_debug(LOG_MOD, "connecting id=%llu remote=%s candidate=%s:%u "
		    "peer=%s step=%s%s", (unsigned long long)s->id, s->remote,
		    c->host, c->port, s->peer, route_step_name(c->step),
		    (c->flags & ROUTE_F_DIRECT_TLS) ? " direct-tls" : "");
		s->deadline_ms = loop_now_ms() + cfg->connect_timeout_ms;
		s2s_enter_state(s, S2S_ST_CONNECTING);
		s2s_timer_arm(s);
		if (r == XCONN_OK)
			out_fsm(s, OEV_CONNECTED, NULL);
		else
			s2s_io_update(s);
		return;
	}
	s->transient = 1;	/* the peer may be restarting: worth a retry */
	out_give_up(s, XL_ERR_REMOTE_SERVER_NOT_FOUND, "no candidate reachable");
}

/*
 * This attempt failed before authentication: log it and go on with the
 * next address, unless the peer refused us (authfail).
 */
static void
out_attempt_failed(struct s2s_stream *s, enum out_event ev, const char *why)
{
	char buf[80];

	if (ev == OEV_TIMEOUT) {
		s->fail_cond = XL_ERR_REMOTE_SERVER_TIMEOUT;
		snprintf(buf, sizeof(buf), "timeout in state %s",
		    s2s_strstate(s->state));
		why = buf;
	}
	log_warnx(LOG_MOD, "outbound attempt failed id=%llu peer=%s local=%s "
	    "remote=%s state=%s: %s", (unsigned long long)s->id,
	    s->peer[0] ? s->peer : "-", s->local, s->remote,
	    s2s_strstate(s->state), why ? why : "failed");
	snprintf(s->fail_text, sizeof(s->fail_text), "%s", why ? why : "failed");
	if (s->authfail) {
		s2s_stream_free(s, s->fail_text);
		return;
	}
	s2s_detach(s);
	out_next_address(s);
}

/* ---- entry actions (one place) ------------------------------------- */

static void
out_base64(const char *in, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)in;
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/*
 * XEP-0288: ask for bidi before authenticating (SASL or dialback), when
 * the peer offered it after TLS (or without TLS where that is allowed).
 */
static void
out_bidi_request(struct s2s_stream *s)
{
	if (!(s->flags & S2S_F_BIDI_OFFERED) || (s->flags & S2S_F_BIDI) ||
	    !config_current()->xmpp_bidi)
		return;
	s2s_sendf(s, "<bidi xmlns='" XMPP_NS_BIDI "'/>");
	s->flags |= S2S_F_BIDI;
	metric_inc(s2s_m.bidi);
}

/*
 * With bidi, the server we authenticated to may send us stanzas from its
 * domain to ours on this stream (XEP-0288 §2.2): that pair is proven.
 */
static int
out_bidi_pair(struct s2s_stream *s)
{
	struct s2s_dbpair *p;

	if (!(s->flags & S2S_F_BIDI))
		return 0;
	if ((p = s2s_pair_add(s, s->remote, s->local)) == NULL)
		return -1;
	p->st = DBP_VALID;
	return 0;
}

static void
out_enter_ready(struct s2s_stream *s)
{
	if (out_bidi_pair(s) != 0) {
		s2s_stream_free(s, "out of memory");
		return;
	}
	s->auth = (s->flags & S2S_F_SASL) ? "sasl-external" : "dialback";
	if (s->flags & S2S_F_SASL)
		metric_inc(s2s_m.auth_sasl);
	else {
		s->flags |= S2S_F_DIALBACK;
		metric_inc(s2s_m.auth_dialback);
	}
	s->flags |= S2S_F_VERIFY_OK | S2S_F_AUTHED;
	s->last_stanza_ms = loop_now_ms();
	log_info(LOG_MOD, "outbound stream authenticated id=%llu peer=%s "
	    "local=%s remote=%s method=%s tls=%s bidi=%s",
	    (unsigned long long)s->id, s->peer, s->local, s->remote, s->auth,
	    (s->flags & S2S_F_TLS) ? xtls_version(xconn_ssl(s->conn)) : "none",
	    (s->flags & S2S_F_BIDI) ? "yes" : "no");
	s2s_timer_arm(s);
	link_on_ready(s->link, s);
}

/* Enter st and do what entering it means. */
static void
out_enter(struct s2s_stream *s, enum s2s_state st)
{
	const struct config *cfg = config_current();
	char buf[((S2S_DOMAIN_MAX + 2) / 3) * 4 + 1];
	uint64_t rid;

	s2s_enter_state(s, st);
	switch (st) {
	case S2S_ST_RESOLVING:
		s->deadline_ms = loop_now_ms() + 2 * cfg->connect_timeout_ms;
		s2s_timer_arm(s);
		rid = route_lookup(s->remote, ROUTE_SIDE_XMPP, ROUTE_RESOLVE,
		    out_route_cb, (void *)(uintptr_t)s->id);
		if (rid == 0) {
			out_give_up(s, XL_ERR_REMOTE_SERVER_NOT_FOUND,
			    "route lookup could not start");
			return;
		}
		s->route_req = rid;
		break;
	case S2S_ST_TLS:
		if (s->parser)
			xparser_halt(s->parser);	/* nothing more in plaintext */
		if (s2s_tls_begin(s, 0) != 0) {
			out_fsm(s, OEV_LOST, &(struct out_arg){ .why =
			    "TLS is not available" });
			return;
		}
		s2s_io_update(s);
		break;
	case S2S_ST_HEADER:
		s2s_send_header(s, s->local, s->remote, NULL);
		s2s_io_update(s);
		break;
	case S2S_ST_STARTTLS:
		s2s_sendf(s, "<starttls xmlns='" XMPP_NS_TLS "'/>");
		break;
	case S2S_ST_SASL:
		out_bidi_request(s);
		out_base64(s->local, buf);
		s2s_sendf(s, "<auth xmlns='" XMPP_NS_SASL "' mechanism='EXTERNAL'>"
		    "%s</auth>", buf);
		break;
	case S2S_ST_DIALBACK: {
		char key[DIALBACK_KEY_LEN + 1];

		if (!s->sid[0] ||
		    dialback_key(s->remote, s->local, s->sid, key) != 0) {
			out_refused(s, XL_ERR_REMOTE_SERVER_NOT_FOUND,
			    s->sid[0] ? "no dialback key" :
			    "the peer sent no stream id: dialback is impossible",
			    "undefined-condition");
			return;
		}
		out_bidi_request(s);
		s2s_sendf(s, "<db:result from='%s' to='%s'>%s</db:result>",
		    s->local, s->remote, key);
		s->flags |= S2S_F_VERIFY_OK;
		link_on_verify_possible(s->link, s);
		break;
	}
	case S2S_ST_READY:
		out_enter_ready(s);
		break;
	default:
		break;
	}
}

/* ---- decisions ------------------------------------------------------ */

static int
features_offer_external(const struct xnode *el)
{
	const struct xnode *m = el ? xnode_child(el, XMPP_NS_SASL, "mechanisms") :
	    NULL;

	for (const struct xnode *c = m ? xnode_first_elem(m) : NULL; c;
	    c = xnode_next_elem(c))
		if (!strcmp(xnode_name(c), "mechanism") &&
		    !strcmp(xnode_text(c, NULL), "EXTERNAL"))
			return 1;
	return 0;
}

/* <stream:features/>: TLS first, then SASL EXTERNAL, then dialback. */
static void
out_choose(struct s2s_stream *s, const struct xnode *el)
{
	const struct xnode *tls = el ? xnode_child(el, XMPP_NS_TLS, "starttls") :
	    NULL;
	struct s2s_policy p;

	s2s_policy_for(s->remote, &p);
	if (el && xnode_child(el, XMPP_NS_DB_FEATURE, "dialback"))
		s->flags |= S2S_F_PEER_DB;
	/* the offer that counts is the last one (after TLS, if any) */
	s->flags &= ~S2S_F_BIDI_OFFERED;
	if (el && xnode_child(el, XMPP_NS_BIDI_FEATURE, "bidi"))
		s->flags |= S2S_F_BIDI_OFFERED;
	if (s->flags & S2S_F_SASL) {
		out_enter(s, S2S_ST_READY);
		return;
	}
	if (!(s->flags & S2S_F_TLS)) {
		if (tls && p.security != XMPP_SEC_NO_TLS && p.tls_available) {
			out_enter(s, S2S_ST_STARTTLS);
			return;
		}
		if (p.security == XMPP_SEC_TLS_REQUIRED) {
			out_refused(s, XL_ERR_REMOTE_SERVER_NOT_FOUND,
			    "encrypted server-to-server communication is required",
			    "policy-violation");
			return;
		}
		if (tls && xnode_child(tls, XMPP_NS_TLS, "required")) {
			out_refused(s, XL_ERR_REMOTE_SERVER_NOT_FOUND,
			    "the peer requires TLS, not used with this domain",
			    "unsupported-feature");
			return;
		}
	}
	if ((s->flags & S2S_F_TLS) && p.sasl_out &&
	    !(s->flags & S2S_F_SASL_FAILED) && features_offer_external(el)) {
		out_enter(s, S2S_ST_SASL);
		return;
	}
	if (p.dialback && (s->flags & S2S_F_PEER_DB)) {
		out_enter(s, S2S_ST_DIALBACK);
		return;
	}
	out_refused(s, XL_ERR_REMOTE_SERVER_NOT_FOUND,
	    "no authentication method we may use was offered",
	    "unsupported-feature");
}

/* TLS is up: check the certificate now if policy demands it. */
static void
out_tls_up(struct s2s_stream *s)
{
	struct s2s_policy p;
	char why[256], text[600];

	s2s_policy_for(s->remote, &p);
	if (s2s_peer_cert_why(s, s->remote, why, sizeof(why)) == NULL)
		s->flags |= S2S_F_CERT_OK;
	else if (p.require_certs) {
		snprintf(text, sizeof(text), "certificate of %s: %s", s->remote,
		    why);
		out_attempt_failed(s, OEV_LOST, text);
		return;
	}
	out_enter(s, S2S_ST_HEADER);
}

static void
out_header(struct s2s_stream *s, const struct xnode *h)
{
	const char *id = xnode_attr(h, "id"), *ver = xnode_attr(h, "version");

	if (s2s_check_header(s, h) != 0)
		return;
	s->sid[0] = '\0';
	if (id && strlen(id) < sizeof(s->sid))
		snprintf(s->sid, sizeof(s->sid), "%s", id);
	out_enter(s, S2S_ST_FEATURES);
	if (ver && strtol(ver, NULL, 10) >= 1)
		return;			/* features follow */
	/* a pre-RFC 6120 peer sends no features: dialback right away */
	if (s->flags & S2S_F_SASL)
		s2s_stream_error(s, "unsupported-version", NULL);
	else
		out_fsm(s, OEV_FEATURES, &(struct out_arg){ .el = NULL });
}

/* The routing engine answered: keep the candidates and try the first. */
static void
out_routed(struct s2s_stream *s, const struct route_result *r)
{
	char why[600];

	if (r->status != ROUTE_OK || r->n == 0) {
		snprintf(why, sizeof(why), "no route to %s: %s", s->remote,
		    r->error ? r->error : "not found");
		log_warnx(LOG_MOD, "outbound stream id=%llu: %s",
		    (unsigned long long)s->id, why);
		out_give_up(s, r->status == ROUTE_TIMEOUT ?
		    XL_ERR_REMOTE_SERVER_TIMEOUT : XL_ERR_REMOTE_SERVER_NOT_FOUND,
		    why);
		return;
	}
	if ((s->cands = calloc(r->n, sizeof(*s->cands))) == NULL) {
		out_give_up(s, XL_ERR_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	memcpy(s->cands, r->c, r->n * sizeof(*s->cands));
	s->ncands = r->n;
	s->cand_i = s->addr_i = 0;
	out_next_address(s);
}

/* SASL EXTERNAL failed: dialback where the policy allows it (XEP-0178 §4). */
static void
out_sasl_refused(struct s2s_stream *s)
{
	struct s2s_policy p;
	int fallback;

	s2s_policy_for(s->remote, &p);
	s->flags |= S2S_F_SASL_FAILED;
	fallback = p.dialback && (s->flags & S2S_F_PEER_DB);
	log_warnx(LOG_MOD, "SASL EXTERNAL refused by the peer id=%llu remote=%s%s",
	    (unsigned long long)s->id, s->remote,
	    fallback ? ": trying dialback" : "");
	if (fallback)
		out_enter(s, S2S_ST_DIALBACK);
	else
		out_refused(s, XL_ERR_REMOTE_SERVER_NOT_FOUND,
		    "the peer refused our certificate", NULL);
}

/* ---- the state machine --------------------------------------------- */

/*
 * State x event. What a state does not handle: a failure or timeout before
 * authentication tries the next address; an element out of place is a
 * stream error.
 */
static void
out_fsm(struct s2s_stream *s, enum out_event ev, const struct out_arg *a)
{
	static const struct out_arg none;

	if (a == NULL)
		a = &none;
	log_debug(LOG_MOD, "outbound event %s in state %s id=%llu",
	    event_names[ev], s2s_strstate(s->state), (unsigned long long)s->id);
	switch (s->state) {
	case S2S_ST_NEW:
		if (ev == OEV_START) {
			out_enter(s, S2S_ST_RESOLVING);
			return;
		}
		break;
	case S2S_ST_RESOLVING:
		if (ev == OEV_ROUTED) {
			out_routed(s, a->route);
			return;
		}
		if (ev == OEV_TIMEOUT) {
			route_cancel(s->route_req);
			s->route_req = 0;
			out_give_up(s, XL_ERR_REMOTE_SERVER_TIMEOUT,
			    "route lookup timed out");
			return;
		}
		break;
	case S2S_ST_CONNECTING:
		if (ev == OEV_CONNECTED) {
			log_info(LOG_MOD, "stream connected id=%llu dir=out peer=%s "
			    "local=%s remote=%s%s", (unsigned long long)s->id,
			    s->peer, s->local, s->remote,
			    (s->flags & S2S_F_DIRECT_TLS) ? " direct-tls" : "");
			out_enter(s, (s->flags & S2S_F_DIRECT_TLS) ?
			    S2S_ST_TLS : S2S_ST_HEADER);
			return;
		}
		break;
	case S2S_ST_TLS:
		if (ev == OEV_TLS_UP) {
			out_tls_up(s);
			return;
		}
		break;
	case S2S_ST_HEADER:
		if (ev == OEV_HEADER) {
			out_header(s, a->el);
			return;
		}
		break;
	case S2S_ST_FEATURES:
		if (ev == OEV_FEATURES) {
			out_choose(s, a->el);
			return;
		}
		break;
	case S2S_ST_STARTTLS:
		if (ev == OEV_PROCEED) {
			out_enter(s, S2S_ST_TLS);
			return;
		}
		break;
	case S2S_ST_SASL:
		if (ev == OEV_SASL_SUCCESS) {
			s->flags |= S2S_F_SASL | S2S_F_RESTART;
			if (s->parser)
				xparser_halt(s->parser);
			out_enter(s, S2S_ST_HEADER);
			return;
		}
		if (ev == OEV_SASL_FAILURE) {
			out_sasl_refused(s);
			return;
		}
		break;
	case S2S_ST_DIALBACK:
		if (ev == OEV_DB_VALID) {
			out_enter(s, S2S_ST_READY);
			return;
		}
		if (ev == OEV_DB_REFUSED) {
			out_refused(s, a->cond, a->why, NULL);
			return;
		}
		break;
	case S2S_ST_READY:
		if (ev == OEV_LOST) {
			s2s_stream_free(s, a->why ? a->why : "lost");
			return;
		}
		break;
	default:
		break;
	}
	if (ev == OEV_LOST || ev == OEV_TIMEOUT) {
		if (s->state == S2S_ST_READY || s->state == S2S_ST_CLOSING)
			s2s_stream_free(s, a->why ? a->why : "lost");
		else
			out_attempt_failed(s, ev, a->why);
		return;
	}
	s2s_stream_error(s, "policy-violation", "element out of order");
}

/* ---- elements from the peer ----------------------------------------- */

static void
out_el_features(struct s2s_stream *s, struct xnode *el)
{
	out_fsm(s, OEV_FEATURES, &(struct out_arg){ .el = el });
}

static void
out_el_proceed(struct s2s_stream *s, struct xnode *el)
{
	out_fsm(s, OEV_PROCEED, NULL);
}

static void
out_el_tls_failure(struct s2s_stream *s, struct xnode *el)
{
	out_fsm(s, OEV_LOST, &(struct out_arg){ .why = "the peer refused STARTTLS" });
}

static void
out_el_sasl_success(struct s2s_stream *s, struct xnode *el)
{
	out_fsm(s, OEV_SASL_SUCCESS, NULL);
}

static void
out_el_sasl_failure(struct s2s_stream *s, struct xnode *el)
{
	out_fsm(s, OEV_SASL_FAILURE, NULL);
}

/* The receiving server's verdict on our key (XEP-0220 2.1.1). */
static void
out_el_db_result(struct s2s_stream *s, struct xnode *el)
{
	const char *type = xnode_attr(el, "type");
	const char *from = xnode_attr(el, "from"), *to = xnode_attr(el, "to");
	struct out_arg a = { 0 };
	char why[600];

	if (type == NULL && s->state == S2S_ST_READY &&
	    (s->flags & S2S_F_BIDI)) {
		/* the peer authenticates another of its domains (XEP-0288) */
		s2s_recv_db_result(s, el);
		return;
	}
	if (s->state != S2S_ST_DIALBACK || type == NULL || from == NULL ||
	    to == NULL || strcasecmp(from, s->remote) || strcasecmp(to, s->local)) {
		s2s_stream_error(s, "not-authorized", "unsolicited dialback result");
		return;
	}
	if (!strcmp(type, "valid")) {
		out_fsm(s, OEV_DB_VALID, NULL);
		return;
	}
	/* XEP-0220: invalid -> internal-server-error, error -> remote-server-timeout */
	a.cond = !strcmp(type, "invalid") ? XL_ERR_INTERNAL_SERVER_ERROR :
	    XL_ERR_REMOTE_SERVER_TIMEOUT;
	snprintf(why, sizeof(why), "%s %s our dialback key", s->remote,
	    !strcmp(type, "invalid") ? "rejected" : "could not verify");
	a.why = why;
	out_fsm(s, OEV_DB_REFUSED, &a);
}

/*
 * The authoritative server answers a <db:verify/> we sent (XEP-0220 2.1.2):
 * not an event of this stream's life, an answer for an inbound stream.
 * With bidi the peer may also ask us, as authoritative server, here.
 */
static void
out_el_db_verify(struct s2s_stream *s, struct xnode *el)
{
	const char *type = xnode_attr(el, "type"), *id = xnode_attr(el, "id");
	const char *from = xnode_attr(el, "from"), *to = xnode_attr(el, "to");
	int result;

	if (type == NULL && (s->flags & S2S_F_BIDI)) {
		s2s_recv_db_verify(s, el);
		return;
	}
	if (type == NULL || id == NULL || from == NULL || to == NULL ||
	    strcasecmp(from, s->remote) || strcasecmp(to, s->local)) {
		log_warnx(LOG_MOD, "malformed dialback verify answer dropped "
		    "id=%llu remote=%s", (unsigned long long)s->id, s->remote);
		return;
	}
	result = !strcmp(type, "valid") ? 1 : !strcmp(type, "invalid") ? 0 : -1;
	if (link_verify_answer(s->link, s, id, result) != 0)
		log_warnx(LOG_MOD, "unsolicited dialback verify answer dropped "
		    "id=%llu remote=%s", (unsigned long long)s->id, s->remote);
}

/* A stanza from the peer: only on a bidi stream (s2s_recv.c checks it). */
static void
out_el_stanza(struct s2s_stream *s, struct xnode *el)
{
	if (!(s->flags & S2S_F_BIDI)) {
		s2s_stream_error(s, "unsupported-stanza-type",
		    "this stream carries no stanzas toward us");
		return;
	}
	s2s_recv_stanza(s, el);
}

static const struct s2s_handler out_handlers[] = {
	{ XMPP_NS_STREAM, "features", ST(FEATURES), out_el_features },
	{ XMPP_NS_TLS, "proceed", ST(STARTTLS), out_el_proceed },
	{ XMPP_NS_TLS, "failure", ST(STARTTLS), out_el_tls_failure },
	{ XMPP_NS_SASL, "success", ST(SASL), out_el_sasl_success },
	{ XMPP_NS_SASL, "failure", ST(SASL), out_el_sasl_failure },
	{ XMPP_NS_DIALBACK, "result", ST(DIALBACK) | ST(READY), out_el_db_result },
	{ XMPP_NS_DIALBACK, "verify", ST(DIALBACK) | ST(READY), out_el_db_verify },
	{ XMPP_NS_SERVER, "message", ST(READY), out_el_stanza },
	{ XMPP_NS_SERVER, "presence", ST(READY), out_el_stanza },
	{ XMPP_NS_SERVER, "iq", ST(READY), out_el_stanza },
	{ NULL, NULL, 0, NULL },
};

void
s2s_out_element(struct s2s_stream *s, struct xnode *el)
{
	int r = s2s_dispatch(s, out_handlers, el);

	if (r == -2 && !strcmp(xnode_ns(el), XMPP_NS_SERVER))
		s2s_stream_error(s, "not-authorized",
		    "stanza before authentication");
	else if (r == -2)
		s2s_stream_error(s, "policy-violation", "element out of order");
	else if (r == -1)
		s2s_stream_error(s, "unsupported-stanza-type",
		    "this stream carries no stanzas toward us");
}

/* ---- events from the core ------------------------------------------- */

void
s2s_out_header(struct s2s_stream *s, const struct xnode *h)
{
	out_fsm(s, OEV_HEADER, &(struct out_arg){ .el = h });
}

void
s2s_out_connected(struct s2s_stream *s, int ok, const char *err)
{
	if (ok)
		out_fsm(s, OEV_CONNECTED, NULL);
	else
		out_fsm(s, OEV_LOST, &(struct out_arg){ .why = err ? err :
		    "connect failed" });
}

void
s2s_out_tls_done(struct s2s_stream *s)
{
	out_fsm(s, OEV_TLS_UP, NULL);
}

void
s2s_out_failed(struct s2s_stream *s, const char *why)
{
	out_fsm(s, OEV_LOST, &(struct out_arg){ .why = why });
}

void
s2s_out_timeout(struct s2s_stream *s)
{
	out_fsm(s, s->state == S2S_ST_NEW ? OEV_START : OEV_TIMEOUT, NULL);
}

/* ---- for the link ---------------------------------------------------- */

int
s2s_out_send_verify(struct s2s_stream *s, const char *from, const char *to,
    const char *sid, const char *key)
{
	if (!(s->flags & S2S_F_VERIFY_OK) || s->state == S2S_ST_DEAD ||
	    s->state == S2S_ST_CLOSING)
		return -1;
	s2s_sendf(s, "<db:verify from='%s' to='%s' id='%s'>%s</db:verify>",
	    from, to, sid, key);
	return 0;
}

void
s2s_out_drained(struct s2s_stream *s)
{
	link_on_writable(s->link, s);
}

void
s2s_out_gone(struct s2s_stream *s)
{
	int failed = !(s->flags & S2S_F_AUTHED) ?
	    (s->transient ? LINK_FAIL_TRANSIENT : LINK_FAIL_HARD) : 0;

	if (s->route_req) {
		route_cancel(s->route_req);
		s->route_req = 0;
	}
	s2s_bidi_withdraw(s);
	if (s->link == NULL)
		return;
	link_on_stream_gone(s->link, s, failed, s->fail_cond ? s->fail_cond :
	    XL_ERR_REMOTE_SERVER_NOT_FOUND, s->fail_text[0] ? s->fail_text :
	    s->reason);
	s->link = NULL;
}
