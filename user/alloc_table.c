// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "alloc_table.h"

static size_t home_slot(uint64_t addr, size_t cap)
{
	/* malloc addresses share their low bits; take high product bits */
	return (size_t)((addr * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static int resize(struct alloc_table *t, size_t cap)
{
	struct live_block *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->slots[i].addr)
			continue;
		for (j = home_slot(t->slots[i].addr, cap); slots[j].addr; j = (j + 1) & (cap - 1))
			;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

int alloc_table__insert(struct alloc_table *t, const struct live_block *b,
			struct live_block *displaced)
{
	size_t i;
	int err;

	if (!b->addr)
		return -EINVAL;
	if ((t->n + 1) * 4 > t->cap * 3) {
		err = resize(t, t->cap ? t->cap * 2 : 1024);
		if (err)
			return err;
	}
	for (i = home_slot(b->addr, t->cap); t->slots[i].addr; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].addr == b->addr) {
			if (displaced)
				*displaced = t->slots[i];
			t->slots[i] = *b;
			return 1;
		}
	}
	t->slots[i] = *b;
	t->n++;
	return 0;
}

struct live_block *alloc_table__find(const struct alloc_table *t, uint64_t addr)
{
	if (!t->cap || !addr)
		return NULL;
	for (size_t i = home_slot(addr, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].addr == addr)
			return &t->slots[i];
		if (!t->slots[i].addr)
			return NULL;
	}
}

bool alloc_table__remove(struct alloc_table *t, uint64_t addr, struct live_block *out)
{
	struct live_block *b = alloc_table__find(t, addr);
	size_t hole, i, mask = t->cap - 1;

	if (!b)
		return false;
	if (out)
		*out = *b;
	/* backward shift: pull later members of the probe chain into the hole */
	hole = (size_t)(b - t->slots);
	for (i = (hole + 1) & mask; t->slots[i].addr; i = (i + 1) & mask) {
		size_t home = home_slot(t->slots[i].addr, t->cap);

		/* movable unless its home lies cyclically in (hole, i] */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	t->slots[hole].addr = 0;
	t->n--;
	if (t->cap > 1024 && t->n * 8 < t->cap)
		resize(t, t->cap / 2); /* on -ENOMEM the larger table stays valid */
	return true;
}

void alloc_table__release(struct alloc_table *t)
{
	free(t->slots);
	*t = (struct alloc_table){};
}

size_t alloc_table__memory(const struct alloc_table *t)
{
	return t->cap * sizeof(struct live_block);
}
