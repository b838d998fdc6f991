/*
 * check: "fedgatectl check" — certificates, DNS, the edge and the remote
 * domains, as the troubleshooting guides of the products we replace walk
 * through them. A ctl handler (core/ctl.h) that answers later.
 */
#ifndef FG_GATEWAY_CHECK_H
#define FG_GATEWAY_CHECK_H

#include <stdio.h>

int	check_command(const char *args, FILE *out, void *arg);

#endif
