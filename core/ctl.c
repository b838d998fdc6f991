/*
 * ctl: see ctl.h. The socket is a local admin interface: it is created
 * with mode 0600 in a directory we create with 0750, so only root (or the
 * daemon's user) can reload or read connection lists.
 */
#include "config.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/reqsrv.h"

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

static struct {
	struct ctl_cmd	 cmds[CTL_MAX_CMDS];
	size_t		 ncmds;
	struct reqsrv	*srv;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t	 current;
} C;

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

int
ctl_finish(uint64_t id, int rc, const char *text, size_t len)
{
	char *all = malloc(len + 3);
	int r;

	if (all == NULL || C.srv == NULL) {
		free(all);
		return -1;
	}
	all[0] = rc ? '1' : '0';
	all[1] = '\n';
	memcpy(all + 2, text, len);
	r = reqsrv_answer(C.srv, id, all, len + 2);
	free(all);
	return r;
}

/* One command line: run it and answer, or leave it to its handler. */
static void
ctl_request(uint64_t id, const char *req, size_t reqlen, void *arg)
{
	char *body = NULL, line[CTL_LINE_MAX], *args;
	size_t bodylen = 0;
	FILE *f = open_memstream(&body, &bodylen);
	int rc = 1;

	if (f == NULL)
		fatalx(LOG_MOD, "out of memory");
	snprintf(line, sizeof(line), "%s", req);
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
			C.current = id;
			rc = C.cmds[i].fn(args, f, C.cmds[i].arg);
			C.current = 0;
		}
	}
	fclose(f);
	log_debug(LOG_MOD, "command '%s' rc=%d", line, rc);
	if (rc != CTL_PENDING)
		ctl_finish(id, rc, body, bodylen);
	free(body);
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
	int fd;

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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old);
		log_warn(LOG_MOD, "bind %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (listen(fd, 16) != 0 ||
	    (C.srv = reqsrv_new(fd, "\n", CTL_LINE_MAX - 1, ctl_request,
	    NULL)) == NULL) {
		close(fd);
		return -1;
	}
	snprintf(C.path, sizeof(C.path), "%s", path);
	log_info(LOG_MOD, "control socket listening path=%s", path);
	return 0;
}

void
ctl_close(void)
{
	if (C.srv == NULL)
		return;
	reqsrv_free(C.srv);
	C.srv = NULL;
	unlink(C.path);
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
