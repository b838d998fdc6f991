/*
 * xmpppeer: see xmpppeer.h.
 */
#include "bench/xmpppeer.h"
#include "bench/btls.h"
#include "bench/conn.h"
#include "bench/obuf.h"
#include "bench/xmlstream.h"

#include <event2/buffer.h>
#include <event2/listener.h>
#include <openssl/evp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define XMPP_MAX_SERVED	4
#define XMPP_OUT_LIMIT	(4 * 1024 * 1024)
#define XMPP_STANZA_MAX	4096

#define NS_STREAMS_ERR	"urn:ietf:params:xml:ns:xmpp-streams"

/* Stream states; TLS, SASL done and direction are flags beside them. */
enum xst {
	XST_CONNECTING,		/* out: TCP connect */
	XST_HEADER,		/* waiting for the peer's stream header */
	XST_FEATURES,		/* out: waiting for <stream:features/> */
	XST_STARTTLS,		/* in: waiting for <starttls/> */
	XST_PROCEED,		/* out: waiting for <proceed/> */
	XST_TLS,		/* TLS handshake */
	XST_AUTH,		/* in: waiting for <auth/> or <db:result/> */
	XST_SASL,		/* out: waiting for <success/> */
	XST_DIALBACK,		/* out: waiting for <db:result type=.../> */
	XST_AUTHED,		/* stanzas flow */
	XST_CLOSED,
	XST_N
};

static const char *const xst_names[XST_N] = {
	"connecting", "header", "features", "starttls", "proceed", "tls",
	"auth", "sasl", "dialback", "authed", "closed",
};

struct xstream {
	struct xmpp_side	*side;
	struct conn		*c;
	struct xs_parser	*px;
	enum xst		 state;
	int			 outbound, tls, sasl_done;
	unsigned		 idx;
	char			 id[128];	/* ours (in) or the peer's (out) */
	char			 local[XS_ADDR_MAX];	/* our domain on this stream */
	char			 remote[XS_ADDR_MAX];	/* the peer's domain */
	char			 authed[XS_ADDR_MAX];	/* in: domain the peer proved */
	const char		*auth_method;
	struct xstream		*next;
};

enum xmpp_counter {
	XC_STREAMS_IN, XC_MESSAGES, XC_BOUNCES, XC_PRESENCE, XC_SUBSCRIBE,
	XC_PROBE, XC_IQ, XC_DB_VERIFY, XC_DB_RESULT_OK, XC_DB_RESULT_BAD,
	XC_SASL_OK, XC_SASL_BAD, XC_REFUSED, XC_N
};

struct xmpp_side {
	struct bench		*b;
	struct evconnlistener	*lst;
	char			 served[XMPP_MAX_SERVED][256];
	unsigned		 nserved;
	struct xstream		*out;		/* our stream to the gateway */
	struct sockaddr_storage	 gw;
	socklen_t		 gwlen;
	char			 gw_name[256];	/* name in its certificate */
	struct evbuffer		*pending;	/* stanzas waiting for out */
	struct xstream		*all;
	uint64_t		 count[XC_N];
};

static void xstream_fail(struct xstream *xs, const char *cond,
    const char *why);

/* ---- small helpers ----------------------------------------------------- */

static void
xstream_enter_state(struct xstream *xs, enum xst st)
{
	bench_debug(xs->side->b, "xmpp stream %u %s %s: %s -> %s", xs->idx,
	    xs->outbound ? "out" : "in", xs->c ? conn_peer(xs->c) : "-",
	    xst_names[xs->state], xst_names[st]);
	xs->state = st;
}

static void
xstream_write(struct xstream *xs, const struct obuf *ob)
{
	if (!obuf_ok(ob)) {
		bench_problem(xs->side->b, "internal: stanza too long");
		return;
	}
	if (xs->c)
		conn_write(xs->c, ob->p, ob->len);
}

static void
xstream_writes(struct xstream *xs, const char *s)
{
	if (xs->c)
		conn_write(xs->c, s, strlen(s));
}

static int
served(const struct xmpp_side *x, const char *domain)
{
	for (unsigned i = 0; i < x->nserved; i++)
		if (!strcasecmp(x->served[i], domain))
			return 1;
	return 0;
}

/* The domain part of a JID (no resource, no localpart), into buf. */
static const char *
jid_domain(const char *jid, char *buf, size_t len)
{
	const char *at = strchr(jid, '@'), *slash;
	const char *d = at ? at + 1 : jid;

	slash = strchr(d, '/');
	snprintf(buf, len, "%.*s", (int)(slash ? (size_t)(slash - d) :
	    strlen(d)), d);
	return buf;
}

static void
put_attr(struct obuf *ob, const char *name, const char *value)
{
	obuf_mem(ob, " ", 1);
	obuf_str(ob, name);
	obuf_str(ob, "='");
	obuf_xml(ob, value, strlen(value));
	obuf_mem(ob, "'", 1);
}

static void
xstream_send_header(struct xstream *xs)
{
	char buf[1024];
	struct obuf ob;

	obuf_init(&ob, buf, sizeof(buf));
	obuf_str(&ob, "<?xml version='1.0'?><stream:stream xmlns='jabber:server'"
	    " xmlns:stream='http://etherx.jabber.org/streams'"
	    " xmlns:db='jabber:server:dialback' version='1.0'");
	put_attr(&ob, "from", xs->local);
	if (xs->remote[0])
		put_attr(&ob, "to", xs->remote);
	if (!xs->outbound)
		put_attr(&ob, "id", xs->id);
	obuf_mem(&ob, ">", 1);
	xstream_write(xs, &ob);
}

/* ---- teardown ------------------------------------------------------- */

static void
xstream_close(struct xstream *xs, const char *why)
{
	struct xmpp_side *x = xs->side;

	if (xs->state == XST_CLOSED)
		return;
	bench_debug(x->b, "xmpp stream %u closed: %s", xs->idx, why);
	if (xs->outbound)
		bench_problem(x->b, "XMPP stream to the gateway (%s) ended in "
		    "state %s: %s", xs->remote, xst_names[xs->state], why);
	else if (xs->state != XST_AUTHED && xs->state != XST_HEADER)
		bench_problem(x->b, "the gateway's stream from %s to the XMPP "
		    "sink ended in state %s: %s", xs->remote[0] ? xs->remote :
		    "?", xst_names[xs->state], why);
	xstream_enter_state(xs, XST_CLOSED);
	if (xs->px)
		xs_halt(xs->px);
	conn_close(xs->c, 1);
	xs->c = NULL;
	if (x->out == xs)
		x->out = NULL;
}

/* A stream error (RFC 6120 §4.9) then the end of the stream. */
static void
xstream_fail(struct xstream *xs, const char *cond, const char *why)
{
	char buf[512];
	struct obuf ob;

	obuf_init(&ob, buf, sizeof(buf));
	obuf_str(&ob, "<stream:error><");
	obuf_str(&ob, cond);
	obuf_str(&ob, " xmlns='" NS_STREAMS_ERR "'/></stream:error>"
	    "</stream:stream>");
	xstream_write(xs, &ob);
	xstream_close(xs, why);
}

/* ---- replies of the sink go out on our own stream -------------------- */

static void
xmpp_side_flush_pending(struct xmpp_side *x)
{
	size_t n = evbuffer_get_length(x->pending);

	if (n == 0 || x->out == NULL || x->out->state != XST_AUTHED)
		return;
	conn_write(x->out->c, evbuffer_pullup(x->pending, -1), n);
	evbuffer_drain(x->pending, n);
}

static void
xmpp_side_send(struct xmpp_side *x, const struct obuf *ob)
{
	if (!obuf_ok(ob))
		return;
	if (x->out && x->out->state == XST_AUTHED) {
		conn_write(x->out->c, ob->p, ob->len);
		return;
	}
	evbuffer_add(x->pending, ob->p, ob->len);
	if (x->out == NULL && x->gwlen > 0)
		xmpp_source_start(x);
}

/* ---- inbound (sink) handlers --------------------------------------------- */

static void
in_features(struct xstream *xs)
{
	char buf[512];
	struct obuf ob;
	SSL *ssl = xs->c ? conn_ssl(xs->c) : NULL;

	obuf_init(&ob, buf, sizeof(buf));
	if (!xs->tls)
		obuf_str(&ob, "<stream:features><starttls xmlns='" XS_NS_TLS
		    "'><required/></starttls></stream:features>");
	else if (!xs->sasl_done) {
		obuf_str(&ob, "<stream:features>");
		if (ssl && btls_peer_verified(ssl) && (xs->remote[0] == '\0' ||
		    btls_peer_named(ssl, xs->remote)))
			obuf_str(&ob, "<mechanisms xmlns='" XS_NS_SASL "'>"
			    "<mechanism>EXTERNAL</mechanism></mechanisms>");
		obuf_str(&ob, "<dialback xmlns='" XS_NS_DB_FEAT "'><errors/>"
		    "</dialback></stream:features>");
	} else
		obuf_str(&ob, "<stream:features/>");
	xstream_write(xs, &ob);
}

static void
in_header(struct xstream *xs, const struct xs_header *h)
{
	if (!served(xs->side, h->to)) {
		snprintf(xs->local, sizeof(xs->local), "%s",
		    xs->side->served[0]);
		xstream_send_header(xs);
		xstream_fail(xs, "host-unknown", "stream to a domain not served");
		return;
	}
	snprintf(xs->local, sizeof(xs->local), "%s", h->to);
	snprintf(xs->remote, sizeof(xs->remote), "%s", h->from);
	snprintf(xs->id, sizeof(xs->id), "fgb%08x%08x", (unsigned)arc4random(),
	    (unsigned)arc4random());
	xstream_send_header(xs);
	in_features(xs);
	xstream_enter_state(xs, !xs->tls ? XST_STARTTLS :
	    !xs->sasl_done ? XST_AUTH : XST_AUTHED);
}

static void
in_starttls(struct xstream *xs, const struct xs_stanza *s)
{
	SSL *ssl = btls_server(xs->side->b->xmpp_srv);

	xstream_writes(xs, "<proceed xmlns='" XS_NS_TLS "'/>");
	xs_restart_after(xs->px);
	if (ssl == NULL || conn_starttls(xs->c, ssl, 1) != 0) {
		xstream_close(xs, "cannot start TLS");
		return;
	}
	xstream_enter_state(xs, XST_TLS);
}

/* SASL EXTERNAL (XEP-0178): the certificate must name the stream's from. */
static void
in_auth(struct xstream *xs, const struct xs_stanza *s)
{
	struct xmpp_side *x = xs->side;
	SSL *ssl = conn_ssl(xs->c);
	unsigned char authz[300];
	int n = 0;

	if (s->text_len > 0 && strcmp(s->text, "=") != 0) {
		n = EVP_DecodeBlock(authz, (const unsigned char *)s->text,
		    (int)s->text_len);
		while (n > 0 && authz[n - 1] == '\0')
			n--;	/* DecodeBlock counts padding as bytes */
	}
	if (strcmp(s->mechanism, "EXTERNAL") != 0 || ssl == NULL ||
	    xs->remote[0] == '\0' || !btls_peer_named(ssl, xs->remote) ||
	    (n > 0 && ((size_t)n != strlen(xs->remote) ||
	    memcmp(authz, xs->remote, (size_t)n) != 0))) {
		x->count[XC_SASL_BAD]++;
		xstream_writes(xs, "<failure xmlns='" XS_NS_SASL "'>"
		    "<not-authorized/></failure>");
		bench_problem(x->b, "SASL EXTERNAL from %s refused: its "
		    "certificate does not name it (or no usable certificate)",
		    xs->remote);
		return;
	}
	x->count[XC_SASL_OK]++;
	xstream_writes(xs, "<success xmlns='" XS_NS_SASL "'/>");
	snprintf(xs->authed, sizeof(xs->authed), "%s", xs->remote);
	xs->auth_method = "sasl-external";
	xs->sasl_done = 1;
	xs_restart_after(xs->px);
	xstream_enter_state(xs, XST_HEADER);
}

static void
db_answer(struct xstream *xs, const char *el, const char *from,
    const char *to, const char *id, int valid)
{
	char buf[1024];
	struct obuf ob;

	obuf_init(&ob, buf, sizeof(buf));
	obuf_str(&ob, "<db:");
	obuf_str(&ob, el);
	put_attr(&ob, "from", from);
	put_attr(&ob, "to", to);
	if (id)
		put_attr(&ob, "id", id);
	put_attr(&ob, "type", valid ? "valid" : "invalid");
	obuf_str(&ob, "/>");
	xstream_write(xs, &ob);
}

/* <db:result/> from the gateway: check its key with its secret, locally. */
static void
in_db_result(struct xstream *xs, const struct xs_stanza *s)
{
	struct xmpp_side *x = xs->side;
	int valid;

	if (!served(x, s->to)) {
		xstream_fail(xs, "host-unknown", "db:result to a domain not served");
		return;
	}
	if (!x->b->gw_key.set) {
		bench_problem(x->b, "the gateway authenticates by dialback but "
		    "no --dialback-secret was given to check its key");
		valid = 0;
	} else
		valid = dbkey_check(&x->b->gw_key, s->to, s->from, xs->id,
		    s->text, s->text_len);
	db_answer(xs, "result", s->to, s->from, NULL, valid);
	if (!valid) {
		x->count[XC_DB_RESULT_BAD]++;
		bench_problem(x->b, "dialback key of %s for %s is invalid "
		    "(is --dialback-secret the gateway's secret?)", s->from,
		    s->to);
		return;
	}
	x->count[XC_DB_RESULT_OK]++;
	snprintf(xs->authed, sizeof(xs->authed), "%s", s->from);
	xs->auth_method = "dialback";
	if (xs->state != XST_AUTHED)
		xstream_enter_state(xs, XST_AUTHED);
}

/* <db:verify/>: we are the authoritative server of the remote domain. */
static void
in_db_verify(struct xstream *xs, const struct xs_stanza *s)
{
	struct xmpp_side *x = xs->side;
	int valid = served(x, s->to) && dbkey_check(&x->b->own_key, s->from,
	    s->to, s->id, s->text, s->text_len);

	x->count[XC_DB_VERIFY]++;
	db_answer(xs, "verify", s->to, s->from, s->id, valid);
	if (!valid)
		bench_debug(x->b, "db:verify from %s for %s id %s: invalid",
		    s->from, s->to, s->id);
}

/* Every stanza on an authenticated inbound stream: is it spoofed? */
static int
in_check_addresses(struct xstream *xs, const struct xs_stanza *s)
{
	char dom[XS_ADDR_MAX];

	if (strcasecmp(jid_domain(s->from, dom, sizeof(dom)), xs->authed)) {
		xs->side->count[XC_REFUSED]++;
		bench_problem(xs->side->b, "stanza from '%s' on a stream "
		    "authenticated as %s", s->from, xs->authed);
		xstream_fail(xs, "invalid-from", "spoofed from");
		return -1;
	}
	if (!served(xs->side, jid_domain(s->to, dom, sizeof(dom)))) {
		xs->side->count[XC_REFUSED]++;
		xstream_fail(xs, "host-unknown", "stanza to a domain not served");
		return -1;
	}
	return 0;
}

static void
in_message(struct xstream *xs, const struct xs_stanza *s)
{
	struct xmpp_side *x = xs->side;

	if (in_check_addresses(xs, s) != 0)
		return;
	if (!strcmp(s->type, "error")) {
		x->count[XC_BOUNCES]++;
		bench_bounced(x->b, s->id, strlen(s->id), s->cond[0] ? s->cond :
		    "unknown-condition");
		return;
	}
	x->count[XC_MESSAGES]++;
	bench_arrived(x->b, s->text, s->text_len, now_ns());
}

/* A presence back from the addressee of s: type NULL = available. */
static void
reply_presence(struct xmpp_side *x, const struct xs_stanza *s,
    const char *type)
{
	char buf[XMPP_STANZA_MAX], from[XS_ADDR_MAX + 16];
	const char *slash = strchr(s->to, '/');
	struct obuf ob;

	/* subscribed comes from the bare JID, availability from a resource */
	snprintf(from, sizeof(from), "%.*s%s", (int)(slash ? (size_t)(slash -
	    s->to) : strlen(s->to)), s->to, type ? "" : "/fgbench");
	obuf_init(&ob, buf, sizeof(buf));
	obuf_str(&ob, "<presence");
	put_attr(&ob, "from", from);
	put_attr(&ob, "to", s->from);
	if (type)
		put_attr(&ob, "type", type);
	obuf_str(&ob, "/>");
	xmpp_side_send(x, &ob);
}

static void
in_presence(struct xstream *xs, const struct xs_stanza *s)
{
	struct xmpp_side *x = xs->side;

	if (in_check_addresses(xs, s) != 0)
		return;
	x->count[XC_PRESENCE]++;
	if (!strcmp(s->type, "subscribe")) {
		x->count[XC_SUBSCRIBE]++;
		reply_presence(x, s, "subscribed");
		reply_presence(x, s, NULL);
	} else if (!strcmp(s->type, "probe")) {
		x->count[XC_PROBE]++;
		reply_presence(x, s, NULL);
	}
}

static void
in_iq(struct xstream *xs, const struct xs_stanza *s)
{
	struct xmpp_side *x = xs->side;
	char buf[XMPP_STANZA_MAX];
	struct obuf ob;

	if (in_check_addresses(xs, s) != 0)
		return;
	x->count[XC_IQ]++;
	if (strcmp(s->type, "get") && strcmp(s->type, "set"))
		return;
	obuf_init(&ob, buf, sizeof(buf));
	obuf_str(&ob, "<iq type='result'");
	put_attr(&ob, "from", s->to);
	put_attr(&ob, "to", s->from);
	put_attr(&ob, "id", s->id);
	obuf_str(&ob, "/>");
	xmpp_side_send(x, &ob);
}

/* ---- outbound (source) handlers ------------------------------------------ */

static void
out_authed(struct xstream *xs, const char *method)
{
	xs->auth_method = method;
	xstream_enter_state(xs, XST_AUTHED);
	bench_debug(xs->side->b, "xmpp source authenticated by %s", method);
	xmpp_side_flush_pending(xs->side);
}

static void
out_dialback(struct xstream *xs)
{
	struct bench *b = xs->side->b;
	char key[DBKEY_HEX_LEN + 1], buf[1024];
	struct obuf ob;

	if (xs->id[0] == '\0') {
		xstream_fail(xs, "undefined-condition",
		    "the gateway's stream header has no id: dialback impossible");
		return;
	}
	if (dbkey_compute(&b->own_key, xs->remote, xs->local, xs->id, key)) {
		xstream_close(xs, "cannot compute a dialback key");
		return;
	}
	obuf_init(&ob, buf, sizeof(buf));
	obuf_str(&ob, "<db:result");
	put_attr(&ob, "from", xs->local);
	put_attr(&ob, "to", xs->remote);
	obuf_mem(&ob, ">", 1);
	obuf_str(&ob, key);
	obuf_str(&ob, "</db:result>");
	xstream_write(xs, &ob);
	xstream_enter_state(xs, XST_DIALBACK);
}

static void
out_features(struct xstream *xs, const struct xs_stanza *s)
{
	enum xmpp_auth want = xs->side->b->o.xmpp_auth;

	if (!xs->tls) {
		if (!(s->flags & XSF_STARTTLS)) {
			xstream_fail(xs, "policy-violation",
			    "the gateway's XMPP listener offers no STARTTLS");
			return;
		}
		xstream_writes(xs, "<starttls xmlns='" XS_NS_TLS "'/>");
		xstream_enter_state(xs, XST_PROCEED);
	} else if (xs->sasl_done)
		out_authed(xs, "sasl-external");
	else if ((s->flags & XSF_EXTERNAL) && want != XAUTH_DIALBACK) {
		/* "=": the authorization identity is the one in the cert */
		xstream_writes(xs, "<auth xmlns='" XS_NS_SASL "' mechanism="
		    "'EXTERNAL'>=</auth>");
		xstream_enter_state(xs, XST_SASL);
	} else if (want != XAUTH_EXTERNAL)
		out_dialback(xs);
	else
		xstream_fail(xs, "policy-violation", "the gateway does not offer "
		    "SASL EXTERNAL (and --xmpp-auth external was asked)");
}

static void
out_proceed(struct xstream *xs, const struct xs_stanza *s)
{
	struct xmpp_side *x = xs->side;
	SSL *ssl = btls_client(x->b->xmpp_cli, x->gw_name);

	xs_restart_after(xs->px);
	if (ssl == NULL || conn_starttls(xs->c, ssl, 0) != 0) {
		xstream_close(xs, "cannot start TLS");
		return;
	}
	xstream_enter_state(xs, XST_TLS);
}

static void
out_tls_failure(struct xstream *xs, const struct xs_stanza *s)
{
	xstream_close(xs, "the gateway refused STARTTLS (<failure/>)");
}

static void
out_sasl_success(struct xstream *xs, const struct xs_stanza *s)
{
	xs->sasl_done = 1;
	xs_restart_after(xs->px);
	xstream_send_header(xs);
	xstream_enter_state(xs, XST_HEADER);
}

static void
out_sasl_failure(struct xstream *xs, const struct xs_stanza *s)
{
	char why[128];

	if (xs->side->b->o.xmpp_auth == XAUTH_AUTO) {
		bench_debug(xs->side->b, "SASL EXTERNAL refused (%s): dialback",
		    s->cond);
		out_dialback(xs);
		return;
	}
	snprintf(why, sizeof(why), "SASL EXTERNAL refused by the gateway: %s",
	    s->cond[0] ? s->cond : "no condition");
	xstream_close(xs, why);
}

static void
out_db_result(struct xstream *xs, const struct xs_stanza *s)
{
	char why[200];

	if (!strcmp(s->type, "valid")) {
		out_authed(xs, "dialback");
		return;
	}
	snprintf(why, sizeof(why), "dialback refused by the gateway: "
	    "<db:result type='%s'/>%s%s", s->type, s->cond[0] ? " " : "",
	    s->cond);
	xstream_close(xs, why);
}

/* ---- both ------------------------------------------------------------ */

static void
any_stream_error(struct xstream *xs, const struct xs_stanza *s)
{
	char why[128];

	snprintf(why, sizeof(why), "stream error <%s/> from the peer",
	    s->cond[0] ? s->cond : "?");
	xstream_close(xs, why);
}

#define S(x)		(1u << (x))
#define ANY_STATE	(~0u)

/* Dispatch by table, gated by state and direction. */
static const struct xcmd {
	const char	*ns, *name;
	unsigned	 states;
	int		 inbound;	/* 1 in, 0 out, -1 both */
	void		(*fn)(struct xstream *, const struct xs_stanza *);
} xcmds[] = {
	{ XS_NS_STREAM, "error", ANY_STATE, -1, any_stream_error },
	{ XS_NS_STREAM, "features", S(XST_FEATURES), 0, out_features },
	{ XS_NS_TLS, "starttls", S(XST_STARTTLS), 1, in_starttls },
	{ XS_NS_TLS, "proceed", S(XST_PROCEED), 0, out_proceed },
	{ XS_NS_TLS, "failure", S(XST_PROCEED), 0, out_tls_failure },
	{ XS_NS_SASL, "auth", S(XST_AUTH), 1, in_auth },
	{ XS_NS_SASL, "success", S(XST_SASL), 0, out_sasl_success },
	{ XS_NS_SASL, "failure", S(XST_SASL), 0, out_sasl_failure },
	{ XS_NS_DIALBACK, "result", S(XST_AUTH) | S(XST_AUTHED), 1,
	    in_db_result },
	{ XS_NS_DIALBACK, "result", S(XST_DIALBACK), 0, out_db_result },
	{ XS_NS_DIALBACK, "verify", S(XST_STARTTLS) | S(XST_AUTH) |
	    S(XST_AUTHED), 1, in_db_verify },
	{ XS_NS_SERVER, "message", S(XST_AUTHED), 1, in_message },
	{ XS_NS_SERVER, "presence", S(XST_AUTHED), 1, in_presence },
	{ XS_NS_SERVER, "iq", S(XST_AUTHED), 1, in_iq },
};

static void
xstream_on_stanza(void *arg, const struct xs_stanza *s)
{
	struct xstream *xs = arg;

	if (xs->state == XST_CLOSED)
		return;
	for (size_t i = 0; i < sizeof(xcmds) / sizeof(xcmds[0]); i++) {
		const struct xcmd *c = &xcmds[i];

		if (strcmp(c->name, s->name) || strcmp(c->ns, s->ns))
			continue;
		if (c->inbound != -1 && c->inbound != !xs->outbound)
			continue;
		if (!(c->states & S(xs->state)))
			continue;
		c->fn(xs, s);
		return;
	}
	bench_debug(xs->side->b, "stream %u: <%s xmlns='%s'/> in state %s",
	    xs->idx, s->name, s->ns, xst_names[xs->state]);
	if (xs->state == XST_AUTHED)
		xstream_fail(xs, "unsupported-stanza-type", "unexpected element");
	else
		xstream_fail(xs, "not-authorized", "element before "
		    "authentication");
}

static void
xstream_on_header(void *arg, const struct xs_header *h)
{
	struct xstream *xs = arg;

	if (xs->state != XST_HEADER) {
		xstream_fail(xs, "invalid-xml", "unexpected stream header");
		return;
	}
	if (!xs->outbound) {
		in_header(xs, h);
		return;
	}
	snprintf(xs->id, sizeof(xs->id), "%s", h->id);
	xstream_enter_state(xs, XST_FEATURES);
}

static void
xstream_on_close(void *arg)
{
	struct xstream *xs = arg;

	xstream_writes(xs, "</stream:stream>");
	xstream_close(xs, "the peer closed the stream");
}

static const struct xs_handlers xstream_xml = {
	.header = xstream_on_header,
	.stanza = xstream_on_stanza,
	.close = xstream_on_close,
};

/* Feed everything buffered to the parser, chain by chain, then drain it. */
static void
xstream_read(struct conn *c, struct evbuffer *in, void *arg)
{
	struct xstream *xs = arg;
	struct evbuffer_iovec v[16];

	while (xs->state != XST_CLOSED && evbuffer_get_length(in) > 0) {
		int n = evbuffer_peek(in, -1, NULL, v, 16);
		size_t used = 0;

		for (int i = 0; i < n && i < 16; i++) {
			if (xs_feed(xs->px, v[i].iov_base, v[i].iov_len) < 0) {
				char why[200];
				snprintf(why, sizeof(why), "%s", xs_error(xs->px));
				xstream_fail(xs, "not-well-formed", why);
				return;
			}
			used += v[i].iov_len;
			if (xs->state == XST_TLS || xs->state == XST_CLOSED)
				break;	/* what follows is TLS: the conn switches */
		}
		if (xs->state == XST_CLOSED)
			return;
		evbuffer_drain(in, used);
		if (xs->state == XST_TLS)
			return;
	}
}

static void
xstream_event(struct conn *c, enum conn_event ev, const char *why, void *arg)
{
	struct xstream *xs = arg;

	switch (ev) {
	case CONN_CONNECTED:
		xstream_send_header(xs);
		xstream_enter_state(xs, XST_HEADER);
		break;
	case CONN_TLS_UP:
		xs->tls = 1;
		if (xs->outbound)
			xstream_send_header(xs);
		xstream_enter_state(xs, XST_HEADER);
		break;
	case CONN_EOF:
	case CONN_ERROR:
		xstream_close(xs, why);
		break;
	}
}

static const struct conn_handlers xstream_conn = {
	.read = xstream_read,
	.event = xstream_event,
};

static struct xstream *
xstream_new(struct xmpp_side *x, int outbound)
{
	struct xstream *xs = calloc(1, sizeof(*xs));
	static unsigned next_idx;

	if (xs == NULL)
		return NULL;
	xs->px = xs_new(&xstream_xml, xs);
	if (xs->px == NULL) {
		free(xs);
		return NULL;
	}
	xs->side = x;
	xs->outbound = outbound;
	xs->idx = next_idx++;
	xs->auth_method = "-";
	xs->next = x->all;
	x->all = xs;
	return xs;
}

/* ---- sink: listener ------------------------------------------------------ */

static void
xmpp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct xmpp_side *x = arg;
	struct xstream *xs = xstream_new(x, 0);

	if (xs == NULL) {
		close(fd);
		return;
	}
	xs->c = conn_accept(x->b->base, fd, &xstream_conn, xs);
	if (xs->c == NULL) {
		close(fd);
		xs->state = XST_CLOSED;
		return;
	}
	x->count[XC_STREAMS_IN]++;
	xs->state = XST_HEADER;
	bench_debug(x->b, "xmpp stream %u accepted from %s", xs->idx,
	    conn_peer(xs->c));
}

int
xmpp_sink_serve(struct xmpp_side *x, const char *domain)
{
	if (x->nserved == XMPP_MAX_SERVED)
		return -1;
	snprintf(x->served[x->nserved++], sizeof(x->served[0]), "%s", domain);
	return 0;
}

int
xmpp_sink_listen(struct xmpp_side *x, const char *addr, int *port, char *err,
    size_t errlen)
{
	x->lst = conn_listen(x->b->base, addr, xmpp_accept, x, port, err,
	    errlen);
	return x->lst ? 0 : -1;
}

/* ---- source -------------------------------------------------------------- */

int
xmpp_source_target(struct xmpp_side *x, const char *addr,
    const char *peer_name, char *err, size_t errlen)
{
	if (conn_parse_addr(addr, &x->gw, &x->gwlen) != 0) {
		snprintf(err, errlen, "bad address '%s' (want IP:PORT)", addr);
		return -1;
	}
	snprintf(x->gw_name, sizeof(x->gw_name), "%s", peer_name);
	return 0;
}

int
xmpp_source_start(struct xmpp_side *x)
{
	const struct bench_opts *o = &x->b->o;
	struct xstream *xs;
	char err[256];

	if (x->out != NULL)
		return 0;
	if ((xs = xstream_new(x, 1)) == NULL)
		return -1;
	snprintf(xs->local, sizeof(xs->local), "%s", o->remote_domain);
	snprintf(xs->remote, sizeof(xs->remote), "%s", o->local_domain);
	xs->c = conn_connect(x->b->base, (struct sockaddr *)&x->gw, x->gwlen,
	    &xstream_conn, xs, err, sizeof(err));
	if (xs->c == NULL) {
		xs->state = XST_CLOSED;
		bench_problem(x->b, "cannot connect to the gateway's XMPP "
		    "listener: %s", err);
		return -1;
	}
	x->out = xs;
	return 0;
}

int
xmpp_source_ready(const struct xmpp_side *x)
{
	return x->out != NULL && x->out->state == XST_AUTHED;
}

const char *
xmpp_source_auth(const struct xmpp_side *x)
{
	return x->out ? x->out->auth_method : "-";
}

int
xmpp_source_message(struct xmpp_side *x, enum bdir d, uint64_t seq)
{
	const struct bench_opts *o = &x->b->o;
	char body[2048], tag[96], buf[XMPP_STANZA_MAX];
	uint64_t ts = now_ns(), k = seq % (o->users ? o->users : 1);
	size_t blen, tlen;
	struct obuf ob;

	if (!xmpp_source_ready(x))
		return -1;
	if (conn_output_len(x->out->c) > XMPP_OUT_LIMIT)
		return -2;
	blen = bench_body(x->b, d, seq, ts, body, sizeof(body));
	tlen = bench_tag_id(x->b, d, seq, ts, tag, sizeof(tag));
	obuf_init(&ob, buf, sizeof(buf));
	obuf_str(&ob, "<message from='user");
	obuf_u64(&ob, k);
	obuf_mem(&ob, "@", 1);
	obuf_str(&ob, o->remote_domain);
	obuf_str(&ob, "' to='user");
	obuf_u64(&ob, k);
	obuf_mem(&ob, "@", 1);
	obuf_str(&ob, o->local_domain);
	obuf_str(&ob, "' type='chat' id='");
	obuf_mem(&ob, tag, tlen);
	obuf_str(&ob, "'><body>");
	obuf_xml(&ob, body, blen);
	obuf_str(&ob, "</body></message>");
	xstream_write(x->out, &ob);
	return 0;
}

size_t
xmpp_source_queued(const struct xmpp_side *x)
{
	return x->out && x->out->c ? conn_output_len(x->out->c) : 0;
}

/* ---- life cycle ------------------------------------------------------------ */

struct xmpp_side *
xmpp_side_new(struct bench *b)
{
	struct xmpp_side *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->b = b;
	x->pending = evbuffer_new();
	if (x->pending == NULL) {
		free(x);
		return NULL;
	}
	return x;
}

void
xmpp_side_shutdown(struct xmpp_side *x)
{
	if (x->lst)
		evconnlistener_free(x->lst);
	x->lst = NULL;
	for (struct xstream *xs = x->all; xs; xs = xs->next) {
		if (xs->state == XST_CLOSED)
			continue;
		if (xs->state != XST_CONNECTING)
			xstream_writes(xs, "</stream:stream>");
		xs->state = XST_CLOSED;		/* ours: not a problem */
		if (xs->px)
			xs_halt(xs->px);
		conn_close(xs->c, 1);
		xs->c = NULL;
	}
	x->out = NULL;
}

void
xmpp_side_free(struct xmpp_side *x)
{
	struct xstream *xs, *next;

	if (x == NULL)
		return;
	if (x->lst)
		evconnlistener_free(x->lst);
	for (xs = x->all; xs; xs = next) {
		next = xs->next;
		if (xs->c)
			conn_close(xs->c, 0);
		xs_free(xs->px);
		free(xs);
	}
	evbuffer_free(x->pending);
	free(x);
}

void
xmpp_side_report(const struct xmpp_side *x, FILE *out)
{
	fprintf(out, "# xmpp: streams_in=%llu messages=%llu bounces=%llu "
	    "presence=%llu subscribe=%llu probe=%llu iq=%llu db_verify=%llu "
	    "db_result_ok=%llu db_result_bad=%llu sasl_ok=%llu sasl_bad=%llu "
	    "refused=%llu source_auth=%s\n",
	    (unsigned long long)x->count[XC_STREAMS_IN],
	    (unsigned long long)x->count[XC_MESSAGES],
	    (unsigned long long)x->count[XC_BOUNCES],
	    (unsigned long long)x->count[XC_PRESENCE],
	    (unsigned long long)x->count[XC_SUBSCRIBE],
	    (unsigned long long)x->count[XC_PROBE],
	    (unsigned long long)x->count[XC_IQ],
	    (unsigned long long)x->count[XC_DB_VERIFY],
	    (unsigned long long)x->count[XC_DB_RESULT_OK],
	    (unsigned long long)x->count[XC_DB_RESULT_BAD],
	    (unsigned long long)x->count[XC_SASL_OK],
	    (unsigned long long)x->count[XC_SASL_BAD],
	    (unsigned long long)x->count[XC_REFUSED], xmpp_source_auth(x));
}
