/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Zeroed memory for the hash tables that grow with the traced program:
 * whole pages straight from the kernel, already zero (no memset of tens of
 * MiB at each resize), in huge pages once a table is large enough.
 */
#ifndef MEMTRACE_TABLE_MEMORY_H
#define MEMTRACE_TABLE_MEMORY_H

#include <stddef.h>

/* size bytes of zeroes, page aligned; NULL when out of memory. */
void *table_memory__alloc(size_t size);
/* Frees what table_memory__alloc(size) returned; NULL is ignored. */
void table_memory__free(void *p, size_t size);

#endif /* MEMTRACE_TABLE_MEMORY_H */
