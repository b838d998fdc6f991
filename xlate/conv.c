/*
 * conv: the Lync conversation state machine and its small object.
 * See conv.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "xlate/addr.h"
#include "xlate/conv.h"
#include "xlate/text.h"

struct xl_conv {
	struct xl_addr		 local, remote;
	char			*thread;
	enum xl_conv_state	 state;
	uint64_t		 last_ms;	/* last traffic */
};

enum xl_im_mode
xl_im_mode_for(int edge_dialect)
{
	return edge_dialect == EDGE_DIALECT_LYNC ? XL_IM_CONVERSATION :
	    XL_IM_PAGE;
}

/* No dialog (NONE or CLOSED): only a new message or INVITE starts one. */
static enum xl_conv_state
fsm_idle(enum xl_conv_state s, enum xl_conv_event ev, unsigned *a)
{
	switch (ev) {
	case XL_CE_XMPP_MESSAGE:
		*a = XL_CA_SEND_INVITE;
		return XL_CONV_INVITING;
	case XL_CE_SIP_INVITE:
		*a = XL_CA_ACCEPT_INVITE | XL_CA_DELIVER;
		return XL_CONV_ACTIVE;
	case XL_CE_SIP_MESSAGE:
	case XL_CE_SIP_BYE:
		*a = XL_CA_REFUSE;
		return s;
	default:
		return s;
	}
}

/* Our INVITE is out: hold messages until it is answered. */
static enum xl_conv_state
fsm_inviting(enum xl_conv_event ev, unsigned *a)
{
	switch (ev) {
	case XL_CE_XMPP_MESSAGE:
		*a = XL_CA_QUEUE;
		return XL_CONV_INVITING;
	case XL_CE_SIP_INVITE_OK:
		*a = XL_CA_FLUSH_QUEUE;
		return XL_CONV_ACTIVE;
	case XL_CE_SIP_INVITE_FAILED:
		*a = XL_CA_FAIL_QUEUE | XL_CA_FORGET;
		return XL_CONV_CLOSED;
	case XL_CE_SIP_INVITE:		/* both opened at once: take theirs */
		*a = XL_CA_ACCEPT_INVITE | XL_CA_DELIVER | XL_CA_FLUSH_QUEUE;
		return XL_CONV_ACTIVE;
	case XL_CE_SIP_MESSAGE:
	case XL_CE_SIP_BYE:
		*a = XL_CA_REFUSE;
		return XL_CONV_INVITING;
	default:			/* the INVITE has its own timeout */
		return XL_CONV_INVITING;
	}
}

static enum xl_conv_state
fsm_active(enum xl_conv_event ev, unsigned *a)
{
	switch (ev) {
	case XL_CE_XMPP_MESSAGE:
		*a = XL_CA_SEND_MESSAGE;
		return XL_CONV_ACTIVE;
	case XL_CE_SIP_MESSAGE:
		*a = XL_CA_DELIVER;
		return XL_CONV_ACTIVE;
	case XL_CE_SIP_INVITE:		/* re-INVITE */
		*a = XL_CA_ACCEPT_INVITE | XL_CA_DELIVER;
		return XL_CONV_ACTIVE;
	case XL_CE_SIP_BYE:
		*a = XL_CA_ANSWER_BYE | XL_CA_FORGET;
		return XL_CONV_CLOSED;
	case XL_CE_IDLE_TIMEOUT:
	case XL_CE_XMPP_GONE:
		*a = XL_CA_SEND_BYE | XL_CA_FORGET;
		return XL_CONV_CLOSED;
	default:
		return XL_CONV_ACTIVE;
	}
}

enum xl_conv_state
xl_conv_fsm(enum xl_conv_state state, enum xl_conv_event ev,
    unsigned *actions)
{
	unsigned a = XL_CA_NONE;
	enum xl_conv_state next;

	switch (state) {
	case XL_CONV_INVITING:
		next = fsm_inviting(ev, &a);
		break;
	case XL_CONV_ACTIVE:
		next = fsm_active(ev, &a);
		break;
	default:
		next = fsm_idle(state, ev, &a);
		break;
	}
	if (actions)
		*actions = a;
	return next;
}

static const char *const state_names[] = { "none", "inviting", "active",
    "closed" };
static const char *const event_names[] = { "xmpp-message", "xmpp-gone",
    "sip-invite", "sip-invite-ok", "sip-invite-failed", "sip-message",
    "sip-bye", "idle-timeout" };

const char *
xl_conv_state_name(enum xl_conv_state s)
{
	return (size_t)s < 4 ? state_names[s] : "invalid";
}

const char *
xl_conv_event_name(enum xl_conv_event ev)
{
	return (size_t)ev < 8 ? event_names[ev] : "invalid";
}

struct xl_conv *
xl_conv_new(const struct xl_addr *local, const struct xl_addr *remote,
    const char *thread)
{
	struct xl_conv *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->local = *local;
	c->remote = *remote;
	if (thread && (c->thread = strdup(thread)) == NULL) {
		free(c);
		return NULL;
	}
	c->state = XL_CONV_NONE;
	return c;
}

void
xl_conv_free(struct xl_conv *c)
{
	if (c == NULL)
		return;
	free(c->thread);
	free(c);
}

/* The one place a conversation changes state: logged "from -> to". */
static void
conv_enter_state(struct xl_conv *c, enum xl_conv_state next,
    enum xl_conv_event ev)
{
	if (next == c->state)
		return;
	log_debug("xlate", "conversation thread=%s event=%s %s -> %s",
	    c->thread ? c->thread : "-", xl_conv_event_name(ev),
	    xl_conv_state_name(c->state), xl_conv_state_name(next));
	c->state = next;
}

unsigned
xl_conv_event(struct xl_conv *c, enum xl_conv_event ev, uint64_t now_ms)
{
	unsigned a;

	conv_enter_state(c, xl_conv_fsm(c->state, ev, &a), ev);
	if (ev != XL_CE_IDLE_TIMEOUT)
		c->last_ms = now_ms;
	return a;
}

enum xl_conv_state
xl_conv_state(const struct xl_conv *c)
{
	return c->state;
}

const char *
xl_conv_thread(const struct xl_conv *c)
{
	return c->thread;
}

const struct xl_addr *
xl_conv_local(const struct xl_conv *c)
{
	return &c->local;
}

const struct xl_addr *
xl_conv_remote(const struct xl_conv *c)
{
	return &c->remote;
}

uint64_t
xl_conv_idle_deadline(const struct xl_conv *c, uint64_t idle_ms)
{
	return c->last_ms + idle_ms;
}

int
xl_conv_key(const struct xl_addr *local, const struct xl_addr *remote,
    char *buf, size_t len)
{
	char a[XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX * 4];
	char b[XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX * 4];
	struct xl_out o;
	int rc;

	if ((rc = xl_addr_to_jid(local, 0, a, sizeof(a))) != XL_OK ||
	    (rc = xl_addr_to_jid(remote, 0, b, sizeof(b))) != XL_OK)
		return rc;
	xl_out_init(&o, buf, len);
	xl_out_str(&o, a);
	xl_out_char(&o, ' ');
	xl_out_str(&o, b);
	return xl_out_done(&o);
}
