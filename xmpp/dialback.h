/*
 * dialback: Server Dialback keys (XEP-0220) made as XEP-0185 recommends,
 *
 *   key = hex(HMAC-SHA256(hex(SHA256(secret)), receiving ' ' originating ' ' stream-id))
 *
 * Stateless: the key depends only on the secret and the three names, so
 * any node that shares dialback_secret_file can answer <db:verify/> for a
 * key another node generated. The secret itself is kept only as its hash,
 * and neither it nor any key is ever logged.
 */
#ifndef FG_XMPP_DIALBACK_H
#define FG_XMPP_DIALBACK_H

#include <stddef.h>

#define DIALBACK_KEY_LEN	64	/* hex characters, without the NUL */

/*
 * Read the secret from path (surrounding whitespace ignored; it must not
 * be empty). 0 on success; -1 with a reason in err, the old secret stays.
 */
int	dialback_secret_load(const char *path, char *err, size_t errlen);
/* Use these bytes as the secret (tests, and the loader). */
void	dialback_secret_set(const char *secret, size_t len);
void	dialback_secret_clear(void);
int	dialback_secret_loaded(void);

/* out gets DIALBACK_KEY_LEN hex characters and a NUL; -1 (and "") when
   no secret is loaded or the names are absurdly long. */
int	dialback_key(const char *receiving, const char *originating,
	    const char *stream_id, char out[DIALBACK_KEY_LEN + 1]);
/* 1 when key (surrounding whitespace ignored) is the right one; constant time. */
int	dialback_key_check(const char *receiving, const char *originating,
	    const char *stream_id, const char *key, size_t keylen);

#endif
