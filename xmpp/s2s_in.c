/*
 * s2s_in: the inbound stream state machine. We are the receiving server
 * (a peer wants to send us stanzas from its domains) and, on the same
 * streams, the authoritative server for keys our own outbound streams
 * sent (<db:verify/>).
 *
 *   accept -> [tls-handshake] -> wait-header -> open -> ready
 *                  ^  starttls: <proceed/>, restart   |  |
 *                  +----------------------------------+  |
 *        SASL EXTERNAL <success/>: restart -> wait-header (authenticated)
 *
 * The stream's life is one state x event function, in_fsm(), with its
 * entry actions in in_enter() (STYLE rule 4); each domain pair the peer
 * authenticates by dialback has its own small life (pending -> valid) in
 * the stream's pair list.
 *
 * A peer proves each of its domains by SASL EXTERNAL (certificate) or by
 * dialback (the key is checked with its authoritative server over our
 * outbound link; s2s_recv.c). Stanzas are accepted only in "ready", only
 * from a domain proven on this stream and only to one of ours: anything
 * else is a stream error, never a delivery.
 *
 * XEP-0288: we offer bidi with the other features; a peer that sends
 * <bidi/> takes our stanzas on this stream too, from each of our domains
 * to each of its domains proven here (s2s_recv.c tells the links), so
 * that no second connection is needed.
 */
#include "config.h"
#include "xmpp/s2s_int.h"
#include "xmpp/conn.h"
#include "xmpp/link.h"
#include "xmpp/parser.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_conv.h"
#include "xmpp/tls.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/loop.h"
#include "core/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/rand.h>

/* A fresh stream id: random, with our numeric id to find it again. */
static void
in_new_sid(struct s2s_stream *s)
{
	unsigned char r[8];
	static const char hex[] = "0123456789abcdef";
	char rnd[17];

	if (RAND_bytes(r, sizeof(r)) != 1)
		fatalx(LOG_MOD, "no randomness for stream ids");
	for (size_t i = 0; i < sizeof(r); i++) {
		rnd[2 * i] = hex[r[i] >> 4];
		rnd[2 * i + 1] = hex[r[i] & 0xf];
	}
	rnd[16] = '\0';
	snprintf(s->sid, sizeof(s->sid), "%s-%llu", rnd,
	    (unsigned long long)s->id);
}

enum in_event {
	IEV_ACCEPTED,		/* a connection on a listener */
	IEV_TLS_UP,		/* TLS handshake finished */
	IEV_HEADER,		/* the peer's (re)started stream header, checked */
	IEV_STARTTLS,		/* <starttls/> accepted */
	IEV_SASL_SUCCESS,	/* SASL EXTERNAL accepted: the peer restarts */
	IEV_DOMAIN_VALID,	/* a domain pair passed dialback */
	IEV_TIMEOUT,		/* not authenticated in time */
};

static const char *const in_event_names[] = {
	"accepted", "tls-up", "header", "starttls", "sasl-success",
	"domain-valid", "timeout",
};

static void in_send_features(struct s2s_stream *s);

/* Enter st and do what entering it means. */
static void
in_enter(struct s2s_stream *s, enum s2s_state st)
{
	s2s_enter_state(s, st);
	switch (st) {
	case S2S_ST_TLS:
		if (s2s_tls_begin(s, 1) != 0) {
			s2s_stream_free(s, "TLS is not available");
			return;
		}
		break;
	case S2S_ST_OPEN:
	case S2S_ST_READY:
		/* our answer to a (re)started stream: header, then features */
		if (!(s->flags & S2S_F_HEADER_SENT)) {
			s2s_send_header(s, s->local, s->remote, s->sid);
			if (s->flags & S2S_F_PEER_V1)
				in_send_features(s);
		}
		if (st == S2S_ST_READY) {
			s->last_stanza_ms = loop_now_ms();
			s2s_bidi_announce(s);
		}
		break;
	default:
		break;
	}
	if (s->state == S2S_ST_DEAD)
		return;
	s2s_timer_arm(s);
	s2s_io_update(s);
}

/* A restart (after TLS or SASL): the peer sends a new header, we answer it. */
static void
in_restart(struct s2s_stream *s)
{
	s->flags &= ~S2S_F_HEADER_SENT;
	in_enter(s, S2S_ST_HEADER);
}

/* State x event for the stream's life. */
static void
in_fsm(struct s2s_stream *s, enum in_event ev)
{
	log_debug(LOG_MOD, "inbound event %s in state %s id=%llu",
	    in_event_names[ev], s2s_strstate(s->state),
	    (unsigned long long)s->id);
	switch (s->state) {
	case S2S_ST_NEW:
		if (ev == IEV_ACCEPTED) {
			in_enter(s, (s->flags & S2S_F_DIRECT_TLS) ? S2S_ST_TLS :
			    S2S_ST_HEADER);
			return;
		}
		break;
	case S2S_ST_TLS:
		if (ev == IEV_TLS_UP) {
			in_restart(s);
			return;
		}
		break;
	case S2S_ST_HEADER:
		if (ev == IEV_HEADER) {
			in_enter(s, (s->flags & S2S_F_SASL) ? S2S_ST_READY :
			    S2S_ST_OPEN);
			return;
		}
		break;
	case S2S_ST_OPEN:
		if (ev == IEV_STARTTLS) {
			/* TLS starts once <proceed/> is written (the core);
			   no more plaintext is parsed */
			s2s_sendf(s, "<proceed xmlns='" XMPP_NS_TLS "'/>");
			/* XEP-0288: bidi is asked for after TLS, not before */
			s->flags &= ~S2S_F_BIDI;
			s->flags |= S2S_F_TLS_ON_FLUSH;
			if (s->parser)
				xparser_halt(s->parser);
			return;
		}
		if (ev == IEV_SASL_SUCCESS) {
			s2s_sendf(s, "<success xmlns='" XMPP_NS_SASL "'/>");
			s->flags |= S2S_F_SASL | S2S_F_RESTART;
			if (s->parser)
				xparser_halt(s->parser);
			in_restart(s);
			return;
		}
		if (ev == IEV_DOMAIN_VALID) {
			in_enter(s, S2S_ST_READY);
			return;
		}
		break;
	case S2S_ST_READY:
		if (ev == IEV_DOMAIN_VALID) {
			/* one more domain on this stream */
			s2s_bidi_announce(s);
			return;
		}
		break;
	default:
		break;
	}
	if (ev == IEV_TIMEOUT) {
		s2s_stream_error(s, "connection-timeout", "not authenticated in time");
		return;
	}
	log_warnx(LOG_MOD, "inbound event %s not expected in state %s id=%llu",
	    in_event_names[ev], s2s_strstate(s->state), (unsigned long long)s->id);
}

/* ---- accept ------------------------------------------------------- */

void
s2s_in_accept(int fd, const struct sockaddr_storage *peer, int direct_tls)
{
	const struct config *cfg = config_current();
	struct s2s_stream *s;
	const char *refuse = NULL;

	if (s2s_count() >= cfg->max_streams)
		refuse = "too many streams";
	else if (s2s_count_ip(peer) >= cfg->max_streams_per_ip)
		refuse = "too many streams from your address";
	if ((s = s2s_stream_new(S2S_IN)) == NULL) {
		close(fd);
		return;
	}
	if (s2s_attach(s, fd, peer) != 0) {
		s2s_stream_free(s, "out of memory");
		return;
	}
	log_info(LOG_MOD, "stream accepted id=%llu dir=in peer=%s%s",
	    (unsigned long long)s->id, s->peer, direct_tls ? " direct-tls" : "");
	s->deadline_ms = loop_now_ms() + 3 * cfg->connect_timeout_ms;
	if (refuse) {
		metric_inc(s2s_m.refused_limits);
		if (direct_tls)
			s2s_stream_free(s, refuse);
		else
			s2s_stream_error(s, "resource-constraint", refuse);
		return;
	}
	if (direct_tls)
		s->flags |= S2S_F_DIRECT_TLS;
	in_fsm(s, IEV_ACCEPTED);
}

void
s2s_in_tls_done(struct s2s_stream *s)
{
	in_fsm(s, IEV_TLS_UP);
}

/* ---- header and features ------------------------------------------ */

static void
in_send_features(struct s2s_stream *s)
{
	struct s2s_policy p;
	char why[256];
	const char *tls = "no";
	int external = 0, dialback = 0, bidi = 0;

	s2s_policy_for(s->remote, &p);
	s2s_sendf(s, "<stream:features>");
	if (!(s->flags & S2S_F_TLS) && p.security != XMPP_SEC_NO_TLS &&
	    p.tls_available) {
		tls = p.security == XMPP_SEC_TLS_REQUIRED ? "required" : "optional";
		s2s_sendf(s, "<starttls xmlns='" XMPP_NS_TLS "'>%s</starttls>",
		    p.security == XMPP_SEC_TLS_REQUIRED ? "<required/>" : "");
	}
	/* with TLS mandatory, nothing else is offered before it (RFC 6120 §5.3.1) */
	if ((s->flags & S2S_F_TLS) || p.security != XMPP_SEC_TLS_REQUIRED) {
		if ((s->flags & S2S_F_TLS) && !(s->flags & S2S_F_SASL) &&
		    p.sasl_in && s->remote[0] &&
		    s2s_peer_cert_why(s, s->remote, why, sizeof(why)) == NULL) {
			s2s_sendf(s, "<mechanisms xmlns='" XMPP_NS_SASL "'>"
			    "<mechanism>EXTERNAL</mechanism></mechanisms>");
			s->flags |= S2S_F_EXTERNAL_OFFERED;
			external = 1;
		}
		if (p.dialback) {
			s2s_sendf(s, "<dialback xmlns='" XMPP_NS_DB_FEATURE
			    "'><errors/></dialback>");
			dialback = 1;
		}
		/* XEP-0288: before authentication (and after TLS, if any) */
		if (config_current()->xmpp_bidi && !(s->flags & S2S_F_SASL)) {
			s2s_sendf(s, "<bidi xmlns='" XMPP_NS_BIDI_FEATURE "'/>");
			s->flags |= S2S_F_BIDI_OFFERED;
			bidi = 1;
		}
	}
	s2s_sendf(s, "</stream:features>");
	log_debug(LOG_MOD, "features offered id=%llu remote=%s starttls=%s "
	    "sasl-external=%s dialback=%s bidi=%s", (unsigned long long)s->id,
	    s->remote[0] ? s->remote : "-", tls, external ? "yes" : "no",
	    dialback ? "yes" : "no", bidi ? "yes" : "no");
}

/*
 * Check the addressing of a (re)started stream: 'to' must be ours, 'from'
 * a well-formed foreign domain, and after a restart both must stay what
 * they were. Sends the stream error and returns -1 when not.
 */
static int
in_header_addressing(struct s2s_stream *s, const char *to, const char *from)
{
	const struct config *cfg = config_current();
	char t[S2S_DOMAIN_MAX] = "", f[S2S_DOMAIN_MAX] = "";

	if (to && (conv_domain_normalize(to, t, sizeof(t)) != 0 ||
	    !config_is_local_domain(cfg, t))) {
		s2s_stream_error(s, "host-unknown", "not a domain served here");
		return -1;
	}
	if (from && (conv_domain_normalize(from, f, sizeof(f)) != 0 ||
	    config_is_local_domain(cfg, f))) {
		s2s_stream_error(s, "invalid-from", "not a valid remote domain");
		return -1;
	}
	if ((s->flags & (S2S_F_TLS | S2S_F_SASL)) && s->local[0] &&
	    ((t[0] && strcmp(t, s->local)) || (f[0] && s->remote[0] &&
	    strcmp(f, s->remote)))) {
		s2s_stream_error(s, "improper-addressing",
		    "the restarted stream changed its to or from");
		return -1;
	}
	if (t[0])
		snprintf(s->local, sizeof(s->local), "%s", t);
	if (f[0] && !s->remote[0])
		snprintf(s->remote, sizeof(s->remote), "%s", f);
	return 0;
}

void
s2s_in_header(struct s2s_stream *s, const struct xnode *h)
{
	const char *ver = xnode_attr(h, "version");

	in_new_sid(s);
	if (s2s_check_header(s, h) != 0 ||
	    in_header_addressing(s, xnode_attr(h, "to"),
	    xnode_attr(h, "from")) != 0)
		return;
	s->flags &= ~S2S_F_PEER_V1;
	if (ver && strtol(ver, NULL, 10) >= 1)
		s->flags |= S2S_F_PEER_V1;
	in_fsm(s, IEV_HEADER);
}

/* ---- STARTTLS and SASL EXTERNAL ----------------------------------- */

static void
in_starttls(struct s2s_stream *s, struct xnode *el)
{
	struct s2s_policy p;

	s2s_policy_for(s->remote, &p);
	if ((s->flags & S2S_F_TLS) || p.security == XMPP_SEC_NO_TLS ||
	    !p.tls_available) {
		s2s_sendf(s, "<failure xmlns='" XMPP_NS_TLS "'/>"
		    "</stream:stream>");
		s->flags |= S2S_F_CLOSE_ON_FLUSH;
		snprintf(s->reason, sizeof(s->reason), "STARTTLS refused");
		return;
	}
	in_fsm(s, IEV_STARTTLS);
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode base64 (RFC 4648) into out; -1 when malformed or too long. */
static int
b64_decode(const char *in, char *out, size_t outlen)
{
	size_t n = 0, bits = 0;
	unsigned acc = 0;

	for (; *in && *in != '='; in++) {
		int v = b64_val((unsigned char)*in);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outlen)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return 0;
}

static void
in_sasl_failure(struct s2s_stream *s, const char *cond, const char *why)
{
	metric_inc(s2s_m.auth_failures);
	log_warnx(LOG_MOD, "SASL EXTERNAL refused id=%llu peer=%s remote=%s "
	    "cond=%s: %s", (unsigned long long)s->id, s->peer,
	    s->remote[0] ? s->remote : "-", cond, why);
	s2s_sendf(s, "<failure xmlns='" XMPP_NS_SASL "'><%s/></failure>", cond);
	/* the peer may still try dialback if our policy allows it */
	s->flags &= ~S2S_F_EXTERNAL_OFFERED;
}

static void
in_sasl_auth(struct s2s_stream *s, struct xnode *el)
{
	const struct config *cfg = config_current();
	const char *mech = xnode_attr(el, "mechanism"), *text;
	char authz[S2S_DOMAIN_MAX], why[256];
	struct policy_decision dec;
	struct s2s_dbpair *p;

	if (!(s->flags & S2S_F_EXTERNAL_OFFERED) || mech == NULL ||
	    strcmp(mech, "EXTERNAL")) {
		in_sasl_failure(s, "invalid-mechanism", "not offered");
		return;
	}
	text = xnode_text(el, NULL);
	if (!strcmp(text, "=") || text[0] == '\0')
		authz[0] = '\0';
	else if (b64_decode(text, authz, sizeof(authz)) != 0) {
		in_sasl_failure(s, "incorrect-encoding", "bad base64");
		return;
	}
	if (authz[0] && strcasecmp(authz, s->remote)) {
		in_sasl_failure(s, "invalid-authzid", "not the stream's domain");
		return;
	}
	if (s2s_peer_cert_why(s, s->remote, why, sizeof(why)) != NULL) {
		in_sasl_failure(s, "not-authorized", why);
		return;
	}
	if (!policy_check(cfg, s->remote, POLICY_DIR_INBOUND, &dec)) {
		in_sasl_failure(s, "not-authorized", dec.rule);
		return;
	}
	if (s2s_recv_domain_limit(s, s->remote) != 0)
		return;
	if ((p = s2s_pair_add(s, s->remote, "")) == NULL) {
		s2s_stream_error(s, "resource-constraint", "too many domains");
		return;
	}
	p->st = DBP_VALID;
	s->auth = "sasl-external";
	metric_inc(s2s_m.auth_sasl);
	log_info(LOG_MOD, "inbound stream authenticated id=%llu peer=%s "
	    "remote=%s local=%s method=sasl-external tls=%s bidi=%s",
	    (unsigned long long)s->id, s->peer, s->remote, s->local,
	    xtls_version(xconn_ssl(s->conn)),
	    (s->flags & S2S_F_BIDI) ? "yes" : "no");
	in_fsm(s, IEV_SASL_SUCCESS);
}

/* ---- dispatch ----------------------------------------------------- */

/* ---- XEP-0288 ----------------------------------------------------- */

/*
 * <bidi/>: the peer will take our stanzas on this stream, for the pairs
 * it proves here. Only after we offered it; the XEP asks for it before
 * authentication, but a peer that asks between two dialback pairs is
 * served as well.
 */
static void
in_bidi(struct s2s_stream *s, struct xnode *el)
{
	if (!(s->flags & S2S_F_BIDI_OFFERED)) {
		s2s_stream_error(s, "unsupported-feature",
		    "bidirectional streams were not offered");
		return;
	}
	if (s->flags & S2S_F_BIDI)
		return;
	s->flags |= S2S_F_BIDI;
	metric_inc(s2s_m.bidi);
	log_debug(LOG_MOD, "bidirectional stream requested id=%llu peer=%s "
	    "remote=%s", (unsigned long long)s->id, s->peer,
	    s->remote[0] ? s->remote : "-");
	if (s->state == S2S_ST_READY)
		s2s_bidi_announce(s);
}

/* ---- dispatch ----------------------------------------------------- */

static const struct s2s_handler in_handlers[] = {
	{ XMPP_NS_TLS, "starttls", ST(OPEN), in_starttls },
	{ XMPP_NS_SASL, "auth", ST(OPEN), in_sasl_auth },
	{ XMPP_NS_BIDI, "bidi", ST(OPEN) | ST(READY), in_bidi },
	{ XMPP_NS_DIALBACK, "result", ST(OPEN) | ST(READY), s2s_recv_db_result },
	{ XMPP_NS_DIALBACK, "verify", ST(OPEN) | ST(READY), s2s_recv_db_verify },
	{ XMPP_NS_SERVER, "message", ST(READY), s2s_recv_stanza },
	{ XMPP_NS_SERVER, "presence", ST(READY), s2s_recv_stanza },
	{ XMPP_NS_SERVER, "iq", ST(READY), s2s_recv_stanza },
	{ NULL, NULL, 0, NULL },
};

void
s2s_in_element(struct s2s_stream *s, struct xnode *el)
{
	const char *ns = xnode_ns(el);
	int r = s2s_dispatch(s, in_handlers, el);

	if (r == 0)
		return;
	if (r == -2 && !strcmp(ns, XMPP_NS_SERVER))
		s2s_stream_error(s, "not-authorized",
		    "stanza before authentication");
	else if (r == -2)
		s2s_stream_error(s, "policy-violation",
		    "negotiation element out of order");
	else if (!strcmp(ns, XMPP_NS_CLIENT))
		s2s_stream_error(s, "invalid-namespace",
		    "stanzas on a server stream are in jabber:server");
	else
		s2s_stream_error(s, "unsupported-stanza-type", NULL);
}

/* Dialback answers that did not come in time; a stream that never authenticated. */
void
s2s_in_timeout(struct s2s_stream *s, uint64_t now)
{
	s2s_recv_timeout(s, now);
	if (s->state != S2S_ST_READY && s->state != S2S_ST_CLOSING &&
	    s->state != S2S_ST_DEAD && now >= s->deadline_ms)
		in_fsm(s, IEV_TIMEOUT);
}

void
s2s_in_domain_valid(struct s2s_stream *s)
{
	in_fsm(s, IEV_DOMAIN_VALID);
}

void
s2s_in_gone(struct s2s_stream *s)
{
	s2s_bidi_withdraw(s);
}
