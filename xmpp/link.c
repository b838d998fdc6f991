/*
 * link: per (local, remote) pair queue, dialback verification requests,
 * backoff, and the completions promised to senders. See link.h.
 *
 * Backoff: after an attempt failed hard (no route, refused), stanzas for
 * that pair fail at once with the same error for a while (1 s, doubling
 * up to 60 s) instead of each waiting a full connect timeout; the next
 * stanza after that tries again. When the route was there but no address
 * answered (the peer restarting, a network blip), the queue holds instead
 * for [xmpp] connect_timeout from the first such failure, retried with the
 * same backoff; what still waits then bounces. A verification
 * request from a peer that just connected to us ignores the backoff: that
 * peer is evidently there. A stream with bidi (XEP-0288) that can carry
 * the pair's stanzas is used before any backoff or new connection.
 */
#include "config.h"
#include "xmpp/link.h"
#include "xmpp/s2s.h"
#include "xmpp/stanza_conv.h"
#include "core/config.h"
#include "core/hmap.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD		"xmpp"
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	60000
#define SWEEP_MS	60000
#define TEXT_MAX	160

struct qent {
	struct qent	*next;
	char		*data;
	size_t		 len;
	uint64_t	 cookie;
	xmpp_done_fn	*done;
	void		*arg;
};

struct vreq {
	struct vreq	*next;
	uint64_t	 asker;		/* the stream that asked (id) */
	uint64_t	 sent_on;	/* outbound stream id, 0 = not sent yet */
	char		 sid[96];
	char		*key;
};

struct s2s_link {
	char		 local[XL_DOMAIN_MAX];
	char		 remote[XL_DOMAIN_MAX];
	char		 hkey[2 * XL_DOMAIN_MAX + 2];
	struct s2s_stream *out;		/* our own outbound stream */
	uint64_t	 bidi;		/* another stream that may carry ours */
	uint64_t	 via;		/* the stream our stanzas go on now */
	struct qent	*qhead, **qtail;
	size_t		 qlen;
	struct vreq	*vhead;
	size_t		 nv;
	unsigned	 failures;
	uint64_t	 retry_at;
	int		 holding;	/* transient failure: the queue waits */
	uint64_t	 hold_since;	/* when the holding began */
	struct loop_timer *retry;
	enum xl_err_cond last_cond;
	char		 last_text[TEXT_MAX];
};

/* A promised completion, delivered at the end of the turn. */
struct completion {
	uint64_t	 cookie;
	xmpp_done_fn	*done;
	void		*arg;
	int		 failed;
	enum xl_err_cond cond;
	char		 text[TEXT_MAX];
};

static struct {
	struct hmap		*links;
	struct completion	*cv;
	size_t			 ncv, capcv;
	struct loop_timer	*sweep;
	int			 hooked;
	uint64_t		 queued;
	struct metric		*m_sent, *m_bounced, *m_overflow;
} L;

static void link_deliver(void *arg);
static void link_sweep(void *arg);

static uint64_t
gauge_queued(void *arg)
{
	return L.queued;
}

static uint64_t
gauge_links(void *arg)
{
	return L.links ? hmap_count(L.links) : 0;
}

static void
link_metrics_register(void)
{
	L.m_sent = metric_counter("fedgate_xmpp_outbound_total",
	    "result=\"sent\"", "outbound stanzas: written to a stream or bounced");
	L.m_bounced = metric_counter("fedgate_xmpp_outbound_total",
	    "result=\"bounced\"", "outbound stanzas: written to a stream or bounced");
	L.m_overflow = metric_counter("fedgate_xmpp_queue_overflow_total", "",
	    "outbound stanzas refused because queue_limit was reached");
	metric_gauge("fedgate_xmpp_queued", "", "stanzas waiting for a stream",
	    gauge_queued, NULL);
	metric_gauge("fedgate_xmpp_links", "", "domain pairs known",
	    gauge_links, NULL);
}

int
link_init(void)
{
	link_metrics_register();
	if (L.links == NULL && (L.links = hmap_new()) == NULL)
		return -1;
	if (!L.hooked) {
		if (loop_turn_hook_add(link_deliver, NULL) != 0)
			return -1;
		L.hooked = 1;
	}
	if (L.sweep == NULL) {
		if ((L.sweep = loop_timer_new(link_sweep, NULL)) == NULL)
			return -1;
		loop_timer_set(L.sweep, SWEEP_MS);
	}
	return 0;
}

const char *
link_local(const struct s2s_link *l)
{
	return l->local;
}

const char *
link_remote(const struct s2s_link *l)
{
	return l->remote;
}

size_t
link_queued(void)
{
	return (size_t)L.queued;
}

/* ---- completions --------------------------------------------------- */

static void
link_complete(uint64_t cookie, xmpp_done_fn *done, void *arg, int failed,
    enum xl_err_cond cond, const char *text)
{
	struct completion *c;

	metric_inc(failed ? L.m_bounced : L.m_sent);
	if (done == NULL)
		return;
	if (L.ncv == L.capcv) {
		size_t cap = L.capcv ? L.capcv * 2 : 64;
		struct completion *v = realloc(L.cv, cap * sizeof(*v));
		if (v == NULL)
			fatalx(LOG_MOD, "out of memory");
		L.cv = v;
		L.capcv = cap;
	}
	c = &L.cv[L.ncv++];
	c->cookie = cookie;
	c->done = done;
	c->arg = arg;
	c->failed = failed;
	c->cond = cond;
	snprintf(c->text, sizeof(c->text), "%s", text ? text : "");
}

void
link_complete_later(uint64_t cookie, xmpp_done_fn *done, void *arg,
    const struct xl_err *err)
{
	link_complete(cookie, done, arg, err != NULL,
	    err ? err->cond : XL_ERR_NONE, err ? err->text : NULL);
}

static void
completion_call(const struct completion *c)
{
	struct xl_err err;

	if (!c->failed) {
		c->done(c->cookie, NULL, c->arg);
		return;
	}
	memset(&err, 0, sizeof(err));
	err.cond = c->cond;
	err.type = conv_err_default_type(c->cond);
	err.text = c->text[0] ? c->text : NULL;
	c->done(c->cookie, &err, c->arg);
}

/*
 * End of turn, after the streams were flushed: call the senders back.
 * A callback may send again; what that writes is flushed right after, so
 * nothing waits for the next wake-up of the loop.
 */
static void
link_deliver(void *arg)
{
	while (L.ncv > 0) {
		struct completion *v = L.cv;
		size_t n = L.ncv;

		L.cv = NULL;
		L.ncv = L.capcv = 0;
		for (size_t i = 0; i < n; i++)
			completion_call(&v[i]);
		free(v);
		s2s_flush_pending();
	}
}

/* ---- the table ----------------------------------------------------- */

static void
link_key(char *buf, size_t len, const char *local, const char *remote)
{
	snprintf(buf, len, "%s %s", local, remote);
}

static struct s2s_link *
link_get(const char *local, const char *remote, int create)
{
	char key[2 * XL_DOMAIN_MAX + 2];
	struct s2s_link *l;

	link_key(key, sizeof(key), local, remote);
	if ((l = hmap_get(L.links, key)) != NULL || !create)
		return l;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	snprintf(l->local, sizeof(l->local), "%s", local);
	snprintf(l->remote, sizeof(l->remote), "%s", remote);
	snprintf(l->hkey, sizeof(l->hkey), "%s", key);
	l->qtail = &l->qhead;
	if (hmap_put(L.links, key, l) != 0) {
		free(l);
		return NULL;
	}
	return l;
}

static void
link_free(struct s2s_link *l)
{
	hmap_del(L.links, l->hkey);
	loop_timer_free(l->retry);
	free(l);
}

static int
link_idle(const struct s2s_link *l, uint64_t now)
{
	return l->out == NULL && l->bidi == 0 && l->qhead == NULL &&
	    l->vhead == NULL && l->retry_at <= now;
}

/* Every minute: forget pairs with nothing going on. */
static void
link_sweep(void *arg)
{
	uint64_t now = loop_now_ms_fresh();
	struct s2s_link **dead = NULL;
	size_t n = 0, it = 0;
	const char *k;
	void *v;

	while (hmap_next(L.links, &it, &k, &v)) {
		struct s2s_link **d;

		if (!link_idle(v, now))
			continue;
		if ((d = realloc(dead, (n + 1) * sizeof(*d))) == NULL)
			break;
		dead = d;
		dead[n++] = v;
	}
	for (size_t i = 0; i < n; i++)
		link_free(dead[i]);
	free(dead);
	loop_timer_set(L.sweep, SWEEP_MS);
}

/* ---- queue --------------------------------------------------------- */

static void
link_start(struct s2s_link *l)
{
	if (l->out)
		return;
	l->out = s2s_out_new(l, l->local, l->remote);
	if (l->out == NULL)
		log_warnx(LOG_MOD, "cannot create a stream local=%s remote=%s",
		    l->local, l->remote);
}

/* The stream with that id, if it may carry the stanzas of l now. */
static struct s2s_stream *
link_usable(const struct s2s_link *l, uint64_t id)
{
	struct s2s_stream *s = id ? s2s_stream_find(id) : NULL;

	return s && s2s_carries(s, l->local, l->remote) ? s : NULL;
}

/*
 * The stream the stanzas of l go on: the one they went on so far while it
 * lasts (two streams at once could reorder them), else a bidi stream
 * (XEP-0288: then our own needs no connection, or goes idle), else our
 * own outbound stream once it is authenticated. NULL when none can.
 */
static struct s2s_stream *
link_writer(struct s2s_link *l)
{
	struct s2s_stream *s;

	if ((s = link_usable(l, l->via)) != NULL ||
	    (s = link_usable(l, l->bidi)) != NULL)
		return s;
	return l->out && s2s_carries(l->out, l->local, l->remote) ? l->out :
	    NULL;
}

/* Write one stanza on s, the writer of l; it becomes the one in use. */
static int
link_write(struct s2s_link *l, struct s2s_stream *s, const char *data,
    size_t len)
{
	uint64_t id = s2s_stream_id(s);

	if (!s2s_can_write(s) || s2s_write(s, data, len) != 0)
		return -1;
	if (l->via != id) {
		log_debug(LOG_MOD, "stanzas local=%s remote=%s go on stream "
		    "id=%llu%s", l->local, l->remote, (unsigned long long)id,
		    s == l->out ? "" : " (bidirectional)");
		l->via = id;
	}
	return 0;
}

/* Move queued stanzas into the stream while it takes them. */
static void
link_drain(struct s2s_link *l)
{
	struct s2s_stream *s = link_writer(l);
	struct qent *q;

	while (s && (q = l->qhead) != NULL) {
		if (link_write(l, s, q->data, q->len) != 0)
			return;
		l->qhead = q->next;
		if (l->qhead == NULL)
			l->qtail = &l->qhead;
		l->qlen--;
		L.queued--;
		link_complete(q->cookie, q->done, q->arg, 0, XL_ERR_NONE, NULL);
		free(q->data);
		free(q);
	}
}

static void
link_bounce_all(struct s2s_link *l, enum xl_err_cond cond, const char *text)
{
	struct qent *q;

	while ((q = l->qhead) != NULL) {
		l->qhead = q->next;
		link_complete(q->cookie, q->done, q->arg, 1, cond, text);
		free(q->data);
		free(q);
		L.queued--;
	}
	l->qtail = &l->qhead;
	l->qlen = 0;
}

/*
 * Holding ends connect_timeout after it began: what still waits bounces
 * then, with the error of the last attempt.
 */
static int
link_hold_over(struct s2s_link *l)
{
	uint64_t hold = config_current()->connect_timeout_ms;

	if (loop_now_ms_fresh() - l->hold_since < hold)
		return 0;
	l->holding = 0;
	if (l->qlen)
		log_warnx(LOG_MOD, "no stream local=%s remote=%s for %llums: "
		    "%zu stanza%s bounced with %s", l->local, l->remote,
		    (unsigned long long)hold, l->qlen, l->qlen == 1 ? "" : "s",
		    conv_err_cond_name(l->last_cond));
	link_bounce_all(l, l->last_cond, l->last_text);
	return 1;
}

/* Holding after a transient failure: time for the next attempt. */
static void
link_retry(void *arg)
{
	struct s2s_link *l = arg;

	if (link_hold_over(l) || (l->qhead == NULL && l->vhead == NULL)) {
		l->holding = 0;
		return;
	}
	l->retry_at = 0;
	link_start(l);
}

void
link_submit(const char *local, const char *remote, char *data, size_t len,
    uint64_t cookie, xmpp_done_fn *done, void *arg)
{
	const struct config *cfg = config_current();
	struct s2s_link *l = link_get(local, remote, 1);
	struct s2s_stream *s;
	struct qent *q;

	if (l == NULL) {
		link_complete(cookie, done, arg, 1, XL_ERR_INTERNAL_SERVER_ERROR,
		    "out of memory");
		free(data);
		return;
	}
	s = link_writer(l);
	if (s == NULL && l->out == NULL && l->retry_at > loop_now_ms() &&
	    !l->holding) {
		link_complete(cookie, done, arg, 1, l->last_cond, l->last_text);
		free(data);
		return;
	}
	if (l->qhead == NULL && s && link_write(l, s, data, len) == 0) {
		link_complete(cookie, done, arg, 0, XL_ERR_NONE, NULL);
		free(data);
		return;
	}
	if (l->qlen >= cfg->queue_limit ||
	    (q = calloc(1, sizeof(*q))) == NULL) {
		metric_inc(L.m_overflow);
		log_warnx(LOG_MOD, "queue full local=%s remote=%s limit=%llu",
		    local, remote, (unsigned long long)cfg->queue_limit);
		link_complete(cookie, done, arg, 1, XL_ERR_RESOURCE_CONSTRAINT,
		    "too many stanzas waiting for this domain");
		free(data);
		return;
	}
	q->data = data;
	q->len = len;
	q->cookie = cookie;
	q->done = done;
	q->arg = arg;
	*l->qtail = q;
	l->qtail = &q->next;
	l->qlen++;
	L.queued++;
	if (!l->holding && s == NULL)
		link_start(l);		/* else the retry timer starts it */
}

/* ---- dialback verification ---------------------------------------- */

void
link_verify_submit(const char *local, const char *remote, uint64_t asker,
    const char *sid, const char *key)
{
	const struct config *cfg = config_current();
	struct s2s_link *l = link_get(local, remote, 1);
	struct vreq *v;

	if (l == NULL || l->nv >= cfg->queue_limit ||
	    (v = calloc(1, sizeof(*v))) == NULL)
		return;		/* the inbound stream times it out */
	if ((v->key = strdup(key)) == NULL) {
		free(v);
		return;
	}
	v->asker = asker;
	snprintf(v->sid, sizeof(v->sid), "%s", sid);
	v->next = l->vhead;
	l->vhead = v;
	l->nv++;
	if (l->out && s2s_out_send_verify(l->out, l->local, l->remote, v->sid,
	    v->key) == 0)
		v->sent_on = s2s_stream_id(l->out);
	else
		link_start(l);
}

void
link_on_verify_possible(struct s2s_link *l, struct s2s_stream *s)
{
	for (struct vreq *v = l->vhead; v; v = v->next)
		if (v->sent_on == 0 && s2s_out_send_verify(s, l->local,
		    l->remote, v->sid, v->key) == 0)
			v->sent_on = s2s_stream_id(s);
}

static void
vreq_free(struct vreq *v)
{
	free(v->key);
	free(v);
}

int
link_verify_answer(struct s2s_link *l, struct s2s_stream *s, const char *sid,
    int result)
{
	for (struct vreq **pp = &l->vhead; *pp; pp = &(*pp)->next) {
		struct vreq *v = *pp;

		if (v->sent_on != s2s_stream_id(s) || strcmp(v->sid, sid))
			continue;
		*pp = v->next;
		l->nv--;
		s2s_verify_result(v->asker, v->sid, l->remote, l->local,
		    result);
		vreq_free(v);
		return 0;
	}
	return -1;
}

/*
 * Requests that can no longer be answered (sent on the stream that is
 * gone, or all of them when no stream can be had): tell the inbound streams.
 */
static void
link_verify_fail(struct s2s_link *l, uint64_t sent_on, int all)
{
	struct vreq **pp = &l->vhead, *v;

	while ((v = *pp) != NULL) {
		if (!all && v->sent_on != sent_on) {
			v->sent_on = 0;		/* to be asked on the next stream */
			pp = &v->next;
			continue;
		}
		*pp = v->next;
		l->nv--;
		s2s_verify_result(v->asker, v->sid, l->remote, l->local, -1);
		vreq_free(v);
	}
}

/* ---- events from the outbound stream ------------------------------ */

void
link_on_ready(struct s2s_link *l, struct s2s_stream *s)
{
	l->failures = 0;
	l->retry_at = 0;
	l->holding = 0;
	loop_timer_stop(l->retry);
	link_on_verify_possible(l, s);
	link_drain(l);
}

void
link_on_writable(struct s2s_link *l, struct s2s_stream *s)
{
	link_drain(l);
}

/* ---- XEP-0288: streams with bidi ----------------------------------- */

void
link_bidi_ready(const char *local, const char *remote, struct s2s_stream *s)
{
	struct s2s_link *l = link_get(local, remote, 1);
	uint64_t id = s2s_stream_id(s);

	if (l == NULL || l->out == s)
		return;
	if (l->bidi != id) {
		/* the newest: the peer's current one, likely to last longest */
		l->bidi = id;
		log_info(LOG_MOD, "bidirectional stream id=%llu can carry "
		    "stanzas local=%s remote=%s", (unsigned long long)id,
		    local, remote);
	}
	link_drain(l);
}

void
link_bidi_gone(const char *local, const char *remote, uint64_t id)
{
	struct s2s_link *l = link_get(local, remote, 0);

	if (l == NULL)
		return;
	if (l->via == id)
		l->via = 0;
	if (l->bidi == id)
		l->bidi = 0;
	if (l->qhead == NULL)
		return;
	/* what waited for room on it needs another stream */
	if (link_writer(l) == NULL && !l->holding)
		link_start(l);
	link_drain(l);
}

void
link_bidi_writable(const char *local, const char *remote,
    struct s2s_stream *s)
{
	struct s2s_link *l = link_get(local, remote, 0);

	if (l != NULL && l->qhead != NULL && link_writer(l) == s)
		link_drain(l);
}

/*
 * A transient failure: keep what waits (bounce only what is past the hold
 * time) and try again after the backoff. 0 when there is nothing to hold.
 */
static int
link_hold(struct s2s_link *l, uint64_t backoff)
{
	uint64_t hold = config_current()->connect_timeout_ms, left, wait;

	if (!l->holding)
		l->hold_since = loop_now_ms_fresh();
	l->holding = 1;
	if (l->qhead == NULL || link_hold_over(l))
		return 0;
	if (l->retry == NULL && (l->retry = loop_timer_new(link_retry, l)) == NULL)
		return 0;
	left = hold - (loop_now_ms() - l->hold_since);
	wait = backoff < left ? backoff : left;
	loop_timer_set(l->retry, wait);
	log_warnx(LOG_MOD, "no stream local=%s remote=%s: %s; holding %zu "
	    "stanza%s, next attempt in %llums", l->local, l->remote,
	    l->last_text, l->qlen, l->qlen == 1 ? "" : "s",
	    (unsigned long long)wait);
	return 1;
}

void
link_on_stream_gone(struct s2s_link *l, struct s2s_stream *s, int failed,
    enum xl_err_cond cond, const char *text)
{
	uint64_t backoff;

	if (l->out != s)
		return;
	l->out = NULL;
	if (l->via == s2s_stream_id(s))
		l->via = 0;
	link_verify_fail(l, s2s_stream_id(s), failed);
	if (!failed) {
		/* work that came while it was closing gets a new stream,
		   unless a bidi stream carries it */
		if (l->vhead || (l->qhead && link_writer(l) == NULL))
			link_start(l);
		link_drain(l);
		return;
	}
	l->failures++;
	backoff = BACKOFF_MIN_MS << (l->failures > 7 ? 6 : l->failures - 1);
	if (backoff > BACKOFF_MAX_MS)
		backoff = BACKOFF_MAX_MS;
	l->retry_at = loop_now_ms() + backoff;
	l->last_cond = cond;
	snprintf(l->last_text, sizeof(l->last_text), "%s", text ? text : "");
	if (link_writer(l) != NULL) {
		link_drain(l);		/* a bidi stream carries what waits */
		return;
	}
	if (failed == LINK_FAIL_TRANSIENT && link_hold(l, backoff))
		return;
	l->holding = 0;
	if (l->qlen == 0) {
		log_warnx(LOG_MOD, "no stream local=%s remote=%s: %s; next "
		    "attempt in %llus", l->local, l->remote, l->last_text,
		    (unsigned long long)(backoff / 1000));
		return;
	}
	log_warnx(LOG_MOD, "no stream local=%s remote=%s: %s; %zu stanza%s "
	    "bounced with %s, next attempt in %llus", l->local, l->remote,
	    l->last_text, l->qlen, l->qlen == 1 ? "" : "s",
	    conv_err_cond_name(cond), (unsigned long long)(backoff / 1000));
	link_bounce_all(l, cond, l->last_text);
}

void
link_shutdown(void)
{
	size_t it = 0;
	const char *k;
	void *v;

	if (L.links == NULL)
		return;
	while (hmap_next(L.links, &it, &k, &v)) {
		struct s2s_link *l = v;

		l->out = NULL;
		loop_timer_free(l->retry);
		l->retry = NULL;
		link_bounce_all(l, XL_ERR_REMOTE_SERVER_TIMEOUT,
		    "the gateway is shutting down");
		for (struct vreq *q = l->vhead, *n; q; q = n) {
			n = q->next;
			vreq_free(q);
		}
		free(l);
	}
	hmap_free(L.links);
	L.links = NULL;
	link_deliver(NULL);
	free(L.cv);
	L.cv = NULL;
	L.ncv = L.capcv = 0;
	loop_timer_free(L.sweep);
	L.sweep = NULL;
	if (L.hooked)
		loop_turn_hook_del(link_deliver, NULL);
	L.hooked = 0;
}
