/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A process's memory from the mapping system calls (MT_REC_MMAP): live
 * anonymous bytes and their peak, file-backed bytes apart, and the heap
 * brk moves. Never added into the malloc family's counters: malloc itself
 * takes its large blocks with mmap and its heap with brk, so the same
 * bytes are there once as blocks and once here as mappings.
 *
 * Lengths count in whole pages, as the kernel maps them. A move by mremap
 * counts as unmapping the old range and mapping the new one. Ranges mapped
 * before tracing began are not known: unmapping them changes nothing. A
 * process's exit or exec drops its mappings without a munmap: the counts
 * stay as the last call left them.
 */
#ifndef MEMTRACE_MAPPING_ACCOUNTING_H
#define MEMTRACE_MAPPING_ACCOUNTING_H

#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "account/mapping_table.h"

struct mapping_stats {
	uint64_t anon_live_bytes;	/* anonymous, private or shared: mapped minus unmapped */
	uint64_t anon_peak_bytes;
	uint64_t anon_mapped_bytes;
	uint64_t anon_unmapped_bytes;
	uint64_t file_live_bytes;	/* file-backed, never in the anonymous counts */
	uint64_t file_mapped_bytes;
	uint64_t file_unmapped_bytes;
	uint64_t shared_mapped_bytes;	/* MAP_SHARED, either kind; in its kind's too */
	uint64_t brk_bytes;		/* the heap: the break past its start */
	uint64_t brk_peak_bytes;
	uint64_t brk_grown_bytes;
	uint64_t brk_shrunk_bytes;
	uint64_t mmap_calls;
	uint64_t munmap_calls;
	uint64_t mremap_calls;
	uint64_t brk_calls;
	uint64_t failed_calls;		/* refused by the kernel: nothing changed */
	uint64_t untracked_bytes;	/* mapped while the table was full: in no count */
};

struct mapping_state {
	struct mapping_table table;
	struct mapping_stats stats;
};

/* Ranges per process at most: 6 MiB of table. */
#define MAPPING_TABLE_MAX (1u << 18)

struct mapping_state *mapping_accounting__new(void);
void mapping_accounting__free(struct mapping_state *ms);
/* Applies one record, pages of page_size bytes (a power of two). -ENOMEM. */
int mapping_accounting__apply(struct mapping_state *ms, const struct mt_mmap_event *e,
			      uint64_t page_size);
/* Applies an MT_REC_MMAP record to a process's *ms, made at its first one. -ENOMEM. */
int mapping_accounting__record(struct mapping_state **ms, const struct mt_mmap_event *e);
/* Adds from's counters to into's (peaks too: the sum of the processes' peaks). */
void mapping_accounting__sum(struct mapping_stats *into, const struct mapping_stats *from);

#endif /* MEMTRACE_MAPPING_ACCOUNTING_H */
