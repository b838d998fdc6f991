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
 * Details (docs/routing.md):
 *  - SIP patterns: only the most specific matching pattern is used (more
 *    labels first; at equal labels ".com.a" exact beats ".com.a.*"); several
 *    lines with that same pattern are equal candidates, in file order.
 *  - XMPP static routes: the addresses of one domain are shuffled at every
 *    lookup (equal priority = spread the load, as SRV records of equal
 *    priority and weight would).
 *  - A type=clearinghouse domain skips the A/AAAA step: the address of a
 *    domain hosted by a clearinghouse is its web site, not a federation
 *    server; its chain goes on to the default routing domain instead.
 *  - SRV target "." (RFC 2782) stops the lookup with ROUTE_NO_SERVICE. On
 *    the XMPP side a "." for _xmpps-server only means "no direct TLS"; the
 *    _xmpp-server records are used, and there is no A/AAAA fallback then
 *    (XEP-0368).
 *  - A DNS timeout or server failure stops the lookup (ROUTE_TIMEOUT,
 *    ROUTE_ERROR): routing around a broken resolver would hide it.
 *  - tls_name: XMPP = the domain the stream is for (RFC 6125 / RFC 6120
 *    §13.7.2.1: the reference identity is the source domain, never the SRV
 *    target host; a certificate may also prove it with an SRV-ID); for the
 *    clearinghouse steps it is the default routing domain, which speaks for
 *    the domains it hosts. SIP = the next-hop host, as Sofia compares it.
 *
 * The result is an ordered candidate list; the caller tries them in order,
 * the next one on failure. Like dns, results come back once by callback
 * with the request id, always from the end of a loop turn (never from
 * inside route_lookup); route_cancel() stops a pending lookup and is safe
 * at any time. A lookup finishes with the config it began with (it holds
 * a config_ref), even across a reload.
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
#define ROUTE_F_NO_TLS		0x2	/* SIP static route with protocol tcp, or
					   an edge= hop with [sip] transport = tcp */

#define ROUTE_MAX_ADDRS		8
#define ROUTE_MAX_CANDIDATES	64

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
	const char		*trace;		/* ROUTE_TRACE: the steps, one a line */
};

#define ROUTE_RESOLVE	0x1	/* also resolve each candidate host to addresses;
				   candidates that do not resolve are dropped */
#define ROUTE_TRACE	0x2	/* collect every step tried in result->trace */

typedef void route_cb(uint64_t id, const struct route_result *res, void *arg);

/* Returns the request id (never 0). Uses config_current(). */
uint64_t	route_lookup(const char *domain, enum route_side side,
		    unsigned flags, route_cb *cb, void *arg);
void		route_cancel(uint64_t id);

/*
 * Offline explanation (fedgated --route): the policy decision for both
 * directions, every step tried and its result, the candidates. Runs the
 * loop itself until the lookup is done (bounded), so it must not be called
 * from inside a running loop. Needs dns_init(). Returns 0 when a route was
 * found, 1 otherwise.
 */
int		route_explain(const char *domain, enum route_side side, FILE *out);

const char	*route_step_name(enum route_step step);
const char	*route_status_name(enum route_status st);

/*
 * Does the SIP reversed pattern (".com.domaina.*", ".com.domaina", ".*")
 * cover domain? Returns its specificity (2 x labels, +1 when exact), or -1.
 */
int		route_sip_pattern_match(const char *pattern, const char *domain);

/*
 * The side fedgated --route explains when none is given: sip for our own
 * domains and remotes of type=sip, xmpp for everything else.
 */
enum route_side	route_default_side(const struct config *cfg, const char *domain);

#endif
