/*
 * check: "fedgatectl check", the troubleshooting steps of the products we
 * replace as one command. It looks at what an admin would look at, in
 * this order, without sending any message:
 *
 *  - our certificates: readable, key matches, not expired (warn under 30
 *    days), chain to a configured CA, and their names cover the gateway
 *    hostname and every local, email and chat-alias domain;
 *  - DNS: _xmpp-server._tcp of each of our domains exists (else XMPP
 *    servers cannot find us);
 *  - the edge: each local domain's route, and a TCP connect to it;
 *  - each remote domain of domains.conf (and allowed exact domains): its
 *    XMPP route and a TCP connect to its first address.
 *
 * Every line starts with ok / warn / fail; the last line counts them. The
 * command fails (exit 1) when a line says fail. Network steps run in
 * parallel on the loop, each bounded by CHECK_STEP_MS.
 */
#include "config.h"
#include "gateway/check.h"
#include "core/config.h"
#include "core/ctl.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define LOG_MOD		"check"
#define CHECK_STEP_MS	5000
#define CHECK_MAX_STEPS	256

enum step_kind { STEP_SRV, STEP_ROUTE };

/* One network step; its text goes to its own buffer to keep the order. */
struct step {
	struct check	*chk;
	enum step_kind	 kind;
	enum route_side	 side;
	char		 domain[CFG_HOST_MAX];
	char		 what[64];		/* "edge", "remote" */
	uint64_t	 qid;			/* dns or route request */
	int		 fd;
	struct loop_io	*io;
	uint64_t	 t0;
	char		 target[CFG_HOST_MAX + 64];
	char		*text;
	size_t		 textlen;
	FILE		*out;
	int		 done;
};

struct check {
	uint64_t	 ctl_id;
	struct config	*cfg;
	struct step	*steps[CHECK_MAX_STEPS];
	size_t		 nsteps, ndone;
	char		*head;			/* certificate lines */
	size_t		 headlen;
	FILE		*hout;
	unsigned	 nok, nwarn, nfail;
	struct loop_timer *timer;
};

static void FG_PRINTF(3, 4)
say(FILE *out, const char *level, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%-5s ", level);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

/* ---- certificates ------------------------------------------------ */

static X509 *
cert_load(const char *path, STACK_OF(X509) **chain)
{
	FILE *f = fopen(path, "r");
	X509 *leaf, *x;

	if (f == NULL)
		return NULL;
	leaf = PEM_read_X509(f, NULL, NULL, NULL);
	*chain = sk_X509_new_null();
	while (leaf && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		sk_X509_push(*chain, x);
	ERR_clear_error();
	fclose(f);
	return leaf;
}

static int
cert_key_matches(X509 *leaf, const char *keypath)
{
	FILE *f = fopen(keypath, "r");
	EVP_PKEY *k;
	int ok;

	if (f == NULL)
		return 0;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ok = k && X509_check_private_key(leaf, k) == 1;
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok;
}

static void
cert_expiry(FILE *out, struct check *chk, X509 *leaf, const char *path)
{
	int days = 0, secs = 0;
	char subj[256];

	X509_NAME_oneline(X509_get_subject_name(leaf), subj, sizeof(subj));
	if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(leaf))) {
		say(out, "fail", "certificate %s: cannot read its expiry", path);
		chk->nfail++;
	} else if (days < 0 || (days == 0 && secs < 0)) {
		say(out, "fail", "certificate %s (%s): expired %d days ago", path,
		    subj, -days);
		chk->nfail++;
	} else if (days < 30) {
		say(out, "warn", "certificate %s (%s): expires in %d days", path,
		    subj, days);
		chk->nwarn++;
	} else {
		say(out, "ok", "certificate %s (%s): valid for %d more days",
		    path, subj, days);
		chk->nok++;
	}
}

static void
cert_chain(FILE *out, struct check *chk, X509 *leaf, STACK_OF(X509) *chain,
    const char *path, const char *cafile)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;

	if (store && ctx && X509_STORE_load_file(store, cafile) == 1 &&
	    X509_STORE_CTX_init(ctx, store, leaf, chain) == 1) {
		ok = X509_verify_cert(ctx) == 1;
		if (!ok)
			say(out, "warn", "certificate %s: does not chain to %s: %s "
			    "(partners must trust its issuer)", path, cafile,
			    X509_verify_cert_error_string(
			    X509_STORE_CTX_get_error(ctx)));
	} else {
		say(out, "warn", "certificate %s: cannot load CA file %s", path,
		    cafile);
	}
	if (ok) {
		say(out, "ok", "certificate %s: chains to %s", path, cafile);
		chk->nok++;
	} else
		chk->nwarn++;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
}

/* Every name our certificate must carry, and whether it does. */
static void
cert_names(FILE *out, struct check *chk, X509 *leaf, const struct config *cfg,
    const char *path)
{
	char missing[1024] = "";
	size_t nmissing = 0;

	if (X509_check_host(leaf, cfg->hostname, 0, X509_CHECK_FLAG_NO_WILDCARDS,
	    NULL) != 1) {
		snprintf(missing, sizeof(missing), " %s (hostname)", cfg->hostname);
		nmissing++;
	}
	for (size_t i = 0; i < cfg->ndomains; i++) {
		const struct cfg_domain *d = &cfg->domains[i];
		if (d->kind != DOMAIN_LOCAL && d->kind != DOMAIN_EMAIL &&
		    d->kind != DOMAIN_CHAT_ALIAS)
			continue;
		if (X509_check_host(leaf, d->name, 0, 0, NULL) == 1)
			continue;
		size_t l = strlen(missing);
		snprintf(missing + l, sizeof(missing) - l, " %s", d->name);
		nmissing++;
	}
	if (nmissing) {
		say(out, "fail", "certificate %s: names missing from its "
		    "subjectAltName:%s (see certs/fedgate-certs csr)", path, missing);
		chk->nfail++;
	} else {
		say(out, "ok", "certificate %s: carries the hostname and every "
		    "local, email and chat-alias domain", path);
		chk->nok++;
	}
	ERR_clear_error();
}

static void
check_cert(struct check *chk, const char *path, const char *key,
    const char *cafile)
{
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = cert_load(path, &chain);
	FILE *out = chk->hout;

	if (leaf == NULL) {
		say(out, "fail", "certificate %s: cannot read a PEM certificate",
		    path);
		chk->nfail++;
		sk_X509_pop_free(chain, X509_free);
		return;
	}
	if (cert_key_matches(leaf, key)) {
		say(out, "ok", "certificate %s: matches key %s", path, key);
		chk->nok++;
	} else {
		say(out, "fail", "certificate %s: key %s does not match it",
		    path, key);
		chk->nfail++;
	}
	cert_expiry(out, chk, leaf, path);
	cert_chain(out, chk, leaf, chain, path, cafile);
	cert_names(out, chk, leaf, chk->cfg, path);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
}

/* ---- network steps ------------------------------------------------ */

static void check_finish(struct check *chk);

static void
step_done(struct step *s)
{
	if (s->done)
		return;
	s->done = 1;
	if (s->io) {
		loop_io_del(s->io);
		s->io = NULL;
	}
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (++s->chk->ndone == s->chk->nsteps)
		check_finish(s->chk);
}

static void
step_connected(int fd, int events, void *arg)
{
	struct step *s = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err == 0) {
		say(s->out, "ok", "%s %s: %s reachable in %llu ms", s->what,
		    s->domain, s->target,
		    (unsigned long long)(loop_now_ms_fresh() - s->t0));
		s->chk->nok++;
	} else {
		say(s->out, "fail", "%s %s: %s not reachable: %s", s->what,
		    s->domain, s->target, strerror(err));
		s->chk->nfail++;
	}
	step_done(s);
}

static void
step_connect(struct step *s, const struct route_candidate *c)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_storage *ss = &c->addrs[0];
	socklen_t sl = ss->ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
		    ip, sizeof(ip));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    ip, sizeof(ip));
	snprintf(s->target, sizeof(s->target), "%s:%u (%s, %s, %s)", c->host,
	    c->port, ip, route_step_name(c->step),
	    (c->flags & ROUTE_F_DIRECT_TLS) ? "direct TLS" :
	    (c->flags & ROUTE_F_NO_TLS) ? "no TLS" : "TLS");
	s->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || (connect(s->fd, (const struct sockaddr *)ss, sl) != 0 &&
	    errno != EINPROGRESS)) {
		say(s->out, "fail", "%s %s: %s not reachable: %s", s->what,
		    s->domain, s->target, strerror(errno));
		s->chk->nfail++;
		step_done(s);
		return;
	}
	s->t0 = loop_now_ms_fresh();
	s->io = loop_io_add(s->fd, LOOP_WRITE, step_connected, s);
	if (s->io == NULL)
		step_done(s);
}

static void
step_route_done(uint64_t id, const struct route_result *res, void *arg)
{
	struct step *s = arg;

	s->qid = 0;
	if (s->done)
		return;
	if (res->status != ROUTE_OK || res->n == 0) {
		say(s->out, "fail", "%s %s: no route: %s", s->what, s->domain,
		    res->error ? res->error : route_status_name(res->status));
		s->chk->nfail++;
		step_done(s);
		return;
	}
	for (size_t i = 0; i < res->n; i++) {
		if (res->c[i].naddrs) {
			step_connect(s, &res->c[i]);
			return;
		}
	}
	say(s->out, "fail", "%s %s: route found (%s:%u) but no address", s->what,
	    s->domain, res->c[0].host, res->c[0].port);
	s->chk->nfail++;
	step_done(s);
}

static void
step_srv_done(uint64_t id, const struct dns_result *res, void *arg)
{
	struct step *s = arg;
	const struct config *cfg = s->chk->cfg;
	int ours = 0;

	s->qid = 0;
	if (s->done)
		return;
	if (res->status != DNS_OK || res->nsrv == 0) {
		say(s->out, "warn", "dns _xmpp-server._tcp.%s: %s (XMPP servers "
		    "cannot find this domain unless they have a static route)",
		    s->domain, res->error ? res->error : dns_status_name(res->status));
		s->chk->nwarn++;
		step_done(s);
		return;
	}
	for (size_t i = 0; i < res->nsrv; i++)
		ours |= !strcasecmp(res->srv[i].target, cfg->hostname);
	if (ours) {
		say(s->out, "ok", "dns _xmpp-server._tcp.%s: %s:%u", s->domain,
		    res->srv[0].target, res->srv[0].port);
		s->chk->nok++;
	} else {
		say(s->out, "warn", "dns _xmpp-server._tcp.%s: points to %s, not "
		    "to this gateway (%s)", s->domain, res->srv[0].target,
		    cfg->hostname);
		s->chk->nwarn++;
	}
	step_done(s);
}

static struct step *
step_new(struct check *chk, enum step_kind kind, const char *what,
    const char *domain)
{
	struct step *s;

	if (chk->nsteps == CHECK_MAX_STEPS)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->out = open_memstream(&s->text, &s->textlen);
	if (s->out == NULL) {
		free(s);
		return NULL;
	}
	s->chk = chk;
	s->kind = kind;
	s->fd = -1;
	snprintf(s->what, sizeof(s->what), "%s", what);
	snprintf(s->domain, sizeof(s->domain), "%s", domain);
	chk->steps[chk->nsteps++] = s;
	return s;
}

static void
step_start(struct step *s)
{
	char name[CFG_HOST_MAX + 32];

	if (s->kind == STEP_SRV) {
		snprintf(name, sizeof(name), "_xmpp-server._tcp.%s", s->domain);
		s->qid = dns_query_srv(name, step_srv_done, s);
	} else {
		s->qid = route_lookup(s->domain, s->side, ROUTE_RESOLVE,
		    step_route_done, s);
	}
}

/* Which domains to look at: ours (SRV), the edge (SIP), remotes (XMPP). */
static void
check_plan(struct check *chk)
{
	const struct config *cfg = chk->cfg;
	struct step *s;

	for (size_t i = 0; i < cfg->ndomains; i++) {
		const struct cfg_domain *d = &cfg->domains[i];
		switch (d->kind) {
		case DOMAIN_LOCAL:
			if ((s = step_new(chk, STEP_ROUTE, "edge", d->name)))
				s->side = ROUTE_SIDE_SIP;
			/* FALLTHROUGH */
		case DOMAIN_EMAIL:
		case DOMAIN_CHAT_ALIAS:
			step_new(chk, STEP_SRV, "dns", d->name);
			break;
		case DOMAIN_REMOTE:
			if ((s = step_new(chk, STEP_ROUTE, "remote", d->name)))
				s->side = d->type == REMOTE_SIP ? ROUTE_SIDE_SIP :
				    ROUTE_SIDE_XMPP;
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < cfg->npolicy; i++) {
		const struct cfg_policy *p = &cfg->policy[i];
		if (!p->active || p->action != POLICY_ALLOW || p->wildcard ||
		    p->direction == POLICY_INBOUND ||
		    config_domain_find(cfg, p->domain))
			continue;
		if ((s = step_new(chk, STEP_ROUTE, "remote", p->domain)))
			s->side = ROUTE_SIDE_XMPP;
	}
}

static void
check_free(struct check *chk)
{
	for (size_t i = 0; i < chk->nsteps; i++) {
		struct step *s = chk->steps[i];
		if (s->qid && s->kind == STEP_SRV)
			dns_cancel(s->qid);
		else if (s->qid)
			route_cancel(s->qid);
		if (s->io)
			loop_io_del(s->io);
		if (s->fd >= 0)
			close(s->fd);
		if (s->out)
			fclose(s->out);
		free(s->text);
		free(s);
	}
	if (chk->hout)
		fclose(chk->hout);
	free(chk->head);
	loop_timer_free(chk->timer);
	config_unref(chk->cfg);
	free(chk);
}

static void
check_finish(struct check *chk)
{
	char *all = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&all, &len);

	if (f == NULL)
		fatalx(LOG_MOD, "out of memory");
	fflush(chk->hout);
	fwrite(chk->head, 1, chk->headlen, f);
	for (size_t i = 0; i < chk->nsteps; i++) {
		struct step *s = chk->steps[i];
		fflush(s->out);
		fwrite(s->text, 1, s->textlen, f);
	}
	fprintf(f, "check: %u ok, %u warning%s, %u failure%s\n", chk->nok,
	    chk->nwarn, chk->nwarn == 1 ? "" : "s", chk->nfail,
	    chk->nfail == 1 ? "" : "s");
	fclose(f);
	log_info(LOG_MOD, "check done ok=%u warn=%u fail=%u", chk->nok,
	    chk->nwarn, chk->nfail);
	ctl_finish(chk->ctl_id, chk->nfail ? 1 : 0, all, len);
	free(all);
	/* we may be inside a callback of one of the steps: free later */
	loop_call_later((loop_call_fn *)check_free, chk);
}

static void
check_timeout(void *arg)
{
	struct check *chk = arg;

	for (size_t i = 0; i < chk->nsteps; i++) {
		struct step *s = chk->steps[i];
		if (s->done)
			continue;
		say(s->out, "fail", "%s %s: no answer within %d s%s%s", s->what,
		    s->domain, CHECK_STEP_MS / 1000, s->target[0] ? " from " : "",
		    s->target);
		chk->nfail++;
		step_done(s);
	}
}

/* ctl handler: certificates now, network steps on the loop. */
int
check_command(const char *args, FILE *out, void *arg)
{
	struct check *chk = calloc(1, sizeof(*chk));
	const struct config *cfg = config_current();

	if (chk == NULL)
		return 1;
	chk->cfg = config_ref(config_current());
	chk->ctl_id = ctl_current();
	chk->hout = open_memstream(&chk->head, &chk->headlen);
	if (chk->hout == NULL) {
		free(chk);
		return 1;
	}
	fprintf(chk->hout, "fedgate check (config hash %s)\n", cfg->hash);
	if (cfg->sip_transport == SIP_TRANSPORT_TLS)
		check_cert(chk, cfg->sip_cert, cfg->sip_key, cfg->sip_ca);
	if (strcmp(cfg->xmpp_cert, cfg->sip_cert) != 0 &&
	    cfg->xmpp_security != XMPP_SEC_NO_TLS)
		check_cert(chk, cfg->xmpp_cert, cfg->xmpp_key, cfg->xmpp_ca);
	check_plan(chk);
	if (chk->nsteps == 0) {
		check_finish(chk);
		return CTL_PENDING;
	}
	chk->timer = loop_timer_new(check_timeout, chk);
	if (chk->timer)
		loop_timer_set(chk->timer, CHECK_STEP_MS);
	/* start after the plan is complete: a step may finish at once */
	size_t n = chk->nsteps;
	for (size_t i = 0; i < n; i++)
		step_start(chk->steps[i]);
	return CTL_PENDING;
}
