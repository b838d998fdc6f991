/*
 * tls: contexts and peer certificate checks. See tls.h.
 */
#include "config.h"
#include "xmpp/tls.h"
#include "core/config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

static struct {
	SSL_CTX	*server;
	SSL_CTX	*client;
} T;

/* Accept any chain during the handshake; the result is judged later. */
static int
xtls_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	return 1;
}

/* XEP-0368: pick "xmpp-server" when the client offers it. */
static int
xtls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char want[] = XTLS_ALPN;
	unsigned int i = 0;

	while (i < inlen) {
		unsigned int l = in[i];

		if (i + 1 + l > inlen)
			break;
		if (l == sizeof(want) - 1 && !memcmp(in + i + 1, want, l)) {
			*out = in + i + 1;
			*outlen = (unsigned char)l;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + l;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

const char *
xtls_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "unknown TLS error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static SSL_CTX *
xtls_ctx_new(const struct config *cfg, int server, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() :
	    TLS_client_method());
	char ebuf[256];

	if (ctx == NULL) {
		snprintf(err, errlen, "SSL_CTX_new: %s", xtls_error(ebuf, sizeof(ebuf)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/* a peer closing without close_notify is an ordinary end of stream */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->xmpp_cert) != 1) {
		snprintf(err, errlen, "[xmpp] cert %s: %s", cfg->xmpp_cert,
		    xtls_error(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->xmpp_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "[xmpp] key %s: %s", cfg->xmpp_key,
		    xtls_error(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (cfg->xmpp_ca && cfg->xmpp_ca[0] &&
	    SSL_CTX_load_verify_locations(ctx, cfg->xmpp_ca, NULL) != 1) {
		snprintf(err, errlen, "[xmpp] ca %s: %s", cfg->xmpp_ca,
		    xtls_error(ebuf, sizeof(ebuf)));
		goto fail;
	}
	/*
	 * Any purpose: do not demand the clientAuth EKU of initiating servers
	 * (nor serverAuth of receiving ones); the chain still has to verify.
	 */
	X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(ctx), X509_PURPOSE_ANY);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, xtls_verify_cb);
	if (server)
		SSL_CTX_set_alpn_select_cb(ctx, xtls_alpn_select, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
xtls_configure(const struct config *cfg, char *err, size_t errlen)
{
	SSL_CTX *s, *c;

	if (cfg->xmpp_cert == NULL || cfg->xmpp_cert[0] == '\0' ||
	    cfg->xmpp_key == NULL || cfg->xmpp_key[0] == '\0') {
		snprintf(err, errlen, "no [xmpp] cert and key configured");
		return -1;
	}
	if ((s = xtls_ctx_new(cfg, 1, err, errlen)) == NULL)
		return -1;
	if ((c = xtls_ctx_new(cfg, 0, err, errlen)) == NULL) {
		SSL_CTX_free(s);
		return -1;
	}
	SSL_CTX_free(T.server);
	SSL_CTX_free(T.client);
	T.server = s;
	T.client = c;
	return 0;
}

int
xtls_available(void)
{
	return T.server != NULL && T.client != NULL;
}

void
xtls_shutdown(void)
{
	SSL_CTX_free(T.server);
	SSL_CTX_free(T.client);
	T.server = T.client = NULL;
}

SSL *
xtls_server_new(int direct)
{
	return T.server ? SSL_new(T.server) : NULL;
}

SSL *
xtls_client_new(const char *sni, int direct)
{
	static const unsigned char alpn[] = "\x0b" XTLS_ALPN;
	SSL *ssl;

	if (T.client == NULL || (ssl = SSL_new(T.client)) == NULL)
		return NULL;
	if (sni && sni[0])
		SSL_set_tlsext_host_name(ssl, sni);
	if (direct)
		SSL_set_alpn_protos(ssl, alpn, sizeof(alpn) - 1);
	return ssl;
}

/* otherName SRV-ID (RFC 4985) or XmppAddr (RFC 6120 §13.7.1.4) for domain. */
static int
xtls_othername_matches(const OTHERNAME *on, const char *domain)
{
	static const char *const srv_prefixes[] = { "_xmpp-server.",
	    "_xmpps-server.", NULL };
	char oid[64];
	const ASN1_TYPE *v = on->value;
	const unsigned char *data;
	int len;

	if (OBJ_obj2txt(oid, sizeof(oid), on->type_id, 1) <= 0)
		return 0;
	if (!strcmp(oid, "1.3.6.1.5.5.7.8.7") && v->type == V_ASN1_IA5STRING) {
		data = ASN1_STRING_get0_data(v->value.ia5string);
		len = ASN1_STRING_length(v->value.ia5string);
		for (size_t i = 0; srv_prefixes[i]; i++) {
			size_t pl = strlen(srv_prefixes[i]);

			if ((size_t)len == pl + strlen(domain) &&
			    !strncasecmp((const char *)data, srv_prefixes[i], pl) &&
			    !strncasecmp((const char *)data + pl, domain,
			    strlen(domain)))
				return 1;
		}
	} else if (!strcmp(oid, "1.3.6.1.5.5.7.8.5") &&
	    v->type == V_ASN1_UTF8STRING) {
		data = ASN1_STRING_get0_data(v->value.utf8string);
		len = ASN1_STRING_length(v->value.utf8string);
		if ((size_t)len == strlen(domain) &&
		    !strncasecmp((const char *)data, domain, (size_t)len))
			return 1;
	}
	return 0;
}

int
xtls_cert_names(X509 *cert, const char *domain)
{
	GENERAL_NAMES *gens;
	int found = 0;

	/* SAN dNSName (wildcards in the left-most label only); CN if no SAN */
	if (X509_check_host(cert, domain, 0,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1)
		return 1;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && !found && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_OTHERNAME)
			found = xtls_othername_matches(g->d.otherName, domain);
	}
	GENERAL_NAMES_free(gens);
	return found;
}

int
xtls_peer_chain_ok(SSL *ssl, char *why, size_t whylen)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	long vr;

	if (cert == NULL) {
		snprintf(why, whylen, "no certificate presented");
		return 0;
	}
	vr = SSL_get_verify_result(ssl);
	if (vr != X509_V_OK) {
		snprintf(why, whylen, "certificate not trusted: %s",
		    X509_verify_cert_error_string(vr));
		return 0;
	}
	return 1;
}

int
xtls_peer_authenticates(SSL *ssl, const char *domain, char *why, size_t whylen)
{
	if (!xtls_peer_chain_ok(ssl, why, whylen))
		return 0;
	if (!xtls_cert_names(SSL_get0_peer_certificate(ssl), domain)) {
		snprintf(why, whylen, "certificate does not name %s", domain);
		return 0;
	}
	return 1;
}

const char *
xtls_version(SSL *ssl)
{
	return ssl ? SSL_get_version(ssl) : "none";
}
