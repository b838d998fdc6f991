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

#include "xlate/err.h"
#include "xlate/msg.h"
#include "xlate/typing.h"

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

/* Typing in page mode: answered at once. */
static void
deliver_chat_state(nta_incoming_t *irq, struct xl_msg *m, const char *body,
    size_t len)
{
	const struct sip_events *ev = sip_ev();
	unsigned refresh;

	if (xl_iscomposing_parse(body, len, &m->chat_state, &refresh) != 0) {
		sip_count(SIP_C_REFUSED_REQ);
		sip_reply(irq, 400, "Bad Request", "malformed isComposing "
		    "document (RFC 3994)");
		return;
	}
	sip_reply(irq, SIP_200_OK, NULL);	/* before anything goes back */
	if (ev && ev->chat_state)
		ev->chat_state(m, ev->arg);
}

/* 415 with what we take, and why. */
static void
refuse_media(nta_incoming_t *irq, const char *ctype, const char *why)
{
	char w[400], wh[500];

	snprintf(w, sizeof(w), "Content-Type %s is not supported%s%s",
	    ctype[0] ? ctype : "(none)", why ? ": " : "", why ? why : "");
	sip_count(SIP_C_REFUSED_REQ);
	nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
	    SIPTAG_ACCEPT_STR(PAGE_ACCEPT),
	    SIPTAG_WARNING_STR(sip_warning_fmt(wh, sizeof(wh), w)), TAG_END());
	nta_incoming_destroy(irq);
}

/*
 * The text of a MESSAGE body (xlate decodes charsets, HTML, CPIM,
 * multipart). NULL when it was refused: irq is answered then.
 */
static char *
body_text(nta_incoming_t *irq, const char *ctype, const sip_payload_t *pl,
    size_t *n)
{
	size_t cap = pl->pl_len * 3 + 1;
	char *text = malloc(cap), w[200];
	int rc;

	if (text == NULL) {
		sip_reply(irq, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		return NULL;
	}
	rc = xl_body_from_sip(ctype, pl->pl_data, pl->pl_len, text, cap, n);
	if (rc == 0)
		return text;
	free(text);
	if (rc == XL_E_MEDIA || rc == XL_E_CHARSET) {
		refuse_media(irq, ctype, xl_strerror(rc));
		return NULL;
	}
	snprintf(w, sizeof(w), "body not taken: %s", xl_strerror(rc));
	sip_count(SIP_C_REFUSED_REQ);
	sip_reply(irq, 400, "Bad Request", w);
	return NULL;
}

/* Text for the gateway: the request waits for its verdict (sip_txn). */
static void
deliver_text(nta_incoming_t *irq, const sip_t *sip, const struct xl_msg *m,
    uint64_t owner)
{
	const struct sip_events *ev = sip_ev();
	uint64_t txid;

	if (ev == NULL || ev->message == NULL) {
		sip_reply(irq, 480, "Temporarily Unavailable", "the XMPP side is "
		    "not connected to the gateway");
		return;
	}
	if ((txid = sip_txn_defer(irq, sip_txn_answer_plain, owner)) == 0) {
		sip_reply(irq, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		return;
	}
	sip_count(SIP_C_MSG_IN);
	log_debug(SIP_MOD, "MESSAGE call-id=%s txid=%llu %s@%s -> %s@%s",
	    sip->sip_call_id->i_id, (unsigned long long)txid, m->from.user,
	    m->from.domain, m->to.user, m->to.domain);
	ev->message(txid, m, ev->arg);
}

void
sip_page_deliver(nta_incoming_t *irq, const sip_t *sip,
    const struct xl_addr *from, const struct xl_addr *to, const char *thread,
    uint64_t owner)
{
	const sip_payload_t *pl = sip->sip_payload;
	struct xl_msg m;
	char ctype[256], *text;
	size_t n;

	memset(&m, 0, sizeof(m));
	if (from && to) {
		m.from = *from;
		m.to = *to;
	} else if (sip_conv_addr_from_url(sip->sip_from->a_url, &m.from) != 0 ||
	    sip_conv_addr_from_url(sip->sip_request->rq_url, &m.to) != 0) {
		sip_reply(irq, 400, "Bad Request", "From or Request-URI is not "
		    "a user@domain address");
		return;
	}
	if (pl == NULL || pl->pl_len == 0) {
		sip_reply(irq, 400, "Bad Request", "MESSAGE without a body");
		return;
	}
	if (sip_conv_ctype(sip->sip_content_type, ctype, sizeof(ctype)) != 0) {
		refuse_media(irq, "(too long)", NULL);
		return;
	}
	m.type = XL_MSG_CHAT;
	m.thread = thread;
	switch (xl_body_classify(ctype)) {
	case XL_BODY_ISCOMPOSING:
		deliver_chat_state(irq, &m, pl->pl_data, pl->pl_len);
		return;
	case XL_BODY_TEXT:
		break;
	default:
		refuse_media(irq, ctype, NULL);
		return;
	}
	if ((text = body_text(irq, ctype, pl, &n)) == NULL)
		return;
	m.body = text;
	m.body_len = n;
	m.chat_state = XL_CS_ACTIVE;
	deliver_text(irq, sip, &m, owner);
	free(text);
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
	if (xl_err_from_sip(status, phrase, &err) != 0)
		xl_err_set(&err, XL_ERR_UNDEFINED_CONDITION);
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
	const char *ctype;

	if (m->body == NULL || xl_body_to_sip(m->body, m->body_len, &ctype) != 0)
		return -1;
	if (page_send_body(m, ctype, m->body, cookie, done, arg) != 0)
		return -1;
	sip_count(SIP_C_MSG_OUT);
	return 0;
}

int
sip_page_send_chat_state(const struct xl_msg *m)
{
	char doc[512];

	if (xl_iscomposing_write(m->chat_state, 0, doc, sizeof(doc)) < 0)
		return -1;
	return page_send_body(m, XL_ISCOMPOSING_CTYPE, doc, 0,
	    NULL, NULL);
}

void
sip_page_shutdown(void)
{
	while (pages)
		page_free(pages);
}
