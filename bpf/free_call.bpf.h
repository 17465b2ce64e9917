/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Frees, recorded at entry: the block cannot be handed out again before
 * its record is in the ring. A free inside another probed call (realloc's,
 * or a sized free's call of the plain one) is part of that call and not
 * recorded again. libstdc++'s operator delete is not probed: it jumps to
 * free, and user space counts a free for the allocator of its block.
 */
#ifndef MEMTRACE_FREE_CALL_BPF_H
#define MEMTRACE_FREE_CALL_BPF_H

#include "alloc_call.bpf.h"

/*
 * A free that calls no other probed function: its entry is the whole call.
 * libc's free called by glibc's thread-exit cleanup is left out
 * (MT_CALLER_FREERES): it gives back chunks the program freed before, and
 * the thread's cache itself, which the program never saw allocated.
 */
static __always_inline int free_call__enter(struct pt_regs *ctx, __u8 allocator, __u64 ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct call_state *st;

	if (!ptr || !recording || !scope__covers(pid))
		return 0;
	st = bpf_map_lookup_elem(&calls, &tid);
	if (st && st->active)
		return 0;
	if (allocator == MT_ALLOC_LIBC && caller_site__is_freeres(ctx))
		return 0;
	call_record__emit(allocator, MT_FN_FREE, pid, tid, MT_NO_STACK, ptr, 0, 0, 0);
	return 0;
}

/*
 * A free that may call another probed free (jemalloc's sdallocx, the
 * allocators' operator delete): recorded at entry, and the
 * call stays active until its return (alloc_call__exit ends it without a
 * record), so the inner frees are not recorded again.
 */
static __always_inline int free_call__enter_nested(__u8 allocator, __u64 ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct call_state *st;

	if (!recording || !scope__covers(pid))
		return 0;
	st = call_state__slot(tid);
	if (!st)
		return 0;
	if (st->active) {
		st->depth++;
		return 0;
	}
	/* delete(NULL) still returns through alloc_exit: it must find the call */
	if (ptr)
		call_record__emit(allocator, MT_FN_FREE, pid, tid, MT_NO_STACK, ptr, 0, 0, 0);
	st->func = MT_FN_FREE;
	st->allocator = allocator;
	st->active = 1;
	return 0;
}

#endif /* MEMTRACE_FREE_CALL_BPF_H */
