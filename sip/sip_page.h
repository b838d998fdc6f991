/*
 * sip_page: page-mode MESSAGE (RFC 3428) both ways, isComposing (RFC 3994)
 * in page mode, and OPTIONS.
 */
#ifndef FG_SIP_SIP_PAGE_H
#define FG_SIP_SIP_PAGE_H

#include <stdint.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include "sip/sip.h"

/* Request handlers (the dispatch table in sip.c); return 0 when irq is
 * kept or was answered. */
int	sip_page_incoming(nta_incoming_t *irq, const sip_t *sip);
int	sip_options_incoming(nta_incoming_t *irq, const sip_t *sip);

/*
 * Hand the body of a MESSAGE (page mode or inside a conversation) to the
 * gateway: text -> events.message, answered later; isComposing ->
 * events.chat_state, 200 now. Bad or unsupported bodies get 400/415 with a
 * Warning. from/to: the parties (NULL: From and Request-URI); owner: the
 * conversation's id (0 = page mode); thread: its conversation id for
 * xl_msg.thread (NULL = none).
 */
void	sip_page_deliver(nta_incoming_t *irq, const sip_t *sip,
	    const struct xl_addr *from, const struct xl_addr *to,
	    const char *thread, uint64_t owner);
/* The value of a header Sofia does not know (Ms-Conversation-ID...). */
const char *sip_unknown_header(const sip_t *sip, const char *name);

int	sip_page_send(const struct xl_msg *m, uint64_t cookie,
	    sip_done_fn *done, void *arg);
int	sip_page_send_chat_state(const struct xl_msg *m);
/* Forget the outgoing MESSAGEs still waiting (no completion is called). */
void	sip_page_shutdown(void);

/* A completion owed to the gateway for an outgoing message. */
struct sip_done {
	uint64_t	 cookie;
	sip_done_fn	*fn;
	void		*arg;
};
/* Call d with the outcome of a SIP final status (2xx = success). */
void	sip_done_call(const struct sip_done *d, int status, const char *phrase);

#endif
