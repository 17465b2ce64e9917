// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "account/gpu_blocks.h"

#define GPU_BLOCKS_MIN_CAP 64

/* Fibonacci hashing, the space folded into the top bits that pointers and handles leave 0. */
static size_t home_of(const struct gpu_blocks *t, uint8_t space, uint64_t addr)
{
	uint64_t key = addr ^ ((uint64_t)space << 60);

	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (t->cap - 1);
}

/* The slot holding the block, or the empty slot that ends its probe chain. */
static struct gpu_block *probe(const struct gpu_blocks *t, uint8_t space, uint64_t addr)
{
	size_t i = home_of(t, space, addr);

	while (t->slots[i].addr && (t->slots[i].addr != addr || t->slots[i].space != space))
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static int resize(struct gpu_blocks *t, size_t cap)
{
	struct gpu_blocks fresh = { .cap = cap, .n = t->n };

	fresh.slots = calloc(cap, sizeof(*fresh.slots));
	if (!fresh.slots)
		return -ENOMEM;
	gpu_blocks__for_each(t, b)
		*probe(&fresh, b->space, b->addr) = *b;
	free(t->slots);
	*t = fresh;
	return 0;
}

int gpu_blocks__insert(struct gpu_blocks *t, const struct gpu_block *b, struct gpu_block *replaced)
{
	struct gpu_block *s;

	if (!b->addr)
		return -EINVAL;
	/* at most 3/4 full: probe chains stay short, and one slot is always empty */
	if ((t->n + 1) * 4 > t->cap * 3) {
		int err = resize(t, t->cap ? 2 * t->cap : GPU_BLOCKS_MIN_CAP);

		if (err)
			return err;
	}
	s = probe(t, b->space, b->addr);
	if (s->addr) {
		if (replaced)
			*replaced = *s;
		*s = *b;
		return 1;
	}
	*s = *b;
	t->n++;
	return 0;
}

struct gpu_block *gpu_blocks__find(const struct gpu_blocks *t, uint8_t space, uint64_t addr)
{
	struct gpu_block *s;

	if (!t->n || !addr)
		return NULL;
	s = probe(t, space, addr);
	return s->addr ? s : NULL;
}

bool gpu_blocks__remove(struct gpu_blocks *t, uint8_t space, uint64_t addr, struct gpu_block *out)
{
	struct gpu_block *b = gpu_blocks__find(t, space, addr);
	size_t mask = t->cap - 1, hole, i;

	if (!b)
		return false;
	if (out)
		*out = *b;
	/* backward shift: pull later members of the probe chain into the hole */
	hole = i = (size_t)(b - t->slots);
	for (;;) {
		size_t home;

		i = (i + 1) & mask;
		if (!t->slots[i].addr)
			break;
		home = home_of(t, t->slots[i].space, t->slots[i].addr);
		/* movable unless its home lies cyclically in (hole, i] */
		if (hole < i ? home <= hole || home > i : home <= hole && home > i) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	t->slots[hole].addr = 0;
	t->n--;
	return true;
}

void gpu_blocks__release(struct gpu_blocks *t)
{
	free(t->slots);
	*t = (struct gpu_blocks){};
}
