/*
 * xmpppeer: the remote XMPP domain's server, as the gateway sees it
 * (RFC 6120 server-to-server, XEP-0220 dialback, XEP-0178 SASL EXTERNAL).
 *
 *  - sink: listens as the remote domain's server; the gateway's outbound
 *    streams arrive here: STARTTLS (required), then SASL EXTERNAL (client
 *    certificate chaining to the CA and naming the originating domain) or
 *    dialback (the key checked locally with the gateway's shared secret).
 *    It answers <db:verify/> on any stream as the authoritative server of
 *    the remote domain (keys made with our own secret), counts <message/>s
 *    and reports their arrival, answers presence subscriptions (subscribed
 *    + available), probes and iq pings.
 *  - source: one outbound stream to the gateway's listener as the remote
 *    domain: STARTTLS, SASL EXTERNAL if offered (or dialback), then
 *    <message type='chat'/>s. Replies of the sink go out on it too (s2s
 *    streams are one-way).
 */
#ifndef FGB_XMPPPEER_H
#define FGB_XMPPPEER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/bench.h"

struct xmpp_side *xmpp_side_new(struct bench *b);
/* Stop listening, end every stream with </stream:stream>, flushed. */
void	xmpp_side_shutdown(struct xmpp_side *x);
void	xmpp_side_free(struct xmpp_side *x);

/* Accept streams addressed to domain (call once per domain served). */
int	xmpp_sink_serve(struct xmpp_side *x, const char *domain);
int	xmpp_sink_listen(struct xmpp_side *x, const char *addr, int *port,
	    char *err, size_t errlen);
/*
 * Where the outbound stream goes (host:port), which name its certificate
 * must carry, and the domains: from = ours, to = the gateway's.
 */
int	xmpp_source_target(struct xmpp_side *x, const char *addr,
	    const char *peer_name, char *err, size_t errlen);
/* Open the outbound stream now (else on the first stanza to send). */
int	xmpp_source_start(struct xmpp_side *x);
/* The outbound stream is authenticated: stanzas flow. */
int	xmpp_source_ready(const struct xmpp_side *x);
/* 0 sent; -1 stream not ready; -2 output backlog over its limit. */
int	xmpp_source_message(struct xmpp_side *x, enum bdir d, uint64_t seq);
size_t	xmpp_source_queued(const struct xmpp_side *x);
/* How the outbound stream authenticated: "sasl-external", "dialback", "-". */
const char *xmpp_source_auth(const struct xmpp_side *x);
void	xmpp_side_report(const struct xmpp_side *x, FILE *out);

#endif
