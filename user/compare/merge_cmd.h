/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace merge A.json B.json ... [-o ALL.json]: checks each input with
 * the snapshot reader, merges them (merge.h) and writes the result whole or
 * not at all. Exit status 0, or 2 for bad usage, input or output.
 */
#ifndef MEMTRACE_MERGE_CMD_H
#define MEMTRACE_MERGE_CMD_H

#include <stddef.h>
#include <stdint.h>

struct merge_config {
	char **inputs;		/* in argv */
	size_t nr_inputs;
	const char *output;	/* -o; NULL: stdout */
	uint64_t max_input;	/* --max-input: bytes an input may have */
};

/* argv[0] is "merge". Bad usage exits with status 2 (argp). */
void cli_merge__parse(int argc, char **argv, struct merge_config *cfg);
/* The exit status. */
int merge_cmd__run(const struct merge_config *cfg);

#endif /* MEMTRACE_MERGE_CMD_H */
