// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>

#include "accounting.h"

struct call {
	struct mt_process *p;
	struct mt_counters *totals;
	uint32_t thread;	/* index of the calling thread */
	uint64_t start_ns;	/* when the call entered */
	uint64_t end_ns;	/* when it returned */
	uint32_t stack;
};

#define charge(call, field)                                \
	do {                                               \
		(call)->p->threads[(call)->thread].c.field++; \
		(call)->p->c.field++;                      \
		(call)->totals->field++;                   \
	} while (0)

static int add_block(const struct call *call, uint64_t addr, uint64_t size)
{
	struct live_block b = {
		.addr = addr,
		.size = size,
		.ts_ns = call->end_ns,
		.stack = call->stack,
		.thread = call->thread,
	};
	struct live_block old;
	int err;

	err = alloc_table__insert(&call->p->live, &b, &old);
	if (err < 0)
		return err;
	if (err == 1) {
		/* still charged: its free is on its way (see mt_process.displaced) */
		err = alloc_table__insert(&call->p->displaced, &old, NULL);
		if (err < 0)
			return err;
	}
	counters__alloc(&call->p->threads[call->thread].c, size);
	counters__alloc(&call->p->c, size);
	counters__alloc(call->totals, size);
	size_histogram__add(&call->p->sizes, size);
	return 0;
}

/* A block's bytes go back to the thread that allocated it. */
static void release_block(const struct call *call, uint64_t addr)
{
	struct mt_process *p = call->p;
	struct live_block *live = alloc_table__find(&p->live, addr);
	struct live_block gone;
	bool found;

	/* a block allocated after this call began cannot be the one it frees */
	if (live && live->ts_ns > call->start_ns)
		found = alloc_table__remove(&p->displaced, addr, &gone);
	else if (live)
		found = alloc_table__remove(&p->live, addr, &gone);
	else
		found = alloc_table__remove(&p->displaced, addr, &gone);
	if (!found) {
		/* allocated before tracing began: nothing to subtract */
		charge(call, unknown_frees);
		return;
	}
	counters__free(&p->threads[gone.thread].c, gone.size);
	counters__free(&p->c, gone.size);
	counters__free(call->totals, gone.size);
}

static int apply_alloc(const struct call *call, uint64_t addr, uint64_t size)
{
	if (!addr) {
		charge(call, failed_allocs);
		return 0;
	}
	return add_block(call, addr, size);
}

static int apply_realloc(const struct call *call, uint64_t old, uint64_t size, uint64_t addr)
{
	int err;

	if (!old)
		return apply_alloc(call, addr, size);
	if (!size) {
		release_block(call, old);
		/* glibc returns NULL here; a libc that returns a block gave 0 bytes */
		return addr ? add_block(call, addr, 0) : 0;
	}
	if (!addr) {
		/* the old block is untouched */
		charge(call, failed_allocs);
		return 0;
	}
	release_block(call, old);
	err = add_block(call, addr, size);
	if (err)
		return err;
	charge(call, reallocs);
	return 0;
}

int accounting__apply(struct mt_process *p, struct mt_counters *totals, const struct mt_event *e,
		      uint32_t stack)
{
	int64_t thread;
	struct call call;

	if (e->func >= MT_FN_COUNT)
		return -EINVAL;
	thread = process__thread(p, e->tid);
	if (thread < 0)
		return (int)thread;
	call = (struct call){
		.p = p,
		.totals = totals,
		.thread = (uint32_t)thread,
		.start_ns = e->ts_ns - e->duration_ns,
		.end_ns = e->ts_ns,
		.stack = stack,
	};
	switch (e->func) {
	case MT_FN_FREE:
		release_block(&call, e->call.addr);
		return 0;
	case MT_FN_REALLOC:
	case MT_FN_REALLOCARRAY:
		return apply_realloc(&call, e->call.old_addr, e->call.size, e->call.addr);
	case MT_FN_MALLOC:
	case MT_FN_CALLOC:
	case MT_FN_POSIX_MEMALIGN:
	case MT_FN_ALIGNED_ALLOC:
	case MT_FN_MEMALIGN:
	case MT_FN_VALLOC:
	case MT_FN_PVALLOC:
	case MT_FN_COUNT:
		break;
	}
	return apply_alloc(&call, e->call.addr, e->call.size);
}
