/*
 * sip: the SIP side of the border (DESIGN.md §5). Sofia-SIP nta over mutual
 * TLS with the enterprise's access edge: MESSAGE (page mode), SUBSCRIBE /
 * NOTIFY / BENOTIFY presence, Lync INVITE-based IM conversations, OPTIONS.
 *
 * The gateway talks to this module only in the neutral types of
 * xlate/xlate.h. Every id handed out here (txid, subid) is a number looked
 * up in a table, never a pointer: a stale id is harmless (the call returns
 * -1).
 *
 * Threading: everything runs on the loop (core/loop.h). No function here
 * calls back into the caller re-entrantly: callbacks (events, done) always
 * run from the loop, never from inside the call that caused them.
 *
 * Ownership: the structs passed to callbacks are borrowed for the duration
 * of the callback (xlate.h rules). Structs passed in are copied before the
 * call returns.
 */
#ifndef FG_SIP_SIP_H
#define FG_SIP_SIP_H

#include <stdint.h>

#include "core/service.h"
#include "xlate/xlate.h"

/* What the edge asks of the other side. Set by the gateway. */
struct sip_events {
	/*
	 * A MESSAGE from a local SIP user: page mode, or inside a Lync INVITE
	 * conversation (the first message of the INVITE, or an in-dialog
	 * MESSAGE). The SIP request waits: answer it with sip_answer(txid, err)
	 * within [sip] answer_timeout, or it is answered 504 by itself.
	 */
	void	(*message)(uint64_t txid, const struct xl_msg *m, void *arg);
	/*
	 * A local SIP user (the watcher, s->from) subscribes to, refreshes or
	 * ends (s->type XL_SUB_UNSUBSCRIBE, expires 0) its subscription to a
	 * remote user (s->to). The SUBSCRIBE is accepted by sip/ at once (RFC
	 * 6665: "pending" until the first sip_notify()); send the remote
	 * user's presence with sip_notify(subid) and end it with
	 * sip_subscription_end(subid).
	 */
	void	(*subscribe)(uint64_t subid, const struct xl_sub *s,
		    unsigned expires, void *arg);
	/*
	 * Presence of a local SIP user (p->from) for a remote watcher (p->to),
	 * from a NOTIFY/BENOTIFY (or the piggybacked first notification) in a
	 * subscription made with sip_subscribe(). When the edge ends the
	 * subscription, p->show is XL_SHOW_UNAVAILABLE and the subid is dead
	 * after the call.
	 */
	void	(*presence)(uint64_t subid, const struct xl_pres *p, void *arg);
	/* Typing from the edge (RFC 3994 isComposing, Lync KeyboardActivity). */
	void	(*chat_state)(const struct xl_msg *m, void *arg);
	void	 *arg;
};

/* Copies ev. Until called, requests from the edge are refused with 480. */
void	sip_set_events(const struct sip_events *ev);

/*
 * Answer the SIP request txid: err NULL = 200 OK, else the SIP status that
 * err maps to (err->sip_code when set). Returns -1 when txid is unknown
 * (already answered, timed out, or the dialog is gone).
 */
int	sip_answer(uint64_t txid, const struct xl_err *err);

/*
 * Outbound toward the edge. done(cookie, NULL, arg) on a 2xx, done(cookie,
 * err, arg) on a failure, a timeout or a refused TLS connection (mapped to
 * an xl_err). done is called exactly once, from the loop, when 0 was
 * returned; never when -1 was returned (bad arguments: m->to is not in a
 * local SIP domain, or the service is not running).
 *
 * With edge_dialect = lync a message goes into the INVITE conversation of
 * the pair (m->to, m->from), made when needed (first message in the
 * INVITE's Ms-Text-Format); with standard it is a page-mode MESSAGE.
 */
typedef void sip_done_fn(uint64_t cookie, const struct xl_err *err, void *arg);
int	sip_send_message(const struct xl_msg *m, uint64_t cookie,
	    sip_done_fn *done, void *arg);
/* Typing toward the edge: INFO KeyboardActivity in a Lync conversation, an
 * isComposing MESSAGE otherwise. Best effort: no completion. */
int	sip_send_chat_state(const struct xl_msg *m);

/*
 * As watcher on behalf of a remote user (s->from) subscribe to a local SIP
 * user's presence (s->to): XL_SUB_SUBSCRIBE makes (or refreshes) the
 * subscription and sets *subid; XL_SUB_UNSUBSCRIBE ends the one of that
 * pair. Presence comes back through events.presence.
 */
int	sip_subscribe(const struct xl_sub *s, uint64_t *subid);

/*
 * As notifier in a subscription the edge made (events.subscribe): send the
 * remote user's presence (NOTIFY, or BENOTIFY when the edge supports it).
 * The first call makes a pending subscription active.
 */
int	sip_notify(uint64_t subid, const struct xl_pres *p);
/* End it: NOTIFY Subscription-State: terminated;reason=REASON (RFC 6665
 * reasons: deactivated, probation, rejected, timeout, giveup, noresource). */
int	sip_subscription_end(uint64_t subid, const char *reason);

/*
 * Is subid a live subscription? Inside events.presence, 0 tells the end of
 * a subscription (terminated by the edge, refused, expired) from a user
 * who went offline.
 */
int	sip_subscription_alive(uint64_t subid);

extern const struct service sip_service;

#endif
