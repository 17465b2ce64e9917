// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compare/site_key.h"
#include "compare/site_set.h"

static int by_process_key(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	if (x->process != y->process)
		return x->process < y->process ? -1 : 1;
	return strcmp(x->key, y->key);
}

int site_set__build(struct site_set *set, const struct snapshot *s, unsigned int depth)
{
	struct site *sites = calloc(s->nr_leaks ? s->nr_leaks : 1, sizeof(*sites));
	size_t n = 0;

	*set = (struct site_set){};
	if (!sites)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_leaks; i++) {
		const struct snap_leak *leak = &s->leaks[i];

		sites[i] = (struct site){
			.key = site_key__build(leak, depth),
			.process = leak->process,
			.allocator = leak->allocator ? leak->allocator : "libc",
			.bytes = leak->bytes,
			.count = leak->count,
			.growing = leak->growing,
			.shown = leak,
		};
		if (!sites[i].key) {
			set->sites = sites;
			set->n = i;
			site_set__release(set);
			return -ENOMEM;
		}
	}
	qsort(sites, s->nr_leaks, sizeof(*sites), by_process_key);
	/* fold each run of equal (process, key) into its first */
	for (size_t i = 0; i < s->nr_leaks; i++) {
		struct site *last = n ? &sites[n - 1] : NULL;

		if (last && !by_process_key(last, &sites[i])) {
			last->bytes += sites[i].bytes;
			last->count += sites[i].count;
			last->growing |= sites[i].growing;
			if (sites[i].shown->bytes > last->shown->bytes)
				last->shown = sites[i].shown;
			free(sites[i].key);
			continue;
		}
		sites[n++] = sites[i];
	}
	set->sites = sites;
	set->n = n;
	return 0;
}

void site_set__release(struct site_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->sites[i].key);
	free(set->sites);
	*set = (struct site_set){};
}
