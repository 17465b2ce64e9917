// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>

#include "account/alloc_table.h"
#include "util/table_memory.h"

/* Slots in a 4 KiB page: tables are whole pages, all of it slots. */
#define PAGE_SLOTS 128

/*
 * The home slot is monotonic in the hash, whatever the size: visiting the
 * old slots in order writes the new ones almost in order too, so a resize
 * streams through memory instead of missing the cache at every block.
 */
static int resize(struct alloc_table *t, size_t cap)
{
	struct alloc_table fresh = { .cap = cap, .n = t->n };

	fresh.slots = table_memory__alloc(cap * sizeof(*fresh.slots));
	if (!fresh.slots)
		return -ENOMEM;
	alloc_table__for_each(t, b)
		*alloc_table__probe(&fresh, b->addr) = *b;
	table_memory__free(t->slots, t->cap * sizeof(*t->slots));
	*t = fresh;
	return 0;
}

int alloc_table__grow(struct alloc_table *t)
{
	if (!t->cap)
		return resize(t, ALLOC_TABLE_MIN_CAP);
	/* rounded down: 1/2 full or more */
	return resize(t, (t->cap + t->cap / 2) / PAGE_SLOTS * PAGE_SLOTS);
}

/*
 * By a third: about 9/16 full, far enough from both thresholds that
 * inserts and removes around one size never resize back and forth.
 */
void alloc_table__shrink(struct alloc_table *t)
{
	size_t cap = (t->cap - t->cap / 3) / PAGE_SLOTS * PAGE_SLOTS;

	/* on -ENOMEM the larger table stays, as good as before */
	resize(t, cap < ALLOC_TABLE_MIN_CAP ? ALLOC_TABLE_MIN_CAP : cap);
}

bool alloc_table__remove(struct alloc_table *t, uint64_t addr, struct live_block *out)
{
	struct live_block *b = alloc_table__find(t, addr);

	if (!b)
		return false;
	if (out)
		*out = *b;
	alloc_table__delete(t, b);
	return true;
}

void alloc_table__release(struct alloc_table *t)
{
	table_memory__free(t->slots, t->cap * sizeof(*t->slots));
	*t = (struct alloc_table){};
}

size_t alloc_table__memory(const struct alloc_table *t)
{
	return t->cap * sizeof(struct live_block);
}
