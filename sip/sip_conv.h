/*
 * sip_conv: SIP text <-> xlate neutral types. Pure functions on strings
 * (no Sofia, no sockets) so that they are unit-tested on their own.
 *
 * These are the SIP-side stand-ins for what xlate/ will provide (address
 * mapping, the RFC 7247 error table, isComposing, PIDF, Lync's
 * KeyboardActivity and Ms-Text-Format): when the xlate functions land on
 * main, the callers switch to them and this file shrinks to the parts that
 * are about SIP syntax only.
 *
 * Every function writes into a caller buffer (buf, len) and fails (-1)
 * rather than truncating.
 */
#ifndef FG_SIP_SIP_CONV_H
#define FG_SIP_SIP_CONV_H

#include <stddef.h>

#include "xlate/xlate.h"

/* ---- addresses ---------------------------------------------------- */

/* user@host of a SIP URI (user still %-escaped) -> xl_addr. -1 when the
 * user is missing, too long, or badly escaped, or host is not a domain. */
int	sip_conv_addr_from_uri(const char *user, const char *host,
	    struct xl_addr *a);
/* xl_addr -> "sip:user@domain" with the user %-escaped (RFC 3261 §25.1). */
int	sip_conv_addr_to_uri(const struct xl_addr *a, char *buf, size_t len);

/* ---- errors ------------------------------------------------------- */

/* The SIP status for err (err->sip_code when set), and its phrase. */
int	sip_conv_status_from_err(const struct xl_err *err, const char **phrase);
/* A SIP failure status -> the stanza error it maps to (RFC 7247 §8). */
void	sip_conv_err_from_status(int status, const char *phrase,
	    struct xl_err *err);
/* Readable name of an error condition, for logs. */
const char *sip_conv_err_name(enum xl_err_cond cond);

/* ---- message bodies ----------------------------------------------- */

enum sip_body {
	SIP_BODY_TEXT,		/* text/plain (UTF-8 or ASCII) */
	SIP_BODY_HTML,		/* text/html: tags dropped, entities kept */
	SIP_BODY_ISCOMPOSING,	/* application/im-iscomposing+xml */
	SIP_BODY_UNSUPPORTED,
};

/* Classify a Content-Type ("type/subtype" and its charset, NULL = none). */
enum sip_body sip_conv_body_kind(const char *type, const char *charset);
int	sip_conv_utf8_valid(const char *s, size_t len);
/* text/html -> plain text (tags dropped, <br> and </p> as newlines, the
 * five XML entities decoded). */
int	sip_conv_html_to_text(const char *html, size_t len, char *buf,
	    size_t buflen, size_t *outlen);

/* RFC 3994 isComposing <-> chat state (active -> composing, idle ->
 * paused). -1 when the document is not an isComposing. */
int	sip_conv_iscomposing_parse(const char *body, size_t len,
	    enum xl_chat_state *cs);
int	sip_conv_iscomposing_make(enum xl_chat_state cs, char *buf, size_t len);

/* Lync INFO <KeyboardActivity><status status="type|idle"/> */
int	sip_conv_keyboard_parse(const char *body, size_t len,
	    enum xl_chat_state *cs);
int	sip_conv_keyboard_make(enum xl_chat_state cs, char *buf, size_t len);

/*
 * Lync's Ms-Text-Format header: "text/plain; charset=UTF-8; msgr=...;
 * ms-body=BASE64". Parse: the content type into type, the decoded body
 * into body (*bodylen its length). -1 when malformed; 0 with *bodylen 0
 * when there is no ms-body (the INVITE carries no first message).
 */
int	sip_conv_ms_text_format_parse(const char *value, char *type,
	    size_t typelen, char *body, size_t bodylen, size_t *outlen);
int	sip_conv_ms_text_format_make(const char *text, size_t len, char *buf,
	    size_t buflen);

/* ---- presence ------------------------------------------------------ */

/*
 * PIDF (RFC 3863) + RPID (RFC 4480) -> xl_pres show/status. status is
 * written into statusbuf (p->status points there, or NULL). -1 when the
 * document is not a PIDF presence document.
 */
int	sip_conv_pidf_parse(const char *body, size_t len, struct xl_pres *p,
	    char *statusbuf, size_t statuslen);
/* xl_pres -> PIDF for entity (a SIP URI). */
int	sip_conv_pidf_make(const struct xl_pres *p, const char *entity,
	    char *buf, size_t len);
/* Lync application/msrtc-event-categories+xml: the aggregate
 * availability and note. -1 when not such a document. */
int	sip_conv_categories_parse(const char *body, size_t len,
	    struct xl_pres *p, char *statusbuf, size_t statuslen);
int	sip_conv_categories_make(const struct xl_pres *p, const char *entity,
	    char *buf, size_t len);

/* ---- SDP for Lync IM --------------------------------------------- */

/* 1 when the offer has an "m=message <port> sip ..." line. */
int	sip_conv_sdp_has_message(const char *sdp, size_t len);
/* v=0 ... m=message <port> sip <uri>; uri "null" in an offer. */
int	sip_conv_sdp_make(const char *host, unsigned port, const char *uri,
	    char *buf, size_t len);

/* ---- small helpers ------------------------------------------------ */

/* Escape text for XML character data and attribute values. */
int	sip_conv_xml_escape(const char *s, size_t n, char *buf, size_t len);
int	sip_conv_base64_encode(const unsigned char *in, size_t n, char *buf,
	    size_t len);
/* -1 on a character outside the alphabet or a bad length. */
int	sip_conv_base64_decode(const char *in, size_t n, unsigned char *buf,
	    size_t len, size_t *outlen);

#endif
