/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace report SNAP.json... --format pprof|folded|trace [-o OUT]: saved
 * snapshots in another tool's format (render.h). Several snapshots are all
 * rendered: their sites summed where they share a stack. Exit status 0, or 2
 * for bad usage, input or output, as diff, check and merge.
 */
#ifndef MEMTRACE_REPORT_CMD_H
#define MEMTRACE_REPORT_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "render/render.h"

struct report_config {
	char **inputs;		/* in argv */
	size_t nr_inputs;
	const char *output;	/* -o; NULL: stdout */
	enum render_format format;
	bool format_set;	/* --format is required: no format is the obvious one */
	enum folded_value folded_value;
	uint64_t max_input;	/* --max-input: bytes an input may have */
};

/* argv[0] is "report". Bad usage exits with status 2 (argp). */
void cli_report__parse(int argc, char **argv, struct report_config *cfg);
/* The exit status. */
int report_cmd__run(const struct report_config *cfg);

#endif /* MEMTRACE_REPORT_CMD_H */
