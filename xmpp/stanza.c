/*
 * stanza: element tree and escaping serializer. See stanza.h.
 */
#include "config.h"
#include "xmpp/stanza.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

struct xattr {
	char	*name;
	char	*value;
};

struct xnode {
	struct xnode	*parent, *next, *first, *last;
	char		*ns;		/* element: own namespace or NULL */
	char		*name;		/* element name; NULL for a text node */
	char		*text;		/* text node: its bytes (NUL-terminated) */
	size_t		 text_len;
	struct xattr	*attrs;
	size_t		 nattrs;
};

static struct xnode *
xnode_alloc(const char *ns, const char *name)
{
	struct xnode *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	if ((ns && (n->ns = strdup(ns)) == NULL) ||
	    (name && (n->name = strdup(name)) == NULL)) {
		free(n->ns);
		free(n);
		return NULL;
	}
	return n;
}

static void
xnode_append(struct xnode *parent, struct xnode *c)
{
	c->parent = parent;
	if (parent->last)
		parent->last->next = c;
	else
		parent->first = c;
	parent->last = c;
}

struct xnode *
xnode_new(const char *ns, const char *name)
{
	return xnode_alloc(ns, name);
}

struct xnode *
xnode_add_child(struct xnode *parent, const char *ns, const char *name)
{
	struct xnode *c;

	/* Store the namespace only where it changes. */
	if (ns && !strcmp(ns, xnode_ns(parent)))
		ns = NULL;
	if ((c = xnode_alloc(ns, name)) == NULL)
		return NULL;
	xnode_append(parent, c);
	return c;
}

void
xnode_adopt(struct xnode *parent, struct xnode *child)
{
	/* keep the namespace explicit only where it differs from the new scope */
	if (child->ns && !strcmp(child->ns, xnode_ns(parent))) {
		free(child->ns);
		child->ns = NULL;
	}
	xnode_append(parent, child);
}

int
xnode_add_text(struct xnode *parent, const char *text, size_t len)
{
	struct xnode *t = parent->last;
	char *p;

	if (len == 0)
		return 0;
	if (t == NULL || t->name != NULL) {
		if ((t = xnode_alloc(NULL, NULL)) == NULL)
			return -1;
		xnode_append(parent, t);
	}
	if ((p = realloc(t->text, t->text_len + len + 1)) == NULL)
		return -1;
	memcpy(p + t->text_len, text, len);
	t->text_len += len;
	p[t->text_len] = '\0';
	t->text = p;
	return 0;
}

int
xnode_set_attr(struct xnode *n, const char *name, const char *value)
{
	char *v = strdup(value), *k;
	struct xattr *a;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n->nattrs; i++) {
		if (!strcmp(n->attrs[i].name, name)) {
			free(n->attrs[i].value);
			n->attrs[i].value = v;
			return 0;
		}
	}
	if ((k = strdup(name)) == NULL ||
	    (a = realloc(n->attrs, (n->nattrs + 1) * sizeof(*a))) == NULL) {
		free(k);
		free(v);
		return -1;
	}
	a[n->nattrs].name = k;
	a[n->nattrs].value = v;
	n->attrs = a;
	n->nattrs++;
	return 0;
}

/* Frees n and its subtree (recursion is bounded by the parser's depth limit). */
void
xnode_free(struct xnode *n)
{
	struct xnode *c, *next;

	if (n == NULL)
		return;
	for (c = n->first; c; c = next) {
		next = c->next;
		xnode_free(c);
	}
	for (size_t i = 0; i < n->nattrs; i++) {
		free(n->attrs[i].name);
		free(n->attrs[i].value);
	}
	free(n->attrs);
	free(n->ns);
	free(n->name);
	free(n->text);
	free(n);
}

const char *
xnode_name(const struct xnode *n)
{
	return n->name ? n->name : "";
}

const char *
xnode_ns(const struct xnode *n)
{
	for (; n; n = n->parent)
		if (n->ns)
			return n->ns;
	return "";
}

const char *
xnode_attr(const struct xnode *n, const char *name)
{
	for (size_t i = 0; i < n->nattrs; i++)
		if (!strcmp(n->attrs[i].name, name))
			return n->attrs[i].value;
	return NULL;
}

size_t
xnode_nattrs(const struct xnode *n)
{
	return n->nattrs;
}

int
xnode_attr_at(const struct xnode *n, size_t i, const char **name,
    const char **value)
{
	if (i >= n->nattrs)
		return 0;
	*name = n->attrs[i].name;
	*value = n->attrs[i].value;
	return 1;
}

struct xnode *
xnode_parent(const struct xnode *n)
{
	return n->parent;
}

struct xnode *
xnode_first_elem(const struct xnode *n)
{
	struct xnode *c;

	for (c = n->first; c && c->name == NULL; c = c->next)
		;
	return c;
}

struct xnode *
xnode_next_elem(const struct xnode *n)
{
	struct xnode *c;

	for (c = n->next; c && c->name == NULL; c = c->next)
		;
	return c;
}

struct xnode *
xnode_child(const struct xnode *n, const char *ns, const char *name)
{
	for (struct xnode *c = xnode_first_elem(n); c; c = xnode_next_elem(c))
		if (!strcmp(c->name, name) && (ns == NULL ||
		    !strcmp(xnode_ns(c), ns)))
			return c;
	return NULL;
}

const char *
xnode_text(const struct xnode *n, size_t *len)
{
	for (struct xnode *c = n->first; c; c = c->next) {
		if (c->name == NULL) {
			if (len)
				*len = c->text_len;
			return c->text;
		}
	}
	if (len)
		*len = 0;
	return "";
}

/* ------------------------------------------------------------------ */
/* Escaping.                                                          */

/*
 * Length of the valid UTF-8 sequence at s (at most len bytes) whose code
 * point XML 1.0 allows, or 0 when the bytes there are not one.
 */
static size_t
utf8_xml_char(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80) {
		if (s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r')
			return 1;
		return 0;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, out of range, U+FFFE/U+FFFF */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Write s escaped; in attributes quotes and whitespace controls too. */
static int
xml_write_escaped(struct evbuffer *out, const char *str, size_t len, int attr)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	while (i < len) {
		const char *rep = NULL;
		size_t n = utf8_xml_char(s + i, len - i);

		if (n == 1) {
			switch (s[i]) {
			case '&': rep = "&amp;"; break;
			case '<': rep = "&lt;"; break;
			case '>': rep = "&gt;"; break;
			case '\'': rep = attr ? "&apos;" : NULL; break;
			case '"': rep = attr ? "&quot;" : NULL; break;
			case '\t': rep = attr ? "&#9;" : NULL; break;
			case '\n': rep = attr ? "&#10;" : NULL; break;
			case '\r': rep = "&#13;"; break;
			}
		} else if (n == 0) {
			rep = "\xef\xbf\xbd";	/* U+FFFD */
			n = 1;
		}
		if (rep == NULL) {
			i += n;
			run += n;
			continue;
		}
		if (run && evbuffer_add(out, s + i - run, run) != 0)
			return -1;
		run = 0;
		if (evbuffer_add(out, rep, strlen(rep)) != 0)
			return -1;
		i += n;
	}
	if (run && evbuffer_add(out, s + i - run, run) != 0)
		return -1;
	return 0;
}

int
xml_write_text(struct evbuffer *out, const char *s, size_t len)
{
	return xml_write_escaped(out, s, len, 0);
}

int
xml_write_attr(struct evbuffer *out, const char *s, size_t len)
{
	return xml_write_escaped(out, s, len, 1);
}

int
xml_vwritef(struct evbuffer *out, const char *fmt, va_list ap)
{
	const char *p = fmt, *q;
	int rc = 0;

	while (rc == 0 && *p) {
		q = strchr(p, '%');
		if (q == NULL)
			return evbuffer_add(out, p, strlen(p));
		if (q > p)
			rc = evbuffer_add(out, p, (size_t)(q - p));
		if (rc == 0 && q[1] == 's') {
			const char *s = va_arg(ap, const char *);
			rc = xml_write_attr(out, s ? s : "", s ? strlen(s) : 0);
		} else if (rc == 0 && q[1] == '%')
			rc = evbuffer_add(out, "%", 1);
		else if (rc == 0)
			return -1;	/* unknown conversion: a bug */
		p = q + 2;
	}
	return rc;
}

int
xml_writef(struct evbuffer *out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = xml_vwritef(out, fmt, ap);
	va_end(ap);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Serializer.                                                        */

static int
xnode_write_attrs(const struct xnode *n, struct evbuffer *out)
{
	for (size_t i = 0; i < n->nattrs; i++) {
		const char *name = n->attrs[i].name;

		/* Only plain names and xml:* are written; others were foreign. */
		if (strchr(name, ' ') || (strchr(name, ':') &&
		    strncmp(name, "xml:", 4)))
			continue;
		if (evbuffer_add_printf(out, " %s='", name) < 0 ||
		    xml_write_attr(out, n->attrs[i].value,
		    strlen(n->attrs[i].value)) != 0 ||
		    evbuffer_add(out, "'", 1) != 0)
			return -1;
	}
	return 0;
}

int
xnode_write(const struct xnode *n, const char *scope_ns, struct evbuffer *out)
{
	const char *ns;

	if (n->name == NULL)
		return xml_write_text(out, n->text, n->text_len);
	ns = xnode_ns(n);
	if (evbuffer_add_printf(out, "<%s", n->name) < 0)
		return -1;
	if (strcmp(ns, scope_ns ? scope_ns : "") != 0) {
		if (evbuffer_add(out, " xmlns='", 8) != 0 ||
		    xml_write_attr(out, ns, strlen(ns)) != 0 ||
		    evbuffer_add(out, "'", 1) != 0)
			return -1;
	}
	if (xnode_write_attrs(n, out) != 0)
		return -1;
	if (n->first == NULL)
		return evbuffer_add(out, "/>", 2);
	if (evbuffer_add(out, ">", 1) != 0)
		return -1;
	for (const struct xnode *c = n->first; c; c = c->next)
		if (xnode_write(c, ns, out) != 0)
			return -1;
	return evbuffer_add_printf(out, "</%s>", n->name) < 0 ? -1 : 0;
}
