// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/gpu_accounting.h"
#include "account/growth_sampler.h"

/* Where the site's growth is kept: GPU sites by allocator, apart from the host's. */
static struct site_stats *site_stats_of(struct mt_process *p, const struct leak_site *s)
{
	if (s->gpu)
		return gpu_accounting__sites(p, s->gpu_api, s->gpu_kind);
	return &p->sites;
}

int growth_sampler__run(struct tracker *t, const struct growth_sampler_opts *o,
			struct leak_report *r)
{
	struct mt_process *p;
	int err;

	for (uint32_t i = 0; i < t->nr_procs; i++) {
		struct mt_process *q = t->procs[i];

		if (q->sites.err)
			return q->sites.err;
		err = gpu_accounting__sites_err(q);
		if (err)
			return err;
		if (o->sample) {
			site_stats__begin_sample(&q->sites, o->t, q->steps);
			gpu_accounting__begin_sample(q, o->t, q->steps);
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		struct leak_site *s = &r->sites[i];
		struct growth_opts opts = o->growth;
		const struct site_entry *e;
		struct site_stats *stats;

		/* the report only reads its processes; the tracker, which owns them, may write */
		p = (struct mt_process *)s->process;
		stats = site_stats_of(p, s);
		if (!stats)
			continue;
		if (o->sample) {
			err = site_stats__sample(stats, s->stack, s->live_bytes);
			if (err)
				return err;
		}
		e = site_stats__find(stats, s->stack);
		/* steps are only known where the probe is in */
		opts.steps = opts.steps && p->step_probe_attached;
		if (e)
			growth__eval(&e->growth, &stats->clock, &opts, &s->growth);
	}
	return 0;
}
