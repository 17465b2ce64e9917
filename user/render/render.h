/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The formats other tools open, made from snapshots as the reader gives them
 * (snapshot_reader.h): memtrace report renders saved snapshots, and the
 * tracer its final snapshot, parsed back, so both say the same numbers.
 */
#ifndef MEMTRACE_RENDER_H
#define MEMTRACE_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "compare/snapshot_reader.h"
#include "render/folded.h"

enum render_format {
	RENDER_PPROF,	/* pprof.h */
	RENDER_FOLDED,	/* folded.h */
	RENDER_TRACE,	/* trace.h */
	RENDER_HTML,	/* html.h */
};

/* "pprof", "folded", "trace" or "html"; -EINVAL otherwise. */
int render__parse_format(const char *arg, enum render_format *out);
/*
 * What an error message says is written: "pprof profile", "folded stacks", "trace",
 * "HTML report".
 */
const char *render__format_what(enum render_format format);
/* snaps in format to out; a negative errno when they cannot be made or written. */
int render__write(enum render_format format, enum folded_value value,
		  const struct snapshot *snaps, size_t nr, FILE *out);

#endif /* MEMTRACE_RENDER_H */
