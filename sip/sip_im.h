/*
 * sip_im: Lync-style INVITE-based IM conversations. An INVITE with SDP
 * "m=message <port> sip null" opens one; its first message rides in the
 * Ms-Text-Format header (base64); MESSAGEs then flow in the dialog, INFO
 * carries KeyboardActivity, BYE or [sip] conversation_idle ends it. One
 * conversation per (local user, remote user) pair is reused both ways.
 */
#ifndef FG_SIP_SIP_IM_H
#define FG_SIP_SIP_IM_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include "sip/sip.h"

/* INVITE outside a dialog (the dispatch table in sip.c). */
int	sip_im_incoming(nta_incoming_t *irq, const sip_t *sip);
int	sip_im_send(const struct xl_msg *m, uint64_t cookie, sip_done_fn *done,
	    void *arg);
int	sip_im_send_chat_state(const struct xl_msg *m);
/* End every conversation: graceful sends BYE. */
void	sip_im_shutdown(int graceful);
size_t	sip_im_count(void);

#endif
