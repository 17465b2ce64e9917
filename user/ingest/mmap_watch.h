/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's own records of new file and executable mappings, execs and
 * exits, for every process, from one dummy perf event per CPU. They outlive
 * the process: a library dlopen'ed just before an exit is still on record
 * after /proc/PID/maps is gone.
 */
#ifndef MEMTRACE_MMAP_WATCH_H
#define MEMTRACE_MMAP_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize/proc_maps.h"

/* Data pages per CPU when the caller passes 0: 256 KiB with 4 KiB pages. */
#define MMAP_WATCH_DEFAULT_PAGES 64

enum mmap_watch_kind {
	MMAP_WATCH_MAP,		/* pid mapped map: a file, or executable memory */
	MMAP_WATCH_EXEC,	/* pid exec'd: its earlier mappings are gone */
	MMAP_WATCH_EXIT,	/* thread tid of pid exited */
	MMAP_WATCH_LOST,	/* a full ring dropped lost records: anyone's maps may be stale */
};

struct mmap_watch_event {
	enum mmap_watch_kind kind;
	uint32_t pid, tid;
	uint64_t time_ns;	/* CLOCK_MONOTONIC */
	uint64_t lost;		/* MMAP_WATCH_LOST */
	struct proc_map map;	/* MMAP_WATCH_MAP; map.path lives until the callback returns */
};

/* A negative return stops the drain and is passed on. */
typedef int (*mmap_watch_cb)(void *ctx, const struct mmap_watch_event *e);

struct mmap_watch;

/*
 * Starts watching on every online CPU; pages_per_cpu is a power of two (0:
 * the default). Fails with perf_event_open's error when the system forbids
 * system-wide events (perf_event_paranoid) or lacks them.
 */
int mmap_watch__open(struct mmap_watch **out, size_t pages_per_cpu);
/* Readable once some ring is a quarter full: one fd for an epoll set. */
int mmap_watch__fd(const struct mmap_watch *w);
/* Hands out every record so far, across CPUs in the order they happened. */
int mmap_watch__drain(struct mmap_watch *w, mmap_watch_cb cb, void *ctx);
void mmap_watch__free(struct mmap_watch *w);

#endif /* MEMTRACE_MMAP_WATCH_H */
