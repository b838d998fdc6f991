/*
 * btls: OpenSSL contexts for the load tool's roles.
 *
 *  - client: verifies the server's chain against the CA and its name
 *    (SAN/CN, RFC 6125) and presents our own certificate (mutual TLS);
 *  - server, require: the client must present a certificate that chains to
 *    the CA (SIP mutual TLS), or the handshake fails;
 *  - server, optional: a client certificate is asked for and its
 *    verification result kept, the handshake goes on without one (XMPP: a
 *    peer without a usable certificate may still authenticate by dialback).
 */
#ifndef FGB_BTLS_H
#define FGB_BTLS_H

#include <stddef.h>
#include <openssl/ssl.h>

enum btls_role {
	BTLS_CLIENT,
	BTLS_SERVER_REQUIRE,
	BTLS_SERVER_OPTIONAL,
};

SSL_CTX	*btls_ctx_new(enum btls_role role, const char *ca, const char *cert,
	    const char *key, char *err, size_t errlen);
/* A client SSL that sends SNI name and checks the server's name. */
SSL	*btls_client(SSL_CTX *ctx, const char *name);
SSL	*btls_server(SSL_CTX *ctx);
/* The peer presented a certificate that chains to the CA. */
int	 btls_peer_verified(SSL *ssl);
/* ... and it names (SAN dNSName, else CN) name. */
int	 btls_peer_named(SSL *ssl, const char *name);
/* Why verification failed, or the last OpenSSL error, into buf. */
void	 btls_why(SSL *ssl, char *buf, size_t len);

#endif
