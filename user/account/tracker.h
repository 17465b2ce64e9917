/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Everything collected in a run: the traced processes, the stacks and the
 * totals. Ring buffer records come in through ingest/dispatch.c, which
 * finds their process here (tracker__record_process).
 */
#ifndef MEMTRACE_TRACKER_H
#define MEMTRACE_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "account/counters.h"
#include "account/gpu_accounting.h"
#include "account/mapping_accounting.h"
#include "account/process.h"
#include "account/resources.h"
#include "account/stack_table.h"
#include "symbolize/py_frame_table.h"
#include "util/id_map.h"
#include "util/python_mode.h"

struct tracker {
	struct mt_process **procs;
	uint32_t nr_procs, procs_cap;
	struct id_map by_pid;
	struct mt_process *last;	/* the process of the last record: they come in runs */
	struct stack_table stacks;
	struct mt_counters totals;
	uint64_t records;		/* ring buffer records consumed */
	uint64_t stray_records;		/* records of processes not traced (never expected) */
	int err;			/* first fatal error (-ENOMEM) while consuming */
	/* -a: a record of a process not seen yet makes it (else it is a stray) */
	bool create_on_sight;
	/* the kernel's mapping records are followed (mmap_watch): see mt_process.maps_followed */
	bool maps_followed;
	/*
	 * --max-exited: the records of ended processes kept whole; beyond it the
	 * oldest is folded into folded and forgotten. 0: no limit.
	 */
	uint32_t max_exited;
	struct live_cap live_cap;	/* --max-live, over every process */
	uint64_t leak_age_ns;		/* --leak-age: an exited process's leaks are that old at its exit */
	/* leaks_opts.sample_bytes: an exited process's sites are weighted by it */
	uint64_t sample_bytes;
	/* the run's start, where every process's timeline begins (0: its first record's time) */
	uint64_t timeline_origin_ns;
	uint32_t nr_ended;
	struct folded_processes {
		uint64_t processes;
		struct mt_counters c;	/* their counters summed; current_bytes: live at their end */
		uint64_t live_blocks;
		struct allocator_stats by_allocator;
	} folded;
	/* told of each process a record made (fork, exec, -a's first sight), once it is set up */
	void (*on_new_process)(void *ctx, struct mt_process *p);
	/*
	 * Called before each fork, exec or exit record, and a stack dump in a
	 * mapping not known yet: the mappings made before it (a parent's, which
	 * its child copies; the dump's libraries) must be in first.
	 */
	void (*before_lifecycle)(void *ctx);
	/* told of each process whose record ends (exit, exec, vanished), before it does */
	void (*on_end)(void *ctx, struct mt_process *p);
	void *hooks_ctx;
	/* processes the records made since tracker__take_fresh: to probe, to name */
	uint32_t *fresh;
	uint32_t nr_fresh, fresh_cap;
	/* GPU memory, by kind (gpu_accounting.h): after the fields every record touches */
	struct gpu_totals gpu;
	/* --python: how stack records with Python frames are merged (py_frames.h) */
	enum mt_python_mode python_mode;
	/* every process's Python frames, named at ingest: stacks hold their indices */
	struct py_frame_table py_frames;
	/* the resource probes of the run (account/resources.h); threads hold their counters */
	struct run_resources res;
};

int tracker__init(struct tracker *t);
void tracker__release(struct tracker *t);
/* Adds a traced process, or returns the one already there; NULL on -ENOMEM. */
struct mt_process *tracker__add_process(struct tracker *t, uint32_t pid);
/* The process that PID names now: not one that exited or exec-ed, which keep their records. */
struct mt_process *tracker__process(const struct tracker *t, uint32_t pid);
/*
 * The last process PID named, ended or not: the kernel's mapping records
 * come apart from the ring buffer's, and can follow its exit record.
 */
struct mt_process *tracker__latest(const struct tracker *t, uint32_t pid);
/*
 * Hands over the PIDs of the processes made by records (fork, exec, -a's
 * first sight) since the last call; *n of them. Valid until the next record.
 */
const uint32_t *tracker__take_fresh(struct tracker *t, uint32_t *n);
/* PID's process is gone, its exit unseen (a lost record): it ends at now_ns. */
void tracker__end_vanished(struct tracker *t, uint32_t pid, uint64_t now_ns);
/* Hands PID over again at the next tracker__take_fresh (its maps were not there yet). */
int tracker__joined_again(struct tracker *t, uint32_t pid);
/* The run's figures by allocator: its processes', the folded ones' too. */
void tracker__allocator_totals(const struct tracker *t, struct allocator_stats *out);
/* Live processes: not exited, not exec-ed away. */
uint32_t tracker__nr_running(const struct tracker *t);
/* Applies a fork, exec or exit record (MT_REC_PROC). 0 or -ENOMEM. */
int tracker__apply_lifecycle(struct tracker *t, const struct mt_proc_event *e);
/* tracker__record_process for a PID other than the last record's. */
int tracker__lookup_record_process(struct tracker *t, uint32_t pid, bool makes_process,
				   struct mt_process **p);

/*
 * The one way to the process of a record of PID, in *p. A PID not traced
 * gets a new process under -a (create_on_sight) when the record's kind
 * makes_process; else *p is NULL and the record is to be skipped, counted
 * in stray_records unless -a expects such records. Records come in runs
 * of one process: the last one is at hand. 0 or -ENOMEM.
 */
static inline int tracker__record_process(struct tracker *t, uint32_t pid, bool makes_process,
					  struct mt_process **p)
{
	if (t->last && t->last->pid == pid) {
		*p = t->last;
		return 0;
	}
	return tracker__lookup_record_process(t, pid, makes_process, p);
}
/*
 * Mapping records were lost: anyone's mapping or exec may be among them.
 * Every record's maps are read from /proc from now on, the living's now.
 */
void tracker__mappings_lost(struct tracker *t);
/* Every traced process's mapping counters summed, for the report and the snapshot alike. */
void tracker__mapping_totals(const struct tracker *t, struct mapping_stats *out);

#endif /* MEMTRACE_TRACKER_H */
