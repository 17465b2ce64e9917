// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probes on the libc malloc family. Entry programs save arguments; the
 * return programs emit an mt_event per outermost call. free() needs no
 * return: it emits at entry, before the block can be reused.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "alloc_call.bpf.h"
#include "allocator_probes.bpf.h"
#include "gpu_call.bpf.h"
#include "lifecycle.bpf.h"
#include "gc_probe.bpf.h"
#include "mmap_trace.bpf.h"
#include "resources.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* calloc's size: an overflowing product fails in libc, and counts as failed */
static __always_inline __u64 mul_saturated(__u64 a, __u64 b)
{
	__u64 max = ~0ULL;

	/* hide the bound from clang, which would fold the test into a 128-bit multiply */
	barrier_var(max);
	if (b && a > max / b)
		return ~0ULL;
	return a * b;
}

SEC("uprobe")
int BPF_KPROBE(malloc_enter, __u64 size)
{
	return alloc_call__enter(ctx, MT_ALLOC_LIBC, MT_FN_MALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(calloc_enter, __u64 nmemb, __u64 size)
{
	return alloc_call__enter(ctx, MT_ALLOC_LIBC, MT_FN_CALLOC, mul_saturated(nmemb, size), 0,
				 0);
}

SEC("uprobe")
int BPF_KPROBE(realloc_enter, __u64 ptr, __u64 size)
{
	return alloc_call__enter(ctx, MT_ALLOC_LIBC, MT_FN_REALLOC, size, ptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(reallocarray_enter, __u64 ptr, __u64 nmemb, __u64 size)
{
	return alloc_call__enter(ctx, MT_ALLOC_LIBC, MT_FN_REALLOCARRAY,
				 mul_saturated(nmemb, size), ptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, __u64 memptr, __u64 alignment, __u64 size)
{
	return alloc_call__enter(ctx, MT_ALLOC_LIBC, MT_FN_POSIX_MEMALIGN, size, 0, memptr);
}

SEC("uprobe")
int BPF_KPROBE(aligned_alloc_enter, __u64 alignment, __u64 size)
{
	return alloc_call__enter(ctx, MT_ALLOC_LIBC, MT_FN_ALIGNED_ALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(memalign_enter, __u64 alignment, __u64 size)
{
	return alloc_call__enter(ctx, MT_ALLOC_LIBC, MT_FN_MEMALIGN, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(valloc_enter, __u64 size)
{
	return alloc_call__enter(ctx, MT_ALLOC_LIBC, MT_FN_VALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(pvalloc_enter, __u64 size)
{
	return alloc_call__enter(ctx, MT_ALLOC_LIBC, MT_FN_PVALLOC, size, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit)
{
	return alloc_call__exit(ctx, false);
}

SEC("uretprobe")
int BPF_KRETPROBE(posix_memalign_exit)
{
	return alloc_call__exit(ctx, true);
}

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr)
{
	return free_call__enter(ctx, MT_ALLOC_LIBC, ptr);
}

/* The malloc replacements (allocator_probes.bpf.h) */
ALLOCATOR_PROGS(jemalloc, MT_ALLOC_JEMALLOC)
ALLOCATOR_PROGS(tcmalloc, MT_ALLOC_TCMALLOC)
ALLOCATOR_PROGS(mimalloc, MT_ALLOC_MIMALLOC)

/*
 * Launch mode with memtrace's preload library (user/preload/): its
 * wrappers call memtrace_site(func, size, addr, old_addr), a 5-byte nop
 * the kernel turns into a call, once per allocator call: after the call
 * returned, or before it for free (the block must not be reused first).
 * One probe hit per call, no return probe. A realloc-like call also marks
 * its start (MT_SITE_CALL_BEGIN), which orders its hidden free against
 * other threads.
 */
SEC("uprobe")
int BPF_KPROBE(preload_site, __u64 func, __u64 size, __u64 addr, __u64 old_addr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct call_state *st;
	__u64 entry_ts;

	if (!recording)
		return 0;
	if (func == MT_FN_FREE) {
		if (addr)
			call_record__emit(MT_ALLOC_LIBC, MT_FN_FREE, pid, tid, MT_NO_STACK, addr, 0, 0,
					  0);
		return 0;
	}
	st = call_state__slot(tid);
	if (!st)
		return 0;
	if (func == MT_SITE_CALL_BEGIN) {
		st->entry_ts = bpf_ktime_get_ns();
		return 0;
	}
	if (func >= MT_FN_COUNT)
		return 0;
	entry_ts = func__needs_start(func) ? st->entry_ts : 0;
	st->size = size;
	if (stack_mode == MT_STACK_KERNEL_DWARF) {
		/* the walker emits the record: ends here unless the tail call failed */
		stack_walker__call(ctx, MT_STACK_WALK_PRELOAD);
		call_record__emit(MT_ALLOC_LIBC, func, pid, tid, MT_NO_STACK, addr, size, old_addr,
				  entry_ts);
		return 0;
	}
	call_record__emit(MT_ALLOC_LIBC, func, pid, tid, call_state__stack(ctx, st, pid, tid, NULL),
			  addr, size, old_addr, entry_ts);
	return 0;
}

/*
 * --stack=kernel-dwarf: the walkers preload_site, the allocator entries
 * (alloc_call.bpf.h) and the GPU entries (gpu_call.bpf.h) end in, each
 * checked by the verifier once (maps.bpf.h, stack_walkers). Never
 * attached: reached by tail call only, with the probe's registers.
 */
SEC("uprobe")
int BPF_KPROBE(stack_walk_preload, __u64 func, __u64 size, __u64 addr, __u64 old_addr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct stack_start start;
	struct call_state *st = bpf_map_lookup_elem(&calls, &tid);
	__u64 stack = MT_NO_STACK;

	if (!st)
		return 0;
	if (call_state__sampled(st, size)) {
		stack_start__in_frame(ctx, &start);
		stack = stack__capture_dwarf(ctx, pid, tid, st->frames, &st->walk, &start,
					     call_state__dump_skip(NULL));
	}
	call_record__emit(MT_ALLOC_LIBC, func, pid, tid, stack, addr, size, old_addr,
			  func__needs_start(func) ? st->entry_ts : 0);
	return 0;
}

SEC("uprobe")
int stack_walk_call(struct pt_regs *ctx)
{
	return alloc_call__walk(ctx);
}

SEC("uprobe")
int stack_walk_gpu(struct pt_regs *ctx)
{
	return gpu_call__walk(ctx);
}

/*
 * GPU memory APIs (gpu_call.bpf.h). One entry program per function, as
 * the function is known only by which program runs (attach cookies need
 * kernel 5.15); one return program for all.
 */
#define GPU_ALLOC(prog, fn)                                                           \
	SEC("uprobe")                                                                 \
	int BPF_KPROBE(prog, __u64 out, __u64 size)                                   \
	{                                                                             \
		gpu_call__walk_at_end(ctx, gpu_call__enter_alloc(ctx, fn, out, size, 0, 0, \
								 MT_GPU_DEVICE_UNKNOWN)); \
		return 0;                                                             \
	}

#define GPU_FREE(prog, fn)                                \
	SEC("uprobe")                                     \
	int BPF_KPROBE(prog, __u64 addr, __u64 size)      \
	{                                                 \
		return gpu_call__enter_free(fn, addr, size); \
	}

/* the size argument of a plain free is whatever is in the register: not passed on */
#define GPU_FREE_PTR(prog, fn)                         \
	SEC("uprobe")                                  \
	int BPF_KPROBE(prog, __u64 addr)               \
	{                                              \
		return gpu_call__enter_free(fn, addr, 0); \
	}

/* cuMemAllocPitch_v2, cudaMallocPitch: the bytes are the pitch chosen times the height */
#define GPU_PITCH(prog, fn)                                                               \
	SEC("uprobe")                                                                     \
	int BPF_KPROBE(prog, __u64 out, __u64 pitch, __u64 width, __u64 height)           \
	{                                                                                 \
		struct gpu_call_state *st = gpu_call__enter_alloc(ctx, fn, out, width, 0, 0, \
								  MT_GPU_DEVICE_UNKNOWN);     \
		if (st) {                                                                 \
			st->pitch_ptr = pitch;                                            \
			st->height = height;                                              \
		}                                                                         \
		gpu_call__walk_at_end(ctx, st);                                           \
		return 0;                                                                 \
	}

#define GPU_SET_DEVICE(prog, fn)                                  \
	SEC("uprobe")                                             \
	int BPF_KPROBE(prog, __s32 device)                        \
	{                                                         \
		return gpu_call__enter_set_device(fn, device);    \
	}

GPU_ALLOC(cu_mem_alloc, MT_GPU_CU_MEM_ALLOC)
GPU_PITCH(cu_mem_alloc_pitch, MT_GPU_CU_MEM_ALLOC_PITCH)
GPU_ALLOC(cu_mem_alloc_managed, MT_GPU_CU_MEM_ALLOC_MANAGED)
GPU_ALLOC(cu_mem_alloc_host, MT_GPU_CU_MEM_ALLOC_HOST)
GPU_ALLOC(cu_mem_host_alloc, MT_GPU_CU_MEM_HOST_ALLOC)
GPU_ALLOC(cu_mem_alloc_async, MT_GPU_CU_MEM_ALLOC_ASYNC)
GPU_ALLOC(cu_mem_alloc_from_pool_async, MT_GPU_CU_MEM_ALLOC_FROM_POOL_ASYNC)
GPU_FREE_PTR(cu_mem_free, MT_GPU_CU_MEM_FREE)
GPU_FREE_PTR(cu_mem_free_host, MT_GPU_CU_MEM_FREE_HOST)
GPU_FREE_PTR(cu_mem_free_async, MT_GPU_CU_MEM_FREE_ASYNC)
GPU_FREE_PTR(cu_mem_release, MT_GPU_CU_MEM_RELEASE)
GPU_FREE(cu_mem_unmap, MT_GPU_CU_MEM_UNMAP)
GPU_ALLOC(cu_mem_address_reserve, MT_GPU_CU_MEM_ADDRESS_RESERVE)
GPU_FREE(cu_mem_address_free, MT_GPU_CU_MEM_ADDRESS_FREE)
GPU_ALLOC(cuda_malloc, MT_GPU_CUDA_MALLOC)
GPU_PITCH(cuda_malloc_pitch, MT_GPU_CUDA_MALLOC_PITCH)
GPU_ALLOC(cuda_malloc_managed, MT_GPU_CUDA_MALLOC_MANAGED)
GPU_ALLOC(cuda_malloc_host, MT_GPU_CUDA_MALLOC_HOST)
GPU_ALLOC(cuda_host_alloc, MT_GPU_CUDA_HOST_ALLOC)
GPU_ALLOC(cuda_malloc_async, MT_GPU_CUDA_MALLOC_ASYNC)
GPU_ALLOC(cuda_malloc_from_pool_async, MT_GPU_CUDA_MALLOC_FROM_POOL_ASYNC)
GPU_FREE_PTR(cuda_free, MT_GPU_CUDA_FREE)
GPU_FREE_PTR(cuda_free_host, MT_GPU_CUDA_FREE_HOST)
GPU_FREE_PTR(cuda_free_async, MT_GPU_CUDA_FREE_ASYNC)
GPU_SET_DEVICE(cuda_set_device, MT_GPU_CUDA_SET_DEVICE)
GPU_ALLOC(hip_malloc, MT_GPU_HIP_MALLOC)
GPU_ALLOC(hip_malloc_managed, MT_GPU_HIP_MALLOC_MANAGED)
GPU_ALLOC(hip_host_malloc, MT_GPU_HIP_HOST_MALLOC)
GPU_ALLOC(hip_malloc_async, MT_GPU_HIP_MALLOC_ASYNC)
GPU_FREE_PTR(hip_free, MT_GPU_HIP_FREE)
GPU_FREE_PTR(hip_host_free, MT_GPU_HIP_HOST_FREE)
GPU_FREE_PTR(hip_free_async, MT_GPU_HIP_FREE_ASYNC)
GPU_SET_DEVICE(hip_set_device, MT_GPU_HIP_SET_DEVICE)

/* CUmemAllocationProp: location {type, id} at offset 8; type 1 is a device */
SEC("uprobe")
int BPF_KPROBE(cu_mem_create, __u64 handle_out, __u64 size, __u64 prop)
{
	__s32 location[2] = {};
	__s32 device = MT_GPU_DEVICE_UNKNOWN;

	if (prop && !bpf_probe_read_user(location, sizeof(location), (void *)(prop + 8)) &&
	    location[0] == 1)
		device = location[1];
	gpu_call__walk_at_end(ctx, gpu_call__enter_alloc(ctx, MT_GPU_CU_MEM_CREATE, handle_out,
							 size, 0, 0, device));
	return 0;
}

/* cuMemMap(ptr, size, offset, handle, flags): the range is known at entry */
SEC("uprobe")
int BPF_KPROBE(cu_mem_map, __u64 ptr, __u64 size, __u64 offset, __u64 handle)
{
	gpu_call__walk_at_end(ctx, gpu_call__enter_alloc(ctx, MT_GPU_CU_MEM_MAP, 0, size, ptr,
							 handle, MT_GPU_DEVICE_UNKNOWN));
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(gpu_exit)
{
	return gpu_call__exit(ctx);
}

/* --step-probe: the traced program reached the start of a training step. */
SEC("uprobe")
int BPF_KPROBE(step_marker)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct mt_event *e;

	if (!recording)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop__count(MT_DROP_OTHER_RECORD);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = MT_REC_STEP;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, events__wakeup_flag());
	return 0;
}

/*
 * Launch mode: stop the new process at a startup point (the dynamic
 * loader's debugger hook, or a static executable's entry point) so user
 * space can read its maps, and attach to the libc it has just mapped,
 * before any of that code runs. The signal is one its tracer intercepts
 * (user/attach/launcher.c), or SIGSTOP where it cannot be traced.
 */
SEC("uprobe")
int BPF_KPROBE(startup_stop)
{
	if ((bpf_get_current_pid_tgid() >> 32) == stop_tgid)
		bpf_send_signal(stop_signal);
	return 0;
}
