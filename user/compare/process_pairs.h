/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which process of one run is which process of another. PIDs differ from
 * run to run; names do not. Pairs are made in passes, each over the
 * processes still unpaired, in the order the snapshots list them:
 *
 *   1. same merge source label ("rank0.json@node1") and name;
 *   2. same source file, whatever the host (CI runners change);
 *   3. same name (comm);
 *   4. same executable file name.
 *
 * A name shared by several processes (ranks, workers) pairs them in order:
 * the first with the first. The rest are new or gone.
 */
#ifndef MEMTRACE_PROCESS_PAIRS_H
#define MEMTRACE_PROCESS_PAIRS_H

#include <stdbool.h>
#include <stddef.h>

#include "compare/snapshot_reader.h"

#define PROCESS_ABSENT SIZE_MAX

struct process_pair {
	size_t base;	/* index into the base snapshot's procs, or PROCESS_ABSENT (new) */
	size_t new;	/* into the new one's, or PROCESS_ABSENT (gone) */
};

/* comm, or the executable's file name when comm is empty */
const char *snap_process__name(const struct snap_process *p);
/* What a rule's PROCESS matches: comm or the executable's file name. */
bool snap_process__is(const struct snap_process *p, const char *name);
/* "train [rank0.json@node1] (pid 4242)" */
void snap_process__label(const struct snap_process *p, char *buf, size_t len);

/*
 * Pairs: the base's processes in order (paired or gone), then the new
 * processes left (new). 0 or -ENOMEM.
 */
int process_pairs__match(const struct snapshot *base, const struct snapshot *new,
			 struct process_pair **pairs, size_t *n);

#endif /* MEMTRACE_PROCESS_PAIRS_H */
