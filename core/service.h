/*
 * service: what each part of the daemon (SIP side, XMPP side, gateway
 * wiring, metrics) offers to the main program: start, live reload,
 * graceful stop, and the lines it adds to fedgatectl's answers.
 *
 * The list lives in gateway/services.c; gateway/fedgated.c walks it. sip/ and
 * xmpp/ each export one (sip_service, xmpp_service); core/ may too (dns). Every hook except
 * name may be NULL.
 */
#ifndef FG_CORE_SERVICE_H
#define FG_CORE_SERVICE_H

#include <stdio.h>

struct config;

struct service {
	const char	*name;
	/* Open listeners etc. Returns 0, or -1 after logging why. */
	int		(*start)(struct config *cfg);
	/* Apply a new config; the old one stays valid during the call. */
	void		(*reload)(struct config *old, struct config *new);
	/* Begin a graceful stop: close listeners, say goodbye to peers. */
	void		(*stop)(void);
	/* 1 when nothing is left open after stop(). */
	int		(*idle)(void);
	/* Free everything (after the loop has stopped). */
	void		(*shutdown)(void);
	/* Lines for fedgatectl status / connections / stats. */
	void		(*status)(FILE *out);
	void		(*connections)(FILE *out);
	void		(*stats)(FILE *out);
};

extern const struct service *const services[];

#endif
