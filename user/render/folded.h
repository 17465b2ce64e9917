/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Snapshots as folded stacks, for flamegraph.pl, inferno and speedscope: one
 * line "root;caller;...;leaf VALUE" per distinct stack, the sites that share
 * it summed (over processes and snapshots too), sorted by stack. Frames are
 * named as site_names.h says; a GPU site's stack starts with a frame
 * "[ALLOCATOR]" ("[cuda.device]"), so GPU memory is never summed with host
 * memory; a site without frames is "[no stack]". A ';' in a name becomes ':'
 * and a control character '?', so that every line parses back.
 */
#ifndef MEMTRACE_FOLDED_H
#define MEMTRACE_FOLDED_H

#include <stddef.h>
#include <stdio.h>

#include "compare/snapshot_reader.h"

enum folded_value {
	FOLDED_BYTES,		/* live bytes (the default) */
	FOLDED_BLOCKS,		/* live blocks */
	FOLDED_ALLOCATED,	/* bytes allocated since tracing began, freed sites' too */
	FOLDED_COUNT,		/* allocations since tracing began, freed sites' too */
};

/* --folded-value: "bytes", "blocks", "allocated" or "count"; -EINVAL otherwise. */
int folded__parse_value(const char *arg, enum folded_value *out);
#define FOLDED_VALUE_USAGE                                                              \
	"invalid --folded-value '%s': bytes (live bytes), blocks (live blocks), allocated " \
	"(bytes allocated) or count (allocations)"

/* The lines to out; a negative errno when they cannot be made or written. */
int folded__write(const struct snapshot *snaps, size_t nr, enum folded_value value, FILE *out);

#endif /* MEMTRACE_FOLDED_H */
