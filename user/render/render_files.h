/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracer's --pprof, --folded and --trace files. They are opened when memtrace
 * starts, so that an unwritable path fails before any tracing, and written
 * at the end from the final snapshot itself: written to memory, parsed back
 * with the snapshot reader and rendered as memtrace report would render the
 * -o file. One path for the numbers, whichever way a profile is made.
 */
#ifndef MEMTRACE_RENDER_FILES_H
#define MEMTRACE_RENDER_FILES_H

#include <stddef.h>

#include "account/run_summary.h"
#include "output/output_file.h"
#include "render/render.h"
#include "util/config.h"

struct render_files {
	struct output_file files[4];	/* --pprof, --folded, --trace, --html */
	enum render_format formats[4];
	size_t n;
	enum folded_value folded_value;
};

/*
 * Opens cfg's --pprof, --folded, --trace and --html files; prints a one-line error, returns a
 * negative errno.
 */
int render_files__open(struct render_files *r, const struct mt_config *cfg);
/* Renders the final snapshot of sum into each; failures are said; the first is returned. */
int render_files__write(struct render_files *r, const struct run_summary *sum);
/* Drops what was not committed. NULL-safe on a zeroed struct. */
void render_files__release(struct render_files *r);

#endif /* MEMTRACE_RENDER_FILES_H */
