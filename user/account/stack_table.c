// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "account/stack_table.h"

int stack_table__init(struct stack_table *t)
{
	*t = (struct stack_table){};
	t->cap = 256;
	t->stacks = calloc(t->cap, sizeof(*t->stacks));
	if (!t->stacks)
		return -ENOMEM;
	t->n = 1; /* the "no stack" entry */
	return 0;
}

void stack_table__release(struct stack_table *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->stacks[i].frames);
	free(t->stacks);
	free(t->unused);
	id_map__release(&t->index);
	*t = (struct stack_table){};
}

int64_t stack_table__add(struct stack_table *t, uint64_t id)
{
	uint32_t idx;
	int err;

	if (t->nr_unused) {
		idx = t->unused[t->nr_unused - 1];
		err = id_map__put(&t->index, id, idx);
		if (err)
			return err;
		t->nr_unused--;
		t->stacks[idx] = (struct mt_stack){ .id = id, .freed = FREED_LIFETIMES_INIT };
		return idx;
	}
	if (t->n == t->cap) {
		struct mt_stack *grown = realloc(t->stacks, 2 * t->cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		t->stacks = grown;
		t->cap *= 2;
	}
	err = id_map__put(&t->index, id, t->n);
	if (err)
		return err;
	t->stacks[t->n] = (struct mt_stack){ .id = id, .freed = FREED_LIFETIMES_INIT };
	return t->n++;
}

int64_t stack_table__add_frames(struct stack_table *t, uint64_t id, uint32_t pid,
				const uint64_t *frames, uint16_t nr)
{
	int64_t idx = stack_table__intern(t, id);
	struct mt_stack *s;

	if (idx <= 0)
		return idx;
	s = &t->stacks[idx];
	/* the kernel resends a stack its LRU forgot: the frames are the same */
	if (s->received)
		return idx;
	s->frames = malloc(nr * sizeof(*frames));
	if (nr && !s->frames)
		return -ENOMEM;
	memcpy(s->frames, frames, nr * sizeof(*frames));
	s->nr_frames = nr;
	s->pid = pid;
	s->received = true;
	return idx;
}

int stack_table__drop_pid(struct stack_table *t, uint32_t pid)
{
	for (uint32_t i = 1; i < t->n; i++) {
		struct mt_stack *s = &t->stacks[i];

		if (s->pid != pid || !s->id)
			continue;
		if (t->nr_unused == t->unused_cap) {
			uint32_t cap = t->unused_cap ? 2 * t->unused_cap : 64;
			uint32_t *grown = realloc(t->unused, cap * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			t->unused = grown;
			t->unused_cap = cap;
		}
		id_map__delete(&t->index, s->id);
		free(s->frames);
		*s = (struct mt_stack){};
		t->unused[t->nr_unused++] = i;
	}
	return 0;
}
