/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A file that appears whole or not at all: written to a temporary file in
 * the same directory, renamed over the target on commit. Opened when
 * memtrace starts, so an unwritable path fails before any tracing.
 */
#ifndef MEMTRACE_OUTPUT_FILE_H
#define MEMTRACE_OUTPUT_FILE_H

#include <stdio.h>

struct output_file {
	char *path;
	char *tmp_path;
	FILE *f;
};

/* Prints a one-line error and returns a negative errno when path is unwritable. */
int output_file__open(struct output_file *o, const char *path);
/* Flushes, syncs and renames into place; prints a one-line error on failure. */
int output_file__commit(struct output_file *o);
/* Removes the temporary file, if any. NULL-safe on a zeroed struct. */
void output_file__abort(struct output_file *o);

#endif /* MEMTRACE_OUTPUT_FILE_H */
