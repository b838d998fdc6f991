/*
 * services: the parts of the daemon, in start order (stop runs in reverse).
 */
#include "config.h"
#include "core/dns.h"
#include "core/metrics.h"
#include "core/service.h"
#include "sip/sip.h"
#include "xmpp/xmpp.h"

#include <stddef.h>

const struct service *const services[] = {
	&dns_service,		/* first: the others resolve through it */
	&metrics_service,
	&sip_service,
	&xmpp_service,
	NULL
};
