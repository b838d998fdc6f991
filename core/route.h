/*
 * route: where traffic for a remote domain goes (CONFIG.md "Routing
 * order"). Both sides use this one engine.
 *
 * route_lookup(domain, side) rewrites aliases, then tries in order:
 *  1. the static route (SIP reversed patterns, most specific first; XMPP
 *     domain routes with several equal-priority addresses) -- a domain with
 *     a static route never falls back to DNS;
 *  2. DNS SRV (_xmpps-server._tcp merged with _xmpp-server._tcp on the XMPP
 *     side per XEP-0368; _sipfederationtls._tcp on the SIP side), then the
 *     A/AAAA records of the domain itself;
 *  and only for type=clearinghouse domains (AOL-style default routing):
 *  3. the static route of the default routing domain; 4. its SRV.
 * A local SIP domain routes to its edge= next hop (or a sip static route).
 *
 * The result is an ordered candidate list; the caller tries them in order,
 * the next one on failure. Like dns, results come back once by callback
 * with the request id; route_cancel() stops a pending lookup. A lookup
 * finishes with the config it began with, even across a reload.
 */
#ifndef FG_CORE_ROUTE_H
#define FG_CORE_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "core/config.h"

enum route_side { ROUTE_SIDE_SIP, ROUTE_SIDE_XMPP };

enum route_step {
	ROUTE_STEP_EDGE,		/* local domain's edge= next hop */
	ROUTE_STEP_STATIC,		/* static route of the domain */
	ROUTE_STEP_SRV,			/* SRV of the domain */
	ROUTE_STEP_HOST,		/* A/AAAA of the domain itself */
	ROUTE_STEP_DEFAULT_STATIC,	/* static route of the default routing domain */
	ROUTE_STEP_DEFAULT_SRV,		/* SRV of the default routing domain */
};

#define ROUTE_F_DIRECT_TLS	0x1	/* XEP-0368 _xmpps-server: TLS from the first byte */
#define ROUTE_F_NO_TLS		0x2	/* SIP static route with protocol tcp */

#define ROUTE_MAX_ADDRS		8

struct route_candidate {
	char		host[CFG_HOST_MAX];	/* name (or literal) to connect to */
	uint16_t	port;
	char		tls_name[CFG_HOST_MAX];	/* name the peer certificate must carry */
	enum route_step	step;
	unsigned	flags;
	/* filled when ROUTE_RESOLVE was asked: addresses of host, port set */
	size_t		naddrs;
	struct sockaddr_storage addrs[ROUTE_MAX_ADDRS];
};

enum route_status {
	ROUTE_OK = 0,
	ROUTE_NOT_FOUND,	/* no step gave a candidate */
	ROUTE_NO_SERVICE,	/* SRV "." : the domain says it offers no service */
	ROUTE_TIMEOUT,		/* DNS did not answer in bounded time */
	ROUTE_ERROR,
};

struct route_result {
	enum route_status	 status;
	const char		*domain;	/* after alias rewriting */
	const char		*error;		/* readable reason when not OK */
	size_t			 n;
	const struct route_candidate *c;
};

#define ROUTE_RESOLVE	0x1	/* also resolve each candidate host to addresses */

typedef void route_cb(uint64_t id, const struct route_result *res, void *arg);

uint64_t	route_lookup(const char *domain, enum route_side side,
		    unsigned flags, route_cb *cb, void *arg);
void		route_cancel(uint64_t id);

/* Offline explanation (fedgated --route): every step tried and its result. */
int		route_explain(const char *domain, enum route_side side, FILE *out);

const char	*route_step_name(enum route_step step);

#endif
