/*
 * parser: the XMPP stream parser (Expat, namespace-aware, streaming).
 *
 * Bytes go in as they arrive, split anywhere; out come the stream header,
 * one tree per top-level element (stanza, or negotiation element such as
 * <starttls/> or <db:result/>) and the end of the stream. Whatever RFC
 * 6120 §11 forbids is an error with the stream error condition to send:
 * DOCTYPE, entity declarations, comments and processing instructions
 * (restricted-xml), unbound prefixes (bad-namespace-prefix), malformed
 * XML (not-well-formed), text between stanzas (bad-format), a stanza
 * larger than max_stanza bytes or nested deeper than XPARSER_MAX_DEPTH
 * (policy-violation).
 *
 * Callbacks run inside xparser_feed(). A callback may call xparser_halt()
 * (the rest of the input is ignored: stream restart after STARTTLS or
 * SASL, or the stream is closing); it must not free the parser.
 */
#ifndef FG_XMPP_PARSER_H
#define FG_XMPP_PARSER_H

#include <stddef.h>

struct xnode;
struct xparser;

#define XPARSER_MAX_DEPTH	32	/* element nesting inside a stanza */

struct xparser_cb {
	/*
	 * The stream header: an element in XMPP_NS_STREAM named "stream"
	 * (checked by the caller) with its attributes; the namespace
	 * declarations appear as attributes "xmlns" and "xmlns:PREFIX".
	 * Borrowed: valid during the call.
	 */
	void	(*open)(void *arg, const struct xnode *header);
	/* One complete top-level element; the callee takes ownership. */
	void	(*element)(void *arg, struct xnode *el);
	/* </stream:stream> */
	void	(*close)(void *arg);
	/* Once per parser, then nothing more is reported. */
	void	(*error)(void *arg, const char *condition, const char *text);
};

struct xparser	*xparser_new(const struct xparser_cb *cb, void *arg,
		    size_t max_stanza);
/* 0 when the input was consumed (or halted), -1 after an error. */
int		 xparser_feed(struct xparser *p, const char *data, size_t len);
void		 xparser_halt(struct xparser *p);
void		 xparser_free(struct xparser *p);

#endif
