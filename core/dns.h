/*
 * dns: asynchronous resolver (c-ares) on the main loop.
 *
 * Queries never block. Each returns a request id (never 0); the result
 * comes back once through the callback with that id and the caller's arg,
 * or never if the caller cancels it first with dns_cancel(id). A caller
 * whose object may be freed before the answer either cancels in its
 * destructor or passes an id of its own as arg (STYLE.md rule 6).
 *
 * Results are always delivered from the end of a loop turn, never from
 * inside dns_query_*() and never from inside c-ares, so dns_cancel() is
 * safe at any time, including from inside another request's callback.
 * A query that cannot even be started (resolver not initialised) returns 0.
 *
 * Answers are cached by TTL (negative answers by the zone's SOA minimum,
 * or DNS_NEG_TTL_S when the answer carries none). Timeouts and server
 * failures are never cached. Result structures are valid only during the
 * callback.
 *
 * Bounded time: each query is tried DNS_TRIES times per server, the first
 * try waiting DNS_TIMEOUT_MS, each later one twice as long (c-ares), so a
 * server that never answers gives DNS_TIMEOUT after about 6 s.
 */
#ifndef FG_CORE_DNS_H
#define FG_CORE_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

struct config;
struct service;

#define DNS_TIMEOUT_MS	2000	/* first try; c-ares doubles it per retry */
#define DNS_TRIES	2
#define DNS_NEG_TTL_S	30	/* negative answers without an SOA */
#define DNS_MAX_TTL_S	86400	/* longer TTLs are cut to a day */
#define DNS_CACHE_MAX	4096	/* entries */
#define DNS_MAX_RECORDS	32	/* SRV records / addresses kept per answer */

enum dns_status {
	DNS_OK = 0,
	DNS_NOT_FOUND,		/* NXDOMAIN or no record of that type */
	DNS_NO_SERVICE,		/* SRV with target "." (RFC 2782) */
	DNS_TIMEOUT,		/* no answer within the bounded time */
	DNS_ERROR,		/* anything else (server failure, refused...) */
};

struct dns_srv {
	char		target[256];	/* lower case, no trailing dot */
	uint16_t	port;
	uint16_t	priority, weight;
	unsigned	tag;		/* the caller's: dns leaves it alone */
};

struct dns_result {
	enum dns_status		 status;
	const char		*error;		/* readable reason when status != OK */
	/* SRV: already in RFC 2782 order (priority, then weighted random) */
	size_t			 nsrv;
	const struct dns_srv	*srv;
	/* A/AAAA: both families, in the order to try */
	size_t			 naddr;
	const struct sockaddr_storage *addr;	/* port 0 */
	/* where it came from, for explanations: 1 = served from the cache */
	int			 cached;
};

typedef void dns_cb(uint64_t id, const struct dns_result *res, void *arg);

/* Start (or restart with new servers) on the loop. */
int		dns_init(const struct config *cfg);
void		dns_reload(const struct config *cfg);
void		dns_shutdown(void);

uint64_t	dns_query_srv(const char *name, dns_cb *cb, void *arg);
uint64_t	dns_query_addr(const char *name, dns_cb *cb, void *arg);
void		dns_cancel(uint64_t id);

const char	*dns_status_name(enum dns_status st);

/*
 * The backend behind dns_query_srv/dns_query_addr/dns_cancel: c-ares by
 * default. Unit tests of modules above dns (route) install a fake one so
 * that every routing step runs without sockets. A backend must keep the
 * contract above (ids never 0, results delivered asynchronously, cancel
 * safe at any time). NULL restores c-ares.
 */
struct dns_ops {
	const char	*name;
	uint64_t	(*query_srv)(const char *name, dns_cb *cb, void *arg);
	uint64_t	(*query_addr)(const char *name, dns_cb *cb, void *arg);
	void		(*cancel)(uint64_t id);
};
void		dns_set_ops(const struct dns_ops *ops);

/*
 * RFC 2782 order, in place: priority ascending; within one priority a
 * weighted random pick, repeated, where weight-0 records are chosen only
 * when the random sum lands on 0 (so they come last unless all are 0).
 * rnd returns a uniform 32-bit value; NULL = the module's generator.
 */
void		dns_srv_order(struct dns_srv *v, size_t n,
		    uint32_t (*rnd)(void *), void *rnd_arg);

/* A uniform random 32-bit value (seeded from getrandom at first use). */
uint32_t	dns_random(void);

/* The line for fedgatectl status. */
void		dns_status_print(FILE *out);

/*
 * The "dns" service (gateway/services.c): start (dns_init, and the
 * fedgate_dns_* metrics), reload (dns_reload), shutdown, status.
 */
extern const struct service dns_service;

#endif
