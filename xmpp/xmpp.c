/*
 * xmpp: the service (listeners, start/reload/stop, status) and the API the
 * gateway uses (xmpp.h): outbound stanzas become serialized bytes on a
 * link; inbound stanzas that passed every stream check become neutral
 * types for the gateway, or are answered with an error.
 */
#include "config.h"
#include "xmpp/xmpp.h"
#include "xmpp/dialback.h"
#include "xmpp/echo.h"
#include "xmpp/link.h"
#include "xmpp/s2s.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_conv.h"
#include "xmpp/tls.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>

#define LOG_MOD		"xmpp"
#define ACCEPT_BURST	64

struct listener {
	int		 fd;
	struct loop_io	*io;
	struct loop_timer *pause;	/* out of file descriptors: wait a bit */
	int		 direct_tls;
	char		 addr[CFG_HOST_MAX + 8];
};

static struct {
	int			 running;
	struct listener		 lst[2];
	struct xmpp_events	 ev;
	int			 have_ev;
	char			 inactive[600];	/* why not Active */
	struct evbuffer		*scratch;	/* serializing, XHTML bodies */
} X = { .lst = { { .fd = -1 }, { .fd = -1 } } };

void
xmpp_set_events(const struct xmpp_events *ev)
{
	if (ev) {
		X.ev = *ev;
		X.have_ev = 1;
	} else {
		memset(&X.ev, 0, sizeof(X.ev));
		X.have_ev = 0;
	}
}

/* ---- outbound ---------------------------------------------------- */

/* The bytes written to scratch since mark, as a malloc'd string. */
static char *
scratch_take(size_t *len)
{
	size_t n = evbuffer_get_length(X.scratch);
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	evbuffer_remove(X.scratch, p, n);
	p[n] = '\0';
	*len = n;
	return p;
}

/*
 * Common checks and hand-over of one serialized stanza. The stanza is in
 * X.scratch already (written by the caller).
 */
static int
xmpp_submit(const struct xl_addr *from, const struct xl_addr *to,
    uint64_t cookie, xmpp_done_fn *done, void *arg)
{
	const struct config *cfg = config_current();
	struct policy_decision dec;
	struct xl_err err;
	char *data;
	size_t len;

	if (!config_is_local_domain(cfg, from->domain) ||
	    config_is_local_domain(cfg, to->domain)) {
		evbuffer_drain(X.scratch, evbuffer_get_length(X.scratch));
		return -1;
	}
	if (!policy_check(cfg, to->domain, POLICY_DIR_OUTBOUND, &dec)) {
		evbuffer_drain(X.scratch, evbuffer_get_length(X.scratch));
		log_info(LOG_MOD, "outbound stanza refused by policy from=%s "
		    "to=%s rule=\"%s\"", from->domain, to->domain, dec.rule);
		memset(&err, 0, sizeof(err));
		err.cond = XL_ERR_POLICY_VIOLATION;
		err.type = XL_ERRT_CANCEL;
		err.text = "federation with this domain is not allowed";
		link_complete_later(cookie, done, arg, &err);
		return 0;
	}
	if ((data = scratch_take(&len)) == NULL)
		return -1;
	link_submit(from->domain, to->domain, data, len, cookie, done, arg);
	return 0;
}

/* After a writer filled X.scratch (wrote = its result): hand it over. */
static int
xmpp_send_written(int wrote, const struct xl_addr *from,
    const struct xl_addr *to, uint64_t cookie, xmpp_done_fn *done, void *arg)
{
	if (wrote != 0 || !X.running || !from->domain[0] || !to->domain[0]) {
		evbuffer_drain(X.scratch, evbuffer_get_length(X.scratch));
		return -1;
	}
	return xmpp_submit(from, to, cookie, done, arg);
}

int
xmpp_send_message(const struct xl_msg *m, uint64_t cookie, xmpp_done_fn *done,
    void *arg)
{
	if (m == NULL || X.scratch == NULL)
		return -1;
	return xmpp_send_written(conv_write_msg(m, X.scratch), &m->from, &m->to,
	    cookie, done, arg);
}

int
xmpp_send_presence(const struct xl_pres *p, uint64_t cookie, xmpp_done_fn *done,
    void *arg)
{
	if (p == NULL || X.scratch == NULL)
		return -1;
	return xmpp_send_written(conv_write_pres(p, X.scratch), &p->from, &p->to,
	    cookie, done, arg);
}

int
xmpp_send_subscription(const struct xl_sub *s, uint64_t cookie,
    xmpp_done_fn *done, void *arg)
{
	if (s == NULL || X.scratch == NULL)
		return -1;
	return xmpp_send_written(conv_write_sub(s, X.scratch), &s->from, &s->to,
	    cookie, done, arg);
}

int
xmpp_send_error(const struct xl_addr *from, const struct xl_addr *to,
    const char *id, int is_presence, const struct xl_err *err)
{
	char f[CONV_JID_MAX], t[CONV_JID_MAX];
	int wrote;

	if (from == NULL || to == NULL || err == NULL || X.scratch == NULL)
		return -1;
	wrote = conv_jid_format(from, f, sizeof(f)) != 0 ||
	    conv_jid_format(to, t, sizeof(t)) != 0 ||
	    conv_write_error(is_presence ? "presence" : "message", f, t, id, err,
	    X.scratch) != 0;
	return xmpp_send_written(wrote, from, to, 0, NULL, NULL);
}

/* ---- inbound ------------------------------------------------------ */

/* Answer a stanza we received with an error from its recipient. */
static void
reply_error(const struct xnode *st, enum xl_err_cond cond, const char *text)
{
	const char *from = xnode_attr(st, "from"), *to = xnode_attr(st, "to");
	char fd[XL_DOMAIN_MAX], td[XL_DOMAIN_MAX];
	struct xl_err err;
	char *data;
	size_t len;

	if (conv_jid_domain(from, fd, sizeof(fd)) != 0 ||
	    conv_jid_domain(to, td, sizeof(td)) != 0)
		return;
	memset(&err, 0, sizeof(err));
	err.cond = cond;
	err.type = conv_err_default_type(cond);
	err.text = text;
	if (conv_write_error(xnode_name(st), to, from, xnode_attr(st, "id"), &err,
	    X.scratch) != 0 || (data = scratch_take(&len)) == NULL) {
		evbuffer_drain(X.scratch, evbuffer_get_length(X.scratch));
		return;
	}
	link_submit(td, fd, data, len, 0, NULL, NULL);
}

static void
in_error_stanza(const struct xnode *st)
{
	struct xl_addr *a = malloc(2 * sizeof(*a));
	struct xl_err err;

	if (a == NULL)
		return;
	if (X.have_ev && X.ev.error && conv_jid_parse(xnode_attr(st, "from"),
	    &a[0]) == 0 && conv_jid_parse(xnode_attr(st, "to"), &a[1]) == 0) {
		conv_to_err(st, &err);
		X.ev.error(&a[0], &a[1], xnode_attr(st, "id"), &err, X.ev.arg);
	}
	free(a);	/* errors are never answered (RFC 6120 §8.3.1) */
}

static void
in_message(const struct xnode *st)
{
	struct xl_msg *m = malloc(sizeof(*m));

	if (m == NULL)
		return;
	if (conv_to_msg(st, m, X.scratch) != 0)
		reply_error(st, XL_ERR_JID_MALFORMED, NULL);
	else if (echo_enabled())
		echo_message(m);
	else if (X.have_ev && X.ev.message)
		X.ev.message(m, X.ev.arg);
	else
		reply_error(st, XL_ERR_SERVICE_UNAVAILABLE, NULL);
	evbuffer_drain(X.scratch, evbuffer_get_length(X.scratch));
	free(m);
}

static void
in_presence(const struct xnode *st)
{
	const char *type = xnode_attr(st, "type");
	struct xl_pres *p;
	struct xl_sub *s;

	if (type && strcmp(type, "unavailable")) {
		if ((s = malloc(sizeof(*s))) == NULL)
			return;
		if (conv_to_sub(st, s) != 0)
			reply_error(st, XL_ERR_BAD_REQUEST, NULL);
		else if (echo_enabled())
			echo_subscription(s);
		else if (X.have_ev && X.ev.subscription)
			X.ev.subscription(s, X.ev.arg);
		else if (s->type == XL_SUB_SUBSCRIBE)
			reply_error(st, XL_ERR_SERVICE_UNAVAILABLE, NULL);
		free(s);
		return;
	}
	if ((p = malloc(sizeof(*p))) == NULL)
		return;
	if (conv_to_pres(st, p) == 0 && !echo_enabled() && X.have_ev &&
	    X.ev.presence)
		X.ev.presence(p, X.ev.arg);
	free(p);	/* availability nobody listens to is not an error */
}

/* iq: answer pings (XEP-0199); nothing else is served here. */
static void
in_iq(const struct xnode *st)
{
	const char *type = xnode_attr(st, "type");
	char fd[XL_DOMAIN_MAX], td[XL_DOMAIN_MAX];
	char *data;
	size_t len;

	if (type == NULL || (strcmp(type, "get") && strcmp(type, "set")))
		return;		/* results and errors end here */
	if (!strcmp(type, "get") && xnode_child(st, XMPP_NS_PING, "ping") &&
	    conv_jid_domain(xnode_attr(st, "from"), fd, sizeof(fd)) == 0 &&
	    conv_jid_domain(xnode_attr(st, "to"), td, sizeof(td)) == 0) {
		if (xml_writef(X.scratch, "<iq type='result' from='%s' to='%s' "
		    "id='%s'/>", xnode_attr(st, "to"), xnode_attr(st, "from"),
		    xnode_attr(st, "id") ? xnode_attr(st, "id") : "") != 0 ||
		    (data = scratch_take(&len)) == NULL) {
			evbuffer_drain(X.scratch, evbuffer_get_length(X.scratch));
			return;
		}
		link_submit(td, fd, data, len, 0, NULL, NULL);
		return;
	}
	reply_error(st, XL_ERR_SERVICE_UNAVAILABLE, NULL);
}

void
xmpp_stanza_in(const struct xnode *st)
{
	const char *name = xnode_name(st), *type = xnode_attr(st, "type");

	if (type && !strcmp(type, "error") && strcmp(name, "iq"))
		in_error_stanza(st);
	else if (!strcmp(name, "message"))
		in_message(st);
	else if (!strcmp(name, "presence"))
		in_presence(st);
	else if (!strcmp(name, "iq"))
		in_iq(st);
}

/* ---- listeners ----------------------------------------------------- */

static void
listener_accept(int fd, int events, void *arg)
{
	struct listener *l = arg;

	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int c = accept4(fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* the connection stays queued: do not spin on it */
				log_warn(LOG_MOD, "accept on %s, pausing 1s", l->addr);
				loop_io_set(l->io, 0);
				loop_timer_set(l->pause, 1000);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn(LOG_MOD, "accept on %s", l->addr);
			return;
		}
		s2s_in_accept(c, &ss, l->direct_tls);
	}
}

static void
listener_resume(void *arg)
{
	struct listener *l = arg;

	if (l->io)
		loop_io_set(l->io, LOOP_READ);
}

static int
listener_open(struct listener *l, const struct hostport *hp, int direct)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	config_hostport_format(hp, l->addr, sizeof(l->addr));
	if (inet_pton(AF_INET, hp->host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(hp->port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, hp->host,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(hp->port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		snprintf(X.inactive, sizeof(X.inactive), "listen %s: not an IP "
		    "address", l->addr);
		return -1;
	}
	l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0 ||
	    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(l->fd, (struct sockaddr *)&ss, sl) != 0 || listen(l->fd, 512) != 0) {
		snprintf(X.inactive, sizeof(X.inactive), "listen %s: %s", l->addr,
		    strerror(errno));
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		return -1;
	}
	l->direct_tls = direct;
	if ((l->pause = loop_timer_new(listener_resume, l)) == NULL ||
	    (l->io = loop_io_add(l->fd, LOOP_READ, listener_accept, l)) == NULL) {
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	log_info(LOG_MOD, "listening on %s%s", l->addr,
	    direct ? " (direct TLS, XEP-0368)" : "");
	return 0;
}

static void
listeners_close(void)
{
	for (size_t i = 0; i < 2; i++) {
		loop_io_del(X.lst[i].io);
		X.lst[i].io = NULL;
		loop_timer_free(X.lst[i].pause);
		X.lst[i].pause = NULL;
		if (X.lst[i].fd >= 0)
			close(X.lst[i].fd);
		X.lst[i].fd = -1;
	}
}

/* ---- the service --------------------------------------------------- */

/* Dialback secret and TLS contexts; on reload a failure keeps the old. */
static int
xmpp_load_secrets(const struct config *cfg, int starting)
{
	char err[300];
	int tls_wanted = cfg->xmpp_security != XMPP_SEC_NO_TLS ||
	    cfg->xmpp_listen_tls.host[0];

	if (cfg->dialback &&
	    dialback_secret_load(cfg->dialback_secret_file, err, sizeof(err)) != 0) {
		log_error(LOG_MOD, "dialback secret: %s", err);
		if (starting) {
			snprintf(X.inactive, sizeof(X.inactive),
			    "dialback secret: %s", err);
			return -1;
		}
	}
	if (tls_wanted && xtls_configure(cfg, err, sizeof(err)) != 0) {
		log_error(LOG_MOD, "TLS: %s", err);
		if (starting && cfg->xmpp_security == XMPP_SEC_TLS_REQUIRED) {
			snprintf(X.inactive, sizeof(X.inactive), "TLS: %s", err);
			return -1;
		}
	}
	return 0;
}

static uint64_t
gauge_open_in(void *arg)
{
	return s2s_open_count(1);
}

static uint64_t
gauge_open_out(void *arg)
{
	return s2s_open_count(0);
}

static int
xmpp_start(struct config *cfg)
{
	if ((X.scratch = evbuffer_new()) == NULL || s2s_init() != 0 ||
	    link_init() != 0)
		return -1;
	metric_gauge("fedgate_xmpp_streams_open", "direction=\"in\"",
	    "s2s streams open now", gauge_open_in, NULL);
	metric_gauge("fedgate_xmpp_streams_open", "direction=\"out\"",
	    "s2s streams open now", gauge_open_out, NULL);
	echo_init();
	if (xmpp_load_secrets(cfg, 1) != 0)
		return -1;
	if (listener_open(&X.lst[0], &cfg->xmpp_listen, 0) != 0) {
		log_error(LOG_MOD, "%s", X.inactive);
		return -1;
	}
	if (cfg->xmpp_listen_tls.host[0]) {
		if (!xtls_available()) {
			snprintf(X.inactive, sizeof(X.inactive),
			    "listen_tls needs a certificate");
			log_error(LOG_MOD, "%s", X.inactive);
			return -1;
		}
		if (listener_open(&X.lst[1], &cfg->xmpp_listen_tls, 1) != 0) {
			log_error(LOG_MOD, "%s", X.inactive);
			return -1;
		}
	}
	X.running = 1;
	X.inactive[0] = '\0';
	return 0;
}

static void
xmpp_reload(struct config *old, struct config *new)
{
	xmpp_load_secrets(new, 0);
}

static void
xmpp_stop(void)
{
	if (!X.running)
		return;
	listeners_close();
	s2s_close_all("the gateway is shutting down");
	X.running = 0;
	snprintf(X.inactive, sizeof(X.inactive), "stopping");
}

static int
xmpp_idle(void)
{
	return s2s_count() == 0;
}

static void
xmpp_shutdown(void)
{
	listeners_close();
	s2s_shutdown();
	link_shutdown();
	xtls_shutdown();
	dialback_secret_clear();
	if (X.scratch)
		evbuffer_free(X.scratch);
	X.scratch = NULL;
	X.running = 0;
}

static void
xmpp_status(FILE *out)
{
	if (!X.running) {
		fprintf(out, "xmpp: Inactive (%s)\n", X.inactive[0] ? X.inactive :
		    "not started");
		return;
	}
	fprintf(out, "xmpp: Active (listening on %s%s%s; streams in=%zu out=%zu; "
	    "queued=%zu; tls=%s%s)\n", X.lst[0].addr,
	    X.lst[1].fd >= 0 ? " and " : "", X.lst[1].fd >= 0 ? X.lst[1].addr : "",
	    s2s_open_count(1), s2s_open_count(0), link_queued(),
	    xtls_available() ? "yes" : "no", echo_enabled() ? "; TEST ECHO ON" : "");
}

const struct service xmpp_service = {
	.name = "xmpp",
	.start = xmpp_start,
	.reload = xmpp_reload,
	.stop = xmpp_stop,
	.idle = xmpp_idle,
	.shutdown = xmpp_shutdown,
	.status = xmpp_status,
	.connections = s2s_connections,
};

void
xmpp_pause_input(int paused)
{
	s2s_in_pause(paused);
}
