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

#include <stdio.h>

/* Returns 0 on success, non-zero when the command failed. */
typedef int ctl_handler_fn(const char *args, FILE *out, void *arg);

int	ctl_register(const char *command, ctl_handler_fn *fn, void *arg,
	    const char *help);
int	ctl_listen(const char *path);
void	ctl_close(void);

/* Client side, for fedgatectl and tests: send one command, print answer. */
int	ctl_client_call(const char *path, const char *command, FILE *out,
	    int timeout_ms);

#endif
