/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Whether a program was built with frame pointers, which decides the
 * default --stack: a frame-pointer walk through code without them stops
 * at the first frame, while a DWARF unwind costs a stack copy per stack.
 */
#ifndef MEMTRACE_FRAME_POINTERS_H
#define MEMTRACE_FRAME_POINTERS_H

#include <stdbool.h>

/*
 * Looks at the prologues of up to a few hundred of the file's functions:
 * *uses_fp when at least half of them set up %rbp (push %rbp; mov
 * %rsp,%rbp, after an optional endbr64). A file with no function of its
 * own to look at (stripped) counts as without. Negative errno when the
 * file cannot be read.
 */
int frame_pointers__detect(const char *path, bool *uses_fp);

#endif /* MEMTRACE_FRAME_POINTERS_H */
