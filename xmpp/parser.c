/*
 * parser: Expat in namespace mode (names arrive as "URI local"), fed at
 * any byte boundary. See parser.h.
 *
 * Size accounting: "mark" is the stream byte offset where the current
 * top-level element began (or where the last one ended). Whatever lies
 * between mark and the end of the input fed so far belongs to one element
 * still being parsed; when it exceeds max_stanza the element is refused,
 * even if Expat has not reported a single event for it yet (e.g. a start
 * tag with a huge attribute arriving in small pieces).
 */
#include "config.h"
#include "xmpp/parser.h"
#include "xmpp/stanza.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#define NS_SEP	' '

struct xparser {
	XML_Parser		 xp;
	const struct xparser_cb	*cb;
	void			*arg;
	size_t			 max_stanza;
	unsigned		 depth;		/* 0 outside the stream, 1 inside */
	struct xnode		*header;	/* built until the open callback */
	struct xnode		*cur;		/* element being built */
	struct xnode		*root;		/* top-level element being built */
	uint64_t		 fed;		/* bytes given to Expat so far */
	uint64_t		 mark;
	int			 failed;
	int			 halted;
};

static void
xparser_fail(struct xparser *p, const char *cond, const char *text)
{
	if (p->failed)
		return;
	p->failed = 1;
	XML_StopParser(p->xp, XML_FALSE);
	p->cb->error(p->arg, cond, text);
}

/* Split Expat's "URI local" name. ns gets "" when there is no URI. */
static const char *
split_name(const char *full, char *ns, size_t nslen)
{
	const char *sp = strrchr(full, NS_SEP);

	if (sp == NULL) {
		ns[0] = '\0';
		return full;
	}
	if ((size_t)(sp - full) >= nslen) {
		ns[0] = '\0';
		return NULL;
	}
	memcpy(ns, full, (size_t)(sp - full));
	ns[sp - full] = '\0';
	return sp + 1;
}

/*
 * Copy Expat's attributes; "URI local" names become "xml:lang" etc.
 * -1 out of memory, -2 a name too long to be anything we know.
 */
static int
copy_attrs(struct xnode *n, const XML_Char **attrs)
{
	char ns[512], qname[600];
	int len;

	for (size_t i = 0; attrs[i]; i += 2) {
		const char *local = split_name(attrs[i], ns, sizeof(ns));

		if (local == NULL)
			return -2;
		if (ns[0] == '\0')
			len = snprintf(qname, sizeof(qname), "%s", local);
		else if (!strcmp(ns, XMPP_NS_XML))
			len = snprintf(qname, sizeof(qname), "xml:%s", local);
		else
			len = snprintf(qname, sizeof(qname), "%s %s", ns, local);
		if (len < 0 || (size_t)len >= sizeof(qname))
			return -2;
		if (xnode_set_attr(n, qname, attrs[i + 1]) != 0)
			return -1;
	}
	return 0;
}

static void
xparser_fail_attrs(struct xparser *p, int rc)
{
	if (rc == -2)
		xparser_fail(p, "policy-violation", "attribute name too long");
	else
		xparser_fail(p, "internal-server-error", "out of memory");
}

/* Refuse the element in progress when it has grown past the limit. */
static int
xparser_check_size(struct xparser *p, uint64_t upto)
{
	if (upto > p->mark && upto - p->mark > p->max_stanza) {
		xparser_fail(p, "policy-violation", "stanza too large");
		return -1;
	}
	return 0;
}

static uint64_t
event_end(struct xparser *p)
{
	return (uint64_t)XML_GetCurrentByteIndex(p->xp) +
	    (uint64_t)XML_GetCurrentByteCount(p->xp);
}

static void
on_ns_decl(void *arg, const XML_Char *prefix, const XML_Char *uri)
{
	struct xparser *p = arg;
	char name[300];

	if (p->depth != 0 || p->failed)
		return;		/* only the stream header's declarations matter */
	if (p->header == NULL && (p->header = xnode_new(NULL, "stream")) == NULL) {
		xparser_fail(p, "internal-server-error", "out of memory");
		return;
	}
	if (prefix)
		snprintf(name, sizeof(name), "xmlns:%s", prefix);
	else
		snprintf(name, sizeof(name), "xmlns");
	if (xnode_set_attr(p->header, name, uri ? uri : "") != 0)
		xparser_fail(p, "internal-server-error", "out of memory");
}

/* The stream header: its declarations (collected in p->header) go with it. */
static void
on_stream_open(struct xparser *p, const char *ns, const char *local,
    const XML_Char **attrs)
{
	struct xnode *h = xnode_new(ns, local);
	const char *name, *value;
	int rc = 0;

	for (size_t i = 0; h && p->header &&
	    xnode_attr_at(p->header, i, &name, &value); i++)
		if (xnode_set_attr(h, name, value) != 0) {
			xnode_free(h);
			h = NULL;
		}
	xnode_free(p->header);
	p->header = NULL;
	if (h == NULL || (rc = copy_attrs(h, attrs)) != 0) {
		xnode_free(h);
		xparser_fail_attrs(p, h ? rc : -1);
		return;
	}
	p->depth = 1;
	p->mark = event_end(p);
	p->cb->open(p->arg, h);
	xnode_free(h);
}

static void
on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xparser *p = arg;
	char ns[512];
	const char *local;
	struct xnode *n;
	int rc = 0;

	if (p->failed || p->halted)
		return;
	if ((local = split_name(name, ns, sizeof(ns))) == NULL) {
		xparser_fail(p, "policy-violation", "namespace name too long");
		return;
	}
	if (p->depth == 0) {
		on_stream_open(p, ns, local, attrs);
		return;
	}
	if (p->depth == 1)
		p->mark = (uint64_t)XML_GetCurrentByteIndex(p->xp);
	if (xparser_check_size(p, event_end(p)) != 0)
		return;
	if (p->depth > XPARSER_MAX_DEPTH) {
		xparser_fail(p, "policy-violation", "elements nested too deep");
		return;
	}
	n = p->cur ? xnode_add_child(p->cur, ns, local) : xnode_new(ns, local);
	if (n == NULL || (rc = copy_attrs(n, attrs)) != 0) {
		if (p->cur == NULL)
			xnode_free(n);
		xparser_fail_attrs(p, n ? rc : -1);
		return;
	}
	if (p->cur == NULL)
		p->root = n;
	p->cur = n;
	p->depth++;
}

static void
on_end(void *arg, const XML_Char *name)
{
	struct xparser *p = arg;
	struct xnode *done;

	if (p->failed || p->halted)
		return;
	if (p->depth == 1) {
		p->depth = 0;
		p->cb->close(p->arg);
		return;
	}
	if (xparser_check_size(p, event_end(p)) != 0)
		return;
	p->depth--;
	if (p->depth > 1) {
		p->cur = xnode_parent(p->cur);
		return;
	}
	p->cur = NULL;
	done = p->root;
	p->root = NULL;
	p->mark = event_end(p);
	p->cb->element(p->arg, done);
}

static void
on_text(void *arg, const XML_Char *s, int len)
{
	struct xparser *p = arg;

	if (p->failed || p->halted)
		return;
	if (p->depth == 1) {
		for (int i = 0; i < len; i++) {
			if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
			    s[i] != '\n') {
				xparser_fail(p, "bad-format",
				    "text between stanzas");
				return;
			}
		}
		p->mark = event_end(p);
		return;
	}
	if (p->cur == NULL || xparser_check_size(p, event_end(p)) != 0)
		return;
	if (xnode_add_text(p->cur, s, (size_t)len) != 0)
		xparser_fail(p, "internal-server-error", "out of memory");
}

static void
on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	xparser_fail(arg, "restricted-xml", "DOCTYPE is not allowed");
}

static void
on_comment(void *arg, const XML_Char *data)
{
	xparser_fail(arg, "restricted-xml", "comments are not allowed");
}

static void
on_pi(void *arg, const XML_Char *target, const XML_Char *data)
{
	xparser_fail(arg, "restricted-xml", "processing instructions are not allowed");
}

static void
on_entity_decl(void *arg, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	xparser_fail(arg, "restricted-xml", "entity declarations are not allowed");
}

struct xparser *
xparser_new(const struct xparser_cb *cb, void *arg, size_t max_stanza)
{
	struct xparser *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	/* XMPP is UTF-8 only: a declared encoding is overridden. */
	p->xp = XML_ParserCreateNS("UTF-8", NS_SEP);
	if (p->xp == NULL) {
		free(p);
		return NULL;
	}
	p->cb = cb;
	p->arg = arg;
	p->max_stanza = max_stanza;
	XML_SetUserData(p->xp, p);
	XML_SetElementHandler(p->xp, on_start, on_end);
	XML_SetCharacterDataHandler(p->xp, on_text);
	XML_SetStartNamespaceDeclHandler(p->xp, on_ns_decl);
	XML_SetStartDoctypeDeclHandler(p->xp, on_doctype);
	XML_SetCommentHandler(p->xp, on_comment);
	XML_SetProcessingInstructionHandler(p->xp, on_pi);
	XML_SetEntityDeclHandler(p->xp, on_entity_decl);
#ifdef HAVE_XML_SETREPARSEDEFERRALENABLED
	/* With deferral on, a large token fed in small reads stalls. */
	XML_SetReparseDeferralEnabled(p->xp, XML_FALSE);
#endif
	return p;
}

static const char *
expat_condition(enum XML_Error e)
{
	switch (e) {
	case XML_ERROR_UNBOUND_PREFIX:
		return "bad-namespace-prefix";
	case XML_ERROR_NO_MEMORY:
		return "internal-server-error";
	case XML_ERROR_UNKNOWN_ENCODING:
	case XML_ERROR_INCORRECT_ENCODING:
		return "unsupported-encoding";
	default:
		return "not-well-formed";
	}
}

int
xparser_feed(struct xparser *p, const char *data, size_t len)
{
	if (p->failed)
		return -1;
	if (p->halted)
		return 0;
	while (len > 0) {
		int chunk = len > (1 << 20) ? (1 << 20) : (int)len;

		if (XML_Parse(p->xp, data, chunk, XML_FALSE) == XML_STATUS_ERROR) {
			if (p->failed)
				return -1;
			if (p->halted)
				return 0;
			xparser_fail(p, expat_condition(XML_GetErrorCode(p->xp)),
			    XML_ErrorString(XML_GetErrorCode(p->xp)));
			return -1;
		}
		if (p->halted)
			return 0;
		p->fed += (uint64_t)chunk;
		data += chunk;
		len -= (size_t)chunk;
		/*
		 * What Expat holds back unparsed still counts toward the limit,
		 * the stream header too (before it, mark is 0).
		 */
		if (xparser_check_size(p, p->fed) != 0)
			return -1;
	}
	return p->failed ? -1 : 0;
}

void
xparser_halt(struct xparser *p)
{
	if (p->halted || p->failed)
		return;
	p->halted = 1;
	XML_StopParser(p->xp, XML_FALSE);
}

void
xparser_free(struct xparser *p)
{
	if (p == NULL)
		return;
	xnode_free(p->header);
	xnode_free(p->root);
	XML_ParserFree(p->xp);
	free(p);
}
