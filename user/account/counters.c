// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/counters.h"
#include "util/json_writer.h"

void counters__write_json(const struct mt_counters *c, struct json_writer *w)
{
	json_writer__kv_u64(w, "current_bytes", c->current_bytes);
	json_writer__kv_u64(w, "peak_bytes", c->peak_bytes);
	json_writer__kv_u64(w, "allocs", c->allocs);
	json_writer__kv_u64(w, "frees", c->frees);
	json_writer__kv_u64(w, "reallocs", c->reallocs);
	json_writer__kv_u64(w, "failed_allocs", c->failed_allocs);
	json_writer__kv_u64(w, "allocated_bytes", c->allocated_bytes);
	json_writer__kv_u64(w, "freed_bytes", c->freed_bytes);
	json_writer__kv_u64(w, "unknown_frees", c->unknown_frees);
}

void counters__add(struct mt_counters *sum, const struct mt_counters *c)
{
	sum->current_bytes += c->current_bytes;
	sum->peak_bytes += c->peak_bytes;
	sum->allocs += c->allocs;
	sum->frees += c->frees;
	sum->reallocs += c->reallocs;
	sum->failed_allocs += c->failed_allocs;
	sum->allocated_bytes += c->allocated_bytes;
	sum->freed_bytes += c->freed_bytes;
	sum->unknown_frees += c->unknown_frees;
}
