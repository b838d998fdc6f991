/*
 * Unit test of the outbound connector (xmpp/s2s_out.c with xmpp/link.c):
 * candidate fallback. route_lookup() is mocked here (linked with
 * --wrap=route_lookup, so xmpp/ calls this one) -- it answers with
 * the candidates this test chose, from the end of the loop turn as the
 * real one does -- and the "servers" are sockets of this test on
 * loopback: one refuses, one accepts and hangs up, one listens to what
 * arrives. Checked: every address of every candidate is tried in order,
 * the stream header goes to the first one that stays, and when none is
 * left the queued stanza is held and retried (a peer may be restarting)
 * and bounced once with remote-server-not-found after connect_timeout;
 * a DNS timeout bounces with remote-server-timeout, and backoff answers the
 * next stanza at once without a new lookup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/route.h"
#include "xmpp/link.h"
#include "xmpp/s2s.h"

/* ---- the mocked routing engine ------------------------------------ */

static struct {
	struct route_candidate	 c[4];
	size_t			 n;
	enum route_status	 status;
	int			 lookups;
	route_cb		*cb;
	void			*arg;
	uint64_t		 id;
} R;

static void
route_answer(void *unused)
{
	struct route_result res = { R.status, "remote.test",
	    R.status == ROUTE_OK ? NULL : "mocked failure", R.n, R.c, NULL };

	if (R.cb)
		R.cb(R.id, &res, R.arg);
	R.cb = NULL;
}

uint64_t __wrap_route_lookup(const char *, enum route_side, unsigned,
    route_cb *, void *);
void __wrap_route_cancel(uint64_t);
const char *__wrap_route_step_name(enum route_step);

uint64_t
__wrap_route_lookup(const char *domain, enum route_side side, unsigned flags,
    route_cb *cb, void *arg)
{
	assert_string_equal(domain, "remote.test");
	assert_int_equal(side, ROUTE_SIDE_XMPP);
	assert_true(flags & ROUTE_RESOLVE);
	R.lookups++;
	R.cb = cb;
	R.arg = arg;
	R.id++;
	loop_call_later(route_answer, NULL);
	return R.id;
}

void
__wrap_route_cancel(uint64_t id)
{
	if (id == R.id)
		R.cb = NULL;
}

const char *
__wrap_route_step_name(enum route_step step)
{
	return "mock";
}

/* ---- test servers --------------------------------------------------- */

struct server {
	int		 fd;
	struct loop_io	*io;
	int		 hang_up;	/* close each connection at once */
	int		 accepted;
	int		 order;		/* when it accepted (1, 2, ...) */
	int		 conn;
	struct loop_io	*cio;
	char		 got[4096];
	size_t		 ngot;
};

static int order;
static struct loop_timer *stopper;
static void stop_now(void *arg);

static uint16_t
listen_on(int *fdp)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*fdp = fd;
	return ntohs(sin.sin_port);
}

/* A port nobody listens on: bound, then closed. */
static uint16_t
refused_port(void)
{
	int fd;
	uint16_t port = listen_on(&fd);

	close(fd);
	return port;
}

static void
server_read(int fd, int events, void *arg)
{
	struct server *sv = arg;
	ssize_t n = read(fd, sv->got + sv->ngot, sizeof(sv->got) - 1 - sv->ngot);

	if (n > 0) {
		sv->ngot += (size_t)n;
		sv->got[sv->ngot] = '\0';
	}
	if (n == 0 || strstr(sv->got, "<stream:stream"))
		loop_timer_set(stopper, 0);
}

static void
server_accept(int fd, int events, void *arg)
{
	struct server *sv = arg;
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK);

	if (c < 0)
		return;
	sv->accepted++;
	sv->order = ++order;
	if (sv->hang_up) {
		close(c);
		return;
	}
	sv->conn = c;
	sv->cio = loop_io_add(c, LOOP_READ, server_read, sv);
}

static void
server_start(struct server *sv, int hang_up, struct route_candidate *c)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->addrs[c->naddrs++];
	uint16_t port = listen_on(&sv->fd);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(port);
	sv->hang_up = hang_up;
	sv->io = loop_io_add(sv->fd, LOOP_READ, server_accept, sv);
}

static void
add_refused(struct route_candidate *c)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->addrs[c->naddrs++];

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(refused_port());
}

static void
server_stop(struct server *sv)
{
	loop_io_del(sv->cio);
	loop_io_del(sv->io);
	if (sv->conn > 0)
		close(sv->conn);
	close(sv->fd);
	memset(sv, 0, sizeof(*sv));
}

/* ---- completions and the loop ---------------------------------------- */

static struct {
	int		 calls;
	int		 failed;
	enum xl_err_cond cond;
	uint64_t	 cookie;
} D;

static void
stop_now(void *arg)
{
	loop_stop();
}

/*
 * Completions run in an end-of-turn hook; loop_stop() there would only
 * take effect after the next wait, so stop from a 0 ms timer instead.
 */
static void
done_cb(uint64_t cookie, const struct xl_err *err, void *arg)
{
	D.calls++;
	D.cookie = cookie;
	D.failed = err != NULL;
	D.cond = err ? err->cond : XL_ERR_NONE;
	loop_timer_set(stopper, 0);
}

static void
deadline(void *arg)
{
	*(int *)arg = 1;
	loop_stop();
}

/* Run the loop until something calls loop_stop(), at most ms. */
static int
run_for(uint64_t ms)
{
	int expired = 0;
	struct loop_timer *t = loop_timer_new(deadline, &expired);

	loop_timer_set(t, ms);
	loop_run();
	loop_timer_free(t);
	return expired;
}

static void
submit(uint64_t cookie)
{
	link_submit("sip.test", "remote.test", strdup("<message/>"), 10, cookie,
	    done_cb, &D);
}

/* ---- setup: a config with no TLS and a dialback secret -------------- */

static char dir[64];

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int
setup(void **state)
{
	struct config_diag diag = { 0 };
	struct config *cfg;
	char path[256];

	snprintf(dir, sizeof(dir), "/tmp/test_xmpp_connectXXXXXX");
	assert_non_null(mkdtemp(dir));
	write_file("fedgate.conf", "[gateway]\nhostname = gw.sip.test\n"
	    "state_dir = .\ncontrol_socket = ctl.sock\nmetrics_listen =\n"
	    "[sip]\ncert = c.pem\nkey = c.key\nca = c.pem\npeer_subjects = e.test\n"
	    "[xmpp]\nsecurity = no-tls\nrequire_client_certs = no\n"
	    "sasl_external_in = no\nsasl_external_out = no\n"
	    "dialback_secret_file = db.secret\nconnect_timeout = 2s\n"
	    "[federation]\nprivacy_mode = off\n", 0644);
	write_file("domains.conf", "local sip.test edge=e.test:5061\n"
	    "remote remote.test\n", 0644);
	write_file("routes.conf", "", 0644);
	write_file("policy.conf", "", 0644);
	write_file("c.pem", "x\n", 0644);
	write_file("c.key", "x\n", 0600);
	write_file("db.secret", "s3cret\n", 0600);
	snprintf(path, sizeof(path), "%s/fedgate.conf", dir);
	cfg = config_load(path, &diag);
	for (size_t i = 0; i < diag.nerrors; i++)
		fprintf(stderr, "# %s\n", diag.errors[i]);
	assert_non_null(cfg);
	config_diag_clear(&diag);
	config_set_current(cfg);
	config_unref(cfg);
	log_init(1, LOG_LVL_WARN);
	assert_int_equal(loop_init(), 0);
	assert_int_equal(s2s_init(), 0);
	assert_int_equal(link_init(), 0);
	stopper = loop_timer_new(stop_now, NULL);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	s2s_shutdown();
	link_shutdown();
	loop_timer_free(stopper);
	loop_destroy();
	config_set_current(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the tests ------------------------------------------------------- */

static void
test_fallback_in_order(void **state)
{
	struct server hangup, good;

	memset(&R, 0, sizeof(R));
	memset(&D, 0, sizeof(D));
	memset(&hangup, 0, sizeof(hangup));
	memset(&good, 0, sizeof(good));
	order = 0;
	/* candidate 0: two addresses that refuse; 1: hangs up; 2: listens */
	snprintf(R.c[0].host, sizeof(R.c[0].host), "a.remote.test");
	add_refused(&R.c[0]);
	add_refused(&R.c[0]);
	snprintf(R.c[1].host, sizeof(R.c[1].host), "b.remote.test");
	server_start(&hangup, 1, &R.c[1]);
	snprintf(R.c[2].host, sizeof(R.c[2].host), "c.remote.test");
	server_start(&good, 0, &R.c[2]);
	R.n = 3;
	R.status = ROUTE_OK;

	submit(42);
	assert_int_equal(run_for(5000), 0);
	assert_int_equal(R.lookups, 1);
	assert_int_equal(hangup.accepted, 1);
	assert_int_equal(good.accepted, 1);
	assert_true(hangup.order < good.order);
	/* the stream that stayed got our header, for the right pair */
	assert_non_null(strstr(good.got, "from='sip.test'"));
	assert_non_null(strstr(good.got, "to='remote.test'"));
	assert_non_null(strstr(good.got, "xmlns='jabber:server'"));
	assert_int_equal(D.calls, 0);	/* still waiting, not bounced */

	/*
	 * Every candidate goes away (a peer restarting): no address answers,
	 * so the stanza is held and retried, and bounced once with
	 * remote-server-not-found only after connect_timeout (2 s here).
	 */
	int lookups = R.lookups;
	server_stop(&hangup);
	loop_io_del(good.cio);
	good.cio = NULL;
	close(good.conn);
	good.conn = 0;
	server_stop(&good);
	assert_int_equal(run_for(1000), 1);	/* held: nothing yet */
	assert_int_equal(D.calls, 0);
	assert_int_equal(run_for(5000), 0);
	assert_int_equal(D.calls, 1);
	assert_int_equal(D.cookie, 42);
	assert_true(D.failed);
	assert_int_equal(D.cond, XL_ERR_REMOTE_SERVER_NOT_FOUND);
	assert_true(R.lookups > lookups);	/* it tried again meanwhile */
	assert_int_equal(run_for(200), 1);
	assert_int_equal(D.calls, 1);	/* exactly one completion */
	assert_int_equal(s2s_count(), 0);
	/* every address now refuses */
	for (size_t i = 0; i < R.n; i++) {
		R.c[i].naddrs = 0;
		add_refused(&R.c[i]);
	}
	lookups = R.lookups;

	/* backoff: the next stanza fails at once, without a new lookup */
	submit(43);
	assert_int_equal(run_for(2000), 0);
	assert_int_equal(D.calls, 2);
	assert_int_equal(D.cookie, 43);
	assert_int_equal(D.cond, XL_ERR_REMOTE_SERVER_NOT_FOUND);
	assert_int_equal(R.lookups, lookups);
}

static void
test_dns_timeout(void **state)
{
	memset(&R, 0, sizeof(R));
	memset(&D, 0, sizeof(D));
	R.status = ROUTE_TIMEOUT;
	link_submit("sip.test", "remote.test", strdup("<message/>"), 10, 7,
	    done_cb, &D);
	assert_int_equal(run_for(5000), 0);
	assert_int_equal(R.lookups, 1);
	assert_int_equal(D.calls, 1);
	assert_int_equal(D.cond, XL_ERR_REMOTE_SERVER_TIMEOUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fallback_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_timeout, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
