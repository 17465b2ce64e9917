/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A GPU memory API call (CUDA driver and runtime, HIP) from entry to
 * return. These calls are rare next to malloc's, and cost microseconds at
 * least themselves, so every allocation gets a stack and the thread's slot
 * lives in its own map: a libc allocation inside cudaMalloc is still host
 * memory, counted on its own.
 *
 * The runtime calls the driver on the same thread (cudaMalloc enters
 * cuMemAlloc_v2): the inner call only raises the depth of the outer one,
 * so it counts once, as the function the program called.
 */
#ifndef MEMTRACE_GPU_CALL_BPF_H
#define MEMTRACE_GPU_CALL_BPF_H

#include "stack.bpf.h"
#include "stack_dump.bpf.h"

struct gpu_call_state {
	__u64 out_ptr;		/* where the call stores the pointer or handle it made */
	__u64 pitch_ptr;	/* pitch calls: where the pitch goes */
	__u64 size;		/* bytes requested; pitch calls: the width */
	__u64 height;		/* pitch calls: rows of pitch bytes; else 0 */
	__u64 addr;		/* cuMemMap: the range mapped */
	__u64 handle;		/* cuMemMap: the physical memory mapped onto it */
	__u64 stack_id;
	__s32 device;
	__u16 func;
	__u16 depth;		/* GPU calls nested inside this one */
	__u16 active;
	__u16 emit;		/* the return emits a record (allocations, set-device) */
	__u32 pad;
	struct stack_start start;	/* kernel-dwarf: where its walk starts (stack_walk_gpu) */
	struct dwarf_regs walk;		/* kernel-dwarf: its scratch */
	__u64 frames[MT_MAX_FRAMES];	/* the stack walk's scratch, as in call_state */
};

/*
 * Not preallocated: 16384 slots of about 1 KiB would cost every run tens
 * of milliseconds at load; a thread's slot is made once, at its first call.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct gpu_call_state);
} gpu_calls SEC(".maps");

static const struct gpu_call_state empty_gpu_call_state;

/* Made on the thread's first GPU call; goes at thread exit, like the libc slot. */
static __always_inline struct gpu_call_state *gpu_call__slot(__u32 tid)
{
	return thread_slot__get(&gpu_calls, tid, &empty_gpu_call_state);
}

static __always_inline void gpu_call__emit(__u16 func, __u32 result, __u32 pid, __u32 tid,
					   __u64 stack_id, __u64 addr, __u64 size, __u64 handle,
					   __s32 device)
{
	struct mt_gpu_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		drop__count(MT_DROP_RINGBUF_FULL);
		return;
	}
	e->kind = MT_REC_GPU;
	e->func = func;
	e->result = result;
	e->pid = pid;
	e->tid = tid;
	e->ts_ns = bpf_ktime_get_ns();
	e->stack_id = stack_id;
	e->addr = addr;
	e->size = size;
	e->handle = handle;
	e->device = device;
	e->pad = 0;
	/* rare and often what a user waits for (an OOM): no reason to hold it back */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/*
 * The outermost call's slot, marked active; NULL for a nested call (its
 * depth counted) or when nothing is recorded.
 */
static __always_inline struct gpu_call_state *gpu_call__begin(__u32 tid)
{
	struct gpu_call_state *st;

	if (!recording)
		return NULL;
	st = gpu_call__slot(tid);
	if (!st)
		return NULL;
	if (st->active) {
		st->depth++;
		return NULL;
	}
	st->active = 1;
	st->emit = 0;
	return st;
}

/*
 * An allocation's entry: what the return needs to make its record. The
 * slot, for what a caller adds (the pitch calls); NULL for a nested call.
 */
static __always_inline struct gpu_call_state *
gpu_call__enter_alloc(struct pt_regs *ctx, __u16 func, __u64 out_ptr, __u64 size, __u64 addr,
		      __u64 handle, __s32 device)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct gpu_call_state *st = gpu_call__begin(tid);

	if (!st)
		return NULL;
	st->func = func;
	st->out_ptr = out_ptr;
	st->pitch_ptr = 0;
	st->height = 0;
	st->size = size;
	st->addr = addr;
	st->handle = handle;
	st->device = device;
	st->emit = 1;
	st->stack_id = MT_NO_STACK;
	if (stack_mode == MT_STACK_FP)
		st->stack_id = stack__capture(ctx, pid, st->frames, false);
	else if (stack_mode == MT_STACK_DWARF)
		st->stack_id = stack_dump__send(ctx, pid, tid, 1 | MT_DUMP_F_GPU, NULL, 0, 0);
	else if (stack_mode == MT_STACK_KERNEL_DWARF)
		stack_start__at_entry(ctx, &st->start);
	return st;
}

/*
 * --stack=kernel-dwarf: the last thing an allocation's entry probe does
 * (st: gpu_call__enter_alloc's), the walk in stack_walk_gpu.
 */
static __always_inline void gpu_call__walk_at_end(struct pt_regs *ctx,
						   const struct gpu_call_state *st)
{
	if (st && stack_mode == MT_STACK_KERNEL_DWARF)
		stack_walker__call(ctx, MT_STACK_WALK_GPU);
}

/* stack_walk_gpu: the stack of the call gpu_call__enter_alloc began. */
static __always_inline int gpu_call__walk(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct gpu_call_state *st = bpf_map_lookup_elem(&gpu_calls, &tid);

	if (st)
		st->stack_id = stack__capture_dwarf(ctx, pid, tid, st->frames, &st->walk,
						    &st->start, 1 | MT_DUMP_F_GPU);
	return 0;
}

/*
 * A free's entry: its record goes now, before the memory can be handed
 * out again to another thread, whose record would otherwise come first.
 * The call still goes active, so the driver call inside it is not a
 * second free.
 */
static __always_inline int gpu_call__enter_free(__u16 func, __u64 addr, __u64 size)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct gpu_call_state *st = gpu_call__begin((__u32)id);

	if (!st)
		return 0;
	/* cudaFree(NULL) initializes the context; hipFree(NULL) does nothing */
	if (addr)
		gpu_call__emit(func, 0, id >> 32, (__u32)id, MT_NO_STACK, addr, size, 0,
			       MT_GPU_DEVICE_UNKNOWN);
	return 0;
}

/* cudaSetDevice/hipSetDevice: recorded at return, only if it worked. */
static __always_inline int gpu_call__enter_set_device(__u16 func, __s32 device)
{
	struct gpu_call_state *st = gpu_call__begin((__u32)bpf_get_current_pid_tgid());

	if (!st)
		return 0;
	st->func = func;
	st->device = device;
	st->stack_id = MT_NO_STACK;
	st->out_ptr = 0;
	st->pitch_ptr = 0;
	st->height = 0;
	st->size = 0;
	st->addr = 0;
	st->handle = 0;
	st->emit = 1;
	return 0;
}

static __always_inline int gpu_call__exit(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	__u32 result = (__u32)PT_REGS_RC(ctx);
	struct gpu_call_state *st;
	__u64 addr, pitch = 0, size;

	st = bpf_map_lookup_elem(&gpu_calls, &tid);
	/* no slot: the thread's first GPU call was in flight when recording began */
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
	if (!st->emit)
		return 0;
	addr = st->addr;
	size = st->size;
	/* the out-pointers hold something only when the call worked */
	if (result == 0 && st->out_ptr) {
		addr = 0;
		bpf_probe_read_user(&addr, sizeof(addr), (void *)st->out_ptr);
	}
	if (st->pitch_ptr) {
		/* failed: what was asked for, the width times the height */
		pitch = size;
		if (result == 0)
			bpf_probe_read_user(&pitch, sizeof(pitch), (void *)st->pitch_ptr);
		size = pitch * st->height;
	}
	if (result)
		addr = 0;
	gpu_call__emit(st->func, result, pid, tid, st->stack_id, addr, size, st->handle,
		       st->device);
	return 0;
}

#endif /* MEMTRACE_GPU_CALL_BPF_H */
