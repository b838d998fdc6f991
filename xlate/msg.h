/*
 * msg: instant message bodies between SIP and XMPP (RFC 7572, RFC 3428,
 * RFC 3862 CPIM, RFC 2046 multipart) and Lync's ms-text-format header.
 *
 * SIP -> XMPP: a Content-Type and body bytes become plain UTF-8 text for
 * <body/>: text/plain in any supported charset (utf-8 — the default —,
 * us-ascii, iso-8859-1, windows-1252, utf-16 with or without BOM,
 * utf-16le, utf-16be); text/html and application/xhtml+xml reduced to
 * their text; message/cpim unwrapped; multipart/alternative takes its
 * text/plain part (else its text/html part). Anything else is XL_E_MEDIA
 * (answer 415), an unknown charset XL_E_CHARSET (415), text XML cannot
 * carry (NUL, C0 controls) XL_E_UTF8 (400).
 *
 * XMPP -> SIP: the body is sent as XL_SIP_TEXT_CTYPE, bytes unchanged.
 */
#ifndef FG_XLATE_MSG_H
#define FG_XLATE_MSG_H

#include <stddef.h>

#include "xlate/xlate.h"

#define XL_SIP_TEXT_CTYPE	"text/plain;charset=UTF-8"
#define XL_BODY_MAX		(256 * 1024)	/* longer bodies: XL_E_TOOLONG */

/* A parsed Content-Type (RFC 2045 §5.1); names lower-cased. */
struct xl_ctype {
	char		 type[64];	/* "text" */
	char		 subtype[64];	/* "plain" */
	char		 charset[40];	/* "" = not given */
	char		 boundary[72];	/* multipart boundary, "" = none */
	const char	*ms_body;	/* Lync ms-body param, into the input */
	size_t		 ms_body_len;
};

int	xl_ctype_parse(const char *s, size_t n, struct xl_ctype *ct);
/* 1 when ct is "type/subtype" (lower case, e.g. "text/plain"). */
int	xl_ctype_is(const struct xl_ctype *ct, const char *type_subtype);

/*
 * What a SIP request body is: text for <body/>, a typing notification
 * (isComposing, Lync KeyboardActivity) or something we do not carry.
 */
enum xl_body_kind {
	XL_BODY_TEXT,
	XL_BODY_ISCOMPOSING,	/* application/im-iscomposing+xml */
	XL_BODY_KEYBOARD,	/* Lync INFO application/xml KeyboardActivity */
	XL_BODY_UNSUPPORTED,
};
enum xl_body_kind xl_body_classify(const char *ctype);

/*
 * Decode a SIP message body into UTF-8 text in out (outlen bytes, NUL
 * added); *outn = its length. ctype NULL or "" with an empty body gives "".
 * outlen = 3 * len + 1 always suffices (a windows-1252 byte can become
 * three UTF-8 bytes); a smaller buffer may give XL_E_TRUNC.
 */
int	xl_body_from_sip(const char *ctype, const char *body, size_t len,
	    char *out, size_t outlen, size_t *outn);

/*
 * Check text for SIP: valid UTF-8 that XML could carry, at most
 * XL_BODY_MAX. Sets *ctype to XL_SIP_TEXT_CTYPE; the body is text as is.
 */
int	xl_body_to_sip(const char *text, size_t len, const char **ctype);

/*
 * Lync's first message in an INVITE: the Ms-Text-Format header value,
 * "text/plain; charset=UTF-8; ms-body=BASE64". encode writes it for text;
 * decode takes the header value and gives the text (any type
 * xl_body_from_sip knows).
 */
int	xl_ms_text_format_encode(const char *text, size_t len, char *buf,
	    size_t buflen);
int	xl_ms_text_format_decode(const char *hdr, char *out, size_t outlen,
	    size_t *outn);

/*
 * What an XMPP <message/> asks of the SIP side (RFC 7572 §5): text
 * (a MESSAGE), only a chat state (isComposing / KeyboardActivity), or
 * nothing an IM can carry (no body, no chat state: answered with
 * feature-not-implemented by xl_msg_check_to_sip).
 */
enum xl_msg_kind {
	XL_MSGK_TEXT,
	XL_MSGK_CHAT_STATE,
	XL_MSGK_EMPTY,
};
enum xl_msg_kind xl_msg_kind(const struct xl_msg *m);

/*
 * Can m go to SIP? 0, or fills err: groupchat -> feature-not-implemented
 * (no MUC over the gateway), no body and no chat state ->
 * feature-not-implemented, a body SIP cannot take -> bad-request.
 */
int	xl_msg_check_to_sip(const struct xl_msg *m, struct xl_err *err);

#endif
