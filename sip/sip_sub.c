/*
 * sip_sub: see sip_sub.h.
 *
 * One struct sip_sub per subscription dialog, in one of two roles, with
 * one state enum and one state x event function (sub_fsm). Requests that
 * arrive in the dialog go through a table gated by role and state.
 * Teardown is deferred (sub_close): a subscription may end inside one of
 * its own Sofia callbacks.
 */
#include "config.h"

#include "sip/sip_conv.h"
#include "sip/sip_core.h"
#include "sip/sip_out.h"
#include "sip/sip_sub.h"

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"

#include "xlate/pres.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#define URI_MAX		(XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX + 8)
#define LINGER_MS	5000	/* a terminated dialog absorbs late NOTIFYs */

enum sub_role {
	SUB_NOTIFIER,	/* the edge subscribed to a remote user */
	SUB_WATCHER,	/* we subscribed, for a remote user, to a local one */
};

enum sub_state {
	SUB_PENDING	= 0x1,	/* notifier: no presence yet; watcher: no 2xx yet */
	SUB_ACTIVE	= 0x2,
	SUB_TERMINATED	= 0x4,	/* ended; lingers, then freed */
};

enum sub_event {
	SUB_EV_PRESENCE,	/* notifier: sip_notify() */
	SUB_EV_REFRESH,		/* notifier: SUBSCRIBE in the dialog, Expires > 0 */
	SUB_EV_UNSUBSCRIBE,	/* notifier: SUBSCRIBE in the dialog, Expires 0 */
	SUB_EV_END,		/* sip_subscription_end() / sip_subscribe(UNSUBSCRIBE) */
	SUB_EV_EXPIRED,		/* the subscription's time is up */
	SUB_EV_REFRESH_DUE,	/* watcher: time to SUBSCRIBE again */
	SUB_EV_OK,		/* watcher: 2xx to our SUBSCRIBE */
	SUB_EV_FAILED,		/* our NOTIFY or SUBSCRIBE failed */
	SUB_EV_TERMINATED_IN,	/* watcher: NOTIFY with state terminated */
	SUB_EV_SHUTDOWN,	/* the gateway stops */
};

#define SUBF_BENOTIFY	0x1	/* peer supports ms-benotify */
#define SUBF_PIGGYBACK	0x2	/* peer supports ms-piggyback-first-notify */
#define SUBF_CATEGORIES	0x4	/* notifier: body in msrtc categories */
#define SUBF_ANSWERING	0x8	/* notifier: inside the first SUBSCRIBE */
#define SUBF_HAVE_PRES	0x10	/* notifier: pres holds the remote's state */
#define SUBF_NOTIFY_DUE	0x20	/* notifier: send a NOTIFY when out is free */
#define SUBF_TOLD	0x40	/* the gateway knows it ended */
#define SUBF_FIRST_SENT	0x80	/* notifier: the first state went out */

/*
 * An address kept as short strings: a struct xl_addr is over 2 KB, and a
 * gateway holds 10,000 subscriptions and more. sub_xl() makes the full
 * form on the stack when a call needs it.
 */
struct sub_addr {
	char		*user, *domain, *resource;	/* one allocation */
};

/* Kept small for the same reason: every string is allocated to size. */
struct sip_sub {
	uint64_t	 id;
	enum sub_role	 role;
	enum sub_state	 state;
	unsigned	 flags;
	nta_leg_t	*leg;
	struct sub_addr	 local;		/* the SIP user */
	struct sub_addr	 remote;	/* the XMPP user */
	unsigned	 expires;	/* seconds granted */
	uint64_t	 expires_at;	/* loop ms */
	struct loop_timer *timer;
	struct sip_out	*out;		/* NOTIFY or SUBSCRIBE in flight */
	tport_t		*tp;		/* the connection the edge last used */
	/* notifier: the last state to send */
	enum xl_show	 show;
	int		 priority;
	int		 lync_availability;
	char		*status;
	char		 reason[32];	/* why it ended (Subscription-State) */
	char		 tag[40];	/* watcher: our From tag */
	char		*call_id;	/* watcher: the dialog's Call-ID */
	char		*from;		/* watcher: our From with the tag */
	int		 closing;
	struct sip_sub	*next;
};

static int
sub_addr_set(struct sub_addr *sa, const struct xl_addr *a)
{
	size_t lu = strlen(a->user), ld = strlen(a->domain);
	size_t lr = strlen(a->resource);
	char *m = malloc(lu + ld + lr + 3);

	if (m == NULL)
		return -1;
	free(sa->user);
	memcpy(m, a->user, lu + 1);
	memcpy(m + lu + 1, a->domain, ld + 1);
	memcpy(m + lu + ld + 2, a->resource, lr + 1);
	sa->user = m;
	sa->domain = m + lu + 1;
	sa->resource = m + lu + ld + 2;
	return 0;
}

static struct xl_addr *
sub_xl(const struct sub_addr *sa, struct xl_addr *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->user, sizeof(a->user), "%s", sa->user ? sa->user : "");
	snprintf(a->domain, sizeof(a->domain), "%s", sa->domain ? sa->domain : "");
	snprintf(a->resource, sizeof(a->resource), "%s",
	    sa->resource ? sa->resource : "");
	return a;
}

/* Replace *dst with a copy of src ("" = NULL); -1 when out of memory. */
static int
sub_str_set(char **dst, const char *src)
{
	char *c = src && *src ? strdup(src) : NULL;

	if (src && *src && c == NULL)
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

static struct {
	struct sip_sub	*head;
	size_t		 n;
	int		 reap_scheduled;
} B;

static void sub_fsm(struct sip_sub *s, enum sub_event ev);
static void sub_timer_fire(void *arg);
static int sub_request(nta_leg_magic_t *magic, nta_leg_t *leg,
    nta_incoming_t *irq, const sip_t *sip);

static const char *
sub_strstate(enum sub_state st)
{
	switch (st) {
	case SUB_PENDING:	return "pending";
	case SUB_ACTIVE:	return "active";
	case SUB_TERMINATED:	return "terminated";
	}
	return "?";
}

static void
sub_enter_state(struct sip_sub *s, enum sub_state st)
{
	log_debug(SIP_MOD, "subscription id=%llu %s %s@%s %s %s@%s: %s -> %s",
	    (unsigned long long)s->id, s->role == SUB_NOTIFIER ? "notifier" :
	    "watcher", s->local.user, s->local.domain,
	    s->role == SUB_NOTIFIER ? "watches" : "watched by",
	    s->remote.user, s->remote.domain, sub_strstate(s->state),
	    sub_strstate(st));
	s->state = st;
}

/* ---- life cycle ---------------------------------------------------- */

static struct sip_sub *
sub_find(uint64_t id)
{
	for (struct sip_sub *s = B.head; s; s = s->next)
		if (s->id == id && !s->closing)
			return s;
	return NULL;
}

static void
sub_free(struct sip_sub *s)
{
	sip_out_cancel(s->out);
	if (s->leg)
		nta_leg_destroy(s->leg);
	loop_timer_free(s->timer);
	sip_dialog_tport_release(&s->tp);
	free(s->local.user);
	free(s->remote.user);
	free(s->status);
	free(s->call_id);
	free(s->from);
	free(s);
}

static void
sub_reap(void *arg)
{
	struct sip_sub **pp = &B.head, *s;

	B.reap_scheduled = 0;
	while ((s = *pp) != NULL) {
		if (s->closing) {
			*pp = s->next;
			B.n--;
			sub_free(s);
		} else {
			pp = &s->next;
		}
	}
}

/* The one way a subscription goes away: freed at the end of the turn. */
static void
sub_close(struct sip_sub *s)
{
	if (s->closing)
		return;
	s->closing = 1;
	if (s->leg)
		nta_leg_bind(s->leg, NULL, NULL);
	if (!B.reap_scheduled && loop_call_later(sub_reap, NULL) == 0)
		B.reap_scheduled = 1;
}

static void
sub_timer_set(struct sip_sub *s, uint64_t ms)
{
	if (s->timer == NULL && (s->timer = loop_timer_new(sub_timer_fire,
	    (void *)(uintptr_t)s->id)) == NULL)
		return;
	loop_timer_set(s->timer, ms);
}

static unsigned
sub_remaining(const struct sip_sub *s)
{
	uint64_t now = loop_now_ms();

	return s->expires_at > now ? (unsigned)((s->expires_at - now) / 1000) : 0;
}

/* The timer carries the id, not the pointer (STYLE rule 6). */
static void
sub_timer_fire(void *arg)
{
	struct sip_sub *s = sub_find((uint64_t)(uintptr_t)arg);

	if (s == NULL)
		return;
	if (s->state == SUB_TERMINATED)
		sub_close(s);
	else if (s->role == SUB_WATCHER && loop_now_ms_fresh() + 1000 <
	    s->expires_at)
		sub_fsm(s, SUB_EV_REFRESH_DUE);
	else
		sub_fsm(s, SUB_EV_EXPIRED);
}

/* Tell the gateway the subscription is over, once. */
static void
sub_tell_ended(struct sip_sub *s)
{
	const struct sip_events *ev = sip_ev();

	if (s->flags & SUBF_TOLD)
		return;
	s->flags |= SUBF_TOLD;
	if (ev == NULL)
		return;
	if (s->role == SUB_NOTIFIER && ev->subscribe) {
		struct xl_sub x = { .type = XL_SUB_UNSUBSCRIBE };
		sub_xl(&s->local, &x.from);
		sub_xl(&s->remote, &x.to);
		ev->subscribe(s->id, &x, 0, ev->arg);
	} else if (s->role == SUB_WATCHER && ev->presence) {
		struct xl_pres p = { .show = XL_SHOW_UNAVAILABLE,
		    .lync_availability = -1 };
		sub_xl(&s->local, &p.from);
		sub_xl(&s->remote, &p.to);
		ev->presence(s->id, &p, ev->arg);
	}
}

/* ---- notifier: sending NOTIFY / BENOTIFY --------------------------- */

static void sub_notify_done(void *arg, int status, const char *phrase,
    const sip_t *sip, const char *hop);

/* The presence document of the remote user, in the format negotiated. */
static int
sub_body(struct sip_sub *s, char *buf, size_t len, const char **ctype)
{
	struct xl_pres p = { .show = s->show, .priority = s->priority,
	    .lync_availability = s->lync_availability, .status = s->status };

	sub_xl(&s->remote, &p.from);	/* the presentity */
	sub_xl(&s->local, &p.to);
	if (s->flags & SUBF_CATEGORIES) {
		*ctype = XL_MSRTC_CTYPE;
		return xl_msrtc_write(&p, buf, len) == 0 ? 0 : -1;
	}
	*ctype = XL_PIDF_CTYPE;
	return xl_pidf_write(&p, buf, len) == 0 ? 0 : -1;
}

/*
 * Send the current state: NOTIFY (BENOTIFY for updates when the edge
 * takes them) with Subscription-State per RFC 6665 §4.1.3.
 */
static void
sub_send_notify(struct sip_sub *s)
{
	char state[64], body[4096];
	const char *ctype = NULL;
	int with_body = (s->flags & SUBF_HAVE_PRES) && s->state != SUB_PENDING;
	int be = (s->flags & (SUBF_BENOTIFY | SUBF_FIRST_SENT)) ==
	    (SUBF_BENOTIFY | SUBF_FIRST_SENT) && s->state == SUB_ACTIVE;

	if (s->out && !be) {
		s->flags |= SUBF_NOTIFY_DUE;	/* coalesce: send the latest later */
		return;
	}
	s->flags &= ~SUBF_NOTIFY_DUE;
	if (s->state == SUB_TERMINATED)
		snprintf(state, sizeof(state), "terminated;reason=%s", s->reason);
	else
		snprintf(state, sizeof(state), "%s;expires=%u",
		    sub_strstate(s->state), sub_remaining(s));
	if (with_body && sub_body(s, body, sizeof(body), &ctype) < 0)
		with_body = 0;
	if (with_body)
		s->flags |= SUBF_FIRST_SENT;
	sip_count(SIP_C_NOTIFY_OUT);
	if (be) {
		sip_out_send_once(s->leg, s->local.domain, s->tp, sip_method_unknown,
		    "BENOTIFY", NULL, SIPTAG_EVENT_STR("presence"),
		    SIPTAG_SUBSCRIPTION_STATE_STR(state),
		    SIPTAG_CONTENT_TYPE_STR(ctype), SIPTAG_PAYLOAD_STR(body),
		    TAG_END());
		return;
	}
	s->out = sip_out_send(s->leg, s->local.domain, s->tp, sub_notify_done,
	    (void *)(uintptr_t)s->id, SIP_METHOD_NOTIFY, NULL,
	    SIPTAG_EVENT_STR("presence"), SIPTAG_SUBSCRIPTION_STATE_STR(state),
	    SIPTAG_CONTACT(sip_our_contact()),
	    TAG_IF(with_body, SIPTAG_CONTENT_TYPE_STR(ctype)),
	    TAG_IF(with_body, SIPTAG_PAYLOAD_STR(body)),
	    TAG_END());
	if (s->out == NULL)
		log_warnx(SIP_MOD, "subscription id=%llu: cannot build NOTIFY",
		    (unsigned long long)s->id);
}

/* sip_out_fn; arg is the subscription id. */
static void
sub_notify_done(void *arg, int status, const char *phrase, const sip_t *sip,
    const char *hop)
{
	struct sip_sub *s = sub_find((uint64_t)(uintptr_t)arg);

	if (s == NULL)
		return;
	s->out = NULL;
	if (status >= 300) {
		log_info(SIP_MOD, "subscription id=%llu: NOTIFY answered %d %s: "
		    "ended", (unsigned long long)s->id, status, phrase ? phrase : "");
		sub_fsm(s, SUB_EV_FAILED);
		return;
	}
	if (s->flags & SUBF_NOTIFY_DUE)
		sub_send_notify(s);
	else if (s->state == SUB_TERMINATED)
		sub_close(s);
}

/* ---- watcher: sending SUBSCRIBE ------------------------------------ */

static void sub_subscribe_done(void *arg, int status, const char *phrase,
    const sip_t *sip, const char *hop);
static void sub_presence_in(struct sip_sub *s, const sip_t *sip);

static void
sub_send_subscribe(struct sip_sub *s, unsigned expires)
{
	int lync = sip_cfg()->edge_dialect == EDGE_DIALECT_LYNC;
	char uri[URI_MAX], exp[16];
	struct xl_addr local;
	url_t *ruri;
	su_home_t home[1] = { SU_HOME_INIT(home) };

	sip_out_cancel(s->out);
	s->out = NULL;
	if (sip_conv_addr_to_uri(sub_xl(&s->local, &local), uri, sizeof(uri)) != 0 ||
	    (ruri = url_make(home, uri)) == NULL) {
		su_home_deinit(home);
		return;
	}
	snprintf(exp, sizeof(exp), "%u", expires);
	s->out = sip_out_send(s->leg, s->local.domain, s->tp, sub_subscribe_done,
	    (void *)(uintptr_t)s->id, SIP_METHOD_SUBSCRIBE, ruri,
	    SIPTAG_FROM_STR(s->from), SIPTAG_CALL_ID_STR(s->call_id),
	    SIPTAG_EVENT_STR("presence"), SIPTAG_EXPIRES_STR(exp), SIPTAG_CONTACT(sip_our_contact()),
	    SIPTAG_ACCEPT_STR(lync ? XL_PIDF_CTYPE ", " XL_MSRTC_CTYPE : XL_PIDF_CTYPE),
	    TAG_IF(lync, SIPTAG_SUPPORTED_STR("ms-benotify, "
	    "ms-piggyback-first-notify")),
	    TAG_END());
	su_home_deinit(home);
}

/* sip_out_fn for our SUBSCRIBE; arg is the subscription id. */
static void
sub_subscribe_done(void *arg, int status, const char *phrase,
    const sip_t *sip, const char *hop)
{
	struct sip_sub *s = sub_find((uint64_t)(uintptr_t)arg);

	if (s == NULL)
		return;
	s->out = NULL;
	if (status >= 300 || sip == NULL) {
		log_info(SIP_MOD, "subscription id=%llu to %s@%s refused: %d %s",
		    (unsigned long long)s->id, s->local.user, s->local.domain,
		    status, phrase ? phrase : "");
		sub_fsm(s, SUB_EV_FAILED);
		return;
	}
	if (sip->sip_to->a_tag && !nta_leg_get_rtag(s->leg))
		nta_leg_rtag(s->leg, sip->sip_to->a_tag);
	nta_leg_client_route(s->leg, sip->sip_record_route, sip->sip_contact);
	s->expires = sip->sip_expires ? (unsigned)sip->sip_expires->ex_delta :
	    s->expires;
	if (s->state == SUB_TERMINATED)		/* the answer to Expires: 0: */
		return;				/* linger for the final NOTIFY */
	sub_fsm(s, SUB_EV_OK);
	if (sip->sip_payload && sip->sip_payload->pl_len)	/* piggybacked */
		sub_presence_in(s, sip);
}

/* ---- the state machine --------------------------------------------- */

static void
sub_terminate(struct sip_sub *s, const char *reason, int notify)
{
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
	sub_enter_state(s, SUB_TERMINATED);
	if (notify && s->role == SUB_NOTIFIER)
		sub_send_notify(s);
	else if (notify && s->role == SUB_WATCHER)
		sub_send_subscribe(s, 0);
	sub_timer_set(s, LINGER_MS);
}

/* Arm the expiry (notifier) or the refresh (watcher, at 3/4 of it). */
static void
sub_arm(struct sip_sub *s)
{
	uint64_t ms = (uint64_t)s->expires * 1000;

	s->expires_at = loop_now_ms() + ms;
	if (s->role == SUB_WATCHER)
		ms = ms * 3 / 4;
	sub_timer_set(s, ms ? ms : 1);
}

static void
sub_fsm(struct sip_sub *s, enum sub_event ev)
{
	switch (ev) {
	case SUB_EV_PRESENCE:
		if (s->state == SUB_PENDING)
			sub_enter_state(s, SUB_ACTIVE);
		if (s->state == SUB_ACTIVE && !(s->flags & SUBF_ANSWERING))
			sub_send_notify(s);
		break;
	case SUB_EV_REFRESH:
		sub_arm(s);
		sub_send_notify(s);
		break;
	case SUB_EV_UNSUBSCRIBE:
		sub_tell_ended(s);
		sub_terminate(s, "timeout", 1);
		break;
	case SUB_EV_END:
		s->flags |= SUBF_TOLD;		/* the gateway asked for it */
		if (s->state != SUB_TERMINATED)
			sub_terminate(s, s->reason[0] ? s->reason : "deactivated", 1);
		break;
	case SUB_EV_EXPIRED:
		sub_tell_ended(s);
		if (s->state != SUB_TERMINATED)
			sub_terminate(s, "timeout", s->role == SUB_NOTIFIER);
		break;
	case SUB_EV_REFRESH_DUE:
		if (s->state != SUB_TERMINATED)
			sub_send_subscribe(s, s->expires ? s->expires :
			    (unsigned)sip_cfg()->sip_subscription_expires_s);
		break;
	case SUB_EV_OK:
		if (s->state == SUB_PENDING)
			sub_enter_state(s, SUB_ACTIVE);
		sub_arm(s);
		break;
	case SUB_EV_FAILED:
	case SUB_EV_TERMINATED_IN:
		sub_tell_ended(s);
		if (s->state != SUB_TERMINATED)
			sub_terminate(s, "noresource", 0);
		break;
	case SUB_EV_SHUTDOWN:
		s->flags |= SUBF_TOLD;
		if (s->state != SUB_TERMINATED)
			sub_terminate(s, "deactivated", 1);
		break;
	}
}

/* ---- notifier: the edge's SUBSCRIBE -------------------------------- */

static int
has_feature(const sip_t *sip, const char *feature)
{
	return sip->sip_supported &&
	    sip_has_feature(sip->sip_supported, feature);
}

/* Body format from the Accept list: PIDF first, Lync categories else. */
static int
pick_format(const sip_t *sip, unsigned *flags)
{
	int categories = 0;

	if (sip->sip_accept == NULL)
		return 0;
	for (const sip_accept_t *a = sip->sip_accept; a; a = a->ac_next) {
		if (a->ac_type == NULL)
			continue;
		if (strcasecmp(a->ac_type, XL_PIDF_CTYPE) == 0 ||
		    strcmp(a->ac_type, "*/*") == 0)
			return 0;
		if (strcasecmp(a->ac_type, XL_MSRTC_CTYPE) == 0)
			categories = 1;
	}
	if (!categories)
		return -1;
	*flags |= SUBF_CATEGORIES;
	return 0;
}

static int
event_is_presence(nta_incoming_t *irq, const sip_t *sip)
{
	if (sip->sip_event && sip->sip_event->o_type &&
	    strcasecmp(sip->sip_event->o_type, "presence") == 0)
		return 1;
	sip_count(SIP_C_REFUSED_REQ);
	log_info(SIP_MOD, "%s call-id=%s event=%s: 489",
	    sip->sip_request->rq_method_name, sip->sip_call_id->i_id,
	    sip->sip_event && sip->sip_event->o_type ? sip->sip_event->o_type :
	    "(none)");
	nta_incoming_treply(irq, SIP_489_BAD_EVENT,
	    SIPTAG_ALLOW_EVENTS_STR("presence"), TAG_END());
	nta_incoming_destroy(irq);
	return 0;
}

static unsigned
granted_expires(const sip_t *sip)
{
	unsigned max = (unsigned)sip_cfg()->sip_subscription_expires_s;

	if (sip->sip_expires == NULL)
		return max;
	return sip->sip_expires->ex_delta < max ?
	    (unsigned)sip->sip_expires->ex_delta : max;
}

/* 200 to a SUBSCRIBE; with ms-piggyback-first-notify, the state rides in it. */
static void
sub_answer(struct sip_sub *s, nta_incoming_t *irq, unsigned expires)
{
	char body[4096];
	const char *ctype = NULL;
	int piggy = (s->flags & (SUBF_PIGGYBACK | SUBF_HAVE_PRES)) ==
	    (SUBF_PIGGYBACK | SUBF_HAVE_PRES) && expires > 0 &&
	    sub_body(s, body, sizeof(body), &ctype) >= 0;

	char exp[16];

	snprintf(exp, sizeof(exp), "%u", expires);
	if (piggy)
		s->flags |= SUBF_FIRST_SENT;
	nta_incoming_treply(irq, SIP_200_OK, SIPTAG_EXPIRES_STR(exp),
	    SIPTAG_CONTACT(sip_our_contact()),
	    TAG_IF(piggy, SIPTAG_EVENT_STR("presence")),
	    TAG_IF(piggy, SIPTAG_CONTENT_TYPE_STR(ctype)),
	    TAG_IF(piggy, SIPTAG_PAYLOAD_STR(body)),
	    TAG_IF(piggy, SIPTAG_SUPPORTED_STR("ms-piggyback-first-notify")),
	    TAG_END());
	nta_incoming_destroy(irq);
	if (!piggy || s->state == SUB_TERMINATED)
		sub_send_notify(s);
}

/*
 * The notifier's side of a new subscription: the record and its dialog
 * leg (our tag in the answer). NULL when irq was answered with an error.
 */
static struct sip_sub *
sub_notifier_new(nta_incoming_t *irq, const sip_t *sip, unsigned flags)
{
	struct sip_sub *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		sip_reply(irq, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		return NULL;
	}
	s->id = sip_next_id();
	s->role = SUB_NOTIFIER;
	s->state = SUB_PENDING;
	s->flags = flags | SUBF_ANSWERING |
	    (has_feature(sip, "ms-benotify") ? SUBF_BENOTIFY : 0) |
	    (has_feature(sip, "ms-piggyback-first-notify") ? SUBF_PIGGYBACK : 0);
	s->lync_availability = -1;
	struct xl_addr local, remote;
	if (sip_conv_addr_from_url(sip->sip_from->a_url, &local) != 0 ||
	    sip_conv_addr_from_url(sip->sip_request->rq_url, &remote) != 0 ||
	    sub_addr_set(&s->local, &local) != 0 ||
	    sub_addr_set(&s->remote, &remote) != 0) {
		free(s->local.user);
		free(s->remote.user);
		free(s);
		sip_reply(irq, 400, "Bad Request", "From or Request-URI is not a "
		    "user@domain address");
		return NULL;
	}
	s->leg = nta_leg_tcreate(sip_agent(), sub_request, (nta_leg_magic_t *)s,
	    SIPTAG_CALL_ID(sip->sip_call_id), SIPTAG_FROM(sip->sip_to),
	    SIPTAG_TO(sip->sip_from),
	    NTATAG_REMOTE_CSEQ(sip->sip_cseq->cs_seq), TAG_END());
	if (s->leg == NULL || nta_leg_tag(s->leg, NULL) == NULL) {
		sub_free(s);
		sip_reply(irq, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		return NULL;
	}
	nta_leg_server_route(s->leg, sip->sip_record_route, sip->sip_contact);
	nta_incoming_tag(irq, nta_leg_get_tag(s->leg));
	sip_dialog_tport(&s->tp, irq);
	s->next = B.head;
	B.head = s;
	B.n++;
	return s;
}

int
sip_sub_incoming(nta_incoming_t *irq, const sip_t *sip)
{
	const struct sip_events *ev = sip_ev();
	struct sip_sub *s;
	unsigned flags = 0, expires = granted_expires(sip);
	struct xl_sub x;

	if (!event_is_presence(irq, sip))
		return 0;
	if (pick_format(sip, &flags) != 0) {
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, SIP_406_NOT_ACCEPTABLE, "we send "
		    XL_PIDF_CTYPE " or " XL_MSRTC_CTYPE);
		return 0;
	}
	if (ev == NULL || ev->subscribe == NULL) {
		sip_reply(irq, 480, "Temporarily Unavailable", "the XMPP side is "
		    "not connected to the gateway");
		return 0;
	}
	if ((s = sub_notifier_new(irq, sip, flags)) == NULL)
		return 0;
	s->expires = expires;
	log_info(SIP_MOD, "subscription id=%llu: %s@%s subscribes to %s@%s "
	    "expires=%u%s%s", (unsigned long long)s->id, s->local.user,
	    s->local.domain, s->remote.user, s->remote.domain, expires,
	    s->flags & SUBF_BENOTIFY ? " benotify" : "",
	    s->flags & SUBF_PIGGYBACK ? " piggyback" : "");
	if (expires == 0) {			/* a fetch: one NOTIFY, then gone */
		s->flags |= SUBF_TOLD;
		snprintf(s->reason, sizeof(s->reason), "timeout");
		sub_enter_state(s, SUB_TERMINATED);
		sub_answer(s, irq, 0);
		sub_timer_set(s, LINGER_MS);
		return 0;
	}
	sub_arm(s);
	/* the gateway may sip_notify() at once: it is held for our answer */
	x = (struct xl_sub){ .type = XL_SUB_SUBSCRIBE };
	sub_xl(&s->local, &x.from);
	sub_xl(&s->remote, &x.to);
	ev->subscribe(s->id, &x, expires, ev->arg);
	s->flags &= ~SUBF_ANSWERING;
	sub_answer(s, irq, expires);
	return 0;
}

/* A SUBSCRIBE in the dialog: refresh, or Expires 0 to end it. */
static void
sub_in_subscribe(struct sip_sub *s, nta_incoming_t *irq, const sip_t *sip)
{
	const struct sip_events *ev = sip_ev();
	unsigned expires = granted_expires(sip);
	char exp[16];

	if (!event_is_presence(irq, sip))
		return;
	if (expires == 0) {
		log_info(SIP_MOD, "subscription id=%llu: unsubscribed",
		    (unsigned long long)s->id);
		nta_incoming_treply(irq, SIP_200_OK,
		    SIPTAG_EXPIRES_STR("0"), TAG_END());
		nta_incoming_destroy(irq);
		sub_fsm(s, SUB_EV_UNSUBSCRIBE);
		return;
	}
	log_debug(SIP_MOD, "subscription id=%llu: refreshed expires=%u",
	    (unsigned long long)s->id, expires);
	s->expires = expires;
	snprintf(exp, sizeof(exp), "%u", expires);
	nta_incoming_treply(irq, SIP_200_OK, SIPTAG_EXPIRES_STR(exp),
	    SIPTAG_CONTACT(sip_our_contact()), TAG_END());
	nta_incoming_destroy(irq);
	if (ev && ev->subscribe) {
		struct xl_sub x = { .type = XL_SUB_SUBSCRIBE };
		sub_xl(&s->local, &x.from);
		sub_xl(&s->remote, &x.to);
		ev->subscribe(s->id, &x, expires, ev->arg);
	}
	sub_fsm(s, SUB_EV_REFRESH);
}

/* ---- watcher: NOTIFY / BENOTIFY from the edge ---------------------- */

/*
 * Read a presence body (xlate: PIDF, Lync categories). 0 = p holds the
 * state, 1 = a valid document with nothing to tell (categories without
 * availability), -1 = not a presence document we read.
 */
static int
sub_parse_presence(struct sip_sub *s, const sip_t *sip, struct xl_pres *p,
    char *status, size_t slen)
{
	const char *ct = sip->sip_content_type ? sip->sip_content_type->c_type :
	    NULL;
	const sip_payload_t *pl = sip->sip_payload;
	int rc;

	memset(p, 0, sizeof(*p));
	if (ct && strcasecmp(ct, XL_PIDF_CTYPE) == 0)
		rc = xl_pidf_parse(pl->pl_data, pl->pl_len, p, status, slen);
	else if (ct && strcasecmp(ct, XL_MSRTC_CTYPE) == 0)
		rc = xl_msrtc_parse(pl->pl_data, pl->pl_len, p, status, slen);
	else
		return -1;
	sub_xl(&s->local, &p->from);
	sub_xl(&s->remote, &p->to);
	return rc == 0 ? 0 : rc == XL_E_UNMAPPABLE ? 1 : -1;
}

static void
sub_presence_in(struct sip_sub *s, const sip_t *sip)
{
	const struct sip_events *ev = sip_ev();
	struct xl_pres p;
	char status[1024];

	int rc = sub_parse_presence(s, sip, &p, status, sizeof(status));

	if (rc == 1)
		return;			/* nothing to tell */
	if (rc != 0) {
		log_info(SIP_MOD, "subscription id=%llu: presence body not "
		    "understood (%s)", (unsigned long long)s->id,
		    sip->sip_content_type ? sip->sip_content_type->c_type : "none");
		return;
	}
	sip_count(SIP_C_NOTIFY_IN);
	if (ev && ev->presence)
		ev->presence(s->id, &p, ev->arg);
}

/*
 * What a NOTIFY or BENOTIFY says: the state goes to the gateway, a
 * terminated subscription ends. Called once the request is answered (or,
 * for BENOTIFY, taken).
 */
static void
sub_notify_apply(struct sip_sub *s, const sip_t *sip)
{
	const sip_subscription_state_t *ss = sip->sip_subscription_state;
	int terminated = ss && ss->ss_substate &&
	    strcasecmp(ss->ss_substate, "terminated") == 0;

	if (sip->sip_from->a_tag && !nta_leg_get_rtag(s->leg))
		nta_leg_rtag(s->leg, sip->sip_from->a_tag);
	if (s->state == SUB_TERMINATED) {
		if (terminated)
			sub_close(s);
		return;
	}
	if (sip->sip_payload && sip->sip_payload->pl_len)
		sub_presence_in(s, sip);
	if (terminated)
		sub_fsm(s, SUB_EV_TERMINATED_IN);
	else if (s->state == SUB_PENDING && ss &&
	    strcasecmp(ss->ss_substate, "active") == 0)
		sub_enter_state(s, SUB_ACTIVE);
}

/* 1 when the body is absent or a presence document we read. */
static int
sub_body_ok(struct sip_sub *s, const sip_t *sip)
{
	struct xl_pres p;
	char status[1024];

	return sip->sip_payload == NULL || sip->sip_payload->pl_len == 0 ||
	    sub_parse_presence(s, sip, &p, status, sizeof(status)) >= 0;
}

static void
sub_in_notify(struct sip_sub *s, nta_incoming_t *irq, const sip_t *sip)
{
	if (!event_is_presence(irq, sip))
		return;
	if (!sub_body_ok(s, sip)) {
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, 400, "Bad Request", "presence document not "
		    "understood (PIDF or msrtc categories expected)");
		return;
	}
	sip_reply(irq, SIP_200_OK, NULL);
	sub_notify_apply(s, sip);
}

/* ---- requests inside a subscription dialog ------------------------- */

static const struct sub_handler {
	const char	*method;
	enum sub_role	 role;
	unsigned	 states;
	void		(*fn)(struct sip_sub *, nta_incoming_t *, const sip_t *);
} sub_handlers[] = {
	{ "SUBSCRIBE",	SUB_NOTIFIER, SUB_PENDING | SUB_ACTIVE, sub_in_subscribe },
	{ "NOTIFY",	SUB_WATCHER, SUB_PENDING | SUB_ACTIVE | SUB_TERMINATED,
	    sub_in_notify },
};

/* One request in subscription s: through the table, gated by state. */
static void
sub_dispatch(struct sip_sub *s, nta_incoming_t *irq, const sip_t *sip)
{
	const char *m = sip->sip_request->rq_method_name;

	if (sip_gate(irq, sip) != 0)
		return;
	for (size_t i = 0; i < sizeof(sub_handlers) / sizeof(sub_handlers[0]);
	    i++) {
		const struct sub_handler *h = &sub_handlers[i];
		if (strcmp(h->method, m) != 0 || h->role != s->role)
			continue;
		if (!(h->states & s->state) || s->closing) {
			sip_reply(irq, SIP_481_NO_TRANSACTION, "the "
			    "subscription has ended");
			return;
		}
		sip_dialog_tport(&s->tp, irq);
		h->fn(s, irq, sip);
		return;
	}
	if (sip->sip_request->rq_method == sip_method_ack)
		nta_incoming_destroy(irq);
	else
		sip_reply(irq, SIP_405_METHOD_NOT_ALLOWED, NULL);
}

/* nta_request_f of the notifier's dialog legs. */
static int
sub_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
    const sip_t *sip)
{
	sub_dispatch((struct sip_sub *)magic, irq, sip);
	return 0;
}

/*
 * Our watcher subscriptions have no leg nta could match: a leg's request
 * gets a server transaction, and nta answers every transaction, where a
 * BENOTIFY must get no response at all. Their legs (used to send: CSeq,
 * route set, remote tag) carry no local tag and a Call-ID that never goes
 * on the wire, so they match nothing; our tag and the real Call-ID go in
 * each request explicitly; and the requests of the dialog are found here
 * by Call-ID and our tag.
 */
static struct sip_sub *
sub_find_watcher(const sip_t *sip)
{
	const char *tag = sip->sip_to ? sip->sip_to->a_tag : NULL;

	if (tag == NULL || sip->sip_call_id == NULL)
		return NULL;
	for (struct sip_sub *s = B.head; s; s = s->next)
		if (s->role == SUB_WATCHER && !s->closing &&
		    strcmp(s->tag, tag) == 0 &&
		    s->call_id && strcmp(s->call_id, sip->sip_call_id->i_id) == 0)
			return s;
	return NULL;
}

int
sip_sub_watcher_request(nta_incoming_t *irq, const sip_t *sip)
{
	struct sip_sub *s = sub_find_watcher(sip);

	if (s == NULL)
		return -1;
	sub_dispatch(s, irq, sip);
	return 0;
}

int
sip_sub_benotify(msg_t *msg, const sip_t *sip)
{
	struct sip_sub *s = sub_find_watcher(sip);

	if (s == NULL)
		return -1;
	sip_count(SIP_C_NOTIFY_IN);
	if (!sip->sip_event || !sip->sip_event->o_type ||
	    strcasecmp(sip->sip_event->o_type, "presence") != 0 ||
	    !sub_body_ok(s, sip)) {
		log_info(SIP_MOD, "subscription id=%llu: BENOTIFY not understood "
		    "(event or body): ignored", (unsigned long long)s->id);
		return 0;
	}
	sub_notify_apply(s, sip);
	return 0;
}

/* ---- the API ------------------------------------------------------- */

static struct sip_sub *
sub_find_pair(enum sub_role role, const struct xl_addr *local,
    const struct xl_addr *remote)
{
	for (struct sip_sub *s = B.head; s; s = s->next)
		if (!s->closing && s->role == role && s->state != SUB_TERMINATED &&
		    strcmp(s->local.user, local->user) == 0 &&
		    strcmp(s->local.domain, local->domain) == 0 &&
		    strcmp(s->remote.user, remote->user) == 0 &&
		    strcmp(s->remote.domain, remote->domain) == 0)
			return s;
	return NULL;
}

/* A watcher subscription from remote (an XMPP user) to local (SIP). */
static struct sip_sub *
sub_watcher_new(const struct xl_sub *x)
{
	char from[URI_MAX + 2], to[URI_MAX + 2], uri[URI_MAX];
	struct sip_sub *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->id = sip_next_id();
	s->role = SUB_WATCHER;
	s->state = SUB_PENDING;
	s->expires = (unsigned)sip_cfg()->sip_subscription_expires_s;
	if (sub_addr_set(&s->local, &x->to) != 0 ||
	    sub_addr_set(&s->remote, &x->from) != 0 ||
	    sip_conv_addr_to_uri(&x->from, uri, sizeof(uri)) != 0) {
		sub_free(s);
		return NULL;
	}
	snprintf(from, sizeof(from), "<%s>", uri);
	if (sip_conv_addr_to_uri(&x->to, uri, sizeof(uri)) != 0) {
		sub_free(s);
		return NULL;
	}
	snprintf(to, sizeof(to), "<%s>", uri);
	char cid[128];
	snprintf(cid, sizeof(cid), "fgsub-%llx-%lx@%s",
	    (unsigned long long)s->id, random(), sip_hostname());
	if (sub_str_set(&s->call_id, cid) != 0) {
		sub_free(s);
		return NULL;
	}
	/* the leg's own Call-ID never goes on the wire (see above) */
	s->leg = nta_leg_tcreate(sip_agent(), NULL, NULL,
	    SIPTAG_CALL_ID_STR("fg-unmatched-leg"), SIPTAG_FROM_STR(from),
	    SIPTAG_TO_STR(to), TAG_END());
	if (s->leg == NULL) {
		sub_free(s);
		return NULL;
	}
	snprintf(s->tag, sizeof(s->tag), "fg%llx%x", (unsigned long long)s->id,
	    (unsigned)loop_now_ms());
	char fromtag[sizeof(from) + sizeof(s->tag) + 8];
	snprintf(fromtag, sizeof(fromtag), "%s;tag=%s", from, s->tag);
	if (sub_str_set(&s->from, fromtag) != 0) {
		sub_free(s);
		return NULL;
	}
	s->next = B.head;
	B.head = s;
	B.n++;
	return s;
}

int
sip_subscribe(const struct xl_sub *x, uint64_t *subid)
{
	struct sip_sub *s;

	if (!sip_is_running() || x == NULL ||
	    !config_is_local_domain(sip_cfg(), x->to.domain))
		return -1;
	s = sub_find_pair(SUB_WATCHER, &x->to, &x->from);
	if (x->type == XL_SUB_UNSUBSCRIBE) {
		if (s == NULL)
			return -1;
		if (subid)
			*subid = s->id;
		sub_fsm(s, SUB_EV_END);
		return 0;
	}
	if (x->type != XL_SUB_SUBSCRIBE)
		return -1;
	if (s == NULL) {
		if ((s = sub_watcher_new(x)) == NULL)
			return -1;
		log_info(SIP_MOD, "subscription id=%llu: %s@%s subscribes to "
		    "%s@%s for its presence", (unsigned long long)s->id,
		    s->remote.user, s->remote.domain, s->local.user,
		    s->local.domain);
	}
	if (subid)
		*subid = s->id;
	if (s->out == NULL)
		sub_send_subscribe(s, s->expires);
	return 0;
}

int
sip_notify(uint64_t subid, const struct xl_pres *p)
{
	struct sip_sub *s = sub_find(subid);

	if (s == NULL || s->role != SUB_NOTIFIER || s->state == SUB_TERMINATED ||
	    p == NULL)
		return -1;
	s->show = p->show;
	s->priority = p->priority;
	s->lync_availability = p->lync_availability;
	if (sub_str_set(&s->status, p->status) != 0)
		return -1;
	s->flags |= SUBF_HAVE_PRES;
	sub_fsm(s, SUB_EV_PRESENCE);
	return 0;
}

int
sip_subscription_end(uint64_t subid, const char *reason)
{
	static const char *const reasons[] = { "deactivated", "probation",
	    "rejected", "timeout", "giveup", "noresource", "invariant", NULL };
	struct sip_sub *s = sub_find(subid);

	if (s == NULL || s->state == SUB_TERMINATED)
		return -1;
	snprintf(s->reason, sizeof(s->reason), "noresource");
	for (size_t i = 0; reason && reasons[i]; i++)
		if (strcmp(reason, reasons[i]) == 0)
			snprintf(s->reason, sizeof(s->reason), "%s", reason);
	sub_fsm(s, SUB_EV_END);
	return 0;
}

void
sip_sub_shutdown(int graceful)
{
	struct sip_sub *s, *next;

	for (s = B.head; s; s = next) {
		next = s->next;
		if (graceful && !s->closing) {
			sub_fsm(s, SUB_EV_SHUTDOWN);
			continue;
		}
		sub_free(s);
	}
	if (!graceful) {
		B.head = NULL;
		B.n = 0;
	}
}

size_t
sip_sub_count(void)
{
	return B.n;
}

int
sip_subscription_alive(uint64_t subid)
{
	struct sip_sub *s = sub_find(subid);

	return s != NULL && s->state != SUB_TERMINATED;
}
