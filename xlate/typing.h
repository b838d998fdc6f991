/*
 * typing: RFC 3994 isComposing and Lync's INFO <KeyboardActivity> <->
 * XEP-0085 chat states.
 *
 *   isComposing active (refresh R)  <-> composing  (the gateway sends
 *                                       paused when R passes with no refresh)
 *   isComposing idle                <-> paused, and toward SIP also active,
 *                                       inactive, gone (none means typing)
 *   KeyboardActivity status="type"  <-> composing
 *   KeyboardActivity status="idle"  <-> paused (and the other states)
 *
 * A chat state that comes with a body needs no isComposing: RFC 3994 §3.3
 * has the receiver go idle when a message arrives.
 */
#ifndef FG_XLATE_TYPING_H
#define FG_XLATE_TYPING_H

#include <stddef.h>

#include "xlate/xlate.h"

#define XL_ISCOMPOSING_CTYPE	"application/im-iscomposing+xml"
#define XL_KEYBOARD_CTYPE	"application/xml"
#define XL_ISCOMPOSING_REFRESH	90	/* seconds, RFC 3994 §3.2 suggests 90 */

/* XEP-0085 element names: "active", "composing", ...; NULL for none. */
const char	*xl_chat_state_name(enum xl_chat_state cs);
int		 xl_chat_state_parse(const char *name, enum xl_chat_state *cs);

/* *refresh = the refresh interval in seconds, 0 when absent. */
int	xl_iscomposing_parse(const char *body, size_t len,
	    enum xl_chat_state *cs, unsigned *refresh);
/* refresh 0 = XL_ISCOMPOSING_REFRESH; XL_CS_NONE is XL_E_UNMAPPABLE. */
int	xl_iscomposing_write(enum xl_chat_state cs, unsigned refresh,
	    char *buf, size_t len);

int	xl_keyboard_parse(const char *body, size_t len, enum xl_chat_state *cs);
int	xl_keyboard_write(enum xl_chat_state cs, char *buf, size_t len);

#endif
