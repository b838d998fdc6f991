/*
 * echo: see echo.h. Test-only; logs loudly when it is on.
 */
#include "config.h"
#include "xmpp/echo.h"
#include "xmpp/xmpp.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD		"xmpp"
#define ECHO_PREFIX	"echo: "

static int echo_on;

int
echo_init(void)
{
#ifdef FG_TEST_ECHO
	echo_on = getenv("FG_TEST_XMPP_ECHO") != NULL;
#else
	echo_on = 0;	/* built with --disable-test-echo */
#endif
	if (echo_on)
		log_warnx(LOG_MOD, "FG_TEST_XMPP_ECHO is set: messages to local "
		    "users are echoed back (test only)");
	return echo_on;
}

int
echo_enabled(void)
{
	return echo_on;
}

void
echo_message(const struct xl_msg *m)
{
	struct xl_msg *r;
	char *body;

	if (m->body == NULL)
		return;		/* chat states alone are not echoed */
	r = malloc(sizeof(*r));
	body = malloc(sizeof(ECHO_PREFIX) + m->body_len);
	if (r == NULL || body == NULL) {
		free(r);
		free(body);
		return;
	}
	*r = *m;
	r->from = m->to;
	r->to = m->from;
	memcpy(body, ECHO_PREFIX, sizeof(ECHO_PREFIX) - 1);
	memcpy(body + sizeof(ECHO_PREFIX) - 1, m->body, m->body_len);
	body[sizeof(ECHO_PREFIX) - 1 + m->body_len] = '\0';
	r->body = body;
	r->body_len = sizeof(ECHO_PREFIX) - 1 + m->body_len;
	r->html = NULL;
	r->html_len = 0;
	if (xmpp_send_message(r, 0, NULL, NULL) != 0)
		log_warnx(LOG_MOD, "echo: cannot answer from=%s to=%s",
		    r->from.domain, r->to.domain);
	free(body);
	free(r);
}

void
echo_subscription(const struct xl_sub *s)
{
	struct xl_sub r;

	if (s->type != XL_SUB_SUBSCRIBE)
		return;
	r = *s;
	r.from = s->to;
	r.to = s->from;
	r.type = XL_SUB_SUBSCRIBED;
	if (xmpp_send_subscription(&r, 0, NULL, NULL) != 0)
		log_warnx(LOG_MOD, "echo: cannot approve from=%s to=%s",
		    r.from.domain, r.to.domain);
}
