// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/py_frame_table.h"
#include "util/array.h"

static uint64_t hash_str(uint64_t h, const char *s)
{
	/* FNV-1a; a NULL file hashes apart from "" by the extra byte */
	if (!s)
		return (h ^ 0xff) * 0x100000001b3ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0) * 0x100000001b3ULL;
}

static uint64_t hash_entry(const char *symbol, const char *file, uint32_t line)
{
	uint64_t h = hash_str(hash_str(0xcbf29ce484222325ULL, symbol), file);

	h = (h ^ line) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* The next key to try after a collision: never 0, which id_map keeps for empty */
static uint64_t rehash(uint64_t h)
{
	h = h * 0x9e3779b97f4a7c15ULL + 1;
	return h ? h : 1;
}

static bool same(const struct py_frame_entry *e, const char *symbol, const char *file,
		 uint32_t line)
{
	if (e->line != line || strcmp(e->symbol, symbol))
		return false;
	if (!e->file || !file)
		return e->file == file;
	return !strcmp(e->file, file);
}

static int64_t add(struct py_frame_table *t, uint64_t key, const char *symbol, const char *file,
	       uint32_t line)
{
	struct py_frame_entry e = { .symbol = strdup(symbol), .file = file ? strdup(file) : NULL,
				    .line = line };
	int err = -ENOMEM;

	if (!e.symbol || (file && !e.file) || ARRAY_RESERVE(&t->entries, &t->cap, t->n + 1))
		goto cleanup;
	err = id_map__put(&t->index, key, (uint32_t)t->n);
	if (err)
		goto cleanup;
	t->entries[t->n] = e;
	return (int64_t)t->n++;
cleanup:
	free(e.symbol);
	free(e.file);
	return err;
}

int64_t py_frame_table__intern(struct py_frame_table *t, const char *symbol, const char *file,
			       uint32_t line)
{
	uint64_t key = hash_entry(symbol, file, line);
	int64_t idx;

	/* an index is 32 bits in id_map: far more frames than any run has */
	if (t->n >= UINT32_MAX)
		return -ENOMEM;
	for (;; key = rehash(key)) {
		idx = id_map__get(&t->index, key);
		if (idx < 0)
			return add(t, key, symbol, file, line);
		if (same(&t->entries[idx], symbol, file, line))
			return idx;
	}
}

const struct py_frame_entry *py_frame_table__get(const struct py_frame_table *t, uint64_t index)
{
	return index < t->n ? &t->entries[index] : NULL;
}

void py_frame_table__release(struct py_frame_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->entries[i].symbol);
		free(t->entries[i].file);
	}
	free(t->entries);
	id_map__release(&t->index);
	*t = (struct py_frame_table){};
}
