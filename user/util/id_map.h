/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Open-addressing map from a non-zero 64-bit id (pid, tid, stack id) to a
 * 32-bit index into the owner's array. Ids are never removed: a process's
 * threads and stacks live as long as its report does.
 */
#ifndef MEMTRACE_ID_MAP_H
#define MEMTRACE_ID_MAP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct id_map_slot {
	uint64_t id;	/* 0: empty */
	uint32_t index;
};

struct id_map {
	struct id_map_slot *slots;
	size_t cap;	/* power of two, or 0 before the first insert */
	size_t n;
};

static inline size_t id_map__slot(uint64_t id, size_t cap)
{
	/* Fibonacci hashing: ids are often small or aligned, so mix the bits */
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

/* Index of id, or -ENOENT. Inline: a stack id is looked up per allocation. */
static inline int64_t id_map__get(const struct id_map *m, uint64_t id)
{
	if (!m->cap || !id)
		return -ENOENT;
	for (size_t i = id_map__slot(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].id == id)
			return m->slots[i].index;
		if (!m->slots[i].id)
			return -ENOENT;
	}
}

/* Adds or replaces id -> index; -ENOMEM, or -EINVAL for id 0. */
int id_map__put(struct id_map *m, uint64_t id, uint32_t index);
/* Removes id; false when it was not there. */
bool id_map__delete(struct id_map *m, uint64_t id);
void id_map__release(struct id_map *m);

#endif /* MEMTRACE_ID_MAP_H */
