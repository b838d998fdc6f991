/*
 * s2s_int.h: the stream structure and the helpers shared by s2s.c (common
 * core), s2s_in.c (inbound state machine) and s2s_out.c (outbound state
 * machine). Not for other modules: they use xmpp/s2s.h.
 */
#ifndef FG_XMPP_S2S_INT_H
#define FG_XMPP_S2S_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "core/config.h"
#include "core/route.h"
#include "xlate/xlate.h"
#include "xmpp/s2s.h"

struct evbuffer;
struct loop_io;
struct loop_timer;
struct xconn;
struct xnode;
struct xparser;

#define LOG_MOD		"xmpp"
#define S2S_DOMAIN_MAX	256
#define S2S_SID_MAX	80
#define S2S_OUT_HIGH	(1024 * 1024)	/* stop feeding a stream above this */
#define S2S_OUT_MAX	(4 * S2S_OUT_HIGH) /* beyond this the peer is cut off */
#define S2S_CLOSE_GRACE_MS 3000		/* wait for the peer's </stream> */
#define S2S_READ_CHUNK	16384

enum s2s_dir { S2S_IN, S2S_OUT };

/* One enum for both directions; each FSM uses its subset (STYLE rule 3). */
enum s2s_state {
	S2S_ST_NEW,
	S2S_ST_RESOLVING,	/* out: route lookup in progress */
	S2S_ST_CONNECTING,	/* out: TCP connect to one candidate address */
	S2S_ST_TLS,		/* TLS handshake (direct TLS or after STARTTLS) */
	S2S_ST_HEADER,		/* waiting for the peer's stream header */
	S2S_ST_FEATURES,	/* out: waiting for <stream:features/> */
	S2S_ST_STARTTLS,	/* out: <starttls/> sent, waiting for <proceed/> */
	S2S_ST_SASL,		/* out: <auth mechanism='EXTERNAL'/> sent */
	S2S_ST_DIALBACK,	/* out: <db:result/> sent, waiting for the verdict */
	S2S_ST_OPEN,		/* in: features sent; the peer negotiates */
	S2S_ST_READY,		/* authenticated (in: for at least one domain) */
	S2S_ST_CLOSING,		/* our </stream:stream> is out */
	S2S_ST_DEAD,		/* torn down; freed at the end of the turn */
};
#define ST(x)	(1u << (S2S_ST_##x))

/* Properties beside the state (STYLE rule 3). */
#define S2S_F_TLS		0x0001	/* TLS established */
#define S2S_F_DIRECT_TLS	0x0002	/* XEP-0368: TLS from the first byte */
#define S2S_F_SASL		0x0004	/* authenticated by SASL EXTERNAL */
#define S2S_F_DIALBACK		0x0008	/* (out) authenticated by dialback */
#define S2S_F_DIRTY		0x0010	/* on the flush list */
#define S2S_F_CLOSE_ON_FLUSH	0x0020	/* free once the output is written */
#define S2S_F_HEADER_SENT	0x0040	/* our stream header is out */
#define S2S_F_PEER_DB		0x0080	/* peer announced dialback */
#define S2S_F_RESTART		0x0100	/* new parser before the next read */
#define S2S_F_TLS_ON_FLUSH	0x0200	/* (in) start TLS once <proceed/> is out */
#define S2S_F_EXTERNAL_OFFERED	0x0400	/* (in) EXTERNAL was in our features */
#define S2S_F_SASL_FAILED	0x0800	/* (out) EXTERNAL refused: no retry */
#define S2S_F_CERT_OK		0x1000	/* peer certificate names the domain */
#define S2S_F_VERIFY_OK		0x2000	/* (out) may carry <db:verify/> */
#define S2S_F_AUTHED		0x4000	/* (out) reached "ready" once */
#define S2S_F_PEER_V1		0x8000	/* (in) peer's header has version 1.x */
#define S2S_F_BIDI_OFFERED	0x10000	/* XEP-0288 feature: in, we offered it;
					   out, the peer offered it */
#define S2S_F_BIDI		0x20000	/* XEP-0288 negotiated: stanzas both ways */
#define S2S_F_PING		0x40000	/* our XEP-0199 ping awaits its answer */
#define S2S_F_FREEING		0x80000	/* in s2s_stream_free(): unusable */

/* The settings that apply to one remote domain (domains.conf overrides). */
struct s2s_policy {
	int	security;		/* enum xmpp_security */
	int	require_certs;
	int	sasl_in, sasl_out;
	int	dialback;
	int	tls_available;		/* we have a certificate */
};

/*
 * One domain pair the peer wants to, or did, authenticate for sending to
 * us: on inbound streams, and on outbound streams with bidi (the pair
 * remote -> local, and the peer's other domains by dialback, XEP-0288).
 */
enum dbpair_state { DBP_PENDING, DBP_VALID };
struct s2s_dbpair {
	char			from[S2S_DOMAIN_MAX];	/* the peer's domain */
	char			to[S2S_DOMAIN_MAX];	/* ours; "" = any (SASL) */
	enum dbpair_state	st;
	uint64_t		deadline_ms;
	char			sid[S2S_SID_MAX];	/* stream id the key was for */
};

struct s2s_stream {
	uint64_t		 id;
	enum s2s_dir		 dir;
	enum s2s_state		 state;
	unsigned		 flags;
	struct xconn		*conn;
	struct loop_io		*io;
	struct loop_timer	*timer;
	struct evbuffer		*out;
	struct xparser		*parser;
	char			 sid[S2S_SID_MAX];	/* in: ours; out: the peer's */
	char			 local[S2S_DOMAIN_MAX];
	char			 remote[S2S_DOMAIN_MAX];	/* "" until known */
	char			 peer[64];		/* "addr:port" */
	struct sockaddr_storage	 peer_ss;
	const char		*auth;		/* "dialback", "sasl-external" */
	uint64_t		 created_ms, last_rx_ms, last_tx_ms;
	uint64_t		 last_stanza_ms, deadline_ms;
	uint64_t		 last_alive_ms;	/* the peer last showed it lives */
	uint64_t		 ping_deadline_ms;	/* S2S_F_PING: dead after this */
	unsigned		 ping_seq;
	char			 ping_id[48];	/* id of the ping in flight */
	uint64_t		 stanzas_in, stanzas_out;
	char			 reason[600];	/* why it closed, for the log */

	/* what the peer proved for sending to us (s2s_recv.c) */
	struct s2s_dbpair	*pairs;
	size_t			 npairs;

	/* outbound */
	struct s2s_link		*link;
	uint64_t		 route_req;
	struct route_candidate	*cands;
	size_t			 ncands, cand_i, addr_i;
	int			 fail_cond;	/* enum xl_err_cond of the last failure */
	char			 fail_text[600];
	int			 authfail;	/* refused by the peer: no next candidate */
	int			 transient;	/* route found, no address answered */

	TAILQ_ENTRY(s2s_stream)	 entry;		/* all streams */
	TAILQ_ENTRY(s2s_stream)	 dirty;		/* flush list */
	struct s2s_stream	*hnext;		/* id hash chain */
};

/* One row of a dispatch table (STYLE rule 5). */
struct s2s_handler {
	const char	*ns;
	const char	*name;
	unsigned	 states;	/* mask of ST(x) in which it is allowed */
	void		(*fn)(struct s2s_stream *s, struct xnode *el);
};

/* s2s.c: the common core */
struct s2s_stream *s2s_stream_new(enum s2s_dir dir);
void	s2s_enter_state(struct s2s_stream *s, enum s2s_state st);
const char *s2s_strstate(enum s2s_state st);
int	s2s_attach(struct s2s_stream *s, int fd, const struct sockaddr_storage *ss);
void	s2s_detach(struct s2s_stream *s);
int	s2s_parser_reset(struct s2s_stream *s);
void	s2s_io_update(struct s2s_stream *s);
int	s2s_tls_begin(struct s2s_stream *s, int server);
void	s2s_send(struct s2s_stream *s, const char *data, size_t len);
void	s2s_sendf(struct s2s_stream *s, const char *fmt, ...);
void	s2s_send_header(struct s2s_stream *s, const char *from, const char *to,
	    const char *id);
void	s2s_stream_error(struct s2s_stream *s, const char *cond,
	    const char *text);
void	s2s_stream_close(struct s2s_stream *s, const char *reason);
void	s2s_stream_free(struct s2s_stream *s, const char *reason);
void	s2s_timer_arm(struct s2s_stream *s);
void	s2s_policy_for(const char *remote, struct s2s_policy *p);
int	s2s_dispatch(struct s2s_stream *s, const struct s2s_handler *tab,
	    struct xnode *el);
int	s2s_check_header(struct s2s_stream *s, const struct xnode *h);
const char *s2s_peer_cert_why(struct s2s_stream *s, const char *domain,
	    char *buf, size_t len);
size_t	s2s_count_domain(const char *remote, const struct s2s_stream *except);
size_t	s2s_count_ip(const struct sockaddr_storage *ss);
/* XEP-0199 keepalive: may s be pinged (it carries our stanzas)? */
int	s2s_pingable(const struct s2s_stream *s);
/* 1 when el is the answer to one of our pings (consumed here). */
int	s2s_ping_answer(const struct xnode *el, const char *from_domain);
/* Counters (core/metrics.h), registered by s2s_init(). */
struct metric;
struct s2s_metrics {
	struct metric	*in_total, *out_total;		/* streams opened */
	struct metric	*auth_dialback, *auth_sasl, *auth_failures;
	struct metric	*stanzas_in, *stanzas_out;
	struct metric	*stream_errors_sent, *stream_errors_received;
	struct metric	*tls_failures, *refused_limits;
	struct metric	*bytes_in, *bytes_out;
	struct metric	*bidi, *dead_peers;
};
extern struct s2s_metrics s2s_m;

/*
 * s2s_recv.c: what a peer may send toward us, on an inbound stream or on
 * an outbound one with bidi -- the pairs it proved, dialback as receiving
 * and authoritative server, the checks on each stanza, and the links told
 * which streams may carry our stanzas back (XEP-0288).
 */
struct s2s_dbpair *s2s_pair_find(struct s2s_stream *s, const char *from,
	    const char *to);
struct s2s_dbpair *s2s_pair_add(struct s2s_stream *s, const char *from,
	    const char *to);
void	s2s_recv_db_result(struct s2s_stream *s, struct xnode *el);
void	s2s_recv_db_verify(struct s2s_stream *s, struct xnode *el);
void	s2s_recv_stanza(struct s2s_stream *s, struct xnode *el);
void	s2s_recv_timeout(struct s2s_stream *s, uint64_t now);
int	s2s_recv_domain_limit(struct s2s_stream *s, const char *domain);
void	s2s_bidi_announce(struct s2s_stream *s);
void	s2s_bidi_withdraw(struct s2s_stream *s);
void	s2s_bidi_drained(struct s2s_stream *s);

/* s2s_in.c / s2s_out.c: the two state machines behind the core */
void	s2s_in_header(struct s2s_stream *s, const struct xnode *h);
void	s2s_in_element(struct s2s_stream *s, struct xnode *el);
void	s2s_in_tls_done(struct s2s_stream *s);
void	s2s_in_timeout(struct s2s_stream *s, uint64_t now);
void	s2s_in_gone(struct s2s_stream *s);
/* (in) a domain pair passed dialback (s2s_recv.c tells the FSM) */
void	s2s_in_domain_valid(struct s2s_stream *s);
void	s2s_out_header(struct s2s_stream *s, const struct xnode *h);
void	s2s_out_element(struct s2s_stream *s, struct xnode *el);
void	s2s_out_connected(struct s2s_stream *s, int ok, const char *err);
void	s2s_out_tls_done(struct s2s_stream *s);
void	s2s_out_failed(struct s2s_stream *s, const char *why);
void	s2s_out_timeout(struct s2s_stream *s);
void	s2s_out_gone(struct s2s_stream *s);
void	s2s_out_drained(struct s2s_stream *s);

#endif
