/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A CPython code object read from outside its process: the name a frame
 * shows (co_qualname; co_name on 3.10, which has no other), its file, its
 * first line and its line table, so that a frame's instruction gives a
 * line (py_lines.h). Offsets from py_layout.h.
 */
#ifndef MEMTRACE_PY_CODE_H
#define MEMTRACE_PY_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize/py_layout.h"
#include "symbolize/py_str.h"

/* The longest line table read: a code object's is a few KiB at most */
#define PY_CODE_MAX_LINETABLE (1 << 20)

struct py_code {
	char name[256];
	char file[1024];
	int firstlineno;
	uint8_t *linetable;
	size_t linetable_len;
};

/* The code object at addr; release *out even on error. -EINVAL for a header no code object has. */
int py_code__read(py_read_fn read, void *ctx, const struct py_layout *l, uint64_t addr,
		  struct py_code *out);
void py_code__release(struct py_code *c);

/*
 * The line a frame of code c (at code_addr) is on, from its position as
 * the frame holds it: f_lasti in code units (3.10), else a pointer into
 * the code object's bytecode. A frame not started is at co_firstlineno.
 */
int py_code__line(const struct py_code *c, const struct py_layout *l, uint64_t code_addr,
		  uint64_t instr, int *line);

#endif /* MEMTRACE_PY_CODE_H */
