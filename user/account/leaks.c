// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/gpu_accounting.h"
#include "account/leaks.h"
#include "attach/allocator_funcs.h"
#include "symbolize/py_frames.h"

static int by_bytes_desc(const void *a, const void *b)
{
	const struct leak_site *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->process->pid != y->process->pid)
		return x->process->pid < y->process->pid ? -1 : 1;
	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	/* one stack may allocate from libc and a GPU API alike */
	return strcmp(x->allocator, y->allocator);
}

/* Growing sites first, steepest first; then the largest. */
static int by_priority(const void *a, const void *b)
{
	const struct leak_site *x = a, *y = b;

	if (x->growth.growing != y->growth.growing)
		return x->growth.growing ? -1 : 1;
	if (x->growth.growing && x->growth.bytes_per_s != y->growth.bytes_per_s)
		return x->growth.bytes_per_s < y->growth.bytes_per_s ? 1 : -1;
	return by_bytes_desc(a, b);
}

/*
 * A new site: of host allocator when gpu is NULL, else of the GPU block's allocator.
 * Its freed lifetimes come from where accounting put them.
 */
static struct leak_site *new_site(struct leak_report *r, size_t *cap, const struct mt_process *p,
				  uint32_t stack, unsigned int allocator,
				  const struct gpu_block *gpu)
{
	const struct freed_lifetimes *freed = NULL;
	const struct site_entry *e;
	struct leak_site *s;

	if (r->n == *cap) {
		size_t grown_cap = *cap ? 2 * *cap : 64;
		struct leak_site *grown = realloc(r->sites, grown_cap * sizeof(*grown));

		if (!grown)
			return NULL;
		r->sites = grown;
		*cap = grown_cap;
	}
	s = &r->sites[r->n++];
	*s = (struct leak_site){ .process = p,
				 .stack = stack,
				 .allocator = allocator_funcs__name(allocator),
				 .oldest_ns = UINT64_MAX };
	if (gpu) {
		s->allocator = gpu_funcs__allocator(gpu->api, gpu->kind);
		s->gpu = true;
		s->gpu_api = gpu->api;
		s->gpu_kind = gpu->kind;
		/* gpu_accounting keeps them apart from the host's, by allocator */
		e = site_stats__find(&p->gpu->sites[gpu->api][gpu->kind], stack);
		if (e)
			freed = &e->freed;
	} else if (stack && p->stacks) {
		/* where accounting put the site's freed lifetimes (see site_stats__on_free) */
		freed = &p->stacks->stacks[stack].freed;
	} else if ((e = site_stats__find(&p->sites, stack))) {
		freed = &e->freed;
	}
	s->first_ns = freed ? freed->first_ns : UINT64_MAX;
	if (freed)
		memcpy(s->freed, freed->count, sizeof(s->freed));
	return s;
}

/* weight: what the block stands for (sample_weight.h), 1 for itself alone */
static void add_to_site(struct leak_site *s, uint64_t size, uint64_t ts_ns, double weight,
			const struct leaks_opts *o)
{
	uint64_t age = o->now_ns > ts_ns ? o->now_ns - ts_ns : 0;

	weighted_sum__add(&s->live, size, weight);
	s->estimated |= weight > 1.0;
	s->live_ages[lifetime_histogram__bucket(age)]++;
	if (ts_ns < s->oldest_ns)
		s->oldest_ns = ts_ns;
	if (ts_ns < s->first_ns)
		s->first_ns = ts_ns;
	/* a block stamped after now (drained late) is age 0: it counts only without a limit */
	if (age >= o->min_age_ns)
		weighted_sum__add(&s->old, size, weight);
}

/* The sums as the integers reports show, once every block is in. */
static void round_sites(struct leak_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct leak_site *s = &r->sites[i];

		s->bytes = weighted_sum__round(s->old.bytes);
		s->count = weighted_sum__round(s->old.blocks);
		s->live_bytes = weighted_sum__round(s->live.bytes);
		s->live_count = weighted_sum__round(s->live.blocks);
		r->estimated |= s->estimated;
	}
}

/* Adds a process's live blocks; by_stack maps a stack index to its site. */
static int collect_table(const struct alloc_table *table, struct leak_report *r,
			 struct id_map *by_stack, size_t *cap, const struct mt_process *p,
			 const struct leaks_opts *o)
{
	alloc_table__for_each(table, b) {
		uint64_t key;
		int64_t idx;

		/* not sampled: its sampled neighbours stand for it */
		if (o->sample_bytes && !b->stack)
			continue;
		/*
		 * stack index 0 ("no stack") is a valid group too: key it apart. One
		 * stack may call two allocators (operator new and malloc): the
		 * allocator goes in the top byte, above collect_gpu's keys.
		 */
		key = ((uint64_t)b->allocator << 56) | ((uint64_t)b->stack + 1);
		idx = id_map__get(by_stack, key);
		if (idx < 0) {
			if (id_map__put(by_stack, key, r->n) ||
			    !new_site(r, cap, p, b->stack, b->allocator, NULL))
				return -ENOMEM;
			idx = r->n - 1;
		}
		add_to_site(&r->sites[idx], b->size, b->ts_ns,
			    sample_weight__of(b->size, o->sample_bytes), o);
	}
	return 0;
}

/* An exited process's blocks, by site: leaks if --leak-age old when it exited. */
static int collect_left(const struct exit_sites *left, struct leak_report *r, size_t *cap,
			const struct mt_process *p)
{
	for (size_t i = 0; i < left->n; i++) {
		const struct exit_site *e = &left->sites[i];
		struct leak_site *s = new_site(r, cap, p, e->stack, e->allocator, NULL);

		if (!s)
			return -ENOMEM;
		s->old = e->old;
		s->live = e->all;
		s->estimated = e->estimated;
		s->oldest_ns = e->oldest_ns;
		if (e->oldest_ns < s->first_ns)
			s->first_ns = e->oldest_ns;
		memcpy(s->live_ages, e->ages, sizeof(s->live_ages));
	}
	return 0;
}

/*
 * Adds a process's live GPU blocks, by (allocator, stack): keys above the
 * host's (stack + 1 <= 2^32), so one map serves both.
 */
static int collect_gpu(const struct gpu_state *gs, struct leak_report *r, struct id_map *by_site,
		       size_t *cap, const struct mt_process *p, const struct leaks_opts *o)
{
	gpu_blocks__for_each(&gs->blocks, b) {
		uint64_t key = ((uint64_t)(2 + b->api * GPU_KIND_COUNT + b->kind) << 32) | b->stack;
		int64_t idx;

		/* mapped ranges and reserved address space are no leak on their own */
		if (!gpu_funcs__allocator(b->api, b->kind))
			continue;
		idx = id_map__get(by_site, key);
		if (idx < 0) {
			if (id_map__put(by_site, key, r->n) || !new_site(r, cap, p, b->stack, 0, b))
				return -ENOMEM;
			idx = r->n - 1;
		}
		/* every GPU allocation has its stack */
		add_to_site(&r->sites[idx], b->size, b->ts_ns, 1.0, o);
	}
	return 0;
}

int leaks__collect(const struct tracker *t, const struct leaks_opts *opts,
		   struct leak_report *out)
{
	size_t cap = 0;
	int err = 0;

	*out = (struct leak_report){};
	for (uint32_t i = 0; i < t->nr_procs && !err; i++) {
		const struct mt_process *p = t->procs[i];
		struct id_map by_stack = {};

		err = collect_table(&p->live, out, &by_stack, &cap, p, opts);
		if (!err)
			err = collect_table(&p->displaced, out, &by_stack, &cap, p, opts);
		if (!err)
			err = collect_left(&p->left, out, &cap, p);
		if (!err && p->gpu)
			err = collect_gpu(p->gpu, out, &by_stack, &cap, p, opts);
		id_map__release(&by_stack);
	}
	if (err) {
		leaks__release(out);
		return err;
	}
	round_sites(out);
	/* no site at all (nothing live, or nothing sampled): sites is NULL, which qsort may not get */
	if (out->n)
		qsort(out->sites, out->n, sizeof(*out->sites), by_bytes_desc);
	return 0;
}

void leaks__keep(struct leak_report *r, size_t max_sites)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->sites[i].count)
			r->sites[n++] = r->sites[i];
	r->n = n;
	if (!max_sites || r->n <= max_sites)
		return;
	qsort(r->sites, r->n, sizeof(*r->sites), by_priority);
	for (size_t i = max_sites; i < r->n; i++) {
		r->omitted_sites++;
		r->omitted_bytes += r->sites[i].bytes;
		r->omitted_count += r->sites[i].count;
	}
	r->n = max_sites;
	qsort(r->sites, r->n, sizeof(*r->sites), by_bytes_desc);
}

void leaks__release(struct leak_report *r)
{
	free(r->sites);
	*r = (struct leak_report){};
}

/* More calls inlined at one address than this ends the stack there. */
#define LEAK_MAX_INLINED 64

size_t leaks__frames(const struct tracker *t, struct symbolizer *sym, const struct leak_site *site,
		     struct leak_frame *frames, size_t max, bool *truncated)
{
	return leaks__stack_frames(t, sym, site->process, site->stack, frames, max, truncated);
}

/* A Python frame of a stack, as the table named it at ingest */
static struct frame_info python_frame(const struct tracker *t, uint64_t frame)
{
	const struct py_frame_entry *e = py_frame_table__get(&t->py_frames,
							     py_frames__index(frame));

	return (struct frame_info){ .symbol = e ? e->symbol : PY_FRAME_UNKNOWN_CODE,
				    .file = e ? e->file : NULL, .line = e ? e->line : 0,
				    .mapped = true, .python = true };
}

size_t leaks__stack_frames(const struct tracker *t, struct symbolizer *sym,
			   const struct mt_process *p, uint32_t stack, struct leak_frame *frames,
			   size_t max, bool *truncated)
{
	const struct mt_stack *s = stack_table__get(&t->stacks, stack);
	struct frame_info chain[LEAK_MAX_INLINED];
	char proc_dir[32];
	size_t n = 0, got;

	/* the walk itself may have stopped early (no CFI, or a frame-pointer chain broke) */
	*truncated = s->truncated;
	snprintf(proc_dir, sizeof(proc_dir), "/proc/%u", p->pid);
	for (uint16_t i = 0; i < s->nr_frames && n < max; i++) {
		if (py_frames__is_python(s->frames[i])) {
			frames[n++] = (struct leak_frame){ .addr = i,
							   .info = python_frame(t, s->frames[i]) };
			continue;
		}
		/* every frame is a return address: the caller's call site is at ip - 1 */
		got = symbolizer__resolve_frames(sym, &p->maps, p->exited ? NULL : proc_dir,
						 s->frames[i], true, chain, LEAK_MAX_INLINED);
		/* the direct caller is read off the stack pointer: always real */
		if (i > 0 && !chain[0].mapped) {
			*truncated = true;
			break;
		}
		if (got > LEAK_MAX_INLINED || got > max - n)
			break;
		for (size_t j = 0; j < got; j++, n++)
			frames[n] = (struct leak_frame){ .ip = s->frames[i], .addr = i,
							 .info = chain[j] };
	}
	return n;
}
