/*
 * sip_txn: requests from the edge that wait for the other side (deferred
 * answers, nta_incoming_treply later). A txid names each; sip_answer()
 * finds it again. Every deferred request is answered exactly once: by the
 * gateway, by [sip] answer_timeout, or when its dialog goes away.
 */
#ifndef FG_SIP_SIP_TXN_H
#define FG_SIP_SIP_TXN_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/nta.h>

#include "xlate/xlate.h"

/*
 * The final answer to a deferred request; err NULL = success. Called once:
 * from sip_answer(), on timeout (err = remote-server-timeout), or when the
 * owner is dropped (err as given to sip_txn_drop_owner). It must answer
 * irq. Returns 0 and the txn layer destroys irq, or 1 when the function
 * kept irq (an INVITE waiting for its ACK) and destroys it itself.
 */
typedef int sip_txn_answer_fn(nta_incoming_t *irq, const struct xl_err *err,
	    uint64_t owner);

/* Keep irq until answered; owner is the dialog's id (0 = none). */
uint64_t sip_txn_defer(nta_incoming_t *irq, sip_txn_answer_fn *fn,
	    uint64_t owner);
/* The dialog owner is gone: answer its pending requests now with why
 * (NULL: 481, the dialog ended). */
void	sip_txn_drop_owner(uint64_t owner, const struct xl_err *why);
size_t	sip_txn_count(void);
void	sip_txn_shutdown(void);
/* The plain answer: 200 OK, or the mapped error with a Warning. */
sip_txn_answer_fn sip_txn_answer_plain;

#endif
