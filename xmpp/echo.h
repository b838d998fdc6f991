/*
 * echo: the test-only answering machine (FG_TEST_XMPP_ECHO), until the
 * gateway wires the SIP side. A message to any user of a local domain is
 * answered with the same body prefixed "echo: ", and a subscription
 * request is approved, both through the ordinary outbound path. Nothing
 * else in xmpp/ depends on it: drop echo.c and these calls to remove it.
 */
#ifndef FG_XMPP_ECHO_H
#define FG_XMPP_ECHO_H

#include "xlate/xlate.h"

/* Reads the environment once at start; 1 when the echo is on. */
int	echo_init(void);
int	echo_enabled(void);
void	echo_message(const struct xl_msg *m);
void	echo_subscription(const struct xl_sub *s);

#endif
