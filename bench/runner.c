/*
 * runner: see runner.h.
 */
#include "bench/runner.h"
#include "bench/conn.h"
#include "bench/sippeer.h"
#include "bench/xmpppeer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TICK_US		1000
#define SAMPLE_NS	100000000ull	/* backlog sample every 100 ms */
#define BURST_S		0.05

/* ---- the loop ---------------------------------------------------------- */

typedef int cond_fn(struct bench *b, void *arg);

static void
heartbeat(evutil_socket_t fd, short what, void *arg)
{
}

/*
 * Run the loop until cond holds (1), a problem is reported (-1) or
 * timeout_s passes (0). A 10 ms heartbeat bounds every wait.
 */
static int
loop_until(struct bench *b, cond_fn *cond, void *arg, double timeout_s)
{
	uint64_t end = now_ns() + (uint64_t)(timeout_s * 1e9);
	struct timeval tv = { 0, 10000 };
	struct event *hb = event_new(b->base, -1, EV_PERSIST, heartbeat, NULL);
	int rc = 0;

	if (hb == NULL)
		return -1;
	event_add(hb, &tv);
	for (;;) {
		if (cond && cond(b, arg)) {
			rc = 1;
			break;
		}
		if (b->problem[0]) {
			rc = -1;
			break;
		}
		if (now_ns() >= end)
			break;
		event_base_loop(b->base, EVLOOP_ONCE);
	}
	event_free(hb);
	return rc;
}

void
runner_pause(struct bench *b, double s)
{
	loop_until(b, NULL, NULL, s);
}

static int
cond_all_closed(struct bench *b, void *arg)
{
	return conn_live() == 0;
}

void
runner_shutdown(struct bench *b)
{
	sip_side_shutdown(b->sip);
	xmpp_side_shutdown(b->xmpp);
	b->problem[0] = '\0';
	loop_until(b, cond_all_closed, NULL, 3);
}

static int
is_sip_source(enum bdir d)
{
	return d == BD_SIP2XMPP || d == BD_SELF_SIP;
}

static int
source_send(struct bench *b, enum bdir d, uint64_t seq)
{
	return is_sip_source(d) ? sip_source_message(b->sip, d, seq) :
	    xmpp_source_message(b->xmpp, d, seq);
}

/* ---- ready and probe ------------------------------------------------------ */

static int
cond_ready(struct bench *b, void *arg)
{
	enum bdir d = *(enum bdir *)arg;

	return is_sip_source(d) ? sip_source_ready(b->sip) :
	    xmpp_source_ready(b->xmpp);
}

int
runner_ready(struct bench *b, enum bdir d, double timeout_s)
{
	int rc;

	if (!is_sip_source(d))
		xmpp_source_start(b->xmpp);
	rc = loop_until(b, cond_ready, &d, timeout_s);
	if (rc == 0)
		bench_problem(b, is_sip_source(d) ?
		    "no TLS connection to the SIP listener %s within %.0f s" :
		    "XMPP stream to %s not authenticated within %.0f s",
		    is_sip_source(d) ? (d == BD_SIP2XMPP ? b->o.gw_sip :
		    "the self-test sink") : (d == BD_XMPP2SIP ? b->o.gw_xmpp :
		    "the self-test sink"), timeout_s);
	return rc == 1 ? 0 : -1;
}

struct probe {
	enum bdir	d;
};

static int
cond_probe(struct bench *b, void *arg)
{
	struct probe *p = arg;
	const struct tracker *t = &b->trk[p->d];

	if (t->delivered + t->errors == 0)
		return 0;
	return !is_sip_source(p->d) || t->answered > 0;
}

int
runner_probe(struct bench *b, enum bdir d, double timeout_s)
{
	struct tracker *t = &b->trk[d];
	struct probe p = { d };
	const char *sink = (d == BD_SIP2XMPP || d == BD_SELF_XMPP) ?
	    "the XMPP sink" : "the SIP edge sink";
	int rc;

	b->run++;
	if (tracker_reset(t, b->run, 16) != 0 || source_send(b, d, 0) != 0) {
		bench_problem(b, "cannot send the probe message");
		return -1;
	}
	tracker_sent(t, 0);
	rc = loop_until(b, cond_probe, &p, timeout_s);
	if (rc < 0)
		return -1;
	if (is_sip_source(d) && t->answered == 0)
		bench_problem(b, "no final response to MESSAGE within %.0f s%s",
		    timeout_s, t->delivered ? " (it was delivered)" : "");
	else if (is_sip_source(d) && t->accepted == 0) {
		char codes[64];
		tracker_codes(t, codes, sizeof(codes));
		bench_problem(b, "MESSAGE answered %s, not 200", codes);
	} else if (t->errors)
		bench_problem(b, "the message came back as an error stanza "
		    "(%s)", b->last_bounce);
	else if (t->delivered == 0)
		bench_problem(b, "%s but nothing reached %s within %.0f s",
		    is_sip_source(d) ? "MESSAGE answered 200" : "message sent",
		    sink, timeout_s);
	return b->problem[0] ? -1 : 0;
}

/* ---- the sender ---------------------------------------------------------- */

struct pacer {
	struct bench	*b;
	enum bdir	 d;
	int		 subs;		/* SUBSCRIBE instead of MESSAGE */
	double		 rate;
	uint64_t	 t0, t_measure, t_end, target, sent;
	uint64_t	 blocked;	/* ticks cut short by backpressure */
	int		 measuring, done;
	struct event	*ev;
	/* measured window */
	struct proc_sample gw0, gw1, me0, me1;
	int		 have_gw;
	uint64_t	 m_t0, m_t1, m_sent0;
	uint64_t	*samples;
	size_t		 nsamples, maxsamples;
	uint64_t	 last_sample;
};

static uint64_t
backlog_now(struct bench *b, enum bdir d)
{
	const struct tracker *t = &b->trk[d];
	uint64_t o = tracker_outstanding(t);

	if (is_sip_source(d) && tracker_unanswered(t) > o)
		o = tracker_unanswered(t);
	return o;
}

static void
pacer_measure_start(struct pacer *p, uint64_t now)
{
	struct bench *b = p->b;

	p->measuring = 1;
	p->m_t0 = now;
	p->m_sent0 = p->sent;
	b->trk[p->d].measure_from = p->sent;
	p->have_gw = b->o.pid > 0 && proc_sample(b->o.pid, &p->gw0) == 0;
	proc_sample(0, &p->me0);
	p->last_sample = now;
}

static void
pacer_measure_end(struct pacer *p, uint64_t now)
{
	struct bench *b = p->b;

	p->m_t1 = now;
	if (p->have_gw && proc_sample(b->o.pid, &p->gw1) != 0)
		p->have_gw = 0;
	proc_sample(0, &p->me1);
}

static int
pacer_send_one(struct pacer *p, uint64_t seq)
{
	struct bench *b = p->b;
	int rc;

	if (p->subs) {
		rc = sip_source_subscribe(b->sip, seq);
		if (rc == 0)
			b->sub_st[seq] |= 0x01;
		return rc;
	}
	rc = source_send(b, p->d, seq);
	if (rc == 0)
		tracker_sent(&b->trk[p->d], seq);
	return rc;
}

static void
pacer_tick(evutil_socket_t fd, short what, void *arg)
{
	struct pacer *p = arg;
	uint64_t now = now_ns(), due, n, cap;

	if (p->done)
		return;
	if (!p->measuring && now >= p->t_measure)
		pacer_measure_start(p, now);
	due = now >= p->t_end ? p->target :
	    (uint64_t)((double)(now - p->t0) * p->rate / 1e9);
	if (due > p->target)
		due = p->target;
	n = due > p->sent ? due - p->sent : 0;
	cap = (uint64_t)(p->rate * BURST_S) + 1;
	if (n > cap)
		n = cap;
	for (uint64_t i = 0; i < n; i++) {
		if (pacer_send_one(p, p->sent) != 0) {
			p->blocked++;
			break;
		}
		p->sent++;
	}
	if (p->measuring && now - p->last_sample >= SAMPLE_NS &&
	    p->nsamples < p->maxsamples) {
		p->samples[p->nsamples++] = backlog_now(p->b, p->d);
		p->last_sample = now;
	}
	if (now >= p->t_end || p->sent >= p->target) {
		if (!p->measuring)
			pacer_measure_start(p, now);
		pacer_measure_end(p, now);
		p->done = 1;
		event_del(p->ev);
	}
}

static int
pacer_start(struct pacer *p, struct bench *b, enum bdir d, double rate,
    double secs, double warmup)
{
	struct timeval tv = { 0, TICK_US };

	memset(p, 0, sizeof(*p));
	p->b = b;
	p->d = d;
	p->rate = rate;
	p->t0 = now_ns();
	p->t_measure = p->t0 + (uint64_t)(warmup * 1e9);
	p->t_end = p->t_measure + (uint64_t)(secs * 1e9);
	p->target = (uint64_t)llround(rate * (secs + warmup));
	p->maxsamples = (size_t)(secs * 10) + 16;
	p->samples = calloc(p->maxsamples, sizeof(*p->samples));
	p->ev = event_new(b->base, -1, EV_PERSIST, pacer_tick, p);
	if (p->samples == NULL || p->ev == NULL)
		return -1;
	event_add(p->ev, &tv);
	return 0;
}

static void
pacer_free(struct pacer *p)
{
	if (p->ev)
		event_free(p->ev);
	free(p->samples);
}

static int
cond_pacer_done(struct bench *b, void *arg)
{
	return ((struct pacer *)arg)->done;
}

/* ---- a trial ----------------------------------------------------------- */

struct drain {
	enum bdir	d;
};

static int
cond_drained(struct bench *b, void *arg)
{
	enum bdir d = ((struct drain *)arg)->d;
	const struct tracker *t = &b->trk[d];

	return tracker_outstanding(t) == 0 &&
	    (!is_sip_source(d) || tracker_unanswered(t) == 0);
}

static double
mean(const uint64_t *v, size_t from, size_t to)
{
	double s = 0;

	if (to <= from)
		return 0;
	for (size_t i = from; i < to; i++)
		s += (double)v[i];
	return s / (double)(to - from);
}

/*
 * Not keeping up: the last quarter of the window holds clearly more in
 * flight than the second quarter (twice as much plus 20 ms of traffic), or
 * the second half holds more than 100 ms of traffic on average. By
 * Little's law the latter is a mean time in flight over 100 ms: queues
 * full to whatever bounds them, even if they no longer grow.
 */
static int
backlog_growing(const struct pacer *p, uint64_t *max)
{
	size_t n = p->nsamples;
	double q2, q4, h2;

	*max = 0;
	for (size_t i = 0; i < n; i++)
		if (p->samples[i] > *max)
			*max = p->samples[i];
	if (n < 8)
		return 0;
	q2 = mean(p->samples, n / 4, n / 2);
	q4 = mean(p->samples, 3 * n / 4, n);
	h2 = mean(p->samples, n / 2, n);
	return q4 > 2 * q2 + p->rate * 0.02 || h2 > p->rate * 0.1;
}

static void
trial_results(struct bench *b, const struct pacer *p, struct trial_result *r)
{
	const struct tracker *t = &b->trk[p->d];
	double wsecs = (double)(p->m_t1 - p->m_t0) / 1e9;
	uint64_t wsent = p->sent - p->m_sent0;

	r->target = p->target;
	r->sent = t->sent;
	r->delivered = t->delivered;
	r->errors = t->errors;
	r->accepted = is_sip_source(p->d) ? t->accepted : t->sent - t->errors;
	r->unanswered = is_sip_source(p->d) ? tracker_unanswered(t) : 0;
	r->lost = tracker_outstanding(t);
	r->dups = t->dups;
	r->stale = t->stale;
	r->blocked_ticks = p->blocked;
	r->p50_ms = (double)hist_percentile(&t->lat, 50) / 1e6;
	r->p99_ms = (double)hist_percentile(&t->lat, 99) / 1e6;
	r->max_ms = (double)t->lat.max / 1e6;
	r->resp_p50_ms = (double)hist_percentile(&t->resp, 50) / 1e6;
	r->resp_p99_ms = (double)hist_percentile(&t->resp, 99) / 1e6;
	r->delivered_rate = wsecs > 0 ? (double)t->lat.n / wsecs : 0;
	tracker_codes(t, r->codes, sizeof(r->codes));
	if (wsent > 0) {
		r->tool_cpu_per_1000 = (p->me1.cpu_s - p->me0.cpu_s) /
		    (double)wsent * 1000;
		if (p->have_gw)
			r->gw_cpu_per_1000 = (p->gw1.cpu_s - p->gw0.cpu_s) /
			    (double)wsent * 1000;
	}
	r->tool_rss_mb = p->me1.rss_mb;
	r->gw_rss_mb = p->have_gw ? p->gw1.rss_mb : 0;
	r->backlog_growing = backlog_growing(p, &r->backlog_max);
}

static void
trial_verdict(struct bench *b, struct trial_result *r)
{
	r->pass = 0;
	if (b->problem[0])
		snprintf(r->reason, sizeof(r->reason), "%s", b->problem);
	else if ((double)r->sent < 0.99 * (double)r->target)
		snprintf(r->reason, sizeof(r->reason), "could not offer the rate:"
		    " sent %llu of %llu (%llu ticks held back by a full output "
		    "buffer)", (unsigned long long)r->sent,
		    (unsigned long long)r->target,
		    (unsigned long long)r->blocked_ticks);
	else if (r->lost > 0)
		snprintf(r->reason, sizeof(r->reason), "%llu lost (not delivered "
		    "within the %.0f s drain)", (unsigned long long)r->lost,
		    b->o.drain);
	else if (r->errors > 0)
		snprintf(r->reason, sizeof(r->reason), "%llu errors (%s)",
		    (unsigned long long)r->errors, r->codes);
	else if (r->unanswered > 0)
		snprintf(r->reason, sizeof(r->reason), "%llu MESSAGEs without a "
		    "final response", (unsigned long long)r->unanswered);
	else if (r->backlog_growing)
		snprintf(r->reason, sizeof(r->reason), "backlog grows or stays "
		    "over 100 ms of traffic (max %llu in flight): the receiving "
		    "side does not keep up", (unsigned long long)r->backlog_max);
	else {
		r->pass = 1;
		snprintf(r->reason, sizeof(r->reason), "ok");
	}
}

int
runner_trial(struct bench *b, enum bdir d, double rate, double secs,
    double warmup, struct trial_result *r)
{
	struct pacer p;
	struct drain dr = { d };
	uint64_t cap = (uint64_t)(rate * (secs + warmup) * 1.02) + 64;

	memset(r, 0, sizeof(*r));
	r->dir = d;
	r->offered = rate;
	r->secs = secs;
	r->warmup = warmup;
	b->run++;
	if (tracker_reset(&b->trk[d], b->run, cap) != 0 ||
	    pacer_start(&p, b, d, rate, secs, warmup) != 0) {
		pacer_free(&p);
		snprintf(r->reason, sizeof(r->reason), "out of memory");
		return -1;
	}
	loop_until(b, cond_pacer_done, &p, secs + warmup + 5);
	if (!p.done) {
		pacer_measure_end(&p, now_ns());
		p.done = 1;
	}
	event_del(p.ev);
	loop_until(b, cond_drained, &dr, b->o.drain);
	trial_results(b, &p, r);
	pacer_free(&p);
	trial_verdict(b, r);
	return r->pass ? 0 : -1;
}

/* ---- search --------------------------------------------------------------- */

/*
 * Step the rate up until a trial fails, then bisect between the last pass
 * and the first failure down to a quarter step. Between trials the loop
 * idles one second so the gateway's queues empty.
 */
int
runner_search(struct bench *b, enum bdir d, struct trial_result *best)
{
	const struct bench_opts *o = &b->o;
	double lo = 0, hi = 0, rate = o->start > 0 ? o->start : o->step;
	struct trial_result r;

	memset(best, 0, sizeof(*best));
	best->dir = d;
	snprintf(best->reason, sizeof(best->reason), "no rate passed");
	while (rate <= o->search_max) {
		int ok = runner_trial(b, d, rate, o->secs, o->warmup, &r) == 0;

		runner_print_trial(b, &r, "trial ", stdout);
		if (b->problem[0] && !ok)
			return -1;	/* broken, not slow: stop here */
		if (!ok) {
			hi = rate;
			break;
		}
		lo = rate;
		*best = r;
		rate += o->step;
		runner_pause(b, 1);
	}
	while (hi > 0 && hi - lo > o->step / 4) {
		double mid = floor((lo + hi) / 2 / 100) * 100;
		int ok;

		if (mid <= lo)
			break;
		runner_pause(b, 1);
		ok = runner_trial(b, d, mid, o->secs, o->warmup, &r) == 0;
		runner_print_trial(b, &r, "trial ", stdout);
		if (b->problem[0] && !ok)
			return -1;
		if (ok) {
			lo = mid;
			*best = r;
		} else
			hi = mid;
	}
	return lo > 0 ? 0 : -1;
}

/* ---- subscriptions ------------------------------------------------------------ */

struct subs_wait {
	uint64_t	n;
};

static int
cond_subs(struct bench *b, void *arg)
{
	uint64_t n = ((struct subs_wait *)arg)->n;

	return b->subs_active + b->subs_failed >= n;
}

static void
subs_verdict(struct bench *b, struct subs_result *r, uint64_t sent)
{
	uint64_t n = r->n;

	r->pass = 0;
	if (b->problem[0])
		snprintf(r->reason, sizeof(r->reason), "%s", b->problem);
	else if (sent < n)
		snprintf(r->reason, sizeof(r->reason), "sent only %llu SUBSCRIBEs",
		    (unsigned long long)sent);
	else if (r->active < n)
		snprintf(r->reason, sizeof(r->reason), "%llu of %llu active "
		    "within %.0f s (%llu answered 2xx, %llu notified, %llu "
		    "refused or terminated)", (unsigned long long)r->active,
		    (unsigned long long)n, b->o.timeout,
		    (unsigned long long)r->answered,
		    (unsigned long long)r->notified,
		    (unsigned long long)r->failed);
	else {
		r->pass = 1;
		snprintf(r->reason, sizeof(r->reason), "ok");
	}
}

int
runner_subs(struct bench *b, uint64_t n, struct subs_result *r)
{
	struct proc_sample idle, full;
	struct subs_wait w = { n };
	struct pacer p;
	uint64_t t0;
	int have_gw;

	memset(r, 0, sizeof(*r));
	r->n = n;
	have_gw = b->o.pid > 0 && proc_sample(b->o.pid, &idle) == 0;
	b->run++;
	free(b->sub_st);
	b->sub_st = calloc(n ? n : 1, 1);
	b->nsubs = n;
	b->subs_answered = b->subs_notified = b->subs_active = 0;
	b->subs_failed = 0;
	t0 = now_ns();
	if (b->sub_st == NULL || pacer_start(&p, b, BD_SIP2XMPP, b->o.sub_rate,
	    (double)n / b->o.sub_rate, 0) != 0) {
		snprintf(r->reason, sizeof(r->reason), "out of memory");
		return -1;
	}
	p.subs = 1;
	p.target = n;
	loop_until(b, cond_pacer_done, &p, (double)n / b->o.sub_rate + 5);
	event_del(p.ev);
	loop_until(b, cond_subs, &w, b->o.timeout);
	r->secs = (double)(now_ns() - t0) / 1e9;
	r->answered = b->subs_answered;
	r->notified = b->subs_notified;
	r->active = b->subs_active;
	r->failed = b->subs_failed;
	if (have_gw && proc_sample(b->o.pid, &full) == 0) {
		r->idle_rss_mb = idle.rss_mb;
		r->rss_mb = full.rss_mb;
		r->kb_per_sub = n ? (full.rss_mb - idle.rss_mb) * 1024 /
		    (double)n : 0;
	}
	pacer_free(&p);
	subs_verdict(b, r, p.sent);
	return r->pass ? 0 : -1;
}

/* ---- output ---------------------------------------------------------------- */

static void
print_reason(const char *reason, FILE *out)
{
	fputs(" reason=\"", out);
	for (const char *c = reason; *c; c++)
		fputc(*c == '"' ? '\'' : *c, out);
	fputs("\"\n", out);
}

void
runner_print_trial(const struct bench *b, const struct trial_result *r,
    const char *prefix, FILE *out)
{
	fprintf(out, "%sdir=%s offered=%.0f secs=%.0f warmup=%.0f sent=%llu "
	    "accepted=%llu delivered=%llu errors=%llu lost=%llu "
	    "unanswered=%llu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	    "resp_p50_ms=%.3f resp_p99_ms=%.3f delivered_per_s=%.0f "
	    "backlog_max=%llu codes=%s", prefix, bdir_name(r->dir), r->offered,
	    r->secs, r->warmup, (unsigned long long)r->sent,
	    (unsigned long long)r->accepted, (unsigned long long)r->delivered,
	    (unsigned long long)r->errors, (unsigned long long)r->lost,
	    (unsigned long long)r->unanswered, r->p50_ms, r->p99_ms, r->max_ms,
	    r->resp_p50_ms, r->resp_p99_ms, r->delivered_rate,
	    (unsigned long long)r->backlog_max, r->codes);
	if (b->o.pid > 0)
		fprintf(out, " cpu_s_per_1000=%.4f rss_mb=%.1f",
		    r->gw_cpu_per_1000, r->gw_rss_mb);
	fprintf(out, " tool_cpu_s_per_1000=%.4f tool_rss_mb=%.1f result=%s",
	    r->tool_cpu_per_1000, r->tool_rss_mb, r->pass ? "pass" : "fail");
	print_reason(r->reason, out);
	fflush(out);
}

void
runner_print_subs(const struct bench *b, const struct subs_result *r,
    const char *prefix, FILE *out)
{
	fprintf(out, "%sdir=subs subs=%llu answered=%llu notified=%llu "
	    "active=%llu failed=%llu secs=%.1f", prefix,
	    (unsigned long long)r->n, (unsigned long long)r->answered,
	    (unsigned long long)r->notified, (unsigned long long)r->active,
	    (unsigned long long)r->failed, r->secs);
	if (b->o.pid > 0)
		fprintf(out, " idle_rss_mb=%.1f rss_mb=%.1f rss_kb_per_sub=%.2f",
		    r->idle_rss_mb, r->rss_mb, r->kb_per_sub);
	fprintf(out, " result=%s", r->pass ? "pass" : "fail");
	print_reason(r->reason, out);
	fflush(out);
}
