/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stacks as the kernel sends them into the stack table: frame-pointer
 * stack records, --stack=dwarf dumps unwound here, and the stack table
 * index a call record's stack_id names, whichever way it was taken.
 */
#ifndef MEMTRACE_STACK_RECORDS_H
#define MEMTRACE_STACK_RECORDS_H

#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "account/process.h"
#include "account/stack_table.h"
#include "account/tracker.h"

/*
 * Adds an MT_REC_STACK record of p's to t's stacks; makes p's maps cover
 * it. Its Python frames, if any, are named now, while p lives, and merged
 * into its native frames by t->python_mode (py_frames.h). 0 or -ENOMEM.
 */
int stack_records__add(struct tracker *t, struct mt_process *p,
		       const struct mt_stack_record *rec);
/*
 * Unwinds an MT_REC_STACK_DUMP of p's and adds its stack, for the call
 * record that follows from the same thread. 0 or -ENOMEM.
 */
int stack_records__add_dump(struct tracker *t, struct mt_process *p,
			    const struct mt_stack_dump *d);
/* The stack of the dump tid sent just before the record naming stack_id (0: lost). */
int64_t stack_records__dump_stack(struct mt_process *p, uint32_t tid, uint64_t stack_id);

/* The stack table index of a call record's stack_id; -ENOMEM. */
static inline int64_t stack_records__of_call(struct stack_table *stacks, struct mt_process *p,
					     uint32_t tid, uint64_t stack_id)
{
	if (stack_id & MT_STACK_DUMP_FLAG)
		return stack_records__dump_stack(p, tid, stack_id);
	return stack_table__intern(stacks, stack_id);
}

#endif /* MEMTRACE_STACK_RECORDS_H */
