/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One process's mappings as the system calls made them: disjoint address
 * ranges, each anonymous or file-backed, kept sorted. munmap can cut any
 * range anywhere, mremap moves and resizes, and a MAP_FIXED mmap replaces
 * what it overlaps: removal splits and trims, and reports the bytes it
 * took of each kind.
 */
#ifndef MEMTRACE_MAPPING_TABLE_H
#define MEMTRACE_MAPPING_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum mapping_kind {
	MAPPING_ANON,
	MAPPING_FILE,
	MAPPING_KIND_COUNT,
};

struct mapping_range {
	uint64_t start, end;	/* [start, end) */
	enum mapping_kind kind;
};

struct mapping_table {
	struct mapping_range *ranges;
	size_t n, cap;
	size_t max;		/* ranges kept at most: the table's memory is bounded */
};

/* max: ranges kept at most (the kernel's own default limit is 65530 mappings). */
void mapping_table__init(struct mapping_table *t, size_t max);
void mapping_table__release(struct mapping_table *t);
/*
 * Adds [start, end), which must overlap nothing in the table (remove
 * first); joins a neighbour of the same kind it touches. -ENOSPC when the
 * table holds max ranges, -ENOMEM.
 */
int mapping_table__add(struct mapping_table *t, uint64_t start, uint64_t end,
		       enum mapping_kind kind);
/*
 * Removes whatever lies in [start, end), adding the bytes removed to
 * removed[kind]. -ENOSPC, with nothing removed, when cutting a range in
 * two needs a slot a full table lacks; -ENOMEM.
 */
int mapping_table__remove(struct mapping_table *t, uint64_t start, uint64_t end,
			  uint64_t removed[MAPPING_KIND_COUNT]);
/* The kind of the range holding addr; -ENOENT when none does. */
int mapping_table__kind_at(const struct mapping_table *t, uint64_t addr);

#endif /* MEMTRACE_MAPPING_TABLE_H */
