/*
 * stanza_conv: stanza trees <-> the neutral xlate/ types. JIDs, domain
 * names, error condition and type names, show values and chat states are
 * xlate/'s (addr.h, err.h, pres.h, typing.h): one definition for both sides.
 *
 * Inbound conversions fill the neutral struct with pointers BORROWED from
 * the tree (and from scratch, for the XHTML body): valid until either is
 * freed. Outbound ones write a complete stanza (jabber:server scope).
 */
#ifndef FG_XMPP_STANZA_CONV_H
#define FG_XMPP_STANZA_CONV_H

#include <stddef.h>

#include "xlate/xlate.h"

struct evbuffer;
struct xnode;

#define CONV_JID_MAX	(XL_LOCAL_MAX + XL_DOMAIN_MAX + XL_RES_MAX + 2)

/* JID -> neutral address (xl_addr_from_jid: RFC 7622, XEP-0106, IDNA). 0 or -1. */
int	conv_jid_parse(const char *jid, struct xl_addr *out);
/* Just the domain part, normalised (lower-case A-labels); 0 or -1. */
int	conv_jid_domain(const char *jid, char *out, size_t len);
int	conv_jid_format(const struct xl_addr *a, char *buf, size_t len);
/* A domain from the wire (stream header, dialback) in the same form. */
int	conv_domain_normalize(const char *in, char *out, size_t len);

int	conv_to_msg(const struct xnode *st, struct xl_msg *m,
	    struct evbuffer *scratch);
int	conv_to_pres(const struct xnode *st, struct xl_pres *p);
int	conv_to_sub(const struct xnode *st, struct xl_sub *s);
/* The <error/> child of a type='error' stanza. */
void	conv_to_err(const struct xnode *st, struct xl_err *e);

int	conv_write_msg(const struct xl_msg *m, struct evbuffer *out);
int	conv_write_pres(const struct xl_pres *p, struct evbuffer *out);
int	conv_write_sub(const struct xl_sub *s, struct evbuffer *out);
/* <NAME from to id type='error'><error .../></NAME>; NAME: message,
   presence or iq. */
int	conv_write_error(const char *name, const char *from, const char *to,
	    const char *id, const struct xl_err *e, struct evbuffer *out);

const char *conv_err_cond_name(enum xl_err_cond c);
enum xl_err_cond conv_err_cond_parse(const char *name);
const char *conv_err_type_name(enum xl_err_type t);
enum xl_err_type conv_err_default_type(enum xl_err_cond c);

#endif
