/*
 * sip_im: see sip_im.h.
 *
 * A conversation is one INVITE dialog between a local SIP user and a
 * remote user, opened by either side. What a conversation does on each
 * event (open with an INVITE, hold messages, flush them, fail them, hang
 * up, refuse) is the conversation model of xlate/conv.h (im_model); how it
 * is done over SIP -- the dialog's own states (answering the INVITE once
 * the gateway took its first message, waiting for the ACK, BYE sent) -- is
 * one state enum and one state x event function here (im_fsm). Requests
 * inside the dialog go through a table gated by state. What is owed to the gateway is never lost: every outgoing
 * message gets its completion, with an error when the conversation dies
 * under it, and every incoming one is answered (sip_txn, owned by the
 * conversation's id).
 */
#include "config.h"

#include "sip/sip_conv.h"
#include "sip/sip_core.h"
#include "sip/sip_im.h"
#include "sip/sip_out.h"
#include "sip/sip_page.h"
#include "sip/sip_txn.h"

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"

#include "xlate/conv.h"
#include "xlate/msg.h"
#include "xlate/typing.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#define URI_MAX		(XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX + 8)
#define BODY_MAX	(64 * 1024)

enum im_state {
	IM_INVITING	= 0x1,	/* we sent the INVITE; no final answer yet */
	IM_ANSWERING	= 0x2,	/* the edge's INVITE waits for the gateway */
	IM_WAIT_ACK	= 0x4,	/* we answered 200; the ACK is on its way */
	IM_ACTIVE	= 0x8,
	IM_CLOSING	= 0x10,	/* we sent BYE */
	IM_CLOSED	= 0x20,	/* over: freed at the end of the turn */
};

enum im_event {
	IM_EV_ACCEPTED,		/* the gateway took the INVITE's first message */
	IM_EV_REFUSED,		/* ... or refused it */
	IM_EV_ACK,
	IM_EV_2XX,		/* our INVITE was answered 2xx */
	IM_EV_FAILED,		/* our INVITE failed */
	IM_EV_BYE,		/* the edge hung up */
	IM_EV_SHUTDOWN,
	IM_EV_BYE_DONE,		/* our BYE was answered (or failed) */
};

/* A message toward the edge and the completion owed for it. */
struct im_msg {
	struct sip_done	 done;
	char		*text;		/* queued while INVITING; NULL when sent */
	size_t		 len;
	struct sip_out	*out;
	struct sip_im	*im;
	struct im_msg	*next;
};

struct sip_im {
	uint64_t	 id;
	enum im_state	 state;
	int		 uas;		/* the edge opened it */
	nta_leg_t	*leg;
	struct xl_addr	 local;		/* the SIP user */
	struct xl_addr	 remote;	/* the XMPP user */
	char		 conv_id[128];	/* Ms-Conversation-ID */
	struct sip_out	*invite;	/* our INVITE in flight */
	nta_incoming_t	*invite_irq;	/* the edge's INVITE, answered 2xx,
					   until its ACK */
	int		 cancelled;	/* the edge CANCELled its INVITE */
	int		 invite_ev;	/* 'A'CK, 'C'ANCEL, 'T'imeout, to handle */
	tport_t		*tp;		/* the connection the edge last used */
	struct sip_out	*bye;
	struct im_msg	*msgs;		/* first: the INVITE's own message */
	uint64_t	 last_ms;
	struct loop_timer *idle;
	int		 closing;
	struct xl_conv	*xc;		/* the conversation model's view */
	struct sip_im	*next;
};

static struct {
	struct sip_im	*head;
	size_t		 n;
	int		 reap_scheduled;
} C;

static void im_fsm(struct sip_im *im, enum im_event ev);
static void im_hangup(struct sip_im *im, enum xl_conv_event ev);
static int im_request(nta_leg_magic_t *magic, nta_leg_t *leg,
    nta_incoming_t *irq, const sip_t *sip);

static const char *
im_strstate(enum im_state st)
{
	switch (st) {
	case IM_INVITING:	return "inviting";
	case IM_ANSWERING:	return "answering";
	case IM_WAIT_ACK:	return "wait-ack";
	case IM_ACTIVE:		return "active";
	case IM_CLOSING:	return "closing";
	case IM_CLOSED:		return "closed";
	}
	return "?";
}

static void
im_enter_state(struct sip_im *im, enum im_state st)
{
	log_debug(SIP_MOD, "conversation id=%llu %s@%s <-> %s@%s: %s -> %s",
	    (unsigned long long)im->id, im->local.user, im->local.domain,
	    im->remote.user, im->remote.domain, im_strstate(im->state),
	    im_strstate(st));
	im->state = st;
}

/* ---- life cycle ---------------------------------------------------- */

static struct sip_im *
im_find(uint64_t id)
{
	for (struct sip_im *im = C.head; im; im = im->next)
		if (im->id == id && !im->closing)
			return im;
	return NULL;
}

/* Complete m with status and forget it. */
static void
im_msg_finish(struct im_msg *m, int status, const char *phrase)
{
	struct sip_im *im = m->im;

	for (struct im_msg **pp = &im->msgs; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	sip_out_cancel(m->out);
	sip_done_call(&m->done, status, phrase);
	free(m->text);
	free(m);
}

static void
im_free(struct sip_im *im)
{
	while (im->msgs)
		im_msg_finish(im->msgs, 481, "the conversation ended");
	sip_out_cancel(im->invite);
	sip_out_cancel(im->bye);
	if (im->invite_irq)
		nta_incoming_destroy(im->invite_irq);
	if (im->leg)
		nta_leg_destroy(im->leg);
	loop_timer_free(im->idle);
	sip_dialog_tport_release(&im->tp);
	xl_conv_free(im->xc);
	free(im);
}

static void
im_reap(void *arg)
{
	struct sip_im **pp = &C.head, *im;

	C.reap_scheduled = 0;
	while ((im = *pp) != NULL) {
		if (im->closing) {
			*pp = im->next;
			C.n--;
			im_free(im);
		} else {
			pp = &im->next;
		}
	}
}

/* The one way a conversation goes: CLOSED now, freed at end of turn. */
static void
im_close(struct sip_im *im)
{
	const struct sip_events *ev = sip_ev();
	int talked = im->state & (IM_WAIT_ACK | IM_ACTIVE | IM_CLOSING);

	if (im->closing)
		return;
	if (im->state != IM_CLOSED)
		im_enter_state(im, IM_CLOSED);
	im->closing = 1;
	log_info(SIP_MOD, "conversation id=%llu %s@%s <-> %s@%s ended",
	    (unsigned long long)im->id, im->local.user, im->local.domain,
	    im->remote.user, im->remote.domain);
	if (im->leg)
		nta_leg_bind(im->leg, NULL, NULL);
	if (im->cancelled) {
		static const struct xl_err cancelled = {
			.cond = XL_ERR_ITEM_NOT_FOUND, .sip_code = 487,
			.text = "the INVITE was cancelled" };
		sip_txn_drop_owner(im->id, &cancelled);
	} else {
		sip_txn_drop_owner(im->id, NULL);
	}
	if (talked && ev && ev->chat_state) {
		struct xl_msg m = { .from = im->local, .to = im->remote,
		    .type = XL_MSG_CHAT, .chat_state = XL_CS_GONE,
		    .thread = im->conv_id };
		ev->chat_state(&m, ev->arg);
	}
	if (!C.reap_scheduled && loop_call_later(im_reap, NULL) == 0)
		C.reap_scheduled = 1;
}

static void
im_idle_fire(void *arg)
{
	struct sip_im *im = im_find((uint64_t)(uintptr_t)arg);
	uint64_t idle = sip_cfg()->sip_conversation_idle_ms;
	uint64_t now = loop_now_ms_fresh();

	if (im == NULL)
		return;
	if (now - im->last_ms >= idle)
		im_hangup(im, XL_CE_IDLE_TIMEOUT);
	else
		loop_timer_set(im->idle, idle - (now - im->last_ms));
}

static void
im_touch(struct sip_im *im)
{
	im->last_ms = loop_now_ms();
	if (im->idle == NULL)
		im->idle = loop_timer_new(im_idle_fire, (void *)(uintptr_t)im->id);
	if (im->idle && !loop_timer_pending(im->idle))
		loop_timer_set(im->idle, sip_cfg()->sip_conversation_idle_ms);
}

static struct sip_im *
im_new(const struct xl_addr *local, const struct xl_addr *remote, int uas,
    const char *conv_id)
{
	struct sip_im *im = calloc(1, sizeof(*im));

	if (im == NULL)
		return NULL;
	snprintf(im->conv_id, sizeof(im->conv_id), "%s", conv_id);
	if ((im->xc = xl_conv_new(local, remote, im->conv_id)) == NULL) {
		free(im);
		return NULL;
	}
	im->id = sip_next_id();
	im->uas = uas;
	im->local = *local;
	im->remote = *remote;
	im->next = C.head;
	C.head = im;
	C.n++;
	im_touch(im);
	return im;
}

/* The conversation model decides what ev means; the caller carries out
 * the actions it returns (XL_CA_*). */
static unsigned
im_model(struct sip_im *im, enum xl_conv_event ev)
{
	unsigned a = xl_conv_event(im->xc, ev, loop_now_ms());

	log_debug(SIP_MOD, "conversation id=%llu: %s: model now %s, actions "
	    "0x%x", (unsigned long long)im->id, xl_conv_event_name(ev),
	    xl_conv_state_name(xl_conv_state(im->xc)), a);
	return a;
}

/* ---- sending in the dialog ----------------------------------------- */

static void
im_msg_done(void *arg, int status, const char *phrase, const sip_t *sip,
    const char *hop)
{
	struct im_msg *m = arg;

	m->out = NULL;
	if (status >= 300)
		log_info(SIP_MOD, "conversation id=%llu: MESSAGE answered %d %s",
		    (unsigned long long)m->im->id, status, phrase ? phrase : "");
	im_msg_finish(m, status, phrase);
}

/* Send a queued message as an in-dialog MESSAGE. */
static void
im_msg_send(struct im_msg *m)
{
	struct sip_im *im = m->im;

	m->out = sip_out_send(im->leg, im->local.domain, im->tp, im_msg_done, m,
	    SIP_METHOD_MESSAGE, NULL,
	    SIPTAG_CONTENT_TYPE_STR(XL_SIP_TEXT_CTYPE),
	    SIPTAG_PAYLOAD_STR(m->text), TAG_END());
	free(m->text);
	m->text = NULL;
	if (m->out == NULL)
		im_msg_finish(m, 500, "cannot build MESSAGE");
	else
		sip_count(SIP_C_MSG_OUT);
}

static void
im_flush(struct sip_im *im)
{
	struct im_msg *m, *next;

	for (m = im->msgs; m; m = next) {
		next = m->next;
		if (m->text)
			im_msg_send(m);
	}
}

static void
im_bye_done(void *arg, int status, const char *phrase, const sip_t *sip,
    const char *hop)
{
	struct sip_im *im = im_find((uint64_t)(uintptr_t)arg);

	if (im == NULL)
		return;
	im->bye = NULL;
	im_fsm(im, IM_EV_BYE_DONE);
}

static void
im_send_bye(struct sip_im *im)
{
	im_enter_state(im, IM_CLOSING);
	im->bye = sip_out_send(im->leg, im->local.domain, im->tp, im_bye_done,
	    (void *)(uintptr_t)im->id, SIP_METHOD_BYE, NULL, TAG_END());
	if (im->bye == NULL)
		im_close(im);
}

/* Idle, "gone", no ACK, shutdown: what the model says, BYE if it can. */
static void
im_hangup(struct sip_im *im, enum xl_conv_event ev)
{
	unsigned a = im_model(im, ev);

	if ((a & XL_CA_SEND_BYE) && (im->state & (IM_ACTIVE | IM_WAIT_ACK)))
		im_send_bye(im);
	else if ((a & (XL_CA_SEND_BYE | XL_CA_FORGET)) && im->state != IM_CLOSING)
		im_close(im);
}

/* ---- the dialog's state machine ------------------------------------ */

static void
im_fsm(struct sip_im *im, enum im_event ev)
{
	switch (ev) {
	case IM_EV_ACCEPTED:
		if (im->state == IM_ANSWERING)
			im_enter_state(im, IM_WAIT_ACK);
		break;
	case IM_EV_ACK:
		if (im->state == IM_WAIT_ACK)
			im_enter_state(im, IM_ACTIVE);
		im_flush(im);
		break;
	case IM_EV_2XX:
		if (im->state == IM_INVITING) {
			im_enter_state(im, IM_ACTIVE);
			if (im->msgs && im->msgs->text == NULL)	/* the first */
				im_msg_finish(im->msgs, 200, "OK");
			if (im_model(im, XL_CE_SIP_INVITE_OK) & XL_CA_FLUSH_QUEUE)
				im_flush(im);
		}
		break;
	case IM_EV_REFUSED:
	case IM_EV_FAILED:
	case IM_EV_BYE:
	case IM_EV_BYE_DONE:
		im_close(im);
		break;
	case IM_EV_SHUTDOWN:
		if (im->state & (IM_ACTIVE | IM_WAIT_ACK))
			im_send_bye(im);
		else if (im->state != IM_CLOSING)
			im_close(im);
		break;
	}
}

/* ---- the edge opens a conversation --------------------------------- */

/* What became of the edge's INVITE transaction, handled after nta's
 * callback has returned (the irq is not destroyed inside its callback). */
static void
im_invite_later(void *arg)
{
	struct sip_im *im = im_find((uint64_t)(uintptr_t)arg);
	int ev;

	if (im == NULL)
		return;
	ev = im->invite_ev;
	im->invite_ev = 0;
	if (ev == 'C') {		/* CANCEL before our answer */
		log_info(SIP_MOD, "conversation id=%llu: INVITE cancelled",
		    (unsigned long long)im->id);
		im->cancelled = 1;
		im_close(im);
		return;
	}
	if (im->invite_irq) {
		nta_incoming_destroy(im->invite_irq);
		im->invite_irq = NULL;
	}
	if (ev == 'T') {
		log_info(SIP_MOD, "conversation id=%llu: no ACK for our 200",
		    (unsigned long long)im->id);
		im_hangup(im, XL_CE_IDLE_TIMEOUT);
	} else if (ev == 'A') {
		im_fsm(im, IM_EV_ACK);
	}
}

/* nta_ack_cancel_f for the edge's INVITE; imagic is the conversation id. */
static int
im_invite_event(nta_incoming_magic_t *imagic, nta_incoming_t *irq,
    const sip_t *sip)
{
	struct sip_im *im = im_find((uint64_t)(uintptr_t)imagic);

	if (im == NULL)
		return 0;
	if (sip == NULL)
		im->invite_ev = 'T';
	else if (sip->sip_request &&
	    sip->sip_request->rq_method == sip_method_cancel)
		im->invite_ev = 'C';
	else
		im->invite_ev = 'A';
	if (loop_call_later(im_invite_later, imagic) != 0)
		im_invite_later(imagic);
	return 0;
}

static int
im_answer_invite(nta_incoming_t *irq, const struct xl_err *err, uint64_t owner)
{
	struct sip_im *im = im_find(owner);
	char sdp[600], uri[URI_MAX];

	if (err || im == NULL || im->state != IM_ANSWERING ||
	    sip_conv_addr_to_uri(&im->remote, uri, sizeof(uri)) != 0 ||
	    sip_conv_sdp_make(sip_hostname(), sip_cfg()->sip_listen.port, uri,
	    sdp, sizeof(sdp)) < 0) {
		static const struct xl_err gone = { .cond = XL_ERR_ITEM_NOT_FOUND,
		    .sip_code = 481, .text = "the conversation ended" };
		sip_txn_answer_plain(irq, err ? err : &gone, owner);
		if (im)
			im_fsm(im, IM_EV_REFUSED);
		return 0;
	}
	nta_incoming_treply(irq, SIP_200_OK,
	    SIPTAG_CONTACT(sip_our_contact()),
	    SIPTAG_SUPPORTED_STR("ms-text-format"),
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	im->invite_irq = irq;		/* kept until the ACK */
	im_fsm(im, IM_EV_ACCEPTED);
	return 1;
}

/* The INVITE's first message (Ms-Text-Format), for the gateway. */
static int
im_first_message(nta_incoming_t *irq, const sip_t *sip, char *body,
    size_t len, size_t *blen)
{
	const char *mtf = sip_unknown_header(sip, "Ms-Text-Format");
	char w[200];
	int rc;

	*blen = 0;
	if (mtf == NULL || strstr(mtf, "ms-body=") == NULL)
		return 0;		/* an INVITE without a first message */
	if ((rc = xl_ms_text_format_decode(mtf, body, len, blen)) != 0) {
		snprintf(w, sizeof(w), "malformed Ms-Text-Format header: %s",
		    xl_strerror(rc));
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, 400, "Bad Request", w);
		return -1;
	}
	return 0;
}

static struct sip_im *
im_uas_new(nta_incoming_t *irq, const sip_t *sip)
{
	struct xl_addr local, remote;
	const char *cid = sip_unknown_header(sip, "Ms-Conversation-ID");
	struct sip_im *im;

	if (sip_conv_addr_from_url(sip->sip_from->a_url, &local) != 0 ||
	    sip_conv_addr_from_url(sip->sip_request->rq_url, &remote) != 0) {
		sip_reply(irq, 400, "Bad Request", "From or Request-URI is not a "
		    "user@domain address");
		return NULL;
	}
	if ((im = im_new(&local, &remote, 1, cid ? cid :
	    sip->sip_call_id->i_id)) == NULL) {
		sip_reply(irq, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		return NULL;
	}
	im->leg = nta_leg_tcreate(sip_agent(), im_request, (nta_leg_magic_t *)im,
	    SIPTAG_CALL_ID(sip->sip_call_id), SIPTAG_FROM(sip->sip_to),
	    SIPTAG_TO(sip->sip_from), NTATAG_REMOTE_CSEQ(sip->sip_cseq->cs_seq),
	    TAG_END());
	if (im->leg == NULL || nta_leg_tag(im->leg, NULL) == NULL) {
		im_close(im);
		sip_reply(irq, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		return NULL;
	}
	nta_leg_server_route(im->leg, sip->sip_record_route, sip->sip_contact);
	nta_incoming_tag(irq, nta_leg_get_tag(im->leg));
	sip_dialog_tport(&im->tp, irq);
	return im;
}

int
sip_im_incoming(nta_incoming_t *irq, const sip_t *sip)
{
	const struct sip_events *ev = sip_ev();
	const sip_payload_t *pl = sip->sip_payload;
	struct sip_im *im;
	char body[BODY_MAX];
	size_t blen;
	uint64_t txid;

	if (sip->sip_content_type == NULL || pl == NULL ||
	    strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0 ||
	    !sip_conv_sdp_has_message(pl->pl_data, pl->pl_len)) {
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, SIP_488_NOT_ACCEPTABLE, "only instant messaging "
		    "sessions (SDP m=message) are supported");
		return 0;
	}
	if (ev == NULL || ev->message == NULL) {
		sip_reply(irq, 480, "Temporarily Unavailable", "the XMPP side is "
		    "not connected to the gateway");
		return 0;
	}
	if ((im = im_uas_new(irq, sip)) == NULL)
		return 0;
	if (im_first_message(irq, sip, body, sizeof(body), &blen) != 0) {
		im_close(im);
		return 0;
	}
	if (!(im_model(im, XL_CE_SIP_INVITE) & XL_CA_ACCEPT_INVITE)) {
		sip_reply(irq, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		im_close(im);
		return 0;
	}
	im_enter_state(im, IM_ANSWERING);
	log_info(SIP_MOD, "conversation id=%llu: %s@%s invites %s@%s "
	    "conversation=%s first-message=%s", (unsigned long long)im->id,
	    im->local.user, im->local.domain, im->remote.user, im->remote.domain,
	    im->conv_id, blen ? "yes" : "no");
	nta_incoming_bind(irq, im_invite_event,
	    (nta_incoming_magic_t *)(uintptr_t)im->id);
	if ((txid = sip_txn_defer(irq, im_answer_invite, im->id)) == 0) {
		sip_reply(irq, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		im_close(im);
		return 0;
	}
	if (blen == 0) {		/* nothing to wait for */
		sip_answer(txid, NULL);
		return 0;
	}
	struct xl_msg m = { .from = im->local, .to = im->remote,
	    .type = XL_MSG_CHAT, .body = body, .body_len = blen,
	    .thread = im->conv_id, .chat_state = XL_CS_ACTIVE };
	sip_count(SIP_C_MSG_IN);
	ev->message(txid, &m, ev->arg);
	return 0;
}

/* ---- requests inside a conversation -------------------------------- */

static void
im_in_ack(struct sip_im *im, nta_incoming_t *irq, const sip_t *sip)
{
	nta_incoming_destroy(irq);
	im_fsm(im, IM_EV_ACK);
}

static void
im_in_message(struct sip_im *im, nta_incoming_t *irq, const sip_t *sip)
{
	im_touch(im);
	if (!(im_model(im, XL_CE_SIP_MESSAGE) & XL_CA_DELIVER)) {
		sip_reply(irq, SIP_481_NO_TRANSACTION, "the conversation is not "
		    "open");
		return;
	}
	if (im->state == IM_WAIT_ACK)	/* the ACK may trail the first MESSAGE */
		im_fsm(im, IM_EV_ACK);
	sip_page_deliver(irq, sip, &im->local, &im->remote, im->conv_id, im->id);
}

/* INFO carries Lync's typing notifications. */
static void
im_in_info(struct sip_im *im, nta_incoming_t *irq, const sip_t *sip)
{
	const struct sip_events *ev = sip_ev();
	const sip_payload_t *pl = sip->sip_payload;
	const char *ct = sip->sip_content_type ? sip->sip_content_type->c_type :
	    NULL;
	struct xl_msg m = { .from = im->local, .to = im->remote,
	    .type = XL_MSG_CHAT, .thread = im->conv_id };

	im_touch(im);
	if (ct == NULL || pl == NULL || xl_body_classify(ct) != XL_BODY_KEYBOARD) {
		sip_count(SIP_C_REFUSED_REQ);
		nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
		    SIPTAG_ACCEPT_STR(XL_KEYBOARD_CTYPE), TAG_END());
		nta_incoming_destroy(irq);
		return;
	}
	if (xl_keyboard_parse(pl->pl_data, pl->pl_len, &m.chat_state) != 0) {
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, 400, "Bad Request", "INFO body is not a "
		    "KeyboardActivity document");
		return;
	}
	sip_reply(irq, SIP_200_OK, NULL);	/* before anything goes back */
	if (ev && ev->chat_state)
		ev->chat_state(&m, ev->arg);
}

static void
im_in_bye(struct sip_im *im, nta_incoming_t *irq, const sip_t *sip)
{
	(void)im_model(im, XL_CE_SIP_BYE);	/* over, whatever its state */
	sip_reply(irq, SIP_200_OK, NULL);
	im_fsm(im, IM_EV_BYE);
}

static const struct im_handler {
	const char	*method;
	unsigned	 states;
	void		(*fn)(struct sip_im *, nta_incoming_t *, const sip_t *);
} im_handlers[] = {
	{ "ACK",	IM_WAIT_ACK | IM_ACTIVE | IM_CLOSING, im_in_ack },
	{ "MESSAGE",	IM_WAIT_ACK | IM_ACTIVE, im_in_message },
	{ "INFO",	IM_WAIT_ACK | IM_ACTIVE, im_in_info },
	{ "BYE",	IM_ANSWERING | IM_WAIT_ACK | IM_ACTIVE | IM_CLOSING |
			IM_INVITING, im_in_bye },
};

static int
im_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
    const sip_t *sip)
{
	struct sip_im *im = (struct sip_im *)magic;
	const char *method = sip->sip_request->rq_method_name;

	if (sip_gate(irq, sip) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(im_handlers) / sizeof(im_handlers[0]);
	    i++) {
		const struct im_handler *h = &im_handlers[i];
		if (strcmp(h->method, method) != 0)
			continue;
		if (im->closing || !(h->states & im->state)) {
			if (sip->sip_request->rq_method == sip_method_ack)
				nta_incoming_destroy(irq);
			else
				sip_reply(irq, SIP_481_NO_TRANSACTION,
				    "the conversation has ended");
			return 0;
		}
		sip_dialog_tport(&im->tp, irq);
		h->fn(im, irq, sip);
		return 0;
	}
	if (sip->sip_request->rq_method == sip_method_invite) {
		sip_reply(irq, SIP_488_NOT_ACCEPTABLE, "re-INVITE is not "
		    "supported in IM conversations");
		return 0;
	}
	sip_reply(irq, SIP_405_METHOD_NOT_ALLOWED, NULL);
	return 0;
}

/* ---- we open a conversation ---------------------------------------- */

static void
im_invite_done(void *arg, int status, const char *phrase, const sip_t *sip,
    const char *hop)
{
	struct sip_im *im = im_find((uint64_t)(uintptr_t)arg);

	if (im == NULL)
		return;
	im->invite = NULL;
	if (status >= 300 || sip == NULL) {
		log_info(SIP_MOD, "conversation id=%llu: INVITE to %s@%s failed: "
		    "%d %s", (unsigned long long)im->id, im->local.user,
		    im->local.domain, status, phrase ? phrase : "");
		if (im_model(im, XL_CE_SIP_INVITE_FAILED) & XL_CA_FAIL_QUEUE)
			while (im->msgs)
				im_msg_finish(im->msgs, status, phrase);
		im_fsm(im, IM_EV_FAILED);
		return;
	}
	nta_leg_rtag(im->leg, sip->sip_to->a_tag);
	nta_leg_client_route(im->leg, sip->sip_record_route, sip->sip_contact);
	sip_out_ack(im->leg, hop, NULL);
	im_fsm(im, IM_EV_2XX);
}

/* The INVITE, its SDP offer and first message (in Ms-Text-Format). */
static int
im_send_invite(struct sip_im *im, struct im_msg *first)
{
	size_t hlen = first->len * 4 / 3 + 512;
	char sdp[600], uri[URI_MAX], *hdr = malloc(hlen), *mtf;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *ruri;
	int n;

	if (hdr == NULL)
		return -1;
	n = snprintf(hdr, hlen, "Ms-Conversation-ID: %s\r\nMs-Text-Format: ",
	    im->conv_id);
	mtf = hdr + n;
	if (xl_ms_text_format_encode(first->text, first->len, mtf,
	    hlen - (size_t)n) != 0 ||
	    sip_conv_sdp_make(sip_hostname(), sip_cfg()->sip_listen.port, "null",
	    sdp, sizeof(sdp)) < 0 ||
	    sip_conv_addr_to_uri(&im->local, uri, sizeof(uri)) != 0 ||
	    (ruri = url_make(home, uri)) == NULL) {
		su_home_deinit(home);
		free(hdr);
		return -1;
	}
	im->invite = sip_out_send(im->leg, im->local.domain, im->tp, im_invite_done,
	    (void *)(uintptr_t)im->id, SIP_METHOD_INVITE, ruri,
	    SIPTAG_CONTACT(sip_our_contact()),
	    SIPTAG_SUPPORTED_STR("ms-text-format"),
	    SIPTAG_HEADER_STR(hdr),
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	su_home_deinit(home);
	free(hdr);
	if (im->invite == NULL)
		return -1;
	free(first->text);		/* it went in the INVITE */
	first->text = NULL;
	return 0;
}

static struct sip_im *
im_uac_new(const struct xl_msg *m)
{
	char from[URI_MAX + 2], to[URI_MAX + 2], uri[URI_MAX], cid[128];
	struct sip_im *im;

	if (sip_conv_addr_to_uri(&m->from, uri, sizeof(uri)) != 0)
		return NULL;
	snprintf(from, sizeof(from), "<%s>", uri);
	if (sip_conv_addr_to_uri(&m->to, uri, sizeof(uri)) != 0)
		return NULL;
	snprintf(to, sizeof(to), "<%s>", uri);
	if (m->thread && *m->thread && strlen(m->thread) < 120 &&
	    strpbrk(m->thread, "\r\n") == NULL)
		snprintf(cid, sizeof(cid), "%s", m->thread);
	else
		snprintf(cid, sizeof(cid), "fg%llx%llx",
		    (unsigned long long)sip_next_id(),
		    (unsigned long long)loop_now_ms());
	if ((im = im_new(&m->to, &m->from, 0, cid)) == NULL)
		return NULL;
	im->leg = nta_leg_tcreate(sip_agent(), im_request, (nta_leg_magic_t *)im,
	    SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to), TAG_END());
	if (im->leg == NULL || nta_leg_tag(im->leg, NULL) == NULL) {
		im_close(im);
		return NULL;
	}
	im_enter_state(im, IM_INVITING);
	return im;
}

/* The conversation of a pair, the most advanced one first. */
static struct sip_im *
im_find_pair(const struct xl_addr *local, const struct xl_addr *remote)
{
	struct sip_im *best = NULL;

	for (struct sip_im *im = C.head; im; im = im->next) {
		if (im->closing || !(im->state & (IM_INVITING | IM_ANSWERING |
		    IM_WAIT_ACK | IM_ACTIVE)))
			continue;
		if (strcmp(im->local.user, local->user) ||
		    strcmp(im->local.domain, local->domain) ||
		    strcmp(im->remote.user, remote->user) ||
		    strcmp(im->remote.domain, remote->domain))
			continue;
		if (best == NULL || im->state > best->state)
			best = im;
	}
	return best;
}

int
sip_im_send(const struct xl_msg *m, uint64_t cookie, sip_done_fn *done,
    void *arg)
{
	struct sip_im *im;
	struct im_msg *q;
	const char *ctype;
	unsigned a;

	if (m->body == NULL || m->body_len >= BODY_MAX ||
	    xl_body_to_sip(m->body, m->body_len, &ctype) != 0 ||
	    !config_is_local_domain(sip_cfg(), m->to.domain))
		return -1;
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->text = malloc(m->body_len + 1)) == NULL) {
		free(q);
		return -1;
	}
	memcpy(q->text, m->body, m->body_len);
	q->text[m->body_len] = '\0';
	q->len = m->body_len;
	q->done = (struct sip_done){ cookie, done, arg };
	if ((im = im_find_pair(&m->to, &m->from)) == NULL &&
	    (im = im_uac_new(m)) == NULL) {
		free(q->text);
		free(q);
		return -1;
	}
	q->im = im;
	/* append: messages leave in order */
	struct im_msg **pp = &im->msgs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = q;
	im_touch(im);
	a = im_model(im, XL_CE_XMPP_MESSAGE);
	if (a & XL_CA_SEND_INVITE) {
		if (im_send_invite(im, q) != 0) {
			im->msgs = NULL;
			free(q->text);
			free(q);
			im_close(im);
			return -1;
		}
		sip_count(SIP_C_MSG_OUT);
	} else if ((a & XL_CA_SEND_MESSAGE) && im->state == IM_ACTIVE) {
		im_msg_send(q);
	}	/* else held (XL_CA_QUEUE): until the 2xx, or the edge's ACK */
	return 0;
}

static void
im_info_done(void *arg, int status, const char *phrase, const sip_t *sip,
    const char *hop)
{
}

int
sip_im_send_chat_state(const struct xl_msg *m)
{
	struct sip_im *im = im_find_pair(&m->to, &m->from);
	char doc[256];

	if (im == NULL || !(im->state & (IM_ACTIVE | IM_WAIT_ACK)))
		return 0;		/* no conversation: typing is dropped */
	if (m->chat_state == XL_CS_GONE) {
		im_hangup(im, XL_CE_XMPP_GONE);
		return 0;
	}
	if (xl_keyboard_write(m->chat_state, doc, sizeof(doc)) < 0)
		return -1;
	im_touch(im);
	return sip_out_send(im->leg, im->local.domain, im->tp, im_info_done, NULL,
	    SIP_METHOD_INFO, NULL, SIPTAG_CONTENT_TYPE_STR(XL_KEYBOARD_CTYPE),
	    SIPTAG_PAYLOAD_STR(doc), TAG_END()) ? 0 : -1;
}

void
sip_im_shutdown(int graceful)
{
	struct sip_im *im, *next;

	for (im = C.head; im; im = next) {
		next = im->next;
		if (graceful) {
			if (!im->closing)
				im_fsm(im, IM_EV_SHUTDOWN);
			continue;
		}
		im->closing = 1;
		im_free(im);
	}
	if (!graceful) {
		C.head = NULL;
		C.n = 0;
	}
}

size_t
sip_im_count(void)
{
	return C.n;
}
