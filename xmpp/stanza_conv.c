/*
 * stanza_conv: stanzas <-> neutral types. See stanza_conv.h.
 */
#include "config.h"
#include "xmpp/stanza_conv.h"
#include "xmpp/parser.h"
#include "xmpp/stanza.h"
#include "xlate/addr.h"
#include "xlate/err.h"
#include "xlate/pres.h"
#include "xlate/typing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#define NS_CHATSTATES	"http://jabber.org/protocol/chatstates"
#define NS_XHTML_IM	"http://jabber.org/protocol/xhtml-im"
#define NS_XHTML	"http://www.w3.org/1999/xhtml"

/* ---- addresses and names (xlate/) ---------------------------------- */

int
conv_domain_normalize(const char *in, char *out, size_t len)
{
	return xl_domain_normalize(in, out, len) == XL_OK ? 0 : -1;
}

int
conv_jid_parse(const char *jid, struct xl_addr *out)
{
	return jid && xl_addr_from_jid(jid, out) == XL_OK ? 0 : -1;
}

int
conv_jid_domain(const char *jid, char *out, size_t len)
{
	struct xl_addr *a = malloc(sizeof(*a));
	int rc = -1;

	if (a == NULL)
		return -1;
	if (conv_jid_parse(jid, a) == 0 && strlen(a->domain) < len) {
		memcpy(out, a->domain, strlen(a->domain) + 1);
		rc = 0;
	}
	free(a);
	return rc;
}

int
conv_jid_format(const struct xl_addr *a, char *buf, size_t len)
{
	return xl_addr_to_jid(a, 1, buf, len) == XL_OK ? 0 : -1;
}

const char *
conv_err_cond_name(enum xl_err_cond c)
{
	const char *n = c == XL_ERR_NONE ? NULL : xl_err_cond_name(c);

	return n ? n : "undefined-condition";
}

enum xl_err_cond
conv_err_cond_parse(const char *name)
{
	enum xl_err_cond c;

	return xl_err_cond_parse(name, &c) == XL_OK ? c :
	    XL_ERR_UNDEFINED_CONDITION;
}

const char *
conv_err_type_name(enum xl_err_type t)
{
	const char *n = xl_err_type_name(t);

	return n ? n : "cancel";
}

enum xl_err_type
conv_err_default_type(enum xl_err_cond c)
{
	return xl_err_default_type(c);
}

/* ---- inbound ------------------------------------------------------ */

static int
conv_addrs(const struct xnode *st, struct xl_addr *from, struct xl_addr *to)
{
	const char *f = xnode_attr(st, "from"), *t = xnode_attr(st, "to");

	if (f == NULL || t == NULL)
		return -1;
	return conv_jid_parse(f, from) == 0 && conv_jid_parse(t, to) == 0 ?
	    0 : -1;
}

/* Text of the first child NAME without xml:lang or with the stanza's. */
static const char *
child_text(const struct xnode *st, const char *name, size_t *len)
{
	const char *lang = xnode_attr(st, "xml:lang");
	const struct xnode *first = NULL;

	for (const struct xnode *c = xnode_first_elem(st); c;
	    c = xnode_next_elem(c)) {
		const char *cl;

		if (strcmp(xnode_name(c), name) || strcmp(xnode_ns(c),
		    xnode_ns(st)))
			continue;
		cl = xnode_attr(c, "xml:lang");
		if (cl == NULL || (lang && !strcmp(cl, lang)))
			return xnode_text(c, len);
		if (first == NULL)
			first = c;
	}
	return first ? xnode_text(first, len) : NULL;
}

static enum xl_chat_state
conv_chat_state(const struct xnode *st)
{
	enum xl_chat_state cs;

	for (const struct xnode *c = xnode_first_elem(st); c;
	    c = xnode_next_elem(c))
		if (!strcmp(xnode_ns(c), NS_CHATSTATES) &&
		    xl_chat_state_parse(xnode_name(c), &cs) == XL_OK)
			return cs;
	return XL_CS_NONE;
}

int
conv_to_msg(const struct xnode *st, struct xl_msg *m, struct evbuffer *scratch)
{
	const char *type = xnode_attr(st, "type");
	const struct xnode *html;

	memset(m, 0, sizeof(*m));
	if (conv_addrs(st, &m->from, &m->to) != 0)
		return -1;
	if (type == NULL || !strcmp(type, "normal"))
		m->type = XL_MSG_NORMAL;
	else if (!strcmp(type, "chat"))
		m->type = XL_MSG_CHAT;
	else if (!strcmp(type, "headline"))
		m->type = XL_MSG_HEADLINE;
	else if (!strcmp(type, "groupchat"))
		m->type = XL_MSG_GROUPCHAT;
	else
		return -1;
	m->body = child_text(st, "body", &m->body_len);
	m->subject = child_text(st, "subject", NULL);
	m->thread = child_text(st, "thread", NULL);
	m->id = xnode_attr(st, "id");
	m->lang = xnode_attr(st, "xml:lang");
	m->chat_state = conv_chat_state(st);
	html = xnode_child(st, NS_XHTML_IM, "html");
	html = html ? xnode_child(html, NS_XHTML, "body") : NULL;
	if (html && scratch) {
		evbuffer_drain(scratch, evbuffer_get_length(scratch));
		for (const struct xnode *c = xnode_first_elem(html); c;
		    c = xnode_next_elem(c))
			xnode_write(c, NS_XHTML, scratch);
		evbuffer_add(scratch, "", 1);
		m->html_len = evbuffer_get_length(scratch) - 1;
		m->html = (const char *)evbuffer_pullup(scratch, -1);
	}
	return 0;
}

int
conv_to_pres(const struct xnode *st, struct xl_pres *p)
{
	const char *type = xnode_attr(st, "type"), *show, *prio;

	memset(p, 0, sizeof(*p));
	p->lync_availability = -1;
	if (conv_addrs(st, &p->from, &p->to) != 0)
		return -1;
	if (type && !strcmp(type, "unavailable"))
		p->show = XL_SHOW_UNAVAILABLE;
	else if (type)
		return -1;
	else if ((show = child_text(st, "show", NULL)) != NULL &&
	    xl_show_parse(show, &p->show) != XL_OK)
		p->show = XL_SHOW_AVAILABLE;	/* RFC 6121 §4.7.2.1: unknown = available */
	p->status = child_text(st, "status", NULL);
	p->status_lang = p->status ? xnode_attr(st, "xml:lang") : NULL;
	if ((prio = child_text(st, "priority", NULL)) != NULL) {
		long v = strtol(prio, NULL, 10);
		p->priority = v < -128 ? -128 : v > 127 ? 127 : (int)v;
	}
	p->id = xnode_attr(st, "id");
	return 0;
}

int
conv_to_sub(const struct xnode *st, struct xl_sub *s)
{
	static const char *const types[] = { "subscribe", "subscribed",
	    "unsubscribe", "unsubscribed", "probe" };
	const char *type = xnode_attr(st, "type");

	memset(s, 0, sizeof(*s));
	if (type == NULL || conv_addrs(st, &s->from, &s->to) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(type, types[i])) {
			s->type = (enum xl_sub_type)i;
			s->id = xnode_attr(st, "id");
			return 0;
		}
	}
	return -1;
}

void
conv_to_err(const struct xnode *st, struct xl_err *e)
{
	const struct xnode *err = xnode_child(st, NULL, "error");
	const char *type;

	memset(e, 0, sizeof(*e));
	e->cond = XL_ERR_UNDEFINED_CONDITION;
	e->type = XL_ERRT_CANCEL;
	if (err == NULL)
		return;
	for (const struct xnode *c = xnode_first_elem(err); c;
	    c = xnode_next_elem(c)) {
		if (strcmp(xnode_ns(c), XMPP_NS_STANZAS))
			continue;
		if (!strcmp(xnode_name(c), "text"))
			e->text = xnode_text(c, NULL);
		else
			e->cond = conv_err_cond_parse(xnode_name(c));
	}
	if ((type = xnode_attr(err, "type")) == NULL ||
	    xl_err_type_parse(type, &e->type) != XL_OK)
		e->type = XL_ERRT_CANCEL;
}

/* ---- outbound ----------------------------------------------------- */

/* A stanza element with from, to, optional id and type. */
static struct xnode *
conv_new_stanza(const char *name, const struct xl_addr *from,
    const struct xl_addr *to, const char *id, const char *type)
{
	char jid[CONV_JID_MAX];
	struct xnode *st = xnode_new(XMPP_NS_SERVER, name);

	if (st == NULL)
		return NULL;
	if (conv_jid_format(from, jid, sizeof(jid)) != 0 ||
	    xnode_set_attr(st, "from", jid) != 0 ||
	    conv_jid_format(to, jid, sizeof(jid)) != 0 ||
	    xnode_set_attr(st, "to", jid) != 0 ||
	    (id && id[0] && xnode_set_attr(st, "id", id) != 0) ||
	    (type && xnode_set_attr(st, "type", type) != 0)) {
		xnode_free(st);
		return NULL;
	}
	return st;
}

/* Serialize a built stanza (unless building failed) and free it. */
static int
stanza_finish(struct xnode *st, int ok, struct evbuffer *out)
{
	int rc = ok ? xnode_write(st, XMPP_NS_SERVER, out) : -1;

	xnode_free(st);
	return rc;
}

static int
add_text_child(struct xnode *st, const char *name, const char *text, size_t len)
{
	struct xnode *c = xnode_add_child(st, NULL, name);

	return c ? xnode_add_text(c, text, len) : -1;
}

static void
html_cb_open(void *arg, const struct xnode *h)
{
}

static void
html_cb_element(void *arg, struct xnode *el)
{
	struct xnode **out = arg;

	if (*out == NULL)
		*out = el;
	else
		xnode_free(el);
}

static void
html_cb_close(void *arg)
{
}

static void
html_cb_error(void *arg, const char *cond, const char *text)
{
}

/*
 * The XHTML-IM body comes as markup from the other side: parse it, and
 * send our own serialization of the tree, so that whatever it holds can
 * never break our stream. Markup that does not parse is left out.
 */
static int
add_xhtml(struct xnode *st, const char *html, size_t len)
{
	static const struct xparser_cb cb = { html_cb_open, html_cb_element,
	    html_cb_close, html_cb_error };
	static const char pre[] = "<x xmlns='" NS_XHTML "'><body>";
	static const char post[] = "</body>";
	struct xnode *body = NULL, *wrap;
	struct xparser *p = xparser_new(&cb, &body, len + 64);
	int ok;

	if (p == NULL)
		return -1;
	ok = xparser_feed(p, pre, sizeof(pre) - 1) == 0 &&
	    xparser_feed(p, html, len) == 0 &&
	    xparser_feed(p, post, sizeof(post) - 1) == 0;
	xparser_free(p);
	if (!ok || body == NULL) {
		xnode_free(body);
		return 0;
	}
	wrap = xnode_add_child(st, NS_XHTML_IM, "html");
	if (wrap == NULL) {
		xnode_free(body);
		return -1;
	}
	xnode_adopt(wrap, body);
	return 0;
}

int
conv_write_msg(const struct xl_msg *m, struct evbuffer *out)
{
	static const char *const types[] = { "normal", "chat", "headline",
	    "groupchat" };
	const char *state = m->chat_state == XL_CS_NONE ? NULL :
	    xl_chat_state_name(m->chat_state);
	struct xnode *st;
	int ok = 0;

	st = conv_new_stanza("message", &m->from, &m->to, m->id,
	    (unsigned)m->type < 4 ? types[m->type] : "chat");
	if (st == NULL)
		return -1;
	if (m->lang && xnode_set_attr(st, "xml:lang", m->lang) != 0)
		goto out;
	if (m->subject && add_text_child(st, "subject", m->subject,
	    strlen(m->subject)) != 0)
		goto out;
	if (m->body && add_text_child(st, "body", m->body, m->body_len) != 0)
		goto out;
	if (m->thread && add_text_child(st, "thread", m->thread,
	    strlen(m->thread)) != 0)
		goto out;
	if (state && xnode_add_child(st, NS_CHATSTATES, state) == NULL)
		goto out;
	if (m->html && add_xhtml(st, m->html, m->html_len) != 0)
		goto out;
	ok = 1;
out:
	return stanza_finish(st, ok, out);
}

int
conv_write_pres(const struct xl_pres *p, struct evbuffer *out)
{
	const char *show = xl_show_name(p->show);
	struct xnode *st;
	char prio[8];
	int ok = 0;

	st = conv_new_stanza("presence", &p->from, &p->to, p->id,
	    p->show == XL_SHOW_UNAVAILABLE ? "unavailable" : NULL);
	if (st == NULL)
		return -1;
	if (show && add_text_child(st, "show", show, strlen(show)) != 0)
		goto out;
	if (p->status) {
		struct xnode *s = xnode_add_child(st, NULL, "status");
		if (s == NULL || (p->status_lang && xnode_set_attr(s, "xml:lang",
		    p->status_lang) != 0) ||
		    xnode_add_text(s, p->status, strlen(p->status)) != 0)
			goto out;
	}
	if (p->priority != 0 && p->show != XL_SHOW_UNAVAILABLE) {
		snprintf(prio, sizeof(prio), "%d", p->priority);
		if (add_text_child(st, "priority", prio, strlen(prio)) != 0)
			goto out;
	}
	ok = 1;
out:
	return stanza_finish(st, ok, out);
}

int
conv_write_sub(const struct xl_sub *s, struct evbuffer *out)
{
	static const char *const types[] = { "subscribe", "subscribed",
	    "unsubscribe", "unsubscribed", "probe" };
	struct xnode *st;

	if ((unsigned)s->type >= sizeof(types) / sizeof(types[0]))
		return -1;
	st = conv_new_stanza("presence", &s->from, &s->to, s->id,
	    types[s->type]);
	return st ? stanza_finish(st, 1, out) : -1;
}

int
conv_write_error(const char *name, const char *from, const char *to,
    const char *id, const struct xl_err *e, struct evbuffer *out)
{
	if (xml_writef(out, "<%s from='%s' to='%s'", name, from, to) != 0 ||
	    (id && xml_writef(out, " id='%s'", id) != 0) ||
	    xml_writef(out, " type='error'><error type='%s'><%s xmlns='"
	    XMPP_NS_STANZAS "'/>", conv_err_type_name(e->type),
	    conv_err_cond_name(e->cond)) != 0)
		return -1;
	if (e->text && (xml_writef(out, "<text xmlns='" XMPP_NS_STANZAS "'>") != 0 ||
	    xml_write_text(out, e->text, strlen(e->text)) != 0 ||
	    xml_writef(out, "</text>") != 0))
		return -1;
	return xml_writef(out, "</error></%s>", name);
}
