/*
 * config: parse the admin's files into one immutable struct config.
 *
 * Layout of this file: memory pool and diagnostics; value parsers; the
 * settings table (the single source for the parser, -n -v and the docs);
 * the INI parser of fedgate.conf; the line parsers of domains, routes,
 * policy and email map; cross-file checks; printing; reload differences.
 */
#include "config.h"
#include "core/config.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MOD "config"

/* ------------------------------------------------------------------ */
/* Memory: every allocation of a config is in its pool.               */

struct config_priv {
	void		**ptrs;
	size_t		  n, cap;
	int		  refs;
	char		**files;	/* every file name read, for diag */
	size_t		  nfiles;
};

static void *
pool_alloc(struct config *cfg, size_t len)
{
	struct config_priv *p = cfg->priv;
	void *m;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		void **v = realloc(p->ptrs, cap * sizeof(*v));
		if (v == NULL)
			fatalx(LOG_MOD, "out of memory");
		p->ptrs = v;
		p->cap = cap;
	}
	m = calloc(1, len ? len : 1);
	if (m == NULL)
		fatalx(LOG_MOD, "out of memory");
	p->ptrs[p->n++] = m;
	return m;
}

static char *
pool_strdup(struct config *cfg, const char *s)
{
	size_t len = strlen(s);
	char *d = pool_alloc(cfg, len + 1);

	memcpy(d, s, len + 1);
	return d;
}

static char *
pool_strdup_lower(struct config *cfg, const char *s)
{
	char *d = pool_strdup(cfg, s);

	for (char *c = d; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return d;
}

/* Grow an array held in the pool by one element; returns the new one. */
static void *
pool_grow(struct config *cfg, void **arr, size_t *n, size_t elem)
{
	void *nv = pool_alloc(cfg, (*n + 1) * elem);

	if (*n)
		memcpy(nv, *arr, *n * elem);
	*arr = nv;
	(*n)++;
	return (char *)nv + (*n - 1) * elem;
}

/* ------------------------------------------------------------------ */
/* Diagnostics.                                                       */

static void
diag_push(char ***v, size_t *n, const char *text)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		fatalx(LOG_MOD, "out of memory");
	*v = nv;
	(*v)[*n] = strdup(text);
	if ((*v)[*n] == NULL)
		fatalx(LOG_MOD, "out of memory");
	(*n)++;
}

/* Append "FILE:LINE: [warning: ]message" to the errors or the warnings. */
static void FG_PRINTF(5, 0)
diag_vadd(struct config_diag *d, int warning, const char *file, int line,
    const char *fmt, va_list ap)
{
	char msg[1024], full[1400];
	const char *w = warning ? "warning: " : "";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s%s", file, line, w, msg);
	else
		snprintf(full, sizeof(full), "%s: %s%s", file, w, msg);
	if (warning)
		diag_push(&d->warnings, &d->nwarnings, full);
	else
		diag_push(&d->errors, &d->nerrors, full);
}

static void FG_PRINTF(4, 5)
diag_error(struct config_diag *d, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, 0, file, line, fmt, ap);
	va_end(ap);
}

static void FG_PRINTF(4, 5)
diag_warning(struct config_diag *d, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, 1, file, line, fmt, ap);
	va_end(ap);
}

void
config_diag_clear(struct config_diag *d)
{
	for (size_t i = 0; i < d->nerrors; i++)
		free(d->errors[i]);
	for (size_t i = 0; i < d->nwarnings; i++)
		free(d->warnings[i]);
	free(d->errors);
	free(d->warnings);
	memset(d, 0, sizeof(*d));
}

/* ------------------------------------------------------------------ */
/* Value parsers.                                                     */

int
config_parse_duration_ms(const char *s, uint64_t *ms)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "", 1000 },
	};
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			if (v > UINT64_MAX / units[i].mult)
				return -1;
			*ms = v * units[i].mult;
			return 0;
		}
	}
	return -1;
}

int
config_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v, mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mult = 1024;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024;
	else if (*end == 'g' || *end == 'G')
		mult = 1024ULL * 1024 * 1024;
	else if (*end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0' && strcasecmp(end + 1, "b") != 0)
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*bytes = v * mult;
	return 0;
}

int
config_parse_bool(const char *s, int *b)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") ||
	    !strcasecmp(s, "on") || !strcmp(s, "1")) {
		*b = 1;
		return 0;
	}
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") ||
	    !strcasecmp(s, "off") || !strcmp(s, "0")) {
		*b = 0;
		return 0;
	}
	return -1;
}

/* A DNS name in A-label form: labels of [a-z0-9-], 1..63, total <= 253. */
int
config_valid_domain(const char *s)
{
	size_t len = strlen(s), lab = 0;

	if (len == 0 || len > 253 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c == '_'))
			return 0;
		if (c == '-' && lab == 0)
			return 0;
		if (++lab > 63)
			return 0;
	}
	return s[len - 1] != '-';
}

static int
valid_ip(const char *s, int *v6)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1) {
		*v6 = 0;
		return 1;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		*v6 = 1;
		return 1;
	}
	return 0;
}

int
config_parse_hostport(const char *s, uint16_t default_port,
    struct hostport *hp)
{
	char host[CFG_HOST_MAX];
	const char *port = NULL;
	int v6 = 0;

	memset(hp, 0, sizeof(*hp));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (size_t)(close - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return -1;
		if (!valid_ip(host, &v6) || !v6)
			return -1;
	} else {
		const char *colon = strchr(s, ':');
		size_t hl = colon ? (size_t)(colon - s) : strlen(s);
		if (colon && strchr(colon + 1, ':'))
			return -1;	/* bare IPv6: must be bracketed */
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (colon)
			port = colon + 1;
		if (!valid_ip(host, &v6) && !config_valid_domain(host))
			return -1;
	}
	if (port) {
		char *end;
		long p;
		if (!isdigit((unsigned char)*port))
			return -1;
		p = strtol(port, &end, 10);
		if (*end != '\0' || p < 1 || p > 65535)
			return -1;
		hp->port = (uint16_t)p;
	} else {
		if (default_port == 0)
			return -1;
		hp->port = default_port;
	}
	for (char *c = host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	snprintf(hp->host, sizeof(hp->host), "%s", host);
	hp->is_ipv6 = v6;
	return 0;
}

int
config_hostport_format(const struct hostport *hp, char *buf, size_t len)
{
	int n;

	if (hp->host[0] == '\0')
		n = snprintf(buf, len, "%s", "");
	else if (hp->is_ipv6)
		n = snprintf(buf, len, "[%s]:%u", hp->host, hp->port);
	else
		n = snprintf(buf, len, "%s:%u", hp->host, hp->port);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* Edit distance, for "did you mean". Short strings only. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) :
			    (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

static const char *
closest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bestd = 3;	/* suggest only within distance 2 */

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return best;
}

/* ------------------------------------------------------------------ */
/* The settings table.                                                */

enum stype {
	ST_STRING,	/* free text */
	ST_DOMAIN,	/* a DNS name */
	ST_PATH,	/* file path, relative to the main file's directory */
	ST_BOOL,
	ST_DURATION,	/* stored in ms */
	ST_SIZE,	/* bytes */
	ST_UINT,
	ST_HOSTPORT,	/* min = default port */
	ST_ENUM,
	ST_LIST,	/* comma separated */
	ST_HOSTLIST,	/* comma separated host[:port], min = default port */
};

#define SF_OPTIONAL	0x1	/* empty value allowed */
#define SF_REQUIRED	0x2	/* no default: must be set */

struct setting {
	const char		*section;
	const char		*name;
	enum stype		 type;
	const char		*def;
	uint64_t		 min, max;
	const char *const	*choices;
	size_t			 off;
	int			 flags;
	int			 live;	/* a reload applies it without restart */
	const char		*doc;
};

static const char *const ch_loglevel[] = { "error", "warn", "info", "debug", NULL };
static const char *const ch_transport[] = { "tls", "tcp", NULL };
static const char *const ch_dialect[] = { "lync", "standard", NULL };
static const char *const ch_security[] = { "no-tls", "tls-optional", "tls-required", NULL };
static const char *const ch_privacy[] = { "off", "allow-list", "deny-list", NULL };

#define OFF(f) offsetof(struct config, f)
#define SEC 1000ULL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

static const struct setting settings[] = {
	/* [gateway] */
	{ "gateway", "hostname", ST_DOMAIN, NULL, 0, 0, NULL, OFF(hostname), SF_REQUIRED, 0,
	  "FQDN of this gateway: put in SIP Via/Contact/Record-Route and in its certificates" },
	{ "gateway", "domains_file", ST_PATH, "domains.conf", 0, 0, NULL, OFF(domains_file), 0, 1,
	  "local, email, chat-alias, remote and alias domains (relative to this file)" },
	{ "gateway", "routes_file", ST_PATH, "routes.conf", 0, 0, NULL, OFF(routes_file), 0, 1,
	  "static routes (SIP reversed patterns, XMPP addresses)" },
	{ "gateway", "policy_file", ST_PATH, "policy.conf", 0, 0, NULL, OFF(policy_file), 0, 1,
	  "allow/deny lists and policy exceptions" },
	{ "gateway", "email_map_file", ST_PATH, "", 0, 0, NULL, OFF(email_map_file), SF_OPTIONAL, 1,
	  "optional map 'local-id email' for email address for federation; empty = none" },
	{ "gateway", "state_dir", ST_PATH, "/var/lib/fedgate", 0, 0, NULL, OFF(state_dir), 0, 0,
	  "directory for runtime state" },
	{ "gateway", "control_socket", ST_PATH, "/run/fedgate/ctl.sock", 0, 0, NULL, OFF(control_socket), 0, 0,
	  "UNIX socket for fedgatectl" },
	{ "gateway", "metrics_listen", ST_HOSTPORT, "127.0.0.1:9269", 9269, 0, NULL, OFF(metrics_listen), SF_OPTIONAL, 0,
	  "Prometheus text metrics listener; empty = off" },
	{ "gateway", "log_level", ST_ENUM, "info", 0, 0, ch_loglevel, OFF(log_level), 0, 1,
	  "error | warn | info | debug (-d forces debug)" },
	{ "gateway", "dns_servers", ST_HOSTLIST, "", 53, 0, NULL, OFF(dns_servers), SF_OPTIONAL, 1,
	  "DNS servers IP[:port],...; empty = the system resolver configuration" },
	{ "gateway", "shutdown_grace", ST_DURATION, "5s", 0, 60 * SEC, NULL, OFF(shutdown_grace_ms), 0, 1,
	  "on SIGTERM, time given to open streams and dialogs to close" },

	/* [sip] */
	{ "sip", "listen", ST_HOSTPORT, "0.0.0.0:5061", 5061, 0, NULL, OFF(sip_listen), 0, 0,
	  "address:port of the SIP listener (mutual TLS toward the access edge)" },
	{ "sip", "transport", ST_ENUM, "tls", 0, 0, ch_transport, OFF(sip_transport), 0, 0,
	  "tls | tcp (tcp: labs only, logged as a warning)" },
	{ "sip", "cert", ST_PATH, "/etc/fedgate/certs/gw.pem", 0, 0, NULL, OFF(sip_cert), 0, 0,
	  "our certificate (PEM, chain after the leaf); its names must include hostname" },
	{ "sip", "key", ST_PATH, "/etc/fedgate/certs/gw.key", 0, 0, NULL, OFF(sip_key), 0, 0,
	  "private key of cert (mode 0600 or stricter)" },
	{ "sip", "ca", ST_PATH, "/etc/fedgate/certs/ca.pem", 0, 0, NULL, OFF(sip_ca), 0, 0,
	  "CA certificates that the edge's certificate must chain to" },
	{ "sip", "peer_subjects", ST_LIST, "", 0, 0, NULL, OFF(sip_peer_subjects), SF_OPTIONAL, 0,
	  "TLS peer subjects accepted from the edge (SAN dNSName or CN), comma separated" },
	{ "sip", "edge_dialect", ST_ENUM, "lync", 0, 0, ch_dialect, OFF(edge_dialect), 0, 1,
	  "lync | standard: INVITE-based IM sessions or page-mode MESSAGE toward the edge" },
	{ "sip", "keepalive", ST_DURATION, "30s", 1 * SEC, 1 * HOUR, NULL, OFF(sip_keepalive_ms), 0, 1,
	  "OPTIONS ping interval toward the edge: its health in fedgatectl status (over TCP also a CRLF keepalive)" },
	{ "sip", "answer_timeout", ST_DURATION, "10s", 1 * SEC, 5 * MIN, NULL, OFF(sip_answer_timeout_ms), 0, 1,
	  "longest wait for the XMPP side before a SIP request is answered with an error" },
	{ "sip", "conversation_idle", ST_DURATION, "10m", 10 * SEC, 24 * HOUR, NULL, OFF(sip_conversation_idle_ms), 0, 1,
	  "an INVITE IM conversation with no traffic for this long is ended with BYE" },
	{ "sip", "subscription_expires", ST_DURATION, "1h", 60 * SEC, 24 * HOUR, NULL, OFF(sip_subscription_expires_s), 0, 1,
	  "Expires granted to and asked of presence subscriptions" },

	/* [xmpp] */
	{ "xmpp", "listen", ST_HOSTPORT, "0.0.0.0:5269", 5269, 0, NULL, OFF(xmpp_listen), 0, 0,
	  "address:port of the s2s listener (STARTTLS)" },
	{ "xmpp", "listen_tls", ST_HOSTPORT, "", 5270, 0, NULL, OFF(xmpp_listen_tls), SF_OPTIONAL, 0,
	  "XEP-0368 direct TLS listener, e.g. 0.0.0.0:5270; empty = off" },
	{ "xmpp", "security", ST_ENUM, "tls-required", 0, 0, ch_security, OFF(xmpp_security), 0, 1,
	  "no-tls | tls-optional | tls-required (per partner: security= in domains.conf)" },
	{ "xmpp", "require_client_certs", ST_BOOL, "yes", 0, 0, NULL, OFF(require_client_certs), 0, 1,
	  "verify the peer's certificate chain and domain name (RFC 6125)" },
	{ "xmpp", "sasl_external_in", ST_BOOL, "yes", 0, 0, NULL, OFF(sasl_external_in), 0, 1,
	  "offer SASL EXTERNAL (XEP-0178) to peers with a valid certificate" },
	{ "xmpp", "sasl_external_out", ST_BOOL, "yes", 0, 0, NULL, OFF(sasl_external_out), 0, 1,
	  "use SASL EXTERNAL when a peer offers it" },
	{ "xmpp", "dialback", ST_BOOL, "yes", 0, 0, NULL, OFF(dialback), 0, 1,
	  "offer and use Server Dialback (XEP-0220)" },
	{ "xmpp", "dialback_secret_file", ST_PATH, "/etc/fedgate/dialback.secret", 0, 0, NULL, OFF(dialback_secret_file), 0, 1,
	  "secret for dialback keys (XEP-0185); the same on every node; mode 0600" },
	{ "xmpp", "bidi", ST_BOOL, "yes", 0, 0, NULL, OFF(xmpp_bidi), 0, 1,
	  "offer and use bidirectional streams (XEP-0288): one connection both ways" },
	{ "xmpp", "cert", ST_PATH, "", 0, 0, NULL, OFF(xmpp_cert), SF_OPTIONAL, 0,
	  "our XMPP certificate; empty = the [sip] one" },
	{ "xmpp", "key", ST_PATH, "", 0, 0, NULL, OFF(xmpp_key), SF_OPTIONAL, 0,
	  "private key of the XMPP certificate; empty = the [sip] one" },
	{ "xmpp", "ca", ST_PATH, "", 0, 0, NULL, OFF(xmpp_ca), SF_OPTIONAL, 0,
	  "CA certificates for XMPP peers; empty = the [sip] one" },
	{ "xmpp", "idle_timeout", ST_DURATION, "10m", 10 * SEC, 24 * HOUR, NULL, OFF(idle_timeout_ms), 0, 1,
	  "close a stream that carried no stanza for this long" },
	{ "xmpp", "keepalive", ST_DURATION, "60s", 1 * SEC, 1 * HOUR, NULL, OFF(xmpp_keepalive_ms), 0, 1,
	  "whitespace keepalive interval on idle streams" },
	{ "xmpp", "dead_peer_timeout", ST_DURATION, "30s", 1 * SEC, 1 * HOUR, NULL, OFF(dead_peer_timeout_ms), 0, 1,
	  "a peer silent this long after a ping is declared dead" },
	{ "xmpp", "connect_timeout", ST_DURATION, "10s", 1 * SEC, 5 * MIN, NULL, OFF(connect_timeout_ms), 0, 1,
	  "longest time to connect and authenticate one candidate address; also how long stanzas wait while a reachable partner does not answer (restart)" },
	{ "xmpp", "max_streams", ST_UINT, "10000", 1, 1000000, NULL, OFF(max_streams), 0, 1,
	  "most s2s streams open at once" },
	{ "xmpp", "max_streams_per_domain", ST_UINT, "20", 1, 10000, NULL, OFF(max_streams_per_domain), 0, 1,
	  "most streams with one remote domain" },
	{ "xmpp", "max_streams_per_ip", ST_UINT, "50", 1, 100000, NULL, OFF(max_streams_per_ip), 0, 1,
	  "most inbound streams from one source address" },
	{ "xmpp", "max_stanza_size", ST_SIZE, "256k", 1024, 16 * 1024 * 1024, NULL, OFF(max_stanza_size), 0, 1,
	  "largest stanza accepted; larger is a policy-violation stream error" },
	{ "xmpp", "queue_limit", ST_UINT, "1000", 1, 1000000, NULL, OFF(queue_limit), 0, 1,
	  "stanzas waiting for a stream per domain pair; beyond it they bounce" },

	/* [federation] */
	{ "federation", "privacy_mode", ST_ENUM, "allow-list", 0, 0, ch_privacy, OFF(privacy_mode), 0, 1,
	  "off | allow-list | deny-list (allow-list = lockdown until configured)" },
	{ "federation", "default_routing_domain", ST_DOMAIN, "aol.com", 0, 0, NULL, OFF(default_routing_domain), SF_OPTIONAL, 1,
	  "AOL-style default federation routing domain for type=clearinghouse partners; empty = none" },
	{ "federation", "email_for_federation", ST_BOOL, "no", 0, 0, NULL, OFF(email_for_federation), 0, 1,
	  "present local users by their email address (email_map_file)" },
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const char *const sections[] = { "gateway", "sip", "xmpp", "federation" };
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static const struct setting *
setting_find(const char *section, const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (!strcmp(settings[i].section, section) &&
		    !strcmp(settings[i].name, name))
			return &settings[i];
	return NULL;
}

static size_t
choices_count(const char *const *ch)
{
	size_t n = 0;

	while (ch[n])
		n++;
	return n;
}

static void
choices_join(const char *const *ch, char *buf, size_t len)
{
	size_t n = choices_count(ch);

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strncat(buf, ch[i], len - strlen(buf) - 1);
		if (i + 2 < n)
			strncat(buf, ", ", len - strlen(buf) - 1);
		else if (i + 2 == n)
			strncat(buf, " or ", len - strlen(buf) - 1);
	}
}

/* Join a relative path to the main file's directory. */
static char *
path_resolve(struct config *cfg, const char *p)
{
	char buf[PATH_MAX];

	if (p[0] == '\0' || p[0] == '/' || strcmp(cfg->dir, ".") == 0)
		return pool_strdup(cfg, p);
	if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", cfg->dir, p) >= sizeof(buf))
		return pool_strdup(cfg, p);
	return pool_strdup(cfg, buf);
}

static void
format_duration(uint64_t ms, char *buf, size_t len)
{
	if (ms % HOUR == 0 && ms >= HOUR)
		snprintf(buf, len, "%lluh", (unsigned long long)(ms / HOUR));
	else if (ms % MIN == 0 && ms >= MIN)
		snprintf(buf, len, "%llum", (unsigned long long)(ms / MIN));
	else if (ms % SEC == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / SEC));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

static void
format_size(uint64_t b, char *buf, size_t len)
{
	if (b >= 1024 * 1024 && b % (1024 * 1024) == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(b >> 20));
	else if (b >= 1024 && b % 1024 == 0)
		snprintf(buf, len, "%lluk", (unsigned long long)(b >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)b);
}

/*
 * Parse VALUE for setting S into cfg. On error writes a message (without
 * the FILE:LINE prefix) into err and returns -1.
 */
static int
setting_apply(struct config *cfg, const struct setting *s, const char *value,
    char *err, size_t errlen)
{
	char *field = (char *)cfg + s->off;
	char tmp[256];

	if (value[0] == '\0' && s->type != ST_STRING) {
		if (!(s->flags & SF_OPTIONAL)) {
			snprintf(err, errlen, "[%s] %s: a value is required",
			    s->section, s->name);
			return -1;
		}
		switch (s->type) {
		case ST_HOSTPORT:
			memset(field, 0, sizeof(struct hostport));
			return 0;
		case ST_LIST:
		case ST_HOSTLIST:
			memset(field, 0, sizeof(struct strlist));
			return 0;
		default:
			*(char **)field = pool_strdup(cfg, "");
			return 0;
		}
	}

	switch (s->type) {
	case ST_STRING:
		*(char **)field = pool_strdup(cfg, value);
		return 0;
	case ST_DOMAIN:
		if (!config_valid_domain(value)) {
			snprintf(err, errlen, "[%s] %s: '%s' is not a valid DNS "
			    "name (letters, digits, '-', dots; A-labels for IDN)",
			    s->section, s->name, value);
			return -1;
		}
		*(char **)field = pool_strdup_lower(cfg, value);
		return 0;
	case ST_PATH:
		*(char **)field = path_resolve(cfg, value);
		return 0;
	case ST_BOOL:
		if (config_parse_bool(value, (int *)field) != 0) {
			snprintf(err, errlen, "[%s] %s: '%s' is not a boolean "
			    "(yes or no)", s->section, s->name, value);
			return -1;
		}
		return 0;
	case ST_DURATION: {
		uint64_t v;
		char a[32], b[32];
		if (config_parse_duration_ms(value, &v) != 0) {
			snprintf(err, errlen, "[%s] %s: '%s' is not a duration "
			    "(e.g. 500ms, 30s, 10m, 2h)", s->section, s->name, value);
			return -1;
		}
		if ((s->min && v < s->min) || (s->max && v > s->max)) {
			format_duration(s->min, a, sizeof(a));
			format_duration(s->max, b, sizeof(b));
			snprintf(err, errlen, "[%s] %s: %s is out of range "
			    "(%s to %s)", s->section, s->name, value, a, b);
			return -1;
		}
		/* subscription_expires is kept in seconds for SIP Expires. */
		if (s->off == OFF(sip_subscription_expires_s))
			v /= 1000;
		*(uint64_t *)field = v;
		return 0;
	}
	case ST_SIZE:
	case ST_UINT: {
		uint64_t v;
		char a[32], b[32];
		int bad;
		if (s->type == ST_SIZE)
			bad = config_parse_size(value, &v);
		else {
			char *end;
			errno = 0;
			v = strtoull(value, &end, 10);
			bad = !isdigit((unsigned char)value[0]) || *end || errno;
		}
		if (bad) {
			snprintf(err, errlen, "[%s] %s: '%s' is not %s", s->section,
			    s->name, value, s->type == ST_SIZE ?
			    "a size (e.g. 4096, 256k, 1m)" : "a whole number");
			return -1;
		}
		if (v < s->min || v > s->max) {
			if (s->type == ST_SIZE) {
				format_size(s->min, a, sizeof(a));
				format_size(s->max, b, sizeof(b));
			} else {
				snprintf(a, sizeof(a), "%llu", (unsigned long long)s->min);
				snprintf(b, sizeof(b), "%llu", (unsigned long long)s->max);
			}
			snprintf(err, errlen, "[%s] %s: %s is out of range "
			    "(%s to %s)", s->section, s->name, value, a, b);
			return -1;
		}
		*(uint64_t *)field = v;
		return 0;
	}
	case ST_HOSTPORT:
		if (config_parse_hostport(value, (uint16_t)s->min,
		    (struct hostport *)field) != 0) {
			snprintf(err, errlen, "[%s] %s: '%s' is not host:port "
			    "(e.g. 0.0.0.0:%llu, [::1]:%llu, gw.example.com:%llu)",
			    s->section, s->name, value, (unsigned long long)s->min,
			    (unsigned long long)s->min, (unsigned long long)s->min);
			return -1;
		}
		return 0;
	case ST_ENUM:
		for (size_t i = 0; s->choices[i]; i++) {
			if (strcasecmp(value, s->choices[i]) == 0) {
				*(int *)field = (int)i;
				return 0;
			}
		}
		choices_join(s->choices, tmp, sizeof(tmp));
		snprintf(err, errlen, "[%s] %s: '%s' is not valid; expected %s",
		    s->section, s->name, value, tmp);
		return -1;
	case ST_LIST:
	case ST_HOSTLIST: {
		struct strlist *l = (struct strlist *)field;
		char *copy = strdup(value), *save = NULL, *tok;
		if (copy == NULL)
			fatalx(LOG_MOD, "out of memory");
		memset(l, 0, sizeof(*l));
		for (tok = strtok_r(copy, ",", &save); tok;
		    tok = strtok_r(NULL, ",", &save)) {
			while (isspace((unsigned char)*tok))
				tok++;
			char *e = tok + strlen(tok);
			while (e > tok && isspace((unsigned char)e[-1]))
				*--e = '\0';
			if (*tok == '\0')
				continue;
			if (s->type == ST_HOSTLIST) {
				struct hostport hp;
				int v6;
				/* c-ares takes addresses only: no name here */
				if (config_parse_hostport(tok, (uint16_t)s->min, &hp) ||
				    !valid_ip(hp.host, &v6)) {
					snprintf(err, errlen, "[%s] %s: '%s' is not an IP"
					    " address[:port] (e.g. 127.0.0.1:5353, "
					    "[::1]:53)", s->section, s->name, tok);
					free(copy);
					return -1;
				}
			}
			char **slot = pool_grow(cfg, (void **)&l->v, &l->n,
			    sizeof(char *));
			*slot = pool_strdup(cfg, tok);
		}
		free(copy);
		return 0;
	}
	}
	return -1;
}

/* Text of a setting's value, as -n -v prints it. */
static void
setting_format(const struct config *cfg, const struct setting *s, char *buf,
    size_t len)
{
	const char *field = (const char *)cfg + s->off;

	buf[0] = '\0';
	switch (s->type) {
	case ST_STRING:
	case ST_DOMAIN:
	case ST_PATH: {
		const char *v = *(char *const *)field;
		snprintf(buf, len, "%s", v ? v : "");
		break;
	}
	case ST_BOOL:
		snprintf(buf, len, "%s", *(const int *)field ? "yes" : "no");
		break;
	case ST_DURATION: {
		uint64_t v = *(const uint64_t *)field;
		if (s->off == OFF(sip_subscription_expires_s))
			v *= 1000;
		format_duration(v, buf, len);
		break;
	}
	case ST_SIZE:
		format_size(*(const uint64_t *)field, buf, len);
		break;
	case ST_UINT:
		snprintf(buf, len, "%llu",
		    (unsigned long long)*(const uint64_t *)field);
		break;
	case ST_HOSTPORT:
		config_hostport_format((const struct hostport *)field, buf, len);
		break;
	case ST_ENUM:
		snprintf(buf, len, "%s", s->choices[*(const int *)field]);
		break;
	case ST_LIST:
	case ST_HOSTLIST: {
		const struct strlist *l = (const struct strlist *)field;
		for (size_t i = 0; i < l->n; i++) {
			if (i)
				strncat(buf, ",", len - strlen(buf) - 1);
			strncat(buf, l->v[i], len - strlen(buf) - 1);
		}
		break;
	}
	}
}

/* ------------------------------------------------------------------ */
/* Reading files.                                                     */

struct linebuf {
	char	*data;
	size_t	 len;
};

static int
file_read(const char *path, struct linebuf *lb, int *err)
{
	FILE *f = fopen(path, "r");
	size_t cap = 4096;

	lb->len = 0;
	lb->data = NULL;
	if (f == NULL) {
		*err = errno;
		return -1;
	}
	lb->data = malloc(cap);
	if (lb->data == NULL)
		fatalx(LOG_MOD, "out of memory");
	for (;;) {
		size_t n = fread(lb->data + lb->len, 1, cap - lb->len - 1, f);
		lb->len += n;
		if (n == 0)
			break;
		if (cap - lb->len - 1 == 0) {
			if (cap > 16 * 1024 * 1024) {
				*err = EFBIG;
				fclose(f);
				free(lb->data);
				lb->data = NULL;
				return -1;
			}
			cap *= 2;
			char *d = realloc(lb->data, cap);
			if (d == NULL)
				fatalx(LOG_MOD, "out of memory");
			lb->data = d;
		}
	}
	if (ferror(f)) {
		*err = errno ? errno : EIO;
		fclose(f);
		free(lb->data);
		lb->data = NULL;
		return -1;
	}
	fclose(f);
	lb->data[lb->len] = '\0';
	return 0;
}

/* FNV-1a over every file read, printed by status to compare nodes. */
static void
hash_update(uint64_t *h, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		*h ^= (unsigned char)data[i];
		*h *= 1099511628211ULL;
	}
}

/* Strip a "#" comment (at start or after blank) and surrounding blanks. */
static char *
line_clean(char *line)
{
	char *p;

	for (p = line; *p; p++) {
		if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	}
	while (isspace((unsigned char)*line))
		line++;
	p = line + strlen(line);
	while (p > line && isspace((unsigned char)p[-1]))
		*--p = '\0';
	return line;
}

/* Split a cleaned line into at most max whitespace separated tokens. */
static size_t
line_tokens(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " \t", &save); t;
	    t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		tok[n++] = t;
	}
	return n;
}

typedef void line_fn(struct config *cfg, struct config_diag *d,
    const char *file, int line, char *text);

/*
 * Read FILE and call fn for each non-empty line. Reports an unreadable
 * file at the place that named it (KEYFILE:KEYLINE).
 */
static int
file_each_line(struct config *cfg, struct config_diag *d, uint64_t *hash,
    const char *path, const char *keyfile, int keyline, const char *keyname,
    line_fn *fn)
{
	struct linebuf lb;
	int err, lineno = 0;
	char *p, *next;
	const char *file;

	if (file_read(path, &lb, &err) != 0) {
		diag_error(d, keyfile, keyline, "%s: cannot read '%s': %s",
		    keyname, path, strerror(err));
		return -1;
	}
	hash_update(hash, lb.data, lb.len);
	file = pool_strdup(cfg, path);
	if (memchr(lb.data, '\0', lb.len) != NULL) {
		diag_error(d, file, 0, "contains a NUL byte: not a text file");
		free(lb.data);
		return -1;
	}
	for (p = lb.data; p && *p; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *text = line_clean(p);
		if (*text)
			fn(cfg, d, file, lineno, text);
	}
	free(lb.data);
	return 0;
}

/* ------------------------------------------------------------------ */
/* fedgate.conf                                                       */

struct seen_key {
	const struct setting	*s;
	int			 line;
};

struct main_state {
	const char	*section;	/* NULL before the first [section] */
	struct seen_key	 seen[NSETTINGS];
	size_t		 nseen;
};

static struct main_state *main_st;	/* only during config_load */
static int setting_lines[NSETTINGS];	/* line of each setting, 0 = default */

static void
main_section(struct config_diag *d, const char *file, int line, char *text)
{
	char *end = strchr(text, ']');

	if (end == NULL || end[1] != '\0') {
		diag_error(d, file, line, "malformed section header '%s'", text);
		main_st->section = "";
		return;
	}
	*end = '\0';
	char *name = line_clean(text + 1);
	for (size_t i = 0; i < NSECTIONS; i++) {
		if (strcmp(name, sections[i]) == 0) {
			main_st->section = sections[i];
			return;
		}
	}
	const char *sug = closest(name, sections, NSECTIONS);
	if (sug)
		diag_error(d, file, line, "unknown section [%s] (did you mean "
		    "[%s]?)", name, sug);
	else
		diag_error(d, file, line, "unknown section [%s] (expected "
		    "[gateway], [sip], [xmpp] or [federation])", name);
	main_st->section = "";
}

static void
main_unknown_key(struct config_diag *d, const char *file, int line,
    const char *key)
{
	const char *names[NSETTINGS];
	size_t n = 0;
	const char *sug;

	for (size_t i = 0; i < NSETTINGS; i++)
		if (!strcmp(settings[i].section, main_st->section))
			names[n++] = settings[i].name;
	sug = closest(key, names, n);
	if (sug) {
		diag_error(d, file, line, "unknown key '%s' in [%s] (did you "
		    "mean '%s'?)", key, main_st->section, sug);
		return;
	}
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (!strcmp(settings[i].name, key)) {
			diag_error(d, file, line, "unknown key '%s' in [%s] "
			    "(it belongs in [%s])", key, main_st->section,
			    settings[i].section);
			return;
		}
	}
	diag_error(d, file, line, "unknown key '%s' in [%s]", key,
	    main_st->section);
}

static void
main_line(struct config *cfg, struct config_diag *d, const char *file,
    int line, char *text)
{
	char err[512];

	if (text[0] == '[') {
		main_section(d, file, line, text);
		return;
	}
	char *eq = strchr(text, '=');
	if (eq == NULL) {
		diag_error(d, file, line, "expected 'key = value' or "
		    "'[section]', got '%s'", text);
		return;
	}
	*eq = '\0';
	char *key = line_clean(text), *value = line_clean(eq + 1);
	if (main_st->section == NULL) {
		diag_error(d, file, line, "'%s' is outside any section (start "
		    "the file with [gateway])", key);
		return;
	}
	if (main_st->section[0] == '\0')
		return;		/* inside a bad section: already reported */
	const struct setting *s = setting_find(main_st->section, key);
	if (s == NULL) {
		main_unknown_key(d, file, line, key);
		return;
	}
	for (size_t i = 0; i < main_st->nseen; i++) {
		if (main_st->seen[i].s == s) {
			diag_error(d, file, line, "[%s] %s is set twice (first "
			    "at line %d)", s->section, s->name,
			    main_st->seen[i].line);
			return;
		}
	}
	main_st->seen[main_st->nseen].s = s;
	main_st->seen[main_st->nseen].line = line;
	main_st->nseen++;
	setting_lines[s - settings] = line;
	if (setting_apply(cfg, s, value, err, sizeof(err)) != 0)
		diag_error(d, file, line, "%s", err);
}

static void
settings_defaults(struct config *cfg)
{
	char err[256];

	for (size_t i = 0; i < NSETTINGS; i++) {
		setting_lines[i] = 0;
		if (settings[i].def &&
		    setting_apply(cfg, &settings[i], settings[i].def, err,
		    sizeof(err)) != 0)
			fatalx(LOG_MOD, "bad default: %s", err);
	}
}

/* ------------------------------------------------------------------ */
/* domains.conf                                                       */

static int
domain_token(struct config *cfg, struct config_diag *d, const char *file,
    int line, const char *tok, const char *what, char **out)
{
	for (const char *c = tok; *c; c++) {
		if ((unsigned char)*c >= 0x80) {
			diag_error(d, file, line, "%s '%s': write internationalized"
			    " names in A-label form (xn--...)", what, tok);
			return -1;
		}
	}
	if (!config_valid_domain(tok)) {
		diag_error(d, file, line, "%s '%s' is not a valid domain name",
		    what, tok);
		return -1;
	}
	*out = pool_strdup_lower(cfg, tok);
	return 0;
}

static const struct cfg_domain *
domain_find_n(const struct config *cfg, const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(cfg->domains[i].name, name))
			return &cfg->domains[i];
	return NULL;
}

static const char *const remote_opts[] = { "type", "security", "sasl",
    "dialback", "client_certs" };

static int
domain_remote_opt(struct config_diag *d, const char *file, int line,
    struct cfg_domain *dom, const char *opt)
{
	static const char *const types[] = { "xmpp", "sip", "clearinghouse", NULL };
	const char *eq = strchr(opt, '=');
	char key[32], tmp[128];
	int b;

	if (eq == NULL || (size_t)(eq - opt) >= sizeof(key)) {
		diag_error(d, file, line, "option '%s' is not key=value", opt);
		return -1;
	}
	memcpy(key, opt, (size_t)(eq - opt));
	key[eq - opt] = '\0';
	const char *v = eq + 1;
	if (!strcmp(key, "type")) {
		for (int i = 0; types[i]; i++)
			if (!strcasecmp(v, types[i])) {
				dom->type = (enum remote_type)i;
				return 0;
			}
		diag_error(d, file, line, "type '%s' is not valid; expected "
		    "xmpp, sip or clearinghouse", v);
		return -1;
	}
	if (!strcmp(key, "security")) {
		for (int i = 0; ch_security[i]; i++)
			if (!strcasecmp(v, ch_security[i])) {
				dom->opts.security = i;
				return 0;
			}
		choices_join(ch_security, tmp, sizeof(tmp));
		diag_error(d, file, line, "security '%s' is not valid; expected "
		    "%s", v, tmp);
		return -1;
	}
	int *field = !strcmp(key, "sasl") ? &dom->opts.sasl :
	    !strcmp(key, "dialback") ? &dom->opts.dialback :
	    !strcmp(key, "client_certs") ? &dom->opts.require_client_certs : NULL;
	if (field == NULL) {
		const char *sug = closest(key, remote_opts, 5);
		diag_error(d, file, line, "unknown option '%s'%s%s%s (valid: type,"
		    " security, sasl, dialback, client_certs)", key,
		    sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
		return -1;
	}
	if (config_parse_bool(v, &b) != 0) {
		diag_error(d, file, line, "%s '%s' is not a boolean (yes or no)",
		    key, v);
		return -1;
	}
	*field = b;
	return 0;
}

static void
domains_line(struct config *cfg, struct config_diag *d, const char *file,
    int line, char *text)
{
	static const char *const kinds[] = { "local", "email", "chat-alias",
	    "remote", "alias" };
	char *tok[8] = { 0 };
	size_t n = line_tokens(text, tok, 8);
	struct cfg_domain dom;

	memset(&dom, 0, sizeof(dom));
	dom.opts.security = dom.opts.sasl = dom.opts.dialback = -1;
	dom.opts.require_client_certs = -1;
	dom.file = file;
	dom.line = line;
	if (n > 8) {
		diag_error(d, file, line, "too many fields");
		return;
	}
	size_t k;
	for (k = 0; k < 5; k++)
		if (!strcmp(tok[0], kinds[k]))
			break;
	if (k == 5) {
		const char *sug = closest(tok[0], kinds, 5);
		diag_error(d, file, line, "unknown kind '%s'%s%s%s (expected "
		    "local, email, chat-alias, remote or alias)", tok[0],
		    sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
		return;
	}
	dom.kind = (enum domain_kind)k;
	if (n < 2) {
		diag_error(d, file, line, "'%s' needs a domain name", tok[0]);
		return;
	}
	if (domain_token(cfg, d, file, line, tok[1], "domain", &dom.name) != 0)
		return;
	const struct cfg_domain *dup = domain_find_n(cfg, dom.name, cfg->ndomains);
	if (dup) {
		diag_error(d, file, line, "domain '%s' is already declared at "
		    "line %d", dom.name, dup->line);
		return;
	}
	switch (dom.kind) {
	case DOMAIN_LOCAL:
		for (size_t i = 2; i < n; i++) {
			if (strncmp(tok[i], "edge=", 5) != 0) {
				diag_error(d, file, line, "unknown option '%s' for "
				    "a local domain (valid: edge=HOST:PORT)", tok[i]);
				return;
			}
			if (config_parse_hostport(tok[i] + 5, 5061, &dom.edge)) {
				diag_error(d, file, line, "edge '%s' is not "
				    "host[:port]", tok[i] + 5);
				return;
			}
		}
		break;
	case DOMAIN_EMAIL:
	case DOMAIN_CHAT_ALIAS:
		if (n > 2) {
			diag_error(d, file, line, "unexpected '%s': %s takes no "
			    "options", tok[2], kinds[k]);
			return;
		}
		break;
	case DOMAIN_REMOTE:
		dom.type = REMOTE_XMPP;
		for (size_t i = 2; i < n; i++)
			if (domain_remote_opt(d, file, line, &dom, tok[i]) != 0)
				return;
		break;
	case DOMAIN_ALIAS:
		if (n != 3) {
			diag_error(d, file, line, "alias needs exactly two names: "
			    "alias NAME TARGET");
			return;
		}
		if (domain_token(cfg, d, file, line, tok[2], "alias target",
		    &dom.target) != 0)
			return;
		break;
	}
	struct cfg_domain *slot = pool_grow(cfg, (void **)&cfg->domains,
	    &cfg->ndomains, sizeof(dom));
	*slot = dom;
}

/* ------------------------------------------------------------------ */
/* routes.conf                                                        */

/* ".com.domaina.*" or ".com.domaina": labels after a leading dot. */
static int
sip_pattern_valid(const char *p)
{
	char buf[CFG_HOST_MAX];
	size_t len = strlen(p);

	if (len < 2 || p[0] != '.' || len >= sizeof(buf))
		return 0;
	memcpy(buf, p + 1, len);	/* with NUL */
	len--;
	if (len >= 2 && !strcmp(buf + len - 2, ".*"))
		buf[len - 2] = '\0';
	else if (!strcmp(buf, "*"))
		return 1;
	return config_valid_domain(buf);
}

static void
routes_line(struct config *cfg, struct config_diag *d, const char *file,
    int line, char *text)
{
	char *tok[6] = { 0 };
	size_t n = line_tokens(text, tok, 6);

	if (!strcmp(tok[0], "sip")) {
		struct cfg_sip_route r = { .file = file, .line = line };
		if (n != 5) {
			diag_error(d, file, line, "sip route needs 4 fields: sip "
			    "PATTERN NEXT_HOP PORT PROTOCOL (e.g. sip "
			    ".com.domaina.* edge.domaina.com 5061 tls)");
			return;
		}
		if (!sip_pattern_valid(tok[1])) {
			diag_error(d, file, line, "'%s' is not a reversed domain "
			    "pattern (e.g. .com.domaina.* or .com.domaina)", tok[1]);
			return;
		}
		char hp[CFG_HOST_MAX + 8];
		snprintf(hp, sizeof(hp), "%s:%s", tok[2], tok[3]);
		if (config_parse_hostport(hp, 0, &r.next_hop) != 0) {
			diag_error(d, file, line, "next hop '%s' port '%s' is not "
			    "a host and a port 1-65535", tok[2], tok[3]);
			return;
		}
		if (!strcasecmp(tok[4], "tls"))
			r.proto = ROUTE_PROTO_TLS;
		else if (!strcasecmp(tok[4], "tcp"))
			r.proto = ROUTE_PROTO_TCP;
		else {
			diag_error(d, file, line, "protocol '%s' is not valid; "
			    "expected tls or tcp", tok[4]);
			return;
		}
		r.pattern = pool_strdup_lower(cfg, tok[1]);
		*(struct cfg_sip_route *)pool_grow(cfg, (void **)&cfg->sip_routes,
		    &cfg->nsip_routes, sizeof(r)) = r;
		return;
	}
	if (!strcmp(tok[0], "xmpp")) {
		struct cfg_xmpp_route r = { .file = file, .line = line };
		if (n != 3) {
			diag_error(d, file, line, "xmpp route needs 2 fields: xmpp "
			    "DOMAIN ADDRESS[:PORT]");
			return;
		}
		if (domain_token(cfg, d, file, line, tok[1], "domain",
		    &r.domain) != 0)
			return;
		if (config_parse_hostport(tok[2], 5269, &r.addr) != 0) {
			diag_error(d, file, line, "address '%s' is not host[:port]",
			    tok[2]);
			return;
		}
		*(struct cfg_xmpp_route *)pool_grow(cfg,
		    (void **)&cfg->xmpp_routes, &cfg->nxmpp_routes, sizeof(r)) = r;
		return;
	}
	diag_error(d, file, line, "unknown route kind '%s' (expected sip or "
	    "xmpp)", tok[0]);
}

/* ------------------------------------------------------------------ */
/* policy.conf                                                        */

static void
policy_line(struct config *cfg, struct config_diag *d, const char *file,
    int line, char *text)
{
	static const char *const dirs[] = { "both", "inbound", "outbound" };
	static const char *const acts[] = { "allow", "deny" };
	char *tok[4] = { 0 };
	size_t n = line_tokens(text, tok, 4);
	struct cfg_policy p = { .file = file, .line = line };

	if (!strcmp(tok[0], "allow"))
		p.action = POLICY_ALLOW;
	else if (!strcmp(tok[0], "deny"))
		p.action = POLICY_DENY;
	else {
		const char *sug = closest(tok[0], acts, 2);
		diag_error(d, file, line, "unknown action '%s'%s%s%s (expected "
		    "allow or deny)", tok[0], sug ? " (did you mean '" : "",
		    sug ? sug : "", sug ? "'?)" : "");
		return;
	}
	if (n < 2 || n > 3) {
		diag_error(d, file, line, "expected: %s DOMAIN [both|inbound|"
		    "outbound]", tok[0]);
		return;
	}
	const char *dom = tok[1];
	if (!strncmp(dom, "*.", 2)) {
		p.wildcard = 1;
		dom += 2;
	} else if (strchr(dom, '*')) {
		diag_error(d, file, line, "'%s': only a leading '*.' wildcard "
		    "is allowed (e.g. *.example.com)", tok[1]);
		return;
	}
	if (domain_token(cfg, d, file, line, dom, "domain", &p.domain) != 0)
		return;
	p.direction = POLICY_BOTH;
	if (n == 3) {
		size_t i;
		for (i = 0; i < 3; i++)
			if (!strcmp(tok[2], dirs[i]))
				break;
		if (i == 3) {
			diag_error(d, file, line, "direction '%s' is not valid; "
			    "expected both, inbound or outbound", tok[2]);
			return;
		}
		p.direction = (enum policy_direction)i;
	}
	for (size_t i = 0; i < cfg->npolicy; i++) {
		const struct cfg_policy *o = &cfg->policy[i];
		if (o->wildcard != p.wildcard || strcmp(o->domain, p.domain))
			continue;
		if (o->action != p.action) {
			diag_error(d, file, line, "domain '%s%s' is both allowed "
			    "and denied (see line %d)", p.wildcard ? "*." : "",
			    p.domain, o->line);
			return;
		}
		if (o->direction == p.direction) {
			diag_warning(d, file, line, "'%s %s%s' repeats line %d",
			    tok[0], p.wildcard ? "*." : "", p.domain, o->line);
			return;
		}
	}
	*(struct cfg_policy *)pool_grow(cfg, (void **)&cfg->policy,
	    &cfg->npolicy, sizeof(p)) = p;
}

/* ------------------------------------------------------------------ */
/* email map                                                          */

static int
split_addr(const char *a, const char **dom)
{
	const char *at = strchr(a, '@');

	if (at == NULL || at == a || strchr(at + 1, '@'))
		return -1;
	for (const char *c = a; c < at; c++)
		if ((unsigned char)*c <= 0x20 || *c == '/' || *c == ':')
			return -1;
	if (!config_valid_domain(at + 1))
		return -1;
	*dom = at + 1;
	return 0;
}

static void
email_line(struct config *cfg, struct config_diag *d, const char *file,
    int line, char *text)
{
	char *tok[3] = { 0 };
	size_t n = line_tokens(text, tok, 3);
	struct cfg_email e = { .file = file, .line = line };
	const char *ld, *ed;

	if (n != 2) {
		diag_error(d, file, line, "expected: LOCAL-ID EMAIL (e.g. "
		    "alice@contoso.com alice.smith@contoso-mail.com)");
		return;
	}
	if (split_addr(tok[0], &ld) != 0) {
		diag_error(d, file, line, "local id '%s' is not user@domain",
		    tok[0]);
		return;
	}
	if (split_addr(tok[1], &ed) != 0) {
		diag_error(d, file, line, "email '%s' is not user@domain", tok[1]);
		return;
	}
	e.local_id = pool_strdup_lower(cfg, tok[0]);
	e.email = pool_strdup_lower(cfg, tok[1]);
	for (size_t i = 0; i < cfg->nemail_map; i++) {
		if (!strcmp(cfg->email_map[i].local_id, e.local_id)) {
			diag_error(d, file, line, "local id '%s' is already mapped"
			    " at line %d", e.local_id, cfg->email_map[i].line);
			return;
		}
		if (!strcmp(cfg->email_map[i].email, e.email)) {
			diag_error(d, file, line, "email '%s' is already mapped "
			    "at line %d", e.email, cfg->email_map[i].line);
			return;
		}
	}
	*(struct cfg_email *)pool_grow(cfg, (void **)&cfg->email_map,
	    &cfg->nemail_map, sizeof(e)) = e;
}

/* ------------------------------------------------------------------ */
/* Cross-file checks.                                                 */

static const char *main_file;	/* during config_load */

static int
setting_line_of(size_t off)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (settings[i].off == off)
			return setting_lines[i];
	return 0;
}

/* Does a SIP route pattern cover DOMAIN? (".com.a.*" covers a.com, x.a.com) */
static int
sip_pattern_covers(const char *pattern, const char *domain)
{
	char rev[CFG_HOST_MAX + 2] = "";
	char copy[CFG_HOST_MAX];
	char *labels[128];
	size_t n = 0, plen;
	char *save = NULL;

	snprintf(copy, sizeof(copy), "%s", domain);
	for (char *t = strtok_r(copy, ".", &save); t && n < 128;
	    t = strtok_r(NULL, ".", &save))
		labels[n++] = t;
	for (size_t i = n; i > 0; i--) {
		strncat(rev, ".", sizeof(rev) - strlen(rev) - 1);
		strncat(rev, labels[i - 1], sizeof(rev) - strlen(rev) - 1);
	}
	plen = strlen(pattern);
	if (!strcmp(pattern, ".*"))
		return 1;
	if (plen >= 2 && !strcmp(pattern + plen - 2, ".*"))
		return !strncmp(rev, pattern, plen - 2) &&
		    (rev[plen - 2] == '\0' || rev[plen - 2] == '.');
	return !strcmp(rev, pattern);
}

static void
check_file_readable(struct config_diag *d, size_t off, const char *key,
    const char *path, int secret)
{
	struct stat st;
	int line = setting_line_of(off);

	if (path == NULL || path[0] == '\0')
		return;
	if (access(path, R_OK) != 0) {
		diag_error(d, main_file, line, "%s: cannot read '%s': %s", key,
		    path, strerror(errno));
		return;
	}
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_error(d, main_file, line, "%s: '%s' is not a regular file",
		    key, path);
		return;
	}
	if (secret && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		diag_error(d, main_file, line, "%s: '%s' is readable by group or"
		    " others (mode %03o); run: chmod 600 %s", key, path,
		    (unsigned)(st.st_mode & 0777), path);
	}
}

static void
check_tls_files(struct config *cfg, struct config_diag *d)
{
	int sip_tls = cfg->sip_transport == SIP_TRANSPORT_TLS;
	int xmpp_tls = cfg->xmpp_security != XMPP_SEC_NO_TLS ||
	    cfg->xmpp_listen_tls.host[0] || cfg->sasl_external_in ||
	    cfg->sasl_external_out;

	if (sip_tls) {
		check_file_readable(d, OFF(sip_cert), "[sip] cert", cfg->sip_cert, 0);
		check_file_readable(d, OFF(sip_key), "[sip] key", cfg->sip_key, 1);
		check_file_readable(d, OFF(sip_ca), "[sip] ca", cfg->sip_ca, 0);
		if (cfg->sip_peer_subjects.n == 0)
			diag_error(d, main_file, setting_line_of(OFF(sip_peer_subjects)),
			    "[sip] peer_subjects is empty: list the TLS names of "
			    "your access edge (e.g. edge.contoso.local)");
	} else {
		diag_warning(d, main_file, setting_line_of(OFF(sip_transport)),
		    "[sip] transport = tcp: the link to the edge is not encrypted"
		    " (labs only)");
	}
	/* [xmpp] cert/key/ca default to [sip]'s. */
	if (cfg->xmpp_cert[0] == '\0')
		cfg->xmpp_cert = cfg->sip_cert;
	if (cfg->xmpp_key[0] == '\0')
		cfg->xmpp_key = cfg->sip_key;
	if (cfg->xmpp_ca[0] == '\0')
		cfg->xmpp_ca = cfg->sip_ca;
	if (xmpp_tls) {
		if (setting_line_of(OFF(xmpp_cert)) || !sip_tls)
			check_file_readable(d, OFF(xmpp_cert), "[xmpp] cert",
			    cfg->xmpp_cert, 0);
		if (setting_line_of(OFF(xmpp_key)) || !sip_tls)
			check_file_readable(d, OFF(xmpp_key), "[xmpp] key",
			    cfg->xmpp_key, 1);
		if (setting_line_of(OFF(xmpp_ca)) || !sip_tls)
			check_file_readable(d, OFF(xmpp_ca), "[xmpp] ca",
			    cfg->xmpp_ca, 0);
	}
	if (cfg->dialback)
		check_file_readable(d, OFF(dialback_secret_file),
		    "[xmpp] dialback_secret_file", cfg->dialback_secret_file, 1);
	if (!cfg->dialback && !cfg->sasl_external_in && !cfg->sasl_external_out)
		diag_error(d, main_file, setting_line_of(OFF(dialback)),
		    "[xmpp] dialback = no and SASL EXTERNAL is off both ways: "
		    "no peer could ever authenticate");
	if (cfg->xmpp_security == XMPP_SEC_NO_TLS && !cfg->dialback)
		diag_error(d, main_file, setting_line_of(OFF(xmpp_security)),
		    "[xmpp] security = no-tls needs dialback = yes");
}

static void
check_domains(struct config *cfg, struct config_diag *d)
{
	size_t nlocal = 0;

	for (size_t i = 0; i < cfg->ndomains; i++) {
		struct cfg_domain *dom = &cfg->domains[i];
		switch (dom->kind) {
		case DOMAIN_LOCAL: {
			int routed = dom->edge.host[0] != '\0';
			nlocal++;
			for (size_t j = 0; !routed && j < cfg->nsip_routes; j++)
				routed = sip_pattern_covers(cfg->sip_routes[j].pattern,
				    dom->name);
			if (!routed)
				diag_error(d, dom->file, dom->line, "local domain '%s'"
				    " has no next hop (add edge=HOST:PORT, or a sip "
				    "route in the routes file)", dom->name);
			break;
		}
		case DOMAIN_REMOTE: {
			int routed = 0;
			for (size_t j = 0; j < cfg->nxmpp_routes; j++)
				routed |= !strcmp(cfg->xmpp_routes[j].domain, dom->name);
			if (dom->type == REMOTE_CLEARINGHOUSE && !routed &&
			    cfg->default_routing_domain[0] == '\0')
				diag_error(d, dom->file, dom->line, "'%s' is type="
				    "clearinghouse but has no static route and "
				    "[federation] default_routing_domain is empty",
				    dom->name);
			break;
		}
		case DOMAIN_ALIAS: {
			const struct cfg_domain *t = domain_find_n(cfg, dom->target,
			    cfg->ndomains);
			if (t == NULL)
				diag_error(d, dom->file, dom->line, "alias target '%s'"
				    " is not declared in this file", dom->target);
			else if (t->kind == DOMAIN_ALIAS)
				diag_error(d, dom->file, dom->line, "alias target '%s'"
				    " is itself an alias", dom->target);
			break;
		}
		default:
			break;
		}
	}
	if (nlocal == 0)
		diag_error(d, cfg->domains_file, 0, "no local domain: declare at "
		    "least one 'local DOMAIN edge=HOST:PORT'");
	const char *drd = cfg->default_routing_domain;
	if (drd[0]) {
		const struct cfg_domain *t = domain_find_n(cfg, drd, cfg->ndomains);
		if (t && t->kind != DOMAIN_REMOTE)
			diag_error(d, main_file,
			    setting_line_of(OFF(default_routing_domain)),
			    "[federation] default_routing_domain '%s' is declared "
			    "as a non-remote domain at %s:%d", drd, t->file, t->line);
	}
}

static void
check_routes(struct config *cfg, struct config_diag *d)
{
	for (size_t i = 0; i < cfg->nxmpp_routes; i++) {
		const struct cfg_xmpp_route *r = &cfg->xmpp_routes[i];
		const struct cfg_domain *t = domain_find_n(cfg, r->domain,
		    cfg->ndomains);
		if (t && t->kind == DOMAIN_LOCAL)
			diag_error(d, r->file, r->line, "xmpp route for '%s', which"
			    " is a local SIP domain (declared at %s:%d)", r->domain,
			    t->file, t->line);
	}
}

static void
check_policy(struct config *cfg, struct config_diag *d)
{
	static const char *const modes[] = { "off", "allow-list", "deny-list" };

	for (size_t i = 0; i < cfg->npolicy; i++) {
		struct cfg_policy *p = &cfg->policy[i];
		p->active = (cfg->privacy_mode == PRIVACY_ALLOW_LIST &&
		    p->action == POLICY_ALLOW) ||
		    (cfg->privacy_mode == PRIVACY_DENY_LIST &&
		    p->action == POLICY_DENY);
		if (!p->active)
			diag_warning(d, p->file, p->line, "'%s %s%s' is inactive "
			    "with privacy_mode = %s",
			    p->action == POLICY_ALLOW ? "allow" : "deny",
			    p->wildcard ? "*." : "", p->domain,
			    modes[cfg->privacy_mode]);
		const struct cfg_domain *t = domain_find_n(cfg, p->domain,
		    cfg->ndomains);
		if (t && t->kind != DOMAIN_REMOTE && t->kind != DOMAIN_ALIAS)
			diag_error(d, p->file, p->line, "'%s' is one of our own "
			    "domains (%s:%d): policy applies to remote domains",
			    p->domain, t->file, t->line);
	}
}

static void
check_email_map(struct config *cfg, struct config_diag *d)
{
	for (size_t i = 0; i < cfg->nemail_map; i++) {
		const struct cfg_email *e = &cfg->email_map[i];
		const struct cfg_domain *ld = domain_find_n(cfg,
		    strchr(e->local_id, '@') + 1, cfg->ndomains);
		const struct cfg_domain *ed = domain_find_n(cfg,
		    strchr(e->email, '@') + 1, cfg->ndomains);
		if (ld == NULL || ld->kind != DOMAIN_LOCAL)
			diag_error(d, e->file, e->line, "local id '%s' is not in a"
			    " local domain", e->local_id);
		if (ed == NULL || (ed->kind != DOMAIN_EMAIL &&
		    ed->kind != DOMAIN_LOCAL))
			diag_error(d, e->file, e->line, "email '%s' is not in an "
			    "email or local domain of the domains file", e->email);
	}
	if (cfg->email_for_federation && cfg->email_map_file[0] == '\0')
		diag_error(d, main_file,
		    setting_line_of(OFF(email_for_federation)),
		    "[federation] email_for_federation = yes needs [gateway] "
		    "email_map_file");
}

/* ------------------------------------------------------------------ */
/* Load.                                                              */

static void
config_free(struct config *cfg)
{
	struct config_priv *p = cfg->priv;

	for (size_t i = 0; i < p->n; i++)
		free(p->ptrs[i]);
	free(p->ptrs);
	free(p);
	free(cfg);
}

static char *
dir_of(struct config *cfg, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (slash == NULL)
		return pool_strdup(cfg, ".");
	if (slash == path)
		return pool_strdup(cfg, "/");
	d = pool_alloc(cfg, (size_t)(slash - path) + 1);
	memcpy(d, path, (size_t)(slash - path));
	return d;
}

struct config *
config_load(const char *path, struct config_diag *d)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct main_state st;
	uint64_t hash = 14695981039346656037ULL;

	if (cfg == NULL || (cfg->priv = calloc(1, sizeof(*cfg->priv))) == NULL)
		fatalx(LOG_MOD, "out of memory");
	cfg->priv->refs = 1;
	cfg->path = pool_strdup(cfg, path);
	cfg->dir = dir_of(cfg, path);
	settings_defaults(cfg);

	memset(&st, 0, sizeof(st));
	main_st = &st;
	main_file = cfg->path;
	size_t before = d->nerrors;
	if (file_each_line(cfg, d, &hash, path, path, 0, "configuration file",
	    main_line) != 0)
		goto fail;
	for (size_t i = 0; i < NSETTINGS; i++)
		if ((settings[i].flags & SF_REQUIRED) && setting_lines[i] == 0)
			diag_error(d, path, 0, "[%s] %s is required (%s)",
			    settings[i].section, settings[i].name, settings[i].doc);
	if (d->nerrors > before)
		goto fail;	/* file names may be wrong: stop here */

	file_each_line(cfg, d, &hash, cfg->domains_file, path,
	    setting_line_of(OFF(domains_file)), "[gateway] domains_file",
	    domains_line);
	file_each_line(cfg, d, &hash, cfg->routes_file, path,
	    setting_line_of(OFF(routes_file)), "[gateway] routes_file",
	    routes_line);
	file_each_line(cfg, d, &hash, cfg->policy_file, path,
	    setting_line_of(OFF(policy_file)), "[gateway] policy_file",
	    policy_line);
	if (cfg->email_map_file[0])
		file_each_line(cfg, d, &hash, cfg->email_map_file, path,
		    setting_line_of(OFF(email_map_file)),
		    "[gateway] email_map_file", email_line);
	if (d->nerrors > before)
		goto fail;

	check_tls_files(cfg, d);
	check_domains(cfg, d);
	check_routes(cfg, d);
	check_policy(cfg, d);
	check_email_map(cfg, d);
	if (d->nerrors > before)
		goto fail;
	snprintf(cfg->hash, sizeof(cfg->hash), "%016llx",
	    (unsigned long long)hash);
	main_st = NULL;
	return cfg;
fail:
	main_st = NULL;
	config_free(cfg);
	return NULL;
}

struct config *
config_ref(struct config *cfg)
{
	if (cfg)
		cfg->priv->refs++;
	return cfg;
}

void
config_unref(struct config *cfg)
{
	if (cfg && --cfg->priv->refs == 0)
		config_free(cfg);
}

static struct config *current;

struct config *
config_current(void)
{
	return current;
}

void
config_set_current(struct config *cfg)
{
	struct config *old = current;

	current = config_ref(cfg);
	config_unref(old);
}

/* ------------------------------------------------------------------ */
/* Lookups.                                                           */

const struct cfg_domain *
config_domain_find(const struct config *cfg, const char *name)
{
	return domain_find_n(cfg, name, cfg->ndomains);
}

int
config_is_local_domain(const struct config *cfg, const char *name)
{
	const struct cfg_domain *d = config_domain_find(cfg, name);

	return d && (d->kind == DOMAIN_LOCAL || d->kind == DOMAIN_EMAIL ||
	    d->kind == DOMAIN_CHAT_ALIAS);
}

const char *
config_alias_target(const struct config *cfg, const char *name)
{
	const struct cfg_domain *d = config_domain_find(cfg, name);

	return d && d->kind == DOMAIN_ALIAS ? d->target : NULL;
}

/* ------------------------------------------------------------------ */
/* Printing.                                                          */

static const char *const kind_names[] = { "local", "email", "chat-alias",
    "remote", "alias" };
static const char *const type_names[] = { "xmpp", "sip", "clearinghouse" };

static void
print_domain(const struct cfg_domain *d, FILE *out)
{
	char hp[CFG_HOST_MAX + 16];

	fprintf(out, "%-10s %s", kind_names[d->kind], d->name);
	switch (d->kind) {
	case DOMAIN_LOCAL:
		config_hostport_format(&d->edge, hp, sizeof(hp));
		if (hp[0])
			fprintf(out, " edge=%s", hp);
		break;
	case DOMAIN_REMOTE:
		fprintf(out, " type=%s", type_names[d->type]);
		if (d->opts.security >= 0)
			fprintf(out, " security=%s", ch_security[d->opts.security]);
		if (d->opts.sasl >= 0)
			fprintf(out, " sasl=%s", d->opts.sasl ? "yes" : "no");
		if (d->opts.dialback >= 0)
			fprintf(out, " dialback=%s", d->opts.dialback ? "yes" : "no");
		if (d->opts.require_client_certs >= 0)
			fprintf(out, " client_certs=%s",
			    d->opts.require_client_certs ? "yes" : "no");
		break;
	case DOMAIN_ALIAS:
		fprintf(out, " %s", d->target);
		break;
	default:
		break;
	}
	fputc('\n', out);
}

void
config_print(const struct config *cfg, FILE *out)
{
	static const char *const dirs[] = { "both", "inbound", "outbound" };
	const char *section = NULL;
	char val[1024], hp[CFG_HOST_MAX + 16];

	fprintf(out, "# normalised configuration of %s\n", cfg->path);
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		if (section == NULL || strcmp(section, s->section)) {
			fprintf(out, "%s[%s]\n", section ? "\n" : "", s->section);
			section = s->section;
		}
		setting_format(cfg, s, val, sizeof(val));
		fprintf(out, "%s = %s\n", s->name, val);
	}
	fprintf(out, "\n# domains (%s)\n", cfg->domains_file);
	for (size_t i = 0; i < cfg->ndomains; i++)
		print_domain(&cfg->domains[i], out);
	fprintf(out, "\n# routes (%s)\n", cfg->routes_file);
	for (size_t i = 0; i < cfg->nsip_routes; i++) {
		const struct cfg_sip_route *r = &cfg->sip_routes[i];
		fprintf(out, "sip  %s %s %u %s\n", r->pattern, r->next_hop.host,
		    r->next_hop.port, r->proto == ROUTE_PROTO_TLS ? "tls" : "tcp");
	}
	for (size_t i = 0; i < cfg->nxmpp_routes; i++) {
		config_hostport_format(&cfg->xmpp_routes[i].addr, hp, sizeof(hp));
		fprintf(out, "xmpp %s %s\n", cfg->xmpp_routes[i].domain, hp);
	}
	fprintf(out, "\n# policy (%s)\n", cfg->policy_file);
	for (size_t i = 0; i < cfg->npolicy; i++) {
		const struct cfg_policy *p = &cfg->policy[i];
		fprintf(out, "%-5s %s%s %s%s\n",
		    p->action == POLICY_ALLOW ? "allow" : "deny",
		    p->wildcard ? "*." : "", p->domain, dirs[p->direction],
		    p->active ? "" : "   # inactive");
	}
	if (cfg->email_map_file[0]) {
		fprintf(out, "\n# email map (%s)\n", cfg->email_map_file);
		for (size_t i = 0; i < cfg->nemail_map; i++)
			fprintf(out, "%s %s\n", cfg->email_map[i].local_id,
			    cfg->email_map[i].email);
	}
}

static const char *
type_doc(enum stype t)
{
	switch (t) {
	case ST_STRING:		return "text";
	case ST_DOMAIN:		return "DNS name";
	case ST_PATH:		return "path";
	case ST_BOOL:		return "yes/no";
	case ST_DURATION:	return "duration";
	case ST_SIZE:		return "size";
	case ST_UINT:		return "number";
	case ST_HOSTPORT:	return "host:port";
	case ST_ENUM:		return "choice";
	case ST_LIST:		return "list";
	case ST_HOSTLIST:	return "list of IP[:port]";
	}
	return "?";
}

void
config_print_settings_doc(FILE *out)
{
	const char *section = NULL;

	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		if (section == NULL || strcmp(section, s->section)) {
			fprintf(out, "%s### [%s]\n\n", section ? "\n" : "",
			    s->section);
			fprintf(out, "| key | type | default | reload | meaning |\n");
			fprintf(out, "|---|---|---|---|---|\n");
			section = s->section;
		}
		fprintf(out, "| `%s` | %s | %s%s%s | %s | %s |\n", s->name,
		    type_doc(s->type),
		    (s->flags & SF_REQUIRED) ? "" : "`",
		    (s->flags & SF_REQUIRED) ? "*required*" :
		    (s->def && s->def[0] ? s->def : "(empty)"),
		    (s->flags & SF_REQUIRED) ? "" : "`",
		    s->live ? "live" : "restart", s->doc);
	}
}

/* ------------------------------------------------------------------ */
/* Reload differences.                                                */

static void
table_text(const struct config *cfg, int which, char *buf, size_t len)
{
	size_t n = which == 0 ? cfg->ndomains : which == 1 ?
	    cfg->nsip_routes + cfg->nxmpp_routes : which == 2 ? cfg->npolicy :
	    cfg->nemail_map;

	snprintf(buf, len, "%zu entries", n);
}

/* Compare two tables by their printed form (cheap: done once per reload). */
static int
tables_differ(const struct config *a, const struct config *b, int which)
{
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
	int differ;

	if (fa == NULL || fb == NULL)
		fatalx(LOG_MOD, "out of memory");
	for (int k = 0; k < 2; k++) {
		const struct config *c = k ? b : a;
		FILE *f = k ? fb : fa;
		if (which == 0)
			for (size_t i = 0; i < c->ndomains; i++)
				print_domain(&c->domains[i], f);
		else if (which == 1) {
			for (size_t i = 0; i < c->nsip_routes; i++)
				fprintf(f, "%s %s %u %d\n", c->sip_routes[i].pattern,
				    c->sip_routes[i].next_hop.host,
				    c->sip_routes[i].next_hop.port,
				    c->sip_routes[i].proto);
			for (size_t i = 0; i < c->nxmpp_routes; i++)
				fprintf(f, "%s %s %u\n", c->xmpp_routes[i].domain,
				    c->xmpp_routes[i].addr.host,
				    c->xmpp_routes[i].addr.port);
		} else if (which == 2)
			for (size_t i = 0; i < c->npolicy; i++)
				fprintf(f, "%d %d %s %d %d\n", c->policy[i].action,
				    c->policy[i].wildcard, c->policy[i].domain,
				    c->policy[i].direction, c->policy[i].active);
		else
			for (size_t i = 0; i < c->nemail_map; i++)
				fprintf(f, "%s %s\n", c->email_map[i].local_id,
				    c->email_map[i].email);
	}
	fclose(fa);
	fclose(fb);
	differ = la != lb || memcmp(ta, tb, la) != 0;
	free(ta);
	free(tb);
	return differ;
}

void
config_changes(const struct config *old, const struct config *new,
    void (*fn)(const char *, const char *, const char *, int, void *),
    void *arg)
{
	static const char *const tables[] = { "domains", "routes", "policy",
	    "email_map" };
	char a[1024], b[1024], key[64];

	for (size_t i = 0; i < NSETTINGS; i++) {
		setting_format(old, &settings[i], a, sizeof(a));
		setting_format(new, &settings[i], b, sizeof(b));
		if (strcmp(a, b)) {
			snprintf(key, sizeof(key), "%s.%s", settings[i].section,
			    settings[i].name);
			fn(key, a, b, settings[i].live, arg);
		}
	}
	for (int t = 0; t < 4; t++) {
		if (tables_differ(old, new, t)) {
			table_text(old, t, a, sizeof(a));
			table_text(new, t, b, sizeof(b));
			fn(tables[t], a, b, 1, arg);
		}
	}
}
