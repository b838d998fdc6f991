/*
 * xmpp: the XMPP server-to-server side of fedgate (RFC 6120 s2s, Server
 * Dialback XEP-0220/0185, STARTTLS, SASL EXTERNAL XEP-0178, direct TLS
 * XEP-0368). This is the only header the gateway includes.
 *
 * The gateway hands outbound stanzas over as neutral xlate/ types and gets
 * inbound ones back the same way; nothing else of XMPP crosses.
 *
 * Ownership: every struct passed in either direction is BORROWED for the
 * duration of the call (xlate.h rules); copy what you keep.
 */
#ifndef FG_XMPP_XMPP_H
#define FG_XMPP_XMPP_H

#include <stdint.h>

#include "core/service.h"
#include "xlate/xlate.h"

/*
 * Set by the gateway; called only for inbound stanzas that passed every
 * check (stream authenticated for the sender's domain, recipient local,
 * policy). An inbound message, subscription request or iq that the
 * gateway does not take (event NULL) is answered with a
 * service-unavailable error, never dropped silently.
 */
struct xmpp_events {
	void	(*message)(const struct xl_msg *m, void *arg);
	void	(*presence)(const struct xl_pres *p, void *arg);
	void	(*subscription)(const struct xl_sub *s, void *arg);
	/* an error stanza that answers one we sent (its id is ours) */
	void	(*error)(const struct xl_addr *from, const struct xl_addr *to,
		    const char *id, const struct xl_err *err, void *arg);
	void	*arg;
};

/* Copies *ev; NULL removes the handlers. */
void	xmpp_set_events(const struct xmpp_events *ev);

/*
 * Outbound. The stanza is serialized during the call. Returns 0 when
 * accepted: then done(cookie, NULL, arg) is called once the stanza was
 * written to an authenticated stream, or done(cookie, err, arg) when it
 * cannot be (remote-server-not-found, remote-server-timeout,
 * policy-violation, resource-constraint when the queue for that domain
 * pair is full). Every accepted send gets exactly one done call, always
 * later from the loop, never from inside the send call; done may be NULL.
 * Returns -1 (and no done call) when the stanza is unusable: the sender
 * is not a local domain, an address is empty, or the service is not
 * running.
 */
typedef void xmpp_done_fn(uint64_t cookie, const struct xl_err *err, void *arg);

int	xmpp_send_message(const struct xl_msg *m, uint64_t cookie,
	    xmpp_done_fn *done, void *arg);
int	xmpp_send_presence(const struct xl_pres *p, uint64_t cookie,
	    xmpp_done_fn *done, void *arg);
int	xmpp_send_subscription(const struct xl_sub *s, uint64_t cookie,
	    xmpp_done_fn *done, void *arg);

/*
 * Answer a received stanza with an error stanza (e.g. the SIP side refused
 * it): from is the local address it was sent to, to the remote sender, id
 * the received stanza's id. Fire and forget: 0 when queued, -1 when
 * unusable.
 */
int	xmpp_send_error(const struct xl_addr *from, const struct xl_addr *to,
	    const char *id, int is_presence, const struct xl_err *err);

/*
 * Flow control: while paused, inbound streams are not read, so TCP pushes
 * back on the peers; the gateway pauses when the other side falls behind
 * and resumes when it catches up. Nothing is lost or refused meanwhile.
 */
void	xmpp_pause_input(int paused);

/* start, reload, stop, idle, shutdown, status, connections, stats */
extern const struct service xmpp_service;

#endif
