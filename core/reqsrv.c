/*
 * reqsrv: see reqsrv.h. Connections are few (an admin, a scraper), so a
 * list is enough to find them by id.
 */
#include "config.h"
#include "core/reqsrv.h"
#include "core/log.h"
#include "core/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct rconn {
	struct reqsrv	*srv;
	struct rconn	*next;
	uint64_t	 id;
	int		 fd;
	struct loop_io	*io;
	char		*in;
	size_t		 inlen;
	int		 handed;	/* the request went to the owner */
	char		*out;		/* the answer, once given */
	size_t		 outlen, outoff;
};

struct reqsrv {
	int		 fd;
	struct loop_io	*io;
	char		*term;
	size_t		 max;
	reqsrv_fn	*fn;
	void		*arg;
	uint64_t	 next_id;
	struct rconn	*conns;
};

static void
rconn_free(struct rconn *c)
{
	for (struct rconn **pp = &c->srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	loop_io_del(c->io);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Read until the request is whole, then hand it over once. */
static void
rconn_read(struct rconn *c)
{
	ssize_t n = read(c->fd, c->in + c->inlen, c->srv->max - c->inlen);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		rconn_free(c);		/* closed, or gone before the answer */
		return;
	}
	if (c->handed)
		return;			/* nothing more is expected */
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if (strstr(c->in, c->srv->term) == NULL) {
		if (c->inlen == c->srv->max)
			rconn_free(c);	/* over-long request */
		return;
	}
	c->handed = 1;
	/* the callback may answer, which frees nothing yet: writes wait */
	c->srv->fn(c->id, c->in, c->inlen, c->srv->arg);
}

static void
rconn_io(int fd, int events, void *arg)
{
	struct rconn *c = arg;

	if (c->out == NULL) {
		if (events & (LOOP_READ | LOOP_ERROR))
			rconn_read(c);
		return;
	}
	ssize_t n = write(fd, c->out + c->outoff, c->outlen - c->outoff);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (c->outoff += (size_t)n) == c->outlen)
		rconn_free(c);
}

static void
reqsrv_accept(int fd, int events, void *arg)
{
	struct reqsrv *srv = arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct rconn *c;

	if (cfd < 0)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->in = malloc(srv->max + 1)) == NULL) {
		free(c);
		close(cfd);
		return;
	}
	c->srv = srv;
	c->fd = cfd;
	c->id = ++srv->next_id;
	c->next = srv->conns;
	srv->conns = c;
	c->io = loop_io_add(cfd, LOOP_READ, rconn_io, c);
	if (c->io == NULL)
		rconn_free(c);
}

struct reqsrv *
reqsrv_new(int fd, const char *terminator, size_t max_request, reqsrv_fn *fn,
    void *arg)
{
	struct reqsrv *srv = calloc(1, sizeof(*srv));

	if (srv == NULL || (srv->term = strdup(terminator)) == NULL) {
		free(srv);
		return NULL;
	}
	srv->fd = fd;
	srv->max = max_request;
	srv->fn = fn;
	srv->arg = arg;
	srv->io = loop_io_add(fd, LOOP_READ, reqsrv_accept, srv);
	if (srv->io == NULL) {
		free(srv->term);
		free(srv);
		return NULL;
	}
	return srv;
}

int
reqsrv_answer(struct reqsrv *srv, uint64_t id, const char *text, size_t len)
{
	struct rconn *c;

	for (c = srv->conns; c; c = c->next)
		if (c->id == id && c->handed && c->out == NULL)
			break;
	if (c == NULL)
		return -1;
	if ((c->out = malloc(len ? len : 1)) == NULL) {
		rconn_free(c);
		return -1;
	}
	memcpy(c->out, text, len);
	c->outlen = len;
	loop_io_set(c->io, LOOP_WRITE);
	return 0;
}

void
reqsrv_free(struct reqsrv *srv)
{
	if (srv == NULL)
		return;
	while (srv->conns)
		rconn_free(srv->conns);
	loop_io_del(srv->io);
	close(srv->fd);
	free(srv->term);
	free(srv);
}
