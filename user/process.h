/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A traced process: its counters, threads, live blocks and memory map. */
#ifndef MEMTRACE_PROCESS_H
#define MEMTRACE_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc_table.h"
#include "counters.h"
#include "id_map.h"
#include "proc_maps.h"
#include "size_histogram.h"

#define COMM_LEN 16

struct mt_thread {
	uint32_t tid;
	bool exited;
	char comm[COMM_LEN];
	struct mt_counters c;
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
};

/* Reads comm, exe and start time from /proc when the process is there. */
struct mt_process *process__new(uint32_t pid);
void process__free(struct mt_process *p);
/* Index of the thread, created on first sight (name from /proc); -ENOMEM. */
int64_t process__thread(struct mt_process *p, uint32_t tid);
/* Re-reads /proc/PID/maps; keeps the old maps if the process is gone. */
int process__refresh_maps(struct mt_process *p);
/* Reads starttime (field 22) of /proc/PID/stat: -ESRCH when gone. */
int process__read_start_time(uint32_t pid, uint64_t *start_time);

#endif /* MEMTRACE_PROCESS_H */
