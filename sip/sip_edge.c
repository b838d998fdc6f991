/*
 * sip_edge: see sip_edge.h. One record per distinct next hop of the local
 * SIP domains. Besides the OPTIONS ping, Sofia sends a CRLF keepalive on
 * idle connections every [sip] keepalive (TPTAG_KEEPALIVE, set in sip.c).
 */
#include "config.h"

#include "sip/sip_core.h"
#include "sip/sip_edge.h"
#include "sip/sip_out.h"

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"

#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

enum edge_state {
	EDGE_UNKNOWN,
	EDGE_ACTIVE,
	EDGE_INACTIVE,
};

struct sip_edge {
	char		 domains[512];	/* local domains routed to it */
	char		 hop[300];
	enum edge_state	 state;
	char		 reason[400];
	uint64_t	 since_ms;
	uint64_t	 ping_sent_ms;
	unsigned	 rtt_ms;
	int		 ping_status;
	nta_leg_t	*leg;		/* for the pings */
	struct sip_out	*ping;
	struct sip_edge	*next;
};

static struct {
	struct sip_edge		*head;
	struct loop_timer	*timer;
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
	char from[CFG_HOST_MAX + 16], to[320], *semi;
	url_t *ruri;
	su_home_t home[1] = { SU_HOME_INIT(home) };

	if (e->ping)
		return;			/* the last one is still out */
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

/* The hops of the config in force, keeping what we know of known ones. */
static void
edge_build(void)
{
	const struct config *cfg = sip_cfg();
	struct sip_edge *old = E.head, *e, *next;
	char hop[300], why[300];

	E.head = NULL;
	for (size_t i = 0; i < cfg->ndomains; i++) {
		const struct cfg_domain *d = &cfg->domains[i];
		if (d->kind != DOMAIN_LOCAL ||
		    sip_route_hop(d->name, hop, sizeof(hop), why, sizeof(why)) != 0)
			continue;
		if ((e = edge_find(hop)) == NULL) {
			struct sip_edge **pp;
			for (pp = &old; *pp && strcmp((*pp)->hop, hop); pp = &(*pp)->next)
				;
			if ((e = *pp) != NULL) {
				*pp = e->next;		/* known: keep its state */
				e->domains[0] = '\0';
			} else if ((e = calloc(1, sizeof(*e))) == NULL) {
				continue;
			} else {
				snprintf(e->hop, sizeof(e->hop), "%s", hop);
				e->since_ms = loop_now_ms();
			}
			e->next = E.head;
			E.head = e;
		}
		size_t n = strlen(e->domains);
		snprintf(e->domains + n, sizeof(e->domains) - n, "%s%s",
		    n ? "," : "", d->name);
	}
	for (e = old; e; e = next) {
		next = e->next;
		edge_free(e);
	}
}

int
sip_edge_start(void)
{
	edge_build();
	if ((E.timer = loop_timer_new(edge_tick, NULL)) == NULL)
		return -1;
	edge_tick(NULL);
	return 0;
}

/* Keep the edges we know (and their state); check the new ones now. */
void
sip_edge_reload(void)
{
	edge_build();
	if (E.timer == NULL)
		return;
	for (struct sip_edge *e = E.head; e; e = e->next)
		if (e->state == EDGE_UNKNOWN)
			edge_ping(e);
	loop_timer_set(E.timer, sip_cfg()->sip_keepalive_ms);
}

void
sip_edge_stop(void)
{
	struct sip_edge *e, *next;

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
	struct sip_edge *e = hop ? edge_find(hop) : NULL;

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
