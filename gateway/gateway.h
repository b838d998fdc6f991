/*
 * gateway: the wiring of sip/ and xmpp/ through xlate/ (see gateway.c).
 * Started after both sides (services.c order); it only sets their event
 * handlers and keeps the presence and correlation tables.
 */
#ifndef FG_GATEWAY_GATEWAY_H
#define FG_GATEWAY_GATEWAY_H

#include "core/service.h"

extern const struct service gateway_service;

#endif
