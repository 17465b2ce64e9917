/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace diff BASE NEW and memtrace check SNAP: read snapshots, apply the
 * rules, report. Exit status 0 within bounds, 1 when a rule is broken, 2
 * for bad usage or input (cli_compare.c parses the command line).
 */
#ifndef MEMTRACE_COMPARE_CMD_H
#define MEMTRACE_COMPARE_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "compare/diff.h"
#include "compare/rules.h"

enum diff_format {
	DIFF_FORMAT_TEXT,
	DIFF_FORMAT_JSON,
	DIFF_FORMAT_MARKDOWN,
	DIFF_FORMAT_HTML,
};

/*
 * --format html: the page is the render stage's (render/html.h), which
 * comes after this one: the command line hands its writer in.
 */
typedef int (*diff_html_writer)(const struct diff *d, FILE *out);

struct compare_config {
	const char *base;		/* diff: the base snapshot; check: NULL */
	const char *snap;		/* diff: the new snapshot; check: the one checked */
	struct rule_set rules;		/* --fail-on and --rules, in order */
	enum diff_format format;	/* diff only */
	diff_html_writer write_html;	/* diff --format html */
	const char *output;		/* diff -o: the file written instead of stdout */
	unsigned int depth;		/* frames in a site key, 0: all */
	unsigned int top;		/* diff: changed sites listed, 0: all */
	uint64_t max_input;		/* --max-input: bytes a snapshot may have */
};

/* argv[0] is the subcommand's name. Bad usage exits with status 2 (argp). */
void cli_compare__parse_diff(int argc, char **argv, struct compare_config *cfg);
void cli_compare__parse_check(int argc, char **argv, struct compare_config *cfg);

/* The exit status. */
int compare__diff(const struct compare_config *cfg);
int compare__check(const struct compare_config *cfg);

#endif /* MEMTRACE_COMPARE_CMD_H */
