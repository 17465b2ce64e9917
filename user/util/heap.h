/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace's own heap. The memtrace binary links jemalloc in statically: its
 * malloc then never runs the traced libc's, whose entry carries a breakpoint
 * in every process under -f and -a, memtrace's own included (a libdw table
 * build is ~10^5 allocations: 0.6 s of traps for libc's table, not 15 ms).
 * Unit tests keep libc's (or ASan's) malloc.
 */
#ifndef MEMTRACE_HEAP_H
#define MEMTRACE_HEAP_H

/* Gives the free pages of the heap back to the system, whichever malloc it is. */
void heap__give_back(void);

#endif /* MEMTRACE_HEAP_H */
