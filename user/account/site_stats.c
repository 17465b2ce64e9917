// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "account/site_stats.h"

/* stack index 0 ("no stack") is a site too: keyed apart from the empty id; the tag above */
static uint64_t site_key(uint32_t stack, uint8_t tag)
{
	return ((uint64_t)tag << 33) | ((uint64_t)stack + 1);
}

const struct site_entry *site_stats__find_tagged(const struct site_stats *s, uint32_t stack,
						 uint8_t tag)
{
	int64_t idx = id_map__get(&s->index, site_key(stack, tag));

	return idx < 0 ? NULL : &s->entries[idx];
}

const struct site_entry *site_stats__find(const struct site_stats *s, uint32_t stack)
{
	return site_stats__find_tagged(s, stack, 0);
}

struct site_entry *site_stats__entry_tagged(struct site_stats *s, uint32_t stack, uint8_t tag)
{
	int64_t idx = id_map__get(&s->index, site_key(stack, tag));

	if (idx >= 0)
		return &s->entries[idx];
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 16;
		struct site_entry *grown = realloc(s->entries, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		s->entries = grown;
		s->cap = cap;
	}
	if (id_map__put(&s->index, site_key(stack, tag), s->n))
		return NULL;
	s->entries[s->n] = (struct site_entry){ .stack = stack,
						.tag = tag,
						.freed = FREED_LIFETIMES_INIT };
	return &s->entries[s->n++];
}

struct site_entry *site_stats__entry(struct site_stats *s, uint32_t stack)
{
	return site_stats__entry_tagged(s, stack, 0);
}

void site_stats__begin_sample(struct site_stats *s, double t, uint64_t steps)
{
	growth_clock__tick(&s->clock, t, steps);
}

int site_stats__sample(struct site_stats *s, uint32_t stack, uint64_t live_bytes)
{
	struct site_entry *e = site_stats__entry(s, stack);

	if (!e)
		return -ENOMEM;
	return growth__add(&e->growth, &s->clock, live_bytes);
}

void site_stats__release(struct site_stats *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		growth__release(&s->entries[i].growth);
	free(s->entries);
	id_map__release(&s->index);
	*s = (struct site_stats){};
}
