/*
 * tls: OpenSSL contexts for s2s streams and the RFC 6125 check of a
 * peer's certificate against the domain it claims.
 *
 * Certificates are always requested and their chain is checked against
 * [xmpp] ca, but a bad certificate never fails the handshake by itself:
 * the stream decides, per domain and per security mode, whether it may
 * fall back to dialback or must refuse (xtls_peer_authenticates()).
 * The clientAuth extended key usage is NOT required of peers: many
 * servers present serverAuth-only certificates (Let's Encrypt's).
 */
#ifndef FG_XMPP_TLS_H
#define FG_XMPP_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct config;

#define XTLS_ALPN	"xmpp-server"	/* XEP-0368 */

/*
 * (Re)build the contexts from cfg's [xmpp] cert, key and ca. 0 on
 * success; -1 with a reason in err, the previous contexts stay in use.
 * Streams keep the context they started with.
 */
int		 xtls_configure(const struct config *cfg, char *err, size_t errlen);
int		 xtls_available(void);
void		 xtls_shutdown(void);

/* New SSL objects; NULL when unavailable. direct: XEP-0368 (ALPN). */
SSL		*xtls_server_new(int direct);
SSL		*xtls_client_new(const char *sni, int direct);

/*
 * 1 when the peer's certificate chains to our trust anchors and names
 * domain (SAN dNSName, SRV-ID _xmpp-server.DOMAIN, XmppAddr; the subject
 * CN only when there is no SAN), else 0 with the reason in why.
 */
int		 xtls_peer_authenticates(SSL *ssl, const char *domain,
		    char *why, size_t whylen);
/* Chain alone (no name). */
int		 xtls_peer_chain_ok(SSL *ssl, char *why, size_t whylen);
/* Does this certificate name domain? (the RFC 6125 part, for tests too) */
int		 xtls_cert_names(X509 *cert, const char *domain);

const char	*xtls_version(SSL *ssl);
/* Last OpenSSL error as text (and the queue cleared). */
const char	*xtls_error(char *buf, size_t len);

#endif
