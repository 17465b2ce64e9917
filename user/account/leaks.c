// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/gpu_accounting.h"
#include "account/leaks.h"
#include "attach/allocator_funcs.h"
#include "symbolize/py_frames.h"
#include "util/str_map.h"

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
 * Where accounting put the freed blocks of p's site (stack, allocator), or
 * of its GPU allocator (gpu_api, gpu_kind) when gpu: see
 * process__block_freed. NULL when none was freed.
 */
static const struct freed_lifetimes *site_freed(const struct mt_process *p, uint32_t stack,
						unsigned int allocator, bool gpu,
						uint8_t gpu_api, uint8_t gpu_kind)
{
	const struct site_entry *e;

	if (gpu) {
		/* gpu_accounting keeps them apart from the host's, by allocator */
		e = p->gpu ? site_stats__find(&p->gpu->sites[gpu_api][gpu_kind], stack) : NULL;
		return e ? &e->freed : NULL;
	}
	if (stack && p->stacks && p->stacks->stacks[stack].freed.allocator == allocator + 1)
		return &p->stacks->stacks[stack].freed;
	e = site_stats__find_tagged(&p->sites, stack, (uint8_t)(allocator + 1));
	return e ? &e->freed : NULL;
}

/* The site's freed blocks, in its lifetimes and its totals. */
static void take_freed(struct leak_site *s, const struct freed_lifetimes *freed)
{
	s->first_ns = freed ? freed->first_ns : UINT64_MAX;
	if (!freed)
		return;
	memcpy(s->freed, freed->count, sizeof(s->freed));
	s->freed_count_raw = freed_lifetimes__count(freed);
	s->freed_bytes_raw = freed->bytes;
	s->freed_est = freed->estimate;
	s->thread = site_thread__merge(s->thread, freed->thread);
}

static struct leak_site *grow_sites(struct leak_report *r, size_t *cap)
{
	if (r->n == *cap) {
		size_t grown_cap = *cap ? 2 * *cap : 64;
		struct leak_site *grown = realloc(r->sites, grown_cap * sizeof(*grown));

		if (!grown)
			return NULL;
		r->sites = grown;
		*cap = grown_cap;
	}
	return &r->sites[r->n++];
}

/*
 * A new site: of host allocator when gpu is NULL, else of the GPU block's allocator.
 * Its freed lifetimes come from where accounting put them.
 */
static struct leak_site *new_site(struct leak_report *r, size_t *cap, const struct mt_process *p,
				  uint32_t stack, unsigned int allocator,
				  const struct gpu_block *gpu)
{
	struct leak_site *s = grow_sites(r, cap);

	if (!s)
		return NULL;
	*s = (struct leak_site){ .process = p,
				 .stack = stack,
				 .allocator = allocator_funcs__name(allocator),
				 .oldest_ns = UINT64_MAX,
				 .thread = SITE_THREAD_NONE };
	if (gpu) {
		s->allocator = gpu_funcs__allocator(gpu->api, gpu->kind);
		s->gpu = true;
		s->gpu_api = gpu->api;
		s->gpu_kind = gpu->kind;
	}
	take_freed(s, site_freed(p, stack, allocator, s->gpu, s->gpu_api, s->gpu_kind));
	return s;
}

/* weight: what the block stands for (sample_weight.h), 1 for itself alone */
static void add_to_site(struct leak_site *s, uint64_t size, uint64_t ts_ns, uint32_t thread,
			double weight, const struct leaks_opts *o)
{
	uint64_t age = o->now_ns > ts_ns ? o->now_ns - ts_ns : 0;

	s->thread = site_thread__merge(s->thread, thread);

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

/*
 * The site's totals since tracing began: its freed blocks and its live
 * ones. Under --sample-bytes a host site with a stack has only sampled
 * blocks: each freed one by its weight too, as the live ones.
 */
static void round_totals(struct leak_site *s, const struct leaks_opts *o)
{
	double allocs, bytes;

	if (o->sample_bytes && !s->gpu && s->stack) {
		s->frees = weighted_sum__round(s->freed_est.blocks);
		s->freed_bytes = weighted_sum__round(s->freed_est.bytes);
		allocs = s->freed_est.blocks + s->live.blocks;
		bytes = s->freed_est.bytes + s->live.bytes;
		s->allocs = weighted_sum__round(allocs);
		s->allocated_bytes = weighted_sum__round(bytes);
		/* a freed block stood for others: a weight above 1 */
		s->estimated |= s->freed_est.blocks > (double)s->freed_count_raw + 0.5;
		return;
	}
	s->frees = s->freed_count_raw;
	s->freed_bytes = s->freed_bytes_raw;
	s->allocs = s->frees + weighted_sum__round(s->live.blocks);
	s->allocated_bytes = s->freed_bytes + weighted_sum__round(s->live.bytes);
}

/* The sums as the integers reports show, once every block is in. */
static void round_sites(struct leak_report *r, const struct leaks_opts *o)
{
	for (size_t i = 0; i < r->n; i++) {
		struct leak_site *s = &r->sites[i];

		s->bytes = weighted_sum__round(s->old.bytes);
		s->count = weighted_sum__round(s->old.blocks);
		s->live_bytes = weighted_sum__round(s->live.bytes);
		s->live_count = weighted_sum__round(s->live.blocks);
		round_totals(s, o);
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
		add_to_site(&r->sites[idx], b->size, b->ts_ns, b->thread,
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
		s->thread = site_thread__merge(s->thread, e->thread);
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
		add_to_site(&r->sites[idx], b->size, b->ts_ns, b->thread, 1.0, o);
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
	round_sites(out, opts);
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

/* What names a site: its process, allocator (a static name) and stack. */
struct site_key {
	const struct mt_process *process;
	const char *allocator;
	uint32_t stack;
	uint32_t zero;	/* no padding of unknown bytes in a key compared as bytes */
};

static int64_t site_key__intern(struct str_map *m, const struct mt_process *p,
				const char *allocator, uint32_t stack, bool *added)
{
	struct site_key k = { .process = p, .allocator = allocator, .stack = stack };

	return str_map__intern(m, &k, sizeof(k), added);
}

static int by_allocated_desc(const void *a, const void *b)
{
	const struct leak_site *x = a, *y = b;

	if (x->allocated_bytes != y->allocated_bytes)
		return x->allocated_bytes < y->allocated_bytes ? 1 : -1;
	if (x->allocs != y->allocs)
		return x->allocs < y->allocs ? 1 : -1;
	if (x->process->pid != y->process->pid)
		return x->process->pid < y->process->pid ? -1 : 1;
	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	return strcmp(x->allocator, y->allocator);
}

/* A freed site, unless live has one of that name; 0 or -ENOMEM. */
static int add_freed(struct leak_report *r, size_t *cap, struct str_map *live,
		     const struct mt_process *p, uint32_t stack, unsigned int allocator,
		     const struct freed_lifetimes *freed, int gpu_api, int gpu_kind)
{
	const char *name = gpu_api < 0 ? allocator_funcs__name(allocator)
				       : gpu_funcs__allocator(gpu_api, gpu_kind);
	struct leak_site *s;
	bool added;
	int64_t i;

	if (!name || !freed_lifetimes__count(freed))
		return 0;
	i = site_key__intern(live, p, name, stack, &added);
	if (i < 0)
		return (int)i;
	if (!added)
		return 0;
	s = grow_sites(r, cap);
	if (!s)
		return -ENOMEM;
	*s = (struct leak_site){ .process = p, .stack = stack, .allocator = name,
				 .oldest_ns = UINT64_MAX, .thread = SITE_THREAD_NONE };
	if (gpu_api >= 0) {
		s->gpu = true;
		s->gpu_api = (uint8_t)gpu_api;
		s->gpu_kind = (uint8_t)gpu_kind;
	}
	take_freed(s, freed);
	return 0;
}

struct owner {
	uint32_t pid;
	uint64_t begin_ns;
	const struct mt_process *p;
};

static int by_pid_begin(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->begin_ns != y->begin_ns)
		return x->begin_ns < y->begin_ns ? -1 : 1;
	return 0;
}

/*
 * The process record a stack's freed blocks belong to: stacks are by PID,
 * and a PID may name several records (an exec's images, a PID used again),
 * one after the other: the last that began before the first freed block
 * was allocated. NULL when none did (folded away).
 */
static const struct mt_process *owner_of(const struct owner *o, size_t n, uint32_t pid,
					 uint64_t first_ns)
{
	size_t lo = 0, hi = n;
	const struct mt_process *found = NULL;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && o[lo].pid == pid; lo++) {
		/*
		 * A fork or exec record stamps its process's beginning in the
		 * kernel, before any call of its; a process memtrace found (-p,
		 * -a, launch mode) begins when user space saw it, after its first
		 * calls were stamped: it owns what came before it.
		 */
		if (o[lo].begin_ns <= first_ns || (!found && !o[lo].p->forked && !o[lo].p->exec_ts))
			found = o[lo].p;
		else
			break;
	}
	return found;
}

/* The freed sites of the stack table's entries: each by its process record. */
static int collect_freed_stacks(const struct tracker *t, struct leak_report *r, size_t *cap,
				struct str_map *live)
{
	struct owner *o = calloc(t->nr_procs ? t->nr_procs : 1, sizeof(*o));
	int err = 0;

	if (!o)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->nr_procs; i++)
		o[i] = (struct owner){ t->procs[i]->pid, t->procs[i]->begin_ns, t->procs[i] };
	qsort(o, t->nr_procs, sizeof(*o), by_pid_begin);
	for (uint32_t i = 1; i < t->stacks.n && !err; i++) {
		const struct mt_stack *st = &t->stacks.stacks[i];
		const struct mt_process *p;

		if (!st->freed.allocator || !st->id)
			continue;
		p = owner_of(o, t->nr_procs, st->pid, st->freed.first_ns);
		if (p)
			err = add_freed(r, cap, live, p, i, st->freed.allocator - 1u, &st->freed,
					-1, 0);
	}
	free(o);
	return err;
}

int leaks__collect_freed(const struct tracker *t, const struct leaks_opts *opts,
			 const struct leak_report *live, struct leak_report *out)
{
	struct str_map names = {};
	size_t cap = 0;
	int err = 0;

	*out = (struct leak_report){};
	for (size_t i = 0; i < live->n && !err; i++) {
		const struct leak_site *s = &live->sites[i];
		int64_t idx = site_key__intern(&names, s->process, s->allocator, s->stack, NULL);

		err = idx < 0 ? (int)idx : 0;
	}
	for (uint32_t i = 0; i < t->nr_procs && !err; i++) {
		const struct mt_process *p = t->procs[i];

		/* no stack, or a stack's second allocator: tagged by allocator */
		for (uint32_t j = 0; j < p->sites.n && !err; j++) {
			const struct site_entry *e = &p->sites.entries[j];

			/* sampled, a block without a stack is in no site */
			if (e->tag && !(opts->sample_bytes && !e->stack))
				err = add_freed(out, &cap, &names, p, e->stack, e->tag - 1u,
						&e->freed, -1, 0);
		}
		for (int api = 0; p->gpu && api < GPU_API_COUNT && !err; api++)
			for (int kind = 0; kind < GPU_KIND_COUNT && !err; kind++) {
				const struct site_stats *gs = &p->gpu->sites[api][kind];

				for (uint32_t j = 0; j < gs->n && !err; j++)
					err = add_freed(out, &cap, &names, p, gs->entries[j].stack,
							0, &gs->entries[j].freed, api, kind);
			}
	}
	if (!err)
		err = collect_freed_stacks(t, out, &cap, &names);
	str_map__release(&names);
	if (err) {
		leaks__release(out);
		return err;
	}
	round_sites(out, opts);
	if (out->n)
		qsort(out->sites, out->n, sizeof(*out->sites), by_allocated_desc);
	return 0;
}

void leaks__keep_freed(struct leak_report *r, size_t max_sites)
{
	if (!max_sites || r->n <= max_sites)
		return;
	for (size_t i = max_sites; i < r->n; i++) {
		r->omitted_sites++;
		r->omitted_bytes += r->sites[i].allocated_bytes;
		r->omitted_count += r->sites[i].allocs;
	}
	r->n = max_sites;
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
