/*
 * pres: presence state between SIP and XMPP (RFC 8048 with PIDF RFC 3863
 * and RPID RFC 4480; Lync msrtc categories), show names, Lync availability
 * numbers, and the aggregation of an XMPP user's resources into the one
 * view a SIP watcher gets.
 *
 * PIDF <-> xl_pres (see docs/translation.md for the table):
 *   basic open/closed          <-> available / unavailable
 *   rpid:busy (on-the-phone, meeting, ...)   -> dnd;   dnd  -> rpid:busy
 *   rpid:away (meal, travel, ...)            -> away;  away -> rpid:away
 *   rpid:away + user-input idle, vacation... -> xa;    xa   -> away + idle
 *   rpid:other "chat"                        -> chat;  chat -> other "chat"
 *   note                       <-> <status/> (xml:lang kept)
 *   contact priority 0..1      <-> <priority/> -128..127, linear
 *
 * Parsers take the body bytes; strings they find (status, its language)
 * are copied into the caller's buf, and p->status / p->status_lang point
 * there. from/to/id are left to the caller (they come from headers).
 */
#ifndef FG_XLATE_PRES_H
#define FG_XLATE_PRES_H

#include <stddef.h>

#include "xlate/xlate.h"

#define XL_PIDF_CTYPE	"application/pidf+xml"
#define XL_MSRTC_CTYPE	"application/msrtc-event-categories+xml"

/* <show/> text: "chat", "away", "xa", "dnd"; NULL for available/unavailable. */
const char	*xl_show_name(enum xl_show show);
/* <show/> text -> show; NULL or "" = available; unknown = XL_E_SYNTAX. */
int		 xl_show_parse(const char *s, enum xl_show *show);
/* A word for logs and docs: "available", ..., "unavailable". */
const char	*xl_show_label(enum xl_show show);

/* Lync availability number -> show (ranges in docs/translation.md). */
enum xl_show	 xl_lync_to_show(int availability);
/* show -> the Lync number we publish (3500, 15500, 6500, 18500). */
int		 xl_show_to_lync(enum xl_show show);
/* "available", "idle", "busy", "busy-idle", "do-not-disturb",
   "be-right-back", "away", "offline" (or "invalid"). */
const char	*xl_lync_range_name(int availability);

int	xl_pidf_parse(const char *body, size_t len, struct xl_pres *p,
	    char *buf, size_t buflen);
/* PIDF for p, entity "pres:" + p->from. */
int	xl_pidf_write(const struct xl_pres *p, char *buf, size_t len);

/*
 * msrtc categories (Lync NOTIFY): the "state" category's availability
 * (aggregateState preferred) and the "note" category's personal note.
 * A document without availability is XL_E_UNMAPPABLE (nothing to tell).
 */
int	xl_msrtc_parse(const char *body, size_t len, struct xl_pres *p,
	    char *buf, size_t buflen);
/* msrtc categories for p: availability (p->lync_availability when >= 0,
   else from p->show) and the note; uri "sip:" + p->from. */
int	xl_msrtc_write(const struct xl_pres *p, char *buf, size_t len);

/*
 * Aggregation of one XMPP user's resources (RFC 8048 §4.2 leaves it to
 * the gateway): the most available show wins (chat > available > dnd >
 * away > xa), then the higher priority, then the most recent update.
 */
#define XL_AGG_MAX_RESOURCES	32

struct xl_pres_agg;

struct xl_pres_agg *xl_pres_agg_new(void);
void	xl_pres_agg_free(struct xl_pres_agg *agg);
/*
 * Record p (keyed by p->from.resource; unavailable removes it). 1 when the
 * aggregate view changed, 0 when not, XL_E_TOOLONG when a new resource
 * would exceed XL_AGG_MAX_RESOURCES, XL_E_NOMEM.
 */
int	xl_pres_agg_update(struct xl_pres_agg *agg, const struct xl_pres *p);
/*
 * The view: show, status, priority of the winning resource (unavailable
 * when none, with the status of the last unavailable presence). Only those fields are written: from/to are the caller's
 * (the aggregate keeps no address, to stay small). Strings point into agg
 * and stay valid until its next update.
 */
void	xl_pres_agg_view(const struct xl_pres_agg *agg, struct xl_pres *out);
size_t	xl_pres_agg_count(const struct xl_pres_agg *agg);

#endif
