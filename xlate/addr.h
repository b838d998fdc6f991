/*
 * addr: SIP URIs and JIDs to and from the neutral struct xl_addr
 * (RFC 7247 §5, RFC 7622, XEP-0106, IDNA2008 via libidn2).
 *
 * The neutral form is canonical: user is the real, unescaped name with
 * ASCII letters lower-cased (RFC 7622 UsernameCaseMapped maps case, and a
 * SIP user part that differs only in case names the same person at a
 * federation edge); domain is lower case A-labels ("xn--..."); resource is
 * kept as is. Parsing validates and normalises; formatting escapes. What
 * cannot be represented on the other side is an error (XL_E_UNMAPPABLE),
 * never a silently changed address.
 *
 * SIP side: "sip:", "sips:", "im:", "pres:" URIs. The user part is
 * percent-decoded; password, port, URI parameters and headers are ignored
 * except the GRUU parameter "gr", whose value becomes the resource.
 * XMPP side: "local@domain/resource"; the localpart is XEP-0106 escaped.
 */
#ifndef FG_XLATE_ADDR_H
#define FG_XLATE_ADDR_H

#include <stddef.h>

#include "xlate/xlate.h"

#define XL_URI_MAX	4096	/* longer URIs are refused (XL_E_TOOLONG) */

/* Parse a SIP-side URI (C string, no angle brackets). */
int	xl_addr_from_uri(const char *uri, struct xl_addr *out);

/*
 * Write a's SIP URI: "sip:user@domain", with ";gr=resource" when full and a
 * resource is set. scheme: "sip" (NULL), "sips", "im" or "pres".
 */
int	xl_addr_to_uri(const struct xl_addr *a, const char *scheme, int full,
	    char *buf, size_t len);

/* Parse a JID string (bare or full). */
int	xl_addr_from_jid(const char *jid, struct xl_addr *out);

/*
 * Write a's JID: localpart XEP-0106 escaped, domain as U-labels (RFC 7622
 * §3.2), "/resource" when full and set.
 */
int	xl_addr_to_jid(const struct xl_addr *a, int full, char *buf,
	    size_t len);

/*
 * Build an address from parts, validating and normalising each as the
 * parsers do (user unescaped; domain in any form; resource may be NULL).
 */
int	xl_addr_set(struct xl_addr *a, const char *user, const char *domain,
	    const char *resource);

/* Domain in U- or A-label form -> lower-case A-labels, no trailing dot. */
int	xl_domain_normalize(const char *in, char *out, size_t len);
/* A-label domain -> U-label (display / JID) form. */
int	xl_domain_to_unicode(const char *alabel, char *out, size_t len);

/* 1 when a and b name the same bare (full = 0) or full address. */
int	xl_addr_equal(const struct xl_addr *a, const struct xl_addr *b,
	    int full);

/* XEP-0106 on a localpart alone (exposed for tests and the email map). */
int	xl_jid_escape(const char *user, char *buf, size_t len);
int	xl_jid_unescape(const char *local, char *buf, size_t len);

#endif
