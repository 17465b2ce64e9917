/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A process's timeline, threads and resource profiles, as snapshot_reader.c reads the rest. */
#ifndef MEMTRACE_SNAPSHOT_TIMELINE_H
#define MEMTRACE_SNAPSHOT_TIMELINE_H

#include "compare/snapshot_fields.h"
#include "compare/snapshot_reader.h"

/* processes[i].timeline, .threads and .resources of v into p; 0, -EINVAL (said in r) or -ENOMEM. */
int snapshot_timeline__read(const struct field_reader *r, json_t *v, size_t i,
			    struct snap_process *p);
void snapshot_timeline__release(struct snap_process *p);

#endif /* MEMTRACE_SNAPSHOT_TIMELINE_H */
