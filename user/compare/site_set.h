/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A snapshot's leaks grouped into sites by (process, site key): leaks whose
 * stacks differ only past the key's depth, or in addresses, are one site.
 */
#ifndef MEMTRACE_SITE_SET_H
#define MEMTRACE_SITE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare/snapshot_reader.h"

struct site {
	char *key;			/* site_key.h */
	size_t process;			/* index into the snapshot's procs; SIZE_MAX: none */
	const char *allocator;
	uint64_t bytes;
	uint64_t count;
	bool growing;			/* one of its leaks is */
	const struct snap_leak *shown;	/* its largest leak: the frames a report shows */
};

struct site_set {
	struct site *sites;		/* by process, then key */
	size_t n;
};

/* 0 or -ENOMEM. depth: frames in a key (0: all). */
int site_set__build(struct site_set *set, const struct snapshot *s, unsigned int depth);
/* NULL-safe on a zeroed set */
void site_set__release(struct site_set *set);

#endif /* MEMTRACE_SITE_SET_H */
