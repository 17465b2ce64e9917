// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "account/exit_sites.h"
#include "util/id_map.h"

/* stack 0 ("no stack") is a site too: keys are stack + 1, the allocator above */
static uint64_t site_key(uint32_t stack, uint8_t allocator)
{
	return ((uint64_t)allocator << 56) | ((uint64_t)stack + 1);
}

/* The site of (stack, allocator), made if new; its index or -ENOMEM. */
static int64_t site_of(struct exit_sites *s, struct id_map *index, size_t *cap, uint32_t stack,
		       uint8_t allocator)
{
	int64_t idx = id_map__get(index, site_key(stack, allocator));

	if (idx >= 0)
		return idx;
	if (s->n == *cap) {
		size_t grown_cap = *cap ? 2 * *cap : 8;
		struct exit_site *grown = realloc(s->sites, grown_cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->sites = grown;
		*cap = grown_cap;
	}
	if (id_map__put(index, site_key(stack, allocator), (uint32_t)s->n))
		return -ENOMEM;
	s->sites[s->n] = (struct exit_site){ .stack = stack, .allocator = allocator,
					     .thread = SITE_THREAD_NONE, .oldest_ns = UINT64_MAX };
	return (int64_t)s->n++;
}

int exit_sites__add_table(struct exit_sites *s, const struct alloc_table *table, uint64_t end_ns,
			  uint64_t min_age_ns, uint64_t sample_bytes)
{
	struct id_map index = {};
	size_t cap = s->n;
	int err = 0;

	for (size_t i = 0; i < s->n && !err; i++)
		err = id_map__put(&index, site_key(s->sites[i].stack, s->sites[i].allocator),
				  (uint32_t)i);
	alloc_table__for_each(table, b) {
		uint64_t age = end_ns > b->ts_ns ? end_ns - b->ts_ns : 0;
		double weight = sample_weight__of(b->size, sample_bytes);
		struct exit_site *site;
		int64_t idx;

		s->blocks++;
		/* not sampled: its sampled neighbours stand for it */
		if (sample_bytes && !b->stack)
			continue;
		idx = err ? -1 : site_of(s, &index, &cap, b->stack, b->allocator);
		if (idx < 0) {
			err = -ENOMEM;
			break;
		}
		site = &s->sites[idx];
		weighted_sum__add(&site->all, b->size, weight);
		site->estimated |= weight > 1.0;
		site->thread = site_thread__merge(site->thread, b->thread);
		if (b->ts_ns < site->oldest_ns)
			site->oldest_ns = b->ts_ns;
		site->ages[lifetime_histogram__bucket(age)]++;
		if (age >= min_age_ns)
			weighted_sum__add(&site->old, b->size, weight);
	}
	id_map__release(&index);
	return err;
}

void exit_sites__release(struct exit_sites *s)
{
	free(s->sites);
	*s = (struct exit_sites){};
}
