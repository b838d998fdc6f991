/*
 * err: errors both ways, RFC 7247 §7 (SIP response codes <-> XMPP stanza
 * error conditions) and RFC 6120 §8.3 (condition names, types).
 *
 * SIP -> XMPP: every final failure code 300..699 maps to a condition; a code
 * the tables do not list is treated as the x00 of its class (RFC 3261
 * §8.1.3.2). XMPP -> SIP: every condition maps to one code; an error that
 * came from SIP (sip_code set) keeps its code, so a SIP failure relayed
 * through XMPP and back is answered with the same status.
 */
#ifndef FG_XLATE_ERR_H
#define FG_XLATE_ERR_H

#include "xlate/xlate.h"

/*
 * Fill e from a SIP final failure response (code 300..699); reason is
 * borrowed into e->text (may be NULL). XL_E_SYNTAX for another code.
 */
int		 xl_err_from_sip(int code, const char *reason, struct xl_err *e);

/*
 * The SIP status to answer with for e: e->sip_code when it is a failure
 * code, else the RFC 7247 table value for e->cond (gone / redirect give
 * 301 / 302 only with e->redirect set, else 410 / 480).
 */
int		 xl_err_to_sip(const struct xl_err *e);

/* Condition with its RFC 6120 default type; sip_code 0, no text. */
void		 xl_err_set(struct xl_err *e, enum xl_err_cond cond);
enum xl_err_type xl_err_default_type(enum xl_err_cond cond);

/* RFC 6120 names: "item-not-found", "cancel". NULL / -1 when unknown. */
const char	*xl_err_cond_name(enum xl_err_cond cond);
int		 xl_err_cond_parse(const char *name, enum xl_err_cond *cond);
const char	*xl_err_type_name(enum xl_err_type type);
int		 xl_err_type_parse(const char *name, enum xl_err_type *type);

/*
 * SIP status for stanzas lost to an XMPP stream error (RFC 6120 §4.9.3
 * condition name): always 5xx — 502 when the peer or the path failed, 503
 * when it shut down, else 500. Unknown names give 500.
 */
int		 xl_err_stream_to_sip(const char *stream_cond);

/* RFC 3261 reason phrase for a status code ("Not Found"); never NULL. */
const char	*xl_sip_reason(int code);

#endif
