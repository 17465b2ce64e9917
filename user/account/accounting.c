// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <sys/cdefs.h> /* __always_inline */

#include "account/accounting.h"

/*
 * One allocator call: the counters it charges are resolved once, not
 * through p->threads[...] at every charge.
 */
struct call {
	struct mt_process *p;
	struct mt_counters *c[3];	/* the calling thread, its process, the totals */
	uint32_t thread;		/* index of the calling thread */
	uint64_t start_ns;		/* when the call entered */
	uint64_t end_ns;		/* when it returned */
	uint32_t stack;
	uint8_t allocator;		/* enum mt_allocator of the call */
};

#define charge(call, field)            \
	do {                           \
		(call)->c[0]->field++; \
		(call)->c[1]->field++; \
		(call)->c[2]->field++; \
	} while (0)

/* Past --max-live: counted as an allocation, its block not kept (struct live_cap). */
static __attribute__((noinline)) int add_untracked(const struct call *call, uint64_t size)
{
	struct mt_process *p = call->p;

	for (int i = 0; i < 3; i++) {
		call->c[i]->allocs++;
		call->c[i]->allocated_bytes += size;
	}
	p->untracked_blocks++;
	p->untracked_bytes += size;
	p->live_cap->untracked_blocks++;
	p->live_cap->untracked_bytes += size;
	size_histogram__add(&p->sizes, size);
	if (call->allocator < MT_ALLOC_COUNT)
		p->by_allocator.a[call->allocator].alloc_bytes += size;
	return 0;
}

/* Inlined into the plain malloc and free paths, which are most calls. */
static __always_inline int add_block(const struct call *call, uint64_t addr, uint64_t size)
{
	struct live_block b = {
		.addr = addr,
		.size = size,
		.ts_ns = call->end_ns,
		.stack = call->stack,
		.thread = call->thread,
		.allocator = call->allocator,
	};
	struct live_cap *cap = call->p->live_cap;
	struct live_block old;
	int err;

	if (cap && cap->max && cap->live >= cap->max)
		return add_untracked(call, size);
	err = alloc_table__insert(&call->p->live, &b, &old);
	if (err < 0)
		return err;
	if (cap)
		cap->live++;
	if (err == 1) {
		/* still charged: its free is on its way (see mt_process.displaced) */
		err = alloc_table__insert(&call->p->displaced, &old, NULL);
		if (err < 0)
			return err;
	}
	counters__alloc(call->c[0], size);
	counters__alloc(call->c[1], size);
	counters__alloc(call->c[2], size);
	size_histogram__add(&call->p->sizes, size);
	allocator_stats__alloc(&call->p->by_allocator, call->allocator, size);
	return 0;
}

/*
 * A block's bytes go back to the thread that allocated it. Returns the
 * allocator that made the block, or the call's own for an unknown block.
 */
static __always_inline uint8_t release_block(const struct call *call, uint64_t addr)
{
	struct mt_process *p = call->p;
	struct live_block *live = alloc_table__find(&p->live, addr);
	struct live_block gone;

	/* a block allocated after this call began cannot be the one it frees */
	if (live && live->ts_ns <= call->start_ns) {
		gone = *live;
		alloc_table__delete(&p->live, live);
	} else if (!alloc_table__remove(&p->displaced, addr, &gone)) {
		/* allocated before tracing began: nothing to subtract */
		charge(call, unknown_frees);
		return call->allocator;
	}
	if (p->live_cap)
		p->live_cap->live--;
	counters__free(&p->threads[gone.thread].c, gone.size);
	counters__free(call->c[1], gone.size);
	counters__free(call->c[2], gone.size);
	allocator_stats__free(&p->by_allocator, gone.allocator, gone.size);
	process__block_freed(p, &gone, call->start_ns);
	return gone.allocator;
}

static __always_inline int apply_alloc(const struct call *call, uint64_t addr, uint64_t size)
{
	if (!addr) {
		charge(call, failed_allocs);
		return 0;
	}
	return add_block(call, addr, size);
}

static __always_inline struct call call_of(struct mt_process *p, struct mt_counters *totals,
					   const struct mt_event *e, uint32_t thread,
					   uint32_t stack)
{
	return (struct call){
		.p = p,
		.c = { &p->threads[thread].c, &p->c, totals },
		.thread = thread,
		.start_ns = e->ts_ns - e->duration_ns,
		.end_ns = e->ts_ns,
		.stack = stack,
		.allocator = e->allocator,
	};
}

/* Out of line, so that the code of the common calls stays small. */
static __attribute__((noinline)) int apply_realloc(struct mt_process *p, struct mt_counters *totals,
						   const struct mt_event *e, uint32_t thread,
						   uint32_t stack)
{
	const struct call c = call_of(p, totals, e, thread, stack), *call = &c;
	uint64_t old = e->call.old_addr, size = e->call.size, addr = e->call.addr;
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
	struct call call;
	int64_t thread;

	if (e->func >= MT_FN_COUNT)
		return -EINVAL;
	thread = process__thread(p, e->tid);
	if (thread < 0)
		return (int)thread;
	call = call_of(p, totals, e, (uint32_t)thread, stack);
	switch (e->func) {
	case MT_FN_FREE:
		/*
		 * The allocator of the block it frees: libstdc++'s delete jumps to
		 * free, whose probe cannot tell it from the program's own free.
		 */
		allocator_stats__call(&p->by_allocator, release_block(&call, e->call.addr));
		return 0;
	case MT_FN_REALLOC:
	case MT_FN_REALLOCARRAY:
		allocator_stats__call(&p->by_allocator, e->allocator);
		return apply_realloc(p, totals, e, (uint32_t)thread, stack);
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
	allocator_stats__call(&p->by_allocator, e->allocator);
	return apply_alloc(&call, e->call.addr, e->call.size);
}
