/*
 * sip_page: see sip_page.h. A page-mode MESSAGE is one transaction: in,
 * it waits for the gateway's verdict (sip_txn); out, it lives in a small
 * record with a temporary leg until the edge answers.
 */
#include "config.h"

#include "sip/sip_conv.h"
#include "sip/sip_core.h"
#include "sip/sip_out.h"
#include "sip/sip_page.h"
#include "sip/sip_txn.h"

#include "core/config.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#define PAGE_ACCEPT	"text/plain, text/html, application/im-iscomposing+xml"

/* An outgoing page-mode MESSAGE and what is owed to the gateway. */
struct page_out {
	struct sip_done	 done;
	nta_leg_t	*leg;
	struct sip_out	*out;
	struct page_out	*next;
};

static struct page_out *pages;

/* ---- in ------------------------------------------------------------ */

const char *
sip_unknown_header(const sip_t *sip, const char *name)
{
	for (const sip_unknown_t *u = sip->sip_unknown; u; u = u->un_next)
		if (u->un_name && strcasecmp(u->un_name, name) == 0)
			return u->un_value;
	return NULL;
}

static int
addr_of(const url_t *u, struct xl_addr *a)
{
	return sip_conv_addr_from_uri(u->url_user, u->url_host, a);
}

/* The body as a NUL-terminated string the caller frees; NULL when absent. */
static char *
body_dup(const sip_t *sip, size_t *len)
{
	const sip_payload_t *pl = sip->sip_payload;
	char *b;

	*len = 0;
	if (pl == NULL || pl->pl_len == 0)
		return NULL;
	if ((b = malloc(pl->pl_len + 1)) == NULL)
		return NULL;
	memcpy(b, pl->pl_data, pl->pl_len);
	b[pl->pl_len] = '\0';
	*len = pl->pl_len;
	return b;
}

/* Typing in page mode: answered at once. */
static void
deliver_chat_state(nta_incoming_t *irq, const sip_t *sip, struct xl_msg *m,
    const char *body, size_t len)
{
	const struct sip_events *ev = sip_ev();

	if (sip_conv_iscomposing_parse(body, len, &m->chat_state) != 0) {
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, 400, "Bad Request", "malformed isComposing "
		    "document (RFC 3994)");
		return;
	}
	sip_reply(irq, SIP_200_OK, NULL);	/* before anything goes back */
	if (ev && ev->chat_state)
		ev->chat_state(m, ev->arg);
}

void
sip_page_deliver(nta_incoming_t *irq, const sip_t *sip,
    const struct xl_addr *from, const struct xl_addr *to, const char *thread,
    uint64_t owner)
{
	const struct sip_events *ev = sip_ev();
	const sip_content_type_t *ct = sip->sip_content_type;
	const char *charset = NULL;
	struct xl_msg m;
	enum sip_body kind;
	char *body, *text = NULL, w[300], wh[400];
	size_t len, tlen;
	uint64_t txid;

	memset(&m, 0, sizeof(m));
	if (from && to) {
		m.from = *from;
		m.to = *to;
	} else if (addr_of(sip->sip_from->a_url, &m.from) != 0 ||
	    addr_of(sip->sip_request->rq_url, &m.to) != 0) {
		sip_reply(irq, 400, "Bad Request", "From or Request-URI is not "
		    "a user@domain address");
		return;
	}
	if ((body = body_dup(sip, &len)) == NULL) {
		sip_reply(irq, 400, "Bad Request", "MESSAGE without a body");
		return;
	}
	if (ct && ct->c_params)
		charset = msg_params_find(ct->c_params, "charset=");
	kind = sip_conv_body_kind(ct ? ct->c_type : NULL, charset);
	m.type = XL_MSG_CHAT;
	m.thread = thread;
	switch (kind) {
	case SIP_BODY_UNSUPPORTED:
		snprintf(w, sizeof(w), "Content-Type %s%s%s is not supported",
		    ct ? ct->c_type : "(none)", charset ? "; charset=" : "",
		    charset ? charset : "");
		sip_count(SIP_C_REFUSED_REQ);
		nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
		    SIPTAG_ACCEPT_STR(PAGE_ACCEPT),
		    SIPTAG_WARNING_STR(sip_warning_fmt(wh, sizeof(wh), w)), TAG_END());
		nta_incoming_destroy(irq);
		goto out;
	case SIP_BODY_ISCOMPOSING:
		deliver_chat_state(irq, sip, &m, body, len);
		goto out;
	case SIP_BODY_HTML:
		if ((text = malloc(len + 1)) == NULL ||
		    sip_conv_html_to_text(body, len, text, len + 1, &tlen) != 0) {
			sip_reply(irq, 400, "Bad Request", "malformed text/html body");
			goto out;
		}
		break;
	case SIP_BODY_TEXT:
		tlen = len;
		break;
	}
	if (!sip_conv_utf8_valid(text ? text : body, tlen)) {
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, 400, "Bad Request", "body is not valid UTF-8");
		goto out;
	}
	if (ev == NULL || ev->message == NULL) {
		sip_reply(irq, 480, "Temporarily Unavailable", "the XMPP side is "
		    "not connected to the gateway");
		goto out;
	}
	m.body = text ? text : body;
	m.body_len = tlen;
	m.chat_state = XL_CS_ACTIVE;
	if ((txid = sip_txn_defer(irq, sip_txn_answer_plain, owner)) == 0) {
		sip_reply(irq, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		goto out;
	}
	sip_count(SIP_C_MSG_IN);
	log_debug(SIP_MOD, "MESSAGE call-id=%s txid=%llu %s@%s -> %s@%s",
	    sip->sip_call_id->i_id, (unsigned long long)txid, m.from.user,
	    m.from.domain, m.to.user, m.to.domain);
	ev->message(txid, &m, ev->arg);
out:
	free(text);
	free(body);
}

int
sip_page_incoming(nta_incoming_t *irq, const sip_t *sip)
{
	sip_page_deliver(irq, sip, NULL, NULL,
	    sip_unknown_header(sip, "Ms-Conversation-ID"), 0);
	return 0;
}

int
sip_options_incoming(nta_incoming_t *irq, const sip_t *sip)
{
	nta_incoming_treply(irq, SIP_200_OK,
	    SIPTAG_ALLOW_STR(SIP_ALLOW),
	    SIPTAG_ACCEPT_STR(PAGE_ACCEPT ", application/pidf+xml, "
	    "application/msrtc-event-categories+xml, application/sdp"),
	    SIPTAG_SUPPORTED_STR("ms-benotify, ms-piggyback-first-notify, "
	    "ms-text-format"),
	    SIPTAG_ALLOW_EVENTS_STR("presence"),
	    TAG_END());
	nta_incoming_destroy(irq);
	return 0;
}

/* ---- out ----------------------------------------------------------- */

void
sip_done_call(const struct sip_done *d, int status, const char *phrase)
{
	struct xl_err err;

	if (d->fn == NULL)
		return;
	if (status >= 200 && status < 300) {
		d->fn(d->cookie, NULL, d->arg);
		return;
	}
	memset(&err, 0, sizeof(err));
	sip_conv_err_from_status(status, phrase, &err);
	d->fn(d->cookie, &err, d->arg);
}

static void
page_free(struct page_out *p)
{
	for (struct page_out **pp = &pages; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	sip_out_cancel(p->out);
	if (p->leg)
		nta_leg_destroy(p->leg);
	free(p);
}

static void
page_done(void *arg, int status, const char *phrase, const sip_t *sip,
    const char *hop)
{
	struct page_out *p = arg;

	p->out = NULL;
	if (status >= 300)
		log_info(SIP_MOD, "MESSAGE to edge failed: %d %s", status,
		    phrase ? phrase : "");
	sip_done_call(&p->done, status, phrase);
	page_free(p);
}

/* A leg from the remote user (From) to the local user (To). */
static nta_leg_t *
page_leg(const struct xl_msg *m, char *to_uri, size_t len)
{
	char from_uri[XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX + 8];
	char from[sizeof(from_uri) + 2], to[XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX + 10];
	nta_leg_t *leg;

	if (sip_conv_addr_to_uri(&m->from, from_uri, sizeof(from_uri)) != 0 ||
	    sip_conv_addr_to_uri(&m->to, to_uri, len) != 0)
		return NULL;
	snprintf(from, sizeof(from), "<%s>", from_uri);
	snprintf(to, sizeof(to), "<%s>", to_uri);
	leg = nta_leg_tcreate(sip_agent(), NULL, NULL, SIPTAG_FROM_STR(from),
	    SIPTAG_TO_STR(to), TAG_END());
	if (leg)
		nta_leg_tag(leg, NULL);
	return leg;
}

/* One MESSAGE toward the edge with body of type ctype. */
static int
page_send_body(const struct xl_msg *m, const char *ctype, const char *body,
    uint64_t cookie, sip_done_fn *done, void *arg)
{
	char to_uri[XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX + 8];
	struct page_out *p;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *ruri;

	if (!config_is_local_domain(sip_cfg(), m->to.domain))
		return -1;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->done.cookie = cookie;
	p->done.fn = done;
	p->done.arg = arg;
	if ((p->leg = page_leg(m, to_uri, sizeof(to_uri))) == NULL ||
	    (ruri = url_make(home, to_uri)) == NULL) {
		page_free(p);
		su_home_deinit(home);
		return -1;
	}
	p->next = pages;
	pages = p;
	p->out = sip_out_send(p->leg, m->to.domain, NULL, page_done, p,
	    SIP_METHOD_MESSAGE, ruri, SIPTAG_CONTENT_TYPE_STR(ctype),
	    SIPTAG_PAYLOAD_STR(body), TAG_END());
	su_home_deinit(home);
	if (p->out == NULL) {
		page_free(p);
		return -1;
	}
	return 0;
}

int
sip_page_send(const struct xl_msg *m, uint64_t cookie, sip_done_fn *done,
    void *arg)
{
	if (m->body == NULL || !sip_conv_utf8_valid(m->body, m->body_len))
		return -1;
	if (page_send_body(m, "text/plain;charset=UTF-8", m->body, cookie, done,
	    arg) != 0)
		return -1;
	sip_count(SIP_C_MSG_OUT);
	return 0;
}

int
sip_page_send_chat_state(const struct xl_msg *m)
{
	char doc[512];

	if (sip_conv_iscomposing_make(m->chat_state, doc, sizeof(doc)) < 0)
		return -1;
	return page_send_body(m, "application/im-iscomposing+xml", doc, 0,
	    NULL, NULL);
}

void
sip_page_shutdown(void)
{
	while (pages)
		page_free(pages);
}
