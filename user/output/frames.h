/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A stack's frames as the outputs write them: lines of text in the report,
 * an array of objects in the snapshot. The report, the snapshot and their
 * GPU sections all name and write frames through here, so none of them
 * needs another.
 */
#ifndef MEMTRACE_FRAMES_H
#define MEMTRACE_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "account/run_summary.h"
#include "util/json_writer.h"

/* A name a program chose, made safe for a terminal (text_escape.h); "?" for none. */
const char *frames__printable(const char *name, char *buf, size_t len);
/* How a person names a frame: "train_step (model.c:42)", else the function or the address. */
const char *frames__name(const struct leak_frame *frame, char *buf, size_t len);
/* The name of a stack of process p by its leaf frame; "(stack lost)" and such without one. */
const char *frames__leaf_name(const struct run_summary *s, const struct mt_process *p,
			      uint32_t stack, char *buf, size_t len);
/* One indented line a frame: "    f+0x1a (f.c:3)  (module)". */
void frames__write_text(const struct leak_frame *frames, size_t n, FILE *out);
/* The array of frame objects of the snapshot's "stack" keys. */
void frames__write_json(const struct leak_frame *frames, size_t n, struct json_writer *w);

#endif /* MEMTRACE_FRAMES_H */
