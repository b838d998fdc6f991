/*
 * hmap: see hmap.h. Load factor kept at or below 1/2; the slot array
 * doubles when it would be exceeded and never shrinks (maps here grow to
 * a working size and stay there).
 */
#include "config.h"
#include "core/hmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct slot {
	char	*key;		/* NULL = empty */
	uint64_t hash;
	void	*value;
};

struct hmap {
	struct slot	*slots;
	size_t		 cap;	/* power of two */
	size_t		 n;
};

static uint64_t hmap_seed;

static uint64_t
hmap_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL ^ hmap_seed;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	/* final avalanche (splitmix64) so low bits depend on every byte */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

struct hmap *
hmap_new(void)
{
	struct hmap *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if (hmap_seed == 0 &&
	    getrandom(&hmap_seed, sizeof(hmap_seed), 0) != sizeof(hmap_seed))
		hmap_seed = (uint64_t)(uintptr_t)m ^ 0x9e3779b97f4a7c15ULL;
	m->cap = 16;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (m->slots == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
hmap_free(struct hmap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

size_t
hmap_count(const struct hmap *m)
{
	return m->n;
}

static size_t
hmap_find(const struct hmap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1, i = h & mask;

	while (m->slots[i].key != NULL) {
		if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
			return i;
		i = (i + 1) & mask;
	}
	return i;	/* the empty slot where it would go */
}

void *
hmap_get(const struct hmap *m, const char *key)
{
	size_t i = hmap_find(m, key, hmap_hash(key));

	return m->slots[i].key ? m->slots[i].value : NULL;
}

static int
hmap_grow(struct hmap *m)
{
	size_t cap = m->cap * 2;
	struct slot *s = calloc(cap, sizeof(*s));

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		size_t j = m->slots[i].hash & (cap - 1);
		while (s[j].key != NULL)
			j = (j + 1) & (cap - 1);
		s[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = s;
	m->cap = cap;
	return 0;
}

int
hmap_put(struct hmap *m, const char *key, void *value)
{
	uint64_t h = hmap_hash(key);
	size_t i = hmap_find(m, key, h);

	if (m->slots[i].key != NULL) {
		m->slots[i].value = value;
		return 0;
	}
	if ((m->n + 1) * 2 > m->cap) {
		if (hmap_grow(m) != 0)
			return -1;
		i = hmap_find(m, key, h);
	}
	m->slots[i].key = strdup(key);
	if (m->slots[i].key == NULL)
		return -1;
	m->slots[i].hash = h;
	m->slots[i].value = value;
	m->n++;
	return 0;
}

void *
hmap_del(struct hmap *m, const char *key)
{
	size_t mask = m->cap - 1, i = hmap_find(m, key, hmap_hash(key)), j;
	void *value;

	if (m->slots[i].key == NULL)
		return NULL;
	value = m->slots[i].value;
	free(m->slots[i].key);
	m->slots[i].key = NULL;
	m->n--;
	/* Backward shift: pull later members of the run into the hole. */
	for (j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;
		/* move j to i if its home is not in (i, j] cyclically */
		int between = i <= j ? (home > i && home <= j) :
		    (home > i || home <= j);
		if (!between) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return value;
}

int
hmap_next(const struct hmap *m, size_t *it, const char **key, void **value)
{
	while (*it < m->cap) {
		size_t i = (*it)++;
		if (m->slots[i].key != NULL) {
			*key = m->slots[i].key;
			*value = m->slots[i].value;
			return 1;
		}
	}
	return 0;
}
