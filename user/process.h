/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A traced process: its counters, threads, live blocks and memory map. */
#ifndef MEMTRACE_PROCESS_H
#define MEMTRACE_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc_table.h"
#include "allocator_locate.h"
#include "allocator_stats.h"
#include "counters.h"
#include "dwarf_unwind.h"
#include "id_map.h"
#include "libc_locate.h"
#include "proc_maps.h"
#include "site_stats.h"
#include "size_histogram.h"
#include "stack_table.h"

#define COMM_LEN 16

struct gpu_state;

struct mt_thread {
	uint32_t tid;
	bool exited;
	char comm[COMM_LEN];
	struct mt_counters c;
	/* --stack=dwarf: the thread's last unwound dump, for the call record that follows it */
	uint64_t dump_id;
	uint32_t dump_stack;
	/* the same for its GPU call in flight, whose host allocations send dumps of their own */
	uint32_t gpu_dump_stack;
	uint64_t gpu_dump_id;
};

struct mt_process {
	uint32_t pid;
	bool exited;
	char comm[COMM_LEN];
	char *exe;
	uint64_t start_time;		/* /proc/PID/stat starttime: tells PID reuse apart */
	struct mt_counters c;
	struct size_histogram sizes;
	struct mt_thread *threads;
	uint32_t nr_threads, threads_cap;
	/* recently seen threads by tid % 8: lookups without hashing while few threads run */
	uint32_t thread_hint[8];
	struct id_map thread_index;
	struct alloc_table live;
	/*
	 * Blocks whose address was handed out again before their free arrived:
	 * realloc frees inside the call but reports at its return, so another
	 * thread's malloc of the same address can be seen first.
	 */
	struct alloc_table displaced;
	struct proc_maps maps;
	uint64_t maps_read_ns;		/* CLOCK_MONOTONIC of the last read, 0: never */
	uint64_t maps_gen;		/* bumped at every change of maps */
	struct dwarf_unwinder *unwinder; /* --stack=dwarf, made at the first dump */
	uint64_t unwinder_maps_gen;	/* the maps_gen the unwinder knows */
	struct libc_image libc;		/* what is probed, and where */
	struct allocator_set allocators; /* the other allocators probed (allocator_locate.h) */
	struct allocator_stats by_allocator;
	char *preload;			/* launched with the preload library: its path; else NULL */
	uint64_t steps;			/* --step-probe hits */
	uint64_t last_step_ns;		/* CLOCK_MONOTONIC of the last one, 0: none */
	bool step_probe_attached;	/* steps are counted (step_probe.h) */
	struct site_stats sites;	/* per stack: lifetimes, growth */
	struct stack_table *stacks;	/* the tracker's, where freed lifetimes go; may be NULL */
	struct gpu_state *gpu;		/* gpu_accounting.h; NULL until a GPU record or library */
};

/* Reads comm, exe and start time from /proc when the process is there. */
struct mt_process *process__new(uint32_t pid);
void process__free(struct mt_process *p);
/* Index of the thread, created on first sight (name from /proc); -ENOMEM. */
int64_t process__lookup_thread(struct mt_process *p, uint32_t tid);

/* The same, inline when the thread's hint is right (tid 0 is never a thread). */
static inline int64_t process__thread(struct mt_process *p, uint32_t tid)
{
	uint32_t idx = p->thread_hint[tid % 8];

	if (idx < p->nr_threads && p->threads[idx].tid == tid)
		return idx;
	return process__lookup_thread(p, tid);
}
/* Re-reads /proc/PID/maps; keeps the old maps if the process is gone. */
int process__refresh_maps(struct mt_process *p);
/*
 * A mapping the kernel reported (mmap_watch): it replaces or trims whatever
 * it overlaps, as mmap does. Not a read of /proc: maps_read_ns stays. -ENOMEM.
 */
int process__add_map(struct mt_process *p, const struct proc_map *map);
/*
 * After an exec: the old image's mappings name nothing any more. Reads the
 * new image's maps, exe and comm; a process already gone starts with no
 * maps, for its mmap records to fill in. -ENOMEM.
 */
int process__reset_maps(struct mt_process *p);
/* Reads starttime (field 22) of /proc/PID/stat: -ESRCH when gone. */
int process__read_start_time(uint32_t pid, uint64_t *start_time);

#endif /* MEMTRACE_PROCESS_H */
