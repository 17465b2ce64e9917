/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A traced process's Python state, for its stack records' Python words
 * (py_frames.h): its interpreter (py_target.h), found once, a process
 * without one remembered as such; where the eval loop and the interpreter
 * module are in it; and its code objects, read once each, checked again
 * when a new stack names them (an address freed and taken by another
 * code object: notes/issue15-design.md sec. 4).
 */
#ifndef MEMTRACE_PY_PROC_H
#define MEMTRACE_PY_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbolize/proc_maps.h"
#include "symbolize/py_code.h"
#include "symbolize/py_str.h"
#include "symbolize/py_target.h"

struct py_proc;

/*
 * Finds pid's interpreter in maps. NULL only on -ENOMEM: a process with
 * none (or one memtrace cannot read) gets a py_proc that says so
 * (py_proc__found false), so that it is looked for once.
 */
struct py_proc *py_proc__find(pid_t pid, const struct proc_maps *maps);
/* A py_proc of interpreter t whose memory read reads (tests: a fake process). NULL: -ENOMEM. */
struct py_proc *py_proc__new(const struct py_target *t, py_read_fn read, void *ctx);
void py_proc__free(struct py_proc *pp);

/* Whether an interpreter was found; else *why (may be NULL) says why not, in one line. */
bool py_proc__found(const struct py_proc *pp, const char **why);
/* Whether the return address pc is in the eval loop, _PyEval_EvalFrameDefault or its .cold part */
bool py_proc__is_eval(const struct py_proc *pp, uint64_t pc);
/* Whether the return address pc is in the interpreter module */
bool py_proc__in_module(const struct py_proc *pp, uint64_t pc);

/* A new stack record: each code object it names is checked again, once. */
void py_proc__begin_stack(struct py_proc *pp);

/* A frame of a Python word, resolved */
struct py_proc_frame {
	const char *name;	/* PY_FRAME_UNKNOWN_CODE when the code object was unreadable */
	const char *file;	/* NULL when unreadable */
	uint32_t line;		/* 0 when unreadable */
};

/*
 * The frame of word (include/memtrace/python.h): its code object read, or
 * taken from the cache when its identity still holds. Valid until the next
 * call. 0; 1 when the code object could not be read (out says unknown);
 * -ENOMEM.
 */
int py_proc__frame(struct py_proc *pp, uint64_t word, struct py_proc_frame *out);

#endif /* MEMTRACE_PY_PROC_H */
