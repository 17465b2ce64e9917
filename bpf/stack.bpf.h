/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * User stacks, deduplicated in the kernel: each distinct (process, frames)
 * pair is sent once as an mt_stack_record, and call records carry only its
 * 64-bit id. A hash of our own instead of a BPF stack map: a stack map
 * bucket collision loses the stack (-EEXIST) or, with REUSE_STACKID,
 * silently rewrites the stack behind an id user space already read.
 */
#ifndef MEMTRACE_STACK_BPF_H
#define MEMTRACE_STACK_BPF_H

#include "maps.bpf.h"
#include <bpf/bpf_tracing.h>

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

static __always_inline __u64 stack__hash(__u32 pid, const struct mt_stack_record *rec, __u32 nr)
{
	__u64 h = (FNV64_OFFSET ^ pid) * FNV64_PRIME;

	for (__u32 i = 0; i < MT_MAX_FRAMES; i++) {
		if (i >= nr)
			break;
		h = (h ^ rec->frames[i]) * FNV64_PRIME;
	}
	return h == MT_NO_STACK ? 1 : h;
}

/*
 * Must run at the allocator's first instruction. There the kernel's
 * frame-pointer walk starts at the caller's saved frame, so it yields the
 * caller's caller first: the direct caller is the return address at the
 * stack pointer, which becomes frame 0. Kernels since 6.11 add that
 * address themselves when the probed instruction is push %rbp or endbr64
 * ("perf,x86: avoid missing caller address in stack traces captured in
 * uprobe", A. Nakryiko, 2024): then it is not added twice.
 */
static __always_inline __u64 stack__capture(struct pt_regs *ctx, __u32 pid)
{
	struct mt_stack_record *rec;
	__u64 caller = 0, id;
	long n;
	__u32 nr;

	/* Reserved, not a per-CPU scratch buffer: these programs are preemptible. */
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		drop__count(MT_DROP_STACK_RINGBUF);
		return MT_NO_STACK;
	}
	bpf_probe_read_user(&caller, sizeof(caller), (void *)PT_REGS_SP(ctx));
	rec->frames[0] = caller;
	/* skip 1: the allocator's own address */
	n = bpf_get_stack(ctx, &rec->frames[1], (MT_MAX_FRAMES - 1) * sizeof(__u64),
			  BPF_F_USER_STACK | 1);
	if (n < 0) {
		drop__count(MT_DROP_STACK_ERROR);
		n = 0;
	}
	nr = 1 + n / sizeof(__u64);
	if (nr > 1 && rec->frames[1] == caller) {
		for (__u32 i = 1; i < nr && i < MT_MAX_FRAMES - 1; i++) {
			__u64 next = rec->frames[i + 1];

			/* keeps clang from turning the loop into memmove, which BPF lacks */
			barrier_var(next);
			rec->frames[i] = next;
		}
		nr--;
	}
	id = stack__hash(pid, rec, nr);
	if (bpf_map_lookup_elem(&stacks_seen, &id)) {
		bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
		return id;
	}
	rec->kind = MT_REC_STACK;
	rec->nr_frames = nr;
	rec->pid = pid;
	rec->stack_id = id;
	bpf_ringbuf_submit(rec, events__wakeup_flag());
	/* after the submit: an id is only ever marked seen once user space can have it */
	bpf_map_update_elem(&stacks_seen, &id, &(__u8){ 1 }, BPF_ANY);
	return id;
}

#endif /* MEMTRACE_STACK_BPF_H */
