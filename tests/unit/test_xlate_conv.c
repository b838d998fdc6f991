/*
 * Unit tests of xlate/conv: the Lync conversation state machine (every
 * state x event), the conversation object with its idle deadline, and the
 * page-mode / conversation choice.
 */
#include "tests/unit/xl_cases.h"

#include "core/config.h"
#include "xlate/addr.h"
#include "xlate/conv.h"

#define C(x)	XL_CONV_##x
#define E(x)	XL_CE_##x
#define A(x)	XL_CA_##x

static const struct {
	enum xl_conv_state	 from;
	enum xl_conv_event	 ev;
	enum xl_conv_state	 to;
	unsigned		 actions;
} rows[] = {
	{ C(NONE), E(XMPP_MESSAGE), C(INVITING), A(SEND_INVITE) },
	{ C(NONE), E(XMPP_GONE), C(NONE), 0 },
	{ C(NONE), E(SIP_INVITE), C(ACTIVE), A(ACCEPT_INVITE) | A(DELIVER) },
	{ C(NONE), E(SIP_INVITE_OK), C(NONE), 0 },
	{ C(NONE), E(SIP_INVITE_FAILED), C(NONE), 0 },
	{ C(NONE), E(SIP_MESSAGE), C(NONE), A(REFUSE) },
	{ C(NONE), E(SIP_BYE), C(NONE), A(REFUSE) },
	{ C(NONE), E(IDLE_TIMEOUT), C(NONE), 0 },
	{ C(INVITING), E(XMPP_MESSAGE), C(INVITING), A(QUEUE) },
	{ C(INVITING), E(XMPP_GONE), C(INVITING), 0 },
	{ C(INVITING), E(SIP_INVITE), C(ACTIVE),
	  A(ACCEPT_INVITE) | A(DELIVER) | A(FLUSH_QUEUE) },
	{ C(INVITING), E(SIP_INVITE_OK), C(ACTIVE), A(FLUSH_QUEUE) },
	{ C(INVITING), E(SIP_INVITE_FAILED), C(CLOSED),
	  A(FAIL_QUEUE) | A(FORGET) },
	{ C(INVITING), E(SIP_MESSAGE), C(INVITING), A(REFUSE) },
	{ C(INVITING), E(SIP_BYE), C(INVITING), A(REFUSE) },
	{ C(INVITING), E(IDLE_TIMEOUT), C(INVITING), 0 },
	{ C(ACTIVE), E(XMPP_MESSAGE), C(ACTIVE), A(SEND_MESSAGE) },
	{ C(ACTIVE), E(XMPP_GONE), C(CLOSED), A(SEND_BYE) | A(FORGET) },
	{ C(ACTIVE), E(SIP_INVITE), C(ACTIVE), A(ACCEPT_INVITE) | A(DELIVER) },
	{ C(ACTIVE), E(SIP_INVITE_OK), C(ACTIVE), 0 },
	{ C(ACTIVE), E(SIP_INVITE_FAILED), C(ACTIVE), 0 },
	{ C(ACTIVE), E(SIP_MESSAGE), C(ACTIVE), A(DELIVER) },
	{ C(ACTIVE), E(SIP_BYE), C(CLOSED), A(ANSWER_BYE) | A(FORGET) },
	{ C(ACTIVE), E(IDLE_TIMEOUT), C(CLOSED), A(SEND_BYE) | A(FORGET) },
	{ C(CLOSED), E(XMPP_MESSAGE), C(INVITING), A(SEND_INVITE) },
	{ C(CLOSED), E(XMPP_GONE), C(CLOSED), 0 },
	{ C(CLOSED), E(SIP_INVITE), C(ACTIVE), A(ACCEPT_INVITE) | A(DELIVER) },
	{ C(CLOSED), E(SIP_INVITE_OK), C(CLOSED), 0 },
	{ C(CLOSED), E(SIP_INVITE_FAILED), C(CLOSED), 0 },
	{ C(CLOSED), E(SIP_MESSAGE), C(CLOSED), A(REFUSE) },
	{ C(CLOSED), E(SIP_BYE), C(CLOSED), A(REFUSE) },
	{ C(CLOSED), E(IDLE_TIMEOUT), C(CLOSED), 0 },
};

static void
test_row(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	unsigned a = 0xFFFF;

	assert_int_equal(xl_conv_fsm(rows[i].from, rows[i].ev, &a), rows[i].to);
	assert_int_equal(a, rows[i].actions);
}

static void
make_conv(struct xl_conv **c)
{
	struct xl_addr local, remote;

	assert_int_equal(xl_addr_set(&local, "alice", "contoso.com", NULL), 0);
	assert_int_equal(xl_addr_set(&remote, "bob", "example.net", "phone"), 0);
	*c = xl_conv_new(&local, &remote, "conv-1");
	assert_non_null(*c);
}

/* XMPP opens: INVITE, one message held, 200, the rest in the dialog, idle. */
static void
test_outbound_conversation(void **state)
{
	struct xl_conv *c;

	make_conv(&c);
	assert_string_equal(xl_conv_thread(c), "conv-1");
	assert_string_equal(xl_conv_local(c)->user, "alice");
	assert_string_equal(xl_conv_remote(c)->resource, "phone");
	assert_int_equal(xl_conv_event(c, E(XMPP_MESSAGE), 1000), A(SEND_INVITE));
	assert_int_equal(xl_conv_event(c, E(XMPP_MESSAGE), 1100), A(QUEUE));
	assert_int_equal(xl_conv_event(c, E(SIP_INVITE_OK), 1200),
	    A(FLUSH_QUEUE));
	assert_int_equal(xl_conv_state(c), C(ACTIVE));
	assert_int_equal(xl_conv_event(c, E(SIP_MESSAGE), 5000), A(DELIVER));
	assert_int_equal(xl_conv_idle_deadline(c, 600000), 605000);
	assert_int_equal(xl_conv_event(c, E(IDLE_TIMEOUT), 605000),
	    A(SEND_BYE) | A(FORGET));
	assert_int_equal(xl_conv_idle_deadline(c, 600000), 605000);
	assert_int_equal(xl_conv_state(c), C(CLOSED));
	xl_conv_free(c);
}

/* The edge opens: accept, deliver the first message, BYE ends it. */
static void
test_inbound_conversation(void **state)
{
	struct xl_conv *c;

	make_conv(&c);
	assert_int_equal(xl_conv_event(c, E(SIP_INVITE), 10),
	    A(ACCEPT_INVITE) | A(DELIVER));
	assert_int_equal(xl_conv_event(c, E(XMPP_MESSAGE), 20), A(SEND_MESSAGE));
	assert_int_equal(xl_conv_event(c, E(SIP_BYE), 30),
	    A(ANSWER_BYE) | A(FORGET));
	assert_int_equal(xl_conv_event(c, E(SIP_MESSAGE), 40), A(REFUSE));
	xl_conv_free(c);
}

static void
test_failed_invite(void **state)
{
	struct xl_conv *c;

	make_conv(&c);
	xl_conv_event(c, E(XMPP_MESSAGE), 1);
	xl_conv_event(c, E(XMPP_MESSAGE), 2);
	assert_int_equal(xl_conv_event(c, E(SIP_INVITE_FAILED), 3),
	    A(FAIL_QUEUE) | A(FORGET));
	assert_int_equal(xl_conv_state(c), C(CLOSED));
	xl_conv_free(c);
}

static void
test_mode(void **state)
{
	assert_int_equal(xl_im_mode_for(EDGE_DIALECT_LYNC), XL_IM_CONVERSATION);
	assert_int_equal(xl_im_mode_for(EDGE_DIALECT_STANDARD), XL_IM_PAGE);
}

static void
test_key(void **state)
{
	struct xl_addr l, r;
	char key[256];

	assert_int_equal(xl_addr_set(&l, "alice", "contoso.com", "desk"), 0);
	assert_int_equal(xl_addr_set(&r, "d'artagnan", "example.net", "x"), 0);
	assert_int_equal(xl_conv_key(&l, &r, key, sizeof(key)), 0);
	assert_string_equal(key, "alice@contoso.com d\\27artagnan@example.net");
	assert_int_equal(xl_conv_key(&l, &r, key, 10), XL_E_TRUNC);
	assert_string_equal(xl_conv_state_name(C(INVITING)), "inviting");
	assert_string_equal(xl_conv_event_name(E(SIP_BYE)), "sip-bye");
}

int
main(void)
{
	for (size_t i = 0; i < XL_NELEM(rows); i++)
		xl_case(test_row, (void *)(uintptr_t)i, "conversation %s + %s -> %s",
		    xl_conv_state_name(rows[i].from),
		    xl_conv_event_name(rows[i].ev), xl_conv_state_name(rows[i].to));
	xl_case(test_outbound_conversation, NULL,
	    "conversation from XMPP: INVITE, queue, 200, idle BYE");
	xl_case(test_inbound_conversation, NULL,
	    "conversation from the edge: INVITE, messages, BYE");
	xl_case(test_failed_invite, NULL, "failed INVITE fails the queue");
	xl_case(test_mode, NULL, "edge_dialect picks page mode or conversations");
	xl_case(test_key, NULL, "conversation key and names");
	return xl_cases_run("xlate conversations");
}
