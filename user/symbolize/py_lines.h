/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A CPython code object's line table (co_linetable), read from outside
 * the process: which source line holds the instruction at a byte offset
 * into co_code. Two formats: 3.10's PEP 626 table (Objects/lnotab_notes.txt
 * in 3.10's sources) and 3.11+'s location table (Objects/locations.md).
 */
#ifndef MEMTRACE_PY_LINES_H
#define MEMTRACE_PY_LINES_H

#include <stddef.h>
#include <stdint.h>

/*
 * The line of the instruction at byte offset off of a code object whose
 * table is table[0..len) and whose first line is firstlineno, for CPython
 * 3.minor (10 to 13): 0 and *line set; -ENOENT when the table gives that
 * instruction no line (or does not reach it), -EINVAL for a table cut
 * short, -ENOTSUP for another minor version.
 */
int py_lines__find(int minor, const uint8_t *table, size_t len, int firstlineno, uint32_t off,
		   int *line);

#endif /* MEMTRACE_PY_LINES_H */
