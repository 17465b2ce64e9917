/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What an exited process left live, by stack: its live table, one entry
 * per leak site instead of one per block, so a long run with many
 * short-lived workers keeps memory by sites, not by blocks.
 */
#ifndef MEMTRACE_EXIT_SITES_H
#define MEMTRACE_EXIT_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account/alloc_table.h"
#include "account/lifetime_histogram.h"
#include "account/sample_weight.h"

struct exit_site {
	uint32_t stack;		/* stack table index (0: none) */
	uint8_t allocator;	/* enum mt_allocator: a stack may call two */
	bool estimated;		/* some block stands for others: in what was padding, no bigger */
	uint32_t thread;	/* its blocks' one allocating thread, or SITE_THREAD_SEVERAL */
	/*
	 * Every block, and those at least --leak-age old at the exit (its
	 * leaks), each by its weight (sample_weight.h): exact unless estimated.
	 */
	struct weighted_sum all, old;
	uint64_t oldest_ns;	/* allocation time of its oldest block */
	/* its blocks by their age at the exit, unweighted */
	uint64_t ages[LIFETIME_BUCKETS];
};

struct exit_sites {
	struct exit_site *sites;
	size_t n;
	uint64_t blocks;	/* every block summed up, those in no site included */
};

/*
 * Adds the blocks of table, aged at end_ns; min_age_ns is --leak-age. With
 * sample_bytes (leaks_opts.sample_bytes), the blocks without a stack are in
 * no site. -ENOMEM.
 */
int exit_sites__add_table(struct exit_sites *s, const struct alloc_table *table, uint64_t end_ns,
			  uint64_t min_age_ns, uint64_t sample_bytes);
void exit_sites__release(struct exit_sites *s);

#endif /* MEMTRACE_EXIT_SITES_H */
