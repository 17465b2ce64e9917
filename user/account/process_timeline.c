// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/gpu_accounting.h"
#include "account/mapping_accounting.h"
#include "account/process_timeline.h"

void process_timeline__values(const struct mt_process *p, struct timeline_values *v)
{
	*v = (struct timeline_values){0};
	for (unsigned int i = 0; i < MT_ALLOC_COUNT; i++)
		v->host[i] = p->by_allocator.a[i].live_bytes;
	v->host_peak = p->c.current_bytes;
	if (p->gpu) {
		for (unsigned int k = 0; k < GPU_KIND_COUNT; k++)
			v->gpu[k] = p->gpu->kinds[k].current_bytes;
		v->gpu_peak = p->gpu->live_bytes;
	}
	v->rss_bytes = p->rss_bytes;
	if (p->mappings) {
		v->anon_bytes = p->mappings->stats.anon_live_bytes;
		v->brk_bytes = p->mappings->stats.brk_bytes;
	}
}

int process_timeline__advance(struct mt_process *p, uint64_t origin_ns, uint64_t ts_ns)
{
	struct timeline_values now;

	process_timeline__values(p, &now);
	return timeline__advance(&p->timeline, origin_ns ? origin_ns : ts_ns,
				 TIMELINE_RESOLUTION_NS, ts_ns, &now);
}

int process_timeline__tick_gpu(struct mt_process *p, uint64_t origin_ns, uint64_t ts_ns)
{
	int err = process_timeline__tick(p, origin_ns, ts_ns);

	if (!err && p->gpu && p->gpu->live_bytes > p->timeline.cur.v.gpu_peak)
		p->timeline.cur.v.gpu_peak = p->gpu->live_bytes;
	return err;
}

int process_timeline__gc(struct mt_process *p, uint64_t start_ns, uint64_t duration_ns,
			 int32_t generation)
{
	return timeline__add_event(&p->timeline.gcs, start_ns, duration_ns, generation);
}

int process_timeline__step(struct mt_process *p, uint64_t ts_ns)
{
	return timeline__add_event(&p->timeline.steps, ts_ns, 0, -1);
}
