/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The live blocks of one process, keyed by address: open addressing with
 * linear probing and backward-shift deletion (no tombstones), 32 bytes a
 * slot; the load stays under 3/4, and a table under 1/8 full is halved.
 */
#ifndef MEMTRACE_ALLOC_TABLE_H
#define MEMTRACE_ALLOC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct live_block {
	uint64_t addr;		/* 0: empty slot */
	uint64_t size;		/* requested bytes */
	uint64_t ts_ns;		/* allocation time, CLOCK_MONOTONIC */
	uint32_t stack;		/* index in the stack table (0: none) */
	uint32_t thread;	/* index of the allocating thread in its process */
};

struct alloc_table {
	struct live_block *slots;
	size_t cap;	/* power of two, or 0 */
	size_t n;
};

/*
 * Inserts b. If b->addr is already live, the old block is copied to
 * *displaced (when not NULL), replaced, and 1 is returned. 0 when new,
 * -ENOMEM, -EINVAL for address 0.
 */
int alloc_table__insert(struct alloc_table *t, const struct live_block *b,
			struct live_block *displaced);
struct live_block *alloc_table__find(const struct alloc_table *t, uint64_t addr);
/* Removes addr; true (and *out when not NULL) if it was live. */
bool alloc_table__remove(struct alloc_table *t, uint64_t addr, struct live_block *out);
void alloc_table__release(struct alloc_table *t);
/* Bytes of memory the table itself holds. */
size_t alloc_table__memory(const struct alloc_table *t);

#define alloc_table__for_each(t, b)                                                         \
	for (struct live_block *b = (t)->slots; (t)->slots && b < (t)->slots + (t)->cap; b++) \
		if (b->addr)

#endif /* MEMTRACE_ALLOC_TABLE_H */
