/*
 * sippeer: the SIP edge, both ways, over mutual TLS.
 *
 *  - source (SIP->XMPP): client connection(s) to the gateway's SIP
 *    listener, presenting the edge certificate; page-mode MESSAGE and
 *    presence SUBSCRIBE requests; final responses are reported to the bench
 *    by Call-ID.
 *  - sink (XMPP->SIP): a TLS server on the edge's address that requires a
 *    client certificate chaining to the CA; answers MESSAGE 200 (reporting
 *    the arrival), OPTIONS/NOTIFY 200, BENOTIFY nothing, SUBSCRIBE 200 plus
 *    an active NOTIFY, INVITE 488 (the benchmark uses edge_dialect=standard).
 *
 * Requests that arrive on a source connection (NOTIFY for our
 * subscriptions, OPTIONS keepalives) are handled the same way as on the
 * sink: whichever connection the gateway picks, it is answered.
 */
#ifndef FGB_SIPPEER_H
#define FGB_SIPPEER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/bench.h"

struct sip_side *sip_side_new(struct bench *b);
/* Stop listening, close every connection after flushing it. */
void	sip_side_shutdown(struct sip_side *s);
void	sip_side_free(struct sip_side *s);

/* Listen on host:port (port 0: any); *port receives the port bound. */
int	sip_sink_listen(struct sip_side *s, const char *addr, int *port,
	    char *err, size_t errlen);
/* Open nconns TLS connections to host:port; peer_name is checked in its cert. */
int	sip_source_start(struct sip_side *s, const char *addr,
	    const char *peer_name, unsigned nconns, char *err, size_t errlen);
/* Every source connection has finished its TLS handshake. */
int	sip_source_ready(const struct sip_side *s);
/* 0 sent; -1 no connection up; -2 output backlog over its limit. */
int	sip_source_message(struct sip_side *s, enum bdir d, uint64_t seq);
int	sip_source_subscribe(struct sip_side *s, uint64_t k);
/* Bytes queued for the gateway on the source connections. */
size_t	sip_source_queued(const struct sip_side *s);
void	sip_side_report(const struct sip_side *s, FILE *out);

#endif
