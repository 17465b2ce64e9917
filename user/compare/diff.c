// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/diff.h"

/* one side's site, keyed by the pair its process is in */
struct side_ref {
	size_t pair;
	const struct site *site;
	bool after;
};

static int by_pair_key_side(const void *a, const void *b)
{
	const struct side_ref *x = a, *y = b;
	int c;

	if (x->pair != y->pair)
		return x->pair < y->pair ? -1 : 1;
	c = strcmp(x->site->key, y->site->key);
	return c ? c : x->after - y->after;
}

uint64_t diff_site__before(const struct diff_site *s)
{
	return s->before ? s->before->bytes : 0;
}

uint64_t diff_site__after(const struct diff_site *s)
{
	return s->after ? s->after->bytes : 0;
}

const struct site *diff_site__site(const struct diff_site *s)
{
	return s->after ? s->after : s->before;
}

static uint64_t magnitude(const struct diff_site *s)
{
	uint64_t b = diff_site__before(s), a = diff_site__after(s);

	return a > b ? a - b : b - a;
}

/* The biggest change first; equal changes in one order: by status, process and key. */
static int by_change(const void *a, const void *b)
{
	const struct diff_site *x = a, *y = b;
	uint64_t mx = magnitude(x), my = magnitude(y);

	if (mx != my)
		return mx > my ? -1 : 1;
	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	if (x->pair != y->pair)
		return x->pair < y->pair ? -1 : 1;
	return strcmp(diff_site__site(x)->key, diff_site__site(y)->key);
}

static enum site_status classify(const struct site *before, const struct site *after)
{
	if (!before)
		return SITE_NEW;
	if (!after)
		return SITE_GONE;
	if (after->bytes != before->bytes)
		return after->bytes > before->bytes ? SITE_GROWN : SITE_SHRUNK;
	if (after->count != before->count)
		return after->count > before->count ? SITE_GROWN : SITE_SHRUNK;
	return SITE_SAME;
}

/* For each process of one side, the pair it is in. */
static size_t *pair_of(const struct diff *d, size_t nr_procs, bool after)
{
	size_t *map = malloc((nr_procs + 1) * sizeof(*map));

	if (!map)
		return NULL;
	for (size_t i = 0; i < d->nr_pairs; i++) {
		size_t p = after ? d->pairs[i].new : d->pairs[i].base;

		if (p != PROCESS_ABSENT)
			map[p] = i;
	}
	return map;
}

static void add_refs(struct side_ref *refs, size_t *n, const struct site_set *set,
		     const size_t *map, bool after)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct site *s = &set->sites[i];

		refs[(*n)++] = (struct side_ref){
			.pair = s->process == SIZE_MAX ? SIZE_MAX : map[s->process],
			.site = s,
			.after = after,
		};
	}
}

static int count_allocators(struct diff *d)
{
	for (size_t i = 0; i < d->nr_sites; i++) {
		const struct diff_site *s = &d->sites[i];
		const char *name = diff_site__site(s)->allocator;
		struct diff_allocator *a = NULL;

		for (size_t j = 0; j < d->nr_allocators && !a; j++)
			if (!strcmp(d->allocators[j].name, name))
				a = &d->allocators[j];
		if (!a) {
			a = realloc(d->allocators, (d->nr_allocators + 1) * sizeof(*a));
			if (!a)
				return -ENOMEM;
			d->allocators = a;
			a = &d->allocators[d->nr_allocators++];
			*a = (struct diff_allocator){ .name = name };
		}
		if (s->before) {
			a->before_bytes += s->before->bytes;
			a->before_count += s->before->count;
		}
		if (s->after) {
			a->after_bytes += s->after->bytes;
			a->after_count += s->after->count;
		}
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct diff_allocator *)a)->name,
		      ((const struct diff_allocator *)b)->name);
}

static int match_sites(struct diff *d)
{
	size_t *base_map = pair_of(d, d->base->nr_procs, false);
	size_t *new_map = pair_of(d, d->new->nr_procs, true);
	size_t total = d->base_sites.n + d->new_sites.n, n = 0;
	struct side_ref *refs = calloc(total + 1, sizeof(*refs));
	int err = -ENOMEM;

	d->sites = calloc(total + 1, sizeof(*d->sites));
	d->new_by_pair = calloc(d->nr_pairs + 1, sizeof(*d->new_by_pair));
	if (!base_map || !new_map || !refs || !d->sites || !d->new_by_pair)
		goto cleanup;
	add_refs(refs, &n, &d->base_sites, base_map, false);
	add_refs(refs, &n, &d->new_sites, new_map, true);
	qsort(refs, n, sizeof(*refs), by_pair_key_side);
	for (size_t i = 0; i < n; i++) {
		struct diff_site *s = &d->sites[d->nr_sites++];
		bool pair = !refs[i].after && i + 1 < n && refs[i + 1].after &&
			    refs[i + 1].pair == refs[i].pair &&
			    !strcmp(refs[i + 1].site->key, refs[i].site->key);

		*s = (struct diff_site){ .pair = refs[i].pair };
		if (refs[i].after)
			s->after = refs[i].site;
		else
			s->before = refs[i].site;
		if (pair)
			s->after = refs[++i].site;
		s->status = classify(s->before, s->after);
		d->by_status[s->status]++;
		if (s->status == SITE_NEW && s->pair != SIZE_MAX)
			d->new_by_pair[s->pair]++;
	}
	qsort(d->sites, d->nr_sites, sizeof(*d->sites), by_change);
	err = count_allocators(d);
	if (!err && d->nr_allocators > 1)
		qsort(d->allocators, d->nr_allocators, sizeof(*d->allocators), by_name);
cleanup:
	free(base_map);
	free(new_map);
	free(refs);
	return err;
}

int diff__compute(struct diff *d, const struct snapshot *base, const struct snapshot *new,
		  unsigned int depth)
{
	int err;

	*d = (struct diff){ .base = base, .new = new, .depth = depth };
	err = site_set__build(&d->base_sites, base, depth);
	if (!err)
		err = site_set__build(&d->new_sites, new, depth);
	if (!err)
		err = process_pairs__match(base, new, &d->pairs, &d->nr_pairs);
	if (!err)
		err = match_sites(d);
	if (err)
		diff__release(d);
	return err;
}

void diff__release(struct diff *d)
{
	site_set__release(&d->base_sites);
	site_set__release(&d->new_sites);
	free(d->pairs);
	free(d->sites);
	free(d->new_by_pair);
	free(d->allocators);
	*d = (struct diff){};
}

const char *site_status__name(enum site_status s)
{
	static const char *const names[SITE_STATUS_COUNT] = {
		[SITE_NEW] = "new",	  [SITE_GONE] = "gone", [SITE_GROWN] = "grown",
		[SITE_SHRUNK] = "shrunk", [SITE_SAME] = "unchanged",
	};

	return names[s];
}

static uint64_t side_value(enum metric m, const struct snapshot *s, const struct site_set *sites,
			   size_t proc)
{
	return proc == PROCESS_ABSENT ? 0 : metric__value(m, s, sites, proc);
}

void diff__values(const struct diff *d, enum metric m, size_t pair, uint64_t *before,
		  uint64_t *after)
{
	size_t b = pair == METRIC_TOTALS ? METRIC_TOTALS : d->pairs[pair].base;
	size_t a = pair == METRIC_TOTALS ? METRIC_TOTALS : d->pairs[pair].new;

	if (m == METRIC_NEW_LEAK_SITES) {
		*before = 0;
		*after = pair == METRIC_TOTALS ? d->by_status[SITE_NEW] : d->new_by_pair[pair];
		return;
	}
	if (pair == METRIC_TOTALS) {
		*before = metric__value(m, d->base, &d->base_sites, METRIC_TOTALS);
		*after = metric__value(m, d->new, &d->new_sites, METRIC_TOTALS);
		return;
	}
	*before = side_value(m, d->base, &d->base_sites, b);
	*after = side_value(m, d->new, &d->new_sites, a);
}

void diff__pair_label(const struct diff *d, size_t pair, char *buf, size_t len)
{
	const struct snap_process *b, *a;
	char src[512] = "";

	if (pair == SIZE_MAX) {
		snprintf(buf, len, "(no process)");
		return;
	}
	b = d->pairs[pair].base == PROCESS_ABSENT ? NULL : &d->base->procs[d->pairs[pair].base];
	a = d->pairs[pair].new == PROCESS_ABSENT ? NULL : &d->new->procs[d->pairs[pair].new];
	if (b && a && b->source && a->source && strcmp(b->source, a->source))
		snprintf(src, sizeof(src), " [%s -> %s]", b->source, a->source);
	else if ((a && a->source) || (b && b->source))
		snprintf(src, sizeof(src), " [%s]", a && a->source ? a->source : b->source);
	if (a && b)
		snprintf(buf, len, "%s%s (pid %u -> %u)", snap_process__name(a), src, b->pid,
			 a->pid);
	else if (b)
		snprintf(buf, len, "%s%s (pid %u, gone)", snap_process__name(b), src, b->pid);
	else
		snprintf(buf, len, "%s%s (pid %u, new)", snap_process__name(a), src, a->pid);
}
