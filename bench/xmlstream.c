/*
 * xmlstream: see xmlstream.h.
 */
#include "config.h"
#include "bench/xmlstream.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xs_parser {
	XML_Parser		 xp;
	struct xs_handlers	 h;
	void			*arg;
	int			 depth;
	int			 failed, halted;
	size_t			 fed;		/* bytes given to this xp */
	int			 restart;	/* stop after the current element */
	size_t			 restart_at;	/* its end, as a byte index */
	size_t			 last_start_end;
	int			 text_depth;	/* depth whose text is captured */
	int			 in_error, in_mech;
	char			 mech[16];
	size_t			 mechlen;
	struct xs_stanza	 st;
	char			 err[160];
};

/* "uri local" (Expat's namespace triplet with ' ' separator) -> parts */
static void
split_name(const char *qn, const char **local, char *ns, size_t nslen)
{
	const char *sp = strchr(qn, ' ');

	if (sp == NULL) {
		ns[0] = '\0';
		*local = qn;
		return;
	}
	snprintf(ns, nslen, "%.*s", (int)(sp - qn), qn);
	*local = sp + 1;
}

static void
copy_attr(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

static void
fail(struct xs_parser *p, const char *why)
{
	if (!p->failed)
		snprintf(p->err, sizeof(p->err), "%s", why);
	p->failed = 1;
	XML_StopParser(p->xp, XML_FALSE);
}

static void
on_stream_start(struct xs_parser *p, const char *ns, const char *local,
    const char **attrs)
{
	struct xs_header h;

	memset(&h, 0, sizeof(h));
	if (strcmp(ns, XS_NS_STREAM) || strcmp(local, "stream")) {
		fail(p, "first element is not <stream:stream>");
		return;
	}
	for (size_t i = 0; attrs[i]; i += 2) {
		if (!strcmp(attrs[i], "from"))
			copy_attr(h.from, sizeof(h.from), attrs[i + 1]);
		else if (!strcmp(attrs[i], "to"))
			copy_attr(h.to, sizeof(h.to), attrs[i + 1]);
		else if (!strcmp(attrs[i], "id"))
			copy_attr(h.id, sizeof(h.id), attrs[i + 1]);
		else if (!strcmp(attrs[i], "version"))
			copy_attr(h.version, sizeof(h.version), attrs[i + 1]);
	}
	if (p->h.header)
		p->h.header(p->arg, &h);
}

static void
on_stanza_start(struct xs_parser *p, const char *ns, const char *local,
    const char **attrs)
{
	struct xs_stanza *s = &p->st;

	s->ns[0] = s->name[0] = s->from[0] = s->to[0] = '\0';
	s->type[0] = s->id[0] = s->text[0] = s->cond[0] = '\0';
	s->mechanism[0] = '\0';
	s->text_len = 0;
	s->flags = 0;
	snprintf(s->ns, sizeof(s->ns), "%s", ns);
	snprintf(s->name, sizeof(s->name), "%s", local);
	for (size_t i = 0; attrs[i]; i += 2) {
		if (!strcmp(attrs[i], "from"))
			copy_attr(s->from, sizeof(s->from), attrs[i + 1]);
		else if (!strcmp(attrs[i], "to"))
			copy_attr(s->to, sizeof(s->to), attrs[i + 1]);
		else if (!strcmp(attrs[i], "type"))
			copy_attr(s->type, sizeof(s->type), attrs[i + 1]);
		else if (!strcmp(attrs[i], "id"))
			copy_attr(s->id, sizeof(s->id), attrs[i + 1]);
		else if (!strcmp(attrs[i], "mechanism"))
			copy_attr(s->mechanism, sizeof(s->mechanism),
			    attrs[i + 1]);
	}
	p->text_depth = 2;	/* own text (dialback keys, SASL data) */
	p->in_error = p->in_mech = 0;
}

/* A child (depth >= 2) of the current top-level element. */
static void
on_child_start(struct xs_parser *p, const char *ns, const char *local)
{
	struct xs_stanza *s = &p->st;

	if (p->depth == 2) {
		if (!strcmp(local, "body") && !strcmp(ns, XS_NS_SERVER)) {
			s->text_len = 0;
			s->flags &= ~(unsigned)XSF_TEXT_TRUNC;
			p->text_depth = 3;
		} else if (!strcmp(local, "error")) {
			s->flags |= XSF_ERROR;	/* stanza error */
			p->in_error = 1;
		} else if (!strcmp(local, "starttls") && !strcmp(ns, XS_NS_TLS))
			s->flags |= XSF_STARTTLS;
		else if (!strcmp(local, "dialback") && !strcmp(ns, XS_NS_DB_FEAT))
			s->flags |= XSF_DIALBACK;
		else if (s->cond[0] == '\0' && strcmp(local, "text") &&
		    ((!strcmp(s->ns, XS_NS_STREAM) && !strcmp(s->name, "error")) ||
		    (!strcmp(s->ns, XS_NS_SASL) && !strcmp(s->name, "failure"))))
			snprintf(s->cond, sizeof(s->cond), "%s", local);
	} else if (p->depth == 3) {
		if (p->in_error && s->cond[0] == '\0' && strcmp(local, "text"))
			snprintf(s->cond, sizeof(s->cond), "%s", local);
		else if (!strcmp(local, "mechanism") && !strcmp(ns, XS_NS_SASL)) {
			p->in_mech = 1;
			p->mechlen = 0;
		}
	}
}

static void XMLCALL
h_start(void *arg, const char *qn, const char **attrs)
{
	struct xs_parser *p = arg;
	char ns[256];
	const char *local;

	p->last_start_end = (size_t)XML_GetCurrentByteIndex(p->xp) +
	    (size_t)XML_GetCurrentByteCount(p->xp);
	split_name(qn, &local, ns, sizeof(ns));
	if (p->depth >= XS_MAX_DEPTH) {
		fail(p, "elements nested too deep");
		return;
	}
	if (p->depth == 0)
		on_stream_start(p, ns, local, attrs);
	else if (p->depth == 1)
		on_stanza_start(p, ns, local, attrs);
	else
		on_child_start(p, ns, local);
	p->depth++;
}

static void XMLCALL
h_end(void *arg, const char *qn)
{
	struct xs_parser *p = arg;
	XML_Size count;

	p->depth--;
	if (p->depth == 0) {
		if (p->h.close)
			p->h.close(p->arg);
		return;
	}
	if (p->depth == 3 && p->in_mech) {
		if (p->mechlen == 8 && !memcmp(p->mech, "EXTERNAL", 8))
			p->st.flags |= XSF_EXTERNAL;
		p->in_mech = 0;
	}
	if (p->depth == 2 && p->text_depth == 3)
		p->text_depth = 0;	/* keep the <body> text, ignore the rest */
	if (p->depth != 1)
		return;
	p->st.text[p->st.text_len] = '\0';
	if (p->h.stanza)
		p->h.stanza(p->arg, &p->st);
	if (p->restart && !p->failed) {
		count = (XML_Size)XML_GetCurrentByteCount(p->xp);
		/* an empty element's end event has no bytes of its own */
		p->restart_at = count ? (size_t)XML_GetCurrentByteIndex(p->xp) +
		    (size_t)count : p->last_start_end;
		XML_StopParser(p->xp, XML_FALSE);
	}
}

static void XMLCALL
h_text(void *arg, const char *s, int len)
{
	struct xs_parser *p = arg;
	struct xs_stanza *st = &p->st;
	size_t n = (size_t)len;

	if (p->in_mech) {
		if (p->mechlen + n <= sizeof(p->mech)) {
			memcpy(p->mech + p->mechlen, s, n);
			p->mechlen += n;
		} else
			p->mechlen = sizeof(p->mech) + 1;
		return;
	}
	if (p->depth != p->text_depth || p->depth < 2)
		return;		/* whitespace between stanzas, other children */
	if (n > XS_TEXT_MAX - st->text_len) {
		n = XS_TEXT_MAX - st->text_len;
		st->flags |= XSF_TEXT_TRUNC;
	}
	memcpy(st->text + st->text_len, s, n);
	st->text_len += n;
}

static void XMLCALL
h_doctype(void *arg, const char *name, const char *sysid, const char *pubid,
    int has_internal)
{
	fail(arg, "DOCTYPE on a stream");
}

static void XMLCALL
h_comment(void *arg, const char *data)
{
	fail(arg, "comment on a stream");
}

static void XMLCALL
h_pi(void *arg, const char *target, const char *data)
{
	fail(arg, "processing instruction on a stream");
}

static void
xs_setup(struct xs_parser *p)
{
	p->xp = XML_ParserCreateNS(NULL, ' ');
	if (p->xp == NULL)
		return;
	XML_SetUserData(p->xp, p);
	XML_SetElementHandler(p->xp, h_start, h_end);
	XML_SetCharacterDataHandler(p->xp, h_text);
	XML_SetStartDoctypeDeclHandler(p->xp, h_doctype);
	XML_SetCommentHandler(p->xp, h_comment);
	XML_SetProcessingInstructionHandler(p->xp, h_pi);
#ifdef HAVE_XML_SETREPARSEDEFERRALENABLED
	XML_SetReparseDeferralEnabled(p->xp, XML_FALSE);
#endif
	p->depth = 0;
	p->fed = 0;
	p->restart = 0;
	p->text_depth = 0;
}

struct xs_parser *
xs_new(const struct xs_handlers *h, void *arg)
{
	struct xs_parser *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->h = *h;
	p->arg = arg;
	xs_setup(p);
	if (p->xp == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
xs_free(struct xs_parser *p)
{
	if (p == NULL)
		return;
	if (p->xp)
		XML_ParserFree(p->xp);
	free(p);
}

int
xs_feed(struct xs_parser *p, const char *buf, size_t len)
{
	for (;;) {
		size_t base = p->fed, off;

		if (p->failed)
			return -1;
		if (p->halted)
			return 1;
		p->fed += len;
		if (XML_Parse(p->xp, buf, (int)len, XML_FALSE) == XML_STATUS_OK)
			return 0;
		if (p->failed)
			return -1;
		if (p->halted)
			return 1;
		if (!p->restart) {
			snprintf(p->err, sizeof(p->err), "XML error: %s (line %lu)",
			    XML_ErrorString(XML_GetErrorCode(p->xp)),
			    (unsigned long)XML_GetCurrentLineNumber(p->xp));
			p->failed = 1;
			return -1;
		}
		/* a new stream starts right after the element that asked */
		off = p->restart_at > base ? p->restart_at - base : 0;
		if (off > len)
			off = len;
		XML_ParserFree(p->xp);
		xs_setup(p);
		if (p->xp == NULL) {
			snprintf(p->err, sizeof(p->err), "out of memory");
			p->failed = 1;
			return -1;
		}
		buf += off;
		len -= off;
		if (len == 0)
			return 0;
	}
}

const char *
xs_error(const struct xs_parser *p)
{
	return p->err[0] ? p->err : "no error";
}

void
xs_restart_after(struct xs_parser *p)
{
	p->restart = 1;
}

void
xs_halt(struct xs_parser *p)
{
	p->halted = 1;
	XML_StopParser(p->xp, XML_FALSE);
}
