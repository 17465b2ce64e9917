/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libstdc++'s operator new, counted without a return probe. A return
 * probe replaces the return address with the kernel's trampoline, and the
 * C++ unwinder cannot unwind through that: a bad_alloc thrown by operator
 * new would end the program in std::terminate. So operator new's entry
 * only marks the thread: the malloc (or aligned_alloc) it calls, probed
 * with its return as ever, is recorded as the allocator's, with the size
 * the program asked for (aligned new rounds it up) and the stack taken at
 * operator new's entry (at malloc's, libstdc++'s code has no frame
 * pointer: the walk would skip operator new's caller). When that malloc
 * returns NULL and operator new throws, the failure is counted and the
 * exception passes frames that are all intact.
 */
#ifndef MEMTRACE_PENDING_ALLOC_BPF_H
#define MEMTRACE_PENDING_ALLOC_BPF_H

#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"

/* stack_id: taken at operator new's entry, where its caller's frame is still whole */
static __always_inline void pending_alloc__mark(struct pt_regs *ctx, struct call_state *st,
						__u8 allocator, __u64 size, __u64 stack_id)
{
	st->pending_allocator = allocator;
	st->pending_size = size;
	st->pending_sp = PT_REGS_SP(ctx);
	st->pending_stack_id = stack_id;
}

/*
 * At the entry of the next allocation on the thread: the mark is this
 * call's if the call is deeper on the stack than operator new was (the
 * stack grows down), or as deep, when operator new jumps to it as a tail
 * call. Either way the mark is used up, so a mark left by an operator new
 * whose malloc was not probed cannot stick to a later call.
 */
static __always_inline bool pending_alloc__take(struct pt_regs *ctx, struct call_state *st,
						__u8 *allocator, __u64 *size, __u64 *stack_id)
{
	bool mine;

	if (!st->pending_allocator)
		return false;
	mine = PT_REGS_SP(ctx) <= st->pending_sp;
	if (mine) {
		*allocator = st->pending_allocator;
		*size = st->pending_size;
		*stack_id = st->pending_stack_id;
	}
	st->pending_allocator = 0;
	return mine;
}

#endif /* MEMTRACE_PENDING_ALLOC_BPF_H */
