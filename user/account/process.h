/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A traced process: its counters, threads, live blocks and memory map. */
#ifndef MEMTRACE_PROCESS_H
#define MEMTRACE_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/cdefs.h> /* __always_inline */

#include "account/alloc_table.h"
#include "account/allocator_stats.h"
#include "account/counters.h"
#include "account/exit_sites.h"
#include "account/resources.h"
#include "account/site_stats.h"
#include "account/size_histogram.h"
#include "account/stack_table.h"
#include "account/timeline.h"
#include "symbolize/dwarf_unwind.h"
#include "symbolize/proc_maps.h"
#include "util/id_map.h"

struct gc_stats;
struct py_proc;
struct gpu_state;
struct libc_image;

/*
 * --max-live: the live blocks kept in tables, over every process. Past max,
 * an allocation is counted (allocs, allocated bytes) but its block is not
 * kept: its bytes are untracked, and its free an unknown free.
 */
struct live_cap {
	uint64_t max;		/* 0: no cap */
	uint64_t live;
	uint64_t untracked_blocks;
	uint64_t untracked_bytes;
};
struct mapping_state;

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
	/* its resource counters as last read (account/resources.h) */
	struct thread_resources res;
};

/* How a process's record ended: it may go on under the same PID with a new image. */
enum process_end {
	PROCESS_RUNNING,
	PROCESS_EXITED,		/* its last thread exited, or it was gone at the end */
	PROCESS_EXECED,		/* it exec-ed: the next record with its PID is the new image */
};

struct mt_process {
	uint32_t pid;
	bool exited;			/* no more records: exited, or exec-ed into a new one */
	enum process_end end;
	bool joined;			/* made by a record (fork, exec, -a), not asked for */
	bool forked;			/* made by a fork record: its files are its parent's */
	uint32_t ppid;			/* 0: not known */
	uint32_t ns_pid;		/* its PID in its own PID namespace; 0: not known */
	bool exit_seen;			/* its exit record came: exit_code is known */
	int32_t exit_code;		/* wait status */
	uint64_t end_ns;		/* CLOCK_MONOTONIC of its exit or exec, 0: not seen */
	uint64_t exec_dropped_blocks;	/* live blocks its exec freed all at once */
	uint64_t exec_dropped_bytes;
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
	struct exit_sites left;		/* after its exit: live and displaced, by site */
	struct live_cap *live_cap;	/* the tracker's; NULL: no cap */
	uint64_t untracked_blocks;	/* allocations past --max-live, not kept */
	uint64_t untracked_bytes;
	struct proc_maps maps;
	/*
	 * Mapping records (mmap_watch) and ring buffer records come apart: an
	 * exec's mappings may arrive before the ring buffer's exec record that
	 * ends this image, and so may those of the execs after it (a shell
	 * that execs a program that execs another). Until their exec records
	 * come they are the next images', one entry per exec, oldest first.
	 */
	struct proc_maps *next_maps;
	size_t nr_next_maps, next_maps_cap;
	struct mt_process *prev_image;	/* the image it exec-ed from, or NULL */
	uint64_t exec_ts;		/* its exec record's time; 0: not made by an exec */
	uint64_t begin_ns;		/* CLOCK_MONOTONIC when its record began (made, forked, exec-ed) */
	bool awaiting_exec_maps;	/* made by an exec record: its mapping exec is still to come */
	uint64_t maps_read_ns;		/* CLOCK_MONOTONIC of the last read, 0: never */
	/*
	 * Made by a fork or exec record while the kernel's mapping records are
	 * followed: they tell every mapping of this image, and /proc, which by
	 * the time a record is read may show the image of a later exec, is
	 * not read for it.
	 */
	bool maps_followed;
	uint64_t maps_gen;		/* bumped at every change of maps */
	struct dwarf_unwinder *unwinder; /* --stack=dwarf, made at the first dump */
	uint64_t unwinder_maps_gen;	/* the maps_gen the unwinder knows */
	struct libc_image *libc;	/* its libc's probes, for the report (libc_locate.h); or NULL */
	struct allocator_stats by_allocator;
	char *preload;			/* launched with the preload library: its path; else NULL */
	uint64_t steps;			/* --step-probe hits */
	uint64_t last_step_ns;		/* CLOCK_MONOTONIC of the last one, 0: none */
	bool step_probe_attached;	/* steps are counted (step_probe.h) */
	struct site_stats sites;	/* per stack: lifetimes, growth */
	struct stack_table *stacks;	/* the tracker's, where freed lifetimes go; may be NULL */
	/* the tracker's sample_bytes: what a freed block with a stack stood for */
	uint64_t sample_bytes;
	struct gpu_state *gpu;		/* gpu_accounting.h; NULL until a GPU record or library */
	struct gc_stats *gc;		/* gc_stats.h; NULL until GC probes or a GC record */
	struct mapping_state *mappings;	/* mapping_accounting.h; NULL until an MT_REC_MMAP */
	/* its interpreter and code objects (py_proc.h); NULL until a stack with Python frames */
	struct py_proc *python;
	uint64_t python_maps_gen;	/* the maps_gen python was made with */
	struct process_sockets sockets;	/* the resource profile's (account/resources.h) */
	uint64_t rss_bytes;		/* resident, at the last resource read while it ran; 0: none */
	/* memory over time (process_timeline.h): kept after its end, freed with it */
	struct timeline timeline;
};

/*
 * Block b of p's is gone at free_ns (freed, or dropped by an exec): its
 * site's freed totals and lifetimes. Into its stack's entry, already in
 * cache from the lookups of the free, unless it has no stack or its stack
 * freed another allocator's blocks first: then p->sites, under the
 * allocator's tag. Inline: every free goes through here.
 */
static __always_inline void process__block_freed(struct mt_process *p,
						 const struct live_block *b, uint64_t free_ns)
{
	struct freed_lifetimes *f = NULL;
	struct mt_stack *st;

	if (b->stack && p->stacks) {
		st = &p->stacks->stacks[b->stack];
		if (!st->freed.allocator) {
			st->freed.allocator = b->allocator + 1;
			/* a placeholder (its stack record lost) still has its process */
			if (!st->pid)
				st->pid = p->pid;
		}
		if (st->freed.allocator == b->allocator + 1) {
			f = &st->freed;
			freed_lifetimes__add(f, b->ts_ns, free_ns, b->size, b->thread);
		}
	}
	if (!f)
		f = site_stats__on_free(&p->sites, b->stack, b->allocator + 1, b->ts_ns, free_ns,
					b->size, b->thread);
	/* sampled blocks are few: their weight is worked out here, not stored */
	if (f && p->sample_bytes && b->stack)
		weighted_sum__add(&f->estimate, b->size,
				  sample_weight__of(b->size, p->sample_bytes));
}

/* Reads comm, exe and start time from /proc when the process is there. */
struct mt_process *process__new(uint32_t pid);
/*
 * A process the kernel just announced, started at start_boottime (ns since
 * boot): /proc is read only while it still shows that process, not another
 * one with the PID used again.
 */
struct mt_process *process__new_seen(uint32_t pid, uint64_t start_boottime, const char *comm);
/* Reads NSpid of /proc/PID/status: the PID in its own namespace, 0 when not known. */
uint32_t process__read_ns_pid(uint32_t pid);
/*
 * The old image's blocks all went at its exec, at ts_ns: counted, freed at
 * their sites, then forgotten.
 */
void process__drop_image(struct mt_process *p, uint64_t ts_ns);
/*
 * It exited: its live blocks are summed up by site (process.left), those
 * min_age_ns old (--leak-age) apart, sampled ones weighted by sample_bytes
 * (exit_sites__add_table), and its tables freed, with the other state only a
 * running process needs. -ENOMEM.
 */
int process__retire(struct mt_process *p, uint64_t min_age_ns, uint64_t sample_bytes);
/* Live blocks: in its tables while it runs, in left after its exit. */
uint64_t process__live_blocks(const struct mt_process *p);
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
/* Thread tid exited with the name comm (COMM_LEN bytes). 0 or -ENOMEM. */
int process__thread_exit(struct mt_process *p, uint32_t tid, const char *comm);
/* Whether /proc/PID/maps still shows this image when a record is read: it lives, and maps_followed is off. */
static inline bool process__may_read_maps(const struct mt_process *p)
{
	return !p->exited && !p->maps_followed;
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
 * new image's maps (not its names: the caller has them, and /proc may show
 * a later image by now); a process already gone starts with no maps, for
 * its mmap records to fill in. -ENOMEM.
 */
int process__reset_maps(struct mt_process *p);
/*
 * The mappings' exec record, at time_ns, for the image latest or one it
 * exec-ed from: the mappings that follow are the new image's, whether its
 * ring buffer exec record came already or not. -ENOMEM.
 */
int process__begin_exec_maps(struct mt_process *latest, uint64_t time_ns);
/* Where a mapping record goes: latest, or the image it exec-ed from. */
struct mt_process *process__map_owner(struct mt_process *latest);
/* The ring buffer's exec record made p, the new image of old (NULL: not traced before). */
void process__take_exec_maps(struct mt_process *old, struct mt_process *p);
/* Reads starttime (field 22) of /proc/PID/stat: -ESRCH when gone. */
int process__read_start_time(uint32_t pid, uint64_t *start_time);

#endif /* MEMTRACE_PROCESS_H */
