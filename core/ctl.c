/*
 * ctl: see ctl.h. The socket is a local admin interface: it is created
 * with mode 0600 in a directory we create with 0750, so only root (or the
 * daemon's user) can reload or read connection lists.
 */
#include "config.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LOG_MOD "ctl"
#define CTL_MAX_CMDS	16
#define CTL_LINE_MAX	1024

struct ctl_cmd {
	const char	*name;
	ctl_handler_fn	*fn;
	void		*arg;
	const char	*help;
};

struct ctl_conn {
	uint64_t	 id;
	struct ctl_conn	*next;		/* every open connection, in C.conns */
	int		 pending;	/* the handler returned CTL_PENDING */
	int		 fd;
	struct loop_io	*io;
	char		 in[CTL_LINE_MAX];
	size_t		 inlen;
	char		*out;
	size_t		 outlen, outoff;
	int		 answered;
};

static struct {
	struct ctl_cmd	 cmds[CTL_MAX_CMDS];
	size_t		 ncmds;
	int		 fd;
	struct loop_io	*io;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t	 next_id, current;
	struct ctl_conn	*conns;
} C = { .fd = -1 };

uint64_t
ctl_current(void)
{
	return C.current;
}

int
ctl_register(const char *command, ctl_handler_fn *fn, void *arg,
    const char *help)
{
	for (size_t i = 0; i < C.ncmds; i++) {
		if (!strcmp(C.cmds[i].name, command)) {
			C.cmds[i].fn = fn;
			C.cmds[i].arg = arg;
			C.cmds[i].help = help;
			return 0;
		}
	}
	if (C.ncmds == CTL_MAX_CMDS)
		return -1;
	C.cmds[C.ncmds++] = (struct ctl_cmd){ command, fn, arg, help };
	return 0;
}

static void
ctl_conn_free(struct ctl_conn *c)
{
	for (struct ctl_conn **pp = &C.conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	loop_io_del(c->io);
	close(c->fd);
	free(c->out);
	free(c);
}

/* The whole answer: "0\n" or "1\n", then the text in two parts. */
static void
ctl_conn_set_answer(struct ctl_conn *c, int rc, const char *a, size_t alen,
    const char *b, size_t blen)
{
	c->out = malloc(alen + blen + 3);
	if (c->out == NULL)
		fatalx(LOG_MOD, "out of memory");
	c->outlen = (size_t)snprintf(c->out, 3, "%d\n", rc ? 1 : 0);
	if (alen)
		memcpy(c->out + c->outlen, a, alen);
	c->outlen += alen;
	if (blen)
		memcpy(c->out + c->outlen, b, blen);
	c->outlen += blen;
	c->answered = 1;
}

/* Run the command line and keep its whole answer for writing. */
static void
ctl_conn_answer(struct ctl_conn *c)
{
	char *body = NULL;
	size_t bodylen = 0;
	FILE *f = open_memstream(&body, &bodylen);
	char *args, *line = c->in;
	int rc = 1;

	if (f == NULL)
		fatalx(LOG_MOD, "out of memory");
	line[strcspn(line, "\r\n")] = '\0';
	args = line + strcspn(line, " ");
	if (*args)
		*args++ = '\0';
	if (!strcmp(line, "help")) {
		for (size_t i = 0; i < C.ncmds; i++)
			fprintf(f, "%-12s %s\n", C.cmds[i].name, C.cmds[i].help);
		rc = 0;
	} else {
		size_t i;
		for (i = 0; i < C.ncmds; i++)
			if (!strcmp(C.cmds[i].name, line))
				break;
		if (i == C.ncmds)
			fprintf(f, "unknown command '%s' (try: help)\n", line);
		else {
			C.current = c->id;
			rc = C.cmds[i].fn(args, f, C.cmds[i].arg);
			C.current = 0;
		}
	}
	fclose(f);
	log_debug(LOG_MOD, "command '%s' rc=%d", line, rc);
	if (rc == CTL_PENDING) {
		/* keep what was written; ctl_finish() appends the rest */
		c->out = body;
		c->outlen = bodylen;
		c->pending = 1;
		return;
	}
	ctl_conn_set_answer(c, rc, body, bodylen, NULL, 0);
	free(body);
}

int
ctl_finish(uint64_t id, int rc, const char *text, size_t len)
{
	struct ctl_conn *c;

	for (c = C.conns; c; c = c->next)
		if (c->id == id && c->pending)
			break;
	if (c == NULL)
		return -1;
	c->pending = 0;
	char *head = c->out;
	size_t headlen = c->outlen;
	c->out = NULL;
	ctl_conn_set_answer(c, rc, head, headlen, text, len);
	free(head);
	loop_io_set(c->io, LOOP_WRITE);
	return 0;
}

static void
ctl_conn_io(int fd, int events, void *arg)
{
	struct ctl_conn *c = arg;

	if (c->pending) {
		/* pending: the only event that matters is the client leaving */
		char tmp[64];
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			ctl_conn_free(c);
		return;
	}
	if (!c->answered && (events & LOOP_READ)) {
		ssize_t n = read(fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			ctl_conn_free(c);
			return;
		}
		c->inlen += (size_t)n;
		c->in[c->inlen] = '\0';
		if (strchr(c->in, '\n') == NULL) {
			if (c->inlen == sizeof(c->in) - 1)
				ctl_conn_free(c);	/* over-long line */
			return;
		}
		ctl_conn_answer(c);
		if (c->answered)
			loop_io_set(c->io, LOOP_WRITE);
		return;
	}
	if (c->answered && (events & (LOOP_WRITE | LOOP_ERROR))) {
		ssize_t n = write(fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0 || (c->outoff += (size_t)n) == c->outlen)
			ctl_conn_free(c);
	}
}

static void
ctl_accept(int fd, int events, void *arg)
{
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct ctl_conn *c;

	if (cfd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->id = ++C.next_id;
	c->next = C.conns;
	C.conns = c;
	c->io = loop_io_add(cfd, LOOP_READ, ctl_conn_io, c);
	if (c->io == NULL)
		ctl_conn_free(c);
}

/* mkdir -p of the socket's directory, 0750 for what we create. */
static void
ctl_mkdirs(const char *path)
{
	char dir[sizeof(C.path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0750);
			*p = '/';
		}
	}
	mkdir(dir, 0750);
}

int
ctl_listen(const char *path)
{
	struct sockaddr_un sun;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx(LOG_MOD, "control socket path too long: %s", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ctl_mkdirs(path);
	/* A live daemon on this socket is an error, a stale file is not. */
	if (ctl_client_call(path, "help", NULL, 500) == 0) {
		log_warnx(LOG_MOD, "another fedgated answers on %s", path);
		return -1;
	}
	unlink(path);
	C.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (C.fd < 0)
		return -1;
	old = umask(0077);
	if (bind(C.fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old);
		log_warn(LOG_MOD, "bind %s", path);
		close(C.fd);
		C.fd = -1;
		return -1;
	}
	umask(old);
	if (listen(C.fd, 16) != 0) {
		close(C.fd);
		C.fd = -1;
		return -1;
	}
	C.io = loop_io_add(C.fd, LOOP_READ, ctl_accept, NULL);
	snprintf(C.path, sizeof(C.path), "%s", path);
	log_info(LOG_MOD, "control socket listening path=%s", path);
	return 0;
}

void
ctl_close(void)
{
	while (C.conns)
		ctl_conn_free(C.conns);
	if (C.fd < 0)
		return;
	loop_io_del(C.io);
	close(C.fd);
	unlink(C.path);
	C.fd = -1;
	C.io = NULL;
}

/* Blocking client (fedgatectl): bounded by timeout_ms for each wait. */
int
ctl_client_call(const char *path, const char *command, FILE *out,
    int timeout_ms)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	char buf[4096];
	int fd, rc = -1, first = 1;
	size_t len = strlen(command);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    write(fd, command, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			break;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		char *p = buf;
		if (first) {
			rc = buf[0] == '0' ? 0 : 1;
			char *nl = memchr(buf, '\n', (size_t)n);
			if (nl == NULL)
				break;
			n -= nl + 1 - buf;
			p = nl + 1;
			first = 0;
		}
		if (out)
			fwrite(p, 1, (size_t)n, out);
	}
	close(fd);
	return rc;
}
