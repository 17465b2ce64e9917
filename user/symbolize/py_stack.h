/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One thread's Python frames, read from outside the process the way the
 * BPF walk will read them (issue 15; notes/issue15-design.md sec. 1, 2):
 * the interpreter's thread list searched for the thread, then its chain
 * of frames, top first. The reference the kernel's walk is checked
 * against, and what user space can do when the kernel cannot.
 */
#ifndef MEMTRACE_PY_STACK_H
#define MEMTRACE_PY_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/py_layout.h"
#include "symbolize/py_str.h"

struct py_frame {
	uint64_t code;	/* the code object */
	uint64_t instr;	/* its position as the frame holds it (py_code__line) */
	bool entry;	/* the outermost frame of one C activation of the eval loop */
};

/*
 * The frames of thread tid (its kernel thread id; on 3.10, which has none,
 * the most recent thread) of the process read reads, runtime the address
 * of _PyRuntime there: how many, at most max; -ESRCH when the thread has
 * no thread state, or the reader's error.
 */
int py_stack__walk(py_read_fn read, void *ctx, const struct py_layout *l, uint64_t runtime,
		   uint32_t tid, struct py_frame *frames, size_t max);

#endif /* MEMTRACE_PY_STACK_H */
