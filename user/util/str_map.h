/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Byte strings to dense indexes 0, 1, 2... in the order first added: a
 * profile's string table, and the keys that deduplicate its functions,
 * locations and folded stacks. Keys are copied; nothing is removed.
 */
#ifndef MEMTRACE_STR_MAP_H
#define MEMTRACE_STR_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct str_map_slot {
	char *key;	/* NULL: empty */
	size_t len;
	uint64_t hash;
	uint32_t index;
};

struct str_map {
	struct str_map_slot *slots;
	size_t cap;	/* power of two, or 0 before the first insert */
	size_t n;
	struct str_map_key {
		const char *key;	/* NUL-terminated after its len bytes */
		size_t len;
	} *keys;		/* by index */
	size_t keys_cap;
};

/*
 * The index of key (len bytes), added when new (*added true then; added
 * may be NULL). A negative errno (-ENOMEM, -EOVERFLOW past 2^32 keys) or the index.
 */
int64_t str_map__intern(struct str_map *m, const void *key, size_t len, bool *added);
void str_map__release(struct str_map *m);

#endif /* MEMTRACE_STR_MAP_H */
