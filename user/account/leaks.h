/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What is live when a report is made, grouped by (process, allocator,
 * stack) and symbolized: the "leaks" of the snapshot and the top of the
 * text report. Host blocks are the "libc" allocator's; GPU blocks are
 * their API's and kind's (gpu_funcs__allocator), except the kinds that are
 * no leak on their own (mapped ranges, reserved address space).
 */
#ifndef MEMTRACE_LEAKS_H
#define MEMTRACE_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account/growth.h"
#include "account/lifetime_histogram.h"
#include "account/sample_weight.h"
#include "account/tracker.h"
#include "symbolize/symbolizer.h"

struct leak_site {
	const struct mt_process *process;
	uint32_t stack;		/* stack table index */
	/* "libc", or a GPU allocator ("cuda.device": gpu_funcs__allocator(gpu_api, gpu_kind)) */
	const char *allocator;
	bool gpu;		/* a GPU site: gpu_api and gpu_kind say which allocator */
	uint8_t gpu_api, gpu_kind;
	/* some block of the site stands for others (--sample-bytes): its figures are estimates */
	bool estimated;
	/*
	 * bytes, count, live_bytes and live_count: old and live rounded, when
	 * leaks__collect is done. Exact unless estimated.
	 */
	uint64_t bytes;		/* live blocks at least --leak-age old */
	uint64_t count;
	uint64_t oldest_ns;	/* allocation time of the oldest block */
	uint64_t live_bytes;	/* every live block, however young: what growth samples */
	uint64_t live_count;
	struct weighted_sum old, live;	/* the same, each block by its weight */
	uint64_t first_ns;	/* earliest allocation seen at the site, freed blocks included */
	/* blocks with this stack, unweighted: an estimated site's sampled blocks themselves */
	uint64_t live_ages[LIFETIME_BUCKETS];	/* every live block, by its age so far */
	uint64_t freed[LIFETIME_BUCKETS];	/* freed blocks, by lifetime */
	/*
	 * Since tracing began: allocations and their bytes, frees and theirs
	 * (an exec's dropped blocks among them), rounded when collected. The
	 * freed blocks' figures plus the live ones': estimates when estimated.
	 * Allocations past --max-live are in no site.
	 */
	uint64_t allocs, allocated_bytes, frees, freed_bytes;
	uint64_t freed_count_raw, freed_bytes_raw;	/* the freed blocks themselves */
	struct weighted_sum freed_est;			/* ... each by its weight */
	/* index of the one thread in process that allocated every block, or SITE_THREAD_* */
	uint32_t thread;
	struct growth_result growth;		/* growth_sampler.h; zero without --interval */
};

struct leak_report {
	struct leak_site *sites;	/* largest first */
	size_t n;
	/*
	 * sites left out by leaks__keep's cap, and what they hold; for freed
	 * sites (leaks__collect_freed) their allocated bytes and allocations
	 */
	size_t omitted_sites;
	uint64_t omitted_bytes, omitted_count;
	bool estimated;			/* some site's figures are estimates */
};

struct leaks_opts {
	uint64_t now_ns;	/* CLOCK_MONOTONIC: ages count to here */
	uint64_t min_age_ns;	/* --leak-age: younger blocks are live, not leak candidates */
	/*
	 * --sample-bytes, 0 when every allocation has its stack (or none has):
	 * then the blocks without one are no site of their own (sample_weight.h)
	 */
	uint64_t sample_bytes;
};

/*
 * Every (process, allocator, stack) with a live block, largest bytes first;
 * with sample_bytes, every one with a sampled block.
 */
int leaks__collect(const struct tracker *t, const struct leaks_opts *opts,
		   struct leak_report *out);
/*
 * Drops the sites without a block old enough to be a leak candidate, then
 * keeps at most max_sites (0: all): the growing ones first, the largest
 * next; the rest are counted in omitted_*. Still largest first.
 */
void leaks__keep(struct leak_report *r, size_t max_sites);
void leaks__release(struct leak_report *r);

/*
 * The sites that allocated since tracing began but hold no live block
 * now: every (process, allocator, stack) with freed blocks and no site in
 * live (leaks__collect's report, before leaks__keep), largest allocated
 * bytes first, their live figures 0.
 */
int leaks__collect_freed(const struct tracker *t, const struct leaks_opts *opts,
			 const struct leak_report *live, struct leak_report *out);
/* Keeps at most max_sites (0: all) freed sites, the largest; the rest in omitted_*. */
void leaks__keep_freed(struct leak_report *r, size_t max_sites);

struct leak_frame {
	uint64_t ip;
	uint16_t addr;		/* index of ip in the site's stack */
	struct frame_info info;
};

/* Room for a whole stack with a few inlined calls at each address. */
#define LEAK_MAX_FRAMES (4 * MT_MAX_FRAMES)

/*
 * The symbolized frames of a site's stack, leaf first, at most max: the
 * calls inlined at an address come first, innermost first, then the
 * function they were inlined into (see symbolizer__resolve_frames); an
 * address whose frames do not all fit is left out, with the rest of the
 * stack. The walk stops at the first address outside every executable
 * mapping (junk from code without frame pointers); *truncated says so, or
 * that the unwinder itself stopped early (mt_stack.truncated).
 * Returns the number of frames; 0 when the stack itself was lost.
 */
size_t leaks__frames(const struct tracker *t, struct symbolizer *sym, const struct leak_site *site,
		     struct leak_frame *frames, size_t max, bool *truncated);
/* The same for any stack of process p (an OOM event's). */
size_t leaks__stack_frames(const struct tracker *t, struct symbolizer *sym,
			   const struct mt_process *p, uint32_t stack, struct leak_frame *frames,
			   size_t max, bool *truncated);

#endif /* MEMTRACE_LEAKS_H */
