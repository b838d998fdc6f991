/*
 * s2s: the common core of inbound and outbound streams: registry, socket
 * I/O through xmpp/conn.h, the parser, output batching (flushed once per
 * loop turn), timers (negotiation deadline, keepalive, idle), stream errors
 * keepalive and dead-peer pings (XEP-0199), stream errors and the one
 * teardown path. The protocol decisions live in s2s_in.c and s2s_out.c,
 * what a peer may send toward us in s2s_recv.c.
 *
 * Teardown (STYLE rule 6): s2s_stream_free() is the only way a stream
 * ends. It may run inside any callback (parser, loop, link), so it only
 * unlinks the stream and closes its socket; memory is released at the end
 * of the loop turn, and a parser that is running is halted and retired,
 * never freed under its own feet.
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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#define NBUCKETS	1024
#define PING_PREFIX	"fgping-"	/* ids of our keepalive pings */

TAILQ_HEAD(s2s_list, s2s_stream);

static struct {
	struct s2s_list		 all;
	struct s2s_list		 dirty;
	struct s2s_stream	*buckets[NBUCKETS];
	uint64_t		 next_id;
	size_t			 in_open, out_open;
	struct xparser		**retired;	/* parsers to free at turn end */
	size_t			 nretired, capretired;
	int			 hooked;
	int			 in_paused;	/* flow control: see s2s_in_pause() */
	int			 resume_due;
} S = {
	.all = TAILQ_HEAD_INITIALIZER(S.all),
	.dirty = TAILQ_HEAD_INITIALIZER(S.dirty),
};

struct s2s_metrics s2s_m;

static void s2s_flush_all(void *arg);
static void s2s_timer_fire(void *arg);
static void s2s_io_cb(int fd, int events, void *arg);
static int s2s_reading(const struct s2s_stream *s);

static const char *const state_names[] = {
	[S2S_ST_NEW] = "new",
	[S2S_ST_RESOLVING] = "resolving",
	[S2S_ST_CONNECTING] = "connecting",
	[S2S_ST_TLS] = "tls-handshake",
	[S2S_ST_HEADER] = "wait-header",
	[S2S_ST_FEATURES] = "wait-features",
	[S2S_ST_STARTTLS] = "starttls",
	[S2S_ST_SASL] = "sasl",
	[S2S_ST_DIALBACK] = "dialback",
	[S2S_ST_OPEN] = "open",
	[S2S_ST_READY] = "ready",
	[S2S_ST_CLOSING] = "closing",
	[S2S_ST_DEAD] = "dead",
};

const char *
s2s_strstate(enum s2s_state st)
{
	return (unsigned)st < sizeof(state_names) / sizeof(state_names[0]) ?
	    state_names[st] : "?";
}

void
s2s_enter_state(struct s2s_stream *s, enum s2s_state st)
{
	if (s->state == st || s->state == S2S_ST_DEAD)
		return;		/* nothing leaves "dead" */
	log_debug(LOG_MOD, "stream %s -> %s id=%llu dir=%s peer=%s local=%s "
	    "remote=%s", s2s_strstate(s->state), s2s_strstate(st),
	    (unsigned long long)s->id, s->dir == S2S_IN ? "in" : "out",
	    s->peer[0] ? s->peer : "-", s->local[0] ? s->local : "-",
	    s->remote[0] ? s->remote : "-");
	s->state = st;
}

/* ---- registry ----------------------------------------------------- */

static const struct {
	struct metric	**m;
	const char	*name, *labels, *help;
} s2s_metric_defs[] = {
	{ &s2s_m.in_total, "fedgate_xmpp_streams_total", "direction=\"in\"",
	  "s2s streams opened" },
	{ &s2s_m.out_total, "fedgate_xmpp_streams_total", "direction=\"out\"",
	  "s2s streams opened" },
	{ &s2s_m.auth_dialback, "fedgate_xmpp_auth_total", "method=\"dialback\"",
	  "domains authenticated on s2s streams" },
	{ &s2s_m.auth_sasl, "fedgate_xmpp_auth_total", "method=\"sasl-external\"",
	  "domains authenticated on s2s streams" },
	{ &s2s_m.auth_failures, "fedgate_xmpp_auth_failures_total", "",
	  "authentications refused (dialback invalid, SASL failure)" },
	{ &s2s_m.stanzas_in, "fedgate_xmpp_stanzas_total", "direction=\"in\"",
	  "stanzas accepted from peers / written to peers" },
	{ &s2s_m.stanzas_out, "fedgate_xmpp_stanzas_total", "direction=\"out\"",
	  "stanzas accepted from peers / written to peers" },
	{ &s2s_m.stream_errors_sent, "fedgate_xmpp_stream_errors_total",
	  "direction=\"sent\"", "stream errors" },
	{ &s2s_m.stream_errors_received, "fedgate_xmpp_stream_errors_total",
	  "direction=\"received\"", "stream errors" },
	{ &s2s_m.tls_failures, "fedgate_xmpp_tls_failures_total", "",
	  "TLS handshakes that failed" },
	{ &s2s_m.refused_limits, "fedgate_xmpp_refused_total", "",
	  "streams refused by max_streams, max_streams_per_ip or _per_domain" },
	{ &s2s_m.bytes_in, "fedgate_xmpp_bytes_total", "direction=\"in\"",
	  "bytes on s2s streams" },
	{ &s2s_m.bytes_out, "fedgate_xmpp_bytes_total", "direction=\"out\"",
	  "bytes on s2s streams" },
	{ &s2s_m.bidi, "fedgate_xmpp_bidi_total", "",
	  "streams with XEP-0288 bidi negotiated (asked for or granted)" },
	{ &s2s_m.dead_peers, "fedgate_xmpp_dead_peers_total", "",
	  "streams ended because the peer did not answer a ping in time" },
};

static void
s2s_metrics_register(void)
{
	for (size_t i = 0; i < sizeof(s2s_metric_defs) /
	    sizeof(s2s_metric_defs[0]); i++)
		*s2s_metric_defs[i].m = metric_counter(s2s_metric_defs[i].name,
		    s2s_metric_defs[i].labels, s2s_metric_defs[i].help);
}

int
s2s_init(void)
{
	s2s_metrics_register();
	if (!S.hooked) {
		if (loop_turn_hook_add(s2s_flush_all, NULL) != 0)
			return -1;
		S.hooked = 1;
	}
	return 0;
}

struct s2s_stream *
s2s_stream_new(enum s2s_dir dir)
{
	struct s2s_stream *s = calloc(1, sizeof(*s));
	size_t b;

	if (s == NULL)
		return NULL;
	s->out = evbuffer_new();
	s->timer = loop_timer_new(s2s_timer_fire, s);
	if (s->out == NULL || s->timer == NULL) {
		if (s->out)
			evbuffer_free(s->out);
		loop_timer_free(s->timer);
		free(s);
		return NULL;
	}
	s->id = ++S.next_id;
	s->dir = dir;
	s->state = S2S_ST_NEW;
	s->created_ms = s->last_rx_ms = s->last_tx_ms = s->last_stanza_ms =
	    s->last_alive_ms = loop_now_ms();
	TAILQ_INSERT_TAIL(&S.all, s, entry);
	b = s->id % NBUCKETS;
	s->hnext = S.buckets[b];
	S.buckets[b] = s;
	if (dir == S2S_IN) {
		metric_inc(s2s_m.in_total);
		S.in_open++;
	} else {
		metric_inc(s2s_m.out_total);
		S.out_open++;
	}
	return s;
}

struct s2s_stream *
s2s_stream_find(uint64_t id)
{
	struct s2s_stream *s;

	for (s = S.buckets[id % NBUCKETS]; s; s = s->hnext)
		if (s->id == id)
			return s->state == S2S_ST_DEAD ||
			    (s->flags & S2S_F_FREEING) ? NULL : s;
	return NULL;
}

static void
s2s_unhash(struct s2s_stream *s)
{
	struct s2s_stream **pp = &S.buckets[s->id % NBUCKETS];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			return;
		}
	}
}

uint64_t
s2s_stream_id(const struct s2s_stream *s)
{
	return s->id;
}

size_t
s2s_count(void)
{
	return S.in_open + S.out_open;
}

size_t
s2s_open_count(int inbound)
{
	return inbound ? S.in_open : S.out_open;
}

/* Authenticated streams (both directions) with remote, but except. */
size_t
s2s_count_domain(const char *remote, const struct s2s_stream *except)
{
	struct s2s_stream *s;
	size_t n = 0;

	TAILQ_FOREACH(s, &S.all, entry)
		if (s != except && s->state != S2S_ST_DEAD && s->auth != NULL &&
		    !strcmp(s->remote, remote))
			n++;
	return n;
}

static int
same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr));
	return 0;
}

size_t
s2s_count_ip(const struct sockaddr_storage *ss)
{
	struct s2s_stream *s;
	size_t n = 0;

	TAILQ_FOREACH(s, &S.all, entry)
		if (s->dir == S2S_IN && s->state != S2S_ST_DEAD &&
		    same_ip(&s->peer_ss, ss))
			n++;
	return n;
}


/* ---- parser ------------------------------------------------------- */

static void
s2s_retire_parser(struct s2s_stream *s)
{
	struct xparser **v;

	if (s->parser == NULL)
		return;
	xparser_halt(s->parser);
	if (S.nretired == S.capretired) {
		size_t cap = S.capretired ? S.capretired * 2 : 16;
		if ((v = realloc(S.retired, cap * sizeof(*v))) == NULL)
			fatalx(LOG_MOD, "out of memory");
		S.retired = v;
		S.capretired = cap;
	}
	S.retired[S.nretired++] = s->parser;
	s->parser = NULL;
}

static void
s2s_free_retired(void)
{
	for (size_t i = 0; i < S.nretired; i++)
		xparser_free(S.retired[i]);
	S.nretired = 0;
}

static void
s2s_cb_open(void *arg, const struct xnode *h)
{
	struct s2s_stream *s = arg;

	if (s->dir == S2S_IN)
		s2s_in_header(s, h);
	else
		s2s_out_header(s, h);
}

/* <stream:error/> from the peer: log it and end the stream. */
static void
s2s_peer_stream_error(struct s2s_stream *s, struct xnode *el)
{
	const char *cond = "undefined-condition", *text = "";
	char why[256];

	for (struct xnode *c = xnode_first_elem(el); c; c = xnode_next_elem(c)) {
		if (strcmp(xnode_ns(c), XMPP_NS_STREAMS_ERR))
			continue;
		if (!strcmp(xnode_name(c), "text"))
			text = xnode_text(c, NULL);
		else
			cond = xnode_name(c);
	}
	metric_inc(s2s_m.stream_errors_received);
	log_warnx(LOG_MOD, "stream error received id=%llu peer=%s remote=%s "
	    "cond=%s text=\"%.100s\"", (unsigned long long)s->id, s->peer,
	    s->remote[0] ? s->remote : "-", cond, text);
	snprintf(why, sizeof(why), "stream error from peer: %s", cond);
	if (s->dir == S2S_OUT && s->state != S2S_ST_READY &&
	    s->state != S2S_ST_CLOSING)
		s2s_out_failed(s, why);
	else
		s2s_stream_free(s, why);
}

static void
s2s_cb_element(void *arg, struct xnode *el)
{
	struct s2s_stream *s = arg;

	if (s->state == S2S_ST_DEAD || s->state == S2S_ST_CLOSING) {
		xnode_free(el);
		return;
	}
	if (!strcmp(xnode_ns(el), XMPP_NS_STREAM) &&
	    !strcmp(xnode_name(el), "error"))
		s2s_peer_stream_error(s, el);
	else if (s->dir == S2S_IN)
		s2s_in_element(s, el);
	else
		s2s_out_element(s, el);
	xnode_free(el);
}

static void
s2s_cb_close(void *arg)
{
	struct s2s_stream *s = arg;

	if (s->state == S2S_ST_CLOSING) {
		s2s_stream_free(s, s->reason[0] ? s->reason : "closed");
		return;
	}
	if (s->dir == S2S_OUT && s->state != S2S_ST_READY) {
		s2s_out_failed(s, "stream closed by peer");
		return;
	}
	s2s_stream_close(s, "stream closed by peer");
}

static void
s2s_cb_error(void *arg, const char *cond, const char *text)
{
	s2s_stream_error(arg, cond, text);
}

static const struct xparser_cb s2s_parser_cb = {
	s2s_cb_open, s2s_cb_element, s2s_cb_close, s2s_cb_error,
};

/* A fresh parser: at the start and at every stream restart. */
int
s2s_parser_reset(struct s2s_stream *s)
{
	const struct config *cfg = config_current();

	s2s_retire_parser(s);
	s->parser = xparser_new(&s2s_parser_cb, s, (size_t)cfg->max_stanza_size);
	s->flags &= ~S2S_F_RESTART;
	return s->parser ? 0 : -1;
}

/* ---- socket ------------------------------------------------------- */

static void
format_peer(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		port = ntohs(in->sin_port);
		snprintf(buf, len, "%s:%u", a, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		port = ntohs(in6->sin6_port);
		snprintf(buf, len, "[%s]:%u", a, port);
	} else
		snprintf(buf, len, "?");
}

/* Take over a connected (or connecting) socket. */
int
s2s_attach(struct s2s_stream *s, int fd, const struct sockaddr_storage *ss)
{
	const struct config *cfg = config_current();
	unsigned int ut = (unsigned int)cfg->dead_peer_timeout_ms;

	s->conn = xconn_new(fd);
	if (s->conn == NULL) {
		close(fd);
		return -1;
	}
	/* unacknowledged data (our keepalives) for this long = dead peer */
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	s->peer_ss = *ss;
	format_peer(ss, s->peer, sizeof(s->peer));
	s->io = loop_io_add(fd, LOOP_READ, s2s_io_cb, s);
	if (s->io == NULL || s2s_parser_reset(s) != 0)
		return -1;
	s->last_rx_ms = loop_now_ms();
	return 0;
}

/* Drop the connection but keep the stream (next candidate, teardown). */
void
s2s_detach(struct s2s_stream *s)
{
	loop_io_del(s->io);
	s->io = NULL;
	s2s_retire_parser(s);
	if (s->conn) {
		if (evbuffer_get_length(s->out) > 0)
			xconn_flush(s->conn, s->out);	/* best effort */
		xconn_shutdown(s->conn);
		xconn_free(s->conn);
		s->conn = NULL;
	}
	evbuffer_drain(s->out, evbuffer_get_length(s->out));
	if (s->flags & S2S_F_DIRTY) {
		TAILQ_REMOVE(&S.dirty, s, dirty);
		s->flags &= ~S2S_F_DIRTY;
	}
	s->flags &= ~(S2S_F_TLS | S2S_F_HEADER_SENT | S2S_F_PEER_DB |
	    S2S_F_SASL | S2S_F_SASL_FAILED |
	    S2S_F_RESTART | S2S_F_TLS_ON_FLUSH | S2S_F_CLOSE_ON_FLUSH |
	    S2S_F_CERT_OK | S2S_F_VERIFY_OK | S2S_F_EXTERNAL_OFFERED |
	    S2S_F_BIDI | S2S_F_BIDI_OFFERED | S2S_F_PING);
	s->npairs = 0;
}

/* Watch for what the connection waits for, plus writability when output is pending. */
void
s2s_io_update(struct s2s_stream *s)
{
	int ev;

	if (s->io == NULL || s->conn == NULL)
		return;
	if (s->state == S2S_ST_CONNECTING)
		ev = LOOP_WRITE;
	else if (s->state == S2S_ST_TLS)
		ev = xconn_wants(s->conn);
	else {
		ev = (s2s_reading(s) ? LOOP_READ : 0) | xconn_wants(s->conn);
		/* output the end-of-turn flush could not finish */
		if (evbuffer_get_length(s->out) > 0 &&
		    !(s->flags & S2S_F_DIRTY))
			ev |= xconn_write_wants(s->conn);
	}
	loop_io_set(s->io, ev);
}

int
s2s_tls_begin(struct s2s_stream *s, int server)
{
	SSL *ssl = server ? xtls_server_new(s->flags & S2S_F_DIRECT_TLS) :
	    xtls_client_new(s->remote, s->flags & S2S_F_DIRECT_TLS);

	if (ssl == NULL)
		return -1;
	xconn_tls_start(s->conn, ssl, server);
	s2s_enter_state(s, S2S_ST_TLS);
	return 0;
}

static void
s2s_tls_step(struct s2s_stream *s)
{
	char why[256];
	int r = xconn_handshake(s->conn);

	if (r == XCONN_AGAIN) {
		s2s_io_update(s);
		return;
	}
	if (r == XCONN_ERR) {
		metric_inc(s2s_m.tls_failures);
		snprintf(why, sizeof(why), "%s", xconn_errstr(s->conn));
		log_warnx(LOG_MOD, "TLS handshake failed id=%llu peer=%s "
		    "remote=%s: %s", (unsigned long long)s->id, s->peer,
		    s->remote[0] ? s->remote : "-", why);
		if (s->dir == S2S_OUT)
			s2s_out_failed(s, why);
		else
			s2s_stream_free(s, why);
		return;
	}
	s->flags |= S2S_F_TLS;
	log_debug(LOG_MOD, "TLS established id=%llu peer=%s version=%s",
	    (unsigned long long)s->id, s->peer,
	    xtls_version(xconn_ssl(s->conn)));
	if (s2s_parser_reset(s) != 0) {
		s2s_stream_free(s, "out of memory");
		return;
	}
	if (s->dir == S2S_IN)
		s2s_in_tls_done(s);
	else
		s2s_out_tls_done(s);
	s2s_io_update(s);
}

/* The peer closed or the socket failed. */
static void
s2s_lost(struct s2s_stream *s, const char *why)
{
	if (s->state == S2S_ST_CLOSING)
		s2s_stream_free(s, s->reason[0] ? s->reason : why);
	else if (s->dir == S2S_OUT && s->state != S2S_ST_READY)
		s2s_out_failed(s, why);
	else
		s2s_stream_free(s, why);
}

/* Read until the socket would block; feed the parser. */
static void
s2s_read(struct s2s_stream *s)
{
	char buf[S2S_READ_CHUNK];
	struct xconn *c = s->conn;

	while (s->conn == c && c != NULL && s->state != S2S_ST_DEAD &&
	    s->state != S2S_ST_TLS && !(s->flags & S2S_F_TLS_ON_FLUSH) &&
	    s2s_reading(s)) {
		ssize_t n = xconn_read(c, buf, sizeof(buf));

		if (n == XCONN_AGAIN)
			break;
		if (n == 0 || n == XCONN_ERR) {
			s2s_lost(s, n == 0 ? "connection closed by peer" :
			    xconn_errstr(c));
			return;
		}
		metric_add(s2s_m.bytes_in, (uint64_t)n);
		/* anything from the peer proves it alive: no ping needed */
		s->last_rx_ms = s->last_alive_ms = loop_now_ms();
		s->flags &= ~S2S_F_PING;
		if (s->parser == NULL)
			continue;	/* closing after an error: discard */
		xparser_feed(s->parser, buf, (size_t)n);
		if ((s->flags & S2S_F_RESTART) && s->state != S2S_ST_DEAD &&
		    s2s_parser_reset(s) != 0)
			s2s_stream_free(s, "out of memory");
	}
}

static void
s2s_flush(struct s2s_stream *s)
{
	int r;

	if (s->conn == NULL || s->state == S2S_ST_DEAD ||
	    s->state == S2S_ST_CONNECTING || s->state == S2S_ST_TLS)
		return;
	if (evbuffer_get_length(s->out) > 0) {
		size_t before = evbuffer_get_length(s->out);

		r = xconn_flush(s->conn, s->out);
		metric_add(s2s_m.bytes_out, before - evbuffer_get_length(s->out));
		if (r == XCONN_ERR) {
			s2s_lost(s, xconn_errstr(s->conn));
			return;
		}
		if (r == XCONN_AGAIN) {
			s2s_io_update(s);
			return;
		}
	}
	if (s->flags & S2S_F_CLOSE_ON_FLUSH) {
		s2s_stream_free(s, s->reason[0] ? s->reason : "closed");
		return;
	}
	if (s->flags & S2S_F_TLS_ON_FLUSH) {
		s->flags &= ~S2S_F_TLS_ON_FLUSH;
		if (s2s_tls_begin(s, 1) != 0) {
			s2s_stream_free(s, "cannot start TLS");
			return;
		}
		s2s_tls_step(s);
		return;
	}
	if (s->dir == S2S_OUT && s->state == S2S_ST_READY)
		s2s_out_drained(s);
	if ((s->flags & S2S_F_BIDI) && s->state == S2S_ST_READY)
		s2s_bidi_drained(s);
	if (s->state != S2S_ST_DEAD)
		s2s_io_update(s);
}

/* Streams that bring us stanzas: inbound ones, and ours with bidi. */
static int
s2s_brings_stanzas(const struct s2s_stream *s)
{
	return s->state == S2S_ST_READY &&
	    (s->dir == S2S_IN || (s->flags & S2S_F_BIDI));
}

/*
 * Flow control: while the other side of the gateway falls behind, the
 * streams that bring us stanzas are not read, so TCP pushes back on the
 * peers instead of our memory growing. Streams still negotiating are read.
 */
static int
s2s_reading(const struct s2s_stream *s)
{
	return !(S.in_paused && s2s_brings_stanzas(s));
}

/* Resume: read what the paused streams have (TLS may hold some already). */
static void
s2s_in_resume(void *arg)
{
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct s2s_stream *s;

	S.resume_due = 0;
	if (S.in_paused)
		return;
	TAILQ_FOREACH(s, &S.all, entry) {
		if (!s2s_brings_stanzas(s))
			continue;
		if (n == cap) {
			uint64_t *v = realloc(ids, (cap = cap ? cap * 2 : 16) *
			    sizeof(*v));
			if (v == NULL)
				break;
			ids = v;
		}
		ids[n++] = s->id;
	}
	/* by id: reading may end a stream */
	for (size_t i = 0; i < n && !S.in_paused; i++) {
		if ((s = s2s_stream_find(ids[i])) == NULL)
			continue;
		s2s_read(s);
		if (s->state != S2S_ST_DEAD)
			s2s_io_update(s);
	}
	free(ids);
}

void
s2s_in_pause(int paused)
{
	struct s2s_stream *s;

	if (S.in_paused == paused)
		return;
	S.in_paused = paused;
	log_info(LOG_MOD, "inbound stanzas %s", paused ? "paused: the other "
	    "side is behind" : "resumed");
	if (paused) {
		TAILQ_FOREACH(s, &S.all, entry)
			if (s2s_brings_stanzas(s))
				s2s_io_update(s);
	} else if (!S.resume_due) {
		/* from the loop, not from inside the caller's callback */
		S.resume_due = 1;
		loop_call_later(s2s_in_resume, NULL);
	}
}

static void
s2s_io_cb(int fd, int events, void *arg)
{
	struct s2s_stream *s = arg;

	if (s->state == S2S_ST_DEAD || s->conn == NULL)
		return;
	if (s->state == S2S_ST_CONNECTING) {
		int ok = xconn_connect_finish(s->conn) == XCONN_OK;
		s2s_out_connected(s, ok, ok ? NULL : xconn_errstr(s->conn));
		return;
	}
	if (s->state == S2S_ST_TLS) {
		s2s_tls_step(s);
		return;
	}
	/* pending output is retried on any event: TLS may wait for a read */
	if (evbuffer_get_length(s->out) > 0 && !(s->flags & S2S_F_DIRTY))
		s2s_flush(s);
	if ((events & (LOOP_READ | LOOP_ERROR)) && s->state != S2S_ST_DEAD)
		s2s_read(s);
	if (s->state != S2S_ST_DEAD)
		s2s_io_update(s);
}

/* End of every loop turn: write what the turn produced, then free. */
static void
s2s_flush_all(void *arg)
{
	struct s2s_stream *s;

	while ((s = TAILQ_FIRST(&S.dirty)) != NULL) {
		TAILQ_REMOVE(&S.dirty, s, dirty);
		s->flags &= ~S2S_F_DIRTY;
		s2s_flush(s);
	}
	s2s_free_retired();
}

void
s2s_flush_pending(void)
{
	s2s_flush_all(NULL);
}

/* ---- output ------------------------------------------------------- */

/*
 * Output was added. A peer that does not read what we must answer (e.g.
 * a flood of <db:verify/>) is cut off rather than allowed to grow our
 * buffer without end; stanzas from links stop at S2S_OUT_HIGH already.
 */
static void
s2s_mark_dirty(struct s2s_stream *s)
{
	if (evbuffer_get_length(s->out) > S2S_OUT_MAX) {
		s2s_stream_free(s, "the peer does not read its stream");
		return;
	}
	s->last_tx_ms = loop_now_ms();
	if (s->flags & S2S_F_DIRTY)
		return;
	s->flags |= S2S_F_DIRTY;
	TAILQ_INSERT_TAIL(&S.dirty, s, dirty);
}

void
s2s_send(struct s2s_stream *s, const char *data, size_t len)
{
	if (s->conn == NULL || s->state == S2S_ST_DEAD)
		return;
	if (evbuffer_add(s->out, data, len) != 0) {
		s2s_stream_free(s, "out of memory");
		return;
	}
	s2s_mark_dirty(s);
}

void
s2s_sendf(struct s2s_stream *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (s->conn == NULL || s->state == S2S_ST_DEAD)
		return;
	va_start(ap, fmt);
	rc = xml_vwritef(s->out, fmt, ap);
	va_end(ap);
	if (rc != 0) {
		s2s_stream_free(s, "out of memory");
		return;
	}
	s2s_mark_dirty(s);
}

int
s2s_can_write(const struct s2s_stream *s)
{
	return s->state == S2S_ST_READY && s->conn &&
	    !(s->flags & S2S_F_FREEING) &&
	    evbuffer_get_length(s->out) < S2S_OUT_HIGH;
}

int
s2s_write(struct s2s_stream *s, const char *data, size_t len)
{
	if (s->state != S2S_ST_READY || (s->flags & S2S_F_FREEING))
		return -1;
	s2s_send(s, data, len);
	if (s->state == S2S_ST_DEAD)
		return -1;
	s->stanzas_out++;
	metric_inc(s2s_m.stanzas_out);
	s->last_stanza_ms = loop_now_ms();
	return 0;
}

/* Our stream header; empty from/to/id are left out. */
void
s2s_send_header(struct s2s_stream *s, const char *from, const char *to,
    const char *id)
{
	s2s_sendf(s, "<?xml version='1.0'?><stream:stream xmlns='"
	    XMPP_NS_SERVER "' xmlns:stream='" XMPP_NS_STREAM "' xmlns:db='"
	    XMPP_NS_DIALBACK "'");
	if (from && from[0])
		s2s_sendf(s, " from='%s'", from);
	if (to && to[0])
		s2s_sendf(s, " to='%s'", to);
	if (id && id[0])
		s2s_sendf(s, " id='%s'", id);
	s2s_sendf(s, " version='1.0' xml:lang='en'>");
	s->flags |= S2S_F_HEADER_SENT;
}

/* ---- closing ------------------------------------------------------ */

void
s2s_stream_error(struct s2s_stream *s, const char *cond, const char *text)
{
	if (s->state == S2S_ST_DEAD || (s->flags & S2S_F_CLOSE_ON_FLUSH))
		return;
	metric_inc(s2s_m.stream_errors_sent);
	log_warnx(LOG_MOD, "stream error sent id=%llu dir=%s peer=%s local=%s "
	    "remote=%s cond=%s text=\"%s\"", (unsigned long long)s->id,
	    s->dir == S2S_IN ? "in" : "out", s->peer, s->local[0] ? s->local : "-",
	    s->remote[0] ? s->remote : "-", cond, text ? text : "");
	snprintf(s->reason, sizeof(s->reason), "stream error %s%s%s", cond,
	    text ? ": " : "", text ? text : "");
	/* nothing can be said on a socket that has no stream (yet) */
	if (s->conn == NULL || s->state == S2S_ST_TLS ||
	    s->state == S2S_ST_CONNECTING || (s->flags & S2S_F_TLS_ON_FLUSH)) {
		if (s->dir == S2S_OUT && s->fail_cond == 0)
			s->fail_cond = XL_ERR_REMOTE_SERVER_NOT_FOUND;
		s2s_stream_free(s, s->reason);
		return;
	}
	if (!(s->flags & S2S_F_HEADER_SENT))
		s2s_send_header(s, s->local, s->remote, s->sid);
	s2s_sendf(s, "<stream:error><%s xmlns='" XMPP_NS_STREAMS_ERR "'/>", cond);
	if (text)
		s2s_sendf(s, "<text xmlns='" XMPP_NS_STREAMS_ERR "'>%s</text>", text);
	s2s_sendf(s, "</stream:error></stream:stream>");
	s->flags |= S2S_F_CLOSE_ON_FLUSH;
	s2s_retire_parser(s);
	if (s->dir == S2S_OUT && s->fail_cond == 0)
		s->fail_cond = XL_ERR_REMOTE_SERVER_NOT_FOUND;
	s2s_enter_state(s, S2S_ST_CLOSING);
	s->deadline_ms = loop_now_ms() + S2S_CLOSE_GRACE_MS;
	s2s_timer_arm(s);
}

/* Polite close: our </stream:stream>, then wait for the peer's. */
void
s2s_stream_close(struct s2s_stream *s, const char *reason)
{
	if (s->state == S2S_ST_DEAD || s->state == S2S_ST_CLOSING)
		return;
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
	if (s->conn == NULL || !(s->flags & S2S_F_HEADER_SENT)) {
		s2s_stream_free(s, reason);
		return;
	}
	s2s_send(s, "</stream:stream>", 16);
	s2s_enter_state(s, S2S_ST_CLOSING);
	s->deadline_ms = loop_now_ms() + S2S_CLOSE_GRACE_MS;
	s2s_timer_arm(s);
}

static void
s2s_stream_release(void *arg)
{
	struct s2s_stream *s = arg;

	loop_timer_free(s->timer);
	evbuffer_free(s->out);
	free(s->pairs);
	free(s->cands);
	free(s);
}

/* The only teardown (STYLE rule 6). */
void
s2s_stream_free(struct s2s_stream *s, const char *reason)
{
	if (s->state == S2S_ST_DEAD)
		return;
	s->flags |= S2S_F_FREEING;	/* the links must not write to it now */
	log_info(LOG_MOD, "stream closed id=%llu dir=%s peer=%s local=%s "
	    "remote=%s auth=%s stanzas_in=%llu stanzas_out=%llu reason=\"%s\"",
	    (unsigned long long)s->id, s->dir == S2S_IN ? "in" : "out",
	    s->peer[0] ? s->peer : "-", s->local[0] ? s->local : "-",
	    s->remote[0] ? s->remote : "-", s->auth ? s->auth : "none",
	    (unsigned long long)s->stanzas_in,
	    (unsigned long long)s->stanzas_out, reason);
	if (s->dir == S2S_IN)
		s2s_in_gone(s);
	else
		s2s_out_gone(s);
	s2s_enter_state(s, S2S_ST_DEAD);
	loop_timer_stop(s->timer);
	s2s_detach(s);
	TAILQ_REMOVE(&S.all, s, entry);
	s2s_unhash(s);
	if (s->dir == S2S_IN)
		S.in_open--;
	else
		S.out_open--;
	if (loop_call_later(s2s_stream_release, s) != 0)
		log_warnx(LOG_MOD, "cannot schedule release of stream %llu",
		    (unsigned long long)s->id);
}

void
s2s_close_all(const char *reason)
{
	struct s2s_stream *s, *next;

	for (s = TAILQ_FIRST(&S.all); s; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->state == S2S_ST_READY || s->state == S2S_ST_OPEN)
			s2s_stream_error(s, "system-shutdown", reason);
		else if (s->state != S2S_ST_CLOSING)
			s2s_stream_free(s, reason);
	}
}

void
s2s_shutdown(void)
{
	struct s2s_stream *s;

	while ((s = TAILQ_FIRST(&S.all)) != NULL)
		s2s_stream_free(s, "shutdown");
	s2s_free_retired();
	free(S.retired);
	S.retired = NULL;
	S.capretired = 0;
	if (S.hooked)
		loop_turn_hook_del(s2s_flush_all, NULL);
	S.hooked = 0;
}

/* ---- timers ------------------------------------------------------- */

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Arm the one timer for the nearest thing this stream waits for. */
void
s2s_timer_arm(struct s2s_stream *s)
{
	const struct config *cfg = config_current();
	uint64_t now = loop_now_ms(), next;

	if (s->state == S2S_ST_DEAD)
		return;
	if (s->state == S2S_ST_READY) {
		next = min_u64(s->last_tx_ms + cfg->xmpp_keepalive_ms,
		    s->last_stanza_ms + cfg->idle_timeout_ms);
		if (s2s_pingable(s))
			next = min_u64(next, (s->flags & S2S_F_PING) ?
			    s->ping_deadline_ms :
			    s->last_alive_ms + cfg->xmpp_keepalive_ms);
	} else
		next = s->deadline_ms;
	/* (in) dialback verifications waiting for an answer */
	for (size_t i = 0; i < s->npairs; i++)
		if (s->pairs[i].st == DBP_PENDING)
			next = min_u64(next, s->pairs[i].deadline_ms);
	loop_timer_set(s->timer, next > now ? next - now : 0);
}

/* ---- keepalive and dead peers (XEP-0199) --------------------------- */

int
s2s_pingable(const struct s2s_stream *s)
{
	return s2s_carries(s, s->local, s->remote);
}

static void
s2s_ping_send(struct s2s_stream *s, uint64_t now)
{
	snprintf(s->ping_id, sizeof(s->ping_id), PING_PREFIX "%llu-%u",
	    (unsigned long long)s->id, ++s->ping_seq);
	s2s_sendf(s, "<iq type='get' from='%s' to='%s' id='%s'><ping xmlns='"
	    XMPP_NS_PING "'/></iq>", s->local, s->remote, s->ping_id);
	s->flags |= S2S_F_PING;
	s->ping_deadline_ms = now + config_current()->dead_peer_timeout_ms;
	log_debug(LOG_MOD, "ping sent id=%llu remote=%s: nothing heard for "
	    "%llums", (unsigned long long)s->id, s->remote,
	    (unsigned long long)(now - s->last_alive_ms));
}

/*
 * The answer to a ping may come on any stream from the peer's domain:
 * without bidi, it takes the peer's own stream to us, not the one we
 * pinged on. A result or an error both prove the peer alive.
 */
int
s2s_ping_answer(const struct xnode *el, const char *from_domain)
{
	const char *id = xnode_attr(el, "id"), *type = xnode_attr(el, "type");
	char to[S2S_DOMAIN_MAX];
	struct s2s_stream *s;

	if (strcmp(xnode_name(el), "iq") || id == NULL || type == NULL ||
	    (strcmp(type, "result") && strcmp(type, "error")) ||
	    strncmp(id, PING_PREFIX, sizeof(PING_PREFIX) - 1))
		return 0;
	s = s2s_stream_find(strtoull(id + sizeof(PING_PREFIX) - 1, NULL, 10));
	if (s != NULL && (s->flags & S2S_F_PING) && !strcmp(s->ping_id, id) &&
	    !strcmp(s->remote, from_domain) &&
	    conv_jid_domain(xnode_attr(el, "to"), to, sizeof(to)) == 0 &&
	    !strcmp(to, s->local)) {
		s->flags &= ~S2S_F_PING;
		s->last_alive_ms = loop_now_ms();
		s2s_timer_arm(s);
	}
	return 1;	/* ours, in time or late: nothing for the gateway */
}

/*
 * On a stream that carries our stanzas: when the peer showed no sign of
 * life for keepalive, ping it; when neither a byte on this stream nor
 * the answer on any other came within dead_peer_timeout, it is dead (a
 * hung or paused server still has its kernel acknowledge our data, so
 * TCP alone does not tell). The stream ends; what waits gets a new one.
 * -1 when the stream ended.
 */
static int
s2s_keepalive(struct s2s_stream *s, uint64_t now)
{
	const struct config *cfg = config_current();
	char why[160];

	if (!s2s_pingable(s))
		return 0;
	if (!(s->flags & S2S_F_PING)) {
		if (now - s->last_alive_ms >= cfg->xmpp_keepalive_ms)
			s2s_ping_send(s, now);
		return 0;
	}
	if (now < s->ping_deadline_ms)
		return 0;
	if (S.in_paused) {
		/* the answer may be waiting unread behind our flow control */
		s->ping_deadline_ms = now + cfg->dead_peer_timeout_ms;
		return 0;
	}
	metric_inc(s2s_m.dead_peers);
	snprintf(why, sizeof(why), "dead peer: no answer to a ping for %llums",
	    (unsigned long long)cfg->dead_peer_timeout_ms);
	log_warnx(LOG_MOD, "dead peer id=%llu dir=%s peer=%s local=%s remote=%s: "
	    "nothing heard for %llums, no answer to a ping for %llums",
	    (unsigned long long)s->id, s->dir == S2S_IN ? "in" : "out", s->peer,
	    s->local, s->remote, (unsigned long long)(now - s->last_alive_ms),
	    (unsigned long long)cfg->dead_peer_timeout_ms);
	s2s_stream_free(s, why);
	return -1;
}

static void
s2s_timer_fire(void *arg)
{
	struct s2s_stream *s = arg;
	const struct config *cfg = config_current();
	uint64_t now = loop_now_ms_fresh();

	switch (s->state) {
	case S2S_ST_DEAD:
		return;
	case S2S_ST_CLOSING:
		if (now >= s->deadline_ms) {
			s2s_stream_free(s, s->reason[0] ? s->reason : "closed");
			return;
		}
		break;
	case S2S_ST_READY:
		s2s_recv_timeout(s, now);
		if (s->state != S2S_ST_READY)
			return;
		if (now - s->last_stanza_ms >= cfg->idle_timeout_ms) {
			s2s_stream_close(s, "idle");
			return;
		}
		if (s2s_keepalive(s, now) != 0)
			return;
		if (now - s->last_tx_ms >= cfg->xmpp_keepalive_ms)
			s2s_send(s, " ", 1);	/* whitespace keepalive */
		break;
	default:
		if (s->dir == S2S_IN)
			s2s_in_timeout(s, now);
		else if (now >= s->deadline_ms)
			s2s_out_timeout(s);
		if (s->state == S2S_ST_DEAD)
			return;
		break;
	}
	s2s_timer_arm(s);
}

/* ---- helpers for both state machines ------------------------------- */

void
s2s_policy_for(const char *remote, struct s2s_policy *p)
{
	const struct config *cfg = config_current();
	const struct cfg_domain *d = remote && remote[0] ?
	    config_domain_find(cfg, remote) : NULL;

	p->security = cfg->xmpp_security;
	p->require_certs = cfg->require_client_certs;
	p->sasl_in = cfg->sasl_external_in;
	p->sasl_out = cfg->sasl_external_out;
	p->dialback = cfg->dialback;
	if (d && d->kind == DOMAIN_REMOTE) {
		if (d->opts.security >= 0)
			p->security = d->opts.security;
		if (d->opts.require_client_certs >= 0)
			p->require_certs = d->opts.require_client_certs;
		if (d->opts.sasl >= 0)
			p->sasl_in = p->sasl_out = d->opts.sasl;
		if (d->opts.dialback >= 0)
			p->dialback = d->opts.dialback;
	}
	p->tls_available = xtls_available();
	if (!p->tls_available && p->security == XMPP_SEC_TLS_OPTIONAL)
		p->security = XMPP_SEC_NO_TLS;
	if (p->security == XMPP_SEC_NO_TLS) {
		p->require_certs = 0;
		p->sasl_in = p->sasl_out = 0;
	}
}

/* Run the table row for el. 0 done, -1 no such row, -2 not in this state. */
int
s2s_dispatch(struct s2s_stream *s, const struct s2s_handler *tab,
    struct xnode *el)
{
	const char *ns = xnode_ns(el), *name = xnode_name(el);

	for (; tab->fn; tab++) {
		if (strcmp(tab->name, name) || strcmp(tab->ns, ns))
			continue;
		if (!(tab->states & (1u << s->state)))
			return -2;
		tab->fn(s, el);
		return 0;
	}
	return -1;
}

/*
 * What every stream header must be: <stream:stream/> in the streams
 * namespace, default namespace jabber:server, version 1.x or none (the
 * pre-RFC dialback peers). Sends the stream error and returns -1 if not.
 */
int
s2s_check_header(struct s2s_stream *s, const struct xnode *h)
{
	const char *dflt = xnode_attr(h, "xmlns"), *ver = xnode_attr(h, "version");
	const char *name, *value;

	if (strcmp(xnode_ns(h), XMPP_NS_STREAM) || strcmp(xnode_name(h), "stream")) {
		s2s_stream_error(s, "invalid-namespace", "not an XMPP stream");
		return -1;
	}
	if (dflt == NULL || strcmp(dflt, XMPP_NS_SERVER)) {
		s2s_stream_error(s, "invalid-namespace",
		    "the default namespace must be jabber:server");
		return -1;
	}
	if (ver && strtol(ver, NULL, 10) > 1) {
		s2s_stream_error(s, "unsupported-version", NULL);
		return -1;
	}
	for (size_t i = 0; xnode_attr_at(h, i, &name, &value); i++)
		if (!strncmp(name, "xmlns:", 6) && !strcmp(value, XMPP_NS_DIALBACK))
			s->flags |= S2S_F_PEER_DB;
	return 0;
}

/* NULL when the peer's certificate authenticates domain, else why not. */
const char *
s2s_peer_cert_why(struct s2s_stream *s, const char *domain, char *buf,
    size_t len)
{
	SSL *ssl = s->conn ? xconn_ssl(s->conn) : NULL;

	if (!(s->flags & S2S_F_TLS) || ssl == NULL) {
		snprintf(buf, len, "no TLS");
		return buf;
	}
	return xtls_peer_authenticates(ssl, domain, buf, len) ? NULL : buf;
}

/* ---- fedgatectl connections -------------------------------------- */

void
s2s_connections(FILE *out)
{
	uint64_t now = loop_now_ms_fresh();
	struct s2s_stream *s;

	TAILQ_FOREACH(s, &S.all, entry) {
		SSL *ssl = s->conn ? xconn_ssl(s->conn) : NULL;
		uint64_t last = s->last_rx_ms > s->last_tx_ms ? s->last_rx_ms :
		    s->last_tx_ms;

		fprintf(out, "xmpp id=%llu dir=%s peer=%s local=%s remote=%s "
		    "tls=%s auth=%s idle=%llus state=%s bidi=%s\n",
		    (unsigned long long)s->id, s->dir == S2S_IN ? "in" : "out",
		    s->peer[0] ? s->peer : "-", s->local[0] ? s->local : "-",
		    s->remote[0] ? s->remote : "-",
		    (s->flags & S2S_F_TLS) && ssl ? xtls_version(ssl) : "none",
		    s->auth ? s->auth : "none",
		    (unsigned long long)((now - (last < now ? last : now)) / 1000),
		    s2s_strstate(s->state),
		    (s->flags & S2S_F_BIDI) ? "yes" : "no");
	}
}
