/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Growth over a run: at every --interval tick, each process's sites are
 * sampled (their live bytes: every block, whatever --leak-age), and each
 * leak site gets its verdict (growth.h).
 */
#ifndef MEMTRACE_GROWTH_SAMPLER_H
#define MEMTRACE_GROWTH_SAMPLER_H

#include <stdbool.h>

#include "account/growth.h"
#include "account/leaks.h"
#include "account/tracker.h"

struct growth_sampler_opts {
	bool sample;		/* take a sample now, then judge; else judge by the samples taken */
	double t;		/* seconds since tracing started */
	struct growth_opts growth; /* .steps: a step probe was asked for */
};

/*
 * Fills in r's growth verdicts; r is every site with live blocks
 * (leaks__collect), so that a sample sees them all. 0 or -ENOMEM (also
 * when a free could not be recorded in its site's lifetimes).
 */
int growth_sampler__run(struct tracker *t, const struct growth_sampler_opts *o,
			struct leak_report *r);

#endif /* MEMTRACE_GROWTH_SAMPLER_H */
