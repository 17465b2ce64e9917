/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Python frames of a run, each one once: {name, file, line}, by a
 * stable index. A stack keeps a Python frame as MT_PY_FRAME | index (the
 * kernel's word, with its code object address, is only seen at ingest:
 * py_frames.h), so that the name found while the process lived is what
 * the outputs show, whatever happens to the code object later.
 */
#ifndef MEMTRACE_PY_FRAME_TABLE_H
#define MEMTRACE_PY_FRAME_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/id_map.h"

struct py_frame_entry {
	char *symbol;		/* co_qualname (co_name on 3.10) */
	char *file;		/* co_filename; NULL when not known */
	uint32_t line;		/* 0 when not known */
};

/* What the resolution of Python frames could not do, for the outputs */
struct py_frame_stats {
	uint64_t unreadable_code;	/* frames whose code object could not be read */
	uint64_t approximate_stacks;	/* stacks whose Python frames did not all find their place */
	uint64_t no_interpreter;	/* stacks with Python frames in a process with no interpreter found */
};

struct py_frame_table {
	struct py_frame_entry *entries;
	size_t n, cap;
	/* a hash of the entry -> its index; a collision probes on with a rehash */
	struct id_map index;
	struct py_frame_stats stats;
};

/* symbol when the code object could not be read */
#define PY_FRAME_UNKNOWN_CODE "<unknown code>"

void py_frame_table__release(struct py_frame_table *t);
/* The index of {symbol, file (may be NULL), line}, added when new; -ENOMEM. */
int64_t py_frame_table__intern(struct py_frame_table *t, const char *symbol, const char *file,
			       uint32_t line);
/* The entry at index, or NULL for an index the table never gave. */
const struct py_frame_entry *py_frame_table__get(const struct py_frame_table *t, uint64_t index);

#endif /* MEMTRACE_PY_FRAME_TABLE_H */
