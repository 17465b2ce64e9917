// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/process_pairs.h"

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

const char *snap_process__name(const struct snap_process *p)
{
	if (p->comm && *p->comm)
		return p->comm;
	return p->exe ? base_name(p->exe) : "?";
}

bool snap_process__is(const struct snap_process *p, const char *name)
{
	return (p->comm && !strcmp(p->comm, name)) || (p->exe && !strcmp(base_name(p->exe), name));
}

void snap_process__label(const struct snap_process *p, char *buf, size_t len)
{
	if (p->source)
		snprintf(buf, len, "%s [%s] (pid %u)", snap_process__name(p), p->source, p->pid);
	else
		snprintf(buf, len, "%s (pid %u)", snap_process__name(p), p->pid);
}

/* "rank0.json@node1" without "@node1"; its length */
static size_t source_file_len(const char *source)
{
	const char *at = strrchr(source, '@');

	return at ? (size_t)(at - source) : strlen(source);
}

static bool same_in_pass(int pass, const struct snap_process *a, const struct snap_process *b)
{
	switch (pass) {
	case 0:
		return a->source && b->source && !strcmp(a->source, b->source) &&
		       !strcmp(snap_process__name(a), snap_process__name(b));
	case 1:
		return a->source && b->source && source_file_len(a->source) ==
		       source_file_len(b->source) && !memcmp(a->source, b->source,
							     source_file_len(a->source)) &&
		       !strcmp(snap_process__name(a), snap_process__name(b));
	case 2:
		return !strcmp(snap_process__name(a), snap_process__name(b));
	default:
		return a->exe && b->exe && !strcmp(base_name(a->exe), base_name(b->exe));
	}
}

int process_pairs__match(const struct snapshot *base, const struct snapshot *new,
			 struct process_pair **pairs, size_t *n)
{
	size_t *partner = malloc((base->nr_procs + 1) * sizeof(*partner));
	bool *taken = calloc(new->nr_procs + 1, sizeof(*taken));
	struct process_pair *out = NULL;
	size_t nr = 0;
	int err = -ENOMEM;

	if (!partner || !taken)
		goto cleanup;
	for (size_t i = 0; i < base->nr_procs; i++)
		partner[i] = PROCESS_ABSENT;
	for (int pass = 0; pass < 4; pass++) {
		for (size_t i = 0; i < base->nr_procs; i++) {
			const struct snap_process *b = &base->procs[i];

			for (size_t j = 0; partner[i] == PROCESS_ABSENT && j < new->nr_procs; j++) {
				if (taken[j] || !same_in_pass(pass, b, &new->procs[j]))
					continue;
				partner[i] = j;
				taken[j] = true;
			}
		}
	}
	out = calloc(base->nr_procs + new->nr_procs + 1, sizeof(*out));
	if (!out)
		goto cleanup;
	for (size_t i = 0; i < base->nr_procs; i++)
		out[nr++] = (struct process_pair){ i, partner[i] };
	for (size_t j = 0; j < new->nr_procs; j++)
		if (!taken[j])
			out[nr++] = (struct process_pair){ PROCESS_ABSENT, j };
	*pairs = out;
	*n = nr;
	err = 0;
cleanup:
	free(partner);
	free(taken);
	return err;
}
