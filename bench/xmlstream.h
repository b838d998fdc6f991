/*
 * xmlstream: an XMPP stream parser for the load tool (Expat, namespace
 * aware). It does not build trees: each top-level element (a stanza,
 * <stream:features/>, a dialback or SASL element) is summarised in one
 * fixed-size struct xs_stanza and handed to the caller when it ends:
 * qualified name, the from/to/type/id attributes, its text or its <body>
 * text, the first child of an <error/>, and flags for the stream features
 * the tool cares about.
 *
 * Stream restarts (after STARTTLS and SASL, RFC 6120 §5.4.3.3 and §6.4.6):
 * a handler calls xs_restart_after() inside its callback; the parser stops
 * after that element and the next bytes are parsed as a new stream.
 * DOCTYPEs, comments and processing instructions are refused (RFC 6120
 * §11.1), as is nesting deeper than XS_MAX_DEPTH.
 */
#ifndef FGB_XMLSTREAM_H
#define FGB_XMLSTREAM_H

#include <stddef.h>

#define XS_NS_STREAM	"http://etherx.jabber.org/streams"
#define XS_NS_SERVER	"jabber:server"
#define XS_NS_DIALBACK	"jabber:server:dialback"
#define XS_NS_TLS	"urn:ietf:params:xml:ns:xmpp-tls"
#define XS_NS_SASL	"urn:ietf:params:xml:ns:xmpp-sasl"
#define XS_NS_DB_FEAT	"urn:xmpp:features:dialback"

#define XS_MAX_DEPTH	16
#define XS_TEXT_MAX	1024
#define XS_ADDR_MAX	512

enum {
	XSF_STARTTLS = 0x01,	/* features: <starttls/> */
	XSF_EXTERNAL = 0x02,	/* features: SASL mechanism EXTERNAL */
	XSF_DIALBACK = 0x04,	/* features: <dialback/> */
	XSF_ERROR = 0x08,	/* has an <error/> child */
	XSF_TEXT_TRUNC = 0x10,	/* text longer than XS_TEXT_MAX */
};

struct xs_header {
	char	from[XS_ADDR_MAX], to[XS_ADDR_MAX], id[128], version[8];
};

struct xs_stanza {
	char		ns[64];		/* namespace URI of the element */
	char		name[32];	/* local name */
	char		from[XS_ADDR_MAX], to[XS_ADDR_MAX];
	char		type[24], id[128];
	char		mechanism[24];	/* <auth mechanism='...'> */
	char		text[XS_TEXT_MAX + 1];	/* own text, or <body> text */
	size_t		text_len;
	char		cond[48];	/* error condition: first child of <error/> */
	unsigned	flags;
};

struct xs_handlers {
	void	(*header)(void *arg, const struct xs_header *h);
	void	(*stanza)(void *arg, const struct xs_stanza *s);
	void	(*close)(void *arg);	/* </stream:stream> */
};

struct xs_parser;

struct xs_parser *xs_new(const struct xs_handlers *h, void *arg);
void	xs_free(struct xs_parser *p);
/*
 * Feed bytes. Returns 0, or -1 on an XML or stream error (xs_error() says
 * which); after -1 the stream is unusable. Handlers run inside this call.
 */
int	xs_feed(struct xs_parser *p, const char *buf, size_t len);
const char *xs_error(const struct xs_parser *p);
/* From a handler: the element being handled is the last of this stream. */
void	xs_restart_after(struct xs_parser *p);
/* From a handler: stop parsing; xs_feed() returns 1 without more callbacks. */
void	xs_halt(struct xs_parser *p);

#endif
