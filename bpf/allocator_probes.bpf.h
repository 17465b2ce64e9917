/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Entry programs for the allocators beside libc (enum mt_allocator), one
 * per (allocator, argument shape): a program knows its allocator only by
 * being the one that runs, as attach cookies need kernel 5.15. A shape is
 * where the size and pointers are: operator new, mallocx, valloc and
 * mi_malloc_aligned all take the size first, like malloc, and are
 * recorded as a malloc of their allocator. libstdc++'s operators have no
 * probes: its new is counted through its malloc (caller_sites.bpf.h).
 * Returns go through the shared alloc_exit and posix_memalign_exit, which
 * read the allocator from the thread's call slot. User space names the
 * programs "<allocator>_<shape>_enter" (user/attach/allocator_funcs.c).
 */
#ifndef MEMTRACE_ALLOCATOR_PROBES_BPF_H
#define MEMTRACE_ALLOCATOR_PROBES_BPF_H

#include "free_call.bpf.h"

/*
 * The allocators that replace malloc: their C interface (their own je_,
 * tc_, mi_ names and the standard ones) and their own operator new and
 * delete, which call no probed function (jemalloc 5.3 inlines its fast
 * paths) and are recorded by their own return.
 */
#define ALLOCATOR_PROGS(name, allocator)                                                    \
	SEC("uprobe")                                                                       \
	int BPF_KPROBE(name##_malloc_enter, __u64 size)                                     \
	{                                                                                   \
		return alloc_call__enter(ctx, allocator, MT_FN_MALLOC, size, 0, 0);         \
	}                                                                                   \
	SEC("uprobe")                                                                       \
	int BPF_KPROBE(name##_calloc_enter, __u64 nmemb, __u64 size)                        \
	{                                                                                   \
		return alloc_call__enter(ctx, allocator, MT_FN_CALLOC,                      \
					 mul_saturated(nmemb, size), 0, 0);                 \
	}                                                                                   \
	SEC("uprobe")                                                                       \
	int BPF_KPROBE(name##_realloc_enter, __u64 ptr, __u64 size)                         \
	{                                                                                   \
		return alloc_call__enter(ctx, allocator, MT_FN_REALLOC, size, ptr, 0);      \
	}                                                                                   \
	SEC("uprobe")                                                                       \
	int BPF_KPROBE(name##_reallocarray_enter, __u64 ptr, __u64 nmemb, __u64 size)       \
	{                                                                                   \
		return alloc_call__enter(ctx, allocator, MT_FN_REALLOCARRAY,                \
					 mul_saturated(nmemb, size), ptr, 0);               \
	}                                                                                   \
	SEC("uprobe")                                                                       \
	int BPF_KPROBE(name##_posix_memalign_enter, __u64 memptr, __u64 alignment,          \
		       __u64 size)                                                          \
	{                                                                                   \
		return alloc_call__enter(ctx, allocator, MT_FN_POSIX_MEMALIGN, size, 0,     \
					 memptr);                                           \
	}                                                                                   \
	SEC("uprobe")                                                                       \
	int BPF_KPROBE(name##_aligned_alloc_enter, __u64 alignment, __u64 size)             \
	{                                                                                   \
		return alloc_call__enter(ctx, allocator, MT_FN_ALIGNED_ALLOC, size, 0, 0);  \
	}                                                                                   \
	SEC("uprobe")                                                                       \
	int BPF_KPROBE(name##_free_enter, __u64 ptr)                                        \
	{                                                                                   \
		return free_call__enter(ctx, allocator, ptr);                               \
	}                                                                                   \
	SEC("uprobe")                                                                       \
	int BPF_KPROBE(name##_free_nested_enter, __u64 ptr)                                 \
	{                                                                                   \
		return free_call__enter_nested(allocator, ptr);                             \
	}

#endif /* MEMTRACE_ALLOCATOR_PROBES_BPF_H */
