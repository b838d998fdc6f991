/*
 * link: one (local domain, remote domain) pair on the outbound side.
 *
 * A link owns the queue of stanzas waiting for its outbound stream (bounded
 * by queue_limit), the <db:verify/> requests that inbound streams asked us
 * to make to the remote domain, the backoff after a failed attempt, and at
 * most one outbound stream (xmpp/s2s.h), which it creates on demand.
 *
 * XEP-0288: a stream with bidi on which the remote domain proved itself for
 * sending to the local one (a stream the peer opened, or another of ours)
 * may carry the pair's stanzas too; the link then uses it instead of
 * opening its own. It knows such a stream by id only (s2s_stream_find()),
 * so a stream that is gone is never written to. Stanzas keep to the
 * stream they started on while it lasts, so that they stay in order.
 *
 * Every stanza submitted gets exactly one completion: done(cookie, NULL)
 * once it was written to the authenticated stream, done(cookie, err) when
 * it cannot be. Completions are always delivered from the end-of-turn hook,
 * never from inside the call that caused them.
 */
#ifndef FG_XMPP_LINK_H
#define FG_XMPP_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xmpp/xmpp.h"

struct s2s_link;
struct s2s_stream;

int	link_init(void);
/* Bounce everything still queued (system shutdown) and free every link. */
void	link_shutdown(void);

/*
 * Queue (or write) one serialized stanza from local to remote; takes
 * ownership of data (malloc'd, len bytes). Always completes through done.
 */
void	link_submit(const char *local, const char *remote, char *data,
	    size_t len, uint64_t cookie, xmpp_done_fn *done, void *arg);
/* Complete a send that never reached a link (e.g. refused by policy). */
void	link_complete_later(uint64_t cookie, xmpp_done_fn *done, void *arg,
	    const struct xl_err *err);

/*
 * Ask remote's authoritative server whether key is valid for the stream
 * asker (stream id sid), always over our own outbound stream -- never the
 * asking one (XEP-0288); the answer comes back through s2s_verify_result().
 */
void	link_verify_submit(const char *local, const char *remote,
	    uint64_t asker, const char *sid, const char *key);

/* XEP-0288, from the streams: s (bidi) may carry local -> remote now; */
void	link_bidi_ready(const char *local, const char *remote,
	    struct s2s_stream *s);
/* the stream is going; */
void	link_bidi_gone(const char *local, const char *remote, uint64_t id);
/* its output buffer has room again. */
void	link_bidi_writable(const char *local, const char *remote,
	    struct s2s_stream *s);

/* Called by the outbound stream of l. */
void	link_on_verify_possible(struct s2s_link *l, struct s2s_stream *s);
void	link_on_ready(struct s2s_link *l, struct s2s_stream *s);
void	link_on_writable(struct s2s_link *l, struct s2s_stream *s);
/* A <db:verify type=.../> arrived on s: 1 valid, 0 invalid, -1 error.
   Returns -1 when it answers no request sent on s (unsolicited). */
int	link_verify_answer(struct s2s_link *l, struct s2s_stream *s,
	    const char *sid, int result);
/* The stream is gone: before authentication (failed: bounce and back
   off) or after (closed: reconnect on demand). */
/* How a stream ended for link_on_stream_gone(): 0 = after working. */
#define LINK_FAIL_HARD		1	/* no route, refused: bounce what waits */
#define LINK_FAIL_TRANSIENT	2	/* no address answered: hold and retry */

void	link_on_stream_gone(struct s2s_link *l, struct s2s_stream *s,
	    int failed, enum xl_err_cond cond, const char *text);

const char *link_local(const struct s2s_link *l);
const char *link_remote(const struct s2s_link *l);

/* Stanzas waiting for a stream now, over all pairs. */
size_t	link_queued(void);

#endif
