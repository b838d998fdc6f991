/*
 * dns: asynchronous resolver (c-ares) on the main loop.
 *
 * Queries never block. Each returns a request id (never 0); the result
 * comes back once through the callback with that id and the caller's arg,
 * or never if the caller cancels it first with dns_cancel(id). A caller
 * whose object may be freed before the answer either cancels in its
 * destructor or passes an id of its own as arg (STYLE.md rule 6).
 *
 * Answers are cached by TTL. Result structures are valid only during the
 * callback.
 */
#ifndef FG_CORE_DNS_H
#define FG_CORE_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct config;

enum dns_status {
	DNS_OK = 0,
	DNS_NOT_FOUND,		/* NXDOMAIN or no record of that type */
	DNS_NO_SERVICE,		/* SRV with target "." (RFC 2782) */
	DNS_TIMEOUT,		/* no answer within the bounded time */
	DNS_ERROR,		/* anything else (server failure, refused...) */
};

struct dns_srv {
	char		target[256];
	uint16_t	port;
	uint16_t	priority, weight;
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

#endif
