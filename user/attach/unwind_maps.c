// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attach/unwind_maps.h"
#include "util/array.h"

/* Removes entry i, handing its owner back. */
static void remove_at(struct unwind_maps *m, size_t i, unwind_maps_drop_fn drop, void *ctx)
{
	if (drop)
		drop(m->owners[i], ctx);
	memmove(&m->maps[i], &m->maps[i + 1], (m->n - i - 1) * sizeof(*m->maps));
	memmove(&m->owners[i], &m->owners[i + 1], (m->n - i - 1) * sizeof(*m->owners));
	m->n--;
}

int unwind_maps__put(struct unwind_maps *m, const struct mt_unwind_mapping *e, void *owner,
		     unwind_maps_drop_fn drop, void *ctx)
{
	size_t i, kept = 0;

	for (i = 0; i < m->n; i++)
		kept += m->maps[i].end <= e->start || m->maps[i].start >= e->end;
	if (kept + 1 > MT_UNWIND_MAX_MAPPINGS)
		return -E2BIG;
	if (ARRAY_RESERVE(&m->maps, &m->cap, m->n + 1) ||
	    ARRAY_RESERVE(&m->owners, &m->owners_cap, m->n + 1))
		return -ENOMEM;
	for (i = 0; i < m->n;) {
		if (m->maps[i].end <= e->start || m->maps[i].start >= e->end)
			i++;
		else
			remove_at(m, i, drop, ctx);
	}
	for (i = 0; i < m->n && m->maps[i].start < e->start; i++)
		;
	memmove(&m->maps[i + 1], &m->maps[i], (m->n - i) * sizeof(*m->maps));
	memmove(&m->owners[i + 1], &m->owners[i], (m->n - i) * sizeof(*m->owners));
	m->maps[i] = *e;
	m->owners[i] = owner;
	m->n++;
	return 0;
}

void unwind_maps__to_proc(const struct unwind_maps *m, struct mt_unwind_proc *out)
{
	out->nr = m->n;
	out->pad = 0;
	memcpy(out->maps, m->maps, m->n * sizeof(*m->maps));
	memset(&out->maps[m->n], 0, (MT_UNWIND_MAX_MAPPINGS - m->n) * sizeof(*m->maps));
}

void unwind_maps__release(struct unwind_maps *m, unwind_maps_drop_fn drop, void *ctx)
{
	for (size_t i = 0; drop && i < m->n; i++)
		drop(m->owners[i], ctx);
	free(m->maps);
	free(m->owners);
	memset(m, 0, sizeof(*m));
}
