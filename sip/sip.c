/*
 * sip: the service, the nta agent, and the door every request from the
 * edge comes through (sip_gate + the dispatch table).
 *
 * Why nta and not nua: only nta hands us each request with the transport it
 * came on, which is how the mutual-TLS peer is checked per request, and it
 * lets answers wait for the XMPP side (deferred nta_incoming_treply).
 */
#include "config.h"

#include "sip/sip_core.h"
#include "sip/sip_echo.h"
#include "sip/sip_edge.h"
#include "sip/sip_im.h"
#include "sip/sip_out.h"
#include "sip/sip_page.h"
#include "sip/sip_sub.h"
#include "sip/sip_tls.h"
#include "sip/sip_txn.h"

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/policy.h"

#include "xlate/conv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sresolv.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>

enum sip_state {
	SIP_ST_IDLE	= 0x1,	/* not started */
	SIP_ST_RUNNING	= 0x2,
	SIP_ST_STOPPING	= 0x4,	/* goodbyes sent, waiting for answers */
	SIP_ST_STOPPED	= 0x8,
};

static struct {
	enum sip_state	 state;
	nta_agent_t	*agent;
	struct config	*cfg;		/* the config in force (a reference) */
	struct sip_events ev;
	int		 have_ev;
	int		 events_locked;	/* by the test echo */
	char		 tls_dir[PATH_MAX];
	char		 resolv_conf[PATH_MAX];
	char		 listen_url[512];
	su_home_t	 home[1];	/* for the few Sofia objects we keep */
	sip_contact_t	*contact;	/* <sip:hostname:port;transport=tls> */
	uint64_t	 next_id;
	struct metric	*counters[SIP_C_MAX];
} S = { .state = SIP_ST_IDLE, .home = { SU_HOME_INIT(S.home) } };

static const char *
sip_strstate(enum sip_state st)
{
	switch (st) {
	case SIP_ST_IDLE:	return "idle";
	case SIP_ST_RUNNING:	return "running";
	case SIP_ST_STOPPING:	return "stopping";
	case SIP_ST_STOPPED:	return "stopped";
	}
	return "?";
}

static void
sip_enter_state(enum sip_state st)
{
	log_debug(SIP_MOD, "service %s -> %s", sip_strstate(S.state),
	    sip_strstate(st));
	S.state = st;
}

/* ---- accessors for the other files of sip/ ------------------------ */

nta_agent_t *
sip_agent(void)
{
	return S.agent;
}

struct config *
sip_cfg(void)
{
	return S.cfg;
}

const struct sip_events *
sip_ev(void)
{
	return S.have_ev ? &S.ev : NULL;
}

int
sip_is_running(void)
{
	return S.state == SIP_ST_RUNNING;
}

const sip_contact_t *
sip_our_contact(void)
{
	return S.contact;
}

const char *
sip_hostname(void)
{
	return S.cfg ? S.cfg->hostname : "";
}

void
sip_dialog_tport(tport_t **slot, nta_incoming_t *irq)
{
	msg_t *msg = nta_incoming_getrequest(irq);
	tport_t *tp = nta_incoming_transport(S.agent, NULL, msg);

	msg_destroy(msg);
	if (tp == NULL)
		return;
	if (*slot)
		tport_unref(*slot);
	*slot = tp;
}

void
sip_dialog_tport_release(tport_t **slot)
{
	if (*slot)
		tport_unref(*slot);
	*slot = NULL;
}

uint64_t
sip_next_id(void)
{
	return ++S.next_id;
}

/* The test echo (sip_echo.c) keeps the events once it has them. */
void
sip_events_lock(void)
{
	S.events_locked = 1;
}

void
sip_set_events(const struct sip_events *ev)
{
	if (S.events_locked && ev != NULL) {
		log_warnx(SIP_MOD, "FG_TEST_SIP_ECHO is on: the SIP side stays "
		    "wired to the test echo");
		return;
	}
	if (ev == NULL) {
		memset(&S.ev, 0, sizeof(S.ev));
		S.have_ev = 0;
		return;
	}
	S.ev = *ev;
	S.have_ev = 1;
}

void
sip_count(enum sip_counter c)
{
	if (c < SIP_C_MAX && S.counters[c])
		metric_inc(S.counters[c]);
}

static void
sip_counters_init(void)
{
	static const struct { const char *name, *labels, *help; } defs[] = {
		[SIP_C_REQ_IN] = { "fedgate_sip_requests_total", "direction=\"in\"",
		    "SIP requests received from the edge" },
		[SIP_C_REQ_OUT] = { "fedgate_sip_requests_total", "direction=\"out\"",
		    "SIP requests sent to the edge" },
		[SIP_C_REFUSED_PEER] = { "fedgate_sip_refused_total", "reason=\"peer\"",
		    "SIP requests refused: TLS peer not in peer_subjects" },
		[SIP_C_REFUSED_REQ] = { "fedgate_sip_refused_total", "reason=\"request\"",
		    "SIP requests refused: domain, policy, loop or malformed" },
		[SIP_C_MSG_IN] = { "fedgate_sip_messages_total", "direction=\"in\"",
		    "instant messages from the edge" },
		[SIP_C_MSG_OUT] = { "fedgate_sip_messages_total", "direction=\"out\"",
		    "instant messages sent to the edge" },
		[SIP_C_NOTIFY_IN] = { "fedgate_sip_notifies_total", "direction=\"in\"",
		    "presence notifications from the edge" },
		[SIP_C_NOTIFY_OUT] = { "fedgate_sip_notifies_total", "direction=\"out\"",
		    "presence notifications sent to the edge" },
	};

	for (size_t i = 0; i < SIP_C_MAX; i++)
		S.counters[i] = metric_counter(defs[i].name, defs[i].labels,
		    defs[i].help);
}

/* ---- replies ------------------------------------------------------ */

const char *
sip_warning_fmt(char *buf, size_t len, const char *text)
{
	size_t n;

	/* warn-text is a quoted-string: no quotes or backslashes inside */
	n = (size_t)snprintf(buf, len, "399 %s \"", sip_hostname());
	if (n >= len - 2)
		n = len - 3;
	for (const char *p = text; *p && n < len - 2; p++)
		buf[n++] = (*p == '"' || *p == '\\') ? '\'' : *p;
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

void
sip_reply(nta_incoming_t *irq, int status, const char *phrase,
    const char *warning)
{
	char w[512];

	nta_incoming_treply(irq, status, phrase,
	    TAG_IF(warning != NULL, SIPTAG_WARNING_STR(warning ?
	    sip_warning_fmt(w, sizeof(w), warning) : "")),
	    TAG_IF(status == 405, SIPTAG_ALLOW_STR(SIP_ALLOW)),
	    TAG_END());
	nta_incoming_destroy(irq);
}

/* ---- the gate ----------------------------------------------------- */

/* Address of the connection a request came on, for the log. */
static void
sip_peer_name(nta_incoming_t *irq, char *buf, size_t len)
{
	msg_t *msg = nta_incoming_getrequest(irq);
	tport_t *tp = nta_incoming_transport(S.agent, NULL, msg);
	const tp_name_t *tpn = tp ? tport_name(tp) : NULL;

	if (tpn && tpn->tpn_host)
		snprintf(buf, len, "%s:%s", tpn->tpn_host,
		    tpn->tpn_port ? tpn->tpn_port : "?");
	else
		snprintf(buf, len, "?");
	tport_unref(tp);
	msg_destroy(msg);
}

/*
 * A peer whose certificate is not in peer_subjects gets one 403 and its
 * connection is closed after it: the edge's admin sees why in the
 * Warning, ours in the log (with the names the peer presented).
 */
static int
sip_gate_peer(nta_incoming_t *irq, const sip_t *sip)
{
	char names[512], peer[128], w[256];
	msg_t *msg = nta_incoming_getrequest(irq);
	int ok = sip_tls_peer_ok(msg, names, sizeof(names));

	msg_destroy(msg);
	if (ok)
		return 0;
	sip_peer_name(irq, peer, sizeof(peer));
	log_warnx(SIP_MOD, "refused %s from peer=%s: its certificate names "
	    "[%s], none of them in [sip] peer_subjects",
	    sip->sip_request->rq_method_name, peer, names);
	sip_count(SIP_C_REFUSED_PEER);
	if (sip->sip_request->rq_method == sip_method_ack) {
		nta_incoming_destroy(irq);
		return -1;
	}
	nta_incoming_treply(irq, 403, "Peer Not Allowed",
	    SIPTAG_WARNING_STR(sip_warning_fmt(w, sizeof(w), "TLS peer "
	    "certificate names none of the gateway's peer_subjects")),
	    TPTAG_SDWN_AFTER(1), TAG_END());
	nta_incoming_destroy(irq);
	return -1;
}

/* A Via that names us means the request came back to us: a loop. */
static int
sip_via_is_loop(const sip_t *sip)
{
	for (const sip_via_t *v = sip->sip_via; v; v = v->v_next)
		if (v->v_host && strcasecmp(v->v_host, sip_hostname()) == 0)
			return 1;
	return 0;
}

int
sip_gate(nta_incoming_t *irq, const sip_t *sip)
{
	sip_count(SIP_C_REQ_IN);
	if (sip_gate_peer(irq, sip) != 0)
		return -1;
	if (sip->sip_request->rq_method == sip_method_ack)
		return 0;
	if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, SIP_483_TOO_MANY_HOPS, "Max-Forwards reached 0");
		return -1;
	}
	if (sip_via_is_loop(sip)) {
		sip_count(SIP_C_REFUSED_REQ);
		log_warnx(SIP_MOD, "loop: %s call-id=%s has our hostname in Via",
		    sip->sip_request->rq_method_name,
		    sip->sip_call_id ? sip->sip_call_id->i_id : "-");
		sip_reply(irq, SIP_482_LOOP_DETECTED, "the request came back to "
		    "the gateway");
		return -1;
	}
	return 0;
}

/* The sender must be one of ours: From in a local SIP or email domain. */
static int
sip_check_from(nta_incoming_t *irq, const sip_t *sip)
{
	const char *host = sip->sip_from->a_url->url_host;
	const struct cfg_domain *d = host ? config_domain_find(S.cfg, host) : NULL;
	char w[384];

	if (d && (d->kind == DOMAIN_LOCAL || d->kind == DOMAIN_EMAIL))
		return 0;
	snprintf(w, sizeof(w), "From domain %s is not a local SIP domain of "
	    "this gateway", host ? host : "(none)");
	log_warnx(SIP_MOD, "refused %s call-id=%s: %s",
	    sip->sip_request->rq_method_name, sip->sip_call_id->i_id, w);
	sip_count(SIP_C_REFUSED_REQ);
	sip_reply(irq, 403, "Sender Domain Not Local", w);
	return -1;
}

/* The target must be a remote domain that policy lets us reach. */
static int
sip_check_target(nta_incoming_t *irq, const sip_t *sip)
{
	const char *host = sip->sip_request->rq_url->url_host;
	const char *alias;
	struct policy_decision pd;
	char w[384];

	if (host == NULL || sip->sip_request->rq_url->url_user == NULL) {
		sip_reply(irq, 404, "Not Found", "Request-URI has no user@domain");
		return -1;
	}
	if ((alias = config_alias_target(S.cfg, host)) != NULL)
		host = alias;
	if (config_is_local_domain(S.cfg, host)) {
		snprintf(w, sizeof(w), "%s is a local domain, not a federated one",
		    host);
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, 404, "Not Found", w);
		return -1;
	}
	if (!policy_check(S.cfg, host, POLICY_DIR_OUTBOUND, &pd)) {
		snprintf(w, sizeof(w), "federation with %s is not allowed (%s)",
		    host, pd.rule);
		log_warnx(SIP_MOD, "refused %s call-id=%s: %s",
		    sip->sip_request->rq_method_name, sip->sip_call_id->i_id, w);
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, 403, "Forbidden By Policy", w);
		return -1;
	}
	return 0;
}

/* ---- dispatch of requests outside any dialog ---------------------- */

#define CHK_FROM	0x1	/* From in a local domain */
#define CHK_TARGET	0x2	/* Request-URI in an allowed remote domain */

static int handle_no_dialog(nta_incoming_t *, const sip_t *);
static int handle_ack_stray(nta_incoming_t *, const sip_t *);

static const struct sip_handler {
	const char	*name;
	unsigned	 states;	/* service states it runs in */
	unsigned	 checks;
	int		(*proceed)(nta_incoming_t *, const sip_t *);
} handlers[] = {
	{ "MESSAGE",	SIP_ST_RUNNING, CHK_FROM | CHK_TARGET, sip_page_incoming },
	{ "SUBSCRIBE",	SIP_ST_RUNNING, CHK_FROM | CHK_TARGET, sip_sub_incoming },
	{ "INVITE",	SIP_ST_RUNNING, CHK_FROM | CHK_TARGET, sip_im_incoming },
	{ "OPTIONS",	SIP_ST_RUNNING | SIP_ST_STOPPING, 0, sip_options_incoming },
	{ "NOTIFY",	~0u, 0, handle_no_dialog },
	{ "BYE",	~0u, 0, handle_no_dialog },
	{ "INFO",	~0u, 0, handle_no_dialog },
	{ "ACK",	~0u, 0, handle_ack_stray },
};

/* In-dialog request for a dialog we do not have (RFC 3261 §12.2.2). */
static int
handle_no_dialog(nta_incoming_t *irq, const sip_t *sip)
{
	log_info(SIP_MOD, "%s call-id=%s for no dialog of ours: 481",
	    sip->sip_request->rq_method_name, sip->sip_call_id->i_id);
	sip_reply(irq, SIP_481_NO_TRANSACTION, NULL);
	return 0;
}

static int
handle_ack_stray(nta_incoming_t *irq, const sip_t *sip)
{
	nta_incoming_destroy(irq);
	return 0;
}

static const struct sip_handler *
handler_find(const char *name)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].name, name) == 0)
			return &handlers[i];
	return NULL;
}

/* A request outside any dialog: gate, then the table. */
static void
sip_dispatch(nta_incoming_t *irq, const sip_t *sip)
{
	const char *name = sip->sip_request->rq_method_name;
	const struct sip_handler *h;

	if (sip_gate(irq, sip) != 0)
		return;
	h = handler_find(name);
	if (h && sip->sip_to->a_tag && h->proceed != handle_ack_stray)
		h = handler_find("BYE");	/* a dialog we do not have: 481 */
	if (h == NULL) {
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, SIP_405_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	if (!(h->states & S.state)) {
		sip_reply(irq, SIP_503_SERVICE_UNAVAILABLE, "the gateway is "
		    "shutting down");
		return;
	}
	if ((h->checks & CHK_FROM) && sip_check_from(irq, sip) != 0)
		return;
	if ((h->checks & CHK_TARGET) && sip_check_target(irq, sip) != 0)
		return;
	h->proceed(irq, sip);
}

/* BENOTIFY never gets a response, not even 481: no transaction at all. */
static void
sip_benotify(msg_t *msg, const sip_t *sip)
{
	char names[512];

	sip_count(SIP_C_REQ_IN);
	if (!sip_tls_peer_ok(msg, names, sizeof(names))) {
		log_warnx(SIP_MOD, "dropped BENOTIFY call-id=%s: its peer's "
		    "certificate names [%s], none of them in [sip] peer_subjects",
		    sip->sip_call_id->i_id, names);
		sip_count(SIP_C_REFUSED_PEER);
		return;
	}
	if (sip_sub_benotify(msg, sip) == 0)
		return;
	log_info(SIP_MOD, "BENOTIFY call-id=%s for no subscription of ours: "
	    "dropped (BENOTIFY gets no response)", sip->sip_call_id->i_id);
}

/*
 * Every request that matched none of our dialog legs comes here, before
 * any transaction exists (the agent's stateless callback; there is no
 * default leg). BENOTIFY is taken without a transaction, so without a
 * response; the rest get their server transaction here (it takes msg).
 * Our watcher subscriptions have no leg to match (sip_sub.c says why):
 * their NOTIFYs are found here too.
 */
static int
sip_stateless_request(nta_agent_magic_t *magic, nta_agent_t *agent,
    msg_t *msg, sip_t *sip)
{
	nta_incoming_t *irq;

	if (sip == NULL || sip->sip_request == NULL ||
	    sip->sip_request->rq_method == sip_method_ack) {
		msg_destroy(msg);	/* stray response or ACK */
		return 0;
	}
	if (strcmp(sip->sip_request->rq_method_name, "BENOTIFY") == 0) {
		sip_benotify(msg, sip);
		msg_destroy(msg);
		return 0;
	}
	/* the transaction takes msg; our own reference keeps sip valid
	 * while the handlers run, even after they answer and destroy irq */
	msg_ref_create(msg);
	if ((irq = nta_incoming_create(agent, NULL, msg, sip, TAG_END())) == NULL) {
		log_warnx(SIP_MOD, "cannot make a transaction for %s call-id=%s",
		    sip->sip_request->rq_method_name, sip->sip_call_id->i_id);
		nta_msg_treply(agent, msg, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		msg_destroy(msg);
		return 0;
	}
	if (sip_sub_watcher_request(irq, sip) != 0)
		sip_dispatch(irq, sip);
	msg_destroy(msg);
	return 0;
}

/* ---- the agent ---------------------------------------------------- */

/* Sofia's resolver reads a resolv.conf: write one for [gateway] dns_servers. */
static int
sip_write_resolv_conf(const struct config *cfg)
{
	FILE *f;
	unsigned port = 53;

	S.resolv_conf[0] = '\0';
	if (cfg->dns_servers.n == 0)
		return 0;
	snprintf(S.resolv_conf, sizeof(S.resolv_conf), "%s/sip-resolv.conf",
	    cfg->state_dir);
	if ((f = fopen(S.resolv_conf, "w")) == NULL) {
		log_warn(SIP_MOD, "cannot write %s", S.resolv_conf);
		return -1;
	}
	for (size_t i = 0; i < cfg->dns_servers.n; i++) {
		struct hostport hp;
		if (config_parse_hostport(cfg->dns_servers.v[i], 53, &hp) != 0)
			continue;
		fprintf(f, "nameserver %s\n", hp.host);
		port = hp.port;
	}
	if (port != 53)
		fprintf(f, "port %u\n", port);
	fclose(f);
	return 0;
}

/* The listener URL: our hostname (Via, Contact), bound to [sip] listen. */
static void
sip_listen_url(const struct config *cfg, char *buf, size_t len)
{
	const struct hostport *l = &cfg->sip_listen;
	int tls = cfg->sip_transport == SIP_TRANSPORT_TLS;

	/* Sofia binds TLS only for a sips: URL */
	snprintf(buf, len, "%s:%s:%u;%smaddr=%s%s%s", tls ? "sips" : "sip",
	    cfg->hostname, l->port, tls ? "" : "transport=tcp;",
	    l->is_ipv6 ? "[" : "", l->host, l->is_ipv6 ? "]" : "");
}

static int
sip_check_certificate(const struct config *cfg)
{
	char have[512];

	if (cfg->sip_transport != SIP_TRANSPORT_TLS)
		return 0;
	if (sip_tls_cert_names_host(cfg->sip_cert, cfg->hostname, have,
	    sizeof(have)) == 0)
		return 0;
	log_error(SIP_MOD, "[sip] cert %s does not carry [gateway] hostname "
	    "%s (it names: %s). fedgate puts the hostname in Via and Contact "
	    "and the edge checks it against the certificate: add %s to the "
	    "certificate's subjectAltName or set hostname to one of its names",
	    cfg->sip_cert, cfg->hostname, have[0] ? have : "nothing usable",
	    cfg->hostname);
	return -1;
}

static int
sip_agent_create(const struct config *cfg)
{
	int tls = cfg->sip_transport == SIP_TRANSPORT_TLS;
	char contact[CFG_HOST_MAX + 64];

	sip_listen_url(cfg, S.listen_url, sizeof(S.listen_url));
	S.agent = nta_agent_create(loop_sofia_root(),
	    URL_STRING_MAKE(S.listen_url), sip_stateless_request, NULL,
	    NTATAG_UA(1),
	    NTATAG_USE_NAPTR(0), NTATAG_USE_SRV(0),
	    NTATAG_SERVER_RPORT(1),
	    TAG_IF(tls, TPTAG_CERTIFICATE(S.tls_dir)),
	    /* chain + client certificate in; chain + server name out. The
	     * subject list in is checked per request (sip_tls_peer_ok) so that
	     * a refusal can name what the peer presented. */
	    TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(TPTLS_VERIFY_IN |
	    TPTLS_VERIFY_SUBJECTS_OUT)),
	    /* CRLF keepalive: TCP only (Sofia's TLS has none); the OPTIONS
	     * ping of sip_edge.c keeps a TLS connection alive */
	    TPTAG_KEEPALIVE((unsigned)cfg->sip_keepalive_ms),
	    TAG_IF(S.resolv_conf[0], SRESTAG_RESOLV_CONF(S.resolv_conf)),
	    TAG_END());
	if (S.agent == NULL) {
		log_warn(SIP_MOD, "cannot listen on %s:%u (%s)",
		    cfg->sip_listen.host, cfg->sip_listen.port, S.listen_url);
		return -1;
	}
	snprintf(contact, sizeof(contact), "<sip:%s:%u;transport=%s>",
	    cfg->hostname, cfg->sip_listen.port, tls ? "tls" : "tcp");
	S.contact = sip_contact_make(S.home, contact);
	return 0;
}

/* ---- the service -------------------------------------------------- */

static int
sip_start(struct config *cfg)
{
	int tls = cfg->sip_transport == SIP_TRANSPORT_TLS;

	S.cfg = config_ref(cfg);
	sip_counters_init();
	if (sip_check_certificate(cfg) != 0)
		return -1;
	if (tls && sip_tls_prepare(cfg, S.tls_dir, sizeof(S.tls_dir)) != 0)
		return -1;
	if (!tls)
		log_warnx(SIP_MOD, "[sip] transport = tcp: the link to the edge "
		    "is neither encrypted nor authenticated (labs only)");
	if (sip_write_resolv_conf(cfg) != 0)
		return -1;
	sip_tls_log_start();
	if (sip_agent_create(cfg) != 0)
		return -1;
	sip_enter_state(SIP_ST_RUNNING);
	if (sip_echo_start())
		log_warnx(SIP_MOD, "FG_TEST_SIP_ECHO is set: messages and "
		    "presence from the edge are echoed back (tests only)");
	if (sip_edge_start() != 0)
		return -1;
	log_info(SIP_MOD, "listening on %s:%u transport=%s hostname=%s "
	    "peer_subjects=%zu dialect=%s", cfg->sip_listen.host,
	    cfg->sip_listen.port, tls ? "tls" : "tcp", cfg->hostname,
	    cfg->sip_peer_subjects.n,
	    cfg->edge_dialect == EDGE_DIALECT_LYNC ? "lync" : "standard");
	return 0;
}

static void
sip_reload(struct config *old, struct config *new)
{
	if (S.state != SIP_ST_RUNNING)
		return;
	config_unref(S.cfg);
	S.cfg = config_ref(new);
	if (S.agent)
		nta_agent_set_params(S.agent,
		    TPTAG_KEEPALIVE((unsigned)new->sip_keepalive_ms), TAG_END());
	sip_edge_reload();
}

/* Graceful: BYE the conversations, terminate the subscriptions. */
static void
sip_stop(void)
{
	if (S.state != SIP_ST_RUNNING)
		return;
	sip_enter_state(SIP_ST_STOPPING);
	sip_edge_stop();
	sip_im_shutdown(1);
	sip_sub_shutdown(1);
}

static int
sip_idle(void)
{
	return S.state != SIP_ST_STOPPING ||
	    (sip_out_count() == 0 && sip_txn_count() == 0);
}

static void
sip_shutdown(void)
{
	sip_echo_stop();
	sip_edge_stop();
	sip_im_shutdown(0);
	sip_sub_shutdown(0);
	sip_page_shutdown();
	sip_txn_shutdown();
	sip_out_shutdown();
	if (S.agent)
		nta_agent_destroy(S.agent);
	S.agent = NULL;
	S.contact = NULL;
	su_home_deinit(S.home);
	sip_tls_log_stop();
	sip_set_events(NULL);
	if (S.cfg)
		config_unref(S.cfg);
	S.cfg = NULL;
	sip_enter_state(SIP_ST_STOPPED);
}

static void
sip_svc_status(FILE *out)
{
	char why[300] = "";

	if (S.state != SIP_ST_RUNNING)
		fprintf(out, "sip: Inactive (%s)\n", sip_strstate(S.state));
	else if (!S.have_ev)
		fprintf(out, "sip: Inactive (nothing is wired to the XMPP side: "
		    "requests from the edge are answered 480)\n");
	else if (sip_edge_all_active(why, sizeof(why)))
		fprintf(out, "sip: Active listening on %s:%u %s\n",
		    S.cfg->sip_listen.host, S.cfg->sip_listen.port,
		    S.cfg->sip_transport == SIP_TRANSPORT_TLS ? "tls" : "tcp");
	else
		fprintf(out, "sip: Inactive (%s)\n", why);
	sip_edge_status(out);
	fprintf(out, "sip: %zu conversations, %zu subscriptions, %zu requests "
	    "waiting for an answer, %zu in flight to the edge\n",
	    sip_im_count(), sip_sub_count(), sip_txn_count(), sip_out_count());
}

static void
sip_svc_stats(FILE *out)
{
	fprintf(out, "sip_tls_handshakes_refused %llu\n",
	    (unsigned long long)sip_tls_refused_count());
}

const struct service sip_service = {
	.name = "sip",
	.start = sip_start,
	.reload = sip_reload,
	.stop = sip_stop,
	.idle = sip_idle,
	.shutdown = sip_shutdown,
	.status = sip_svc_status,
	.connections = sip_tls_connections,
	.stats = sip_svc_stats,
};

/* ---- sanitizer builds ----------------------------------------------- */

/*
 * Debian's Sofia-SIP 1.12.11 leaks in its TLS transport: tls_free() shuts
 * a connection's SSL object down but never frees it, and the
 * post-connection check leaks the subject list. In a sanitizer build every
 * fedgated tells LeakSanitizer so (these hooks are the runtime's documented
 * defaults; ASAN_OPTIONS / LSAN_OPTIONS still override them), with
 * allocation stacks deep enough (slow unwinding) to reach Sofia's frames
 * through OpenSSL's: our own leaks, OpenSSL calls included, stay reported.
 */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *__lsan_default_options(void);
const char *__lsan_default_suppressions(void);

const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

const char *
__lsan_default_suppressions(void)
{
	return "leak:tls_init_secondary\nleak:tls_init_master\nleak:tls_connect\n";
}
#endif

/* ---- public API that belongs to no one file ----------------------- */

int
sip_send_message(const struct xl_msg *m, uint64_t cookie, sip_done_fn *done,
    void *arg)
{
	if (S.state != SIP_ST_RUNNING || m == NULL)
		return -1;
	if (xl_im_mode_for(S.cfg->edge_dialect) == XL_IM_CONVERSATION)
		return sip_im_send(m, cookie, done, arg);
	return sip_page_send(m, cookie, done, arg);
}

int
sip_send_chat_state(const struct xl_msg *m)
{
	if (S.state != SIP_ST_RUNNING || m == NULL)
		return -1;
	if (xl_im_mode_for(S.cfg->edge_dialect) == XL_IM_CONVERSATION)
		return sip_im_send_chat_state(m);
	return sip_page_send_chat_state(m);
}
