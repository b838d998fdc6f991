/*
 * dbkey: see dbkey.h.
 */
#include "bench/dbkey.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SECRET_MAX	4096

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
dbkey_init(struct dbkey *k, const char *secret, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(secret, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		return -1;
	hex_encode(md, mdlen, k->hkey);
	k->set = 1;
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int
dbkey_load(struct dbkey *k, const char *path, char *err, size_t errlen)
{
	char buf[SECRET_MAX + 1];
	size_t n;
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n > SECRET_MAX) {
		snprintf(err, errlen, "%s: secret longer than %d bytes", path,
		    SECRET_MAX);
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n == 0) {
		snprintf(err, errlen, "%s: empty secret", path);
		return -1;
	}
	rc = dbkey_init(k, buf, n);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0)
		snprintf(err, errlen, "%s: SHA-256 failed", path);
	return rc;
}

int
dbkey_random(struct dbkey *k)
{
	unsigned char raw[32];
	char text[65];
	int rc;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	hex_encode(raw, sizeof(raw), text);
	rc = dbkey_init(k, text, 64);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

int
dbkey_compute(const struct dbkey *k, const char *receiving,
    const char *originating, const char *stream_id,
    char out[DBKEY_HEX_LEN + 1])
{
	char data[1024];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n;

	if (!k->set)
		return -1;
	n = snprintf(data, sizeof(data), "%s %s %s", receiving, originating,
	    stream_id);
	if (n < 0 || (size_t)n >= sizeof(data))
		return -1;
	if (HMAC(EVP_sha256(), k->hkey, DBKEY_HEX_LEN, (unsigned char *)data,
	    (size_t)n, md, &mdlen) == NULL || mdlen != 32)
		return -1;
	hex_encode(md, mdlen, out);
	return 0;
}

int
dbkey_check(const struct dbkey *k, const char *receiving,
    const char *originating, const char *stream_id, const char *key,
    size_t keylen)
{
	char want[DBKEY_HEX_LEN + 1];

	while (keylen > 0 && (*key == ' ' || *key == '\n' || *key == '\t' ||
	    *key == '\r')) {
		key++;
		keylen--;
	}
	while (keylen > 0 && (key[keylen - 1] == ' ' ||
	    key[keylen - 1] == '\n' || key[keylen - 1] == '\t' ||
	    key[keylen - 1] == '\r'))
		keylen--;
	if (keylen != DBKEY_HEX_LEN)
		return 0;
	if (dbkey_compute(k, receiving, originating, stream_id, want) != 0)
		return 0;
	return CRYPTO_memcmp(want, key, DBKEY_HEX_LEN) == 0;
}
