/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The allocation counters kept for the whole run, each process and each thread. */
#ifndef MEMTRACE_COUNTERS_H
#define MEMTRACE_COUNTERS_H

#include <stdint.h>

struct json_writer;

struct mt_counters {
	uint64_t current_bytes;
	uint64_t peak_bytes;
	uint64_t allocs;
	uint64_t frees;
	uint64_t reallocs;
	uint64_t failed_allocs;
	uint64_t allocated_bytes;
	uint64_t freed_bytes;
	uint64_t unknown_frees;
};

/* Inline: three sets of counters change on every allocator call. */
static inline void counters__alloc(struct mt_counters *c, uint64_t size)
{
	c->allocs++;
	c->allocated_bytes += size;
	c->current_bytes += size;
	if (c->current_bytes > c->peak_bytes)
		c->peak_bytes = c->current_bytes;
}

static inline void counters__free(struct mt_counters *c, uint64_t size)
{
	c->frees++;
	c->freed_bytes += size;
	c->current_bytes -= size;
}

/* Adds c to sum, field by field (peak_bytes too: a sum of peaks, for whoever wants one). */
void counters__add(struct mt_counters *sum, const struct mt_counters *c);
/* Writes the counters as keys of the object being written. */
void counters__write_json(const struct mt_counters *c, struct json_writer *w);

#endif /* MEMTRACE_COUNTERS_H */
