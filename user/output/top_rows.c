// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/gpu_accounting.h"
#include "account/resources.h"
#include "output/frames.h"
#include "output/top_rows.h"

/* The kinds that are device memory, as gpu_state.live_bytes counts them. */
static const enum gpu_kind device_kinds[] = {
	GPU_KIND_DEVICE, GPU_KIND_MANAGED, GPU_KIND_ASYNC, GPU_KIND_VMM_PHYSICAL,
};

static uint64_t thread_gpu_live(const struct gpu_state *gs, uint32_t thread)
{
	uint64_t live = 0;

	for (size_t k = 0; k < sizeof(device_kinds) / sizeof(device_kinds[0]); k++)
		live += gpu_accounting__thread_kind(gs, thread, device_kinds[k])->current_bytes;
	return live;
}

static void fill_row(struct top_row *r, const char *comm, const struct mt_counters *c)
{
	frames__printable(comm, r->comm, sizeof(r->comm));
	r->live = c->current_bytes;
	r->peak = c->peak_bytes;
	r->allocated = c->allocated_bytes;
	r->freed = c->freed_bytes;
}

/* The profile's counters as the model's columns take them; unknown ones read "-". */
static void fill_res(struct top_resources *out, const struct res_profile *prof)
{
	if (!prof->known)
		return;
	*out = (struct top_resources){
		.known = true,
		.cpu_ns = prof->on_cpu_ns,
		.faults = prof->minor_faults + prof->major_faults,
		.io_bytes = prof->read_bytes + prof->write_bytes,
		.net_bytes = prof->tx_bytes + prof->rx_bytes,
	};
	snprintf(out->bottleneck, sizeof(out->bottleneck), "%s",
		 resources__verdict_name(prof->verdict));
}

static int add_process(struct top_model *m, const struct mt_process *p,
		       const struct run_resources *run)
{
	bool gpu = p->gpu && gpu_accounting__active(p->gpu);
	struct top_row r = { .pid = p->pid, .exited = p->exited, .ended = p->exited, .has_gpu = gpu,
			     .gpu_live = p->gpu ? p->gpu->live_bytes : 0 };
	struct res_profile prof;
	int err;

	fill_row(&r, p->comm, &p->c);
	/* --no-resources: no profile, and its columns read "-" */
	if (run->enabled) {
		resources__process(p, run, &prof);
		fill_res(&r.res, &prof);
	}
	err = top_model__add_process(m, &r);
	for (uint32_t i = 0; i < p->nr_threads && !err; i++) {
		const struct mt_thread *t = &p->threads[i];
		/* exited: the process's, which keys the row (an exec-ed image's threads) */
		struct top_row tr = { .pid = p->pid, .tid = t->tid, .exited = p->exited,
				      .ended = p->exited || t->exited, .has_gpu = gpu,
				      .gpu_live = p->gpu ? thread_gpu_live(p->gpu, i) : 0 };

		fill_row(&tr, t->comm, &t->c);
		if (run->enabled) {
			resources__thread(&t->res, t->exited || p->exited, run, &prof);
			fill_res(&tr.res, &prof);
		}
		err = top_model__add_thread(m, &tr);
	}
	return err;
}

/*
 * A site's name: its leaf frame, as the report names it; under a Python
 * frame, that frame first: "train (train.py:19) > _PyObject_Malloc
 * (obmalloc.c:2003)", what the program's author wrote, then where it
 * allocated.
 */
static void site_name(const struct run_summary *s, const struct leak_site *ls, char *buf,
		      size_t len)
{
	const struct mt_stack *st = stack_table__get(&s->tracker->stacks, ls->stack);
	struct leak_frame *frames;
	char py[TOP_SITE_NAME_LEN], leaf[TOP_SITE_NAME_LEN];
	bool truncated;
	size_t n;

	frames__leaf_name(s, ls->process, ls->stack, leaf, sizeof(leaf));
	snprintf(buf, len, "%s", leaf);
	if (!st->received)
		return;
	frames = calloc(LEAK_MAX_FRAMES, sizeof(*frames));
	n = frames ? leaks__frames(s->tracker, s->sym, ls, frames, LEAK_MAX_FRAMES, &truncated)
		   : 0;
	for (size_t i = 1; i < n; i++) {
		if (!frames[i].info.python)
			continue;
		/* both halves fit: a long Python name does not hide the native leaf */
		snprintf(buf, len, "%.*s > %.*s", (int)(len / 2 - 4),
			 frames__name(&frames[i], py, sizeof(py)), (int)(len / 2 - 4), leaf);
		break;
	}
	free(frames);
}

static int add_site(struct top_model *m, const struct run_summary *s, const struct leak_site *ls)
{
	struct top_site site = { .pid = ls->process->pid, .stack = ls->stack,
				 .stack_id = stack_table__get(&s->tracker->stacks, ls->stack)->id,
				 .live = ls->live_bytes, .blocks = ls->live_count,
				 .estimated = ls->estimated };
	const struct top_site *before;

	snprintf(site.allocator, sizeof(site.allocator), "%s", ls->allocator);
	/* a stack is symbolized once: its name is the frame before's */
	before = top_model__old_site(m, &site);
	if (before)
		memcpy(site.name, before->name, sizeof(site.name));
	else
		site_name(s, ls, site.name, sizeof(site.name));
	return top_model__add_site(m, &site);
}

int top_rows__collect(const struct run_summary *s, struct top_model *m)
{
	const struct tracker *t = s->tracker;
	struct top_totals totals = {
		.processes = t->nr_procs,
		.running = tracker__nr_running(t),
		.host_live = t->totals.current_bytes,
		.lost = run_summary__lost_events(s),
		.elapsed_s = s->duration_s,
	};
	int err = 0;

	for (uint32_t i = 0; i < t->nr_procs; i++)
		if (t->procs[i]->gpu)
			totals.gpu_live += t->procs[i]->gpu->live_bytes;
	top_model__begin(m, &totals);
	for (uint32_t i = 0; i < t->nr_procs && !err; i++)
		err = add_process(m, t->procs[i], &t->res);
	for (size_t i = 0; i < s->leaks.n && !err; i++)
		err = add_site(m, s, &s->leaks.sites[i]);
	return err ?: top_model__end(m);
}

void top_stack_lines__release(struct top_stack_lines *lines)
{
	free(lines->text);
	*lines = (struct top_stack_lines){};
}

static const struct leak_site *find_site(const struct run_summary *s, uint32_t pid, uint32_t stack,
					 const char *allocator)
{
	for (size_t i = 0; i < s->leaks.n; i++) {
		const struct leak_site *site = &s->leaks.sites[i];

		if (site->process->pid == pid && site->stack == stack &&
		    !strcmp(site->allocator, allocator))
			return site;
	}
	return NULL;
}

int top_rows__stack(const struct run_summary *s, uint32_t pid, uint32_t stack,
		    const char *allocator, struct top_stack_lines *lines)
{
	const struct leak_site *site = find_site(s, pid, stack, allocator);
	struct leak_frame *frames = NULL;
	const struct mt_stack *st;
	bool truncated;
	FILE *f;
	size_t n;

	top_stack_lines__release(lines);
	if (!site)
		return 0;
	f = open_memstream(&lines->text, &lines->len);
	if (!f)
		return -ENOMEM;
	st = stack_table__get(&s->tracker->stacks, stack);
	frames = st->received ? calloc(LEAK_MAX_FRAMES, sizeof(*frames)) : NULL;
	if (st->received && !frames) {
		fclose(f);
		top_stack_lines__release(lines);
		return -ENOMEM;
	}
	n = frames ? leaks__frames(s->tracker, s->sym, site, frames, LEAK_MAX_FRAMES, &truncated)
		   : 0;
	/* the report's own lines: "    f+0x1a (f.c:3)  (module)" */
	if (n)
		frames__write_text(frames, n, f);
	else
		fprintf(f, "    (%s)\n", run_summary__no_stack_reason(s, stack, st->received));
	free(frames);
	if (fclose(f)) {
		top_stack_lines__release(lines);
		return -ENOMEM;
	}
	return 0;
}
