/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The GPU memory functions memtrace probes (enum mt_gpu_func): their
 * symbols, API, the kind of memory each one allocates or gives back, and
 * the BPF program that takes its entry.
 */
#ifndef MEMTRACE_GPU_FUNCS_H
#define MEMTRACE_GPU_FUNCS_H

#include <stdbool.h>

#include <linux/types.h>
#include <memtrace/event.h>

/* What GPU memory is, for accounting: each kind has its own counters. */
enum gpu_kind {
	GPU_KIND_DEVICE,		/* device memory */
	GPU_KIND_MANAGED,		/* unified memory */
	GPU_KIND_PINNED,		/* page-locked host memory */
	GPU_KIND_ASYNC,			/* stream-ordered, from a memory pool */
	GPU_KIND_VMM_PHYSICAL,		/* cuMemCreate's physical memory, by handle */
	GPU_KIND_VMM_MAPPED,		/* ranges mapped onto physical memory */
	GPU_KIND_ADDRESS_RESERVED,	/* address space: not memory */
	GPU_KIND_COUNT,
};

enum gpu_api {
	GPU_API_CUDA,	/* driver and runtime alike */
	GPU_API_HIP,
	GPU_API_COUNT,
};

enum gpu_op {
	GPU_OP_ALLOC,		/* makes memory live (map and reserve included) */
	GPU_OP_FREE,		/* gives it back (unmap, release, address free included) */
	GPU_OP_SET_DEVICE,	/* the calling thread's current device */
	GPU_OP_TRANSFER,	/* a copy: the resource profile's, no record */
	GPU_OP_SYNC,		/* a wait for the device: the resource profile's, no record */
};

struct gpu_func_info {
	const char *symbols[2];		/* the exported names; the second may be NULL */
	const char *prog;		/* the BPF program on its entry */
	enum gpu_api api;
	enum gpu_kind kind;		/* allocations: the kind made; frees: the kind first looked in */
	enum gpu_op op;
	const char *exit_prog;		/* the BPF program on its return; NULL: gpu_exit */
};

/* Transfers and waits: probed only for the resource profile (bpf/resources.bpf.h). */
static inline bool gpu_funcs__is_resource(const struct gpu_func_info *info)
{
	return info->op == GPU_OP_TRANSFER || info->op == GPU_OP_SYNC;
}

/* NULL when fn is out of range. */
const struct gpu_func_info *gpu_funcs__info(enum mt_gpu_func fn);
/* The function's first symbol, "?" when out of range. */
const char *gpu_funcs__name(enum mt_gpu_func fn);
/* "device", "managed", "pinned", "async", "vmm_physical", "vmm_mapped", "address_reserved" */
const char *gpu_funcs__kind_name(enum gpu_kind kind);
/* "cuda", "hip" */
const char *gpu_funcs__api_name(enum gpu_api api);
/*
 * The leak "allocator" of live memory of this API and kind ("cuda.device",
 * "cuda.vmm", "hip.pinned"...); NULL for the kinds that are not leaks on
 * their own (mapped ranges: their physical memory is; reserved address).
 */
const char *gpu_funcs__allocator(enum gpu_api api, enum gpu_kind kind);

#endif /* MEMTRACE_GPU_FUNCS_H */
