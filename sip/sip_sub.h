/*
 * sip_sub: presence subscriptions (RFC 6665, RFC 3856) in both roles.
 *  - notifier: the edge's user subscribes to a remote user; we answer the
 *    SUBSCRIBE, send NOTIFY/BENOTIFY on sip_notify(), refresh and expire it;
 *  - watcher: we subscribe (sip_subscribe) on behalf of a remote user to a
 *    local user; NOTIFY/BENOTIFY from the edge become events.presence.
 * Lync's flavour: its Accept list, BENOTIFY (no response either way),
 * ms-piggyback-first-notify (the first state rides in the 200).
 */
#ifndef FG_SIP_SIP_SUB_H
#define FG_SIP_SIP_SUB_H

#include <stddef.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

/* SUBSCRIBE outside a dialog (the dispatch table in sip.c). */
int	sip_sub_incoming(nta_incoming_t *irq, const sip_t *sip);
/* A request that matched no leg: 0 when it belongs to one of our
 * watcher subscriptions (and was handled), -1 otherwise. */
int	sip_sub_watcher_request(nta_incoming_t *irq, const sip_t *sip);
/* The same for a BENOTIFY, taken without a transaction. */
int	sip_sub_benotify(msg_t *msg, const sip_t *sip);
/* End every subscription: graceful sends the terminating NOTIFYs. */
void	sip_sub_shutdown(int graceful);
size_t	sip_sub_count(void);

#endif
