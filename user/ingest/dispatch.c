// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>

#include "account/accounting.h"
#include "account/gc_stats.h"
#include "account/gpu_accounting.h"
#include "account/mapping_accounting.h"
#include "account/process_timeline.h"
#include "account/stack_records.h"
#include "ingest/dispatch.h"

/*
 * What the dispatcher knows of each kind, by kind (size 0: no such kind).
 * makes_process, for -a: a PID first seen in a call, a stack or a GPU call
 * is a process to trace; a thread's exit, a step, a collection or a
 * mapping call alone are not worth one.
 */
static const struct kind_info {
	size_t size;		/* the kind's record: a shorter one is counted, not read */
	bool makes_process;
} kinds[] = {
	[MT_REC_CALL] = { sizeof(struct mt_event), true },
	[MT_REC_THREAD_EXIT] = { sizeof(struct mt_event), false },
	[MT_REC_STACK] = { sizeof(struct mt_stack_record), true },
	[MT_REC_STEP] = { sizeof(struct mt_event), false },
	[MT_REC_STACK_DUMP] = { sizeof(struct mt_stack_dump), true },
	[MT_REC_GPU] = { sizeof(struct mt_gpu_event), true },
	[MT_REC_GC] = { sizeof(struct mt_gc_event), false },
	[MT_REC_PROC] = { sizeof(struct mt_proc_event), false },
	[MT_REC_MMAP] = { sizeof(struct mt_mmap_event), false },
};

/* Inlined into the path of call records: nearly all of them. */
static inline int apply_call(struct tracker *t, struct mt_process *p, const struct mt_event *e)
{
	int64_t stack;
	int err;

	accounting__prefetch(p, e);
	err = process_timeline__tick(p, t->timeline_origin_ns, e->ts_ns);
	if (err)
		return err;
	stack = stack_records__of_call(&t->stacks, p, e->tid, e->stack_id);
	if (stack < 0)
		return (int)stack;
	return accounting__apply(p, &t->totals, e, (uint32_t)stack);
}

/* GPU memory calls are rare: out of line, they leave call records a small stack frame. */
static __attribute__((noinline)) int apply_gpu(struct tracker *t, struct mt_process *p,
					       const struct mt_gpu_event *e)
{
	int64_t stack = stack_records__of_call(&t->stacks, p, e->tid, e->stack_id);
	int err = process_timeline__tick_gpu(p, t->timeline_origin_ns, e->ts_ns);

	if (err)
		return err;
	if (stack < 0)
		return (int)stack;
	return gpu_accounting__apply(p, &t->gpu, e, (uint32_t)stack);
}

static int apply_thread_exit(struct mt_process *p, const struct mt_event *e)
{
	return process__thread_exit(p, e->tid, e->comm);
}

static int apply_step(struct tracker *t, struct mt_process *p, const struct mt_event *e)
{
	int err = process_timeline__tick(p, t->timeline_origin_ns, e->ts_ns);

	if (err)
		return err;
	p->steps++;
	p->last_step_ns = e->ts_ns;
	return process_timeline__step(p, e->ts_ns);
}

/* A collection's end puts it on the timeline, with its start and length. */
static int apply_gc(struct tracker *t, struct mt_process *p, const struct mt_gc_event *e)
{
	uint64_t before = p->gc ? gc_stats__collections(p->gc) : 0;
	int err = process_timeline__tick(p, t->timeline_origin_ns, e->ts_ns);

	if (!err)
		err = gc_stats__apply(&p->gc, e);
	if (err || gc_stats__collections(p->gc) == before)
		return err;
	return process_timeline__gc(p, p->gc->last_start_ns, p->gc->last_ns,
				    p->gc->last_generation);
}

static int apply_mmap(struct tracker *t, struct mt_process *p, const struct mt_mmap_event *e)
{
	int err = process_timeline__tick(p, t->timeline_origin_ns, e->ts_ns);

	return err ? err : mapping_accounting__record(&p->mappings, e);
}

/*
 * A dump is unwound as it comes, with the maps of that moment. The kernel's
 * mapping records come apart from the ring buffer's: a library mapped just
 * before the allocation (ld.so's libc right after an exec) may not be in yet.
 */
static void cover_dump(struct tracker *t, struct mt_process *p, const struct mt_stack_dump *d)
{
	if (p->maps_followed && t->before_lifecycle && !proc_maps__find(&p->maps, d->regs[16]))
		t->before_lifecycle(t->hooks_ctx);
}

/* The record is as long as its kind's: every kind but MT_REC_PROC has its process found here. */
static int route(struct tracker *t, const struct mt_record_header *h, const void *rec)
{
	struct mt_process *p;
	int err;

	if (h->kind == MT_REC_PROC)
		return tracker__apply_lifecycle(t, rec);
	err = tracker__record_process(t, h->pid, kinds[h->kind].makes_process, &p);
	if (err || !p)
		return err;
	switch (h->kind) {
	case MT_REC_CALL:
		return apply_call(t, p, rec);
	case MT_REC_THREAD_EXIT:
		return apply_thread_exit(p, rec);
	case MT_REC_STACK:
		return stack_records__add(t, p, rec);
	case MT_REC_STEP:
		return apply_step(t, p, rec);
	case MT_REC_STACK_DUMP:
		cover_dump(t, p, rec);
		return stack_records__add_dump(t, p, rec);
	case MT_REC_GPU:
		return apply_gpu(t, p, rec);
	case MT_REC_GC:
		return apply_gc(t, p, rec);
	case MT_REC_MMAP:
		return apply_mmap(t, p, rec);
	}
	return 0;
}

int dispatch__record(void *ctx, void *data, size_t size)
{
	const struct mt_record_header *h = data;
	struct dispatch *d = ctx;
	struct tracker *t = d->tracker;
	int err;

	t->records++;
	if (size < sizeof(*h)) {
		d->short_records++;
		return 0;
	}
	if (h->kind >= sizeof(kinds) / sizeof(kinds[0]) || !kinds[h->kind].size) {
		d->unknown_records++;
		return 0;
	}
	if (size < kinds[h->kind].size) {
		d->short_records++;
		return 0;
	}
	err = route(t, h, data);
	if (err && !t->err)
		t->err = err;
	/* a negative return stops libbpf's consume loop: only for fatal errors */
	return err;
}

void dispatch__read_drops(const struct dispatch *d, uint64_t drops[RUN_DROP_COUNT])
{
	drops[RUN_DROP_SHORT_RECORD] = d->short_records;
	drops[RUN_DROP_UNKNOWN_RECORD] = d->unknown_records;
}
