/*
 * sipwire: just enough SIP for a load tool, parsed in place.
 *
 * A stream transport (TLS) carries messages back to back; each is framed
 * by its Content-Length (RFC 3261 §18.3: mandatory on streams). The parser
 * works on a contiguous buffer and returns pointers into it: nothing is
 * allocated, nothing is copied. Compact header forms (i, l, f, t, v, m, c,
 * o, k, s) are accepted; folded header lines are refused (no peer we test
 * folds).
 *
 * The builders write a response to a parsed request into a caller buffer.
 */
#ifndef FGB_SIPWIRE_H
#define FGB_SIPWIRE_H

#include <stddef.h>

#include "bench/obuf.h"

#define SIPW_MAX_VIA	8
#define SIPW_MAX_MSG	(64 * 1024)

struct sipw_str {
	const char	*p;
	size_t		 n;
};

struct sipw_msg {
	int		 is_request;
	struct sipw_str	 method, ruri;		/* request line */
	int		 status;		/* status line */
	struct sipw_str	 reason;
	struct sipw_str	 via[SIPW_MAX_VIA];	/* values, in order */
	size_t		 nvia;
	struct sipw_str	 from, to, call_id, cseq, contact, event, sub_state,
			 ctype, expires;
	size_t		 clen;
	int		 have_clen;
	struct sipw_str	 body;
	size_t		 total;			/* bytes of the whole message */
};

enum sipw_rc {
	SIPW_MORE = 0,		/* incomplete: wait for more bytes */
	SIPW_OK = 1,		/* one message parsed, m->total bytes */
	SIPW_BAD = -1,		/* malformed: *why says what */
};

/*
 * Parse the message at the start of buf. Leading CRLFs (keepalives) must be
 * skipped first with sipw_keepalive().
 */
enum sipw_rc sipw_parse(const char *buf, size_t len, struct sipw_msg *m,
	    const char **why);

/*
 * Skip keepalive CRLFs at the start of buf (RFC 5626 §4.4.1). Returns the
 * number of bytes to drop; *pings counts double-CRLF pings, each of which
 * deserves a single-CRLF pong.
 */
size_t	sipw_keepalive(const char *buf, size_t len, int *pings);

/* Case-insensitive compare of a parsed token with a C string. */
int	sipw_eq(struct sipw_str s, const char *lit);
/* The method in "CSeq: 12 MESSAGE". */
struct sipw_str sipw_cseq_method(struct sipw_str cseq);
/* The value of parameter name (e.g. "tag") in a header value; n = 0 if none. */
struct sipw_str sipw_param(struct sipw_str hdr, const char *name);

/*
 * Response to req: status line, every Via, From, To (with to_tag added when
 * the request's To has none), Call-ID, CSeq, the extra header lines (each
 * ending in CRLF; may be NULL), Content-Length: 0.
 */
void	sipw_response(struct obuf *b, const struct sipw_msg *req, int code,
	    const char *reason, const char *to_tag, const char *extra);

#endif
