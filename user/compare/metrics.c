// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "compare/metrics.h"

static const char *const names[METRIC_COUNT] = {
	[METRIC_CURRENT_BYTES] = "current_bytes",
	[METRIC_PEAK_BYTES] = "peak_bytes",
	[METRIC_ALLOCS] = "allocs",
	[METRIC_FREES] = "frees",
	[METRIC_REALLOCS] = "reallocs",
	[METRIC_FAILED_ALLOCS] = "failed_allocs",
	[METRIC_ALLOCATED_BYTES] = "allocated_bytes",
	[METRIC_FREED_BYTES] = "freed_bytes",
	[METRIC_UNKNOWN_FREES] = "unknown_frees",
	[METRIC_LOST_EVENTS] = "lost_events",
	[METRIC_LEAK_BYTES] = "leak_bytes",
	[METRIC_LEAK_COUNT] = "leak_count",
	[METRIC_LEAK_SITES] = "leak_sites",
	[METRIC_GROWING_SITES] = "growing_sites",
	[METRIC_NEW_LEAK_SITES] = "new_leak_sites",
};

const char *metric__name(enum metric m)
{
	return names[m];
}

int metric__lookup(const char *name, size_t len)
{
	for (int m = 0; m < METRIC_COUNT; m++)
		if (strlen(names[m]) == len && !memcmp(names[m], name, len))
			return m;
	return -ENOENT;
}

bool metric__is_bytes(enum metric m)
{
	switch (m) {
	case METRIC_CURRENT_BYTES:
	case METRIC_PEAK_BYTES:
	case METRIC_ALLOCATED_BYTES:
	case METRIC_FREED_BYTES:
	case METRIC_LEAK_BYTES:
		return true;
	default:
		return false;
	}
}

static uint64_t counter(enum metric m, const struct mt_counters *c)
{
	switch (m) {
	case METRIC_CURRENT_BYTES:
		return c->current_bytes;
	case METRIC_PEAK_BYTES:
		return c->peak_bytes;
	case METRIC_ALLOCS:
		return c->allocs;
	case METRIC_FREES:
		return c->frees;
	case METRIC_REALLOCS:
		return c->reallocs;
	case METRIC_FAILED_ALLOCS:
		return c->failed_allocs;
	case METRIC_ALLOCATED_BYTES:
		return c->allocated_bytes;
	case METRIC_FREED_BYTES:
		return c->freed_bytes;
	default:
		return c->unknown_frees;
	}
}

/* The first site of process proc, by bisection: a merged job may have thousands of processes. */
static size_t first_site(const struct site_set *sites, size_t proc)
{
	size_t lo = 0, hi = sites->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sites->sites[mid].process < proc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t site_sum(enum metric m, const struct site_set *sites, size_t proc)
{
	uint64_t sum = 0;

	for (size_t i = proc == METRIC_TOTALS ? 0 : first_site(sites, proc); i < sites->n; i++) {
		const struct site *site = &sites->sites[i];

		if (proc != METRIC_TOTALS && site->process != proc)
			break;
		if (m == METRIC_LEAK_BYTES)
			sum += site->bytes;
		else if (m == METRIC_LEAK_COUNT)
			sum += site->count;
		else if (m == METRIC_LEAK_SITES)
			sum++;
		else if (m == METRIC_GROWING_SITES)
			sum += site->growing;
	}
	return sum;
}

uint64_t metric__value(enum metric m, const struct snapshot *s, const struct site_set *sites,
		       size_t proc)
{
	switch (m) {
	case METRIC_LOST_EVENTS:
		return s->lost_events;
	case METRIC_LEAK_BYTES:
	case METRIC_LEAK_COUNT:
	case METRIC_LEAK_SITES:
	case METRIC_GROWING_SITES:
		return site_sum(m, sites, proc);
	case METRIC_NEW_LEAK_SITES:
		return 0;
	default:
		return counter(m, proc == METRIC_TOTALS ? &s->totals : &s->procs[proc].c);
	}
}
