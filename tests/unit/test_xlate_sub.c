/*
 * Unit tests of xlate/sub: the RFC 6121 subscription state machine driving
 * SUBSCRIBE/NOTIFY <-> presence subscription stanzas. One TAP line per
 * transition row, plus scenarios and whole-table properties.
 */
#include "tests/unit/xl_cases.h"

#include "xlate/sub.h"

#define S(x)	XL_SS_##x
#define E(x)	XL_SE_##x
#define A(x)	XL_SA_##x

static const struct {
	enum xl_sub_state	 from;
	enum xl_sub_event	 ev;
	enum xl_sub_state	 to;
	unsigned		 actions;
} rows[] = {
	/* none */
	{ S(NONE), E(SIP_SUBSCRIBE), S(NONE_PENDING_OUT),
	  A(XMPP_SUBSCRIBE) | A(SIP_NOTIFY_PENDING) },
	{ S(NONE), E(SIP_UNSUBSCRIBE), S(NONE), A(SIP_NOTIFY_TERMINATED) },
	{ S(NONE), E(SIP_ACTIVE), S(NONE), 0 },
	{ S(NONE), E(SIP_PENDING), S(NONE), 0 },
	{ S(NONE), E(SIP_TERMINATED), S(NONE), 0 },
	{ S(NONE), E(XMPP_SUBSCRIBE), S(NONE_PENDING_IN), A(SIP_SUBSCRIBE) },
	{ S(NONE), E(XMPP_SUBSCRIBED), S(NONE), 0 },
	{ S(NONE), E(XMPP_UNSUBSCRIBE), S(NONE), 0 },
	{ S(NONE), E(XMPP_UNSUBSCRIBED), S(NONE), 0 },
	{ S(NONE), E(XMPP_PROBE), S(NONE), A(XMPP_UNSUBSCRIBED) },
	/* none + pending out */
	{ S(NONE_PENDING_OUT), E(SIP_SUBSCRIBE), S(NONE_PENDING_OUT),
	  A(SIP_NOTIFY_PENDING) },
	{ S(NONE_PENDING_OUT), E(SIP_UNSUBSCRIBE), S(NONE),
	  A(XMPP_UNSUBSCRIBE) | A(SIP_NOTIFY_TERMINATED) },
	{ S(NONE_PENDING_OUT), E(XMPP_SUBSCRIBED), S(TO), A(SIP_NOTIFY_ACTIVE) },
	{ S(NONE_PENDING_OUT), E(XMPP_UNSUBSCRIBED), S(NONE),
	  A(SIP_NOTIFY_TERMINATED) },
	{ S(NONE_PENDING_OUT), E(XMPP_SUBSCRIBE), S(NONE_PENDING_OUT_IN),
	  A(SIP_SUBSCRIBE) },
	{ S(NONE_PENDING_OUT), E(XMPP_UNSUBSCRIBE), S(NONE_PENDING_OUT), 0 },
	{ S(NONE_PENDING_OUT), E(XMPP_PROBE), S(NONE_PENDING_OUT),
	  A(XMPP_UNSUBSCRIBED) },
	/* none + pending in */
	{ S(NONE_PENDING_IN), E(SIP_ACTIVE), S(FROM), A(XMPP_SUBSCRIBED) },
	{ S(NONE_PENDING_IN), E(SIP_PENDING), S(NONE_PENDING_IN), 0 },
	{ S(NONE_PENDING_IN), E(SIP_TERMINATED), S(NONE), A(XMPP_UNSUBSCRIBED) },
	{ S(NONE_PENDING_IN), E(XMPP_SUBSCRIBE), S(NONE_PENDING_IN), 0 },
	{ S(NONE_PENDING_IN), E(XMPP_UNSUBSCRIBE), S(NONE), A(SIP_UNSUBSCRIBE) },
	{ S(NONE_PENDING_IN), E(SIP_SUBSCRIBE), S(NONE_PENDING_OUT_IN),
	  A(XMPP_SUBSCRIBE) | A(SIP_NOTIFY_PENDING) },
	{ S(NONE_PENDING_IN), E(XMPP_PROBE), S(NONE_PENDING_IN),
	  A(XMPP_UNSUBSCRIBED) },
	/* none + pending both ways */
	{ S(NONE_PENDING_OUT_IN), E(XMPP_SUBSCRIBED), S(TO_PENDING_IN),
	  A(SIP_NOTIFY_ACTIVE) },
	{ S(NONE_PENDING_OUT_IN), E(SIP_ACTIVE), S(FROM_PENDING_OUT),
	  A(XMPP_SUBSCRIBED) },
	{ S(NONE_PENDING_OUT_IN), E(SIP_UNSUBSCRIBE), S(NONE_PENDING_IN),
	  A(XMPP_UNSUBSCRIBE) | A(SIP_NOTIFY_TERMINATED) },
	{ S(NONE_PENDING_OUT_IN), E(XMPP_UNSUBSCRIBE), S(NONE_PENDING_OUT),
	  A(SIP_UNSUBSCRIBE) },
	/* to */
	{ S(TO), E(SIP_SUBSCRIBE), S(TO), A(SIP_NOTIFY_ACTIVE) | A(XMPP_PROBE) },
	{ S(TO), E(SIP_UNSUBSCRIBE), S(NONE),
	  A(XMPP_UNSUBSCRIBE) | A(SIP_NOTIFY_TERMINATED) },
	{ S(TO), E(XMPP_UNSUBSCRIBED), S(NONE), A(SIP_NOTIFY_TERMINATED) },
	{ S(TO), E(XMPP_SUBSCRIBE), S(TO_PENDING_IN), A(SIP_SUBSCRIBE) },
	{ S(TO), E(XMPP_SUBSCRIBED), S(TO), 0 },
	{ S(TO), E(XMPP_PROBE), S(TO), A(XMPP_UNSUBSCRIBED) },
	{ S(TO), E(SIP_TERMINATED), S(TO), 0 },
	/* to + pending in */
	{ S(TO_PENDING_IN), E(SIP_ACTIVE), S(BOTH), A(XMPP_SUBSCRIBED) },
	{ S(TO_PENDING_IN), E(SIP_TERMINATED), S(TO), A(XMPP_UNSUBSCRIBED) },
	{ S(TO_PENDING_IN), E(XMPP_UNSUBSCRIBED), S(NONE_PENDING_IN),
	  A(SIP_NOTIFY_TERMINATED) },
	/* from */
	{ S(FROM), E(XMPP_SUBSCRIBE), S(FROM), A(XMPP_SUBSCRIBED) },
	{ S(FROM), E(XMPP_PROBE), S(FROM), A(XMPP_SEND_PRESENCE) },
	{ S(FROM), E(XMPP_UNSUBSCRIBE), S(NONE), A(SIP_UNSUBSCRIBE) },
	{ S(FROM), E(SIP_TERMINATED), S(NONE), A(XMPP_UNSUBSCRIBED) },
	{ S(FROM), E(SIP_ACTIVE), S(FROM), 0 },
	{ S(FROM), E(SIP_SUBSCRIBE), S(FROM_PENDING_OUT),
	  A(XMPP_SUBSCRIBE) | A(SIP_NOTIFY_PENDING) },
	{ S(FROM), E(XMPP_UNSUBSCRIBED), S(FROM), 0 },
	/* from + pending out */
	{ S(FROM_PENDING_OUT), E(XMPP_SUBSCRIBED), S(BOTH), A(SIP_NOTIFY_ACTIVE) },
	{ S(FROM_PENDING_OUT), E(XMPP_UNSUBSCRIBED), S(FROM),
	  A(SIP_NOTIFY_TERMINATED) },
	{ S(FROM_PENDING_OUT), E(SIP_UNSUBSCRIBE), S(FROM),
	  A(XMPP_UNSUBSCRIBE) | A(SIP_NOTIFY_TERMINATED) },
	{ S(FROM_PENDING_OUT), E(XMPP_PROBE), S(FROM_PENDING_OUT),
	  A(XMPP_SEND_PRESENCE) },
	/* both */
	{ S(BOTH), E(SIP_UNSUBSCRIBE), S(FROM),
	  A(XMPP_UNSUBSCRIBE) | A(SIP_NOTIFY_TERMINATED) },
	{ S(BOTH), E(XMPP_UNSUBSCRIBE), S(TO), A(SIP_UNSUBSCRIBE) },
	{ S(BOTH), E(XMPP_UNSUBSCRIBED), S(FROM), A(SIP_NOTIFY_TERMINATED) },
	{ S(BOTH), E(SIP_TERMINATED), S(TO), A(XMPP_UNSUBSCRIBED) },
	{ S(BOTH), E(XMPP_PROBE), S(BOTH), A(XMPP_SEND_PRESENCE) },
	{ S(BOTH), E(SIP_SUBSCRIBE), S(BOTH), A(SIP_NOTIFY_ACTIVE) | A(XMPP_PROBE) },
	{ S(BOTH), E(XMPP_SUBSCRIBE), S(BOTH), A(XMPP_SUBSCRIBED) },
	{ S(BOTH), E(XMPP_SUBSCRIBED), S(BOTH), 0 },
	{ S(BOTH), E(SIP_ACTIVE), S(BOTH), 0 },
};

static void
test_row(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	unsigned a = 0xFFFF;
	char got[256], want[256];

	assert_int_equal(xl_sub_fsm(rows[i].from, rows[i].ev, &a), rows[i].to);
	xl_sub_actions_format(a, got, sizeof(got));
	xl_sub_actions_format(rows[i].actions, want, sizeof(want));
	assert_string_equal(got, want);
}

/* Every (state, event): the same event again changes nothing more. */
static void
test_idempotent(void **state)
{
	for (int s = XL_SS_NONE; s <= XL_SS_BOTH; s++)
		for (int e = XL_SE_SIP_SUBSCRIBE; e <= XL_SE_XMPP_PROBE; e++) {
			enum xl_sub_state once = xl_sub_fsm(s, e, NULL);

			assert_int_equal(xl_sub_fsm(once, e, NULL), once);
		}
}

/* Every (state, event): ending events leave no subscription behind. */
static void
test_endings(void **state)
{
	for (int s = XL_SS_NONE; s <= XL_SS_BOTH; s++) {
		assert_false(xl_sub_has_to(xl_sub_fsm(s, XL_SE_SIP_UNSUBSCRIBE,
		    NULL)));
		assert_false(xl_sub_has_to(xl_sub_fsm(s, XL_SE_XMPP_UNSUBSCRIBED,
		    NULL)));
		assert_false(xl_sub_has_from(xl_sub_fsm(s, XL_SE_XMPP_UNSUBSCRIBE,
		    NULL)));
		assert_false(xl_sub_has_from(xl_sub_fsm(s, XL_SE_SIP_TERMINATED,
		    NULL)));
		/* and the other direction is untouched by them */
		assert_int_equal(xl_sub_has_from(xl_sub_fsm(s,
		    XL_SE_SIP_UNSUBSCRIBE, NULL)), xl_sub_has_from(s));
		assert_int_equal(xl_sub_has_to(xl_sub_fsm(s,
		    XL_SE_XMPP_UNSUBSCRIBE, NULL)), xl_sub_has_to(s));
	}
}

/* A scenario: events in order, with the state after each. */
struct step {
	enum xl_sub_event	 ev;
	enum xl_sub_state	 want;
	unsigned		 actions;
};

static const struct step mutual[] = {
	{ E(SIP_SUBSCRIBE), S(NONE_PENDING_OUT),
	  A(XMPP_SUBSCRIBE) | A(SIP_NOTIFY_PENDING) },
	{ E(XMPP_SUBSCRIBED), S(TO), A(SIP_NOTIFY_ACTIVE) },
	{ E(XMPP_SUBSCRIBE), S(TO_PENDING_IN), A(SIP_SUBSCRIBE) },
	{ E(SIP_PENDING), S(TO_PENDING_IN), 0 },
	{ E(SIP_ACTIVE), S(BOTH), A(XMPP_SUBSCRIBED) },
	{ E(SIP_SUBSCRIBE), S(BOTH), A(SIP_NOTIFY_ACTIVE) | A(XMPP_PROBE) },
	{ E(XMPP_UNSUBSCRIBE), S(TO), A(SIP_UNSUBSCRIBE) },
	{ E(SIP_UNSUBSCRIBE), S(NONE),
	  A(XMPP_UNSUBSCRIBE) | A(SIP_NOTIFY_TERMINATED) },
	{ (enum xl_sub_event)-1 },
};

static const struct step refused[] = {
	{ E(XMPP_SUBSCRIBE), S(NONE_PENDING_IN), A(SIP_SUBSCRIBE) },
	{ E(XMPP_SUBSCRIBE), S(NONE_PENDING_IN), 0 },
	{ E(SIP_TERMINATED), S(NONE), A(XMPP_UNSUBSCRIBED) },
	{ E(XMPP_PROBE), S(NONE), A(XMPP_UNSUBSCRIBED) },
	{ (enum xl_sub_event)-1 },
};

static const struct step remote_cancels[] = {
	{ E(SIP_SUBSCRIBE), S(NONE_PENDING_OUT),
	  A(XMPP_SUBSCRIBE) | A(SIP_NOTIFY_PENDING) },
	{ E(XMPP_SUBSCRIBED), S(TO), A(SIP_NOTIFY_ACTIVE) },
	{ E(XMPP_UNSUBSCRIBED), S(NONE), A(SIP_NOTIFY_TERMINATED) },
	{ E(XMPP_SUBSCRIBED), S(NONE), 0 },
	{ (enum xl_sub_event)-1 },
};

static void
test_scenario(void **state)
{
	const struct step *s = *state;
	enum xl_sub_state st = XL_SS_NONE;

	for (; (int)s->ev >= 0; s++) {
		unsigned a;

		st = xl_sub_fsm(st, s->ev, &a);
		assert_int_equal(st, s->want);
		assert_int_equal(a, s->actions);
	}
}

static void
test_names(void **state)
{
	char buf[128];

	assert_string_equal(xl_sub_state_name(XL_SS_TO_PENDING_IN),
	    "to+pending-in");
	assert_string_equal(xl_sub_state_name((enum xl_sub_state)42), "invalid");
	assert_string_equal(xl_sub_event_name(XL_SE_XMPP_PROBE), "xmpp-probe");
	assert_int_equal(xl_sub_actions_format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "none");
	assert_int_equal(xl_sub_actions_format(A(XMPP_SUBSCRIBED) |
	    A(SIP_NOTIFY_ACTIVE), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "xmpp-subscribed|sip-notify-active");
	assert_int_equal(xl_sub_actions_format(0x7FF, buf, 16), XL_E_TRUNC);
}

static const struct {
	enum xl_sub_type	 type;
	enum xl_sub_event	 ev;
} xmpp_rows[] = {
	{ XL_SUB_SUBSCRIBE, E(XMPP_SUBSCRIBE) },
	{ XL_SUB_SUBSCRIBED, E(XMPP_SUBSCRIBED) },
	{ XL_SUB_UNSUBSCRIBE, E(XMPP_UNSUBSCRIBE) },
	{ XL_SUB_UNSUBSCRIBED, E(XMPP_UNSUBSCRIBED) },
	{ XL_SUB_PROBE, E(XMPP_PROBE) },
};

static void
test_xmpp_event(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;

	assert_int_equal(xl_sub_event_from_xmpp(xmpp_rows[i].type),
	    xmpp_rows[i].ev);
}

int
main(void)
{
	for (size_t i = 0; i < XL_NELEM(rows); i++)
		xl_case(test_row, (void *)(uintptr_t)i, "sub %s + %s -> %s",
		    xl_sub_state_name(rows[i].from), xl_sub_event_name(rows[i].ev),
		    xl_sub_state_name(rows[i].to));
	xl_case(test_idempotent, NULL, "sub: every event is idempotent (90 pairs)");
	xl_case(test_endings, NULL, "sub: ending events end only their direction");
	xl_case(test_scenario, (void *)mutual, "sub scenario: mutual, then ended");
	xl_case(test_scenario, (void *)refused, "sub scenario: local user refuses");
	xl_case(test_scenario, (void *)remote_cancels,
	    "sub scenario: remote cancels, late subscribed ignored");
	xl_case(test_names, NULL, "sub: state, event and action names");
	for (size_t i = 0; i < XL_NELEM(xmpp_rows); i++)
		xl_case(test_xmpp_event, (void *)(uintptr_t)i, "sub: stanza %d -> %s",
		    (int)xmpp_rows[i].type, xl_sub_event_name(xmpp_rows[i].ev));
	return xl_cases_run("xlate subscriptions");
}
