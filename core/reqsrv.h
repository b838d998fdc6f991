/*
 * reqsrv: the daemon's small local servers that take one request per
 * connection and send one answer — the control socket (core/ctl) and the
 * metrics listener (core/metrics). It accepts, reads until the request is
 * complete (it contains the terminator; bounded in size), hands it to the
 * owner, writes the answer without blocking, and closes.
 *
 * The owner answers inside its callback or later: the request id stays
 * valid until answered or until the client goes away (then
 * reqsrv_answer() says so and drops the text).
 */
#ifndef FG_CORE_REQSRV_H
#define FG_CORE_REQSRV_H

#include <stddef.h>
#include <stdint.h>

struct reqsrv;

/* req is NUL-terminated, len bytes; valid during the call only. */
typedef void reqsrv_fn(uint64_t id, const char *req, size_t len, void *arg);

/* Serve on the listening socket fd (taken: reqsrv_free closes it). */
struct reqsrv	*reqsrv_new(int fd, const char *terminator, size_t max_request,
		    reqsrv_fn *fn, void *arg);
/* Send text (copied) as the whole answer, then close; -1 when gone. */
int		 reqsrv_answer(struct reqsrv *srv, uint64_t id, const char *text,
		    size_t len);
/* Close the listener and every connection. */
void		 reqsrv_free(struct reqsrv *srv);

#endif
