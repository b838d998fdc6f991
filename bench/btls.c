/*
 * btls: see btls.h.
 */
#include "bench/btls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdio.h>
#include <string.h>

static void
last_error(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char ebuf[256];

	if (e == 0)
		snprintf(buf, len, "%s", what);
	else {
		ERR_error_string_n(e, ebuf, sizeof(ebuf));
		snprintf(buf, len, "%s: %s", what, ebuf);
	}
	ERR_clear_error();
}

/* Keep going without a (valid) client certificate; the result is kept. */
static int
verify_optional(int ok, X509_STORE_CTX *ctx)
{
	return 1;
}

SSL_CTX *
btls_ctx_new(enum btls_role role, const char *ca, const char *cert,
    const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(role == BTLS_CLIENT ? TLS_client_method() :
	    TLS_server_method());

	if (ctx == NULL) {
		last_error(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		last_error(err, errlen, ca);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		last_error(err, errlen, cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		last_error(err, errlen, key);
		goto fail;
	}
	switch (role) {
	case BTLS_CLIENT:
	case BTLS_SERVER_REQUIRE:
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		break;
	case BTLS_SERVER_OPTIONAL:
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_optional);
		break;
	}
	if (role != BTLS_CLIENT)
		SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(ca));
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL *
btls_client(SSL_CTX *ctx, const char *name)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	if (SSL_set_tlsext_host_name(ssl, name) != 1 ||
	    SSL_set1_host(ssl, name) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

SSL *
btls_server(SSL_CTX *ctx)
{
	return SSL_new(ctx);
}

int
btls_peer_verified(SSL *ssl)
{
	return SSL_get0_peer_certificate(ssl) != NULL &&
	    SSL_get_verify_result(ssl) == X509_V_OK;
}

int
btls_peer_named(SSL *ssl, const char *name)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);

	return cert != NULL && btls_peer_verified(ssl) &&
	    X509_check_host(cert, name, strlen(name), 0, NULL) == 1;
}

void
btls_why(SSL *ssl, char *buf, size_t len)
{
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;

	if (vr != X509_V_OK)
		snprintf(buf, len, "certificate verification failed: %s",
		    X509_verify_cert_error_string(vr));
	else
		last_error(buf, len, "TLS error");
}
