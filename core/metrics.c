/*
 * metrics: see metrics.h. The HTTP side is the smallest useful server:
 * read one request (bounded), answer the whole exposition, close. It binds
 * to [gateway] metrics_listen, 127.0.0.1 by default: the metrics say who
 * federates with whom, so they are not for the internet.
 */
#include "config.h"
#include "core/metrics.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/reqsrv.h"
#include "core/service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_MOD "metrics"
#define REQ_MAX 4096

struct metric {
	char		*name;
	char		*labels;
	char		*help;
	int		 gauge;
	uint64_t	 value;
	metric_gauge_fn	*fn;
	void		*arg;
};

static struct {
	struct metric	**v;
	size_t		  n, cap;
	struct reqsrv	 *srv;
} M;

static struct metric *
metric_add_new(const char *name, const char *labels, const char *help,
    int gauge)
{
	struct metric *m;

	for (size_t i = 0; i < M.n; i++)
		if (!strcmp(M.v[i]->name, name) &&
		    !strcmp(M.v[i]->labels, labels ? labels : ""))
			return M.v[i];
	if (M.n == M.cap) {
		size_t cap = M.cap ? M.cap * 2 : 32;
		struct metric **v = realloc(M.v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		M.v = v;
		M.cap = cap;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->name = strdup(name);
	m->labels = strdup(labels ? labels : "");
	m->help = strdup(help ? help : "");
	if (!m->name || !m->labels || !m->help) {
		free(m->name);
		free(m->labels);
		free(m->help);
		free(m);
		return NULL;
	}
	m->gauge = gauge;
	M.v[M.n++] = m;
	return m;
}

struct metric *
metric_counter(const char *name, const char *labels, const char *help)
{
	return metric_add_new(name, labels, help, 0);
}

struct metric *
metric_gauge(const char *name, const char *labels, const char *help,
    metric_gauge_fn *fn, void *arg)
{
	struct metric *m = metric_add_new(name, labels, help, 1);

	if (m) {
		m->fn = fn;
		m->arg = arg;
	}
	return m;
}

void
metric_inc(struct metric *m)
{
	if (m)
		m->value++;
}

void
metric_add(struct metric *m, uint64_t n)
{
	if (m)
		m->value += n;
}

uint64_t
metric_value(const struct metric *m)
{
	if (m == NULL)
		return 0;
	return m->fn ? m->fn(m->arg) : m->value;
}

static void
metric_line(FILE *out, const struct metric *m)
{
	if (m->labels[0])
		fprintf(out, "%s{%s} %llu\n", m->name, m->labels,
		    (unsigned long long)metric_value(m));
	else
		fprintf(out, "%s %llu\n", m->name,
		    (unsigned long long)metric_value(m));
}

void
metrics_write(FILE *out)
{
	for (size_t i = 0; i < M.n; i++) {
		const struct metric *m = M.v[i];
		int first = 1;
		/* HELP/TYPE once per name, before its first sample. */
		for (size_t j = 0; j < i; j++)
			if (!strcmp(M.v[j]->name, m->name))
				first = 0;
		if (first) {
			fprintf(out, "# HELP %s %s\n", m->name, m->help);
			fprintf(out, "# TYPE %s %s\n", m->name,
			    m->gauge ? "gauge" : "counter");
		}
		metric_line(out, m);
	}
}

void
metrics_write_short(FILE *out)
{
	for (size_t i = 0; i < M.n; i++)
		metric_line(out, M.v[i]);
}

/* ---- HTTP ------------------------------------------------------- */

/* One request: GET anything gives the whole exposition. */
static void
metrics_request(uint64_t id, const char *req, size_t reqlen, void *arg)
{
	char *body = NULL, *all = NULL;
	size_t len = 0, alllen = 0;
	FILE *f = open_memstream(&body, &len), *a;
	const char *status = "200 OK";

	if (f == NULL)
		fatalx(LOG_MOD, "out of memory");
	if (strncmp(req, "GET ", 4) != 0) {
		status = "405 Method Not Allowed";
		fprintf(f, "only GET\n");
	} else {
		metrics_write(f);
	}
	fclose(f);
	if ((a = open_memstream(&all, &alllen)) == NULL)
		fatalx(LOG_MOD, "out of memory");
	fprintf(a, "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, len);
	fwrite(body, 1, len, a);
	fclose(a);
	reqsrv_answer(M.srv, id, all, alllen);
	free(body);
	free(all);
}

static int
metrics_start(struct config *cfg)
{
	const struct hostport *hp = &cfg->metrics_listen;
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd;

	if (hp->host[0] == '\0')
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (hp->is_ipv6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(hp->port);
		if (inet_pton(AF_INET6, hp->host, &s6->sin6_addr) != 1)
			goto notip;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(hp->port);
		if (inet_pton(AF_INET, hp->host, &s4->sin_addr) != 1)
			goto notip;
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 16) != 0 ||
	    (M.srv = reqsrv_new(fd, "\r\n\r\n", REQ_MAX, metrics_request,
	    NULL)) == NULL) {
		log_warn(LOG_MOD, "cannot listen on %s:%u", hp->host, hp->port);
		close(fd);
		return -1;
	}
	log_info(LOG_MOD, "metrics listening addr=%s port=%u", hp->host, hp->port);
	return 0;
notip:
	log_error(LOG_MOD, "[gateway] metrics_listen must be an IP address, "
	    "not '%s'", hp->host);
	return -1;
}

static void
metrics_stop(void)
{
	reqsrv_free(M.srv);
	M.srv = NULL;
}

/* After every service has stopped: handles held elsewhere die here. */
void
metrics_free_all(void)
{
	metrics_stop();
	for (size_t i = 0; i < M.n; i++) {
		free(M.v[i]->name);
		free(M.v[i]->labels);
		free(M.v[i]->help);
		free(M.v[i]);
	}
	free(M.v);
	M.v = NULL;
	M.n = M.cap = 0;
}

static void
metrics_stats(FILE *out)
{
	metrics_write_short(out);
}

const struct service metrics_service = {
	.name = "metrics",
	.start = metrics_start,
	.stop = metrics_stop,
	.shutdown = metrics_stop,
	.stats = metrics_stats,
};
