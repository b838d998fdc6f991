/*
 * sub: RFC 6121 subscription states driving SUBSCRIBE/NOTIFY and
 * subscribe/subscribed/unsubscribe/unsubscribed/probe. See sub.h.
 *
 * A state is four facts (to, from, pending-out, pending-in); each event
 * changes some of them. The transition is one switch on the event over
 * those facts; the nine-state enum is their name.
 */
#include <string.h>

#include "xlate/sub.h"
#include "xlate/text.h"

#define F_TO	0x1
#define F_FROM	0x2
#define F_POUT	0x4
#define F_PIN	0x8

static const struct {
	unsigned	 flags;
	const char	*name;
} states[] = {
	[XL_SS_NONE]			= { 0, "none" },
	[XL_SS_NONE_PENDING_OUT]	= { F_POUT, "none+pending-out" },
	[XL_SS_NONE_PENDING_IN]		= { F_PIN, "none+pending-in" },
	[XL_SS_NONE_PENDING_OUT_IN]	= { F_POUT | F_PIN,
					    "none+pending-out+pending-in" },
	[XL_SS_TO]			= { F_TO, "to" },
	[XL_SS_TO_PENDING_IN]		= { F_TO | F_PIN, "to+pending-in" },
	[XL_SS_FROM]			= { F_FROM, "from" },
	[XL_SS_FROM_PENDING_OUT]	= { F_FROM | F_POUT, "from+pending-out" },
	[XL_SS_BOTH]			= { F_TO | F_FROM, "both" },
};
#define NSTATES (sizeof(states) / sizeof(states[0]))

static enum xl_sub_state
state_of(unsigned flags)
{
	for (size_t i = 0; i < NSTATES; i++)
		if (states[i].flags == flags)
			return (enum xl_sub_state)i;
	return XL_SS_NONE;		/* unreachable: every set is named */
}

/* Local user's side: the SIP watcher asks for, or drops, the remote's presence. */
static unsigned
fsm_sip_watcher(unsigned *f, enum xl_sub_event ev)
{
	if (ev == XL_SE_SIP_SUBSCRIBE) {
		if (*f & F_TO)
			return XL_SA_SIP_NOTIFY_ACTIVE | XL_SA_XMPP_PROBE;
		if (*f & F_POUT)
			return XL_SA_SIP_NOTIFY_PENDING;
		*f |= F_POUT;
		return XL_SA_XMPP_SUBSCRIBE | XL_SA_SIP_NOTIFY_PENDING;
	}
	/* XL_SE_SIP_UNSUBSCRIBE */
	if (*f & (F_TO | F_POUT)) {
		*f &= ~(unsigned)(F_TO | F_POUT);
		return XL_SA_XMPP_UNSUBSCRIBE | XL_SA_SIP_NOTIFY_TERMINATED;
	}
	return XL_SA_SIP_NOTIFY_TERMINATED;
}

/* The local user answers (through the edge's NOTIFY) the remote's request. */
static unsigned
fsm_sip_notifier(unsigned *f, enum xl_sub_event ev)
{
	switch (ev) {
	case XL_SE_SIP_ACTIVE:
		if (*f & F_PIN) {
			*f = (*f & ~(unsigned)F_PIN) | F_FROM;
			return XL_SA_XMPP_SUBSCRIBED;
		}
		return XL_SA_NONE;
	case XL_SE_SIP_TERMINATED:
		if (*f & (F_PIN | F_FROM)) {
			*f &= ~(unsigned)(F_PIN | F_FROM);
			return XL_SA_XMPP_UNSUBSCRIBED;
		}
		return XL_SA_NONE;
	default:				/* XL_SE_SIP_PENDING */
		return XL_SA_NONE;
	}
}

/* The remote user's stanzas (RFC 6121 §3, server rules). */
static unsigned
fsm_xmpp(unsigned *f, enum xl_sub_event ev)
{
	switch (ev) {
	case XL_SE_XMPP_SUBSCRIBE:
		if (*f & F_FROM)
			return XL_SA_XMPP_SUBSCRIBED;	/* §3.1.3: auto-reply */
		if (*f & F_PIN)
			return XL_SA_NONE;		/* already asked */
		*f |= F_PIN;
		return XL_SA_SIP_SUBSCRIBE;
	case XL_SE_XMPP_SUBSCRIBED:
		if (!(*f & F_POUT))
			return XL_SA_NONE;		/* §3.1.5: ignore */
		*f = (*f & ~(unsigned)F_POUT) | F_TO;
		return XL_SA_SIP_NOTIFY_ACTIVE;
	case XL_SE_XMPP_UNSUBSCRIBE:
		if (!(*f & (F_FROM | F_PIN)))
			return XL_SA_NONE;
		*f &= ~(unsigned)(F_FROM | F_PIN);
		return XL_SA_SIP_UNSUBSCRIBE;
	case XL_SE_XMPP_UNSUBSCRIBED:
		if (!(*f & (F_TO | F_POUT)))
			return XL_SA_NONE;
		*f &= ~(unsigned)(F_TO | F_POUT);
		return XL_SA_SIP_NOTIFY_TERMINATED;
	default:				/* XL_SE_XMPP_PROBE, §4.3.2 */
		return (*f & F_FROM) ? XL_SA_XMPP_SEND_PRESENCE :
		    XL_SA_XMPP_UNSUBSCRIBED;
	}
}

enum xl_sub_state
xl_sub_fsm(enum xl_sub_state state, enum xl_sub_event ev, unsigned *actions)
{
	unsigned f = (size_t)state < NSTATES ? states[state].flags : 0;
	unsigned a;

	switch (ev) {
	case XL_SE_SIP_SUBSCRIBE:
	case XL_SE_SIP_UNSUBSCRIBE:
		a = fsm_sip_watcher(&f, ev);
		break;
	case XL_SE_SIP_ACTIVE:
	case XL_SE_SIP_PENDING:
	case XL_SE_SIP_TERMINATED:
		a = fsm_sip_notifier(&f, ev);
		break;
	default:
		a = fsm_xmpp(&f, ev);
		break;
	}
	if (actions)
		*actions = a;
	return state_of(f);
}

enum xl_sub_event
xl_sub_event_from_xmpp(enum xl_sub_type type)
{
	switch (type) {
	case XL_SUB_SUBSCRIBE:		return XL_SE_XMPP_SUBSCRIBE;
	case XL_SUB_SUBSCRIBED:		return XL_SE_XMPP_SUBSCRIBED;
	case XL_SUB_UNSUBSCRIBE:	return XL_SE_XMPP_UNSUBSCRIBE;
	case XL_SUB_UNSUBSCRIBED:	return XL_SE_XMPP_UNSUBSCRIBED;
	default:			return XL_SE_XMPP_PROBE;
	}
}

int
xl_sub_has_to(enum xl_sub_state s)
{
	return (size_t)s < NSTATES && (states[s].flags & F_TO);
}

int
xl_sub_has_from(enum xl_sub_state s)
{
	return (size_t)s < NSTATES && (states[s].flags & F_FROM);
}

const char *
xl_sub_state_name(enum xl_sub_state s)
{
	return (size_t)s < NSTATES ? states[s].name : "invalid";
}

static const char *const event_names[] = {
	[XL_SE_SIP_SUBSCRIBE] = "sip-subscribe",
	[XL_SE_SIP_UNSUBSCRIBE] = "sip-unsubscribe",
	[XL_SE_SIP_ACTIVE] = "sip-notify-active",
	[XL_SE_SIP_PENDING] = "sip-notify-pending",
	[XL_SE_SIP_TERMINATED] = "sip-notify-terminated",
	[XL_SE_XMPP_SUBSCRIBE] = "xmpp-subscribe",
	[XL_SE_XMPP_SUBSCRIBED] = "xmpp-subscribed",
	[XL_SE_XMPP_UNSUBSCRIBE] = "xmpp-unsubscribe",
	[XL_SE_XMPP_UNSUBSCRIBED] = "xmpp-unsubscribed",
	[XL_SE_XMPP_PROBE] = "xmpp-probe",
};

const char *
xl_sub_event_name(enum xl_sub_event ev)
{
	return (size_t)ev < sizeof(event_names) / sizeof(event_names[0]) ?
	    event_names[ev] : "invalid";
}

static const char *const action_names[] = {
	"xmpp-subscribe", "xmpp-subscribed", "xmpp-unsubscribe",
	"xmpp-unsubscribed", "xmpp-probe", "xmpp-send-presence",
	"sip-subscribe", "sip-unsubscribe", "sip-notify-pending",
	"sip-notify-active", "sip-notify-terminated",
};

int
xl_sub_actions_format(unsigned actions, char *buf, size_t len)
{
	struct xl_out o;

	xl_out_init(&o, buf, len);
	if (actions == 0)
		xl_out_str(&o, "none");
	for (size_t i = 0; i < sizeof(action_names) / sizeof(*action_names);
	    i++)
		if (actions & (1u << i)) {
			if (o.n > 0)
				xl_out_char(&o, '|');
			xl_out_str(&o, action_names[i]);
		}
	return xl_out_done(&o);
}
