/*
 * sip_core: the inside of the sip module that its other files share (the
 * public side is sip.h). sip.c owns the agent, the config in force, the
 * events and the request gate.
 *
 * Files of sip/ and what each owns:
 *   sip.c       the service, the agent, the request gate and dispatch table
 *   sip_txn.c   deferred answers: txid -> server transaction
 *   sip_tls.c   TLS material, our certificate's names, the peer check, and
 *               the tap on Sofia's log that tells why a handshake failed
 *   sip_out.c   outgoing requests: next hop, fail-fast on a dead or
 *               unverified connection
 *   sip_edge.c  edge health (OPTIONS ping), Active/Inactive with the reason
 *   sip_conv.c  SIP text <-> xlate neutral types (pure)
 *   sip_page.c  MESSAGE page mode, OPTIONS
 *   sip_sub.c   SUBSCRIBE/NOTIFY/BENOTIFY, both roles
 *   sip_im.c    Lync INVITE-based IM conversations
 *   sip_echo.c  test-only echo (FG_TEST_SIP_ECHO)
 */
#ifndef FG_SIP_SIP_CORE_H
#define FG_SIP_SIP_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/su.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip.h>

#include "sip/sip.h"

struct config;

#define SIP_MOD		"sip"

/* Methods we answer, for Allow headers. */
#define SIP_ALLOW	"INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, " \
			"SUBSCRIBE, NOTIFY, BENOTIFY"

nta_agent_t	*sip_agent(void);
struct config	*sip_cfg(void);
const struct sip_events *sip_ev(void);	/* NULL until sip_set_events() */
void	sip_events_lock(void);		/* the test echo keeps the events */
int		 sip_is_running(void);
const char	*sip_hostname(void);
/* Our Contact: <sip:hostname:port;transport=tls>. */
const sip_contact_t *sip_our_contact(void);

/*
 * The checks every request from the edge passes before its method handler,
 * in or out of a dialog: the TLS peer, Max-Forwards, loops. Returns 0 to
 * proceed; otherwise irq has been answered and destroyed.
 */
int	sip_gate(nta_incoming_t *irq, const sip_t *sip);

/* Answer and destroy irq. warning, when not NULL, goes in a Warning: 399
 * header (RFC 3261 §20.43) so that the edge's admin sees why. */
void	sip_reply(nta_incoming_t *irq, int status, const char *phrase,
	    const char *warning);
/* Format a Warning header value "399 HOSTNAME \"text\"" into buf. */
const char *sip_warning_fmt(char *buf, size_t len, const char *text);

/* Remember in *slot (a reference) the connection irq came on: a dialog
 * sends its requests back over the connection its peer last used. */
void	sip_dialog_tport(tport_t **slot, nta_incoming_t *irq);
void	sip_dialog_tport_release(tport_t **slot);

/* Next id for txids, subids, conversations: never 0, never reused. */
uint64_t sip_next_id(void);

/* Counters (fedgatectl stats and the metrics listener). */
enum sip_counter {
	SIP_C_REQ_IN, SIP_C_REQ_OUT, SIP_C_REFUSED_PEER, SIP_C_REFUSED_REQ,
	SIP_C_MSG_IN, SIP_C_MSG_OUT, SIP_C_NOTIFY_IN, SIP_C_NOTIFY_OUT,
	SIP_C_MAX
};
void	sip_count(enum sip_counter c);

#endif
