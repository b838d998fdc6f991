/*
 * conn: see conn.h.
 */
#include "bench/conn.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONN_READ_MAX		(256 * 1024)
#define CONN_FLUSH_LIMIT_S	2

struct conn {
	struct event_base	*base;
	struct bufferevent	*bev;
	int			 fd;
	SSL			*ssl;		/* once TLS is on */
	SSL			*pending_ssl;	/* switch asked for */
	int			 pending_server;
	int			 tls_up;
	int			 in_cb;		/* depth of our callbacks */
	int			 closed;	/* owner is gone */
	int			 free_asap;	/* free when callbacks return */
	struct event		*flush_timer;
	struct conn_handlers	 h;
	void			*arg;
	char			 peer[64];
};

static unsigned conn_nlive;	/* conns not freed yet */

static void conn_readcb(struct bufferevent *bev, void *arg);
static void conn_writecb(struct bufferevent *bev, void *arg);
static void conn_eventcb(struct bufferevent *bev, short what, void *arg);

static void
set_socket_opts(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
peer_name(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getpeername(c->fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
}

static struct conn *
conn_new(struct event_base *base, int fd, const struct conn_handlers *h,
    void *arg)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->base = base;
	c->fd = fd;
	c->h = *h;
	c->arg = arg;
	snprintf(c->peer, sizeof(c->peer), "?");
	/* plain phase: the fd is ours (closed in conn_free), not the bev's */
	c->bev = bufferevent_socket_new(base, fd, 0);
	if (c->bev == NULL) {
		free(c);
		return NULL;
	}
	bufferevent_set_max_single_read(c->bev, CONN_READ_MAX);
	bufferevent_setcb(c->bev, conn_readcb, conn_writecb, conn_eventcb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_nlive++;
	return c;
}

struct conn *
conn_connect(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const struct conn_handlers *h, void *arg, char *err,
    size_t errlen)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	struct conn *c;

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	set_socket_opts(fd);
	c = conn_new(base, fd, h, arg);
	if (c == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (bufferevent_socket_connect(c->bev, sa, (int)salen) != 0) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		conn_nlive--;
		bufferevent_free(c->bev);
		close(fd);
		free(c);
		return NULL;
	}
	return c;
}

struct conn *
conn_accept(struct event_base *base, int fd, const struct conn_handlers *h,
    void *arg)
{
	struct conn *c;

	set_socket_opts(fd);
	c = conn_new(base, fd, h, arg);
	if (c != NULL)
		peer_name(c);
	return c;
}

static void
conn_free(struct conn *c)
{
	if (c->flush_timer)
		event_free(c->flush_timer);
	/* a TLS close_notify, so that the peer sees an orderly end */
	if (c->ssl && c->tls_up && c->bev)
		SSL_shutdown(c->ssl);
	if (c->bev) {
		bufferevent_free(c->bev);	/* a TLS bev closes the fd */
		if (c->ssl == NULL)
			close(c->fd);
	} else if (c->fd >= 0)
		close(c->fd);
	if (c->pending_ssl)
		SSL_free(c->pending_ssl);
	conn_nlive--;
	free(c);
}

unsigned
conn_live(void)
{
	return conn_nlive;
}

/* The plain bufferevent gives way to a TLS one on the same socket. */
static void
conn_do_switch(struct conn *c)
{
	SSL *ssl = c->pending_ssl;
	struct bufferevent *tls;

	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->pending_ssl = NULL;
	tls = bufferevent_openssl_socket_new(c->base, c->fd, ssl,
	    c->pending_server ? BUFFEREVENT_SSL_ACCEPTING :
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(ssl);
		if (!c->closed && c->h.event)
			c->h.event(c, CONN_ERROR, "cannot start TLS", c->arg);
		return;
	}
	c->bev = tls;
	c->ssl = ssl;
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	bufferevent_set_max_single_read(tls, CONN_READ_MAX);
	bufferevent_setcb(tls, conn_readcb, conn_writecb, conn_eventcb, c);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
}

/* After one of our callbacks: run what had to wait for it to return. */
static void
conn_after_cb(struct conn *c)
{
	if (--c->in_cb > 0)
		return;
	if (c->free_asap) {
		conn_free(c);
		return;
	}
	if (c->pending_ssl && c->bev &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_do_switch(c);
}

static void
conn_readcb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	c->in_cb++;
	if (!c->closed && c->pending_ssl == NULL && c->h.read)
		c->h.read(c, bufferevent_get_input(bev), c->arg);
	conn_after_cb(c);
}

static void
conn_writecb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	c->in_cb++;
	if (c->closed && c->flush_timer)	/* flushed: done */
		c->free_asap = 1;
	conn_after_cb(c);
}

static void
conn_error_text(struct conn *c, short what, char *buf, size_t len)
{
	unsigned long e;
	int err = EVUTIL_SOCKET_ERROR();

	if (c->ssl && (e = bufferevent_get_openssl_error(c->bev)) != 0) {
		char ebuf[200];
		long vr = SSL_get_verify_result(c->ssl);

		ERR_error_string_n(e, ebuf, sizeof(ebuf));
		if (vr != X509_V_OK)
			snprintf(buf, len, "TLS: %s (%s)", ebuf,
			    X509_verify_cert_error_string(vr));
		else
			snprintf(buf, len, "TLS: %s", ebuf);
		while (bufferevent_get_openssl_error(c->bev) != 0)
			;
	} else if (err != 0)
		snprintf(buf, len, "%s", strerror(err));
	else
		snprintf(buf, len, "%s", (what & BEV_EVENT_EOF) ?
		    "connection closed" : "connection error");
}

static void
conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	char why[256];

	c->in_cb++;
	if (c->closed) {
		if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
			c->free_asap = 1;
	} else if (what & BEV_EVENT_CONNECTED) {
		if (c->ssl) {
			c->tls_up = 1;
			if (c->h.event)
				c->h.event(c, CONN_TLS_UP, NULL, c->arg);
		} else {
			peer_name(c);
			if (c->h.event)
				c->h.event(c, CONN_CONNECTED, NULL, c->arg);
		}
	} else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		conn_error_text(c, what, why, sizeof(why));
		if (c->h.event)
			c->h.event(c, (what & BEV_EVENT_ERROR) ? CONN_ERROR :
			    CONN_EOF, why, c->arg);
	}
	conn_after_cb(c);
}

int
conn_starttls(struct conn *c, SSL *ssl, int server)
{
	if (c->ssl || c->pending_ssl || c->bev == NULL) {
		SSL_free(ssl);
		return -1;
	}
	c->pending_ssl = ssl;
	c->pending_server = server;
	/* outside callbacks and with nothing left to flush: now; else later */
	if (c->in_cb == 0 &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_do_switch(c);
	return 0;
}

int
conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->bev == NULL || c->closed)
		return -1;
	return bufferevent_write(c->bev, p, n);
}

size_t
conn_output_len(const struct conn *c)
{
	return c->bev ? evbuffer_get_length(bufferevent_get_output(c->bev)) : 0;
}

SSL *
conn_ssl(const struct conn *c)
{
	return c->ssl;
}

int
conn_is_tls_up(const struct conn *c)
{
	return c->tls_up;
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

static void
conn_flush_timeout(evutil_socket_t fd, short what, void *arg)
{
	conn_free(arg);
}

void
conn_close(struct conn *c, int flush)
{
	if (c == NULL || c->closed)
		return;
	c->closed = 1;
	if (flush && c->bev && conn_output_len(c) > 0) {
		struct timeval tv = { CONN_FLUSH_LIMIT_S, 0 };

		c->flush_timer = evtimer_new(c->base, conn_flush_timeout, c);
		if (c->flush_timer != NULL) {
			bufferevent_disable(c->bev, EV_READ);
			evtimer_add(c->flush_timer, &tv);
			return;
		}
	}
	if (c->in_cb > 0)
		c->free_asap = 1;
	else
		conn_free(c);
}

int
conn_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	long port;
	char *end;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -1;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return 0;
	}
}

struct evconnlistener *
conn_listen(struct event_base *base, const char *addr,
    void (*fn)(struct evconnlistener *, int, struct sockaddr *, int, void *),
    void *arg, int *port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct evconnlistener *l;

	if (conn_parse_addr(addr, &ss, &len) != 0) {
		snprintf(err, errlen, "bad address '%s' (want IP:PORT)", addr);
		return NULL;
	}
	l = evconnlistener_new_bind(base, fn, arg, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 512,
	    (struct sockaddr *)&ss, (int)len);
	if (l == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr,
		    strerror(errno));
		return NULL;
	}
	len = sizeof(ss);
	getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss, &len);
	if (port)	/* sin_port and sin6_port are at the same offset */
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return l;
}
