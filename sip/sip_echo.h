/*
 * sip_echo: a stand-in for the XMPP side, for testing the SIP side alone.
 * When FG_TEST_SIP_ECHO is set at start it installs itself as the events:
 * each MESSAGE is answered 200 and its text sent back to the sender (the
 * normal outbound path: an INVITE conversation with edge_dialect = lync);
 * a SUBSCRIBE is accepted, a NOTIFY sent, and the watcher is subscribed to
 * in return; presence it receives is mirrored into that NOTIFY. With
 * FG_TEST_SIP_ECHO=silent messages are never answered (the answer timeout
 * does it).
 */
#ifndef FG_SIP_SIP_ECHO_H
#define FG_SIP_SIP_ECHO_H

/* 1 when the echo is installed. */
int	sip_echo_start(void);
void	sip_echo_stop(void);

#endif
