/*
 * stanza: a small XML element tree for XMPP stanzas, and the serializer
 * that writes it (and any text or attribute value) escaped.
 *
 * A tree is built either by the stream parser (xmpp/parser.h) or by code
 * that sends a stanza. Every node is owned by its parent; xnode_free() on
 * the root frees the whole tree. Strings passed in are copied.
 *
 * Namespaces: each element knows its namespace URI (NULL = the parent's).
 * The serializer writes an xmlns attribute only where an element's
 * namespace differs from the one in scope, so a <message/> in
 * jabber:server written on a jabber:server stream carries none.
 *
 * Output is always well-formed XML 1.0: text and attribute values are
 * escaped, invalid UTF-8 and characters XML 1.0 forbids (controls other
 * than tab, LF, CR; U+FFFE/U+FFFF; surrogates) become U+FFFD. A peer that
 * received one bad byte from us would otherwise close the whole stream.
 */
#ifndef FG_XMPP_STANZA_H
#define FG_XMPP_STANZA_H

#include <stdarg.h>
#include <stddef.h>

struct evbuffer;
struct xnode;

/* Namespaces used across xmpp/. */
#define XMPP_NS_SERVER		"jabber:server"
#define XMPP_NS_CLIENT		"jabber:client"
#define XMPP_NS_STREAM		"http://etherx.jabber.org/streams"
#define XMPP_NS_DIALBACK	"jabber:server:dialback"
#define XMPP_NS_DB_FEATURE	"urn:xmpp:features:dialback"
#define XMPP_NS_TLS		"urn:ietf:params:xml:ns:xmpp-tls"
#define XMPP_NS_SASL		"urn:ietf:params:xml:ns:xmpp-sasl"
#define XMPP_NS_STREAMS_ERR	"urn:ietf:params:xml:ns:xmpp-streams"
#define XMPP_NS_STANZAS		"urn:ietf:params:xml:ns:xmpp-stanzas"
#define XMPP_NS_BIDI		"urn:xmpp:bidi"
#define XMPP_NS_BIDI_FEATURE	"urn:xmpp:features:bidi"
#define XMPP_NS_PING		"urn:xmpp:ping"
#define XMPP_NS_XML		"http://www.w3.org/XML/1998/namespace"

/* Build. All return NULL only when out of memory. */
struct xnode	*xnode_new(const char *ns, const char *name);
struct xnode	*xnode_add_child(struct xnode *parent, const char *ns,
		    const char *name);
/* Append character data; adjacent text is merged into one node. */
int		 xnode_add_text(struct xnode *parent, const char *text,
		    size_t len);
/* Set (or replace) an attribute; name "xml:lang" is the xml: one. */
int		 xnode_set_attr(struct xnode *n, const char *name,
		    const char *value);
/* Attach the root tree child as parent's last child (takes ownership). */
void		 xnode_adopt(struct xnode *parent, struct xnode *child);
void		 xnode_free(struct xnode *n);

/* Read. */
const char	*xnode_name(const struct xnode *n);
const char	*xnode_ns(const struct xnode *n);	/* effective namespace */
const char	*xnode_attr(const struct xnode *n, const char *name);
/* First element child with that name (and namespace, NULL = any). */
struct xnode	*xnode_child(const struct xnode *n, const char *ns,
		    const char *name);
/* Element children in order: first, then next sibling element. */
struct xnode	*xnode_first_elem(const struct xnode *n);
struct xnode	*xnode_next_elem(const struct xnode *n);
/* The character data directly inside n ("" when none), and its length. */
const char	*xnode_text(const struct xnode *n, size_t *len);
size_t		 xnode_nattrs(const struct xnode *n);
/* The i-th attribute: 1 and its name and value, or 0 past the end. */
int		 xnode_attr_at(const struct xnode *n, size_t i,
		    const char **name, const char **value);
struct xnode	*xnode_parent(const struct xnode *n);

/*
 * Serialize n and its subtree; scope_ns is the default namespace in force
 * where it is written (e.g. jabber:server on an s2s stream). Returns 0, or
 * -1 when the buffer could not grow.
 */
int		 xnode_write(const struct xnode *n, const char *scope_ns,
		    struct evbuffer *out);

/* Escaped, sanitized text / attribute value (without quotes). */
int		 xml_write_text(struct evbuffer *out, const char *s, size_t len);
int		 xml_write_attr(struct evbuffer *out, const char *s, size_t len);
/* printf-like helper where every %s argument is written escaped as an
 * attribute value: only %s and %% are understood. */
int		 xml_writef(struct evbuffer *out, const char *fmt, ...);
int		 xml_vwritef(struct evbuffer *out, const char *fmt, va_list ap);

#endif
