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
#include "core/metrics.h"
#include "core/loop.h"
#include "core/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

static void out_try(struct s2s_stream *s);
static void out_features(struct s2s_stream *s, struct xnode *el);

/* ---- creation and routing ---------------------------------------- */

/*
 * The stream starts from its timer (0 ms): the link that creates it is in
 * the middle of its own bookkeeping, and a route lookup may answer at once.
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

static void
out_route_cb(uint64_t id, const struct route_result *res, void *arg)
{
	struct s2s_stream *s = s2s_stream_find((uint64_t)(uintptr_t)arg);

	if (s == NULL || s->dir != S2S_OUT || s->state != S2S_ST_RESOLVING)
		return;
	s->route_req = 0;
	if (res->status != ROUTE_OK || res->n == 0) {
		char why[600];

		snprintf(why, sizeof(why), "no route to %s: %s", s->remote,
		    res->error ? res->error : "not found");
		log_warnx(LOG_MOD, "outbound stream id=%llu local=%s remote=%s: %s",
		    (unsigned long long)s->id, s->local, s->remote, why);
		out_give_up(s, res->status == ROUTE_TIMEOUT ?
		    XL_ERR_REMOTE_SERVER_TIMEOUT : XL_ERR_REMOTE_SERVER_NOT_FOUND,
		    why);
		return;
	}
	s->cands = calloc(res->n, sizeof(*s->cands));
	if (s->cands == NULL) {
		out_give_up(s, XL_ERR_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	memcpy(s->cands, res->c, res->n * sizeof(*s->cands));
	s->ncands = res->n;
	s->cand_i = s->addr_i = 0;
	out_try(s);
}

static void
out_start_resolve(struct s2s_stream *s)
{
	const struct config *cfg = config_current();
	uint64_t rid;

	s2s_enter_state(s, S2S_ST_RESOLVING);
	s->deadline_ms = loop_now_ms() + 2 * cfg->connect_timeout_ms;
	s2s_timer_arm(s);
	rid = route_lookup(s->remote, ROUTE_SIDE_XMPP, ROUTE_RESOLVE,
	    out_route_cb, (void *)(uintptr_t)s->id);
	if (s->state != S2S_ST_RESOLVING)
		return;		/* answered during the call */
	if (rid == 0) {
		out_give_up(s, XL_ERR_REMOTE_SERVER_NOT_FOUND,
		    "route lookup could not start");
		return;
	}
	s->route_req = rid;
}

/* Connect to the next address of the current candidate, or the next one. */
static void
out_try(struct s2s_stream *s)
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
			s2s_out_connected(s, 1, NULL);
		else
			s2s_io_update(s);
		return;
	}
	out_give_up(s, XL_ERR_REMOTE_SERVER_NOT_FOUND, "no candidate reachable");
}

/*
 * Anything that goes wrong before the stream is authenticated: try the
 * next address, unless the peer refused us (authfail) or we ran out.
 */
void
s2s_out_failed(struct s2s_stream *s, const char *why)
{
	log_warnx(LOG_MOD, "outbound attempt failed id=%llu peer=%s local=%s "
	    "remote=%s state=%s: %s", (unsigned long long)s->id,
	    s->peer[0] ? s->peer : "-", s->local, s->remote,
	    s2s_strstate(s->state), why);
	snprintf(s->fail_text, sizeof(s->fail_text), "%s", why);
	if (s->authfail) {
		s2s_stream_free(s, why);
		return;
	}
	s2s_detach(s);
	out_try(s);
}

void
s2s_out_timeout(struct s2s_stream *s)
{
	char why[80];

	switch (s->state) {
	case S2S_ST_NEW:
		out_start_resolve(s);
		return;
	case S2S_ST_RESOLVING:
		route_cancel(s->route_req);
		s->route_req = 0;
		out_give_up(s, XL_ERR_REMOTE_SERVER_TIMEOUT, "route lookup timed out");
		return;
	default:
		s->fail_cond = XL_ERR_REMOTE_SERVER_TIMEOUT;
		snprintf(why, sizeof(why), "timeout in state %s",
		    s2s_strstate(s->state));
		s2s_out_failed(s, why);
		return;
	}
}

/* ---- connection, TLS, header -------------------------------------- */

static void
out_send_header(struct s2s_stream *s)
{
	s2s_enter_state(s, S2S_ST_HEADER);
	s2s_send_header(s, s->local, s->remote, NULL);
}

void
s2s_out_connected(struct s2s_stream *s, int ok, const char *err)
{
	if (!ok) {
		s2s_out_failed(s, err ? err : "connect failed");
		return;
	}
	log_info(LOG_MOD, "stream connected id=%llu dir=out peer=%s local=%s "
	    "remote=%s%s", (unsigned long long)s->id, s->peer, s->local,
	    s->remote, (s->flags & S2S_F_DIRECT_TLS) ? " direct-tls" : "");
	if (s->flags & S2S_F_DIRECT_TLS) {
		if (s2s_tls_begin(s, 0) != 0) {
			s2s_out_failed(s, "TLS is not available");
			return;
		}
		s2s_io_update(s);
		return;
	}
	out_send_header(s);
	s2s_io_update(s);
}

/* TLS is up: check the certificate now if policy demands it. */
void
s2s_out_tls_done(struct s2s_stream *s)
{
	struct s2s_policy p;
	char why[256], text[600];

	s2s_policy_for(s->remote, &p);
	if (s2s_peer_cert_why(s, s->remote, why, sizeof(why)) == NULL)
		s->flags |= S2S_F_CERT_OK;
	else if (p.require_certs) {
		snprintf(text, sizeof(text), "certificate of %s: %s", s->remote,
		    why);
		s2s_out_failed(s, text);
		return;
	}
	out_send_header(s);
}

void
s2s_out_header(struct s2s_stream *s, const struct xnode *h)
{
	const char *id = xnode_attr(h, "id"), *ver = xnode_attr(h, "version");
	struct xnode *none;

	if (s2s_check_header(s, h) != 0)
		return;
	s->sid[0] = '\0';
	if (id && strlen(id) < sizeof(s->sid))
		snprintf(s->sid, sizeof(s->sid), "%s", id);
	if (ver && strtol(ver, NULL, 10) >= 1) {
		s2s_enter_state(s, S2S_ST_FEATURES);
		return;
	}
	/* a pre-RFC 6120 peer sends no features: dialback right away */
	if (s->flags & S2S_F_SASL) {
		s2s_stream_error(s, "unsupported-version", NULL);
		return;
	}
	s2s_enter_state(s, S2S_ST_FEATURES);
	if ((none = xnode_new(XMPP_NS_STREAM, "features")) == NULL) {
		s2s_stream_free(s, "out of memory");
		return;
	}
	out_features(s, none);
	xnode_free(none);
}

/* ---- authentication ------------------------------------------------ */

static void
out_ready(struct s2s_stream *s, const char *method)
{
	s->auth = method;
	if (!strcmp(method, "dialback")) {
		s->flags |= S2S_F_DIALBACK;
		metric_inc(s2s_m.auth_dialback);
	} else
		metric_inc(s2s_m.auth_sasl);
	s->flags |= S2S_F_VERIFY_OK | S2S_F_AUTHED;
	s->last_stanza_ms = loop_now_ms();
	s2s_enter_state(s, S2S_ST_READY);
	log_info(LOG_MOD, "outbound stream authenticated id=%llu peer=%s "
	    "local=%s remote=%s method=%s tls=%s", (unsigned long long)s->id,
	    s->peer, s->local, s->remote, method,
	    (s->flags & S2S_F_TLS) ? xtls_version(xconn_ssl(s->conn)) : "none");
	s2s_timer_arm(s);
	link_on_ready(s->link, s);
}

static void
out_start_dialback(struct s2s_stream *s)
{
	char key[DIALBACK_KEY_LEN + 1];

	if (!s->sid[0]) {
		s->authfail = 1;
		s2s_stream_error(s, "undefined-condition",
		    "no stream id: dialback is impossible");
		return;
	}
	if (dialback_key(s->remote, s->local, s->sid, key) != 0) {
		s->authfail = 1;
		s2s_stream_error(s, "internal-server-error", "no dialback key");
		return;
	}
	s2s_sendf(s, "<db:result from='%s' to='%s'>%s</db:result>", s->local,
	    s->remote, key);
	s2s_enter_state(s, S2S_ST_DIALBACK);
	s->flags |= S2S_F_VERIFY_OK;
	link_on_verify_possible(s->link, s);
}

/* Base64 of our domain, the SASL EXTERNAL authorization identity. */
static void
out_send_auth(struct s2s_stream *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *in = (const unsigned char *)s->local;
	size_t n = strlen(s->local), o = 0;
	char b64[((S2S_DOMAIN_MAX + 2) / 3) * 4 + 1];

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		b64[o++] = tab[(v >> 18) & 63];
		b64[o++] = tab[(v >> 12) & 63];
		b64[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		b64[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	b64[o] = '\0';
	s2s_sendf(s, "<auth xmlns='" XMPP_NS_SASL "' mechanism='EXTERNAL'>%s"
	    "</auth>", b64);
	s2s_enter_state(s, S2S_ST_SASL);
}

static int
features_offer_external(struct xnode *el)
{
	struct xnode *m = xnode_child(el, XMPP_NS_SASL, "mechanisms");

	for (struct xnode *c = m ? xnode_first_elem(m) : NULL; c;
	    c = xnode_next_elem(c))
		if (!strcmp(xnode_name(c), "mechanism") &&
		    !strcmp(xnode_text(c, NULL), "EXTERNAL"))
			return 1;
	return 0;
}

/* <stream:features/>: pick TLS, then SASL EXTERNAL, then dialback. */
static void
out_features(struct s2s_stream *s, struct xnode *el)
{
	struct xnode *tls = xnode_child(el, XMPP_NS_TLS, "starttls");
	struct s2s_policy p;

	s2s_policy_for(s->remote, &p);
	if (xnode_child(el, XMPP_NS_DB_FEATURE, "dialback"))
		s->flags |= S2S_F_PEER_DB;
	if (s->flags & S2S_F_SASL) {
		out_ready(s, "sasl-external");
		return;
	}
	if (!(s->flags & S2S_F_TLS)) {
		if (tls && p.security != XMPP_SEC_NO_TLS && p.tls_available) {
			s2s_sendf(s, "<starttls xmlns='" XMPP_NS_TLS "'/>");
			s2s_enter_state(s, S2S_ST_STARTTLS);
			return;
		}
		if (p.security == XMPP_SEC_TLS_REQUIRED) {
			s->authfail = 1;
			s2s_stream_error(s, "policy-violation",
			    "encrypted server-to-server communication is required");
			return;
		}
		if (tls && xnode_child(tls, XMPP_NS_TLS, "required")) {
			s->authfail = 1;
			s2s_stream_error(s, "unsupported-feature",
			    "TLS is not used with this domain");
			return;
		}
	}
	if ((s->flags & S2S_F_TLS) && p.sasl_out && !(s->flags & S2S_F_SASL_FAILED) &&
	    features_offer_external(el)) {
		out_send_auth(s);
		return;
	}
	if (p.dialback && (s->flags & S2S_F_PEER_DB)) {
		out_start_dialback(s);
		return;
	}
	s->authfail = 1;
	s2s_stream_error(s, "unsupported-feature",
	    "no authentication method we may use was offered");
}

static void
out_proceed(struct s2s_stream *s, struct xnode *el)
{
	if (s2s_tls_begin(s, 0) != 0) {
		s2s_out_failed(s, "TLS is not available");
		return;
	}
	if (s->parser)
		xparser_halt(s->parser);
	s2s_io_update(s);
}

static void
out_tls_failure(struct s2s_stream *s, struct xnode *el)
{
	s2s_out_failed(s, "the peer refused STARTTLS");
}

static void
out_sasl_success(struct s2s_stream *s, struct xnode *el)
{
	s->flags |= S2S_F_SASL;
	s->flags |= S2S_F_RESTART;
	if (s->parser)
		xparser_halt(s->parser);
	out_send_header(s);
}

static void
out_sasl_failure(struct s2s_stream *s, struct xnode *el)
{
	struct s2s_policy p;

	s2s_policy_for(s->remote, &p);
	s->flags |= S2S_F_SASL_FAILED;
	log_warnx(LOG_MOD, "SASL EXTERNAL refused by the peer id=%llu remote=%s",
	    (unsigned long long)s->id, s->remote);
	if (p.dialback && (s->flags & S2S_F_PEER_DB)) {
		out_start_dialback(s);
		return;
	}
	s->authfail = 1;
	snprintf(s->fail_text, sizeof(s->fail_text),
	    "%s refused our certificate", s->remote);
	s2s_stream_close(s, s->fail_text);
}

/* The receiving server's verdict on our key (XEP-0220 2.1.1). */
static void
out_db_result(struct s2s_stream *s, struct xnode *el)
{
	const char *type = xnode_attr(el, "type");
	const char *from = xnode_attr(el, "from"), *to = xnode_attr(el, "to");

	if (s->state != S2S_ST_DIALBACK || type == NULL || from == NULL ||
	    to == NULL || strcasecmp(from, s->remote) || strcasecmp(to, s->local)) {
		s2s_stream_error(s, "not-authorized", "unsolicited dialback result");
		return;
	}
	if (!strcmp(type, "valid")) {
		out_ready(s, "dialback");
		return;
	}
	s->authfail = 1;
	metric_inc(s2s_m.auth_failures);
	if (!strcmp(type, "invalid")) {
		s->fail_cond = XL_ERR_INTERNAL_SERVER_ERROR;
		snprintf(s->fail_text, sizeof(s->fail_text),
		    "%s rejected our dialback key", s->remote);
	} else {
		s->fail_cond = XL_ERR_REMOTE_SERVER_TIMEOUT;
		snprintf(s->fail_text, sizeof(s->fail_text),
		    "%s could not verify our dialback key", s->remote);
	}
	log_warnx(LOG_MOD, "outbound dialback failed id=%llu local=%s remote=%s: "
	    "%s", (unsigned long long)s->id, s->local, s->remote, s->fail_text);
	s2s_stream_close(s, s->fail_text);
}

/* The authoritative server answers a <db:verify/> we sent (XEP-0220 2.1.2). */
static void
out_db_verify(struct s2s_stream *s, struct xnode *el)
{
	const char *type = xnode_attr(el, "type"), *id = xnode_attr(el, "id");
	const char *from = xnode_attr(el, "from"), *to = xnode_attr(el, "to");
	int result;

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

static const struct s2s_handler out_handlers[] = {
	{ XMPP_NS_STREAM, "features", ST(FEATURES), out_features },
	{ XMPP_NS_TLS, "proceed", ST(STARTTLS), out_proceed },
	{ XMPP_NS_TLS, "failure", ST(STARTTLS), out_tls_failure },
	{ XMPP_NS_SASL, "success", ST(SASL), out_sasl_success },
	{ XMPP_NS_SASL, "failure", ST(SASL), out_sasl_failure },
	{ XMPP_NS_DIALBACK, "result", ST(DIALBACK) | ST(READY), out_db_result },
	{ XMPP_NS_DIALBACK, "verify", ST(DIALBACK) | ST(READY), out_db_verify },
	{ NULL, NULL, 0, NULL },
};

void
s2s_out_element(struct s2s_stream *s, struct xnode *el)
{
	int r = s2s_dispatch(s, out_handlers, el);

	if (r == -2)
		s2s_stream_error(s, "policy-violation", "element out of order");
	else if (r == -1)
		s2s_stream_error(s, "unsupported-stanza-type",
		    "this stream carries no stanzas toward us");
}

/* ---- for the link -------------------------------------------------- */

int
s2s_out_can_write(const struct s2s_stream *s)
{
	return s->state == S2S_ST_READY && s->conn &&
	    evbuffer_get_length(s->out) < S2S_OUT_HIGH;
}

int
s2s_out_write(struct s2s_stream *s, const char *data, size_t len)
{
	if (s->state != S2S_ST_READY)
		return -1;
	s2s_send(s, data, len);
	if (s->state == S2S_ST_DEAD)
		return -1;
	s->stanzas_out++;
	metric_inc(s2s_m.stanzas_out);
	s->last_stanza_ms = loop_now_ms();
	return 0;
}

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
	int failed = !(s->flags & S2S_F_AUTHED);

	if (s->route_req) {
		route_cancel(s->route_req);
		s->route_req = 0;
	}
	if (s->link == NULL)
		return;
	link_on_stream_gone(s->link, s, failed, s->fail_cond ? s->fail_cond :
	    XL_ERR_REMOTE_SERVER_NOT_FOUND, s->fail_text[0] ? s->fail_text :
	    s->reason);
	s->link = NULL;
}
