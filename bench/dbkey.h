/*
 * dbkey: stateless dialback keys (XEP-0185, also XEP-0220 §4.2):
 *
 *   key = hex(HMAC-SHA256(hex(SHA256(secret)),
 *                         receiving + ' ' + originating + ' ' + stream-id))
 *
 * The HMAC key is the *hexadecimal text* of SHA256(secret) (XEP-0185 §2:
 * "the output of the SHA256 hashing algorithm MUST be provided in the
 * hexadecimal representation"). A secret file holds the secret as text;
 * trailing whitespace (the newline) is not part of it.
 */
#ifndef FGB_DBKEY_H
#define FGB_DBKEY_H

#include <stddef.h>

#define DBKEY_HEX_LEN	64

struct dbkey {
	char	hkey[DBKEY_HEX_LEN + 1];	/* hex(SHA256(secret)) */
	int	set;
};

int	dbkey_init(struct dbkey *k, const char *secret, size_t len);
/* Reads the secret from PATH. Returns 0, or -1 with a reason in err. */
int	dbkey_load(struct dbkey *k, const char *path, char *err, size_t errlen);
/* A fresh random secret (the bench's own, as authoritative server). */
int	dbkey_random(struct dbkey *k);
/* out receives 64 hex digits and a NUL. Returns 0 or -1. */
int	dbkey_compute(const struct dbkey *k, const char *receiving,
	    const char *originating, const char *stream_id,
	    char out[DBKEY_HEX_LEN + 1]);
/* 1 when key (surrounding whitespace ignored) is the right one. */
int	dbkey_check(const struct dbkey *k, const char *receiving,
	    const char *originating, const char *stream_id, const char *key,
	    size_t keylen);

#endif
