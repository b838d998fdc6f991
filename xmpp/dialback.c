/*
 * dialback: XEP-0185 keys. See dialback.h.
 */
#include "config.h"
#include "xmpp/dialback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define SECRET_MAX	4096

static struct {
	char	hkey[SHA256_DIGEST_LENGTH * 2 + 1];	/* hex(SHA256(secret)) */
	int	loaded;
} DB;

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
dialback_secret_set(const char *secret, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)secret, len, md);
	hex_encode(md, sizeof(md), DB.hkey);
	OPENSSL_cleanse(md, sizeof(md));
	DB.loaded = 1;
}

void
dialback_secret_clear(void)
{
	OPENSSL_cleanse(DB.hkey, sizeof(DB.hkey));
	DB.loaded = 0;
}

int
dialback_secret_loaded(void)
{
	return DB.loaded;
}

int
dialback_secret_load(const char *path, char *err, size_t errlen)
{
	char buf[SECRET_MAX + 1];
	size_t n = 0, start = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (n > SECRET_MAX) {
		snprintf(err, errlen, "%s is larger than %d bytes", path, SECRET_MAX);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	while (n > 0 && is_space(buf[n - 1]))
		n--;
	while (start < n && is_space(buf[start]))
		start++;
	if (start == n) {
		snprintf(err, errlen, "%s holds no secret", path);
		return -1;
	}
	dialback_secret_set(buf + start, n - start);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int
dialback_key(const char *receiving, const char *originating,
    const char *stream_id, char out[DIALBACK_KEY_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char msg[1024];
	int n;

	n = snprintf(msg, sizeof(msg), "%s %s %s", receiving, originating,
	    stream_id);
	if (n < 0 || (size_t)n >= sizeof(msg) || !DB.loaded) {
		out[0] = '\0';
		return -1;	/* a truncated input would make a wrong key */
	}
	if (HMAC(EVP_sha256(), DB.hkey, (int)strlen(DB.hkey),
	    (const unsigned char *)msg, (size_t)n, mac, &maclen) == NULL) {
		out[0] = '\0';
		return -1;
	}
	hex_encode(mac, maclen, out);
	return 0;
}

int
dialback_key_check(const char *receiving, const char *originating,
    const char *stream_id, const char *key, size_t keylen)
{
	char want[DIALBACK_KEY_LEN + 1];

	if (!DB.loaded)
		return 0;
	while (keylen > 0 && is_space(*key)) {
		key++;
		keylen--;
	}
	while (keylen > 0 && is_space(key[keylen - 1]))
		keylen--;
	if (keylen != DIALBACK_KEY_LEN)
		return 0;
	if (dialback_key(receiving, originating, stream_id, want) != 0)
		return 0;
	return CRYPTO_memcmp(want, key, DIALBACK_KEY_LEN) == 0;
}
