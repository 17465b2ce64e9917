/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What changed from one snapshot to another (memtrace diff): processes
 * paired by name (process_pairs.h), leak sites matched by key within each
 * pair (site_key.h) and classified, leaks summed per allocator.
 */
#ifndef MEMTRACE_DIFF_H
#define MEMTRACE_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "compare/metrics.h"
#include "compare/process_pairs.h"
#include "compare/site_set.h"
#include "compare/snapshot_reader.h"

enum site_status {
	SITE_NEW,	/* no such site in the base */
	SITE_GONE,	/* none in the new snapshot */
	SITE_GROWN,	/* more bytes (or as many bytes in more blocks) */
	SITE_SHRUNK,
	SITE_SAME,
	SITE_STATUS_COUNT,
};

struct diff_site {
	const struct site *before;	/* NULL: new */
	const struct site *after;	/* NULL: gone */
	size_t pair;			/* into pairs; SIZE_MAX: leaks without a process */
	enum site_status status;
};

struct diff_allocator {
	const char *name;
	uint64_t before_bytes, before_count;
	uint64_t after_bytes, after_count;
};

struct diff {
	const struct snapshot *base, *new;
	unsigned int depth;			/* frames in a site key, 0: all */
	struct site_set base_sites, new_sites;
	struct process_pair *pairs;
	size_t nr_pairs;
	struct diff_site *sites;		/* the largest change in bytes first */
	size_t nr_sites;
	size_t by_status[SITE_STATUS_COUNT];
	size_t *new_by_pair;			/* SITE_NEW sites per pair */
	struct diff_allocator *allocators;	/* by name */
	size_t nr_allocators;
};

/* 0 or -ENOMEM. The snapshots must outlive d. */
int diff__compute(struct diff *d, const struct snapshot *base, const struct snapshot *new,
		  unsigned int depth);
void diff__release(struct diff *d);

const char *site_status__name(enum site_status s);
/* what its leaks held: bytes before and after (0 for the side it lacks) */
uint64_t diff_site__before(const struct diff_site *s);
uint64_t diff_site__after(const struct diff_site *s);
/* the site's key, and the leak whose frames show it: the new side's, else the base's */
const struct site *diff_site__site(const struct diff_site *s);

/*
 * m's value before and after for pair (an index into pairs) or
 * METRIC_TOTALS; 0 on the side the pair lacks.
 */
void diff__values(const struct diff *d, enum metric m, size_t pair, uint64_t *before,
		  uint64_t *after);
/* "train [rank0.json@node1] (pid 4242 -> 4250)", "(pid 77, gone)", "(pid 90, new)" */
void diff__pair_label(const struct diff *d, size_t pair, char *buf, size_t len);

#endif /* MEMTRACE_DIFF_H */
