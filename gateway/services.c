/*
 * services: the parts of the daemon, in start order (stop runs in reverse,
 * so the gateway lets go of both sides before they close).
 */
#include "config.h"
#include "core/dns.h"
#include "core/metrics.h"
#include "core/service.h"
#include "gateway/gateway.h"
#include "sip/sip.h"
#include "xmpp/xmpp.h"

#include <stddef.h>

const struct service *const services[] = {
	&dns_service,		/* first: the others resolve through it */
	&metrics_service,
	&xmpp_service,
	&sip_service,
	&gateway_service,	/* last: wires the two sides together */
	NULL
};
