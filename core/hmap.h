/*
 * hmap: a hash map from strings to pointers (open addressing, linear
 * probing, backward-shift deletion: no tombstones).
 *
 * Keys come from the network (JIDs, SIP URIs), so the hash is seeded per
 * process to blunt collision flooding. The map copies each key; values
 * are the caller's (the map never frees them).
 */
#ifndef FG_CORE_HMAP_H
#define FG_CORE_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap;

struct hmap	*hmap_new(void);
void		 hmap_free(struct hmap *m);		/* keys only */
size_t		 hmap_count(const struct hmap *m);

void		*hmap_get(const struct hmap *m, const char *key);
/* Insert or replace; returns 0, or -1 on out of memory. */
int		 hmap_put(struct hmap *m, const char *key, void *value);
/* Remove; returns the value that was there, or NULL. */
void		*hmap_del(struct hmap *m, const char *key);

/*
 * Iterate: size_t it = 0; while (hmap_next(m, &it, &k, &v)) ...
 * The map must not change during the walk, except by hmap_del of the
 * current key, after which the walk continues correctly only if it
 * restarts (it = 0). Collect keys first when deleting many.
 */
int		 hmap_next(const struct hmap *m, size_t *it, const char **key,
		    void **value);

#endif
