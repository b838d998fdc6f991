/*
 * sippeer: see sippeer.h.
 */
#include "bench/sippeer.h"
#include "bench/btls.h"
#include "bench/conn.h"
#include "bench/obuf.h"
#include "bench/sipwire.h"

#include <event2/listener.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SIP_MAX_CONNS	64
#define SIP_OUT_LIMIT	(4 * 1024 * 1024)	/* queued bytes per connection */
#define SIP_REQ_MAX	4096

enum sipc_state {
	SIPC_CONNECTING,
	SIPC_HANDSHAKE,
	SIPC_UP,
	SIPC_CLOSED,
};

/* One SIP connection, either role. */
struct sipc {
	struct sip_side		*side;
	struct conn		*c;
	enum sipc_state		 state;
	int			 outbound;
	unsigned		 idx;
	uint64_t		 nreq;		/* requests we sent (branch ids) */
	char			 peer_name[256];/* outbound: expected cert name */
	struct sipc		*next;		/* all connections of the side */
};

enum sip_counter {
	SC_MESSAGE, SC_OPTIONS, SC_NOTIFY, SC_BENOTIFY, SC_SUBSCRIBE, SC_INVITE,
	SC_OTHER, SC_BAD, SC_N
};

struct sip_side {
	struct bench		*b;
	struct evconnlistener	*lst;
	int			 port;		/* our edge port, for Via/Contact */
	struct sipc		*src[SIP_MAX_CONNS];
	unsigned		 nsrc, rr;
	struct sipc		*all;
	uint64_t		 count[SC_N];
	char			 tag[24];	/* our To/From tag */
};

static const char *const sipc_state_names[] = {
	"connecting", "handshake", "up", "closed",
};

static void
sipc_enter_state(struct sipc *sc, enum sipc_state st)
{
	bench_debug(sc->side->b, "sip conn %u %s: %s -> %s", sc->idx,
	    conn_peer(sc->c), sipc_state_names[sc->state], sipc_state_names[st]);
	sc->state = st;
}

static void
sipc_close(struct sipc *sc, const char *why)
{
	if (sc->state == SIPC_CLOSED)
		return;
	bench_debug(sc->side->b, "sip conn %u closed: %s", sc->idx, why);
	sipc_enter_state(sc, SIPC_CLOSED);
	conn_close(sc->c, 1);
	sc->c = NULL;
	if (sc->outbound)
		bench_problem(sc->side->b, "SIP connection to the gateway %s "
		    "lost: %s", sc->peer_name, why);
}

static void
sipc_send(struct sipc *sc, const struct obuf *ob)
{
	if (!obuf_ok(ob)) {
		bench_problem(sc->side->b, "internal: SIP message too long");
		return;
	}
	if (sc->c)
		conn_write(sc->c, ob->p, ob->len);
}

/* ---- requests we receive -------------------------------------------- */

static void
sipc_reply(struct sipc *sc, const struct sipw_msg *m, int code,
    const char *reason, const char *extra)
{
	char out[SIP_REQ_MAX];
	struct obuf ob;

	obuf_init(&ob, out, sizeof(out));
	sipw_response(&ob, m, code, reason, sc->side->tag, extra);
	sipc_send(sc, &ob);
}

/* The URI inside "<...>" of a header value, or the value itself. */
static struct sipw_str
header_uri(struct sipw_str v)
{
	const char *lt = memchr(v.p, '<', v.n), *gt;

	if (lt == NULL)
		return v;
	gt = memchr(lt, '>', (size_t)(v.p + v.n - lt));
	if (gt == NULL)
		return v;
	return (struct sipw_str){ lt + 1, (size_t)(gt - lt - 1) };
}

/* SUBSCRIBE answered: the NOTIFY that makes the subscription active. */
static void
sipc_notify_active(struct sipc *sc, const struct sipw_msg *sub)
{
	struct sip_side *s = sc->side;
	struct sipw_str target = header_uri(sub->contact.p ? sub->contact :
	    sub->from);
	struct sipw_str entity = header_uri(sub->to);
	char body[512], out[SIP_REQ_MAX];
	struct obuf bb, ob;

	obuf_init(&bb, body, sizeof(body));
	obuf_str(&bb, "<?xml version='1.0' encoding='UTF-8'?>\r\n"
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='");
	obuf_xml(&bb, entity.p, entity.n);
	obuf_str(&bb, "'><tuple id='fgb'><status><basic>open</basic>"
	    "</status></tuple></presence>\r\n");
	obuf_init(&ob, out, sizeof(out));
	obuf_str(&ob, "NOTIFY ");
	obuf_mem(&ob, target.p, target.n);
	obuf_str(&ob, " SIP/2.0\r\nVia: SIP/2.0/TLS ");
	obuf_str(&ob, s->b->o.edge_name);
	obuf_str(&ob, ";branch=z9hG4bKfgbn");
	obuf_u64(&ob, sc->idx);
	obuf_mem(&ob, ".", 1);
	obuf_u64(&ob, ++sc->nreq);
	obuf_str(&ob, "\r\nMax-Forwards: 70\r\nFrom: ");
	obuf_mem(&ob, sub->to.p, sub->to.n);
	if (sipw_param(sub->to, "tag").n == 0) {
		obuf_str(&ob, ";tag=");
		obuf_str(&ob, s->tag);
	}
	obuf_str(&ob, "\r\nTo: ");
	obuf_mem(&ob, sub->from.p, sub->from.n);
	obuf_str(&ob, "\r\nCall-ID: ");
	obuf_mem(&ob, sub->call_id.p, sub->call_id.n);
	obuf_str(&ob, "\r\nCSeq: 1 NOTIFY\r\nContact: <sip:");
	obuf_str(&ob, s->b->o.edge_name);
	obuf_str(&ob, ";transport=tls>\r\nEvent: presence\r\n"
	    "Subscription-State: active;expires=3600\r\n"
	    "Content-Type: application/pidf+xml\r\nContent-Length: ");
	obuf_u64(&ob, bb.len);
	obuf_str(&ob, "\r\n\r\n");
	obuf_mem(&ob, bb.p, bb.len);
	if (!obuf_ok(&bb))
		ob.overflow = 1;
	sipc_send(sc, &ob);
}

static void
req_message(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
	sc->side->count[SC_MESSAGE]++;
	bench_arrived(sc->side->b, m->body.p, m->body.n, now);
	sipc_reply(sc, m, 200, "OK", NULL);
}

/* NOTIFY and BENOTIFY: the state of one of our subscriptions. */
static void
notify_state(struct sipc *sc, const struct sipw_msg *m)
{
	struct sipw_str st = m->sub_state;
	enum sub_event ev = SUB_PENDING;

	if (st.n >= 6 && !strncasecmp(st.p, "active", 6))
		ev = SUB_ACTIVE;
	else if (st.n >= 10 && !strncasecmp(st.p, "terminated", 10))
		ev = SUB_TERMINATED;
	bench_sub_event(sc->side->b, m->call_id.p, m->call_id.n, ev);
}

static void
req_notify(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
	sc->side->count[SC_NOTIFY]++;
	sipc_reply(sc, m, 200, "OK", NULL);
	notify_state(sc, m);
}

static void
req_benotify(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
	sc->side->count[SC_BENOTIFY]++;
	notify_state(sc, m);		/* best effort: never answered */
}

static void
req_options(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
	sc->side->count[SC_OPTIONS]++;
	sipc_reply(sc, m, 200, "OK", NULL);
}

static void
req_subscribe(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
	char extra[300];

	sc->side->count[SC_SUBSCRIBE]++;
	snprintf(extra, sizeof(extra), "Expires: 3600\r\n"
	    "Contact: <sip:%s;transport=tls>\r\n", sc->side->b->o.edge_name);
	sipc_reply(sc, m, 200, "OK", extra);
	sipc_notify_active(sc, m);
}

static void
req_invite(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
	sc->side->count[SC_INVITE]++;
	sipc_reply(sc, m, 488, "Not Acceptable Here", NULL);
}

static void
req_ok(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
	sc->side->count[SC_OTHER]++;
	sipc_reply(sc, m, 200, "OK", NULL);
}

static void
req_ack(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
}

static const struct {
	const char	*method;
	void		(*fn)(struct sipc *, const struct sipw_msg *, uint64_t);
} sip_requests[] = {
	{ "MESSAGE", req_message },
	{ "NOTIFY", req_notify },
	{ "BENOTIFY", req_benotify },
	{ "OPTIONS", req_options },
	{ "SUBSCRIBE", req_subscribe },
	{ "INVITE", req_invite },
	{ "ACK", req_ack },
	{ "BYE", req_ok },
	{ "CANCEL", req_ok },
	{ "INFO", req_ok },
	{ "UPDATE", req_ok },
};

/* ---- responses to our requests --------------------------------------- */

static void
sipc_response(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
	struct sipw_str method = sipw_cseq_method(m->cseq);
	struct bench *b = sc->side->b;

	if (m->status < 200)
		return;
	if (sipw_eq(method, "MESSAGE"))
		bench_answered(b, m->call_id.p, m->call_id.n, m->status, now);
	else if (sipw_eq(method, "SUBSCRIBE"))
		bench_sub_event(b, m->call_id.p, m->call_id.n,
		    m->status < 300 ? SUB_ANSWERED : SUB_REFUSED);
}

static void
sipc_dispatch(struct sipc *sc, const struct sipw_msg *m, uint64_t now)
{
	if (!m->is_request) {
		sipc_response(sc, m, now);
		return;
	}
	for (size_t i = 0; i < sizeof(sip_requests) / sizeof(sip_requests[0]);
	    i++) {
		if (sipw_eq(m->method, sip_requests[i].method)) {
			sip_requests[i].fn(sc, m, now);
			return;
		}
	}
	sc->side->count[SC_OTHER]++;
	sipc_reply(sc, m, 501, "Not Implemented", NULL);
}

/* Frame and handle every complete message in the input. */
static void
sipc_read(struct conn *c, struct evbuffer *in, void *arg)
{
	struct sipc *sc = arg;
	size_t len = evbuffer_get_length(in), off = 0;
	const char *buf = (const char *)evbuffer_pullup(in, -1);
	uint64_t now = now_ns();

	while (off < len && sc->state == SIPC_UP) {
		struct sipw_msg m;
		const char *why;
		int pings;
		size_t k = sipw_keepalive(buf + off, len - off, &pings);
		enum sipw_rc rc;

		if (k > 0) {
			off += k;
			while (pings-- > 0)
				conn_write(c, "\r\n", 2);
			continue;
		}
		rc = sipw_parse(buf + off, len - off, &m, &why);
		if (rc == SIPW_MORE)
			break;
		if (rc == SIPW_BAD) {
			sc->side->count[SC_BAD]++;
			bench_problem(sc->side->b, "malformed SIP from %s: %s",
			    conn_peer(c), why);
			sipc_close(sc, why);
			return;
		}
		sipc_dispatch(sc, &m, now);
		off += m.total;
	}
	if (sc->state != SIPC_CLOSED)
		evbuffer_drain(in, off);
}

static void
sipc_event(struct conn *c, enum conn_event ev, const char *why, void *arg)
{
	struct sipc *sc = arg;
	struct sip_side *s = sc->side;
	SSL *ssl;
	char err[300];

	switch (ev) {
	case CONN_CONNECTED:
		ssl = sc->outbound ? btls_client(s->b->sip_cli, sc->peer_name) :
		    NULL;
		if (ssl == NULL || conn_starttls(c, ssl, 0) != 0) {
			sipc_close(sc, "cannot start TLS");
			return;
		}
		sipc_enter_state(sc, SIPC_HANDSHAKE);
		break;
	case CONN_TLS_UP:
		sipc_enter_state(sc, SIPC_UP);
		break;
	case CONN_EOF:
	case CONN_ERROR:
		if (sc->state == SIPC_HANDSHAKE && sc->outbound) {
			snprintf(err, sizeof(err), "TLS handshake with the SIP "
			    "listener failed: %s", why);
			sipc_close(sc, err);
		} else
			sipc_close(sc, why);
		break;
	}
}

static const struct conn_handlers sipc_handlers = {
	.read = sipc_read,
	.event = sipc_event,
};

static struct sipc *
sipc_new(struct sip_side *s, int outbound)
{
	struct sipc *sc = calloc(1, sizeof(*sc));
	static unsigned next_idx;

	if (sc == NULL)
		return NULL;
	sc->side = s;
	sc->outbound = outbound;
	sc->idx = next_idx++;
	sc->next = s->all;
	s->all = sc;
	return sc;
}

/* ---- sink: accept ------------------------------------------------------ */

static void
sip_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct sip_side *s = arg;
	struct sipc *sc = sipc_new(s, 0);
	SSL *ssl;

	if (sc == NULL) {
		close(fd);
		return;
	}
	sc->c = conn_accept(s->b->base, fd, &sipc_handlers, sc);
	ssl = btls_server(s->b->sip_srv);
	if (sc->c == NULL || ssl == NULL || conn_starttls(sc->c, ssl, 1) != 0) {
		if (sc->c == NULL)
			close(fd);
		sipc_close(sc, "cannot start TLS");
		return;
	}
	sc->state = SIPC_HANDSHAKE;
	bench_debug(s->b, "sip conn %u accepted from %s", sc->idx,
	    conn_peer(sc->c));
}

int
sip_sink_listen(struct sip_side *s, const char *addr, int *port, char *err,
    size_t errlen)
{
	s->lst = conn_listen(s->b->base, addr, sip_accept, s, &s->port, err,
	    errlen);
	if (port)
		*port = s->port;
	return s->lst ? 0 : -1;
}

/* ---- source ----------------------------------------------------------- */

int
sip_source_start(struct sip_side *s, const char *addr, const char *peer_name,
    unsigned nconns, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (conn_parse_addr(addr, &ss, &len) != 0) {
		snprintf(err, errlen, "bad address '%s' (want IP:PORT)", addr);
		return -1;
	}
	if (nconns == 0 || nconns > SIP_MAX_CONNS) {
		snprintf(err, errlen, "--conns must be 1..%d", SIP_MAX_CONNS);
		return -1;
	}
	for (unsigned i = 0; i < nconns; i++) {
		struct sipc *sc = sipc_new(s, 1);

		if (sc == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(sc->peer_name, sizeof(sc->peer_name), "%s", peer_name);
		sc->c = conn_connect(s->b->base, (struct sockaddr *)&ss, len,
		    &sipc_handlers, sc, err, errlen);
		if (sc->c == NULL)
			return -1;
		s->src[s->nsrc++] = sc;
	}
	return 0;
}

int
sip_source_ready(const struct sip_side *s)
{
	if (s->nsrc == 0)
		return 0;
	for (unsigned i = 0; i < s->nsrc; i++)
		if (s->src[i]->state != SIPC_UP)
			return 0;
	return 1;
}

/* The next source connection that can take a request, round robin. */
static struct sipc *
sip_source_pick(struct sip_side *s, int *full)
{
	*full = 0;
	for (unsigned i = 0; i < s->nsrc; i++) {
		struct sipc *sc = s->src[s->rr++ % s->nsrc];

		if (sc->state != SIPC_UP)
			continue;
		if (conn_output_len(sc->c) > SIP_OUT_LIMIT) {
			*full = 1;
			continue;
		}
		return sc;
	}
	return NULL;
}

static void
put_user_uri(struct obuf *ob, const char *prefix, uint64_t k, const char *dom)
{
	obuf_str(ob, "sip:");
	obuf_str(ob, prefix);
	obuf_u64(ob, k);
	obuf_mem(ob, "@", 1);
	obuf_str(ob, dom);
}

int
sip_source_message(struct sip_side *s, enum bdir d, uint64_t seq)
{
	const struct bench_opts *o = &s->b->o;
	char body[2048], tag[96], out[SIP_REQ_MAX];
	uint64_t ts = now_ns(), k = seq % (o->users ? o->users : 1);
	size_t blen, tlen;
	struct obuf ob;
	int full;
	struct sipc *sc = sip_source_pick(s, &full);

	if (sc == NULL)
		return full ? -2 : -1;
	blen = bench_body(s->b, d, seq, ts, body, sizeof(body));
	tlen = bench_tag_id(s->b, d, seq, ts, tag, sizeof(tag));
	obuf_init(&ob, out, sizeof(out));
	obuf_str(&ob, "MESSAGE ");
	put_user_uri(&ob, "user", k, o->remote_domain);
	obuf_str(&ob, " SIP/2.0\r\nVia: SIP/2.0/TLS ");
	obuf_str(&ob, o->edge_name);
	obuf_str(&ob, ";branch=z9hG4bK");
	obuf_mem(&ob, tag, tlen);
	obuf_str(&ob, "\r\nMax-Forwards: 70\r\nFrom: <");
	put_user_uri(&ob, "user", k, o->local_domain);
	obuf_str(&ob, ">;tag=");
	obuf_str(&ob, s->tag);
	obuf_str(&ob, "\r\nTo: <");
	put_user_uri(&ob, "user", k, o->remote_domain);
	obuf_str(&ob, ">\r\nCall-ID: ");
	obuf_mem(&ob, tag, tlen);
	obuf_mem(&ob, "@", 1);
	obuf_str(&ob, o->edge_name);
	obuf_str(&ob, "\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"
	    "Content-Length: ");
	obuf_u64(&ob, blen);
	obuf_str(&ob, "\r\n\r\n");
	obuf_mem(&ob, body, blen);
	sipc_send(sc, &ob);
	return 0;
}

int
sip_source_subscribe(struct sip_side *s, uint64_t k)
{
	const struct bench_opts *o = &s->b->o;
	char out[SIP_REQ_MAX];
	struct obuf ob;
	int full;
	struct sipc *sc = sip_source_pick(s, &full);

	if (sc == NULL)
		return full ? -2 : -1;
	obuf_init(&ob, out, sizeof(out));
	obuf_str(&ob, "SUBSCRIBE ");
	put_user_uri(&ob, "p", k, o->remote_domain);
	obuf_str(&ob, " SIP/2.0\r\nVia: SIP/2.0/TLS ");
	obuf_str(&ob, o->edge_name);
	obuf_str(&ob, ";branch=z9hG4bKfgs");
	obuf_u64(&ob, s->b->run);
	obuf_mem(&ob, ".", 1);
	obuf_u64(&ob, k);
	obuf_str(&ob, "\r\nMax-Forwards: 70\r\nFrom: <");
	put_user_uri(&ob, "w", k, o->local_domain);
	obuf_str(&ob, ">;tag=fgs");
	obuf_u64(&ob, k);
	obuf_str(&ob, "\r\nTo: <");
	put_user_uri(&ob, "p", k, o->remote_domain);
	obuf_str(&ob, ">\r\nCall-ID: fgs-");
	obuf_u64(&ob, s->b->run);
	obuf_mem(&ob, "-", 1);
	obuf_u64(&ob, k);
	obuf_mem(&ob, "@", 1);
	obuf_str(&ob, o->edge_name);
	obuf_str(&ob, "\r\nCSeq: 1 SUBSCRIBE\r\nContact: <");
	put_user_uri(&ob, "w", k, o->edge_name);
	obuf_str(&ob, ";transport=tls>\r\nEvent: presence\r\n"
	    "Accept: application/pidf+xml\r\nExpires: 3600\r\n"
	    "Content-Length: 0\r\n\r\n");
	sipc_send(sc, &ob);
	return 0;
}

size_t
sip_source_queued(const struct sip_side *s)
{
	size_t n = 0;

	for (unsigned i = 0; i < s->nsrc; i++)
		if (s->src[i]->c)
			n += conn_output_len(s->src[i]->c);
	return n;
}

/* ---- life cycle --------------------------------------------------------- */

struct sip_side *
sip_side_new(struct bench *b)
{
	struct sip_side *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->b = b;
	snprintf(s->tag, sizeof(s->tag), "fgb%08x", (unsigned)arc4random());
	return s;
}

void
sip_side_shutdown(struct sip_side *s)
{
	if (s->lst)
		evconnlistener_free(s->lst);
	s->lst = NULL;
	for (struct sipc *sc = s->all; sc; sc = sc->next) {
		if (sc->state == SIPC_CLOSED)
			continue;
		sc->state = SIPC_CLOSED;	/* ours: not a problem */
		conn_close(sc->c, 1);
		sc->c = NULL;
	}
}

void
sip_side_free(struct sip_side *s)
{
	struct sipc *sc, *next;

	if (s == NULL)
		return;
	if (s->lst)
		evconnlistener_free(s->lst);
	for (sc = s->all; sc; sc = next) {
		next = sc->next;
		if (sc->c)
			conn_close(sc->c, 0);
		free(sc);
	}
	free(s);
}

void
sip_side_report(const struct sip_side *s, FILE *out)
{
	fprintf(out, "# sip: requests received MESSAGE=%llu NOTIFY=%llu "
	    "BENOTIFY=%llu OPTIONS=%llu SUBSCRIBE=%llu INVITE=%llu other=%llu "
	    "malformed=%llu\n",
	    (unsigned long long)s->count[SC_MESSAGE],
	    (unsigned long long)s->count[SC_NOTIFY],
	    (unsigned long long)s->count[SC_BENOTIFY],
	    (unsigned long long)s->count[SC_OPTIONS],
	    (unsigned long long)s->count[SC_SUBSCRIBE],
	    (unsigned long long)s->count[SC_INVITE],
	    (unsigned long long)s->count[SC_OTHER],
	    (unsigned long long)s->count[SC_BAD]);
}
