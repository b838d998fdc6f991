/*
 * conv: one Lync IM conversation — a SIP INVITE dialog between a local
 * user and a remote JID, with its thread — as a pure state machine, and
 * the choice between page mode and conversations.
 *
 * Toward a Lync edge (edge_dialect = lync) a message from XMPP opens a
 * conversation: an INVITE carrying the first message in Ms-Text-Format;
 * messages that arrive before the 200 wait in order and go as MESSAGEs in
 * the dialog once it is up. The edge opens one the same way. A BYE from
 * either side, the remote's chat state "gone", or [sip] conversation_idle
 * without traffic ends it. With edge_dialect = standard every message is
 * a page-mode MESSAGE (RFC 3428) and there is no conversation.
 */
#ifndef FG_XLATE_CONV_H
#define FG_XLATE_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "xlate/xlate.h"

enum xl_im_mode {
	XL_IM_PAGE,		/* one MESSAGE per message */
	XL_IM_CONVERSATION,	/* INVITE dialog, MESSAGEs inside */
};
/* edge_dialect is enum edge_dialect of core/config.h. */
enum xl_im_mode xl_im_mode_for(int edge_dialect);

enum xl_conv_state {
	XL_CONV_NONE,		/* no dialog */
	XL_CONV_INVITING,	/* our INVITE is out, first message in it */
	XL_CONV_ACTIVE,		/* dialog up */
	XL_CONV_CLOSED,		/* ended (BYE, failure, idle, gone) */
};

enum xl_conv_event {
	XL_CE_XMPP_MESSAGE,	/* remote -> local message */
	XL_CE_XMPP_GONE,	/* remote's chat state "gone" */
	XL_CE_SIP_INVITE,	/* the edge opens (or re-INVITEs) */
	XL_CE_SIP_INVITE_OK,	/* 200 to our INVITE */
	XL_CE_SIP_INVITE_FAILED,/* our INVITE failed or timed out */
	XL_CE_SIP_MESSAGE,	/* MESSAGE in the dialog from the edge */
	XL_CE_SIP_BYE,		/* BYE from the edge */
	XL_CE_IDLE_TIMEOUT,	/* no traffic for conversation_idle */
};

enum xl_conv_action {
	XL_CA_NONE		= 0,
	XL_CA_SEND_INVITE	= 1 << 0,	/* INVITE, message in Ms-Text-Format */
	XL_CA_QUEUE		= 1 << 1,	/* hold the message until 200 */
	XL_CA_SEND_MESSAGE	= 1 << 2,	/* MESSAGE in the dialog */
	XL_CA_FLUSH_QUEUE	= 1 << 3,	/* send what was held, in order */
	XL_CA_FAIL_QUEUE	= 1 << 4,	/* answer what was held: the error */
	XL_CA_ACCEPT_INVITE	= 1 << 5,	/* 200 with SDP m=message */
	XL_CA_DELIVER		= 1 << 6,	/* pass the SIP message to XMPP */
	XL_CA_SEND_BYE		= 1 << 7,
	XL_CA_ANSWER_BYE	= 1 << 8,	/* 200 to the BYE */
	XL_CA_REFUSE		= 1 << 9,	/* 481: no such conversation */
	XL_CA_FORGET		= 1 << 10,	/* drop the conversation */
};

/* The transition: new state, and the actions to take (bit set). */
enum xl_conv_state xl_conv_fsm(enum xl_conv_state state,
		    enum xl_conv_event ev, unsigned *actions);

const char	*xl_conv_state_name(enum xl_conv_state s);
const char	*xl_conv_event_name(enum xl_conv_event ev);

/*
 * A conversation: who, the thread, the state and the last traffic. Owned
 * by the caller's table (key: xl_conv_key of the two bare addresses).
 */
struct xl_conv;

struct xl_conv	*xl_conv_new(const struct xl_addr *local,
		    const struct xl_addr *remote, const char *thread);
void		 xl_conv_free(struct xl_conv *c);
/* Run the machine for ev at now_ms; returns the actions. */
unsigned	 xl_conv_event(struct xl_conv *c, enum xl_conv_event ev,
		    uint64_t now_ms);
enum xl_conv_state xl_conv_state(const struct xl_conv *c);
const char	*xl_conv_thread(const struct xl_conv *c);
const struct xl_addr *xl_conv_local(const struct xl_conv *c);
const struct xl_addr *xl_conv_remote(const struct xl_conv *c);
/* When the conversation is idle-ended if nothing happens (last + idle). */
uint64_t	 xl_conv_idle_deadline(const struct xl_conv *c, uint64_t idle_ms);

/* "local-jid remote-jid" (bare): one conversation per pair. */
int		 xl_conv_key(const struct xl_addr *local,
		    const struct xl_addr *remote, char *buf, size_t len);

#endif
