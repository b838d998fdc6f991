/*
 * sub: the presence subscription state machine of one (local SIP user,
 * remote XMPP user) pair, with the RFC 6121 states (Appendix A), kept from
 * the local user's side: "to" = the local user sees the remote user's
 * presence (a SIP SUBSCRIBE from the edge, approved by the remote);
 * "from" = the remote user sees the local user's (an XMPP subscribe,
 * approved by a NOTIFY active from the edge to the SUBSCRIBE we made).
 *
 * xl_sub_fsm(state, event, &actions) is pure: it returns the new state and
 * the actions the gateway must carry out (a bit set). Events that change
 * nothing return the same state and no action — never an error, as RFC
 * 6121 §3 tells a server to ignore such stanzas (a repeated subscribe is
 * answered from the state instead, e.g. "subscribed" again).
 */
#ifndef FG_XLATE_SUB_H
#define FG_XLATE_SUB_H

#include "xlate/xlate.h"

enum xl_sub_state {		/* RFC 6121 Appendix A, local user's view */
	XL_SS_NONE,
	XL_SS_NONE_PENDING_OUT,	/* local asked, remote not yet answered */
	XL_SS_NONE_PENDING_IN,	/* remote asked, local not yet answered */
	XL_SS_NONE_PENDING_OUT_IN,
	XL_SS_TO,
	XL_SS_TO_PENDING_IN,
	XL_SS_FROM,
	XL_SS_FROM_PENDING_OUT,
	XL_SS_BOTH,
};

enum xl_sub_event {
	/* from the SIP side (the local user, via the edge) */
	XL_SE_SIP_SUBSCRIBE,	/* SUBSCRIBE (new or refresh) to the remote */
	XL_SE_SIP_UNSUBSCRIBE,	/* SUBSCRIBE Expires: 0, or the dialog expired */
	XL_SE_SIP_ACTIVE,	/* NOTIFY active to our SUBSCRIBE: approved */
	XL_SE_SIP_PENDING,	/* NOTIFY pending: waiting for the local user */
	XL_SE_SIP_TERMINATED,	/* NOTIFY terminated / our SUBSCRIBE refused */
	/* from the XMPP side (the remote user) */
	XL_SE_XMPP_SUBSCRIBE,
	XL_SE_XMPP_SUBSCRIBED,
	XL_SE_XMPP_UNSUBSCRIBE,
	XL_SE_XMPP_UNSUBSCRIBED,
	XL_SE_XMPP_PROBE,
};

enum xl_sub_action {
	XL_SA_NONE			= 0,
	/* toward the remote XMPP user */
	XL_SA_XMPP_SUBSCRIBE		= 1 << 0,
	XL_SA_XMPP_SUBSCRIBED		= 1 << 1,
	XL_SA_XMPP_UNSUBSCRIBE		= 1 << 2,
	XL_SA_XMPP_UNSUBSCRIBED		= 1 << 3,
	XL_SA_XMPP_PROBE		= 1 << 4,	/* ask for current presence */
	XL_SA_XMPP_SEND_PRESENCE	= 1 << 5,	/* send the local user's last presence */
	/* toward the local SIP user (the edge) */
	XL_SA_SIP_SUBSCRIBE		= 1 << 6,	/* SUBSCRIBE on the remote's behalf */
	XL_SA_SIP_UNSUBSCRIBE		= 1 << 7,	/* SUBSCRIBE Expires: 0 */
	XL_SA_SIP_NOTIFY_PENDING	= 1 << 8,	/* watcher's dialog: pending */
	XL_SA_SIP_NOTIFY_ACTIVE		= 1 << 9,	/* watcher's dialog: active */
	XL_SA_SIP_NOTIFY_TERMINATED	= 1 << 10,	/* watcher's dialog: ended */
};

enum xl_sub_state xl_sub_fsm(enum xl_sub_state state, enum xl_sub_event ev,
		    unsigned *actions);

/* The event an XMPP subscription stanza is. */
enum xl_sub_event xl_sub_event_from_xmpp(enum xl_sub_type type);

/* 1 when the local user may see the remote's presence ("to"), and the
   reverse ("from"). */
int		 xl_sub_has_to(enum xl_sub_state s);
int		 xl_sub_has_from(enum xl_sub_state s);

/* Names for logs: "none+pending-out", "xmpp-subscribe", "sip-notify-active". */
const char	*xl_sub_state_name(enum xl_sub_state s);
const char	*xl_sub_event_name(enum xl_sub_event ev);
/* All action names of a set, '|'-separated ("none" when empty). */
int		 xl_sub_actions_format(unsigned actions, char *buf, size_t len);

#endif
