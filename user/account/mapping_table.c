// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "account/mapping_table.h"

void mapping_table__init(struct mapping_table *t, size_t max)
{
	*t = (struct mapping_table){ .max = max };
}

void mapping_table__release(struct mapping_table *t)
{
	free(t->ranges);
	*t = (struct mapping_table){ .max = t->max };
}

/* Index of the first range ending after addr: the only one that can hold it. */
static size_t first_ending_after(const struct mapping_table *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ranges[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int insert_at(struct mapping_table *t, size_t i, struct mapping_range r)
{
	if (t->n >= t->max)
		return -ENOSPC;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct mapping_range *grown;

		if (cap > t->max)
			cap = t->max;
		grown = realloc(t->ranges, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		t->ranges = grown;
		t->cap = cap;
	}
	memmove(&t->ranges[i + 1], &t->ranges[i], (t->n - i) * sizeof(*t->ranges));
	t->ranges[i] = r;
	t->n++;
	return 0;
}

static void delete_at(struct mapping_table *t, size_t i)
{
	memmove(&t->ranges[i], &t->ranges[i + 1], (t->n - i - 1) * sizeof(*t->ranges));
	t->n--;
}

int mapping_table__add(struct mapping_table *t, uint64_t start, uint64_t end,
		       enum mapping_kind kind)
{
	size_t i = first_ending_after(t, start);
	bool join_left = i > 0 && t->ranges[i - 1].end == start && t->ranges[i - 1].kind == kind;
	bool join_right = i < t->n && t->ranges[i].start == end && t->ranges[i].kind == kind;

	if (start >= end)
		return 0;
	/* joined, a range costs no slot: the kernel merges such neighbours too */
	if (join_left && join_right) {
		t->ranges[i - 1].end = t->ranges[i].end;
		delete_at(t, i);
		return 0;
	}
	if (join_left) {
		t->ranges[i - 1].end = end;
		return 0;
	}
	if (join_right) {
		t->ranges[i].start = start;
		return 0;
	}
	return insert_at(t, i, (struct mapping_range){ .start = start, .end = end, .kind = kind });
}

int mapping_table__remove(struct mapping_table *t, uint64_t start, uint64_t end,
			  uint64_t removed[MAPPING_KIND_COUNT])
{
	size_t i = first_ending_after(t, start);
	int err;

	if (start >= end)
		return 0;
	/* the one case that needs a slot goes first, so a failure changes nothing */
	if (i < t->n && t->ranges[i].start < start && t->ranges[i].end > end) {
		struct mapping_range upper = t->ranges[i];

		upper.start = end;
		err = insert_at(t, i + 1, upper);
		if (err)
			return err;
		t->ranges[i].end = start;
		removed[upper.kind] += end - start;
		return 0;
	}
	while (i < t->n && t->ranges[i].start < end) {
		struct mapping_range *r = &t->ranges[i];
		uint64_t lo = r->start > start ? r->start : start;
		uint64_t hi = r->end < end ? r->end : end;

		removed[r->kind] += hi - lo;
		if (lo == r->start && hi == r->end) {
			delete_at(t, i);
			continue;
		}
		/* only the first range can keep a head, only the last a tail */
		if (lo > r->start)
			r->end = lo;
		else
			r->start = hi;
		i++;
	}
	return 0;
}

int mapping_table__kind_at(const struct mapping_table *t, uint64_t addr)
{
	size_t i = first_ending_after(t, addr);

	if (i < t->n && t->ranges[i].start <= addr)
		return t->ranges[i].kind;
	return -ENOENT;
}
