/*
 * xlate: the neutral types that sip/ and xmpp/ exchange, and the pure
 * translation functions between SIP and XMPP meanings (RFC 7247, 7572,
 * 7573, 8048, 3863/4480, 3994 / XEP-0085, XEP-0106).
 *
 * sip/ converts Sofia messages to and from these types; xmpp/ converts
 * stanzas to and from them; the gateway wiring moves them across. Nothing
 * here knows a socket, Sofia or Expat (the XML body helper, xlate/body.h,
 * is the one place that uses Expat).
 *
 * The functions live in one header per area (link $(XLATE_LIBS)):
 *   xlate/addr.h    SIP URI / JID <-> xl_addr
 *   xlate/err.h     SIP status <-> xl_err, condition and type names
 *   xlate/msg.h     SIP bodies <-> text, ms-text-format, message checks
 *   xlate/pres.h    PIDF, msrtc, Lync availability, show names, aggregation
 *   xlate/sub.h     the subscription state machine
 *   xlate/typing.h  isComposing, KeyboardActivity, chat state names
 *   xlate/conv.h    Lync conversations, page mode or conversation
 *   xlate/email.h   email address for federation, domain aliases
 * docs/translation.md is the admin's view of all of it.
 *
 * Ownership (applies to every type below):
 *  - struct xl_addr holds its strings in fixed buffers: copy it by value.
 *  - const char * fields of xl_msg / xl_pres / xl_sub / xl_err are
 *    BORROWED: they point into the caller's memory and are valid only
 *    during the call that receives the struct. A receiver that keeps a
 *    message past the call makes an owned copy with xl_msg_dup() and frees
 *    it with xl_msg_free() (same for xl_pres).
 *  - Strings are UTF-8, NUL-terminated; *_len fields, where present, give
 *    the length without the NUL (bodies may be long).
 */
#ifndef FG_XLATE_XLATE_H
#define FG_XLATE_XLATE_H

#include <stddef.h>
#include <stdint.h>

/* RFC 7622: each JID part is at most 1023 bytes; domains are DNS names. */
#define XL_LOCAL_MAX	1024
#define XL_DOMAIN_MAX	256
#define XL_RES_MAX	1024

/* A user address, neutral: SIP "sip:user@domain;gr=res" or JID user@domain/res. */
struct xl_addr {
	char	user[XL_LOCAL_MAX];	/* unescaped localpart; "" = domain only */
	char	domain[XL_DOMAIN_MAX];	/* lower case, A-label form */
	char	resource[XL_RES_MAX];	/* "" = bare address */
};

enum xl_msg_type {
	XL_MSG_NORMAL,
	XL_MSG_CHAT,
	XL_MSG_HEADLINE,
	XL_MSG_GROUPCHAT,
};

/* XEP-0085 chat states; RFC 3994 isComposing maps onto these. */
enum xl_chat_state {
	XL_CS_NONE,		/* no chat state notification */
	XL_CS_ACTIVE,
	XL_CS_COMPOSING,
	XL_CS_PAUSED,
	XL_CS_INACTIVE,
	XL_CS_GONE,
};

/* An instant message, either way. */
struct xl_msg {
	struct xl_addr	 from, to;
	enum xl_msg_type type;
	const char	*body;		/* plain text; NULL = none (chat state only) */
	size_t		 body_len;
	const char	*html;		/* XHTML-IM <body> content; NULL = none */
	size_t		 html_len;
	const char	*subject;	/* NULL = none */
	const char	*thread;	/* XMPP <thread>; Call-ID or Ms-Conversation-ID */
	const char	*id;		/* XMPP stanza id, for errors to find their way back */
	const char	*lang;		/* xml:lang / Content-Language; NULL = none */
	enum xl_chat_state chat_state;
};

/* Availability: XMPP <show/> values plus unavailable. */
enum xl_show {
	XL_SHOW_AVAILABLE,	/* no <show/> */
	XL_SHOW_CHAT,
	XL_SHOW_AWAY,
	XL_SHOW_XA,
	XL_SHOW_DND,
	XL_SHOW_UNAVAILABLE,	/* <presence type='unavailable'/>, PIDF closed */
};

/* A presence state (not a subscription request: see xl_sub). */
struct xl_pres {
	struct xl_addr	 from, to;
	enum xl_show	 show;
	const char	*status;	/* free text; NULL = none */
	const char	*status_lang;
	int		 priority;	/* -128..127 */
	int		 lync_availability; /* 0..n when known (Lync/msrtc), else -1 */
	const char	*id;
};

/* Subscription management (RFC 6121 §3, RFC 8048 / 6665). */
enum xl_sub_type {
	XL_SUB_SUBSCRIBE,
	XL_SUB_SUBSCRIBED,
	XL_SUB_UNSUBSCRIBE,
	XL_SUB_UNSUBSCRIBED,
	XL_SUB_PROBE,
};

struct xl_sub {
	struct xl_addr	 from, to;
	enum xl_sub_type type;
	const char	*id;
};

/* XMPP stanza error conditions (RFC 6120 §8.3.3). */
enum xl_err_cond {
	XL_ERR_NONE = 0,
	XL_ERR_BAD_REQUEST,
	XL_ERR_CONFLICT,
	XL_ERR_FEATURE_NOT_IMPLEMENTED,
	XL_ERR_FORBIDDEN,
	XL_ERR_GONE,
	XL_ERR_INTERNAL_SERVER_ERROR,
	XL_ERR_ITEM_NOT_FOUND,
	XL_ERR_JID_MALFORMED,
	XL_ERR_NOT_ACCEPTABLE,
	XL_ERR_NOT_ALLOWED,
	XL_ERR_NOT_AUTHORIZED,
	XL_ERR_POLICY_VIOLATION,
	XL_ERR_RECIPIENT_UNAVAILABLE,
	XL_ERR_REDIRECT,
	XL_ERR_REGISTRATION_REQUIRED,
	XL_ERR_REMOTE_SERVER_NOT_FOUND,
	XL_ERR_REMOTE_SERVER_TIMEOUT,
	XL_ERR_RESOURCE_CONSTRAINT,
	XL_ERR_SERVICE_UNAVAILABLE,
	XL_ERR_SUBSCRIPTION_REQUIRED,
	XL_ERR_UNDEFINED_CONDITION,
	XL_ERR_UNEXPECTED_REQUEST,
};

enum xl_err_type {
	XL_ERRT_CANCEL,
	XL_ERRT_CONTINUE,
	XL_ERRT_MODIFY,
	XL_ERRT_AUTH,
	XL_ERRT_WAIT,
};

/* An error, either way: a stanza error and the SIP status it maps to. */
struct xl_err {
	enum xl_err_cond cond;
	enum xl_err_type type;
	int		 sip_code;	/* 400..699, 0 = not from SIP */
	const char	*text;		/* human-readable; NULL = none */
	const char	*redirect;	/* gone/redirect: the new address
					   (URI or JID); NULL = none */
};

/*
 * Results of the xlate functions: 0 = done, a negative XL_E_* = what was
 * wrong with the input (or the caller's buffer). Every function that
 * writes into a caller's buffer returns XL_E_TRUNC when it does not fit:
 * nothing is ever silently cut.
 */
enum xl_status {
	XL_OK		 = 0,
	XL_E_SYNTAX	 = -1,	/* malformed input */
	XL_E_TOOLONG	 = -2,	/* input over a protocol or size limit */
	XL_E_TRUNC	 = -3,	/* the caller's output buffer is too small */
	XL_E_UTF8	 = -4,	/* invalid UTF-8, NUL or a forbidden control */
	XL_E_UNMAPPABLE	 = -5,	/* valid, but no equivalent on the other side */
	XL_E_SCHEME	 = -6,	/* URI scheme other than sip/sips/im/pres */
	XL_E_IDNA	 = -7,	/* domain refused by IDNA2008 */
	XL_E_MEDIA	 = -8,	/* unsupported content type */
	XL_E_CHARSET	 = -9,	/* unsupported or undecodable charset */
	XL_E_XML	 = -10,	/* malformed or forbidden XML (DOCTYPE, PI) */
	XL_E_DEPTH	 = -11,	/* XML nested deeper than allowed */
	XL_E_STATE	 = -12,	/* event not allowed in the current state */
	XL_E_REFUSED	 = -13,	/* refused by policy (email for federation) */
	XL_E_NOMEM	 = -14,	/* out of memory */
	XL_E_NOTFOUND	 = -15,	/* no such user (email map) */
};

/* A short constant text for an XL_* result ("invalid UTF-8"). */
const char	*xl_strerror(int rc);

/*
 * The error to answer when a translation failed with rc: fills cond, type
 * and sip_code (e.g. XL_E_MEDIA -> not-acceptable / 415, XL_E_SCHEME ->
 * jid-malformed / 416); text is set to xl_strerror(rc). rc must be < 0.
 */
void		 xl_status_to_err(int rc, struct xl_err *err);

/*
 * Owned copies. xl_msg_dup() copies the message and every string it
 * points to into one allocation; free it with xl_msg_free(). NULL when out
 * of memory. Same for xl_pres.
 */
struct xl_msg	*xl_msg_dup(const struct xl_msg *m);
void		 xl_msg_free(struct xl_msg *m);
struct xl_pres	*xl_pres_dup(const struct xl_pres *p);
void		 xl_pres_free(struct xl_pres *p);

#endif
