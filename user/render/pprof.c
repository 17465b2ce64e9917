// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "render/pprof.h"
#include "render/site_names.h"
#include "util/array.h"
#include "util/str_map.h"

/* profile.proto's field numbers (github.com/google/pprof, proto/profile.proto) */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_DURATION_NANOS = 10,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3,
	MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9, MAPPING_HAS_INLINE_FRAMES = 10,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

#define NAME_LEN 1024

struct builder {
	struct str_map strings, functions, locations, mappings;
	/* the repeated fields, each encoded as it grows: the profile is their concatenation */
	struct pb_buf samples, mapping_pb, location_pb, function_pb;
	struct pb_buf msg, sub;		/* scratch for the message being built */
	uint64_t *loc_ids;
	size_t loc_cap;
	const struct snapshot *snap;	/* the one being added: its modules' build ids */
	bool alloc_types;		/* alloc_objects and alloc_space come first */
	int err;
};

/* The build id the snapshot being added gives module, or NULL: a few dozen modules. */
static const char *build_id_of(const struct builder *b, const char *module)
{
	for (size_t i = 0; b->snap && i < b->snap->nr_modules; i++)
		if (!strcmp(b->snap->modules[i].path, module))
			return b->snap->modules[i].build_id;
	return NULL;
}

/* A string's index in the string table; the first failure sticks in b->err. */
static uint64_t str(struct builder *b, const char *s)
{
	int64_t i = str_map__intern(&b->strings, s, strlen(s), NULL);

	if (i < 0 && !b->err)
		b->err = (int)i;
	return i < 0 ? 0 : (uint64_t)i;
}

/* An id (index + 1: pprof ids are non-zero) for key; *added when new. */
static uint64_t intern_id(struct builder *b, struct str_map *m, const char *key, size_t len,
			  bool *added)
{
	int64_t i = str_map__intern(m, key, len, added);

	if (i < 0) {
		if (!b->err)
			b->err = (int)i;
		*added = false;
		return 0;
	}
	return (uint64_t)i + 1;
}

/* A module is one mapping per build id: two builds at one path (two hosts) are two files. */
static uint64_t mapping_id(struct builder *b, const char *module, const char *build_id)
{
	char key[2 * NAME_LEN];
	bool added;
	uint64_t id;
	int len;

	len = snprintf(key, sizeof(key), "%s%c%s", module, 0, build_id ? build_id : "");
	if ((size_t)len >= sizeof(key))
		len = sizeof(key) - 1;
	id = intern_id(b, &b->mappings, key, (size_t)len, &added);
	if (!added)
		return id;
	/* symbolized already: pprof must not look for the binaries to symbolize them again */
	pb__uint(&b->msg, MAPPING_ID, id);
	pb__uint(&b->msg, MAPPING_FILENAME, str(b, module));
	if (build_id)
		pb__uint(&b->msg, MAPPING_BUILD_ID, str(b, build_id));
	pb__uint(&b->msg, MAPPING_HAS_FUNCTIONS, 1);
	pb__uint(&b->msg, MAPPING_HAS_FILENAMES, 1);
	pb__uint(&b->msg, MAPPING_HAS_LINE_NUMBERS, 1);
	pb__uint(&b->msg, MAPPING_HAS_INLINE_FRAMES, 1);
	pb__message(&b->mapping_pb, PROFILE_MAPPING, &b->msg);
	return id;
}

/* A function is its name, its file and its linkage name: a C++ overload is its own. */
static uint64_t function_id(struct builder *b, const struct snap_frame *f)
{
	char name[NAME_LEN], key[3 * NAME_LEN];
	const char *file = f->file ? f->file : "";
	const char *system = f->linkage_name ? f->linkage_name : name;
	bool added;
	uint64_t id;
	int len;

	if (f->python && f->symbol)
		snprintf(name, sizeof(name), "%s", f->symbol);
	else
		site_names__frame(f, name, sizeof(name));
	len = snprintf(key, sizeof(key), "%s%c%s%c%s", name, 0, file, 0, system);
	/* a key cut short by a very long name is still a key: at worst two functions share it */
	if ((size_t)len >= sizeof(key))
		len = sizeof(key) - 1;
	id = intern_id(b, &b->functions, key, (size_t)len, &added);
	if (!added)
		return id;
	pb__uint(&b->msg, FUNCTION_ID, id);
	pb__uint(&b->msg, FUNCTION_NAME, str(b, name));
	pb__uint(&b->msg, FUNCTION_SYSTEM_NAME, str(b, system));
	pb__uint(&b->msg, FUNCTION_FILENAME, str(b, file));
	pb__message(&b->function_pb, PROFILE_FUNCTION, &b->msg);
	return id;
}

/* What makes two locations one: every frame of the group, as the snapshot says it. */
static int location_key(const struct snap_frame *f, size_t n, const char *build_id, char **key,
			size_t *len)
{
	FILE *m = open_memstream(key, len);

	if (!m)
		return -errno;
	fprintf(m, "%s%c", build_id ? build_id : "", 0);
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s%c%s%c%s%c%s%c%u%c%llx%c%d%c", f[i].symbol ? f[i].symbol : "", 0,
			f[i].linkage_name ? f[i].linkage_name : "", 0,
			f[i].module ? f[i].module : "", 0, f[i].file ? f[i].file : "", 0,
			f[i].line, 0, (unsigned long long)f[i].module_offset, 0, f[i].python, 1);
	return fclose(m) ? -ENOMEM : 0;
}

/*
 * Frames f[0..n): the calls inlined at one address, innermost first, then the
 * function they are in (the snapshot's order is pprof's line order too).
 */
static uint64_t location_id(struct builder *b, const struct snap_frame *f, size_t n)
{
	const char *build_id = f[n - 1].module ? build_id_of(b, f[n - 1].module) : NULL;
	uint64_t id, map = 0;
	char *key = NULL;
	size_t len = 0;
	bool added;
	int err;

	err = location_key(f, n, build_id, &key, &len);
	if (err) {
		free(key);
		b->err = b->err ? b->err : err;
		return 0;
	}
	id = intern_id(b, &b->locations, key, len, &added);
	free(key);
	if (!added)
		return id;
	if (f[n - 1].module)
		map = mapping_id(b, f[n - 1].module, build_id);
	pb__uint(&b->sub, LOCATION_ID, id);
	if (map)
		pb__uint(&b->sub, LOCATION_MAPPING_ID, map);
	pb__uint(&b->sub, LOCATION_ADDRESS, f[n - 1].module_offset);
	for (size_t i = 0; i < n; i++) {
		struct pb_buf line = {};

		/* function_id builds in b->msg: the line is built apart */
		pb__uint(&line, LINE_FUNCTION_ID, function_id(b, &f[i]));
		pb__uint(&line, LINE_LINE, f[i].line);
		pb__message(&b->sub, LOCATION_LINE, &line);
		pb__release(&line);
	}
	pb__message(&b->location_pb, PROFILE_LOCATION, &b->sub);
	return id;
}

static void label_str(struct builder *b, const char *key, const char *value)
{
	pb__uint(&b->sub, LABEL_KEY, str(b, key));
	pb__uint(&b->sub, LABEL_STR, str(b, value));
	pb__message(&b->msg, SAMPLE_LABEL, &b->sub);
}

static void label_num(struct builder *b, const char *key, uint64_t value)
{
	pb__uint(&b->sub, LABEL_KEY, str(b, key));
	pb__uint(&b->sub, LABEL_NUM, value);
	pb__message(&b->msg, SAMPLE_LABEL, &b->sub);
}

/* The site's locations, leaf first, into b->loc_ids; their number, or 0 on failure. */
static size_t site_locations(struct builder *b, const struct snap_leak *l)
{
	static const struct snap_frame no_stack = { .symbol = SITE_NO_STACK };
	size_t n = 0;

	if (!l->nr_frames) {
		if (ARRAY_RESERVE(&b->loc_ids, &b->loc_cap, 1))
			return b->err = -ENOMEM, 0;
		b->loc_ids[0] = location_id(b, &no_stack, 1);
		return 1;
	}
	for (size_t i = 0; i < l->nr_frames;) {
		size_t j = i;

		/* inlined calls, then the frame they were inlined into: one location */
		while (j + 1 < l->nr_frames && l->frames[j].inlined)
			j++;
		if (ARRAY_RESERVE(&b->loc_ids, &b->loc_cap, n + 1))
			return b->err = -ENOMEM, 0;
		b->loc_ids[n++] = location_id(b, &l->frames[i], j + 1 - i);
		i = j + 1;
	}
	return n;
}

/*
 * The site's thread: the one that allocated every block of it (tid, and
 * thread, its name), or thread "several". Snapshots without the figures
 * say nothing of threads: no label.
 */
static void thread_labels(struct builder *b, const struct snap_leak *l)
{
	char tid[16];

	if (l->has_tid) {
		snprintf(tid, sizeof(tid), "%u", l->tid);
		label_num(b, "tid", l->tid);
		label_str(b, "thread", l->thread_comm ? l->thread_comm : tid);
	} else if (l->has_totals) {
		label_str(b, "thread", "several");
	}
}

static void add_sample(struct builder *b, const struct snapshot *s, const struct snap_leak *l)
{
	size_t n = site_locations(b, l);
	const char *kind = site_names__gpu_kind(l->allocator);
	/* sample_type's order: [alloc_objects, alloc_space,] inuse_objects, inuse_space */
	uint64_t values[4] = { l->allocs, l->allocated_bytes, l->count, l->bytes };

	pb__packed(&b->msg, SAMPLE_LOCATION_ID, b->loc_ids, n);
	if (b->alloc_types)
		pb__packed(&b->msg, SAMPLE_VALUE, values, 4);
	else
		pb__packed(&b->msg, SAMPLE_VALUE, values + 2, 2);
	label_num(b, "pid", l->pid);
	if (l->process != SIZE_MAX && s->procs[l->process].comm[0])
		label_str(b, "comm", s->procs[l->process].comm);
	thread_labels(b, l);
	label_str(b, "allocator", l->allocator);
	if (kind)
		label_str(b, "kind", kind);
	pb__message(&b->samples, PROFILE_SAMPLE, &b->msg);
}

/* Whether a snapshot holds allocated totals: any site with them, or a freed site. */
static bool has_alloc_totals(const struct snapshot *s)
{
	if (s->nr_freed_sites)
		return true;
	for (size_t i = 0; i < s->nr_leaks; i++)
		if (s->leaks[i].has_totals)
			return true;
	return false;
}

static void value_type(struct builder *b, struct pb_buf *out, const char *type, const char *unit)
{
	pb__uint(&b->sub, VALUE_TYPE_TYPE, str(b, type));
	pb__uint(&b->sub, VALUE_TYPE_UNIT, str(b, unit));
	pb__message(out, PROFILE_SAMPLE_TYPE, &b->sub);
}

static void put_all(struct pb_buf *out, const struct pb_buf *part)
{
	/* a repeated field's elements are a concatenation: copy them as they are */
	if (part->err && !out->err)
		out->err = part->err;
	pb__append(out, part->data, part->len);
}

static void builder__release(struct builder *b)
{
	str_map__release(&b->strings);
	str_map__release(&b->functions);
	str_map__release(&b->locations);
	str_map__release(&b->mappings);
	pb__release(&b->samples);
	pb__release(&b->mapping_pb);
	pb__release(&b->location_pb);
	pb__release(&b->function_pb);
	pb__release(&b->msg);
	pb__release(&b->sub);
	free(b->loc_ids);
}

int pprof__encode(const struct snapshot *snaps, size_t nr, struct pb_buf *out)
{
	struct builder b = {};
	double duration_s = 0;
	uint64_t dflt;
	int err;

	out->len = 0;
	str(&b, ""); /* string_table[0] must be "" */
	/* snapshots of memtrace before sites had totals: the live figures alone, as they were */
	for (size_t i = 0; i < nr; i++)
		b.alloc_types |= has_alloc_totals(&snaps[i]);
	if (b.alloc_types) {
		value_type(&b, out, "alloc_objects", "count");
		value_type(&b, out, "alloc_space", "bytes");
	}
	value_type(&b, out, "inuse_objects", "count");
	value_type(&b, out, "inuse_space", "bytes");
	dflt = str(&b, "inuse_space");
	for (size_t i = 0; i < nr; i++) {
		b.snap = &snaps[i];
		for (size_t j = 0; j < snaps[i].nr_leaks; j++)
			add_sample(&b, &snaps[i], &snaps[i].leaks[j]);
		/* allocated, nothing live: alloc_* only */
		for (size_t j = 0; j < snaps[i].nr_freed_sites; j++)
			add_sample(&b, &snaps[i], &snaps[i].freed_sites[j]);
		if (snaps[i].duration_s > duration_s)
			duration_s = snaps[i].duration_s;
	}
	put_all(out, &b.samples);
	put_all(out, &b.mapping_pb);
	put_all(out, &b.location_pb);
	put_all(out, &b.function_pb);
	for (size_t i = 0; i < b.strings.n; i++)
		pb__bytes(out, PROFILE_STRING_TABLE, b.strings.keys[i].key, b.strings.keys[i].len);
	/* the longest run: several snapshots are usually one job's ranks, side by side */
	pb__uint(out, PROFILE_DURATION_NANOS, (uint64_t)(duration_s * 1e9));
	pb__uint(out, PROFILE_DEFAULT_SAMPLE_TYPE, dflt);
	err = b.err ? b.err : out->err;
	builder__release(&b);
	return err;
}

/* gzip, as pprof wants the profile on disk */
static int gzip_to(const struct pb_buf *pb, FILE *out)
{
	unsigned char chunk[16384];
	z_stream zs = {};
	int ret, err = 0;

	/* 15 + 16: a gzip header and trailer around the deflate stream */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = pb->data;
	zs.avail_in = (uInt)pb->len;
	if (pb->len > UINT32_MAX) {
		err = -EFBIG;
		goto cleanup;
	}
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		ret = deflate(&zs, Z_FINISH);
		if (ret == Z_STREAM_ERROR) {
			err = -EIO;
			goto cleanup;
		}
		if (fwrite(chunk, 1, sizeof(chunk) - zs.avail_out, out) !=
		    sizeof(chunk) - zs.avail_out) {
			err = errno ? -errno : -EIO;
			goto cleanup;
		}
	} while (ret != Z_STREAM_END);
cleanup:
	deflateEnd(&zs);
	return err;
}

int pprof__write(const struct snapshot *snaps, size_t nr, FILE *out)
{
	struct pb_buf pb = {};
	int err = pprof__encode(snaps, nr, &pb);

	if (!err)
		err = gzip_to(&pb, out);
	if (!err && fflush(out))
		err = errno ? -errno : -EIO;
	pb__release(&pb);
	return err;
}
