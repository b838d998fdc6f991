/*
 * conn: plain and TLS transports behind one ops table. See conn.h.
 */
#include "config.h"
#include "xmpp/conn.h"
#include "xmpp/tls.h"
#include "core/loop.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <openssl/err.h>

#define TLS_WRITE_CHUNK	16384

struct xconn_ops {
	ssize_t	(*read)(struct xconn *c, void *buf, size_t len);
	int	(*flush)(struct xconn *c, struct evbuffer *out);
	void	(*shutdown)(struct xconn *c);
};

struct xconn {
	int			 fd;
	SSL			*ssl;
	int			 server;
	const struct xconn_ops	*ops;
	int			 wants;		/* of the last read or handshake */
	int			 wwants;	/* of the last flush */
	char			 err[160];
};

static void
xconn_set_err(struct xconn *c, const char *what, int e)
{
	snprintf(c->err, sizeof(c->err), "%s: %s", what, strerror(e));
}

/* ---- plain TCP ---------------------------------------------------- */

static ssize_t
plain_read(struct xconn *c, void *buf, size_t len)
{
	ssize_t n = read(c->fd, buf, len);

	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		c->wants = LOOP_READ;
		return XCONN_AGAIN;
	}
	xconn_set_err(c, "read", errno);
	return XCONN_ERR;
}

static int
plain_flush(struct xconn *c, struct evbuffer *out)
{
	while (evbuffer_get_length(out) > 0) {
		int n = evbuffer_write(out, c->fd);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR) {
				c->wwants = LOOP_WRITE;
				return XCONN_AGAIN;
			}
			xconn_set_err(c, "write", errno);
			return XCONN_ERR;
		}
	}
	return XCONN_OK;
}

static void
plain_shutdown(struct xconn *c)
{
	shutdown(c->fd, SHUT_WR);
}

static const struct xconn_ops plain_ops = {
	plain_read, plain_flush, plain_shutdown,
};

/* ---- TLS ---------------------------------------------------------- */

/* Map an SSL_get_error() result: AGAIN (with *wants set), 0 (EOF) or ERR. */
static int
tls_status(struct xconn *c, int ret, const char *what, int *wants)
{
	char ebuf[200];
	int e = SSL_get_error(c->ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*wants = LOOP_READ;
		return XCONN_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		*wants = LOOP_WRITE;
		return XCONN_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			/* closed without close_notify: an end of stream all the same */
			if (errno == 0)
				return 0;
			xconn_set_err(c, what, errno);
			return XCONN_ERR;
		}
		/* FALLTHROUGH */
	default:
		snprintf(c->err, sizeof(c->err), "%s: %s", what,
		    xtls_error(ebuf, sizeof(ebuf)));
		return XCONN_ERR;
	}
}

static ssize_t
tls_read(struct xconn *c, void *buf, size_t len)
{
	int n;

	errno = 0;
	ERR_clear_error();
	n = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0)
		return n;
	return tls_status(c, n, "TLS read", &c->wants);
}

/*
 * SSL_write the first chunk of out until it is empty. A retry after
 * WANT_* passes the same bytes again (never fewer: nothing is drained
 * before SSL_write succeeds).
 */
static int
tls_flush(struct xconn *c, struct evbuffer *out)
{
	while (evbuffer_get_length(out) > 0) {
		struct evbuffer_iovec v;
		size_t len;
		int n, st;

		if (evbuffer_peek(out, -1, NULL, &v, 1) < 1)
			break;
		len = v.iov_len > TLS_WRITE_CHUNK ? TLS_WRITE_CHUNK : v.iov_len;
		errno = 0;
		ERR_clear_error();
		n = SSL_write(c->ssl, v.iov_base, (int)len);
		if (n > 0) {
			evbuffer_drain(out, (size_t)n);
			continue;
		}
		st = tls_status(c, n, "TLS write", &c->wwants);
		return st == 0 ? XCONN_ERR : st;
	}
	return XCONN_OK;
}

static void
tls_shutdown(struct xconn *c)
{
	ERR_clear_error();
	if (SSL_is_init_finished(c->ssl))
		SSL_shutdown(c->ssl);
	ERR_clear_error();
}

static const struct xconn_ops tls_ops = {
	tls_read, tls_flush, tls_shutdown,
};

/* ---- common ------------------------------------------------------- */

struct xconn *
xconn_new(int fd)
{
	struct xconn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->ops = &plain_ops;
	c->wants = LOOP_READ;
	c->wwants = LOOP_WRITE;
	/* stanzas are small and flushed once per loop turn: no Nagle delay */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}

void
xconn_free(struct xconn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int
xconn_fd(const struct xconn *c)
{
	return c->fd;
}

int
xconn_connect_start(const struct sockaddr_storage *addr, int *fdp, char *err,
    size_t errlen)
{
	socklen_t alen = addr->ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);

	*fdp = -1;
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return XCONN_ERR;
	}
	if (connect(fd, (const struct sockaddr *)addr, alen) == 0) {
		*fdp = fd;
		return XCONN_OK;
	}
	if (errno == EINPROGRESS || errno == EINTR) {
		*fdp = fd;
		return XCONN_AGAIN;
	}
	snprintf(err, errlen, "connect: %s", strerror(errno));
	close(fd);
	return XCONN_ERR;
}

int
xconn_connect_finish(struct xconn *c)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
	if (e != 0) {
		xconn_set_err(c, "connect", e);
		return XCONN_ERR;
	}
	c->wants = LOOP_READ;
	return XCONN_OK;
}

void
xconn_tls_start(struct xconn *c, SSL *ssl, int server)
{
	SSL_free(c->ssl);
	c->ssl = ssl;
	c->server = server;
	SSL_set_fd(ssl, c->fd);
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	c->ops = &tls_ops;
	c->wants = server ? LOOP_READ : LOOP_WRITE;
}

int
xconn_handshake(struct xconn *c)
{
	int n, st;

	errno = 0;
	ERR_clear_error();
	n = SSL_do_handshake(c->ssl);
	if (n == 1) {
		c->wants = LOOP_READ;
		return XCONN_OK;
	}
	st = tls_status(c, n, "TLS handshake", &c->wants);
	if (st == 0) {
		snprintf(c->err, sizeof(c->err), "TLS handshake: peer closed");
		return XCONN_ERR;
	}
	return st;
}

SSL *
xconn_ssl(const struct xconn *c)
{
	return c->ssl;
}

int
xconn_is_tls(const struct xconn *c)
{
	return c->ops == &tls_ops;
}

ssize_t
xconn_read(struct xconn *c, void *buf, size_t len)
{
	return c->ops->read(c, buf, len);
}

int
xconn_flush(struct xconn *c, struct evbuffer *out)
{
	return c->ops->flush(c, out);
}

int
xconn_wants(const struct xconn *c)
{
	return c->wants;
}

int
xconn_write_wants(const struct xconn *c)
{
	return c->wwants;
}

void
xconn_shutdown(struct xconn *c)
{
	c->ops->shutdown(c);
}

const char *
xconn_errstr(const struct xconn *c)
{
	return c->err[0] ? c->err : "unknown error";
}
