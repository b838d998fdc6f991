/*
 * sip_echo: see sip_echo.h. Tests only: it is installed only when the
 * environment variable FG_TEST_SIP_ECHO is set when the service starts,
 * and says so in the log.
 */
#include "config.h"

#include "sip/sip_core.h"
#include "sip/sip_echo.h"

#include "core/log.h"

#include <stdlib.h>
#include <string.h>

/* An edge subscription and the one we made back for it. */
struct echo_pair {
	uint64_t	 edge_sub;	/* the edge's user watches "remote" */
	uint64_t	 back_sub;	/* "remote" watches the edge's user */
	struct echo_pair *next;
};

static struct {
	int		 on;
	int		 silent;	/* FG_TEST_SIP_ECHO=silent: never answer */
	struct echo_pair *pairs;
} X;

static void
echo_done(uint64_t cookie, const struct xl_err *err, void *arg)
{
	if (err)
		log_info(SIP_MOD, "echo: message %llu back to the edge failed: "
		    "%d %s", (unsigned long long)cookie, err->sip_code,
		    err->text ? err->text : "");
	else
		log_info(SIP_MOD, "echo: message %llu back to the edge delivered",
		    (unsigned long long)cookie);
}

static void
echo_message(uint64_t txid, const struct xl_msg *m, void *arg)
{
	struct xl_msg back = *m;

	if (X.silent) {		/* let [sip] answer_timeout answer it */
		log_info(SIP_MOD, "echo: message txid=%llu left unanswered",
		    (unsigned long long)txid);
		return;
	}
	sip_answer(txid, NULL);
	back.from = m->to;
	back.to = m->from;
	if (sip_send_message(&back, txid, echo_done, NULL) != 0)
		log_info(SIP_MOD, "echo: cannot send message %llu back",
		    (unsigned long long)txid);
}

static struct echo_pair *
pair_find(uint64_t edge_sub, uint64_t back_sub)
{
	for (struct echo_pair *p = X.pairs; p; p = p->next)
		if ((edge_sub && p->edge_sub == edge_sub) ||
		    (back_sub && p->back_sub == back_sub))
			return p;
	return NULL;
}

static void
pair_drop(struct echo_pair *p)
{
	for (struct echo_pair **pp = &X.pairs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			free(p);
			return;
		}
	}
}

/* Accept, tell "online", and subscribe back as the remote user would. */
static void
echo_subscribe(uint64_t subid, const struct xl_sub *s, unsigned expires,
    void *arg)
{
	struct echo_pair *p = pair_find(subid, 0);
	struct xl_sub back = { .from = s->to, .to = s->from };
	struct xl_pres online = { .from = s->to, .to = s->from,
	    .show = XL_SHOW_AVAILABLE, .status = "echo", .lync_availability = -1 };

	if (s->type == XL_SUB_UNSUBSCRIBE) {
		if (p) {
			back.type = XL_SUB_UNSUBSCRIBE;
			sip_subscribe(&back, NULL);
			pair_drop(p);
		}
		return;
	}
	if (p)
		return;			/* a refresh */
	sip_notify(subid, &online);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return;
	p->edge_sub = subid;
	back.type = XL_SUB_SUBSCRIBE;
	if (sip_subscribe(&back, &p->back_sub) != 0)
		p->back_sub = 0;
	p->next = X.pairs;
	X.pairs = p;
}

/* The edge's user's presence, mirrored as the remote user's. */
static void
echo_presence(uint64_t subid, const struct xl_pres *pres, void *arg)
{
	struct echo_pair *p = pair_find(0, subid);
	struct xl_pres mirror = *pres;

	if (p == NULL)
		return;
	mirror.from = pres->to;
	mirror.to = pres->from;
	log_info(SIP_MOD, "echo: presence of %s@%s mirrored to subscription %llu",
	    pres->from.user, pres->from.domain,
	    (unsigned long long)p->edge_sub);
	sip_notify(p->edge_sub, &mirror);
}

static void
echo_chat_state(const struct xl_msg *m, void *arg)
{
	struct xl_msg back = *m;

	back.from = m->to;
	back.to = m->from;
	log_info(SIP_MOD, "echo: chat state %d from %s@%s", m->chat_state,
	    m->from.user, m->from.domain);
	if (m->chat_state != XL_CS_GONE)
		sip_send_chat_state(&back);
}

int
sip_echo_start(void)
{
	static const struct sip_events ev = {
		.message = echo_message,
		.subscribe = echo_subscribe,
		.presence = echo_presence,
		.chat_state = echo_chat_state,
	};
	const char *e = getenv("FG_TEST_SIP_ECHO");

#ifndef FG_TEST_ECHO
	return 0;	/* built with --disable-test-echo */
#endif
	if (e == NULL || *e == '\0')
		return 0;
	sip_set_events(&ev);
	sip_events_lock();
	X.on = 1;
	X.silent = strcmp(e, "silent") == 0;
	return 1;
}

void
sip_echo_stop(void)
{
	while (X.pairs)
		pair_drop(X.pairs);
	X.on = 0;
}
