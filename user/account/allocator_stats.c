// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/allocator_stats.h"
#include "attach/allocator_funcs.h"
#include "util/json_writer.h"
#include "util/units.h"

static bool used(const struct allocator_counts *c)
{
	return c->calls || c->live_blocks;
}

void allocator_stats__add(struct allocator_stats *into, const struct allocator_stats *from)
{
	for (int i = 0; i < MT_ALLOC_COUNT; i++) {
		into->a[i].calls += from->a[i].calls;
		into->a[i].alloc_bytes += from->a[i].alloc_bytes;
		into->a[i].live_bytes += from->a[i].live_bytes;
		into->a[i].live_blocks += from->a[i].live_blocks;
	}
}

void allocator_stats__write_json(const struct allocator_stats *s, struct json_writer *w)
{
	json_writer__key(w, "allocators");
	json_writer__begin_array(w);
	for (int i = 0; i < MT_ALLOC_COUNT; i++) {
		const struct allocator_counts *c = &s->a[i];

		if (!used(c))
			continue;
		json_writer__begin_object(w);
		json_writer__kv_string(w, "name", allocator_funcs__name(i));
		json_writer__kv_u64(w, "calls", c->calls);
		json_writer__kv_u64(w, "alloc_bytes", c->alloc_bytes);
		json_writer__kv_u64(w, "live_bytes", c->live_bytes);
		json_writer__kv_u64(w, "live_blocks", c->live_blocks);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

void allocator_stats__write_text(const struct allocator_stats *s, const char *indent, FILE *out)
{
	char alloc[UNITS_BUF], live[UNITS_BUF];

	for (int i = 0; i < MT_ALLOC_COUNT; i++) {
		const struct allocator_counts *c = &s->a[i];

		if (!used(c))
			continue;
		fprintf(out, "%s%-9s %llu calls, %s allocated, %s live in %llu blocks\n", indent,
			allocator_funcs__name(i), (unsigned long long)c->calls,
			units__bytes(c->alloc_bytes, alloc), units__bytes(c->live_bytes, live),
			(unsigned long long)c->live_blocks);
	}
}
