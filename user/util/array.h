/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one way an array grows: doubling, checked for overflow. */
#ifndef MEMTRACE_ARRAY_H
#define MEMTRACE_ARRAY_H

#include <stddef.h>

/*
 * Makes room for at least need elements of elem_size bytes in *data, whose
 * capacity is *cap elements; -ENOMEM leaves both as they were.
 */
int array__reserve(void **data, size_t *cap, size_t need, size_t elem_size);

/* array__reserve for a typed pointer: ARRAY_RESERVE(&v->items, &v->cap, v->n + 1) */
#define ARRAY_RESERVE(datap, capp, need) \
	array__reserve((void **)(datap), (capp), (need), sizeof(**(datap)))

#endif /* MEMTRACE_ARRAY_H */
