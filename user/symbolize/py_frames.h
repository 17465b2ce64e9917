/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A stack record with Python frames made into the stack a person reads
 * (issue 15; notes/issue15-design.md sec. 6). The kernel sends native pcs
 * first, then Python words (include/memtrace/python.h), leaf first. At
 * ingest, while the process lives, each word's code object is read
 * (py_proc.h) and the frame interned (py_frame_table.h); then the Python
 * frames take the place of the eval loop's native frames, in call order.
 */
#ifndef MEMTRACE_PY_FRAMES_H
#define MEMTRACE_PY_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>
#include <memtrace/python.h>

#include "symbolize/proc_maps.h"
#include "symbolize/py_frame_table.h"
#include "util/python_mode.h"

struct py_proc;

/* A stack table frame that is a Python one: MT_PY_FRAME | its py_frame_table index */
static inline bool py_frames__is_python(uint64_t frame)
{
	return frame & MT_PY_FRAME;
}

static inline uint64_t py_frames__index(uint64_t frame)
{
	return frame & ~(MT_PY_FRAME | MT_PY_ACTIVATION_END);
}

/* What the merge knows of a native frame */
enum py_native_flags {
	PY_NATIVE_EVAL = 1,	/* in _PyEval_EvalFrameDefault (or its .cold part) */
	PY_NATIVE_INTERP = 2,	/* in the interpreter module: call glue between Python frames */
};

/*
 * Merges native[0..nr_native) (pcs, leaf first, flags[i] their
 * py_native_flags) with py[0..nr_py) (MT_PY_FRAME | table index, with
 * MT_PY_ACTIVATION_END on the outermost frame of each activation, leaf
 * first) by mode (MT_PYTHON_MIXED or MT_PYTHON_ONLY) into out, which has
 * room for nr_native + nr_py. Each eval frame, leaf first, takes the next
 * activation's frames. Activations no eval frame took are appended at the
 * outer end (*approximate set); eval frames with none left are dropped.
 * Python frames in out carry no MT_PY_ACTIVATION_END. Returns the number
 * of frames in out. A stack with no Python frame comes out as it was.
 */
size_t py_frames__merge(const uint64_t *native, const uint8_t *flags, size_t nr_native,
			const uint64_t *py, size_t nr_py, enum mt_python_mode mode, uint64_t *out,
			bool *approximate);

/* Whether frames[0..nr) hold Python words (bit 63): a stack that needs py_frames__resolve. */
bool py_frames__has_words(const uint64_t *frames, size_t nr);

/*
 * Resolves the Python words of process pid's stack frames[0..*nr) and
 * merges them by mode, in place: *nr becomes the merged count (never
 * more). *proc is the process's Python state, made at the first call
 * (py_proc.h; maps are the process's, to find its interpreter). A frame
 * whose code cannot be read shows PY_FRAME_UNKNOWN_CODE, counted in
 * table->stats. 0, or -ENOMEM.
 */
int py_frames__resolve(struct py_frame_table *table, enum mt_python_mode mode,
		       struct py_proc **proc, pid_t pid, const struct proc_maps *maps,
		       uint64_t *frames, uint16_t *nr);

#endif /* MEMTRACE_PY_FRAMES_H */
