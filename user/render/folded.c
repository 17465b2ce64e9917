// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render/folded.h"
#include "render/site_names.h"
#include "util/array.h"
#include "util/str_map.h"

#define NAME_LEN 1024

int folded__parse_value(const char *arg, enum folded_value *out)
{
	static const char *const names[] = {
		[FOLDED_BYTES] = "bytes",
		[FOLDED_BLOCKS] = "blocks",
		[FOLDED_ALLOCATED] = "allocated",
		[FOLDED_COUNT] = "count",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(arg, names[i])) {
			*out = (enum folded_value)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ';' separates frames and '\n' lines: neither may be in a name */
static void put_name(FILE *m, const char *name)
{
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		fputc(c == ';' ? ':' : c < 0x20 || c == 0x7f ? '?' : c, m);
	}
}

/* The site's stack, root first. */
static int stack_line(const struct snap_leak *l, char **line, size_t *len)
{
	FILE *m = open_memstream(line, len);
	char name[NAME_LEN];
	bool first = true;

	if (!m)
		return -errno;
	if (site_names__gpu_kind(l->allocator)) {
		fprintf(m, "[");
		put_name(m, l->allocator);
		fprintf(m, "]");
		first = false;
	}
	for (size_t i = l->nr_frames; i-- > 0;) {
		site_names__frame(&l->frames[i], name, sizeof(name));
		fputs(first ? "" : ";", m);
		put_name(m, name);
		first = false;
	}
	if (!l->nr_frames)
		fprintf(m, "%s%s", first ? "" : ";", SITE_NO_STACK);
	return fclose(m) ? -ENOMEM : 0;
}

struct folded {
	struct str_map stacks;
	uint64_t *values;	/* by the stack's index */
	size_t cap;
};

static int add_site(struct folded *f, const struct snap_leak *l, enum folded_value value)
{
	char *line = NULL;
	uint64_t add;
	size_t len = 0;
	int64_t i;
	bool added;
	int err;

	err = stack_line(l, &line, &len);
	if (err)
		goto cleanup;
	i = str_map__intern(&f->stacks, line, len, &added);
	if (i < 0) {
		err = (int)i;
		goto cleanup;
	}
	if (added) {
		err = ARRAY_RESERVE(&f->values, &f->cap, (size_t)i + 1);
		if (err)
			goto cleanup;
		f->values[i] = 0;
	}
	/* the reader bounds each snapshot's sum to 2^63-1, not that of many snapshots */
	switch (value) {
	case FOLDED_BLOCKS:
		add = l->count;
		break;
	case FOLDED_ALLOCATED:
		add = l->allocated_bytes;
		break;
	case FOLDED_COUNT:
		add = l->allocs;
		break;
	case FOLDED_BYTES:
	default:
		add = l->bytes;
		break;
	}
	if (f->values[i] > UINT64_MAX - add) {
		err = -EOVERFLOW;
		goto cleanup;
	}
	f->values[i] += add;
cleanup:
	free(line);
	return err;
}

static const struct str_map *sort_map;

static int compare_stacks(const void *a, const void *b)
{
	return strcmp(sort_map->keys[*(const uint32_t *)a].key,
		      sort_map->keys[*(const uint32_t *)b].key);
}

int folded__write(const struct snapshot *snaps, size_t nr, enum folded_value value, FILE *out)
{
	struct folded f = {};
	uint32_t *order = NULL;
	int err = 0;

	for (size_t i = 0; i < nr && !err; i++) {
		for (size_t j = 0; j < snaps[i].nr_leaks && !err; j++)
			err = add_site(&f, &snaps[i].leaks[j], value);
		/* nothing live: only the allocated figures have something of theirs */
		for (size_t j = 0; j < snaps[i].nr_freed_sites && !err; j++)
			if (value == FOLDED_ALLOCATED || value == FOLDED_COUNT)
				err = add_site(&f, &snaps[i].freed_sites[j], value);
	}
	if (err)
		goto cleanup;
	order = calloc(f.stacks.n ? f.stacks.n : 1, sizeof(*order));
	if (!order) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < f.stacks.n; i++)
		order[i] = (uint32_t)i;
	/* sorted: the same snapshots give the same file, whatever the order of their sites */
	sort_map = &f.stacks;
	qsort(order, f.stacks.n, sizeof(*order), compare_stacks);
	for (size_t i = 0; i < f.stacks.n; i++) {
		/* flame-graph tools drop zeros anyway (a site of malloc(0) blocks) */
		if (!f.values[order[i]])
			continue;
		fprintf(out, "%s %llu\n", f.stacks.keys[order[i]].key,
			(unsigned long long)f.values[order[i]]);
	}
	if (fflush(out) || ferror(out))
		err = errno ? -errno : -EIO;
cleanup:
	free(order);
	free(f.values);
	str_map__release(&f.stacks);
	return err;
}
