/*
 * s2s_recv: what a peer may send toward us, shared by both directions.
 * A peer sends its stanzas on the streams it opened (inbound) and, once
 * XEP-0288 bidi is negotiated, on the streams we opened as well. On either
 * it must first prove each domain it sends from (a "pair" from -> to):
 *
 *   - by SASL EXTERNAL on an inbound stream (s2s_in.c);
 *   - on our own outbound stream with bidi, by being the server we
 *     connected to and authenticated with: the pair remote -> local
 *     (XEP-0288 §2.2, added by s2s_out.c);
 *   - by Server Dialback (XEP-0220), here: we are the receiving server and
 *     check the key with the peer domain's authoritative server over our
 *     own outbound link -- never over the stream the key came on, which
 *     XEP-0288 forbids.
 *
 * Every stanza is checked here before the gateway sees it. On a stream
 * with bidi, each proven pair P -> L is offered to the link of L -> P, so
 * that our stanzas go back on it instead of on a second connection.
 * We also answer <db:verify/> for the keys we made (authoritative server),
 * on inbound streams and on outbound streams with bidi.
 */
#include "config.h"
#include "xmpp/s2s_int.h"
#include "xmpp/conn.h"
#include "xmpp/dialback.h"
#include "xmpp/link.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_conv.h"
#include "xmpp/tls.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECV_MAX_PAIRS	64	/* domain pairs on one stream */

/* ---- pairs ---------------------------------------------------------- */

struct s2s_dbpair *
s2s_pair_find(struct s2s_stream *s, const char *from, const char *to)
{
	for (size_t i = 0; i < s->npairs; i++)
		if (!strcmp(s->pairs[i].from, from) &&
		    !strcmp(s->pairs[i].to, to))
			return &s->pairs[i];
	return NULL;
}

/* A new pair (pending); NULL when the stream has too many. */
struct s2s_dbpair *
s2s_pair_add(struct s2s_stream *s, const char *from, const char *to)
{
	struct s2s_dbpair *p;

	if (s->npairs >= RECV_MAX_PAIRS)
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
pair_del(struct s2s_stream *s, struct s2s_dbpair *p)
{
	size_t i = (size_t)(p - s->pairs);

	memmove(p, p + 1, (s->npairs - i - 1) * sizeof(*p));
	s->npairs--;
}

/* Our domain of a valid pair: its 'to', or the stream's for SASL (""). */
static const char *
pair_local(const struct s2s_stream *s, const struct s2s_dbpair *p)
{
	return p->to[0] ? p->to : s->local;
}

/* Is domain proven on this stream for sending to us? */
static int
pair_authenticated(const struct s2s_stream *s, const char *domain)
{
	for (size_t i = 0; i < s->npairs; i++)
		if (s->pairs[i].st == DBP_VALID &&
		    !strcmp(s->pairs[i].from, domain))
			return 1;
	return 0;
}

int
s2s_carries(const struct s2s_stream *s, const char *local, const char *remote)
{
	if (s->state != S2S_ST_READY || s->conn == NULL ||
	    (s->flags & S2S_F_FREEING))
		return 0;
	if (s->dir == S2S_OUT && !strcmp(s->local, local) &&
	    !strcmp(s->remote, remote))
		return 1;
	if (!(s->flags & S2S_F_BIDI))
		return 0;
	for (size_t i = 0; i < s->npairs; i++) {
		const struct s2s_dbpair *p = &s->pairs[i];

		if (p->st == DBP_VALID && !strcmp(p->from, remote) &&
		    !strcmp(pair_local(s, p), local))
			return 1;
	}
	return 0;
}

/* ---- XEP-0288: offering bidi streams to the links ------------------- */

/*
 * The peer proved pair P -> L on a stream with bidi: our stanzas from L
 * to P may go back on it (for SASL, L is the stream's 'to').
 */
void
s2s_bidi_announce(struct s2s_stream *s)
{
	if (!(s->flags & S2S_F_BIDI))
		return;
	/* a write below may end the stream: stop then */
	for (size_t i = 0; i < s->npairs && s->state == S2S_ST_READY; i++)
		if (s->pairs[i].st == DBP_VALID)
			link_bidi_ready(pair_local(s, &s->pairs[i]),
			    s->pairs[i].from, s);
}

/* The stream is going: the links must not write to it any more. */
void
s2s_bidi_withdraw(struct s2s_stream *s)
{
	if (!(s->flags & S2S_F_BIDI))
		return;
	for (size_t i = 0; i < s->npairs; i++)
		if (s->pairs[i].st == DBP_VALID)
			link_bidi_gone(pair_local(s, &s->pairs[i]),
			    s->pairs[i].from, s->id);
}

/* Its output went out: the links waiting for room may go on. */
void
s2s_bidi_drained(struct s2s_stream *s)
{
	for (size_t i = 0; i < s->npairs && s->state == S2S_ST_READY; i++)
		if (s->pairs[i].st == DBP_VALID)
			link_bidi_writable(pair_local(s, &s->pairs[i]),
			    s->pairs[i].from, s);
}

/* ---- limits --------------------------------------------------------- */

/*
 * max_streams_per_domain, checked when a domain is authenticated on s
 * (a claim in a stream header proves nothing, so only authenticated
 * streams count). Sends the stream error and returns -1 when over.
 */
int
s2s_recv_domain_limit(struct s2s_stream *s, const char *domain)
{
	const struct config *cfg = config_current();

	if (s->auth != NULL && !strcmp(s->remote, domain))
		return 0;		/* counted already */
	if (s2s_count_domain(domain, s) < cfg->max_streams_per_domain)
		return 0;
	metric_inc(s2s_m.refused_limits);
	log_warnx(LOG_MOD, "stream refused id=%llu peer=%s remote=%s: more "
	    "than max_streams_per_domain=%llu", (unsigned long long)s->id,
	    s->peer, domain, (unsigned long long)cfg->max_streams_per_domain);
	s2s_stream_error(s, "resource-constraint",
	    "too many streams from your domain");
	return -1;
}

/* ---- dialback: receiving server ------------------------------------ */

static void
db_error(struct s2s_stream *s, const char *elname, const char *from,
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
db_allowed(struct s2s_stream *s, const char *from)
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
db_addrs(struct s2s_stream *s, struct xnode *el, const char *elname,
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
		db_error(s, elname, to, from, id, "item-not-found");
		return -1;
	}
	return 0;
}

/*
 * <db:result/> from a peer that wants to send to us as 'from': verify its
 * key (XEP-0220 2.2.1). On an outbound stream with bidi this is the peer
 * authenticating another of its domains (XEP-0288 §2.2).
 */
void
s2s_recv_db_result(struct s2s_stream *s, struct xnode *el)
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
	if (db_addrs(s, el, "result", from, to, sizeof(from)) != 0)
		return;
	if (keylen == 0) {
		s2s_stream_error(s, "improper-addressing", "dialback without a key");
		return;
	}
	if (config_is_local_domain(cfg, from)) {
		s2s_stream_error(s, "invalid-from", "not a valid remote domain");
		return;
	}
	if (db_allowed(s, from) != 0)
		return;
	if ((p = s2s_pair_find(s, from, to)) != NULL) {
		if (p->st == DBP_VALID)
			s2s_sendf(s, "<db:result from='%s' to='%s' type='valid'/>",
			    to, from);
		return;		/* already being verified */
	}
	if ((p = s2s_pair_add(s, from, to)) == NULL) {
		s2s_stream_error(s, "resource-constraint", "too many domains");
		return;
	}
	p->st = DBP_PENDING;
	p->deadline_ms = loop_now_ms() + 2 * cfg->connect_timeout_ms;
	snprintf(p->sid, sizeof(p->sid), "%s", s->sid);
	if (!s->remote[0])
		snprintf(s->remote, sizeof(s->remote), "%s", from);
	log_debug(LOG_MOD, "dialback key received id=%llu dir=%s from=%s to=%s: "
	    "asking the authoritative server", (unsigned long long)s->id,
	    s->dir == S2S_IN ? "in" : "out", from, to);
	link_verify_submit(to, from, s->id, s->sid, key);
	s2s_timer_arm(s);
}

/* Streams that take dialback requests: inbound ones, outbound ones with bidi. */
static int
recv_takes_dialback(const struct s2s_stream *s)
{
	if (s->dir == S2S_IN)
		return s->state == S2S_ST_OPEN || s->state == S2S_ST_READY;
	return s->state == S2S_ST_READY && (s->flags & S2S_F_BIDI);
}

static void
recv_log_authenticated(struct s2s_stream *s, const char *remote,
    const char *local)
{
	const char *tls = (s->flags & S2S_F_TLS) ?
	    xtls_version(xconn_ssl(s->conn)) : "none";
	const char *bidi = (s->flags & S2S_F_BIDI) ? "yes" : "no";

	if (s->dir == S2S_IN)
		log_info(LOG_MOD, "inbound stream authenticated id=%llu peer=%s "
		    "remote=%s local=%s method=dialback tls=%s bidi=%s",
		    (unsigned long long)s->id, s->peer, remote, local, tls, bidi);
	else
		log_info(LOG_MOD, "peer domain authenticated on outbound stream "
		    "id=%llu peer=%s remote=%s local=%s method=dialback tls=%s "
		    "bidi=%s", (unsigned long long)s->id, s->peer, remote, local,
		    tls, bidi);
}

void
s2s_verify_result(uint64_t id, const char *sid, const char *remote,
    const char *local, int result)
{
	struct s2s_stream *s = s2s_stream_find(id);
	struct s2s_dbpair *p;
	char text[600];

	if (s == NULL || !recv_takes_dialback(s))
		return;		/* gone meanwhile: drop (XEP-0220 2.1.2) */
	p = s2s_pair_find(s, remote, local);
	if (p == NULL || p->st != DBP_PENDING || strcmp(p->sid, sid))
		return;
	if (result < 0) {
		log_warnx(LOG_MOD, "dialback not verifiable id=%llu remote=%s "
		    "local=%s: authoritative server unreachable",
		    (unsigned long long)s->id, remote, local);
		db_error(s, "result", local, remote, NULL,
		    "remote-connection-failed");
		pair_del(s, p);
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
	if (s2s_recv_domain_limit(s, remote) != 0)
		return;
	p->st = DBP_VALID;
	s2s_sendf(s, "<db:result from='%s' to='%s' type='valid'/>", local, remote);
	if (s->auth == NULL)
		s->auth = "dialback";
	metric_inc(s2s_m.auth_dialback);
	recv_log_authenticated(s, remote, local);
	if (s->dir == S2S_IN)
		s2s_in_domain_valid(s);
	else
		s2s_bidi_announce(s);
	if (s->state != S2S_ST_DEAD)
		s2s_timer_arm(s);
}

/* ---- dialback: authoritative server ---------------------------------- */

/* <db:verify/>: we are the authoritative server for 'to' (XEP-0220 2.2.2). */
void
s2s_recv_db_verify(struct s2s_stream *s, struct xnode *el)
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
	if (db_addrs(s, el, "verify", from, to, sizeof(from)) != 0)
		return;
	valid = dialback_key_check(from, to, id, key, keylen);
	if (!valid)
		log_warnx(LOG_MOD, "asked to verify a dialback key that is not "
		    "ours id=%llu peer=%s asker=%s claimed=%s",
		    (unsigned long long)s->id, s->peer, from, to);
	s2s_sendf(s, "<db:verify from='%s' to='%s' id='%s' type='%s'/>", to,
	    from, id, valid ? "valid" : "invalid");
}

/* Dialback answers that did not come in time. */
void
s2s_recv_timeout(struct s2s_stream *s, uint64_t now)
{
	for (size_t i = 0; i < s->npairs;) {
		struct s2s_dbpair *p = &s->pairs[i];

		if (p->st == DBP_PENDING && now >= p->deadline_ms) {
			log_warnx(LOG_MOD, "dialback verification timed out "
			    "id=%llu remote=%s local=%s",
			    (unsigned long long)s->id, p->from, p->to);
			db_error(s, "result", p->to, p->from, NULL,
			    "remote-server-timeout");
			pair_del(s, p);
			continue;
		}
		i++;
	}
}

/* ---- stanzas ------------------------------------------------------ */

/*
 * A stanza from the peer: its 'from' domain must be proven on this stream,
 * its 'to' ours, federation allowed; else a stream error, never a
 * delivery. Answers to our keepalive pings end here.
 */
void
s2s_recv_stanza(struct s2s_stream *s, struct xnode *el)
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
	if (!pair_authenticated(s, fd)) {
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
	if (s2s_ping_answer(el, fd))
		return;
	s->stanzas_in++;
	metric_inc(s2s_m.stanzas_in);
	s->last_stanza_ms = loop_now_ms();
	xmpp_stanza_in(el);
}
