/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stacks by the kernel's 64-bit id. A call record may name a stack whose
 * own record was lost (ring buffer full): it gets a placeholder entry with
 * no frames, so its bytes are still counted under "stack lost".
 */
#ifndef MEMTRACE_STACK_TABLE_H
#define MEMTRACE_STACK_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "account/lifetime_histogram.h"
#include "util/id_map.h"

struct mt_stack {
	/*
	 * its freed blocks: a stack belongs to one process (its id hashes the
	 * pid). First: what every free touches, away from what only reports read.
	 */
	struct freed_lifetimes freed;
	uint64_t id;
	uint32_t pid;
	uint16_t nr_frames;
	bool received;		/* its mt_stack_record arrived */
	bool truncated;		/* the walk stopped before the outermost frame */
	/* of which the Python walk: its bound, or a frame it could not read */
	bool python_truncated;
	uint64_t *frames;	/* leaf first: frames[0] is the direct caller */
};

struct stack_table {
	struct mt_stack *stacks; /* index 0 is "no stack" */
	uint32_t n, cap;
	struct id_map index;
	/* entries freed by stack_table__drop_pid, for new stacks to take */
	uint32_t *unused;
	uint32_t nr_unused, unused_cap;
};

int stack_table__init(struct stack_table *t);
void stack_table__release(struct stack_table *t);
/* Adds a placeholder for id, not in the table yet; its index or -ENOMEM. */
int64_t stack_table__add(struct stack_table *t, uint64_t id);

/* Index of id, adding a placeholder if new; 0 for MT_NO_STACK; -ENOMEM. */
static inline int64_t stack_table__intern(struct stack_table *t, uint64_t id)
{
	int64_t idx;

	if (id == MT_NO_STACK)
		return 0;
	idx = id_map__get(&t->index, id);
	return idx >= 0 ? idx : stack_table__add(t, id);
}
/* Stores the frames of a received stack record; returns its index or -ENOMEM. */
int64_t stack_table__add_frames(struct stack_table *t, uint64_t id, uint32_t pid,
				const uint64_t *frames, uint16_t nr);

/*
 * Frees the stacks of a process whose records are gone: their entries are
 * used again for new stacks. -ENOMEM (nothing lost: they stay as they are).
 */
int stack_table__drop_pid(struct stack_table *t, uint32_t pid);

static inline const struct mt_stack *stack_table__get(const struct stack_table *t, uint32_t idx)
{
	return &t->stacks[idx];
}

#endif /* MEMTRACE_STACK_TABLE_H */
