// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/prom_series.h"

static int by_comm(const void *a, const void *b)
{
	const struct mt_process *p = *(const struct mt_process *const *)a;
	const struct mt_process *q = *(const struct mt_process *const *)b;

	return strncmp(p->comm, q->comm, COMM_LEN);
}

static void add_gpu(struct prom_comm *c, const struct mt_process *p)
{
	const struct gpu_state *gs = p->gpu;

	if (!gpu_accounting__active(gs))
		return;
	c->gpu = true;
	c->gpu_oom_events += gs->nr_ooms + gs->ooms_omitted;
	for (int k = 0; k < GPU_KIND_COUNT; k++) {
		counters__add(&c->gpu_all[k], &gs->kinds[k]);
		if (!p->exited)
			c->gpu_live[k] += gs->kinds[k].current_bytes;
	}
}

static void add_process(struct prom_comm *c, const struct mt_process *p)
{
	counters__add(&c->all, &p->c);
	allocator_stats__add(&c->all_by_allocator, &p->by_allocator);
	add_gpu(c, p);
	if (p->exited)
		return;
	c->running++;
	allocator_stats__add(&c->live, &p->by_allocator);
	if (p->c.peak_bytes > c->peak_bytes)
		c->peak_bytes = p->c.peak_bytes;
}

/* --max-exited: the folded records' sums, under the empty name (theirs are not kept). */
static void add_folded(struct prom_series *s, const struct folded_processes *f)
{
	struct prom_comm *c = s->n ? &s->comms[0] : NULL;

	if (!f->processes)
		return;
	if (!c || c->comm[0]) {
		/* "" sorts first: make room for it there */
		memmove(&s->comms[1], &s->comms[0], s->n * sizeof(*s->comms));
		c = &s->comms[0];
		*c = (struct prom_comm){};
		s->n++;
	}
	counters__add(&c->all, &f->c);
	allocator_stats__add(&c->all_by_allocator, &f->by_allocator);
}

int prom_series__collect(const struct tracker *t, struct prom_series *out)
{
	const struct mt_process **procs;
	struct prom_comm *c = NULL;
	int err = 0;

	*out = (struct prom_series){};
	procs = malloc((t->nr_procs + 1) * sizeof(*procs));
	/* one more: the folded records' entry */
	out->comms = calloc(t->nr_procs + 1, sizeof(*out->comms));
	if (!procs || !out->comms) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (t->nr_procs)
		memcpy(procs, t->procs, t->nr_procs * sizeof(*procs));
	qsort(procs, t->nr_procs, sizeof(*procs), by_comm);
	for (uint32_t i = 0; i < t->nr_procs; i++) {
		if (!c || strncmp(c->comm, procs[i]->comm, COMM_LEN)) {
			c = &out->comms[out->n++];
			memcpy(c->comm, procs[i]->comm, COMM_LEN);
			c->comm[COMM_LEN - 1] = '\0';
		}
		add_process(c, procs[i]);
	}
	add_folded(out, &t->folded);
cleanup:
	free(procs);
	if (err)
		prom_series__release(out);
	return err;
}

void prom_series__release(struct prom_series *s)
{
	free(s->comms);
	*s = (struct prom_series){};
}
