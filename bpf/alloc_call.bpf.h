/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An allocator call from entry to return. The entry saves the arguments
 * per thread; the return emits one record. A call that enters another
 * probed function (glibc's reallocarray jumps to realloc) only raises the
 * depth of the outer call, so it counts once, as the function the program
 * called. A malloc called by libstdc++'s operator new is operator new's
 * call (caller_sites.bpf.h).
 */
#ifndef MEMTRACE_ALLOC_CALL_BPF_H
#define MEMTRACE_ALLOC_CALL_BPF_H

#include "caller_sites.bpf.h"
#include "sample_gap.bpf.h"
#include "stack.bpf.h"
#include "stack_dump.bpf.h"

/*
 * The thread's slot, created on its first call. It stays until the thread
 * exits (thread_exit deletes it): a hash update and delete on every call
 * cost more than the rest of the return path.
 */
/* Too big for the BPF stack: the template of a new slot lives in .rodata. */
static const struct call_state empty_call_state;

static __always_inline struct call_state *call_state__slot(__u32 tid)
{
	return thread_slot__get(&calls, tid, &empty_call_state);
}

/*
 * --sample-bytes: whether this call gets a stack. A thread's counter runs
 * down by the bytes it allocates; the allocation that takes it to 0 or
 * below is sampled, and a new gap starts (sample_gap.bpf.h). An allocation
 * of sample_bytes or more always gets a stack and leaves the counter be:
 * user space weighs it 1, and the others by their probability alone.
 */
static __always_inline bool call_state__sampled(struct call_state *st, __u64 size)
{
	if (!sample_bytes || size >= sample_bytes)
		return true;
	/* the thread's first call: without a gap drawn it would always be sampled */
	if (!st->sample_left)
		st->sample_left = sample_gap__next();
	st->sample_left -= size;
	if (st->sample_left > 0)
		return false;
	st->sample_left = sample_gap__next();
	return true;
}

/*
 * The skip word of a copy of the stack for user space to unwind
 * (--stack=dwarf, or kernel-dwarf where its tables do not reach yet).
 * start: where the stack starts at an allocator's own probe; NULL at the
 * preload library's site, where the caller is in its wrapper's frame.
 */
static __always_inline __u16 call_state__dump_skip(const struct stack_start *start)
{
	if (!start)
		return 2;
	/* the unwind from malloc's registers passes operator new's frames: dropped */
	return start->skip | (start->skip > 1 ? MT_DUMP_F_CXX : 0);
}

/* The call's stack by --stack=fp or dwarf (kernel-dwarf's walk is stack_walk_call's). */
static __always_inline __u64 call_state__stack(struct pt_regs *ctx, struct call_state *st,
					       __u32 pid, __u32 tid,
					       const struct stack_start *start)
{
	if (stack_mode == MT_STACK_NONE || !call_state__sampled(st, st->size))
		return MT_NO_STACK;
	if (stack_mode == MT_STACK_DWARF)
		return stack_dump__send(ctx, pid, tid, call_state__dump_skip(start), NULL, 0, 0);
	if (!start)
		return stack__capture(ctx, pid, st->frames, true);
	return stack__capture_from(pid, st->frames, start);
}

/* One completed call: the record user space's accounting reads. */
static __always_inline void call_record__emit(__u8 allocator, __u16 func, __u32 pid, __u32 tid,
					      __u64 stack_id, __u64 addr, __u64 size,
					      __u64 old_addr, __u64 entry_ts)
{
	struct mt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 now;

	if (!e) {
		drop__count(MT_DROP_RINGBUF_FULL);
		return;
	}
	now = bpf_ktime_get_ns();
	e->kind = MT_REC_CALL;
	e->func = func;
	e->allocator = allocator;
	if (!entry_ts)
		e->duration_ns = 0;
	else
		e->duration_ns = now - entry_ts > 0xffffffffULL ? 0xffffffffU : now - entry_ts;
	e->pid = pid;
	e->tid = tid;
	e->ts_ns = now;
	e->stack_id = stack_id;
	e->call.addr = addr;
	e->call.size = size;
	e->call.old_addr = old_addr;
	bpf_ringbuf_submit(e, events__wakeup_flag());
}

static __always_inline int alloc_call__enter(struct pt_regs *ctx, __u8 allocator, __u16 func,
					     __u64 size, __u64 old_addr, __u64 out_ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	struct stack_start start;
	struct call_state *st;

	if (!recording || !scope__covers(pid))
		return 0;
	st = call_state__slot((__u32)id);
	if (!st)
		return 0;
	if (st->active) {
		st->depth++;
		return 0;
	}
	/*
	 * Called by operator new: C++'s call. Its size is what operator new
	 * passes on, which is what it was asked for (README: "Accounting rules").
	 */
	stack_start__at_entry(ctx, &start);
	if (caller_site__climb_cxx(&start))
		allocator = MT_ALLOC_CXX;
	st->func = func;
	st->allocator = allocator;
	st->size = size;
	st->old_addr = old_addr;
	st->out_ptr = out_ptr;
	st->entry_ts = func__needs_start(func) ? bpf_ktime_get_ns() : 0;
	if (stack_mode != MT_STACK_KERNEL_DWARF) {
		st->stack_id = call_state__stack(ctx, st, pid, (__u32)id, &start);
		st->active = 1;
		return 0;
	}
	/* the walker sets the stack; the return comes after it, in this same probe hit */
	st->stack_id = MT_NO_STACK;
	st->start = start;
	st->active = 1;
	if (call_state__sampled(st, size))
		stack_walker__call(ctx, MT_STACK_WALK_CALL);
	return 0;
}

/* --stack=kernel-dwarf: the stack of the call alloc_call__enter began. */
static __always_inline int alloc_call__walk(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct call_state *st = bpf_map_lookup_elem(&calls, &tid);

	if (st)
		st->stack_id = stack__capture_dwarf(ctx, pid, tid, st->frames, &st->walk,
						    &st->start, call_state__dump_skip(&st->start));
	return 0;
}

static __always_inline int alloc_call__exit(struct pt_regs *ctx, bool result_via_out_ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct call_state *st;
	__u64 addr = PT_REGS_RC(ctx);

	st = bpf_map_lookup_elem(&calls, &tid);
	/*
	 * No slot: an untraced process's return, or a thread's first call, in
	 * flight when recording began (slots are made by recorded entries).
	 * Neither is a loss; a slot whose call is not active is one.
	 */
	if (!st || !st->active) {
		if (st && recording)
			drop__count(MT_DROP_MISSED_ENTRY);
		return 0;
	}
	if (st->depth) {
		st->depth--;
		return 0;
	}
	st->active = 0;
	/* a free-like call (free_call.bpf.h) emitted its record at entry */
	if (st->func == MT_FN_FREE)
		return 0;
	if (result_via_out_ptr) {
		/* posix_memalign returns 0 and stores the block, or an errno */
		__u64 block = 0;

		if (addr == 0)
			bpf_probe_read_user(&block, sizeof(block), (void *)st->out_ptr);
		addr = block;
	}
	call_record__emit(st->allocator, st->func, pid, tid, st->stack_id, addr, st->size,
			  st->old_addr, st->entry_ts);
	return 0;
}

#endif /* MEMTRACE_ALLOC_CALL_BPF_H */
