/*
 * dns: c-ares on the main loop. See dns.h for the contract.
 *
 * Layout: requests live in an id table until their result is delivered
 * (or they are cancelled); c-ares holds a pointer to a request only while
 * the query is in flight, and a cancelled request is freed when c-ares lets
 * go of it, never before. Every result, from the cache or from the wire,
 * goes through the ready list and is delivered at the end of the loop turn
 * (loop_call_later), so no user callback ever runs inside c-ares or inside
 * dns_query_*().
 *
 * Identical questions asked while one is in flight wait on it (one query
 * for a burst of lookups of one domain) and get a copy of its answer.
 *
 * A reload makes a new channel (new servers, /etc/resolv.conf re-read) and
 * flushes the cache; the old channel finishes the queries it holds, with
 * the servers they began with, and is destroyed once it is idle.
 */
#include "config.h"
#include "core/dns.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/service.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>

#include <ares.h>
#include <arpa/nameser.h>

#define LOG_MOD		"dns"
#define ID_BUCKETS	256
#define CACHE_BUCKETS	512

enum qtype { Q_SRV, Q_ADDR };
static const char *const qtype_names[] = { "srv", "addr" };

struct dns_chan;

struct dns_req {
	uint64_t	 id;
	enum qtype	 type;
	char		 name[256];	/* lower case */
	dns_cb		*cb;
	void		*arg;
	int		 cancelled;	/* no callback; free when c-ares lets go */
	int		 in_cares;	/* c-ares holds a pointer to it */
	struct dns_chan	*chan;
	/* the result, filled before it goes on the ready list */
	enum dns_status	 status;
	char		 error[192];
	size_t		 n;
	struct dns_srv	*srv;
	struct sockaddr_storage *addr;
	int		 cached;
	struct dns_req	*hnext;		/* id table chain */
	struct dns_req	*rnext;		/* ready list */
	struct dns_req	*inext;		/* in-flight table (leaders only) */
	struct dns_req	*followers;	/* same question, waiting on this one */
	struct dns_req	*fnext;
};

struct cache_ent {
	struct cache_ent *next;
	enum qtype	 type;
	char		 name[256];
	enum dns_status	 status;	/* OK, NOT_FOUND or NO_SERVICE */
	uint64_t	 expires_ms;
	size_t		 n;
	struct dns_srv	*srv;
	struct sockaddr_storage *addr;
};

struct dns_sock {
	int		 fd;
	struct loop_io	*io;
};

struct dns_chan {
	ares_channel	 ch;
	struct loop_timer *timer;
	struct dns_sock	*socks;
	size_t		 nsocks, capsocks;
	int		 nq;		/* requests in flight on it */
	int		 draining;	/* replaced by a reload */
	int		 destroying;	/* inside ares_destroy */
	int		 destroy_scheduled;
	char		 servers[512];	/* "" = system configuration */
	struct dns_chan	*next;		/* draining list */
};

static struct {
	int		 lib_init;
	struct dns_chan	*chan;		/* current */
	struct dns_chan	*draining;
	const struct dns_ops *ops;	/* NULL = c-ares */
	uint64_t	 next_id;
	struct dns_req	*ids[ID_BUCKETS];
	size_t		 npending;
	struct dns_req	*ready, **ready_tail;
	int		 flush_scheduled;
	struct cache_ent *cache[CACHE_BUCKETS];
	struct dns_req	*inflight[CACHE_BUCKETS];	/* by question */
	size_t		 ncache;
	uint64_t	 rng;
	/* metrics, registered by the service start (NULL = not counted) */
	struct metric	*m_queries, *m_cache_hits, *m_timeouts, *m_errors;
} D;

/* ------------------------------------------------------------------ */
/* Random numbers and RFC 2782 order.                                 */

uint32_t
dns_random(void)
{
	uint64_t x;

	if (D.rng == 0) {
		if (getrandom(&D.rng, sizeof(D.rng), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(D.rng))
			D.rng = (uint64_t)loop_now_ms_fresh() * 0x9e3779b97f4a7c15ULL;
		D.rng |= 1;
	}
	/* xorshift64*: plenty for load spreading, not for secrets. */
	x = D.rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	D.rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

static uint32_t
default_rnd(void *arg)
{
	return dns_random();
}

/* Stable sort by priority: answers are small, insertion sort is enough. */
static void
srv_sort_priority(struct dns_srv *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct dns_srv t = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1].priority > t.priority) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = t;
	}
}

/* Move v[from] to v[to] (to <= from), shifting the ones between up. */
static void
srv_rotate(struct dns_srv *v, size_t to, size_t from)
{
	struct dns_srv t = v[from];

	memmove(&v[to + 1], &v[to], (from - to) * sizeof(*v));
	v[to] = t;
}

/* RFC 2782 "Usage rules" selection within one priority: v[0..n). */
static void
srv_order_group(struct dns_srv *v, size_t n, uint32_t (*rnd)(void *),
    void *arg)
{
	size_t zeros = 0;

	/* weight-0 records at the beginning of the unordered part */
	for (size_t i = 0; i < n; i++)
		if (v[i].weight == 0)
			srv_rotate(v, zeros++, i);
	for (size_t k = 0; k + 1 < n; k++) {
		uint64_t sum = 0, run = 0, r;
		size_t m;

		for (size_t i = k; i < n; i++)
			sum += v[i].weight;
		r = sum ? rnd(arg) % (sum + 1) : 0;
		for (m = k; m < n; m++) {
			run += v[m].weight;
			if (run >= r)
				break;
		}
		if (m == n)
			m = n - 1;
		srv_rotate(v, k, m);
	}
}

void
dns_srv_order(struct dns_srv *v, size_t n, uint32_t (*rnd)(void *),
    void *rnd_arg)
{
	size_t i = 0;

	if (rnd == NULL)
		rnd = default_rnd;
	srv_sort_priority(v, n);
	while (i < n) {
		size_t j = i + 1;
		while (j < n && v[j].priority == v[i].priority)
			j++;
		srv_order_group(v + i, j - i, rnd, rnd_arg);
		i = j;
	}
}

const char *
dns_status_name(enum dns_status st)
{
	switch (st) {
	case DNS_OK: return "ok";
	case DNS_NOT_FOUND: return "not-found";
	case DNS_NO_SERVICE: return "no-service";
	case DNS_TIMEOUT: return "timeout";
	case DNS_ERROR: return "error";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* Request table.                                                     */

static struct dns_req **
req_slot(uint64_t id)
{
	struct dns_req **pp = &D.ids[id % ID_BUCKETS];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->hnext;
	return pp;
}

static void
req_unlink(struct dns_req *r)
{
	struct dns_req **pp = req_slot(r->id);

	if (*pp == r) {
		*pp = r->hnext;
		r->hnext = NULL;
		D.npending--;
	}
}

static void
req_free(struct dns_req *r)
{
	free(r->srv);
	free(r->addr);
	free(r);
}

static void dns_flush_ready(void *arg);

/* Queue a request whose result is filled for delivery at end of turn. */
static void
req_ready(struct dns_req *r)
{
	r->rnext = NULL;
	if (D.ready == NULL)
		D.ready_tail = &D.ready;
	*D.ready_tail = r;
	D.ready_tail = &r->rnext;
	if (!D.flush_scheduled && loop_call_later(dns_flush_ready, NULL) == 0)
		D.flush_scheduled = 1;
}

static void
req_set_error(struct dns_req *r, enum dns_status st, const char *fmt, ...)
    FG_PRINTF(3, 4);

static void
req_set_error(struct dns_req *r, enum dns_status st, const char *fmt, ...)
{
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	if (st == DNS_TIMEOUT)
		metric_inc(D.m_timeouts);
	else if (st == DNS_ERROR)
		metric_inc(D.m_errors);
}

/*
 * Deliver every ready result. The list is taken first: callbacks may
 * start new queries (served from the cache, they queue to a new list and
 * a new flush) or cancel any request.
 */
static void
dns_flush_ready(void *arg)
{
	struct dns_req *list = D.ready, *r;

	D.ready = NULL;
	D.flush_scheduled = 0;
	while ((r = list) != NULL) {
		list = r->rnext;
		if (!r->cancelled) {
			struct dns_result res = {
				.status = r->status,
				.error = r->status == DNS_OK ? NULL : r->error,
				.cached = r->cached,
			};
			req_unlink(r);
			if (r->type == Q_SRV) {
				dns_srv_order(r->srv, r->n, NULL, NULL);
				res.nsrv = r->n;
				res.srv = r->srv;
			} else {
				res.naddr = r->n;
				res.addr = r->addr;
			}
			log_debug(LOG_MOD, "answer id=%llu %s name=%s status=%s "
			    "n=%zu%s", (unsigned long long)r->id,
			    qtype_names[r->type], r->name,
			    dns_status_name(r->status), r->n,
			    r->cached ? " cached=yes" : "");
			r->cb(r->id, &res, r->arg);
		}
		req_free(r);
	}
}

/* ------------------------------------------------------------------ */
/* Cache.                                                             */

static unsigned
cache_hash(enum qtype t, const char *name)
{
	unsigned h = 2166136261u ^ (unsigned)t;

	for (const char *c = name; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	return h % CACHE_BUCKETS;
}

static void
cache_ent_free(struct cache_ent *e)
{
	free(e->srv);
	free(e->addr);
	free(e);
}

/* Drop expired entries everywhere (when the cache is full). */
static void
cache_purge(uint64_t now)
{
	for (size_t b = 0; b < CACHE_BUCKETS; b++) {
		struct cache_ent **pp = &D.cache[b];
		while (*pp) {
			struct cache_ent *e = *pp;
			if (e->expires_ms <= now) {
				*pp = e->next;
				cache_ent_free(e);
				D.ncache--;
			} else
				pp = &e->next;
		}
	}
}

static void
cache_flush(void)
{
	cache_purge(UINT64_MAX);
}

static void *
dup_array(const void *p, size_t n, size_t size)
{
	void *c;

	if (n == 0 || p == NULL)
		return NULL;
	c = malloc(n * size);
	if (c == NULL)
		fatalx(LOG_MOD, "out of memory");
	memcpy(c, p, n * size);
	return c;
}

/* Copy a fresh entry's answer into r. Returns 1 on a hit. */
static int
cache_get(struct dns_req *r)
{
	unsigned b = cache_hash(r->type, r->name);
	uint64_t now = loop_now_ms_fresh();

	for (struct cache_ent **pp = &D.cache[b]; *pp; pp = &(*pp)->next) {
		struct cache_ent *e = *pp;
		if (e->type != r->type || strcmp(e->name, r->name))
			continue;
		if (e->expires_ms <= now) {
			*pp = e->next;
			cache_ent_free(e);
			D.ncache--;
			return 0;
		}
		r->status = e->status;
		r->n = e->n;
		r->srv = dup_array(e->srv, e->n, sizeof(*e->srv));
		r->addr = dup_array(e->addr, e->n, sizeof(*e->addr));
		if (e->status == DNS_NOT_FOUND)
			snprintf(r->error, sizeof(r->error), "no %s record "
			    "(cached negative answer)", r->type == Q_SRV ?
			    "SRV" : "A or AAAA");
		else if (e->status == DNS_NO_SERVICE)
			snprintf(r->error, sizeof(r->error), "SRV target \".\": "
			    "the domain offers no such service (cached)");
		r->cached = 1;
		return 1;
	}
	return 0;
}

/* Remember r's (final, cacheable) answer for ttl seconds. */
static void
cache_put(const struct dns_req *r, uint32_t ttl)
{
	struct cache_ent *e;
	uint64_t now = loop_now_ms_fresh();
	unsigned b;

	if (ttl == 0 || (r->status != DNS_OK && r->status != DNS_NOT_FOUND &&
	    r->status != DNS_NO_SERVICE))
		return;
	if (ttl > DNS_MAX_TTL_S)
		ttl = DNS_MAX_TTL_S;
	if (D.ncache >= DNS_CACHE_MAX)
		cache_purge(now);
	if (D.ncache >= DNS_CACHE_MAX)
		return;		/* full of live entries: just do not cache */
	b = cache_hash(r->type, r->name);
	for (struct cache_ent **pp = &D.cache[b]; *pp; pp = &(*pp)->next) {
		if ((*pp)->type == r->type && !strcmp((*pp)->name, r->name)) {
			e = *pp;
			*pp = e->next;
			cache_ent_free(e);
			D.ncache--;
			break;
		}
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		fatalx(LOG_MOD, "out of memory");
	e->type = r->type;
	memcpy(e->name, r->name, sizeof(e->name));
	e->status = r->status;
	e->expires_ms = now + (uint64_t)ttl * 1000;
	e->n = r->n;
	e->srv = dup_array(r->srv, r->n, sizeof(*r->srv));
	e->addr = dup_array(r->addr, r->n, sizeof(*r->addr));
	e->next = D.cache[b];
	D.cache[b] = e;
	D.ncache++;
}

/* ------------------------------------------------------------------ */
/* c-ares channels on the loop.                                       */

static void chan_arm(struct dns_chan *c);

static void
chan_io(int fd, int events, void *arg)
{
	struct dns_chan *c = arg;

	ares_process_fd(c->ch,
	    (events & (LOOP_READ | LOOP_ERROR)) ? fd : ARES_SOCKET_BAD,
	    (events & LOOP_WRITE) ? fd : ARES_SOCKET_BAD);
	chan_arm(c);
}

static void
chan_timeout(void *arg)
{
	struct dns_chan *c = arg;

	ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	chan_arm(c);
}

/* Re-arm the timer to c-ares's next deadline (retries, timeouts). */
static void
chan_arm(struct dns_chan *c)
{
	struct timeval tv, *tvp;

	if (c->destroying)
		return;
	tvp = ares_timeout(c->ch, NULL, &tv);
	if (tvp == NULL) {
		loop_timer_stop(c->timer);
		return;
	}
	loop_timer_set(c->timer, (uint64_t)tvp->tv_sec * 1000 +
	    ((uint64_t)tvp->tv_usec + 999) / 1000);
}

/* c-ares opens, watches and closes its sockets: mirror that on the loop. */
static void
chan_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_chan *c = data;
	int events = (readable ? LOOP_READ : 0) | (writable ? LOOP_WRITE : 0);
	size_t i;

	for (i = 0; i < c->nsocks; i++)
		if (c->socks[i].fd == fd)
			break;
	if (events == 0) {
		if (i < c->nsocks) {
			loop_io_del(c->socks[i].io);
			c->socks[i] = c->socks[--c->nsocks];
		}
		return;
	}
	if (i < c->nsocks) {
		loop_io_set(c->socks[i].io, events);
		return;
	}
	if (c->nsocks == c->capsocks) {
		size_t cap = c->capsocks ? c->capsocks * 2 : 4;
		struct dns_sock *s = realloc(c->socks, cap * sizeof(*s));
		if (s == NULL)
			fatalx(LOG_MOD, "out of memory");
		c->socks = s;
		c->capsocks = cap;
	}
	c->socks[c->nsocks].fd = fd;
	c->socks[c->nsocks].io = loop_io_add(fd, events, chan_io, c);
	if (c->socks[c->nsocks].io == NULL)
		fatalx(LOG_MOD, "cannot watch DNS socket fd=%d", fd);
	c->nsocks++;
}

/* "host[:port],..." from [gateway] dns_servers; "" = system config. */
static void
servers_csv(const struct config *cfg, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; cfg && i < cfg->dns_servers.n; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? "," : "",
		    cfg->dns_servers.v[i]);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
}

static struct dns_chan *
chan_new(const char *servers)
{
	struct dns_chan *c = calloc(1, sizeof(*c));
	struct ares_options o;
	int rc;

	if (c == NULL)
		fatalx(LOG_MOD, "out of memory");
	memset(&o, 0, sizeof(o));
	/*
	 * Federation names are FQDNs: no search list (NOSEARCH alone does
	 * not stop ares_getaddrinfo from appending it, an empty list does).
	 */
	o.flags = ARES_FLAG_NOSEARCH;
	o.domains = NULL;
	o.ndomains = 0;
	o.timeout = DNS_TIMEOUT_MS;
	o.tries = DNS_TRIES;
	o.sock_state_cb = chan_sock_state;
	o.sock_state_cb_data = c;
	rc = ares_init_options(&c->ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_DOMAINS);
	if (rc != ARES_SUCCESS) {
		log_error(LOG_MOD, "cannot start the resolver: %s",
		    ares_strerror(rc));
		free(c);
		return NULL;
	}
	if (servers[0] && (rc = ares_set_servers_ports_csv(c->ch, servers))
	    != ARES_SUCCESS) {
		log_error(LOG_MOD, "[gateway] dns_servers '%s': %s (IP addresses "
		    "with an optional :port are expected)", servers,
		    ares_strerror(rc));
		ares_destroy(c->ch);
		free(c);
		return NULL;
	}
	snprintf(c->servers, sizeof(c->servers), "%s", servers);
	c->timer = loop_timer_new(chan_timeout, c);
	if (c->timer == NULL)
		fatalx(LOG_MOD, "out of memory");
	return c;
}

static void
chan_destroy(struct dns_chan *c)
{
	c->destroying = 1;
	ares_destroy(c->ch);	/* in-flight requests come back cancelled */
	for (size_t i = 0; i < c->nsocks; i++)
		loop_io_del(c->socks[i].io);
	free(c->socks);
	loop_timer_free(c->timer);
	free(c);
}

/* Destroy drained channels, from the end of a loop turn. */
static void
chan_reap(void *arg)
{
	struct dns_chan **pp = &D.draining;

	while (*pp) {
		struct dns_chan *c = *pp;
		if (c->nq == 0) {
			*pp = c->next;
			chan_destroy(c);
		} else {
			c->destroy_scheduled = 0;
			pp = &c->next;
		}
	}
}

/* A request leaves c-ares: account for it on its channel. */
static void
chan_release(struct dns_chan *c)
{
	c->nq--;
	if (c->draining && c->nq == 0 && !c->destroy_scheduled &&
	    !c->destroying && loop_call_later(chan_reap, NULL) == 0)
		c->destroy_scheduled = 1;
}

/* ------------------------------------------------------------------ */
/* Answers.                                                           */

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Skip a (possibly compressed) name at p; NULL when malformed. */
static const unsigned char *
skip_name(const unsigned char *p, const unsigned char *abuf, int alen)
{
	char *name;
	long enclen;

	if (ares_expand_name(p, abuf, alen, &name, &enclen) != ARES_SUCCESS)
		return NULL;
	ares_free_string(name);
	return p + enclen;
}

struct srv_parse {
	struct dns_srv	srv[DNS_MAX_RECORDS];
	size_t		n;
	int		roots;		/* records with target "." */
	uint32_t	ttl;		/* smallest TTL seen in the answer */
	uint32_t	neg_ttl;	/* from an SOA in authority; 0 = none */
};

/* One SRV RR's data at p (rdlen bytes). */
static int
parse_srv_rdata(const unsigned char *p, uint16_t rdlen,
    const unsigned char *abuf, int alen, struct srv_parse *sp)
{
	char *target;
	long enclen;
	struct dns_srv *s;

	if (rdlen < 7)
		return -1;
	if (ares_expand_name(p + 6, abuf, alen, &target, &enclen) != ARES_SUCCESS)
		return -1;
	if (target[0] == '\0' || !strcmp(target, ".")) {
		sp->roots++;
	} else if (sp->n < DNS_MAX_RECORDS) {
		s = &sp->srv[sp->n++];
		s->priority = get16(p);
		s->weight = get16(p + 2);
		s->port = get16(p + 4);
		snprintf(s->target, sizeof(s->target), "%s", target);
		for (char *c = s->target; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		size_t l = strlen(s->target);
		if (l > 1 && s->target[l - 1] == '.')
			s->target[l - 1] = '\0';
	}
	ares_free_string(target);
	return 0;
}

/*
 * Walk an answer packet: SRV records (and the smallest TTL) from the
 * answer section, the SOA minimum from the authority section (RFC 2308
 * negative caching). c-ares's own SRV parser drops the TTLs.
 */
static int
parse_srv_packet(const unsigned char *abuf, int alen, struct srv_parse *sp)
{
	const unsigned char *p = abuf + HFIXEDSZ, *end = abuf + alen;
	unsigned qd, an, ns;

	memset(sp, 0, sizeof(*sp));
	sp->ttl = UINT32_MAX;
	if (alen < HFIXEDSZ)
		return -1;
	qd = get16(abuf + 4);
	an = get16(abuf + 6);
	ns = get16(abuf + 8);
	for (unsigned i = 0; i < qd; i++) {
		if ((p = skip_name(p, abuf, alen)) == NULL || p + 4 > end)
			return -1;
		p += 4;
	}
	for (unsigned i = 0; i < an + ns; i++) {
		uint16_t type, rdlen;
		uint32_t ttl;

		if ((p = skip_name(p, abuf, alen)) == NULL || p + 10 > end)
			return -1;
		type = get16(p);
		ttl = get32(p + 4) & 0x7fffffff;
		rdlen = get16(p + 8);
		p += 10;
		if (p + rdlen > end)
			return -1;
		if (i < an) {
			if (ttl < sp->ttl)
				sp->ttl = ttl;
			if (type == T_SRV && parse_srv_rdata(p, rdlen, abuf, alen,
			    sp) != 0)
				return -1;
		} else if (type == T_SOA) {
			const unsigned char *q = skip_name(p, abuf, alen);
			if (q)
				q = skip_name(q, abuf, alen);
			if (q && q + 20 <= p + rdlen) {
				uint32_t min = get32(q + 16);
				sp->neg_ttl = min < ttl ? min : ttl;
			}
		}
		p += rdlen;
	}
	if (sp->ttl == UINT32_MAX)
		sp->ttl = 0;
	return 0;
}

/* Map a failed c-ares status to ours, with a readable reason. */
static void
req_fail(struct dns_req *r, int st)
{
	const char *what = r->type == Q_SRV ? "SRV" : "A or AAAA";

	switch (st) {
	case ARES_ENODATA:
		req_set_error(r, DNS_NOT_FOUND, "no %s record", what);
		break;
	case ARES_ENOTFOUND:
		req_set_error(r, DNS_NOT_FOUND, "no such name (NXDOMAIN) or no "
		    "%s record", what);
		break;
	case ARES_ETIMEOUT:
		req_set_error(r, DNS_TIMEOUT, "no answer from the DNS server "
		    "within %d s (%d tries)", (DNS_TIMEOUT_MS * ((1 << DNS_TRIES)
		    - 1) + 999) / 1000, DNS_TRIES);
		break;
	case ARES_ESERVFAIL:
		req_set_error(r, DNS_ERROR, "DNS server failure (SERVFAIL)");
		break;
	case ARES_EREFUSED:
		req_set_error(r, DNS_ERROR, "query refused by the DNS server");
		break;
	case ARES_ECONNREFUSED:
		req_set_error(r, DNS_ERROR, "cannot reach the DNS server "
		    "(connection refused)");
		break;
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		req_set_error(r, DNS_ERROR, "resolver shut down");
		break;
	default:
		req_set_error(r, DNS_ERROR, "%s", ares_strerror(st));
		break;
	}
}

/* The same question on the current channel, already asked. */
static struct dns_req *
inflight_find(enum qtype type, const char *name)
{
	for (struct dns_req *l = D.inflight[cache_hash(type, name)]; l;
	    l = l->inext)
		if (l->type == type && l->chan == D.chan && !strcmp(l->name, name))
			return l;
	return NULL;
}

static void
inflight_remove(struct dns_req *r)
{
	struct dns_req **pp = &D.inflight[cache_hash(r->type, r->name)];

	while (*pp && *pp != r)
		pp = &(*pp)->inext;
	if (*pp)
		*pp = r->inext;
	r->inext = NULL;
}

/* A follower gets a copy of its leader's result. */
static void
req_copy_result(struct dns_req *f, const struct dns_req *l)
{
	f->status = l->status;
	memcpy(f->error, l->error, sizeof(f->error));
	f->n = l->n;
	f->srv = dup_array(l->srv, l->n, sizeof(*l->srv));
	f->addr = dup_array(l->addr, l->n, sizeof(*l->addr));
}

/*
 * c-ares is done with r: cache the answer, hand it to the requests that
 * waited on the same question, and deliver (or free, if cancelled) each.
 * A cancelled leader still serves its followers.
 */
static void
req_from_cares(struct dns_req *r, uint32_t ttl)
{
	struct dns_req *f;

	r->in_cares = 0;
	inflight_remove(r);
	if (r->chan)
		chan_release(r->chan);
	r->chan = NULL;
	if (ttl != UINT32_MAX)
		cache_put(r, ttl);
	while ((f = r->followers) != NULL) {
		r->followers = f->fnext;
		req_copy_result(f, r);
		if (f->cancelled)
			req_free(f);
		else
			req_ready(f);
	}
	if (r->cancelled)
		req_free(r);
	else
		req_ready(r);
}

static void
srv_answer(void *arg, int st, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_req *r = arg;
	struct srv_parse sp;
	uint32_t ttl = UINT32_MAX;

	if (st != ARES_SUCCESS && st != ARES_ENODATA && st != ARES_ENOTFOUND) {
		req_fail(r, st);
	} else if (abuf == NULL || parse_srv_packet(abuf, alen, &sp) != 0) {
		if (st == ARES_SUCCESS)
			req_set_error(r, DNS_ERROR, "malformed SRV answer");
		else {
			req_fail(r, st);
			ttl = DNS_NEG_TTL_S;
		}
	} else if (sp.n > 0) {
		r->status = DNS_OK;
		r->n = sp.n;
		r->srv = dup_array(sp.srv, sp.n, sizeof(sp.srv[0]));
		ttl = sp.ttl;
	} else if (sp.roots > 0) {
		req_set_error(r, DNS_NO_SERVICE, "SRV target \".\": the domain "
		    "offers no such service");
		ttl = sp.ttl;
	} else {
		req_fail(r, st == ARES_SUCCESS ? ARES_ENODATA : st);
		ttl = sp.neg_ttl ? sp.neg_ttl : DNS_NEG_TTL_S;
	}
	req_from_cares(r, ttl);
}

static void
addr_answer(void *arg, int st, int timeouts, struct ares_addrinfo *ai)
{
	struct dns_req *r = arg;
	uint32_t ttl = UINT32_MAX;

	if (st == ARES_SUCCESS && ai) {
		struct sockaddr_storage v[DNS_MAX_RECORDS];
		size_t n = 0;
		ttl = DNS_MAX_TTL_S;
		for (struct ares_addrinfo_node *a = ai->nodes; a; a = a->ai_next) {
			if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
			    a->ai_addrlen > sizeof(v[0]) || n == DNS_MAX_RECORDS)
				continue;
			memset(&v[n], 0, sizeof(v[n]));
			memcpy(&v[n], a->ai_addr, a->ai_addrlen);
			n++;
			if (a->ai_ttl >= 0 && (uint32_t)a->ai_ttl < ttl)
				ttl = (uint32_t)a->ai_ttl;
		}
		for (struct ares_addrinfo_cname *cn = ai->cnames; cn; cn = cn->next)
			if (cn->ttl >= 0 && (uint32_t)cn->ttl < ttl)
				ttl = (uint32_t)cn->ttl;
		if (n > 0) {
			r->status = DNS_OK;
			r->n = n;
			r->addr = dup_array(v, n, sizeof(v[0]));
		} else {
			req_fail(r, ARES_ENODATA);
			ttl = DNS_NEG_TTL_S;
		}
	} else {
		req_fail(r, st);
		if (r->status == DNS_NOT_FOUND)
			ttl = DNS_NEG_TTL_S;
	}
	if (ai)
		ares_freeaddrinfo(ai);
	req_from_cares(r, ttl);
}

/* ------------------------------------------------------------------ */
/* Queries.                                                           */

static struct dns_req *
req_new(enum qtype type, const char *name, dns_cb *cb, void *arg)
{
	struct dns_req *r = calloc(1, sizeof(*r));
	size_t i;

	if (r == NULL)
		fatalx(LOG_MOD, "out of memory");
	r->id = ++D.next_id;
	r->type = type;
	r->cb = cb;
	r->arg = arg;
	for (i = 0; name[i] && i < sizeof(r->name) - 1; i++)
		r->name[i] = (char)tolower((unsigned char)name[i]);
	r->name[i] = '\0';
	if (i > 1 && r->name[i - 1] == '.')
		r->name[i - 1] = '\0';
	r->hnext = D.ids[r->id % ID_BUCKETS];
	D.ids[r->id % ID_BUCKETS] = r;
	D.npending++;
	metric_inc(D.m_queries);
	return r;
}

/* Start r: the cache, a bad name, or c-ares. */
static void
req_start(struct dns_req *r, size_t namelen)
{
	if (namelen == 0 || namelen > 253) {
		req_set_error(r, DNS_ERROR, "not a valid DNS name (%zu "
		    "characters)", namelen);
		req_ready(r);
		return;
	}
	if (cache_get(r)) {
		metric_inc(D.m_cache_hits);
		req_ready(r);
		return;
	}
	struct dns_req *l = inflight_find(r->type, r->name);
	if (l) {	/* a burst of lookups for one domain: one query */
		r->fnext = l->followers;
		l->followers = r;
		log_debug(LOG_MOD, "query id=%llu %s name=%s waits on id=%llu",
		    (unsigned long long)r->id, qtype_names[r->type], r->name,
		    (unsigned long long)l->id);
		return;
	}
	log_debug(LOG_MOD, "query id=%llu %s name=%s",
	    (unsigned long long)r->id, qtype_names[r->type], r->name);
	r->in_cares = 1;
	r->chan = D.chan;
	D.chan->nq++;
	r->inext = D.inflight[cache_hash(r->type, r->name)];
	D.inflight[cache_hash(r->type, r->name)] = r;
	if (r->type == Q_SRV) {
		ares_query(D.chan->ch, r->name, C_IN, T_SRV, srv_answer, r);
	} else {
		struct ares_addrinfo_hints h;
		memset(&h, 0, sizeof(h));
		h.ai_family = AF_UNSPEC;
		h.ai_socktype = SOCK_STREAM;
		ares_getaddrinfo(D.chan->ch, r->name, NULL, &h, addr_answer, r);
	}
	chan_arm(D.chan);
}

static uint64_t
query(enum qtype type, const char *name, dns_cb *cb, void *arg)
{
	struct dns_req *r;
	uint64_t id;

	if (D.chan == NULL) {
		log_warnx(LOG_MOD, "query for %s before the resolver started",
		    name);
		return 0;
	}
	r = req_new(type, name, cb, arg);
	id = r->id;
	req_start(r, strlen(name));	/* r may be freed from here on */
	return id;
}

uint64_t
dns_query_srv(const char *name, dns_cb *cb, void *arg)
{
	if (D.ops)
		return D.ops->query_srv(name, cb, arg);
	return query(Q_SRV, name, cb, arg);
}

uint64_t
dns_query_addr(const char *name, dns_cb *cb, void *arg)
{
	if (D.ops)
		return D.ops->query_addr(name, cb, arg);
	return query(Q_ADDR, name, cb, arg);
}

/*
 * Forget a request: its callback will not run. The structure itself is
 * freed by whoever holds it last: c-ares (on its callback) or the ready
 * list (on the flush).
 */
void
dns_cancel(uint64_t id)
{
	struct dns_req *r;

	if (D.ops) {
		D.ops->cancel(id);
		return;
	}
	if (id == 0 || (r = *req_slot(id)) == NULL)
		return;
	req_unlink(r);
	r->cancelled = 1;
	log_debug(LOG_MOD, "cancel id=%llu", (unsigned long long)id);
}

void
dns_set_ops(const struct dns_ops *ops)
{
	D.ops = ops;
}

/* ------------------------------------------------------------------ */
/* Life cycle.                                                        */

int
dns_init(const struct config *cfg)
{
	char servers[512];
	int rc;

	if (!D.lib_init) {
		if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
			log_error(LOG_MOD, "c-ares: %s", ares_strerror(rc));
			return -1;
		}
		D.lib_init = 1;
	}
	if (D.chan) {
		dns_reload(cfg);
		return 0;
	}
	servers_csv(cfg, servers, sizeof(servers));
	D.chan = chan_new(servers);
	if (D.chan == NULL)
		return -1;
	log_info(LOG_MOD, "resolver started servers=%s",
	    servers[0] ? servers : "system");
	return 0;
}

/*
 * New servers (or a re-read /etc/resolv.conf) and an empty cache: the
 * admin who reloads after fixing DNS expects the new answers at once.
 */
void
dns_reload(const struct config *cfg)
{
	char servers[512];
	struct dns_chan *c, *old = D.chan;

	if (old == NULL)
		return;
	servers_csv(cfg, servers, sizeof(servers));
	c = chan_new(servers);
	if (c == NULL) {
		log_warnx(LOG_MOD, "keeping the previous DNS servers");
		return;
	}
	cache_flush();
	D.chan = c;
	if (old->nq == 0)
		chan_destroy(old);
	else {
		old->draining = 1;
		old->next = D.draining;
		D.draining = old;
	}
	log_info(LOG_MOD, "resolver reloaded servers=%s cache=flushed",
	    servers[0] ? servers : "system");
}

void
dns_shutdown(void)
{
	struct dns_req *r;

	/* The metrics service (stopped before us) has freed the handles. */
	D.m_queries = D.m_cache_hits = D.m_timeouts = D.m_errors = NULL;
	/* Pending requests are dropped with their callers. */
	for (size_t b = 0; b < ID_BUCKETS; b++)
		while ((r = D.ids[b]) != NULL) {
			req_unlink(r);
			r->cancelled = 1;
		}
	while (D.draining) {
		struct dns_chan *c = D.draining;
		D.draining = c->next;
		chan_destroy(c);
	}
	if (D.chan)
		chan_destroy(D.chan);
	D.chan = NULL;
	while ((r = D.ready) != NULL) {
		D.ready = r->rnext;
		req_free(r);
	}
	cache_flush();
	if (D.lib_init)
		ares_library_cleanup();
	D.lib_init = 0;
}

void
dns_status_print(FILE *out)
{
	fprintf(out, "dns: %s servers=%s pending=%zu cached=%zu\n",
	    D.chan ? "Active" : "Inactive",
	    D.chan && D.chan->servers[0] ? D.chan->servers : "system",
	    D.npending, D.ncache);
}

static uint64_t
gauge_pending(void *arg)
{
	return D.npending;
}

static uint64_t
gauge_cached(void *arg)
{
	return D.ncache;
}

/* Counters for fedgatectl stats and Prometheus (the daemon only). */
static void
dns_metrics_register(void)
{
	D.m_queries = metric_counter("fedgate_dns_queries_total", NULL,
	    "DNS queries asked (SRV and A/AAAA), cache hits included");
	D.m_cache_hits = metric_counter("fedgate_dns_cache_hits_total", NULL,
	    "DNS queries answered from the cache");
	D.m_timeouts = metric_counter("fedgate_dns_timeouts_total", NULL,
	    "DNS queries that got no answer in time");
	D.m_errors = metric_counter("fedgate_dns_errors_total", NULL,
	    "DNS queries that failed (server failure, refused, malformed)");
	metric_gauge("fedgate_dns_pending", NULL, "DNS queries waiting for "
	    "an answer", gauge_pending, NULL);
	metric_gauge("fedgate_dns_cache_entries", NULL, "answers in the DNS "
	    "cache", gauge_cached, NULL);
}

static int
svc_start(struct config *cfg)
{
	dns_metrics_register();
	return dns_init(cfg);
}

static void
svc_reload(struct config *old, struct config *new)
{
	dns_reload(new);
}

const struct service dns_service = {
	.name = "dns",
	.start = svc_start,
	.reload = svc_reload,
	.shutdown = dns_shutdown,
	.status = dns_status_print,
};
