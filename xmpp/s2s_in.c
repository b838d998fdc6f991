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
 * outbound link). Stanzas are accepted only in "ready", only from a
 * domain proven on this stream and only to one of ours: anything else is a
 * stream error, never a delivery.
 */
#include "config.h"
#include "xmpp/s2s_int.h"
#include "xmpp/conn.h"
#include "xmpp/dialback.h"
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

#define IN_MAX_PAIRS	64	/* domain pairs on one inbound stream */

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
		if (st == S2S_ST_READY)
			s->last_stanza_ms = loop_now_ms();
		break;
	default:
		break;
	}
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
		if (ev == IEV_DOMAIN_VALID)
			return;		/* one more domain on this stream */
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

static struct s2s_dbpair *
in_pair_find(struct s2s_stream *s, const char *from, const char *to)
{
	for (size_t i = 0; i < s->npairs; i++)
		if (!strcmp(s->pairs[i].from, from) &&
		    !strcmp(s->pairs[i].to, to))
			return &s->pairs[i];
	return NULL;
}

static struct s2s_dbpair *
in_pair_add(struct s2s_stream *s, const char *from, const char *to)
{
	struct s2s_dbpair *p;

	if (s->npairs >= IN_MAX_PAIRS)
		return NULL;
	p = realloc(s->pairs, (s->npairs + 1) * sizeof(*p));
	if (p == NULL)
		return NULL;
	s->pairs = p;
	p = &s->pairs[s->npairs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->from, sizeof(p->from), "%s", from);
	snprintf(p->to, sizeof(p->to), "%s", to);
	return p;
}

static void
in_pair_del(struct s2s_stream *s, struct s2s_dbpair *p)
{
	size_t i = (size_t)(p - s->pairs);

	memmove(p, p + 1, (s->npairs - i - 1) * sizeof(*p));
	s->npairs--;
}

/* Is domain proven on this stream (by SASL, or by dialback for any pair)? */
static int
in_authenticated(const struct s2s_stream *s, const char *domain)
{
	for (size_t i = 0; i < s->npairs; i++)
		if (s->pairs[i].st == DBP_VALID &&
		    !strcmp(s->pairs[i].from, domain))
			return 1;
	return 0;
}

static void
in_send_features(struct s2s_stream *s)
{
	struct s2s_policy p;
	char why[256];
	const char *tls = "no";
	int external = 0, dialback = 0;

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
	}
	s2s_sendf(s, "</stream:features>");
	log_debug(LOG_MOD, "features offered id=%llu remote=%s starttls=%s "
	    "sasl-external=%s dialback=%s", (unsigned long long)s->id,
	    s->remote[0] ? s->remote : "-", tls, external ? "yes" : "no",
	    dialback ? "yes" : "no");
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
	const struct config *cfg = config_current();
	const char *ver = xnode_attr(h, "version");

	in_new_sid(s);
	if (s2s_check_header(s, h) != 0 ||
	    in_header_addressing(s, xnode_attr(h, "to"),
	    xnode_attr(h, "from")) != 0)
		return;
	if (s->remote[0] && !(s->flags & (S2S_F_TLS | S2S_F_SASL)) &&
	    s2s_count_domain(s->remote, s) >= cfg->max_streams_per_domain) {
		metric_inc(s2s_m.refused_limits);
		s2s_stream_error(s, "resource-constraint",
		    "too many streams from your domain");
		return;
	}
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
	if ((p = in_pair_add(s, s->remote, "")) == NULL) {
		s2s_stream_error(s, "resource-constraint", "too many domains");
		return;
	}
	p->st = DBP_VALID;
	s->auth = "sasl-external";
	metric_inc(s2s_m.auth_sasl);
	log_info(LOG_MOD, "inbound stream authenticated id=%llu peer=%s "
	    "remote=%s local=%s method=sasl-external tls=%s",
	    (unsigned long long)s->id, s->peer, s->remote, s->local,
	    xtls_version(xconn_ssl(s->conn)));
	in_fsm(s, IEV_SASL_SUCCESS);
}

/* ---- dialback ----------------------------------------------------- */

static void
in_db_error(struct s2s_stream *s, const char *elname, const char *from,
    const char *to, const char *id, const char *cond)
{
	s2s_sendf(s, "<db:%s from='%s' to='%s'", elname, from, to);
	if (id)
		s2s_sendf(s, " id='%s'", id);
	s2s_sendf(s, " type='error'><error type='cancel'><%s xmlns='"
	    XMPP_NS_STANZAS "'/></error></db:%s>", cond, elname);
}

/*
 * Who may try dialback as 'from' on this stream: TLS and certificate as
 * the partner's policy demands, and federation allowed. Sends the stream
 * error and returns -1 when not.
 */
static int
in_db_allowed(struct s2s_stream *s, const char *from)
{
	const struct config *cfg = config_current();
	struct policy_decision dec;
	struct s2s_policy p;
	char why[256], text[600];

	s2s_policy_for(from, &p);
	if (p.security == XMPP_SEC_TLS_REQUIRED && !(s->flags & S2S_F_TLS)) {
		s2s_stream_error(s, "policy-violation",
		    "encrypted server-to-server communication is required");
		return -1;
	}
	if (!p.dialback) {
		s2s_stream_error(s, "not-authorized",
		    "dialback is not accepted for this domain");
		return -1;
	}
	if ((s->flags & S2S_F_TLS) && p.require_certs &&
	    s2s_peer_cert_why(s, from, why, sizeof(why)) != NULL) {
		snprintf(text, sizeof(text), "your server's certificate: %s", why);
		s2s_stream_error(s, "not-authorized", text);
		return -1;
	}
	if (!policy_check(cfg, from, POLICY_DIR_INBOUND, &dec)) {
		log_warnx(LOG_MOD, "federation refused id=%llu remote=%s rule=\"%s\"",
		    (unsigned long long)s->id, from, dec.rule);
		s2s_stream_error(s, "policy-violation",
		    "federation with your domain is not allowed");
		return -1;
	}
	return 0;
}

/*
 * from/to of a dialback element, lower-cased; 'to' must be ours, else a
 * dialback error (not fatal for the stream, XEP-0220 2.4). -1 when the
 * element is done with (error sent).
 */
static int
in_db_addrs(struct s2s_stream *s, struct xnode *el, const char *elname,
    char *from, char *to, size_t len)
{
	const char *fa = xnode_attr(el, "from"), *ta = xnode_attr(el, "to");
	const char *id = xnode_attr(el, "id");

	if (fa == NULL || ta == NULL || (!strcmp(elname, "verify") && !id) ||
	    conv_domain_normalize(fa, from, len) != 0 ||
	    conv_domain_normalize(ta, to, len) != 0) {
		s2s_stream_error(s, "improper-addressing",
		    "dialback element without a valid from, to or id");
		return -1;
	}
	if (!config_is_local_domain(config_current(), to)) {
		in_db_error(s, elname, to, from, id, "item-not-found");
		return -1;
	}
	return 0;
}

/* <db:result/> from an initiating server: verify its key (XEP-0220 2.2.1). */
static void
in_db_result(struct s2s_stream *s, struct xnode *el)
{
	const struct config *cfg = config_current();
	char from[S2S_DOMAIN_MAX], to[S2S_DOMAIN_MAX];
	struct s2s_dbpair *p;
	size_t keylen;
	const char *key = xnode_text(el, &keylen);

	if (xnode_attr(el, "type")) {
		s2s_stream_error(s, "not-authorized",
		    "unsolicited dialback result");
		return;
	}
	if (in_db_addrs(s, el, "result", from, to, sizeof(from)) != 0)
		return;
	if (keylen == 0) {
		s2s_stream_error(s, "improper-addressing", "dialback without a key");
		return;
	}
	if (config_is_local_domain(cfg, from)) {
		s2s_stream_error(s, "invalid-from", "not a valid remote domain");
		return;
	}
	if (in_db_allowed(s, from) != 0)
		return;
	if ((p = in_pair_find(s, from, to)) != NULL) {
		if (p->st == DBP_VALID)
			s2s_sendf(s, "<db:result from='%s' to='%s' type='valid'/>",
			    to, from);
		return;		/* already being verified */
	}
	if ((p = in_pair_add(s, from, to)) == NULL) {
		s2s_stream_error(s, "resource-constraint", "too many domains");
		return;
	}
	p->st = DBP_PENDING;
	p->deadline_ms = loop_now_ms() + 2 * cfg->connect_timeout_ms;
	snprintf(p->sid, sizeof(p->sid), "%s", s->sid);
	if (!s->remote[0])
		snprintf(s->remote, sizeof(s->remote), "%s", from);
	log_debug(LOG_MOD, "dialback key received id=%llu from=%s to=%s: "
	    "asking the authoritative server", (unsigned long long)s->id,
	    from, to);
	link_verify_submit(to, from, s->id, s->sid, key);
	s2s_timer_arm(s);
}

void
s2s_in_verify_result(uint64_t in_id, const char *sid, const char *remote,
    const char *local, int result)
{
	struct s2s_stream *s = s2s_stream_find(in_id);
	struct s2s_dbpair *p;
	char text[600];

	if (s == NULL || s->dir != S2S_IN || (s->state != S2S_ST_OPEN &&
	    s->state != S2S_ST_READY))
		return;		/* gone meanwhile: drop (XEP-0220 2.1.2) */
	p = in_pair_find(s, remote, local);
	if (p == NULL || p->st != DBP_PENDING || strcmp(p->sid, sid))
		return;
	if (result < 0) {
		log_warnx(LOG_MOD, "dialback not verifiable id=%llu remote=%s "
		    "local=%s: authoritative server unreachable",
		    (unsigned long long)s->id, remote, local);
		in_db_error(s, "result", local, remote, NULL,
		    "remote-connection-failed");
		in_pair_del(s, p);
		return;
	}
	if (result == 0) {
		metric_inc(s2s_m.auth_failures);
		log_warnx(LOG_MOD, "dialback failed id=%llu peer=%s remote=%s "
		    "local=%s: key rejected by the authoritative server",
		    (unsigned long long)s->id, s->peer, remote, local);
		s2s_sendf(s, "<db:result from='%s' to='%s' type='invalid'/>",
		    local, remote);
		snprintf(text, sizeof(text), "dialback authentication failed for %s",
		    remote);
		s2s_stream_error(s, "not-authorized", text);
		return;
	}
	p->st = DBP_VALID;
	s2s_sendf(s, "<db:result from='%s' to='%s' type='valid'/>", local, remote);
	if (s->auth == NULL)
		s->auth = "dialback";
	metric_inc(s2s_m.auth_dialback);
	log_info(LOG_MOD, "inbound stream authenticated id=%llu peer=%s "
	    "remote=%s local=%s method=dialback tls=%s",
	    (unsigned long long)s->id, s->peer, remote, local,
	    (s->flags & S2S_F_TLS) ? xtls_version(xconn_ssl(s->conn)) : "none");
	in_fsm(s, IEV_DOMAIN_VALID);
	s2s_timer_arm(s);
}

/* <db:verify/>: we are the authoritative server for 'to' (XEP-0220 2.2.2). */
static void
in_db_verify(struct s2s_stream *s, struct xnode *el)
{
	const char *id = xnode_attr(el, "id");
	char from[S2S_DOMAIN_MAX], to[S2S_DOMAIN_MAX];
	size_t keylen;
	const char *key = xnode_text(el, &keylen);
	int valid;

	if (xnode_attr(el, "type")) {
		log_warnx(LOG_MOD, "unsolicited dialback verify answer dropped "
		    "id=%llu peer=%s", (unsigned long long)s->id, s->peer);
		return;
	}
	if (in_db_addrs(s, el, "verify", from, to, sizeof(from)) != 0)
		return;
	valid = dialback_key_check(from, to, id, key, keylen);
	if (!valid)
		log_warnx(LOG_MOD, "asked to verify a dialback key that is not "
		    "ours id=%llu peer=%s asker=%s claimed=%s",
		    (unsigned long long)s->id, s->peer, from, to);
	s2s_sendf(s, "<db:verify from='%s' to='%s' id='%s' type='%s'/>", to,
	    from, id, valid ? "valid" : "invalid");
}

/* ---- stanzas ------------------------------------------------------ */

static void
in_stanza(struct s2s_stream *s, struct xnode *el)
{
	const struct config *cfg = config_current();
	const char *from = xnode_attr(el, "from"), *to = xnode_attr(el, "to");
	char fd[XL_DOMAIN_MAX], td[XL_DOMAIN_MAX];
	struct policy_decision dec;

	if (from == NULL || to == NULL || conv_jid_domain(to, td, sizeof(td)) ||
	    conv_jid_domain(from, fd, sizeof(fd))) {
		s2s_stream_error(s, "improper-addressing",
		    "stanza without a valid from and to");
		return;
	}
	if (!in_authenticated(s, fd)) {
		s2s_stream_error(s, "invalid-from",
		    "the sender's domain is not authenticated on this stream");
		return;
	}
	if (!config_is_local_domain(cfg, td)) {
		s2s_stream_error(s, "host-unknown", "not a domain served here");
		return;
	}
	if (!policy_check(cfg, fd, POLICY_DIR_INBOUND, &dec)) {
		s2s_stream_error(s, "policy-violation",
		    "federation with your domain is not allowed");
		return;
	}
	s->stanzas_in++;
	metric_inc(s2s_m.stanzas_in);
	s->last_stanza_ms = loop_now_ms();
	xmpp_stanza_in(el);
}

/* ---- dispatch ----------------------------------------------------- */

static const struct s2s_handler in_handlers[] = {
	{ XMPP_NS_TLS, "starttls", ST(OPEN), in_starttls },
	{ XMPP_NS_SASL, "auth", ST(OPEN), in_sasl_auth },
	{ XMPP_NS_DIALBACK, "result", ST(OPEN) | ST(READY), in_db_result },
	{ XMPP_NS_DIALBACK, "verify", ST(OPEN) | ST(READY), in_db_verify },
	{ XMPP_NS_SERVER, "message", ST(READY), in_stanza },
	{ XMPP_NS_SERVER, "presence", ST(READY), in_stanza },
	{ XMPP_NS_SERVER, "iq", ST(READY), in_stanza },
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
	for (size_t i = 0; i < s->npairs;) {
		struct s2s_dbpair *p = &s->pairs[i];

		if (p->st == DBP_PENDING && now >= p->deadline_ms) {
			log_warnx(LOG_MOD, "dialback verification timed out "
			    "id=%llu remote=%s local=%s",
			    (unsigned long long)s->id, p->from, p->to);
			in_db_error(s, "result", p->to, p->from, NULL,
			    "remote-server-timeout");
			in_pair_del(s, p);
			continue;
		}
		i++;
	}
	if (s->state != S2S_ST_READY && s->state != S2S_ST_CLOSING &&
	    s->state != S2S_ST_DEAD && now >= s->deadline_ms)
		in_fsm(s, IEV_TIMEOUT);
}

void
s2s_in_gone(struct s2s_stream *s)
{
}
