/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The accounting rules (README, "Accounting rules"): how one allocator call
 * changes the live blocks and the counters of its thread, its process and
 * the whole run.
 */
#ifndef MEMTRACE_ACCOUNTING_H
#define MEMTRACE_ACCOUNTING_H

#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "account/process.h"

/*
 * Starts loading the live-table slots an MT_REC_CALL record will touch,
 * so that the miss overlaps the work done before accounting__apply.
 */
static inline void accounting__prefetch(const struct mt_process *p, const struct mt_event *e)
{
	alloc_table__prefetch(&p->live, e->call.addr);
	if (e->func == MT_FN_REALLOC || e->func == MT_FN_REALLOCARRAY)
		alloc_table__prefetch(&p->live, e->call.old_addr);
}

/* Applies an MT_REC_CALL record; stack is its stack table index. 0 or -ENOMEM. */
int accounting__apply(struct mt_process *p, struct mt_counters *totals, const struct mt_event *e,
		      uint32_t stack);

#endif /* MEMTRACE_ACCOUNTING_H */
