/*
 * body: the one place in xlate/ that parses XML (with Expat). SIP bodies
 * (PIDF, isComposing, msrtc categories, KeyboardActivity) are small
 * documents: each is parsed whole into a little read-only tree that the
 * pure modules walk.
 *
 * Hostile input is expected: the size, depth and element count are capped,
 * a DOCTYPE (and with it every entity declaration) or a processing
 * instruction is refused, reparse deferral is off where Expat has it. A
 * refusal is a typed XL_E_* result, never a crash or a partial tree.
 *
 * Names are namespace-expanded as Expat gives them: "NS local" (one space)
 * for a namespaced element or attribute, "local" without a namespace;
 * xml:lang is "http://www.w3.org/XML/1998/namespace lang".
 */
#ifndef FG_XLATE_BODY_H
#define FG_XLATE_BODY_H

#include <stddef.h>

#define XL_XML_MAX_BYTES	(64 * 1024)
#define XL_XML_MAX_DEPTH	32
#define XL_XML_MAX_NODES	4096

#define XL_NS_XML	"http://www.w3.org/XML/1998/namespace"

struct xl_xml;		/* a parsed document (owns every node and string) */
struct xl_xml_node;	/* one element */

/*
 * Parse buf[0..len) (any encoding Expat knows; strings come out UTF-8).
 * XL_OK and *out, or XL_E_TOOLONG (size / element count), XL_E_DEPTH,
 * XL_E_XML (not well-formed, DOCTYPE, PI), XL_E_NOMEM.
 */
int	xl_xml_parse(const char *buf, size_t len, struct xl_xml **out);
void	xl_xml_free(struct xl_xml *doc);

const struct xl_xml_node *xl_xml_root(const struct xl_xml *doc);

/* The element's namespace ("" when none) and local name. */
const char *xl_xml_ns(const struct xl_xml_node *n);
const char *xl_xml_name(const struct xl_xml_node *n);
/* 1 when n is {ns}name; ns NULL matches any namespace. */
int	xl_xml_is(const struct xl_xml_node *n, const char *ns,
	    const char *name);

/* Children in document order; NULL at the end. */
const struct xl_xml_node *xl_xml_first(const struct xl_xml_node *n);
const struct xl_xml_node *xl_xml_next(const struct xl_xml_node *n);
/* First child {ns}name (ns NULL = any namespace), or NULL. */
const struct xl_xml_node *xl_xml_child(const struct xl_xml_node *n,
	    const char *ns, const char *name);

/* The element's own character data (not its children's); "" when none. */
const char *xl_xml_text(const struct xl_xml_node *n, size_t *len);
/* The same without leading and trailing XML whitespace (not NUL-ended). */
const char *xl_xml_text_trim(const struct xl_xml_node *n, size_t *len);
/* 1 when the trimmed text equals word, ignoring ASCII case. */
int	xl_xml_text_is(const struct xl_xml_node *n, const char *word);
/* Attribute by expanded name ("type", XL_NS_XML " lang"), or NULL. */
const char *xl_xml_attr(const struct xl_xml_node *n, const char *name);

#endif
