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
#include "stack_dump.bpf.h"
#include "stack_dwarf.bpf.h"
#include "python_walk.bpf.h"
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
		/* no user pc has bit 63 set: a Python frame's word has (include/memtrace/python.h) */
		if (bpf_probe_read_user(&frame, sizeof(frame), (void *)fp) || !frame.ret ||
		    (__s64)frame.ret < 0)
			break;
		frames[i] = frame.ret;
		nr = i + 1;
		below = fp;
		fp = frame.next;
	}
	return nr;
}

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
				       __u32 flags)
{
	struct mt_stack_record *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	__u64 last = 0;

	if (!rec) {
		drop__count(MT_DROP_STACK_RINGBUF);
		return false;
	}
	for (__u32 i = 0; i < MT_MAX_FRAMES; i++) {
		if (i >= nr)
			break;
		rec->frames[i] = frames[i];
		last = frames[i];
	}
	rec->kind = MT_REC_STACK;
	rec->nr_frames = nr;
	rec->pid = pid;
	rec->stack_id = id;
	rec->flags = flags;
	rec->pad = 0;
	/*
	 * A stack with Python frames wakes user space now: their code objects
	 * are read from the live process, and a short script may be gone
	 * within the poll interval. First sightings only: rare.
	 */
	bpf_ringbuf_submit(rec, last & MT_PY_FRAME ? BPF_RB_FORCE_WAKEUP : events__wakeup_flag());
	return true;
}

/*
 * The frames' id, and the frames themselves to user space on their first
 * sighting. nr comes from a walk, whose every exit gives it a value the
 * verifier knows: read back through bpf_probe_read_kernel it is a value
 * it does not, or it would check the loops below once for each exit.
 */
static __always_inline __u64 stack__intern(__u32 pid, const __u64 *frames, __u32 walked,
					   __u32 flags)
{
	__u32 nr = 0;
	__u64 id;

	bpf_probe_read_kernel(&nr, sizeof(nr), &walked);
	id = stack__hash(pid, frames, nr);

	if (bpf_map_lookup_elem(&stacks_seen, &id))
		return id;
	if (!stack__send(pid, id, frames, nr, flags))
		return MT_NO_STACK;
	/* after the submit: an id is only ever marked seen once user space can have it */
	bpf_map_update_elem(&stacks_seen, &id, &(__u8){ 1 }, BPF_ANY);
	return id;
}

/* frames is the thread's scratch. */
static __always_inline __u64 stack__capture_from(__u32 pid, __u64 *frames,
						 const struct stack_start *start)
{
	bool truncated;
	__u32 nr;

	frames[0] = start->ret;
	if (!start->ret) {
		drop__count(MT_DROP_STACK_ERROR);
		return MT_NO_STACK;
	}
	nr = stack__walk_fp(start->sp, start->fp, frames, 1, &truncated);
	return stack__intern(pid, frames, nr, truncated ? MT_STACK_F_TRUNCATED : 0);
}

/*
 * At the preload library's site, %rbp is its wrapper's frame: the direct
 * caller is the return address in it, and the caller's %rbp the one it
 * saved. ret stays 0 when the frame cannot be read.
 */
static __always_inline void stack_start__in_frame(struct pt_regs *ctx, struct stack_start *s)
{
	__u64 frame[2] = {};

	bpf_probe_read_user(frame, sizeof(frame), (void *)PT_REGS_FP(ctx));
	s->sp = PT_REGS_FP(ctx) + 8;
	s->skip = 2;
	s->fp = frame[0];
	s->ret = frame[1];
}

/* At an allocator's own probe (stack_start above), or at the preload library's site. */
static __always_inline __u64 stack__capture(struct pt_regs *ctx, __u32 pid, __u64 *frames,
					    bool caller_in_frame)
{
	struct stack_start start;

	if (caller_in_frame)
		stack_start__in_frame(ctx, &start);
	else
		stack_start__at_entry(ctx, &start);
	return stack__capture_from(pid, frames, &start);
}

/*
 * --stack=kernel-dwarf, in a walker program (regs: the thread's scratch).
 * A walk that meets a mapping user space has not told yet copies the
 * stack for user space to unwind instead (stack_dump.bpf.h, with
 * dump_skip): the id is then the dump's.
 */
static __always_inline __u64 stack__capture_dwarf(struct pt_regs *ctx, __u32 pid, __u32 tid,
						  __u64 *frames, struct dwarf_regs *regs,
						  const struct stack_start *start, __u16 dump_skip)
{
	bool truncated = true, py_cut;
	int nr;

	frames[0] = start->ret;
	if (!start->ret) {
		drop__count(MT_DROP_STACK_ERROR);
		return MT_NO_STACK;
	}
	/*
	 * A Python process's frames are shared with its Python words, after
	 * them: its native walk stops halfway so that they have room.
	 */
	nr = stack__walk_dwarf(pid, start, frames, regs,
			       bpf_map_lookup_elem(&python_procs, &pid) ? MT_PY_NATIVE_MAX
									: MT_MAX_FRAMES,
			       &truncated);
	/* the Python frames from the frames' start: the native ones are user space's to find */
	if (nr == DWARF_WALK_UNTOLD) {
		nr = python__walk(pid, tid, frames, 0, &regs->py, &py_cut);
		return stack_dump__send(ctx, pid, tid, dump_skip, frames, nr,
					py_cut ? MT_STACK_F_PY_TRUNCATED : 0);
	}
	if (nr == DWARF_WALK_NO_PROCESS)
		nr = stack__walk_fp(start->sp, start->fp, frames, 1, &truncated);
	nr = python__walk(pid, tid, frames, nr, &regs->py, &py_cut);
	return stack__intern(pid, frames, nr,
			     (truncated ? MT_STACK_F_TRUNCATED : 0) |
				     (py_cut ? MT_STACK_F_PY_TRUNCATED : 0));
}

#endif /* MEMTRACE_STACK_BPF_H */
