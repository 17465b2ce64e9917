/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * GPU memory accounting (README, "Accounting rules", "GPU memory"): how one
 * mt_gpu_event changes a process's live GPU blocks and the counters of
 * each kind (enum gpu_kind) of its thread, its process, its device and the
 * whole run; its OOM events; the GPU libraries probed in it.
 *
 * GPU records are rare next to libc calls: everything here is out of line
 * and lives behind mt_process.gpu, NULL until the process's first GPU
 * record or library, so a host-only run neither pays nor allocates for it.
 */
#ifndef MEMTRACE_GPU_ACCOUNTING_H
#define MEMTRACE_GPU_ACCOUNTING_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "account/counters.h"
#include "account/gpu_blocks.h"
#include "account/site_stats.h"
#include "attach/gpu_funcs.h"

struct mt_process;

/* OOM events kept per process; later ones are only counted. */
#define GPU_OOM_KEEP 64

/* The run's GPU counters, next to the tracker's host totals. */
struct gpu_totals {
	struct mt_counters kinds[GPU_KIND_COUNT];
	uint64_t oom_events;		/* every one, kept or not */
};

/* A thread's GPU counters, by its index in mt_process.threads. */
struct gpu_thread {
	struct mt_counters kinds[GPU_KIND_COUNT];
	int32_t device;			/* the last cudaSetDevice/hipSetDevice, or unknown */
};

struct gpu_device {
	int32_t device;			/* MT_GPU_DEVICE_UNKNOWN: the calls did not say */
	struct mt_counters kinds[GPU_KIND_COUNT];
};

/* An allocation that failed with out-of-memory. */
struct gpu_oom {
	uint64_t ts_ns;			/* CLOCK_MONOTONIC */
	uint64_t size;			/* bytes requested */
	uint64_t gpu_live_bytes;	/* the process's GPU memory live then (gpu_state.live) */
	uint32_t tid;
	uint32_t stack;			/* stack table index (0: none) */
	int32_t device;
	uint16_t func;			/* enum mt_gpu_func */
	uint8_t api, kind;		/* what it would have allocated */
};

struct gpu_state {
	struct mt_counters kinds[GPU_KIND_COUNT];
	/*
	 * Device memory in use, whatever the kind: device, managed, async and
	 * VMM physical bytes (not the ranges mapped onto them, not reserved
	 * address space, not pinned host memory). Its peak is the process's
	 * GPU peak, which the kinds' own peaks cannot add up to.
	 */
	uint64_t live_bytes, live_peak;
	struct gpu_thread *threads;	/* by thread index; grown as threads make GPU calls */
	uint32_t nr_threads;
	struct gpu_device *devices;	/* ascending, MT_GPU_DEVICE_UNKNOWN last */
	uint32_t nr_devices, devices_cap;
	struct gpu_blocks blocks;
	struct gpu_oom ooms[GPU_OOM_KEEP];
	uint32_t nr_ooms;
	uint64_t ooms_omitted;
	char **libraries;		/* paths of the GPU libraries probed in the process */
	uint32_t nr_libraries;
	/*
	 * Freed lifetimes and growth of the GPU leak sites: one site_stats
	 * per allocator (API and kind), so a GPU site never shares an entry
	 * with a host site, or another allocator's, of the same stack.
	 */
	struct site_stats sites[GPU_API_COUNT][GPU_KIND_COUNT];
};

/*
 * Applies an MT_REC_GPU record; stack is its stack table index. 0,
 * -ENOMEM, or -EINVAL for a function out of range.
 */
int gpu_accounting__apply(struct mt_process *p, struct gpu_totals *totals,
			  const struct mt_gpu_event *e, uint32_t stack);
/* Records that the GPU library at path is probed in p (once per path); 0 or -ENOMEM. */
int gpu_accounting__add_library(struct mt_process *p, const char *path);
/* NULL-safe. */
void gpu_accounting__free(struct gpu_state *gs);

/* Whether any call of the kind was seen (counters written for "only kinds with activity"). */
static inline bool gpu_accounting__kind_active(const struct mt_counters *c)
{
	return c->allocs || c->frees || c->failed_allocs || c->unknown_frees;
}
/* The process probed a GPU library or made a GPU call: reports show its GPU memory. */
bool gpu_accounting__active(const struct gpu_state *gs);
/* The thread's GPU counters of a kind; zeros for a thread that made no GPU call. */
const struct mt_counters *gpu_accounting__thread_kind(const struct gpu_state *gs, uint32_t thread,
						      enum gpu_kind kind);

/* Where a GPU leak site of this API and kind keeps its lifetimes and growth; NULL: none. */
struct site_stats *gpu_accounting__sites(struct mt_process *p, enum gpu_api api,
					 enum gpu_kind kind);
/* Starts a growth sample of the process's GPU sites (site_stats__begin_sample). */
void gpu_accounting__begin_sample(struct mt_process *p, double t, uint64_t steps);
/* The first -ENOMEM of a GPU free whose lifetime went unrecorded, or 0. */
int gpu_accounting__sites_err(const struct mt_process *p);

#endif /* MEMTRACE_GPU_ACCOUNTING_H */
