// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "util/id_map.h"

static int grow(struct id_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct id_map_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->slots[i].id)
			continue;
		for (j = id_map__slot(m->slots[i].id, cap); slots[j].id; j = (j + 1) & (cap - 1))
			;
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int id_map__put(struct id_map *m, uint64_t id, uint32_t index)
{
	size_t i;
	int err;

	if (!id)
		return -EINVAL;
	/* keep the load under 1/2 so probe chains stay short */
	if ((m->n + 1) * 2 > m->cap) {
		err = grow(m);
		if (err)
			return err;
	}
	for (i = id_map__slot(id, m->cap); m->slots[i].id && m->slots[i].id != id;
	     i = (i + 1) & (m->cap - 1))
		;
	if (!m->slots[i].id)
		m->n++;
	m->slots[i].id = id;
	m->slots[i].index = index;
	return 0;
}

void id_map__release(struct id_map *m)
{
	free(m->slots);
	*m = (struct id_map){};
}

bool id_map__delete(struct id_map *m, uint64_t id)
{
	size_t i, j, home;

	if (!m->cap || !id)
		return false;
	for (i = id_map__slot(id, m->cap); m->slots[i].id != id; i = (i + 1) & (m->cap - 1))
		if (!m->slots[i].id)
			return false;
	/*
	 * Backward shift: an entry further along the run moves into the hole
	 * unless its home lies cyclically in (hole, its slot], where a lookup
	 * starting from home would never pass the hole.
	 */
	for (j = (i + 1) & (m->cap - 1); m->slots[j].id; j = (j + 1) & (m->cap - 1)) {
		home = id_map__slot(m->slots[j].id, m->cap);
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i] = (struct id_map_slot){};
	m->n--;
	return true;
}
