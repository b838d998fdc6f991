/*
 * sip_tls: the TLS side of the SIP transport that Sofia does not do for us.
 *  - the directory Sofia reads (agent.pem = our cert + key, cafile.pem);
 *  - the start-up check that [gateway] hostname is a name of our
 *    certificate (the classic OCS gateway failure);
 *  - the per-request peer check against [sip] peer_subjects;
 *  - a tap on Sofia's transport log: Sofia reports a refused handshake
 *    only there, so this is where fedgate learns why a connection failed
 *    (the names the peer presented, the verification error).
 */
#ifndef FG_SIP_SIP_TLS_H
#define FG_SIP_SIP_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sofia-sip/nta.h>

struct config;

/* Write DIR/agent.pem (cert + key, 0600) and DIR/cafile.pem under
 * state_dir; dir receives the directory. 0 or -1 (logged). */
int	sip_tls_prepare(const struct config *cfg, char *dir, size_t len);
/* 0 when host is a DNS name (SAN, or CN without SANs) of the certificate
 * in certfile; else -1 and have receives the names it does carry. */
int	sip_tls_cert_names_host(const char *certfile, const char *host,
	    char *have, size_t len);
/* 1 when the request msg (being delivered) came over a verified TLS
 * connection whose certificate names one of [sip] peer_subjects (always 1
 * with transport = tcp). names receives what the peer presented. */
int	sip_tls_peer_ok(msg_t *msg, char *names, size_t len);
void	sip_tls_log_start(void);
void	sip_tls_log_stop(void);
/* Why the connection behind tport (a tport_t *) failed, into buf; -1
 * when the tap did not see it fail. */
int	sip_tls_failure(const void *tport, char *buf, size_t len);
uint64_t sip_tls_refused_count(void);
/* fedgatectl connections: the TLS connections the tap has seen open. */
void	sip_tls_connections(FILE *out);

#endif
