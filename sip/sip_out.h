/*
 * sip_out: every request fedgate sends toward the edge. It goes to the
 * next hop of the local SIP domain (the access edge, from the routing),
 * whatever the Request-URI or the dialog's Contact says: the edge is the
 * only peer we talk to. The next hops come from route_lookup (edge=, a SIP
 * static route, _sipfederationtls._tcp), tried in order. A request whose
 * connection fails (refused, TLS verification failed, dropped) goes to the
 * next hop or fails within a second, not after Sofia's 32-second timer.
 */
#ifndef FG_SIP_SIP_OUT_H
#define FG_SIP_SIP_OUT_H

#include <stddef.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip.h>

struct sip_out;

/* Final outcome of an outgoing request. sip is NULL when the request never
 * got a response (no route, connection or TLS failure: 503; timeout: 408);
 * hop is the next hop URL it went to ("" when none). */
typedef void sip_out_fn(void *arg, int status, const char *phrase,
	    const sip_t *sip, const char *hop);

/*
 * Send a request in leg toward the next hop of domain (a local SIP domain;
 * or, for the edge's own OPTIONS ping, a hop URL "sip:..." used as is).
 * reuse, when not NULL, is the connection the dialog's peer used: the
 * request goes back over it while it is open (so that the edge gets
 * in-dialog requests where it expects them, RFC 5923 style), else to the
 * hop. The request is
 * built now from leg and the tags (so the caller's strings may go away)
 * and leaves once the route is known. fn is called once, from the loop,
 * unless sip_out_cancel() comes first. Returns NULL when the request
 * cannot be built.
 */
struct sip_out *sip_out_send(nta_leg_t *leg, const char *domain,
	    tport_t *reuse, sip_out_fn *fn, void *arg, sip_method_t method,
	    const char *name, const url_t *ruri, tag_type_t tag,
	    tag_value_t value, ...);
/* Fire and forget (BENOTIFY): sent once, no response expected or waited
 * for. -1 when it cannot be built. */
int	sip_out_send_once(nta_leg_t *leg, const char *domain,
	    tport_t *reuse, sip_method_t method, const char *name,
	    const url_t *ruri, tag_type_t tag, tag_value_t value, ...);
/* ACK a 2xx to INVITE, to the hop the INVITE went to. */
int	sip_out_ack(nta_leg_t *leg, const char *hop, const url_t *ruri);
/* No callback after this; the transaction is abandoned. */
void	sip_out_cancel(struct sip_out *o);
size_t	sip_out_count(void);
void	sip_out_shutdown(void);

#endif
