/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace merge: the snapshots of one distributed job's ranks as one
 * memtrace.snapshot.v1 snapshot, so that one diff or check covers the job.
 * Processes stay apart: each is labelled "source": "FILE@HOST"; a PID that
 * an earlier input already used is renumbered past every input's PIDs
 * ("original_pid" keeps it), its leaks with it. Counters are summed (the
 * peaks of separate processes: an upper bound of the job's), and
 * "merged_from" lists the inputs. README.md, "Merging ranks", has every field.
 */
#ifndef MEMTRACE_MERGE_H
#define MEMTRACE_MERGE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

struct merge_input {
	const char *path;	/* as given: its file name labels its processes */
	json_t *root;		/* a snapshot the reader accepted; merge__write changes it */
};

/*
 * 0, -ENOMEM, the JSON writer's -EIO / -EINVAL, or -EOVERFLOW when a sum
 * would pass 2^63-1 (or a renumbered PID 2^32-1): nothing is written then,
 * and why says which field ("totals.allocated_bytes: the sum over the inputs
 * is past 2^63-1 (9223372036854775807)").
 */
int merge__write(struct merge_input *in, size_t n, FILE *out, char *why, size_t why_len);

#endif /* MEMTRACE_MERGE_H */
