/*
 * sip_edge: see sip_edge.h. One record per distinct next hop of the local
 * SIP domains, found with route_lookup (the same routing the requests
 * use); a local domain without a route is a record too, Inactive with the
 * reason. The OPTIONS ping every [sip] keepalive is also what keeps the
 * TLS connection to the edge alive: Sofia's CRLF keepalive
 * (TPTAG_KEEPALIVE, set in sip.c) writes to the raw socket, so its TLS
 * transport does not use it; it works with transport = tcp only.
 *
 * Each (re)build is a generation: lookups of an older one are ignored,
 * and when the last lookup of a build is back, the records it did not
 * confirm are dropped.
 */
#include "config.h"

#include "sip/sip_core.h"
#include "sip/sip_edge.h"
#include "sip/sip_out.h"

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/route.h"

#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#define HOP_MAX		300

enum edge_state {
	EDGE_UNKNOWN,
	EDGE_ACTIVE,
	EDGE_INACTIVE,
};

struct sip_edge {
	char		 domains[512];	/* local domains routed to it */
	char		 hop[HOP_MAX];	/* "sip:host:port;transport=tls", or
					   "no route for DOMAIN" */
	enum edge_state	 state;
	char		 reason[400];
	uint64_t	 since_ms;
	uint64_t	 ping_sent_ms;
	unsigned	 rtt_ms;
	int		 ping_status;
	uint64_t	 gen;		/* the build that last confirmed it */
	nta_leg_t	*leg;		/* for the pings */
	struct sip_out	*ping;
	struct sip_edge	*next;
};

static struct {
	struct sip_edge		*head;
	struct loop_timer	*timer;
	uint64_t		 gen;
	uint64_t		*lookups;	/* route ids of this build */
	size_t			 nlookups;
} E;

static const char *
edge_strstate(enum edge_state st)
{
	switch (st) {
	case EDGE_UNKNOWN:	return "Unknown";
	case EDGE_ACTIVE:	return "Active";
	case EDGE_INACTIVE:	return "Inactive";
	}
	return "?";
}

static void
edge_enter_state(struct sip_edge *e, enum edge_state st, const char *reason)
{
	int changed = e->state != st;

	snprintf(e->reason, sizeof(e->reason), "%s", reason ? reason : "");
	if (!changed)
		return;
	if (st == EDGE_INACTIVE)
		log_warnx(SIP_MOD, "edge %s: %s -> %s: %s", e->hop,
		    edge_strstate(e->state), edge_strstate(st), e->reason);
	else
		log_info(SIP_MOD, "edge %s: %s -> %s%s%s", e->hop,
		    edge_strstate(e->state), edge_strstate(st),
		    reason ? ": " : "", reason ? reason : "");
	e->state = st;
	e->since_ms = loop_now_ms();
}

static struct sip_edge *
edge_find(const char *hop)
{
	for (struct sip_edge *e = E.head; e; e = e->next)
		if (strcmp(e->hop, hop) == 0)
			return e;
	return NULL;
}

static void
edge_free(struct sip_edge *e)
{
	sip_out_cancel(e->ping);
	if (e->leg)
		nta_leg_destroy(e->leg);
	free(e);
}

/* ---- the ping ------------------------------------------------------- */

/* sip_out_fn for the ping: any answer from the edge proves it alive (the
 * health itself was updated by sip_out through sip_edge_report). */
static void
edge_ping_done(void *arg, int status, const char *phrase, const sip_t *sip,
    const char *hop)
{
	struct sip_edge *e = arg;

	e->ping = NULL;
	e->ping_status = status;
	e->rtt_ms = (unsigned)(loop_now_ms_fresh() - e->ping_sent_ms);
	log_debug(SIP_MOD, "edge %s: OPTIONS %d %s in %u ms", e->hop, status,
	    phrase ? phrase : "", e->rtt_ms);
}

static void
edge_ping(struct sip_edge *e)
{
	char from[CFG_HOST_MAX + 16], to[HOP_MAX + 2], *semi;
	url_t *ruri;
	su_home_t home[1] = { SU_HOME_INIT(home) };

	if (e->ping || strncmp(e->hop, "sip:", 4) != 0)
		return;			/* one at a time; nothing to ping */
	snprintf(to, sizeof(to), "<%s>", e->hop);
	if ((semi = strchr(to, ';')) != NULL)
		strcpy(semi, ">");
	if (e->leg == NULL) {
		snprintf(from, sizeof(from), "<sip:%s>", sip_hostname());
		e->leg = nta_leg_tcreate(sip_agent(), NULL, NULL,
		    SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to), TAG_END());
		if (e->leg == NULL)
			return;
		nta_leg_tag(e->leg, NULL);
	}
	if ((ruri = url_make(home, e->hop)) == NULL)
		return;
	e->ping_sent_ms = loop_now_ms_fresh();
	e->ping = sip_out_send(e->leg, e->hop, NULL, edge_ping_done, e,
	    SIP_METHOD_OPTIONS, ruri, SIPTAG_ACCEPT_STR("application/sdp"),
	    TAG_END());
	su_home_deinit(home);
}

static void
edge_tick(void *arg)
{
	for (struct sip_edge *e = E.head; e; e = e->next)
		edge_ping(e);
	loop_timer_set(E.timer, sip_cfg()->sip_keepalive_ms);
}

/* ---- building the list from the routing ---------------------------- */

/* The record for hop, made when new; confirmed for this build. */
static struct sip_edge *
edge_confirm(const char *hop, const char *domain, uint64_t gen)
{
	struct sip_edge *e = edge_find(hop);
	size_t n;

	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return NULL;
		snprintf(e->hop, sizeof(e->hop), "%s", hop);
		e->since_ms = loop_now_ms();
		e->next = E.head;
		E.head = e;
	}
	if (e->gen != gen)
		e->domains[0] = '\0';
	e->gen = gen;
	n = strlen(e->domains);
	snprintf(e->domains + n, sizeof(e->domains) - n, "%s%s", n ? "," : "",
	    domain);
	return e;
}

/* The last lookup of a build is back: forget what it did not confirm. */
static void
edge_sweep(uint64_t gen)
{
	struct sip_edge **pp = &E.head, *e;

	while ((e = *pp) != NULL) {
		if (e->gen != gen) {
			*pp = e->next;
			edge_free(e);
		} else {
			pp = &e->next;
		}
	}
}

static void
edge_lookup_done(uint64_t rid)
{
	for (size_t i = 0; i < E.nlookups; i++) {
		if (E.lookups[i] == rid) {
			E.lookups[i] = E.lookups[--E.nlookups];
			break;
		}
	}
	if (E.nlookups == 0)
		edge_sweep(E.gen);
}

/* route_cb; arg is the build's generation. */
static void
edge_routed(uint64_t rid, const struct route_result *res, void *arg)
{
	uint64_t gen = (uint64_t)(uintptr_t)arg;
	const struct route_candidate *c;
	char hop[HOP_MAX];
	struct sip_edge *e;

	if (gen != E.gen)
		return;
	if (res->status != ROUTE_OK || res->n == 0) {
		snprintf(hop, sizeof(hop), "no route for %s", res->domain);
		if ((e = edge_confirm(hop, res->domain, gen)) != NULL)
			edge_enter_state(e, EDGE_INACTIVE, res->error ? res->error :
			    route_status_name(res->status));
	} else {
		c = &res->c[0];
		snprintf(hop, sizeof(hop), "sip:%s%s%s:%u;transport=%s",
		    strchr(c->host, ':') ? "[" : "", c->host,
		    strchr(c->host, ':') ? "]" : "", c->port ? c->port : 5061,
		    c->flags & ROUTE_F_NO_TLS ? "tcp" : "tls");
		if ((e = edge_confirm(hop, res->domain, gen)) != NULL &&
		    e->state == EDGE_UNKNOWN)
			edge_ping(e);
	}
	edge_lookup_done(rid);
}

static void
edge_cancel_lookups(void)
{
	for (size_t i = 0; i < E.nlookups; i++)
		route_cancel(E.lookups[i]);
	E.nlookups = 0;
}

/* Look up the hop of every local SIP domain (a new build). */
static void
edge_build(void)
{
	const struct config *cfg = sip_cfg();
	uint64_t *v;
	size_t n = 0;

	edge_cancel_lookups();
	E.gen++;
	for (size_t i = 0; i < cfg->ndomains; i++)
		n += cfg->domains[i].kind == DOMAIN_LOCAL;
	if ((v = realloc(E.lookups, (n ? n : 1) * sizeof(*v))) == NULL)
		return;
	E.lookups = v;
	for (size_t i = 0; i < cfg->ndomains; i++) {
		if (cfg->domains[i].kind != DOMAIN_LOCAL)
			continue;
		E.lookups[E.nlookups++] = route_lookup(cfg->domains[i].name,
		    ROUTE_SIDE_SIP, 0, edge_routed, (void *)(uintptr_t)E.gen);
	}
	if (E.nlookups == 0)
		edge_sweep(E.gen);
}

/* ---- the interface -------------------------------------------------- */

int
sip_edge_start(void)
{
	if ((E.timer = loop_timer_new(edge_tick, NULL)) == NULL)
		return -1;
	edge_build();		/* the first pings go as the hops are known */
	loop_timer_set(E.timer, sip_cfg()->sip_keepalive_ms);
	return 0;
}

/* Keep the edges we know (and their state); the new ones are pinged as
 * their lookups come back. */
void
sip_edge_reload(void)
{
	if (E.timer == NULL)
		return;
	edge_build();
	loop_timer_set(E.timer, sip_cfg()->sip_keepalive_ms);
}

void
sip_edge_stop(void)
{
	struct sip_edge *e, *next;

	edge_cancel_lookups();
	free(E.lookups);
	E.lookups = NULL;
	for (e = E.head; e; e = next) {
		next = e->next;
		edge_free(e);
	}
	E.head = NULL;
	loop_timer_free(E.timer);
	E.timer = NULL;
}

void
sip_edge_report(const char *hop, int ok, const char *reason)
{
	struct sip_edge *e = hop && *hop ? edge_find(hop) : NULL;

	if (e == NULL)
		return;
	if (ok)
		edge_enter_state(e, EDGE_ACTIVE, NULL);
	else
		edge_enter_state(e, EDGE_INACTIVE, reason);
}

void
sip_edge_status(FILE *out)
{
	uint64_t now = loop_now_ms();

	for (const struct sip_edge *e = E.head; e; e = e->next) {
		fprintf(out, "sip: edge %s for %s: %s for %llus", e->hop,
		    e->domains, edge_strstate(e->state),
		    (unsigned long long)((now - e->since_ms) / 1000));
		if (e->state == EDGE_INACTIVE)
			fprintf(out, ": %s\n", e->reason);
		else if (e->state == EDGE_ACTIVE && e->ping_status)
			fprintf(out, " (OPTIONS %d in %u ms)\n", e->ping_status,
			    e->rtt_ms);
		else
			fprintf(out, "\n");
	}
}

int
sip_edge_all_active(char *why, size_t len)
{
	if (E.nlookups) {
		snprintf(why, len, "looking up the edges of the local domains");
		return 0;
	}
	for (const struct sip_edge *e = E.head; e; e = e->next) {
		if (e->state == EDGE_ACTIVE)
			continue;
		snprintf(why, len, "edge %s %s%s%s", e->hop,
		    e->state == EDGE_UNKNOWN ? "not checked yet" : "inactive",
		    e->reason[0] ? ": " : "", e->reason);
		return 0;
	}
	return 1;
}
