/*
 * bench: the load tool's shared context. One process, one thread, one
 * libevent loop, one clock (CLOCK_MONOTONIC): every message carries its
 * send time, so a sink measures latency send -> arrival directly.
 *
 * Directions: SIP->XMPP (SIP edge source -> gateway -> XMPP sink),
 * XMPP->SIP (XMPP source -> gateway -> SIP edge sink), and the self-tests
 * that connect a source straight to a sink of the same protocol.
 *
 * Each message is tagged "fgb D R S T": direction, run, sequence number,
 * send time in ns. The same tag is the SIP Call-ID ("fgb-D-R-S-T@host")
 * and the XMPP stanza id ("fgb-D-R-S-T"), so a response or an error stanza
 * finds its message without any table.
 */
#ifndef FGB_BENCH_H
#define FGB_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "bench/dbkey.h"
#include "bench/stats.h"

enum bdir {
	BD_SIP2XMPP,
	BD_XMPP2SIP,
	BD_SELF_SIP,
	BD_SELF_XMPP,
	BD_N
};

enum xmpp_auth {
	XAUTH_AUTO,		/* SASL EXTERNAL when offered, else dialback */
	XAUTH_EXTERNAL,
	XAUTH_DIALBACK,
};

struct bench_opts {
	const char	*local_domain;	/* the gateway's SIP domain (sip.test) */
	const char	*remote_domain;	/* the XMPP peer's domain (xmpp.test) */
	const char	*gw_sip;	/* gateway SIP listener host:port */
	const char	*gw_xmpp;	/* gateway XMPP listener host:port */
	const char	*gw_name;	/* name in the gateway's SIP certificate */
	const char	*xmpp_listen;	/* our XMPP sink (remote domain's server) */
	const char	*edge_listen;	/* our SIP edge sink */
	const char	*edge_name;	/* our edge's FQDN (Via, Contact) */
	const char	*ca, *edge_cert, *edge_key, *xmpp_cert, *xmpp_key;
	const char	*gw_secret;	/* the gateway's dialback secret file */
	const char	*own_secret;	/* ours (authoritative server), optional */
	const char	*sip_peer_name;	/* expected in the SIP server cert */
	const char	*xmpp_peer_name;/* expected in the XMPP server cert */
	enum xmpp_auth	 xmpp_auth;
	double		 rate, secs, warmup, drain, timeout;
	unsigned	 users, conns, body_size;
	pid_t		 pid;
	int		 search;
	double		 step, start, search_max;
	unsigned	 subs;
	double		 sub_rate;
	int		 verbose;
};

struct sip_side;
struct xmpp_side;

struct bench {
	struct event_base	*base;
	struct bench_opts	 o;
	SSL_CTX			*sip_cli, *sip_srv, *xmpp_cli, *xmpp_srv;
	struct dbkey		 gw_key, own_key;
	struct sip_side		*sip;
	struct xmpp_side	*xmpp;
	struct tracker		 trk[BD_N];
	uint32_t		 run;
	/* subscriptions (subs mode) */
	uint8_t			*sub_st;
	uint64_t		 nsubs, subs_answered, subs_notified,
				 subs_active, subs_failed;
	char			 problem[512];	/* first fatal problem seen */
	char			 last_bounce[64];/* condition of the last error */
	uint64_t		 foreign;	/* arrivals without our tag */
};

const char *bdir_name(enum bdir d);

/* The body text of message seq of direction d in the current run. */
size_t	bench_body(const struct bench *b, enum bdir d, uint64_t seq,
	    uint64_t ts, char *out, size_t cap);
/* The tag as a SIP Call-ID local part or stanza id: "fgb-D-R-S-T". */
size_t	bench_tag_id(const struct bench *b, enum bdir d, uint64_t seq,
	    uint64_t ts, char *out, size_t cap);

/* Events from the sides. */
void	bench_arrived(struct bench *b, const char *body, size_t len,
	    uint64_t now);
void	bench_answered(struct bench *b, const char *call_id, size_t len,
	    int code, uint64_t now);
void	bench_bounced(struct bench *b, const char *id, size_t len,
	    const char *why);
enum sub_event { SUB_ANSWERED, SUB_REFUSED, SUB_PENDING, SUB_ACTIVE,
	SUB_TERMINATED };
void	bench_sub_event(struct bench *b, const char *call_id, size_t len,
	    enum sub_event ev);
/* A fatal problem: the first one is kept and ends the current wait. */
void	bench_problem(struct bench *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	bench_debug(const struct bench *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
