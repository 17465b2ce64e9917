// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/str_map.h"

/* FNV-1a: keys are short, and the table needs only a good spread */
static uint64_t hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static struct str_map_slot *find(struct str_map_slot *slots, size_t cap, const void *key,
				 size_t len, uint64_t h)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		struct str_map_slot *s = &slots[i];

		if (!s->key || (s->hash == h && s->len == len && !memcmp(s->key, key, len)))
			return s;
	}
}

/* Kept at most half full: probes stay short. */
static int grow(struct str_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct str_map_slot *slots;

	if (cap > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*find(slots, cap, m->slots[i].key, m->slots[i].len, m->slots[i].hash) =
				m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int64_t str_map__intern(struct str_map *m, const void *key, size_t len, bool *added)
{
	uint64_t h = hash_bytes(key, len);
	struct str_map_slot *s;
	char *copy;
	int err;

	if (added)
		*added = false;
	if ((m->n + 1) * 2 > m->cap) {
		err = grow(m);
		if (err)
			return err;
	}
	s = find(m->slots, m->cap, key, len, h);
	if (s->key)
		return s->index;
	if (m->n >= UINT32_MAX)
		return -EOVERFLOW;
	err = ARRAY_RESERVE(&m->keys, &m->keys_cap, m->n + 1);
	if (err)
		return err;
	/* a NUL after the bytes: a key that is a string reads as one */
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, key, len);
	copy[len] = '\0';
	*s = (struct str_map_slot){ .key = copy, .len = len, .hash = h, .index = (uint32_t)m->n };
	m->keys[m->n] = (struct str_map_key){ copy, len };
	m->n++;
	if (added)
		*added = true;
	return s->index;
}

void str_map__release(struct str_map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free((char *)m->keys[i].key);
	free(m->keys);
	free(m->slots);
	*m = (struct str_map){};
}
