/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Is a site's live memory growing? Every --interval, each site's live
 * bytes are sampled. Sample 0 is the start of tracing, where no site holds
 * traced bytes yet, and a site missing from a sample held nothing then.
 *
 * - A sample is a new high when it is above every earlier sample of the
 *   site. A site is growing when each of its last N intervals ended in a
 *   new high. A plateau stops making new highs; a cache emptied and
 *   refilled is not growing until it passes its old high; noise around a
 *   plateau cannot make N new highs in a row once the plateau's top has
 *   been sampled.
 * - With a step probe, an interval in which no step ran and the bytes did
 *   not fall is skipped (a job between steps: evaluation, checkpointing).
 *   A site is also growing when each interval in which steps ran ended in
 *   a new high, over at least 2 such intervals and N steps: a leak per step
 *   shows after N steps, however few intervals they took.
 * - The rate is the least-squares slope of live bytes against time (and
 *   against the step count) over the growing run's samples, the new highs
 *   (not the sample the run rose from: a site's first sample often jumps
 *   from nothing to a large buffer that is not part of the trend). For a
 *   site not growing, over the last N+1 samples. Either way over at least
 *   2 and at most GROWTH_WINDOW samples.
 */
#ifndef MEMTRACE_GROWTH_H
#define MEMTRACE_GROWTH_H

#include <stdbool.h>
#include <stdint.h>

#define GROWTH_WINDOW 32

/* When a process's samples were taken: shared by its sites. */
struct growth_clock {
	uint64_t n;			/* samples taken, sample 0 included */
	double t[GROWTH_WINDOW];	/* seconds since tracing started, by sample % window */
	uint64_t steps[GROWTH_WINDOW];	/* the process's step count at each sample */
};

/* One site's samples and where its runs stand. */
struct growth {
	uint64_t *bytes;	/* live bytes by sample % window; NULL until first sampled */
	uint64_t last;		/* the last sample written */
	uint64_t peak;		/* highest sample so far */
	uint32_t run;		/* intervals up to last, each ending in a new high */
	uint32_t step_run;	/* intervals with steps up to last, each ending in a new high */
	uint64_t step_run_steps; /* steps run during the step run */
	uint64_t step_run_from;	/* the sample the step run starts from */
};

struct growth_opts {
	unsigned int intervals;	/* N: --growth-intervals */
	bool steps;		/* a step probe counts steps */
};

struct growth_result {
	bool growing;
	bool has_rate;		/* at least one interval sampled */
	bool has_per_step;	/* the step count moved over the fitted samples */
	double bytes_per_s;
	double bytes_per_step;
};

/* Takes the next sample at t seconds; the first call also records sample 0. */
void growth_clock__tick(struct growth_clock *c, double t, uint64_t steps);
/* The site's live bytes at the clock's latest sample; at most once a sample. -ENOMEM. */
int growth__add(struct growth *g, const struct growth_clock *c, uint64_t bytes);
/* The verdict as of the clock's latest sample. */
void growth__eval(const struct growth *g, const struct growth_clock *c, const struct growth_opts *o,
		  struct growth_result *out);
void growth__release(struct growth *g);

#endif /* MEMTRACE_GROWTH_H */
