/*
 * Unit test of xmpp/link.c alone: which stream a (local, remote) pair's
 * stanzas go on, with XEP-0288 bidi streams beside our own outbound one.
 * The streams are mocked here (this file defines the s2s.h functions the
 * link calls, so xmpp/s2s.c is not linked): each is a record saying
 * whether it is authenticated for the pair and has room, and counting
 * what was written on it. Checked:
 *   - a bidi stream carries the stanzas and no connection is opened;
 *   - stanzas keep to the stream they started on (no reordering), and go
 *     to the other one only when it is gone;
 *   - a full bidi stream queues them (no new connection), its room drains
 *     them; when it goes, our own stream is opened for what waits;
 *   - our own stream failing does not bounce what a bidi stream can carry;
 *   - dialback verification never goes on a bidi stream (XEP-0288).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "xmpp/link.h"
#include "xmpp/s2s.h"
#include "tests/unit/test_route_util.h"

/* ---- the mocked streams --------------------------------------------- */

struct s2s_stream {
	uint64_t	 id;
	int		 carries;	/* authenticated for sip.test -> remote.test */
	int		 room;		/* below the high-water mark */
	int		 gone;
	int		 written;
	int		 verifies;
	struct s2s_link	*link;		/* for our own outbound streams */
};

static struct {
	struct s2s_stream	 s[8];
	size_t			 n;
	int			 out_new;	/* s2s_out_new() calls */
	int			 verify_results;
} M;

static struct s2s_stream *
mock_stream(int carries, int room)
{
	struct s2s_stream *s;

	assert_true(M.n < sizeof(M.s) / sizeof(M.s[0]));
	s = &M.s[M.n++];
	memset(s, 0, sizeof(*s));
	s->id = 100 + M.n;
	s->carries = carries;
	s->room = room;
	return s;
}

struct s2s_stream *
s2s_out_new(struct s2s_link *link, const char *local, const char *remote)
{
	struct s2s_stream *s = mock_stream(0, 1);	/* connecting */

	s->link = link;
	M.out_new++;
	return s;
}

uint64_t
s2s_stream_id(const struct s2s_stream *s)
{
	return s->id;
}

struct s2s_stream *
s2s_stream_find(uint64_t id)
{
	for (size_t i = 0; i < M.n; i++)
		if (M.s[i].id == id && !M.s[i].gone)
			return &M.s[i];
	return NULL;
}

int
s2s_carries(const struct s2s_stream *s, const char *local, const char *remote)
{
	return !s->gone && s->carries && !strcmp(local, "sip.test") &&
	    !strcmp(remote, "remote.test");
}

int
s2s_can_write(const struct s2s_stream *s)
{
	return s->carries && s->room && !s->gone;
}

int
s2s_write(struct s2s_stream *s, const char *data, size_t len)
{
	assert_true(s2s_can_write(s));
	s->written++;
	return 0;
}

int
s2s_out_send_verify(struct s2s_stream *s, const char *from, const char *to,
    const char *sid, const char *key)
{
	s->verifies++;
	return 0;
}

void
s2s_verify_result(uint64_t id, const char *sid, const char *remote,
    const char *local, int result)
{
	M.verify_results++;
}

void
s2s_flush_pending(void)
{
}

/* ---- helpers ---------------------------------------------------------- */

static struct {
	int	ok, failed;
} D;

static void
done_cb(uint64_t cookie, const struct xl_err *err, void *arg)
{
	if (err)
		D.failed++;
	else
		D.ok++;
}

static void
submit(void)
{
	link_submit("sip.test", "remote.test", strdup("<message/>"), 10, 1,
	    done_cb, NULL);
}

static void
stop_cb(void *arg)
{
	loop_stop();
}

/* One loop turn: completions are delivered at its end. */
static void
turn(void)
{
	assert_int_equal(loop_call_later(stop_cb, NULL), 0);
	loop_run();
}

static int
group_setup(void **state)
{
	struct config *cfg = tu_config("privacy_mode = off",
	    "local sip.test edge=e.test:5061\nremote remote.test\n", NULL, NULL);

	config_set_current(cfg);
	config_unref(cfg);
	log_init(1, LOG_LVL_WARN);
	return loop_init();
}

static int
group_teardown(void **state)
{
	loop_destroy();
	config_set_current(NULL);
	return 0;
}

static int
setup(void **state)
{
	memset(&M, 0, sizeof(M));
	memset(&D, 0, sizeof(D));
	return link_init();
}

static int
teardown(void **state)
{
	link_shutdown();
	return 0;
}

/* ---- the tests --------------------------------------------------------- */

static void
test_bidi_carries_no_connection(void **state)
{
	struct s2s_stream *b = mock_stream(1, 1);

	link_bidi_ready("sip.test", "remote.test", b);
	submit();
	turn();
	submit();
	turn();
	assert_int_equal(D.ok, 2);
	assert_int_equal(b->written, 2);
	assert_int_equal(M.out_new, 0);
}

static void
test_stanzas_keep_to_their_stream(void **state)
{
	struct s2s_stream *o, *b;

	submit();			/* nothing yet: our own stream starts */
	assert_int_equal(M.out_new, 1);
	o = &M.s[0];
	b = mock_stream(1, 1);
	link_bidi_ready("sip.test", "remote.test", b);	/* takes the queue */
	turn();
	assert_int_equal(b->written, 1);
	o->carries = 1;			/* ours is authenticated now */
	link_on_ready(o->link, o);
	submit();
	turn();
	assert_int_equal(b->written, 2);	/* still the bidi one */
	assert_int_equal(o->written, 0);
	b->gone = 1;
	link_bidi_gone("sip.test", "remote.test", b->id);
	submit();
	turn();
	assert_int_equal(o->written, 1);	/* now ours */
	assert_int_equal(D.ok, 3);
	assert_int_equal(M.out_new, 1);
}

static void
test_full_bidi_queues_then_drains(void **state)
{
	struct s2s_stream *b = mock_stream(1, 0);

	link_bidi_ready("sip.test", "remote.test", b);
	submit();
	submit();
	assert_int_equal(M.out_new, 0);		/* it will have room */
	assert_int_equal(link_queued(), 2);
	b->room = 1;
	link_bidi_writable("sip.test", "remote.test", b);
	turn();
	assert_int_equal(b->written, 2);
	assert_int_equal(D.ok, 2);
	assert_int_equal(link_queued(), 0);
}

static void
test_bidi_gone_opens_our_own(void **state)
{
	struct s2s_stream *b = mock_stream(1, 0), *o;

	link_bidi_ready("sip.test", "remote.test", b);
	submit();
	b->gone = 1;
	link_bidi_gone("sip.test", "remote.test", b->id);
	assert_int_equal(M.out_new, 1);
	o = &M.s[1];
	o->carries = 1;
	link_on_ready(o->link, o);
	turn();
	assert_int_equal(o->written, 1);
	assert_int_equal(D.ok, 1);
}

static void
test_own_failure_spares_bidi_traffic(void **state)
{
	struct s2s_stream *o, *b;

	submit();
	o = &M.s[0];
	b = mock_stream(1, 0);		/* usable, but full for now */
	link_bidi_ready("sip.test", "remote.test", b);
	o->gone = 1;
	link_on_stream_gone(o->link, o, LINK_FAIL_HARD,
	    XL_ERR_REMOTE_SERVER_NOT_FOUND, "refused");
	assert_int_equal(link_queued(), 1);	/* not bounced */
	b->room = 1;
	link_bidi_writable("sip.test", "remote.test", b);
	turn();
	assert_int_equal(D.ok, 1);
	assert_int_equal(D.failed, 0);
	assert_int_equal(b->written, 1);
}

static void
test_verify_never_on_bidi(void **state)
{
	struct s2s_stream *b = mock_stream(1, 1);

	link_bidi_ready("sip.test", "remote.test", b);
	link_verify_submit("sip.test", "remote.test", b->id, "sid1", "key");
	assert_int_equal(M.out_new, 1);		/* our own, for the question */
	assert_int_equal(b->verifies, 0);
	M.s[1].carries = 1;
	link_on_verify_possible(M.s[1].link, &M.s[1]);
	assert_int_equal(M.s[1].verifies, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bidi_carries_no_connection,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stanzas_keep_to_their_stream,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_bidi_queues_then_drains,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bidi_gone_opens_our_own,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_failure_spares_bidi_traffic,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_never_on_bidi,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
