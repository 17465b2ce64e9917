/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Snapshots as a pprof profile (profile.proto, gzip-compressed), for go tool
 * pprof, Pyroscope, Parca and Perfetto. Every leak site and freed site of
 * every snapshot is one sample: values alloc_objects and alloc_space (its
 * allocations and their bytes since tracing began), inuse_objects (its
 * live blocks) and inuse_space (its live bytes, the default); a freed site
 * has only the alloc_* values. Labels pid, comm, tid and thread (the one
 * thread that allocated the site's blocks; thread "several" otherwise),
 * allocator, and for GPU memory kind; pprof sums samples that share a
 * stack. Inlined frames are lines of one location; a module is a mapping
 * with its build id. Snapshots of memtrace before sites had totals give
 * the inuse_* values alone.
 */
#ifndef MEMTRACE_PPROF_H
#define MEMTRACE_PPROF_H

#include <stddef.h>
#include <stdio.h>

#include "compare/snapshot_reader.h"
#include "util/protobuf.h"

/* The profile, not compressed, into out (emptied first); -ENOMEM or -EOVERFLOW. */
int pprof__encode(const struct snapshot *snaps, size_t nr, struct pb_buf *out);
/* The profile, gzip-compressed, to out; a negative errno when it cannot be made or written. */
int pprof__write(const struct snapshot *snaps, size_t nr, FILE *out);

#endif /* MEMTRACE_PPROF_H */
