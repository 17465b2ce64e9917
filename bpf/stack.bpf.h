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
#include "stack_dwarf.bpf.h"
#include <bpf/bpf_tracing.h>

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

static __always_inline __u64 stack__hash(__u32 pid, const __u64 *frames, __u32 nr)
{
	__u64 h = (FNV64_OFFSET ^ pid) * FNV64_PRIME;

	for (__u32 i = 0; i < MT_MAX_FRAMES; i++) {
		if (i >= nr)
			break;
		h = (h ^ frames[i]) * FNV64_PRIME;
	}
	/* the top bit tells stack dumps apart (MT_STACK_DUMP_FLAG) */
	h &= ~MT_STACK_DUMP_FLAG;
	return h == MT_NO_STACK ? 1 : h;
}

/*
 * Frames above the direct caller, by frame pointers: ours, not the
 * kernel's (bpf_get_stack). Its walk reads the chain until a read fails,
 * and the chain of every process ends with a NULL frame pointer (set by
 * _start): one faulting read, at ~0.5 us the dearest part of a capture.
 * This walk stops before reading where no frame can be: a frame pointer
 * must lie above the previous one (the stack grows down), within
 * MAX_FRAME_SPAN of it, 8-byte aligned; code without frame pointers leaves
 * other values in %rbp, which mostly fail these tests too. It starts from
 * a stack pointer and a frame pointer given: the probe's registers, or
 * those that operator new's frame gives back (struct stack_start).
 */
#define MAX_FRAME_SPAN (64ULL << 20)

static __always_inline __u32 stack__walk_fp(__u64 below, __u64 fp, __u64 *frames, __u32 first,
					     bool *truncated)
{
	struct {
		__u64 next;
		__u64 ret;
	} frame;
	__u32 nr = first;

	*truncated = true;
	for (__u32 i = first; i < MT_MAX_FRAMES; i++) {
		if (!fp) {
			/* _start's NULL frame pointer: the whole chain */
			*truncated = false;
			break;
		}
		if (fp <= below || fp - below > MAX_FRAME_SPAN || (fp & 7))
			break;
		if (bpf_probe_read_user(&frame, sizeof(frame), (void *)fp) || !frame.ret)
			break;
		frames[i] = frame.ret;
		nr = i + 1;
		below = fp;
		fp = frame.next;
	}
	return nr;
}

/*
 * Where a call's stack starts. At an allocator's own probe the return
 * address is still at the stack pointer (the function's entry, or a site
 * probe placement chose for that reason) and %rbp is the caller's frame
 * pointer: the direct caller is the word at the stack pointer, frame 0,
 * and the frame-pointer chain yields the caller's caller first. When
 * operator new called the allocator, the start moves up to operator new's
 * caller (caller_sites.bpf.h).
 */
struct stack_start {
	__u64 sp;	/* where ret lies: every frame above it */
	__u64 fp;	/* %rbp in the function ret returns to */
	__u64 ret;	/* frame 0; 0 when it could not be read */
	__u16 skip;	/* --stack=dwarf: the frames an unwind from the registers drops */
};

static __always_inline void stack_start__at_entry(struct pt_regs *ctx, struct stack_start *s)
{
	s->sp = PT_REGS_SP(ctx);
	s->fp = PT_REGS_FP(ctx);
	s->skip = 1;
	s->ret = 0;
	bpf_probe_read_user(&s->ret, sizeof(s->ret), (void *)s->sp);
}

/* The first sighting of a stack: its frames go to user space once. */
static __always_inline bool stack__send(__u32 pid, __u64 id, const __u64 *frames, __u32 nr,
				       bool truncated)
{
	struct mt_stack_record *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);

	if (!rec) {
		drop__count(MT_DROP_STACK_RINGBUF);
		return false;
	}
	for (__u32 i = 0; i < MT_MAX_FRAMES; i++) {
		if (i >= nr)
			break;
		rec->frames[i] = frames[i];
	}
	rec->kind = MT_REC_STACK;
	rec->nr_frames = nr;
	rec->pid = pid;
	rec->stack_id = id;
	rec->flags = truncated ? MT_STACK_F_TRUNCATED : 0;
	rec->pad = 0;
	bpf_ringbuf_submit(rec, events__wakeup_flag());
	return true;
}

/* The frames' id, and the frames themselves to user space on their first sighting. */
static __always_inline __u64 stack__intern(__u32 pid, const __u64 *frames, __u32 nr,
					   bool truncated)
{
	__u64 id = stack__hash(pid, frames, nr);

	if (bpf_map_lookup_elem(&stacks_seen, &id))
		return id;
	if (!stack__send(pid, id, frames, nr, truncated))
		return MT_NO_STACK;
	/* after the submit: an id is only ever marked seen once user space can have it */
	bpf_map_update_elem(&stacks_seen, &id, &(__u8){ 1 }, BPF_ANY);
	return id;
}

/*
 * Not a stack id (ids have the top bit clear, dump ids a sequence far
 * below this): the kernel unwinder needs user space to unwind this one.
 */
#define STACK_IN_USER_SPACE (~0ULL)

/* frames is the thread's scratch. */
static __always_inline __u64 stack__capture_from(__u32 pid, __u64 *frames,
						 const struct stack_start *start)
{
	bool truncated;
	int nr;

	frames[0] = start->ret;
	if (!start->ret) {
		drop__count(MT_DROP_STACK_ERROR);
		return MT_NO_STACK;
	}
	if (stack_mode == MT_STACK_KERNEL_DWARF) {
		/* the caller's stack pointer is past the return address */
		nr = stack__walk_dwarf(pid, start->ret, start->sp + 8, start->fp, frames,
				       &truncated);
		if (nr < 0)
			return STACK_IN_USER_SPACE;
	} else {
		nr = stack__walk_fp(start->sp, start->fp, frames, 1, &truncated);
	}
	return stack__intern(pid, frames, nr, truncated);
}

/*
 * At an allocator's own probe (stack_start above), or at the preload
 * library's site (caller_in_frame), where %rbp is its wrapper's frame:
 * the direct caller is the return address in it, and the caller's %rbp
 * the one it saved.
 */
static __always_inline __u64 stack__capture(struct pt_regs *ctx, __u32 pid, __u64 *frames,
					    bool caller_in_frame)
{
	struct stack_start start = {};
	__u64 frame[2] = {};

	if (!caller_in_frame) {
		stack_start__at_entry(ctx, &start);
		return stack__capture_from(pid, frames, &start);
	}
	start.sp = PT_REGS_FP(ctx) + 8;
	if (!bpf_probe_read_user(frame, sizeof(frame), (void *)PT_REGS_FP(ctx))) {
		start.fp = frame[0];
		start.ret = frame[1];
	}
	return stack__capture_from(pid, frames, &start);
}

#endif /* MEMTRACE_STACK_BPF_H */
