/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Mapping records (mmap_watch) of processes not known yet: the perf side
 * band is drained before the ring buffer, so a new process's mappings can
 * come before the fork or exec record that makes it traced. They wait
 * here, a while, and are handed over once it is.
 */
#ifndef MEMTRACE_MMAP_STASH_H
#define MEMTRACE_MMAP_STASH_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/mmap_watch.h"

/* Records kept at most: past it the oldest go (a busy machine maps a lot under -a). */
#define MMAP_STASH_MAX 16384

struct mmap_stash {
	struct mmap_watch_event *events;	/* oldest first; each map.path owned */
	size_t n, cap;
	uint64_t dropped;	/* went unclaimed: too old, or pushed out */
};

/* Keeps a copy of e. -ENOMEM. */
int mmap_stash__add(struct mmap_stash *s, const struct mmap_watch_event *e);
/* Hands pid's records to cb, oldest first, and forgets them; cb's first error stops it. */
int mmap_stash__take(struct mmap_stash *s, uint32_t pid, mmap_watch_cb cb, void *ctx);
/* Forgets the records from before before_ns: no fork or exec record will claim them now. */
void mmap_stash__expire(struct mmap_stash *s, uint64_t before_ns);
void mmap_stash__release(struct mmap_stash *s);

#endif /* MEMTRACE_MMAP_STASH_H */
