/*
 * body: small XML documents parsed with Expat into a read-only tree.
 * See body.h for the limits and what is refused.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "xlate/body.h"
#include "xlate/xlate.h"

struct xl_xml_node {
	char			*ns;		/* "" = none */
	char			*name;
	char			**attrs;	/* name, value, ..., NULL */
	char			*text;
	size_t			 text_len, text_cap;
	struct xl_xml_node	*parent, *first, *last, *next;
};

struct xl_xml {
	struct xl_xml_node	**nodes;	/* every node, for the free */
	size_t			 nnodes, cap;
	struct xl_xml_node	*root, *cur;
	int			 depth;
	int			 rc;		/* first error seen */
	XML_Parser		 parser;
};

/* Record the first error and stop Expat; later callbacks are ignored. */
static void
doc_fail(struct xl_xml *d, int rc)
{
	if (d->rc == XL_OK) {
		d->rc = rc;
		XML_StopParser(d->parser, XML_FALSE);
	}
}

/* Split Expat's "NS local" into a namespace and a local name. */
static int
node_set_name(struct xl_xml_node *n, const char *qname)
{
	const char *sp = strchr(qname, ' ');

	if (sp) {
		n->ns = strndup(qname, (size_t)(sp - qname));
		n->name = strdup(sp + 1);
	} else {
		n->ns = strdup("");
		n->name = strdup(qname);
	}
	return n->ns && n->name ? XL_OK : XL_E_NOMEM;
}

static int
node_set_attrs(struct xl_xml_node *n, const XML_Char **atts)
{
	size_t count = 0;

	while (atts[count])
		count++;
	n->attrs = calloc(count + 1, sizeof(char *));
	if (n->attrs == NULL)
		return XL_E_NOMEM;
	for (size_t i = 0; i < count; i++)
		if ((n->attrs[i] = strdup(atts[i])) == NULL)
			return XL_E_NOMEM;
	return XL_OK;
}

static struct xl_xml_node *
doc_new_node(struct xl_xml *d)
{
	struct xl_xml_node *n;

	if (d->nnodes >= XL_XML_MAX_NODES) {
		doc_fail(d, XL_E_TOOLONG);
		return NULL;
	}
	if (d->nnodes == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		void *v = realloc(d->nodes, cap * sizeof(*d->nodes));

		if (v == NULL) {
			doc_fail(d, XL_E_NOMEM);
			return NULL;
		}
		d->nodes = v;
		d->cap = cap;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		doc_fail(d, XL_E_NOMEM);
		return NULL;
	}
	d->nodes[d->nnodes++] = n;
	return n;
}

static void XMLCALL
on_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct xl_xml *d = arg;
	struct xl_xml_node *n;
	int rc;

	if (d->rc != XL_OK)
		return;
	if (++d->depth > XL_XML_MAX_DEPTH) {
		doc_fail(d, XL_E_DEPTH);
		return;
	}
	if ((n = doc_new_node(d)) == NULL)
		return;
	if ((rc = node_set_name(n, name)) != XL_OK ||
	    (rc = node_set_attrs(n, atts)) != XL_OK) {
		doc_fail(d, rc);
		return;
	}
	n->parent = d->cur;
	if (d->cur == NULL)
		d->root = n;
	else if (d->cur->last)
		d->cur->last = d->cur->last->next = n;
	else
		d->cur->first = d->cur->last = n;
	d->cur = n;
}

static void XMLCALL
on_end(void *arg, const XML_Char *name)
{
	struct xl_xml *d = arg;

	if (d->rc != XL_OK)
		return;
	d->depth--;
	d->cur = d->cur->parent;
}

/* Character data arrives in pieces: append to the open element's text. */
static void XMLCALL
on_text(void *arg, const XML_Char *s, int len)
{
	struct xl_xml *d = arg;
	struct xl_xml_node *n = d->cur;

	if (d->rc != XL_OK || n == NULL || len <= 0)
		return;
	if (n->text_len + (size_t)len + 1 > n->text_cap) {
		size_t cap = 2 * (n->text_len + (size_t)len + 1);
		char *t = realloc(n->text, cap);

		if (t == NULL) {
			doc_fail(d, XL_E_NOMEM);
			return;
		}
		n->text = t;
		n->text_cap = cap;
	}
	memcpy(n->text + n->text_len, s, (size_t)len);
	n->text_len += (size_t)len;
	n->text[n->text_len] = '\0';
}

/* No DOCTYPE: it is where entity tricks live, and no body needs one. */
static void XMLCALL
on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	doc_fail(arg, XL_E_XML);
}

static void XMLCALL
on_pi(void *arg, const XML_Char *target, const XML_Char *data)
{
	doc_fail(arg, XL_E_XML);
}

static XML_Parser
parser_new(struct xl_xml *d)
{
	XML_Parser p = XML_ParserCreateNS(NULL, ' ');

	if (p == NULL)
		return NULL;
	XML_SetUserData(p, d);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	XML_SetProcessingInstructionHandler(p, on_pi);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
#ifdef HAVE_XML_SETREPARSEDEFERRALENABLED
	XML_SetReparseDeferralEnabled(p, XML_FALSE);
#endif
	return p;
}

int
xl_xml_parse(const char *buf, size_t len, struct xl_xml **out)
{
	struct xl_xml *d;
	int rc;

	*out = NULL;
	if (len > XL_XML_MAX_BYTES)
		return XL_E_TOOLONG;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return XL_E_NOMEM;
	if ((d->parser = parser_new(d)) == NULL) {
		free(d);
		return XL_E_NOMEM;
	}
	if (XML_Parse(d->parser, buf, (int)len, XML_TRUE) == XML_STATUS_ERROR &&
	    d->rc == XL_OK)
		d->rc = XML_GetErrorCode(d->parser) == XML_ERROR_NO_MEMORY ?
		    XL_E_NOMEM : XL_E_XML;
	if (d->rc == XL_OK && d->root == NULL)
		d->rc = XL_E_XML;
	XML_ParserFree(d->parser);
	d->parser = NULL;
	if ((rc = d->rc) != XL_OK) {
		xl_xml_free(d);
		return rc;
	}
	*out = d;
	return XL_OK;
}

void
xl_xml_free(struct xl_xml *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nnodes; i++) {
		struct xl_xml_node *n = d->nodes[i];

		for (size_t j = 0; n->attrs && n->attrs[j]; j++)
			free(n->attrs[j]);
		free(n->attrs);
		free(n->ns);
		free(n->name);
		free(n->text);
		free(n);
	}
	free(d->nodes);
	free(d);
}

const struct xl_xml_node *
xl_xml_root(const struct xl_xml *d)
{
	return d->root;
}

const char *
xl_xml_ns(const struct xl_xml_node *n)
{
	return n->ns;
}

const char *
xl_xml_name(const struct xl_xml_node *n)
{
	return n->name;
}

int
xl_xml_is(const struct xl_xml_node *n, const char *ns, const char *name)
{
	return n != NULL && strcmp(n->name, name) == 0 &&
	    (ns == NULL || strcmp(n->ns, ns) == 0);
}

const struct xl_xml_node *
xl_xml_first(const struct xl_xml_node *n)
{
	return n->first;
}

const struct xl_xml_node *
xl_xml_next(const struct xl_xml_node *n)
{
	return n->next;
}

const struct xl_xml_node *
xl_xml_child(const struct xl_xml_node *n, const char *ns, const char *name)
{
	for (const struct xl_xml_node *c = n->first; c; c = c->next)
		if (xl_xml_is(c, ns, name))
			return c;
	return NULL;
}

const char *
xl_xml_text(const struct xl_xml_node *n, size_t *len)
{
	if (len)
		*len = n->text_len;
	return n->text ? n->text : "";
}

const char *
xl_xml_text_trim(const struct xl_xml_node *n, size_t *len)
{
	size_t l = n->text_len;
	const char *t = xl_xml_text(n, NULL);

	while (l > 0 && strchr(" \t\r\n", *t))
		t++, l--;
	while (l > 0 && strchr(" \t\r\n", t[l - 1]))
		l--;
	*len = l;
	return t;
}

int
xl_xml_text_is(const struct xl_xml_node *n, const char *word)
{
	size_t l;
	const char *t = xl_xml_text_trim(n, &l);

	return l == strlen(word) && strncasecmp(t, word, l) == 0;
}

const char *
xl_xml_attr(const struct xl_xml_node *n, const char *name)
{
	for (size_t i = 0; n->attrs[i]; i += 2)
		if (strcmp(n->attrs[i], name) == 0)
			return n->attrs[i + 1];
	return NULL;
}
