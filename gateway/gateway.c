/*
 * gateway: the wiring of the two sides (DESIGN.md §2). sip/ and xmpp/
 * never see each other; they hand this module neutral xlate/ types and it
 * decides what each one becomes on the other side:
 *
 *  - messages both ways, with the answer of one side carried back to the
 *    other (a SIP MESSAGE gets 200 only once its stanza was written to an
 *    authenticated stream; an XMPP message the edge refuses goes back to
 *    its sender as the mapped error stanza);
 *  - typing notifications both ways (best effort);
 *  - presence: one record per (local user, remote user) pair, driven by
 *    the RFC 6121 state machine of xlate/sub.h. The edge's SUBSCRIBE
 *    dialogs to a remote user, the SUBSCRIBE we make to the edge for a
 *    remote watcher, the remote user's aggregated presence (answered at
 *    once on a new SUBSCRIBE) and the local user's last presence
 *    (answered to XMPP probes) live there;
 *  - email address for federation and domain aliases on the way in and
 *    out (xlate/email.h);
 *  - counters per direction: accepted, delivered, bounced.
 *
 * Identities: a pair's local user is the SIP identity (the local id); the
 * XMPP side sees it through xl_email_outbound().
 */
#include "config.h"
#include "gateway/gateway.h"
#include "core/config.h"
#include "core/hmap.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/service.h"
#include "sip/sip.h"
#include "xlate/addr.h"
#include "xlate/email.h"
#include "xlate/err.h"
#include "xlate/msg.h"
#include "xlate/pres.h"
#include "xlate/sub.h"
#include "xlate/xlate.h"
#include "xmpp/xmpp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD		"gateway"
#define JID_MAX		(XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX + XL_RES_MAX * 3 + 4)

enum gw_dir { GW_SIP_TO_XMPP, GW_XMPP_TO_SIP, GW_NDIRS };

/* One presence relationship across the border. */
struct pair {
	char			*key;		/* "local remote", owns both */
	const char		*local;		/* bare JID form of the SIP user */
	const char		*remote;	/* bare JID of the XMPP user */
	enum xl_sub_state	 state;
	/* the edge's SUBSCRIBE dialogs: local watches remote */
	uint64_t		*watch;
	size_t			 nwatch;
	struct xl_pres_agg	*rpres;		/* remote's resources, NULL = unknown */
	/* our SUBSCRIBE to the edge: remote watches local */
	uint64_t		 outsub;
	int			 local_known;	/* a NOTIFY told local's presence */
	enum xl_show		 local_show;
	char			*local_status;
};

/* An XMPP message waiting for the edge's answer. */
struct pending {
	char	*from;		/* remote sender (full JID) */
	char	*to;		/* local address as the sender wrote it */
	char	*id;		/* the stanza id, NULL when none */
};

static struct {
	int		 running;
	int		 xmpp_paused;	/* flow control toward the edge */
	struct hmap	*pairs;		/* key -> pair */
	struct hmap	*watch;		/* "w<subid>" -> pair */
	struct hmap	*outsub;	/* "o<subid>" -> pair */
	struct hmap	*pending;	/* "<cookie>" -> pending */
	uint64_t	 next_cookie;
	uint64_t	 next_id;
	struct metric	*accepted[GW_NDIRS], *delivered[GW_NDIRS],
			*bounced[GW_NDIRS], *late_errors, *presence[GW_NDIRS];
} G;

static const char *const dir_names[GW_NDIRS] = { "sip_to_xmpp", "xmpp_to_sip" };

/* ---- small helpers ------------------------------------------------ */

static void
jid_of(const struct xl_addr *a, int full, char *buf, size_t len)
{
	if (xl_addr_to_jid(a, full, buf, len) != XL_OK)
		snprintf(buf, len, "%s@%s", a->user, a->domain);
}

static int
addr_of(const char *jid, struct xl_addr *a)
{
	return xl_addr_from_jid(jid, a) == XL_OK ? 0 : -1;
}

static void
num_key(char *buf, size_t len, char prefix, uint64_t n)
{
	snprintf(buf, len, "%c%" PRIx64, prefix, n);
}

/* The XMPP-side identity of a local user (email for federation). */
static void
gw_outbound_identity(const struct xl_addr *local, struct xl_addr *out)
{
	if (xl_email_outbound(config_current(), local, out) != XL_OK)
		*out = *local;
}

static void
err_set(struct xl_err *e, enum xl_err_cond cond, const char *text)
{
	memset(e, 0, sizeof(*e));
	xl_err_set(e, cond);
	e->text = text;
}

/* ---- pairs --------------------------------------------------------- */

static struct pair *
pair_find(const char *local, const char *remote)
{
	char key[2 * JID_MAX + 2];

	snprintf(key, sizeof(key), "%s %s", local, remote);
	return hmap_get(G.pairs, key);
}

static struct pair *
pair_get(const struct xl_addr *local, const struct xl_addr *remote)
{
	char l[JID_MAX], r[JID_MAX];
	struct pair *p;
	size_t ll, rl;

	jid_of(local, 0, l, sizeof(l));
	jid_of(remote, 0, r, sizeof(r));
	if ((p = pair_find(l, r)) != NULL)
		return p;
	ll = strlen(l);
	rl = strlen(r);
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->key = malloc(ll + rl + 2)) == NULL) {
		free(p);
		return NULL;
	}
	memcpy(p->key, l, ll);
	p->key[ll] = ' ';
	memcpy(p->key + ll + 1, r, rl + 1);
	if (hmap_put(G.pairs, p->key, p) != 0) {
		free(p->key);
		free(p);
		return NULL;
	}
	/* local and remote point into the key: "local\0remote" */
	p->key[ll] = '\0';
	p->local = p->key;
	p->remote = p->key + ll + 1;
	return p;
}

/* A pair with nothing left to remember goes. */
static void
pair_maybe_free(struct pair *p)
{
	char key[2 * JID_MAX + 2];

	if (p->state != XL_SS_NONE || p->nwatch || p->outsub)
		return;
	snprintf(key, sizeof(key), "%s %s", p->local, p->remote);
	hmap_del(G.pairs, key);
	xl_pres_agg_free(p->rpres);
	free(p->watch);
	free(p->local_status);
	free(p->key);
	free(p);
}

static void
pair_addrs(const struct pair *p, struct xl_addr *local, struct xl_addr *remote)
{
	if (addr_of(p->local, local) != 0)
		memset(local, 0, sizeof(*local));
	if (addr_of(p->remote, remote) != 0)
		memset(remote, 0, sizeof(*remote));
}

/* ---- presence toward the SIP watchers ----------------------------- */

/* The remote user's presence as the local watcher should see it. */
static void
pair_remote_view(const struct pair *p, struct xl_pres *out,
    struct xl_addr *local, struct xl_addr *remote)
{
	memset(out, 0, sizeof(*out));
	pair_addrs(p, local, remote);
	out->from = *remote;
	out->to = *local;
	out->lync_availability = -1;
	if (p->rpres)
		xl_pres_agg_view(p->rpres, out);
	else
		out->show = XL_SHOW_UNAVAILABLE;
}

static void
pair_notify_watchers(struct pair *p)
{
	struct xl_addr local, remote;
	struct xl_pres view;

	if (p->nwatch == 0)
		return;
	pair_remote_view(p, &view, &local, &remote);
	for (size_t i = 0; i < p->nwatch; i++)
		sip_notify(p->watch[i], &view);
}

static void
pair_watch_drop(struct pair *p, size_t i)
{
	char key[32];

	num_key(key, sizeof(key), 'w', p->watch[i]);
	hmap_del(G.watch, key);
	p->watch[i] = p->watch[--p->nwatch];
}

static void
pair_end_watchers(struct pair *p, const char *reason)
{
	while (p->nwatch) {
		uint64_t subid = p->watch[p->nwatch - 1];
		pair_watch_drop(p, p->nwatch - 1);
		sip_subscription_end(subid, reason);
	}
}

/* ---- presence toward XMPP ------------------------------------------ */

static void sub_done(uint64_t cookie, const struct xl_err *err, void *arg);

/*
 * The addresses of a stanza from the local user (as the XMPP side knows
 * it) to the remote one, and a fresh id of ours ("fgs..", "fgp..") so an
 * error coming back can be told apart.
 */
static void
pair_stanza_addrs(const struct pair *p, struct xl_addr *from,
    struct xl_addr *to, const char *prefix, char *id, size_t idlen)
{
	struct xl_addr local;

	pair_addrs(p, &local, to);
	gw_outbound_identity(&local, from);
	snprintf(id, idlen, "%s%" PRIx64, prefix, ++G.next_id);
}

static void
pair_send_sub(struct pair *p, enum xl_sub_type type)
{
	struct xl_sub s;
	char id[32];

	memset(&s, 0, sizeof(s));
	pair_stanza_addrs(p, &s.from, &s.to, "fgs", id, sizeof(id));
	s.type = type;
	s.id = id;
	if (xmpp_send_subscription(&s, 0, sub_done, NULL) != 0)
		log_warnx(LOG_MOD, "cannot send subscription type=%d local=%s "
		    "remote=%s", (int)type, p->local, p->remote);
	metric_inc(G.presence[GW_SIP_TO_XMPP]);
}

static void
pair_send_local_presence(struct pair *p)
{
	struct xl_pres pr;
	char id[32];

	memset(&pr, 0, sizeof(pr));
	pair_stanza_addrs(p, &pr.from, &pr.to, "fgp", id, sizeof(id));
	pr.lync_availability = -1;
	pr.show = p->local_known ? p->local_show : XL_SHOW_UNAVAILABLE;
	pr.status = p->local_status;
	pr.id = id;
	if (xmpp_send_presence(&pr, 0, NULL, NULL) == 0)
		metric_inc(G.presence[GW_SIP_TO_XMPP]);
}

/* Our SUBSCRIBE to the edge on behalf of the remote watcher. */
static void
pair_sip_subscribe(struct pair *p, enum xl_sub_type type)
{
	struct xl_addr local, remote;
	struct xl_sub s;
	uint64_t subid = 0;
	char key[32];

	memset(&s, 0, sizeof(s));
	pair_addrs(p, &local, &remote);
	s.from = remote;
	s.to = local;
	s.type = type;
	if (type == XL_SUB_UNSUBSCRIBE) {
		if (p->outsub) {
			num_key(key, sizeof(key), 'o', p->outsub);
			hmap_del(G.outsub, key);
			p->outsub = 0;
		}
		sip_subscribe(&s, &subid);
		p->local_known = 0;
		return;
	}
	if (sip_subscribe(&s, &subid) != 0 || subid == 0) {
		log_warnx(LOG_MOD, "cannot subscribe to the edge local=%s "
		    "watcher=%s", p->local, p->remote);
		return;
	}
	if (p->outsub && p->outsub != subid) {
		num_key(key, sizeof(key), 'o', p->outsub);
		hmap_del(G.outsub, key);
	}
	p->outsub = subid;
	num_key(key, sizeof(key), 'o', subid);
	hmap_put(G.outsub, key, p);
}

/*
 * Feed one event to the pair's state machine and carry out its actions.
 * reason is the Subscription-State reason if watchers are ended.
 */
static void
pair_event(struct pair *p, enum xl_sub_event ev, const char *reason)
{
	enum xl_sub_state old = p->state;
	unsigned act = 0;
	char acts[256];

	p->state = xl_sub_fsm(p->state, ev, &act);
	if (log_enabled(LOG_LVL_DEBUG)) {
		xl_sub_actions_format(act, acts, sizeof(acts));
		log_debug(LOG_MOD, "pair local=%s remote=%s event=%s %s -> %s "
		    "actions=%s", p->local, p->remote, xl_sub_event_name(ev),
		    xl_sub_state_name(old), xl_sub_state_name(p->state), acts);
	}
	if (act & XL_SA_XMPP_SUBSCRIBE)
		pair_send_sub(p, XL_SUB_SUBSCRIBE);
	if (act & XL_SA_XMPP_SUBSCRIBED)
		pair_send_sub(p, XL_SUB_SUBSCRIBED);
	if (act & XL_SA_XMPP_UNSUBSCRIBE)
		pair_send_sub(p, XL_SUB_UNSUBSCRIBE);
	if (act & XL_SA_XMPP_UNSUBSCRIBED)
		pair_send_sub(p, XL_SUB_UNSUBSCRIBED);
	if (act & XL_SA_XMPP_PROBE)
		pair_send_sub(p, XL_SUB_PROBE);
	if (act & XL_SA_XMPP_SEND_PRESENCE)
		pair_send_local_presence(p);
	if (act & XL_SA_SIP_SUBSCRIBE)
		pair_sip_subscribe(p, XL_SUB_SUBSCRIBE);
	if (act & XL_SA_SIP_UNSUBSCRIBE)
		pair_sip_subscribe(p, XL_SUB_UNSUBSCRIBE);
	/*
	 * Approved: tell the watchers what we know; knowing nothing yet, ask
	 * (a probe) rather than show the remote as offline for a moment — its
	 * answer, or the presence that follows "subscribed", notifies.
	 */
	if ((act & XL_SA_SIP_NOTIFY_ACTIVE) && p->rpres)
		pair_notify_watchers(p);
	else if ((act & XL_SA_SIP_NOTIFY_ACTIVE) && !(act & XL_SA_XMPP_PROBE))
		pair_send_sub(p, XL_SUB_PROBE);
	if (act & XL_SA_SIP_NOTIFY_TERMINATED)
		pair_end_watchers(p, reason ? reason : "rejected");
	pair_maybe_free(p);
}

/* A subscription stanza could not leave: the remote is unreachable. */
static void
sub_done(uint64_t cookie, const struct xl_err *err, void *arg)
{
	if (err)
		log_info(LOG_MOD, "subscription stanza not delivered cond=%s",
		    xl_err_cond_name(err->cond));
}

/* ---- SIP -> XMPP ------------------------------------------------- */

static void
xmpp_done_for_sip(uint64_t txid, const struct xl_err *err, void *arg)
{
	if (err) {
		metric_inc(G.bounced[GW_SIP_TO_XMPP]);
		log_info(LOG_MOD, "message sip->xmpp bounced txid=%" PRIu64
		    " cond=%s", txid, xl_err_cond_name(err->cond));
	} else
		metric_inc(G.delivered[GW_SIP_TO_XMPP]);
	sip_answer(txid, err);
}

static void
sip_on_message(uint64_t txid, const struct xl_msg *m, void *arg)
{
	struct xl_msg out = *m;
	struct xl_err err;
	char id[32];

	metric_inc(G.accepted[GW_SIP_TO_XMPP]);
	gw_outbound_identity(&m->from, &out.from);
	xl_alias_apply(config_current(), &out.to);	/* aim.com -> aol.com */
	/* our own id: an error stanza that comes back later names it */
	snprintf(id, sizeof(id), "fgm%" PRIx64, ++G.next_id);
	out.id = id;
	if (xmpp_send_message(&out, txid, xmpp_done_for_sip, NULL) != 0) {
		err_set(&err, XL_ERR_SERVICE_UNAVAILABLE,
		    "the XMPP side cannot take this message");
		xmpp_done_for_sip(txid, &err, NULL);
	}
}

static void
sip_on_chat_state(const struct xl_msg *m, void *arg)
{
	struct xl_msg out = *m;

	gw_outbound_identity(&m->from, &out.from);
	xl_alias_apply(config_current(), &out.to);
	out.body = NULL;
	out.body_len = 0;
	xmpp_send_message(&out, 0, NULL, NULL);
}

static void
sip_on_subscribe(uint64_t subid, const struct xl_sub *s, unsigned expires,
    void *arg)
{
	char key[32];
	struct pair *p;

	num_key(key, sizeof(key), 'w', subid);
	p = hmap_get(G.watch, key);
	metric_inc(G.presence[GW_SIP_TO_XMPP]);
	if (s->type == XL_SUB_UNSUBSCRIBE || expires == 0) {
		if (p == NULL)
			return;
		for (size_t i = 0; i < p->nwatch; i++)
			if (p->watch[i] == subid) {
				pair_watch_drop(p, i);
				break;
			}
		if (p->nwatch == 0)
			pair_event(p, XL_SE_SIP_UNSUBSCRIBE, "deactivated");
		else
			pair_maybe_free(p);
		return;
	}
	if (p == NULL) {
		struct xl_addr remote = s->to;
		uint64_t *w;
		xl_alias_apply(config_current(), &remote);
		p = pair_get(&s->from, &remote);
		if (p == NULL ||
		    (w = realloc(p->watch, (p->nwatch + 1) * sizeof(*w))) == NULL) {
			sip_subscription_end(subid, "giveup");
			return;
		}
		p->watch = w;
		p->watch[p->nwatch++] = subid;
		hmap_put(G.watch, key, p);
	}
	pair_event(p, XL_SE_SIP_SUBSCRIBE, NULL);
	/* the last known presence, at once (the NOTIFY_ACTIVE action may
	   have sent it already to every watcher: a repeat is harmless) */
	if (xl_sub_has_to(p->state) && p->rpres) {
		struct xl_addr local, remote;
		struct xl_pres view;
		pair_remote_view(p, &view, &local, &remote);
		sip_notify(subid, &view);
	}
}

/* A NOTIFY in our subscription for a remote watcher: local's presence. */
static void
sip_on_presence(uint64_t subid, const struct xl_pres *pr, void *arg)
{
	char key[32];
	struct pair *p;
	int ended;

	num_key(key, sizeof(key), 'o', subid);
	p = hmap_get(G.outsub, key);
	if (p == NULL)
		return;
	metric_inc(G.presence[GW_SIP_TO_XMPP]);
	ended = !sip_subscription_alive(subid);
	log_debug(LOG_MOD, "presence of local=%s for remote=%s show=%s "
	    "status_len=%zu ended=%d", p->local, p->remote,
	    xl_show_name(pr->show), pr->status ? strlen(pr->status) : 0, ended);
	if (ended) {
		hmap_del(G.outsub, key);
		p->outsub = 0;
		p->local_known = 0;
		if (!xl_sub_has_from(p->state)) {
			/* refused (or never approved) by the local user */
			pair_event(p, XL_SE_SIP_TERMINATED, NULL);
			return;
		}
	}
	free(p->local_status);
	p->local_status = pr->status ? strdup(pr->status) : NULL;
	p->local_show = pr->show;
	p->local_known = 1;
	if (!xl_sub_has_from(p->state))
		pair_event(p, XL_SE_SIP_ACTIVE, NULL);	/* sends subscribed */
	if (xl_sub_has_from(p->state))
		pair_send_local_presence(p);
	if (ended)
		pair_maybe_free(p);
}

/* ---- XMPP -> SIP ------------------------------------------------- */

static void
pending_free(struct pending *pd)
{
	free(pd->from);
	free(pd->to);
	free(pd->id);
	free(pd);
}

/*
 * Flow control: XMPP messages waiting for the edge's answer are bounded.
 * At queue_limit the XMPP side stops reading (TCP pushes back on the
 * peers, nothing is refused); below half of it, it reads again.
 */
static void
gw_flow_check(void)
{
	size_t n = hmap_count(G.pending), high = config_current()->queue_limit;

	if (!G.xmpp_paused && n >= high) {
		G.xmpp_paused = 1;
		xmpp_pause_input(1);
	} else if (G.xmpp_paused && n <= high / 2) {
		G.xmpp_paused = 0;
		xmpp_pause_input(0);
	}
}

static void
sip_done_for_xmpp(uint64_t cookie, const struct xl_err *err, void *arg)
{
	struct pending *pd;
	struct xl_addr from, to;
	char key[32];

	num_key(key, sizeof(key), 'c', cookie);
	pd = hmap_del(G.pending, key);
	if (pd == NULL)
		return;
	gw_flow_check();
	if (err == NULL) {
		metric_inc(G.delivered[GW_XMPP_TO_SIP]);
	} else {
		metric_inc(G.bounced[GW_XMPP_TO_SIP]);
		log_info(LOG_MOD, "message xmpp->sip bounced from=%s cond=%s "
		    "sip=%d", pd->from, xl_err_cond_name(err->cond),
		    err->sip_code);
		if (addr_of(pd->to, &to) == 0 && addr_of(pd->from, &from) == 0)
			xmpp_send_error(&to, &from, pd->id, 0, err);
	}
	pending_free(pd);
}

/* Refuse an XMPP message with err, back to its sender. */
static void
xmpp_refuse(const struct xl_msg *m, const struct xl_err *err)
{
	metric_inc(G.bounced[GW_XMPP_TO_SIP]);
	xmpp_send_error(&m->to, &m->from, m->id, 0, err);
}

static void
xmpp_on_message(const struct xl_msg *m, void *arg)
{
	struct xl_msg in = *m;
	struct xl_err err;
	struct pending *pd;
	char from[JID_MAX], to[JID_MAX], key[32];
	uint64_t cookie;
	int rc;

	if (xl_msg_kind(m) == XL_MSGK_CHAT_STATE) {
		if (xl_email_inbound(config_current(), &m->to, &in.to) == XL_OK)
			sip_send_chat_state(&in);
		return;
	}
	metric_inc(G.accepted[GW_XMPP_TO_SIP]);
	if ((rc = xl_email_inbound(config_current(), &m->to, &in.to)) != XL_OK) {
		xl_status_to_err(rc, &err);
		xmpp_refuse(m, &err);
		return;
	}
	if (xl_msg_check_to_sip(&in, &err) != 0) {
		xmpp_refuse(m, &err);
		return;
	}
	jid_of(&m->from, 1, from, sizeof(from));
	jid_of(&m->to, 1, to, sizeof(to));
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL || (pd->from = strdup(from)) == NULL ||
	    (pd->to = strdup(to)) == NULL ||
	    (m->id && (pd->id = strdup(m->id)) == NULL)) {
		if (pd)
			pending_free(pd);
		err_set(&err, XL_ERR_RESOURCE_CONSTRAINT, NULL);
		xmpp_refuse(m, &err);
		return;
	}
	cookie = ++G.next_cookie;
	num_key(key, sizeof(key), 'c', cookie);
	if (hmap_put(G.pending, key, pd) != 0 ||
	    sip_send_message(&in, cookie, sip_done_for_xmpp, NULL) != 0) {
		hmap_del(G.pending, key);
		pending_free(pd);
		err_set(&err, XL_ERR_ITEM_NOT_FOUND, NULL);
		xmpp_refuse(m, &err);
	}
	gw_flow_check();
}

/* Presence from a remote user to a local watcher. */
static void
xmpp_on_presence(const struct xl_pres *pr, void *arg)
{
	struct xl_addr local;
	struct pair *p;
	char l[JID_MAX], r[JID_MAX];
	int changed;

	if (xl_email_inbound(config_current(), &pr->to, &local) != XL_OK)
		return;
	metric_inc(G.presence[GW_XMPP_TO_SIP]);
	jid_of(&local, 0, l, sizeof(l));
	jid_of(&pr->from, 0, r, sizeof(r));
	p = pair_find(l, r);
	/* only what a local user watches is kept (bounded by the watches) */
	if (p == NULL || !(xl_sub_has_to(p->state) || p->nwatch))
		return;
	/* the first word on the remote's presence is news even if "offline" */
	int first = p->rpres == NULL;
	if (first && (p->rpres = xl_pres_agg_new()) == NULL)
		return;
	changed = xl_pres_agg_update(p->rpres, pr);
	if ((changed > 0 || first) && xl_sub_has_to(p->state))
		pair_notify_watchers(p);
}

static void
xmpp_on_subscription(const struct xl_sub *s, void *arg)
{
	struct xl_addr local;
	struct xl_err err;
	enum xl_sub_event ev;
	struct pair *p;
	int rc;

	metric_inc(G.presence[GW_XMPP_TO_SIP]);
	if ((rc = xl_email_inbound(config_current(), &s->to, &local)) != XL_OK) {
		xl_status_to_err(rc, &err);
		xmpp_send_error(&s->to, &s->from, s->id, 1, &err);
		return;
	}
	ev = xl_sub_event_from_xmpp(s->type);
	p = pair_get(&local, &s->from);
	if (p == NULL)
		return;
	/*
	 * A probe for a pair we know nothing of (e.g. after a restart) is a
	 * subscription the remote believes in: ask the edge again rather than
	 * answering "unsubscribed", which would cut it.
	 */
	if (ev == XL_SE_XMPP_PROBE && !xl_sub_has_from(p->state))
		ev = XL_SE_XMPP_SUBSCRIBE;
	else if (ev == XL_SE_XMPP_PROBE && !p->local_known && p->outsub == 0) {
		pair_sip_subscribe(p, XL_SUB_SUBSCRIBE);
		return;		/* its NOTIFY answers the probe */
	}
	pair_event(p, ev, ev == XL_SE_XMPP_UNSUBSCRIBED ? "rejected" : NULL);
}

/* An error stanza answering one we sent. */
static void
xmpp_on_error(const struct xl_addr *from, const struct xl_addr *to,
    const char *id, const struct xl_err *err, void *arg)
{
	struct xl_addr local;
	struct pair *p;
	char l[JID_MAX], r[JID_MAX], text[512];
	struct xl_msg notice;

	metric_inc(G.late_errors);
	if (xl_email_inbound(config_current(), to, &local) != XL_OK)
		local = *to;
	if (id && strncmp(id, "fgm", 3) == 0) {
		/*
		 * The SIP MESSAGE was answered 200 when the stanza left; the
		 * remote server refused it afterwards. Tell the sender.
		 */
		snprintf(text, sizeof(text), "[fedgate] Your message was not "
		    "delivered: %s (%s)%s%s", xl_err_cond_name(err->cond),
		    xl_sip_reason(xl_err_to_sip(err)), err->text ? ": " : "",
		    err->text ? err->text : "");
		memset(&notice, 0, sizeof(notice));
		notice.from = *from;
		notice.from.resource[0] = '\0';
		notice.to = local;
		notice.type = XL_MSG_CHAT;
		notice.body = text;
		notice.body_len = strlen(text);
		sip_send_message(&notice, 0, NULL, NULL);
		log_info(LOG_MOD, "late error for a sip->xmpp message cond=%s",
		    xl_err_cond_name(err->cond));
		return;
	}
	/* a subscription or presence stanza of a pair: the remote is gone */
	jid_of(&local, 0, l, sizeof(l));
	jid_of(from, 0, r, sizeof(r));
	if ((p = pair_find(l, r)) != NULL)
		pair_event(p, XL_SE_XMPP_UNSUBSCRIBED, "noresource");
}

/* ---- service ------------------------------------------------------ */

static void
gw_metrics(void)
{
	for (int d = 0; d < GW_NDIRS; d++) {
		char l[64];
		snprintf(l, sizeof(l), "direction=\"%s\",result=\"accepted\"",
		    dir_names[d]);
		G.accepted[d] = metric_counter("fedgate_messages_total", l,
		    "instant messages through the gateway");
		snprintf(l, sizeof(l), "direction=\"%s\",result=\"delivered\"",
		    dir_names[d]);
		G.delivered[d] = metric_counter("fedgate_messages_total", l,
		    "instant messages through the gateway");
		snprintf(l, sizeof(l), "direction=\"%s\",result=\"bounced\"",
		    dir_names[d]);
		G.bounced[d] = metric_counter("fedgate_messages_total", l,
		    "instant messages through the gateway");
		snprintf(l, sizeof(l), "direction=\"%s\"", dir_names[d]);
		G.presence[d] = metric_counter("fedgate_presence_total", l,
		    "presence and subscription events through the gateway");
	}
	G.late_errors = metric_counter("fedgate_late_errors_total", "",
	    "error stanzas for stanzas already sent");
}

static int
gw_start(struct config *cfg)
{
	static const struct sip_events sev = {
		.message = sip_on_message,
		.subscribe = sip_on_subscribe,
		.presence = sip_on_presence,
		.chat_state = sip_on_chat_state,
	};
	static const struct xmpp_events xev = {
		.message = xmpp_on_message,
		.presence = xmpp_on_presence,
		.subscription = xmpp_on_subscription,
		.error = xmpp_on_error,
	};

	G.pairs = hmap_new();
	G.watch = hmap_new();
	G.outsub = hmap_new();
	G.pending = hmap_new();
	if (!G.pairs || !G.watch || !G.outsub || !G.pending)
		return -1;
	gw_metrics();
	sip_set_events(&sev);
	xmpp_set_events(&xev);
	G.running = 1;
	log_info(LOG_MOD, "wired sip and xmpp");
	return 0;
}

static void
gw_stop(void)
{
	G.running = 0;
}

static void
gw_shutdown(void)
{
	size_t it = 0;
	const char *k;
	void *v;

	sip_set_events(NULL);
	xmpp_set_events(NULL);
	while (hmap_next(G.pairs, &it, &k, &v)) {
		struct pair *p = v;
		xl_pres_agg_free(p->rpres);
		free(p->watch);
		free(p->local_status);
		free(p->key);
		free(p);
	}
	it = 0;
	while (hmap_next(G.pending, &it, &k, &v))
		pending_free(v);
	hmap_free(G.pairs);
	hmap_free(G.watch);
	hmap_free(G.outsub);
	hmap_free(G.pending);
	memset(&G, 0, sizeof(G));
}

static void
gw_status(FILE *out)
{
	fprintf(out, "gateway: presence pairs %zu, edge subscriptions %zu, "
	    "our subscriptions %zu, messages waiting for the edge %zu\n",
	    hmap_count(G.pairs), hmap_count(G.watch), hmap_count(G.outsub),
	    hmap_count(G.pending));
}

const struct service gateway_service = {
	.name = "gateway",
	.start = gw_start,
	.stop = gw_stop,
	.shutdown = gw_shutdown,
	.status = gw_status,
};
