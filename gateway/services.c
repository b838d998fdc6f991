/*
 * services: the parts of the daemon, in start order (stop runs in reverse).
 */
#include "config.h"
#include "core/metrics.h"
#include "core/service.h"
#include "sip/sip.h"

#include <stddef.h>

const struct service *const services[] = {
	&metrics_service,
	&sip_service,
	NULL
};
