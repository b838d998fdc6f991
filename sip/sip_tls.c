/*
 * sip_tls: see sip_tls.h.
 *
 * About the log tap. Sofia's TLS transport verifies certificates itself
 * and, when a handshake fails, only closes the connection and writes to
 * its own log (tport_log): the application is not told, an outgoing
 * request just times out after 32 s. We redirect that log (level 5: the
 * connection life cycle, never per message) into a parser that keeps a
 * small table of connections and, for a failed one, the reason in plain
 * words. The lines parsed are the ones Sofia 1.12 writes in tport_tls.c;
 * if a future Sofia words them differently, the tap learns less (reasons
 * become "handshake failed") but nothing breaks: sip_out still fails a
 * request fast from the transport's state.
 */
#include "config.h"

#include "sip/sip_core.h"
#include "sip/sip_tls.h"

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sofia-sip/nta_tport.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_strlst.h>
#include <sofia-sip/tport.h>

/* Exported by libsofia-sip-ua but declared only in its private headers. */
extern su_log_t tport_log[];
extern su_log_t nta_log[];

/* ---- the TLS directory Sofia reads -------------------------------- */

/* Append the whole of path to f. */
static int
copy_into(FILE *f, const char *path)
{
	FILE *in = fopen(path, "r");
	char buf[4096];
	size_t n;
	int last = '\n';

	if (in == NULL) {
		log_warn(SIP_MOD, "cannot read %s", path);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		fwrite(buf, 1, n, f);
		last = buf[n - 1];
	}
	fclose(in);
	if (last != '\n')
		fputc('\n', f);
	return 0;
}

/* Write path (mode 0600) as the concatenation of a and b (b may be NULL). */
static int
write_concat(const char *path, const char *a, const char *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FILE *f;
	int rc;

	if (fd < 0 || fchmod(fd, 0600) != 0 || (f = fdopen(fd, "w")) == NULL) {
		log_warn(SIP_MOD, "cannot write %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = copy_into(f, a);
	if (rc == 0 && b)
		rc = copy_into(f, b);
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* The key must belong to the certificate: say so now, not as a mute
 * handshake failure later. */
static int
check_key_matches(const char *certfile, const char *keyfile)
{
	FILE *cf = fopen(certfile, "r"), *kf = fopen(keyfile, "r");
	X509 *x = cf ? PEM_read_X509(cf, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
	int ok = x && k && X509_check_private_key(x, k) == 1;

	if (!ok)
		log_error(SIP_MOD, "[sip] key %s is not the private key of [sip] "
		    "cert %s (or one of them is not PEM)", keyfile, certfile);
	X509_free(x);
	EVP_PKEY_free(k);
	if (cf)
		fclose(cf);
	if (kf)
		fclose(kf);
	return ok ? 0 : -1;
}

int
sip_tls_prepare(const struct config *cfg, char *dir, size_t len)
{
	char path[PATH_MAX];

	if (check_key_matches(cfg->sip_cert, cfg->sip_key) != 0)
		return -1;
	if (snprintf(dir, len, "%s/sip-tls", cfg->state_dir) >= (int)len)
		return -1;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_warn(SIP_MOD, "cannot create %s", dir);
		return -1;
	}
	if (chmod(dir, 0700) != 0) {
		log_warn(SIP_MOD, "cannot chmod %s", dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/agent.pem", dir);
	if (write_concat(path, cfg->sip_cert, cfg->sip_key) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cafile.pem", dir);
	if (write_concat(path, cfg->sip_ca, NULL) != 0)
		return -1;
	return 0;
}

/* ---- our certificate's names -------------------------------------- */

static void
names_add(char *have, size_t len, const char *name)
{
	size_t n = strlen(have);

	if (strstr(have, name))
		return;
	snprintf(have + n, len - n, "%s%s", n ? ", " : "", name);
}

int
sip_tls_cert_names_host(const char *certfile, const char *host, char *have,
    size_t len)
{
	FILE *f = fopen(certfile, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	GENERAL_NAMES *sans;
	char cn[256];
	int rc;

	have[0] = '\0';
	if (f)
		fclose(f);
	if (x == NULL) {
		snprintf(have, len, "cannot read a PEM certificate from %s",
		    certfile);
		return -1;
	}
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (g->type == GEN_DNS)
			names_add(have, len,
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
	}
	GENERAL_NAMES_free(sans);
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    cn, sizeof(cn)) > 0)
		names_add(have, len, cn);
	/* Exact names only: Sofia-based and Lync edges ignore wildcards. */
	rc = X509_check_host(x, host, strlen(host),
	    X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1 ? 0 : -1;
	X509_free(x);
	return rc;
}

/* ---- the connection table the tap keeps --------------------------- */

#define NCONN		128

struct sip_conn {
	const void	*tp;		/* identity only, never dereferenced */
	char		 peer[80];
	int		 outgoing;
	int		 closed;
	int		 verified;
	char		 subject[160];
	char		 failure[400];
	uint64_t	 opened_ms, last_ms;
};

/* What the tap collects about the certificate a handshake is checking. */
struct cert_error {
	int		 active;
	char		 subject[200], issuer[200], err[160];
};

static struct {
	int		 on;
	struct sip_conn	 conns[NCONN];
	size_t		 next;			/* ring position */
	struct cert_error pending;
	char		 line[1024];
	size_t		 linelen;
	uint64_t	 refused;
} W;

static struct sip_conn *
conn_find(const void *tp)
{
	for (size_t i = 0; i < NCONN; i++) {
		size_t k = (W.next + NCONN - 1 - i) % NCONN;
		if (W.conns[k].tp == tp && tp != NULL)
			return &W.conns[k];
	}
	return NULL;
}

static struct sip_conn *
conn_open(const void *tp, const char *peer, int outgoing)
{
	struct sip_conn *c = &W.conns[W.next];

	W.next = (W.next + 1) % NCONN;
	memset(c, 0, sizeof(*c));
	c->tp = tp;
	c->outgoing = outgoing;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->opened_ms = c->last_ms = loop_now_ms();
	return c;
}

int
sip_tls_failure(const void *tport, char *buf, size_t len)
{
	struct sip_conn *c = conn_find(tport);

	if (c == NULL || c->failure[0] == '\0')
		return -1;
	return snprintf(buf, len, "%s", c->failure) < (int)len ? 0 : -1;
}

uint64_t
sip_tls_refused_count(void)
{
	return W.refused;
}

/* ---- the per-request peer check ----------------------------------- */

static int
subject_allowed(const char *name)
{
	const struct config *cfg = sip_cfg();

	for (size_t i = 0; i < cfg->sip_peer_subjects.n; i++)
		if (strcasecmp(cfg->sip_peer_subjects.v[i], name) == 0)
			return 1;
	return 0;
}

int
sip_tls_peer_ok(msg_t *msg, char *names, size_t len)
{
	nta_agent_t *agent = sip_agent();
	tport_t *tp = nta_incoming_transport(agent, NULL, msg);
	su_strlst_t const *subj;
	struct sip_conn *c;
	int ok = 0;

	names[0] = '\0';
	if (sip_cfg()->sip_transport == SIP_TRANSPORT_TCP) {
		ok = 1;
		goto out;
	}
	subj = tport_delivered_from_subjects(nta_agent_tports(agent), msg);
	for (usize_t i = 0; subj && i < su_strlst_len(subj); i++) {
		const char *s = su_strlst_item(subj, i);
		names_add(names, len, s);
		if (subject_allowed(s))
			ok = 1;
	}
	if (tp == NULL || !tport_is_verified(tp))
		ok = 0;
out:
	if ((c = conn_find(tp)) == NULL && tp) {
		const tp_name_t *tpn = tport_name(tp);
		char peer[80];
		snprintf(peer, sizeof(peer), "%s:%s", tpn->tpn_host,
		    tpn->tpn_port);
		c = conn_open(tp, peer, 0);
	}
	if (c) {
		c->last_ms = loop_now_ms();
		c->verified = ok;
		snprintf(c->subject, sizeof(c->subject), "%s", names);
	}
	tport_unref(tp);
	return ok;
}

void
sip_tls_connections(FILE *out)
{
	uint64_t now = loop_now_ms();

	for (size_t i = 0; i < NCONN; i++) {
		const struct sip_conn *c = &W.conns[i];
		if (c->tp == NULL || c->closed || c->failure[0])
			continue;
		fprintf(out, "sip %s peer=%s %s auth=%s subject=%s age=%llus "
		    "idle=%llus\n", c->outgoing ? "out" : "in", c->peer,
		    sip_cfg() && sip_cfg()->sip_transport == SIP_TRANSPORT_TCP ?
		    "tcp" : "tls", c->verified ? "mtls" : "none",
		    c->subject[0] ? c->subject : "-",
		    (unsigned long long)((now - c->opened_ms) / 1000),
		    (unsigned long long)((now - c->last_ms) / 1000));
	}
}

/* ---- the tap on Sofia's logs --------------------------------------- */

/* "func(0xPTR): rest" -> PTR and rest; NULL when the line is not so. */
static const char *
line_tport(const char *line, const char *func, const void **tp)
{
	size_t fl = strlen(func);
	unsigned long long v;
	char *end;

	if (strncmp(line, func, fl) != 0 || line[fl] != '(')
		return NULL;
	v = strtoull(line + fl + 1, &end, 16);
	if (end[0] != ')' || end[1] != ':')
		return NULL;
	*tp = (const void *)(uintptr_t)v;
	return end + 2 + (end[2] == ' ');
}

/* After "prefix": the rest of line, or NULL. */
static const char *
after(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(line, prefix, n) == 0 ? line + n : NULL;
}

static void
tap_failure(const void *tp, const char *reason)
{
	struct sip_conn *c = conn_find(tp);

	if (c == NULL)
		c = conn_open(tp, "?", 0);
	snprintf(c->failure, sizeof(c->failure), "%s", reason);
	if (!c->outgoing)
		W.refused++;
	log_warnx(SIP_MOD, "TLS handshake %s peer=%s refused: %s",
	    c->outgoing ? "to" : "from", c->peer, reason);
	memset(&W.pending, 0, sizeof(W.pending));
}

/* A handshake failed: say why, from the certificate error if we saw one. */
static void
tap_setup_failed(const void *tp)
{
	struct sip_conn *c = conn_find(tp);
	char reason[400];

	if (W.pending.active)
		snprintf(reason, sizeof(reason), "certificate not trusted "
		    "(%.80s): subject=%.100s issuer=%.100s", W.pending.err,
		    W.pending.subject, W.pending.issuer);
	else if (c && !c->outgoing)
		snprintf(reason, sizeof(reason), "no client certificate "
		    "presented, or the peer refused ours");
	else
		snprintf(reason, sizeof(reason), "TLS handshake failed: the "
		    "peer refused our certificate or our TLS version");
	tap_failure(tp, reason);
}

/* One complete line of Sofia's transport log. */
static void
tap_line(const char *line)
{
	const void *tp = NULL;
	const char *r;

	log_debug(SIP_MOD, "sofia: %s", line);
	if ((r = line_tport(line, "tport_tls_accept", &tp)) &&
	    (r = after(r, "new connection from tls/")))
		conn_open(tp, r, 0);
	else if ((r = line_tport(line, "tport_tls_connect", &tp)) &&
	    (r = after(r, "connecting to tls/")))
		conn_open(tp, r, 1);
	else if ((r = after(line, "-Error with certificate at depth: "))) {
		memset(&W.pending, 0, sizeof(W.pending));
		W.pending.active = 1;
	} else if ((r = after(line, "  issuer   = ")))
		snprintf(W.pending.issuer, sizeof(W.pending.issuer), "%.199s", r);
	else if ((r = after(line, "  subject  = ")))
		snprintf(W.pending.subject, sizeof(W.pending.subject), "%.199s", r);
	else if ((r = after(line, "  err "))) {
		const char *colon = strchr(r, ':');
		snprintf(W.pending.err, sizeof(W.pending.err), "%.159s",
		    colon ? colon + 1 : r);
	} else if ((r = line_tport(line, "tls_connect", &tp)) &&
	    after(r, "TLS setup failed"))
		tap_setup_failed(tp);
	else if ((r = line_tport(line, "tls_post_connection_check", &tp)) &&
	    (r = after(r, "Peer Subject Mismatch"))) {
		char reason[320], name[CFG_HOST_MAX] = "";
		/* " (edge.sip.test)" for outgoing, " (incoming connection)" */
		sscanf(r, " (%255[^)])", name);
		snprintf(reason, sizeof(reason), "the peer's certificate does "
		    "not name %s (verified chain, wrong name)", name);
		tap_failure(tp, reason);
	} else if ((r = line_tport(line, "tport_close", &tp))) {
		struct sip_conn *c = conn_find(tp);
		if (c)
			c->closed = 1;
	}
}

/* su_logger_f: Sofia formats a line in pieces; cut at newlines. */
static void
tap_logger(void *stream, char const *fmt, va_list ap)
{
	char piece[1024];
	int n = vsnprintf(piece, sizeof(piece), fmt, ap);

	if (n < 0)
		return;
	for (const char *p = piece; *p; p++) {
		if (*p == '\n' || W.linelen == sizeof(W.line) - 1) {
			W.line[W.linelen] = '\0';
			if (W.linelen)
				tap_line(W.line);
			W.linelen = 0;
			if (*p == '\n')
				continue;
		}
		W.line[W.linelen++] = *p;
	}
}

/* Other Sofia logs (nta, su): their errors, at debug level. */
static void
other_logger(void *stream, char const *fmt, va_list ap)
{
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0)
		log_debug(SIP_MOD, "sofia %s: %s", (const char *)stream, line);
}

void
sip_tls_log_start(void)
{
	if (W.on)
		return;
	W.on = 1;
	su_log_redirect(tport_log, tap_logger, NULL);
	su_log_set_level(tport_log, 5);
	su_log_redirect(nta_log, other_logger, "nta");
	su_log_set_level(nta_log, 3);
	su_log_redirect(su_log_default, other_logger, "su");
	su_log_set_level(su_log_default, 3);
}

void
sip_tls_log_stop(void)
{
	if (!W.on)
		return;
	W.on = 0;
	su_log_set_level(tport_log, 0);
	su_log_set_level(nta_log, 0);
	su_log_set_level(su_log_default, 0);
	su_log_redirect(tport_log, NULL, NULL);
	su_log_redirect(nta_log, NULL, NULL);
	su_log_redirect(su_log_default, NULL, NULL);
	memset(&W, 0, sizeof(W));
}
