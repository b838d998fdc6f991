/*
 * ctl: the control socket that fedgatectl talks to.
 *
 * Protocol (one request per connection): the client sends one line, the
 * command and its arguments; the server answers with a first line "0" (done)
 * or "1" (refused/failed), then free text, then closes. Handlers write
 * their answer into a FILE * (an in-memory stream).
 */
#ifndef FG_CORE_CTL_H
#define FG_CORE_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Returns 0 on success, 1 when the command failed, or CTL_PENDING when the
 * answer comes later: the handler then keeps ctl_current() (the request's
 * id) and calls ctl_finish(id, rc, text) once done; what it wrote to out
 * is then dropped (the later text is the whole answer).
 */
#define CTL_PENDING	2
typedef int ctl_handler_fn(const char *args, FILE *out, void *arg);

uint64_t ctl_current(void);
/* Returns -1 when the client has gone meanwhile (the text is dropped). */
int	ctl_finish(uint64_t id, int rc, const char *text, size_t len);

int	ctl_register(const char *command, ctl_handler_fn *fn, void *arg,
	    const char *help);
int	ctl_listen(const char *path);
void	ctl_close(void);

/* Client side, for fedgatectl and tests: send one command, print answer. */
int	ctl_client_call(const char *path, const char *command, FILE *out,
	    int timeout_ms);

#endif
