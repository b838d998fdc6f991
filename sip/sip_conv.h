/*
 * sip_conv: SIP syntax <-> what xlate/ works on. The meaning (addresses,
 * errors, bodies, presence documents, typing, Ms-Text-Format) is xlate's;
 * this file only takes Sofia's parsed pieces apart and puts them back:
 * a URL into the URI text xlate reads, a Content-Type header into its
 * text, the SDP of a Lync IM session.
 *
 * Every function writes into a caller buffer (buf, len) and fails (-1, or
 * xlate's negative XL_E_*) rather than truncating.
 */
#ifndef FG_SIP_SIP_CONV_H
#define FG_SIP_SIP_CONV_H

#include <stddef.h>

#include <sofia-sip/sip.h>
#include <sofia-sip/url.h>

#include "xlate/xlate.h"

/* A SIP URL (From, To, Request-URI) -> xl_addr, through xl_addr_from_uri. */
int	sip_conv_addr_from_url(const url_t *u, struct xl_addr *a);
/* xl_addr -> "sip:user@domain" (xl_addr_to_uri, bare). */
int	sip_conv_addr_to_uri(const struct xl_addr *a, char *buf, size_t len);

/* The Content-Type header as text ("text/plain;charset=UTF-8"); "" when
 * absent. */
int	sip_conv_ctype(const sip_content_type_t *ct, char *buf, size_t len);

/* The SIP status and phrase to answer for err (NULL = 200 OK). */
int	sip_conv_status(const struct xl_err *err, const char **phrase);

/* SDP of a Lync IM session: 1 when the offer has "m=message <port> sip". */
int	sip_conv_sdp_has_message(const char *sdp, size_t len);
/* v=0 ... m=message <port> sip <uri>; uri "null" in an offer. */
int	sip_conv_sdp_make(const char *host, unsigned port, const char *uri,
	    char *buf, size_t len);

#endif
