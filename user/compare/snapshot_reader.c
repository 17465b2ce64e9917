// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The parsing is jansson's, for what it guarantees on a hostile file: the
 * line and column of a syntax error, no invalid UTF-8 and no \u0000 (a C
 * string holds a whole value), integers only up to INT64_MAX, and nesting
 * refused past JSON_PARSER_MAX_DEPTH (2048 in 2.14), before its recursive
 * parser, or json_decref's recursive free, can run out of stack. The walk
 * below follows the schema's fixed depth and never recurses on the input.
 *
 * jansson keeps no positions in the tree, so a value of the wrong type is
 * named by its path ("processes[2].peak_bytes") rather than line:column.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare/snapshot_reader.h"
#include "symbolize/demangle.h"
#include "util/units.h"

#define SCHEMA_PREFIX "memtrace.snapshot.v"
#define SCHEMA_MAJOR  1

/* Room for "leaks[N].stack[M].growth_bytes_per_s" with N and M as large as size_t goes. */
#define PATH_LEN 128

struct reader {
	const char *name;
	char *err;
	size_t err_len;
};

static const struct {
	const char *key;
	size_t offset;
} counter_fields[] = {
	{ "current_bytes", offsetof(struct mt_counters, current_bytes) },
	{ "peak_bytes", offsetof(struct mt_counters, peak_bytes) },
	{ "allocs", offsetof(struct mt_counters, allocs) },
	{ "frees", offsetof(struct mt_counters, frees) },
	{ "reallocs", offsetof(struct mt_counters, reallocs) },
	{ "failed_allocs", offsetof(struct mt_counters, failed_allocs) },
	{ "allocated_bytes", offsetof(struct mt_counters, allocated_bytes) },
	{ "freed_bytes", offsetof(struct mt_counters, freed_bytes) },
	{ "unknown_frees", offsetof(struct mt_counters, unknown_frees) },
};

/* The message is the file's name, then fmt, which starts with its own ':'. */
__attribute__((format(printf, 3, 4))) static int fail(const struct reader *r, int err,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->err_len)
		return err;
	n = snprintf(r->err, r->err_len, "%s", r->name);
	if (n < 0 || (size_t)n >= r->err_len)
		return err;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->err_len - n, fmt, ap);
	va_end(ap);
	return err;
}

/* Text from the file goes to a terminal: control bytes and non-ASCII become '?'. */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static const char *join(char *buf, const char *where, const char *key)
{
	if (!key)
		snprintf(buf, PATH_LEN, "%s", where);
	else if (!*where)
		snprintf(buf, PATH_LEN, "%s", key);
	else
		snprintf(buf, PATH_LEN, "%s.%s", where, key);
	return buf;
}

static const char *describe(const json_t *v, char *buf, size_t len)
{
	int n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		/* 2.0 is not the integer 2: say which it was */
		n = snprintf(buf, len, "%g", json_real_value(v));
		if (n > 0 && (size_t)n + 2 < len && strspn(buf, "-0123456789") == (size_t)n)
			strcat(buf, ".0");
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "an unknown value";
}

static int wrong_type(const struct reader *r, const char *where, const char *key, const char *want,
		      const json_t *v)
{
	char path[PATH_LEN], found[32];

	return fail(r, -EINVAL, ": %s: expected %s, found %s", join(path, where, key), want,
		    describe(v, found, sizeof(found)));
}

static int missing(const struct reader *r, const char *where, const char *key)
{
	char path[PATH_LEN];

	return fail(r, -EINVAL, ": %s: missing: not a complete memtrace snapshot",
		    join(path, where, key));
}

/*
 * The readers of one field: an optional field that is absent or null
 * leaves *out at its default; a required one must be there, not null.
 */
static int read_u64(const struct reader *r, json_t *obj, const char *where, const char *key,
		    bool required, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	char want[48];

	if (!v)
		return required ? missing(r, where, key) : 0;
	if (json_is_null(v) && !required)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		if (max >= INT64_MAX)
			snprintf(want, sizeof(want), "a non-negative integer");
		else
			snprintf(want, sizeof(want), "an integer from 0 to %llu",
				 (unsigned long long)max);
		return wrong_type(r, where, key, want, v);
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int read_u32(const struct reader *r, json_t *obj, const char *where, const char *key,
		    uint32_t *out)
{
	uint64_t v = *out;
	int err;

	err = read_u64(r, obj, where, key, false, UINT32_MAX, &v);
	*out = (uint32_t)v;
	return err;
}

static int read_bool(const struct reader *r, json_t *obj, const char *where, const char *key,
		     bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return wrong_type(r, where, key, "true or false", v);
	*out = json_is_true(v);
	return 0;
}

static int read_number(const struct reader *r, json_t *obj, const char *where, const char *key,
		       bool *present, double *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return wrong_type(r, where, key, "a number", v);
	*out = json_number_value(v);
	if (present)
		*present = true;
	return 0;
}

/* A copy of the string at key, or of dflt (NULL: none) when absent or null. */
static int read_string(const struct reader *r, json_t *obj, const char *where, const char *key,
		       const char *dflt, char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *s = dflt;

	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			return wrong_type(r, where, key, "a string", v);
		s = json_string_value(v);
	}
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/*
 * An optional "0x..." string: the writer's hex addresses (frames.c). Not
 * inlined: gcc's -Wformat-truncation then sizes where's message path with
 * the key, and complains of a truncation a frame's path cannot reach.
 */
__attribute__((noinline)) static int read_hex(const struct reader *r, json_t *obj, const char *where, const char *key,
		    uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	char *end;

	if (!v || json_is_null(v))
		return 0;
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strncmp(s, "0x", 2) || !isxdigit((unsigned char)s[2]))
		return wrong_type(r, where, key, "a hex string (\"0x...\")", v);
	errno = 0;
	*out = strtoull(s + 2, &end, 16);
	if (*end || errno)
		return wrong_type(r, where, key, "a hex string of at most 64 bits", v);
	return 0;
}

/* *out is NULL when an optional array is absent or null. */
static int read_array(const struct reader *r, json_t *obj, const char *where, const char *key,
		      bool required, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v)
		return required ? missing(r, where, key) : 0;
	if (json_is_null(v) && !required)
		return 0;
	if (!json_is_array(v))
		return wrong_type(r, where, key, "an array", v);
	*out = v;
	return 0;
}

static int read_counters(const struct reader *r, json_t *obj, const char *where, bool required,
			 struct mt_counters *c)
{
	int err = 0;

	for (size_t i = 0; i < sizeof(counter_fields) / sizeof(counter_fields[0]) && !err; i++)
		err = read_u64(r, obj, where, counter_fields[i].key, required, UINT64_MAX,
			       (uint64_t *)((char *)c + counter_fields[i].offset));
	return err;
}

/* Decimal digits, at least one, saturating at UINT_MAX; *p moves past them. */
static bool parse_version(const char **p, unsigned int *v)
{
	const char *s = *p;
	unsigned long long n = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (unsigned int)(*s - '0');
		if (n > UINT_MAX)
			n = UINT_MAX;
	}
	if (s == *p)
		return false;
	*p = s;
	*v = (unsigned int)n;
	return true;
}

/* "memtrace.snapshot.v1" or "memtrace.snapshot.v1.N": a minor version only adds fields. */
static int read_schema(const struct reader *r, json_t *root, unsigned int *minor)
{
	json_t *v = json_object_get(root, "schema");
	unsigned int major;
	char shown[64];
	const char *p;

	if (!v)
		return fail(r, -EINVAL, ": schema: missing: not a memtrace snapshot");
	if (!json_is_string(v))
		return wrong_type(r, "", "schema", "a string", v);
	p = json_string_value(v);
	printable(p, shown, sizeof(shown));
	if (strncmp(p, SCHEMA_PREFIX, strlen(SCHEMA_PREFIX)))
		goto unknown;
	p += strlen(SCHEMA_PREFIX);
	if (!parse_version(&p, &major))
		goto unknown;
	/* v2 may change anything after its name: say which version, not which field */
	if (major > SCHEMA_MAJOR)
		return fail(r, -EPROTONOSUPPORT,
			    ": schema \"%s\" is newer than this memtrace reads (%s%d): "
			    "use a newer memtrace",
			    shown, SCHEMA_PREFIX, SCHEMA_MAJOR);
	if (major < SCHEMA_MAJOR)
		goto unknown;
	*minor = 0;
	if (!*p)
		return 0;
	if (*p++ == '.' && parse_version(&p, minor) && !*p)
		return 0;
unknown:
	return fail(r, -EPROTONOSUPPORT,
		    ": schema \"%s\" is not a memtrace snapshot's (this memtrace reads %s%d)", shown,
		    SCHEMA_PREFIX, SCHEMA_MAJOR);
}

static int read_process(const struct reader *r, json_t *v, size_t i, struct snap_process *p)
{
	char where[PATH_LEN];
	int err;

	snprintf(where, sizeof(where), "processes[%zu]", i);
	if (!json_is_object(v))
		return wrong_type(r, where, NULL, "an object", v);
	err = read_u32(r, v, where, "pid", &p->pid);
	if (!err)
		err = read_string(r, v, where, "comm", "", &p->comm);
	if (!err)
		err = read_string(r, v, where, "exe", NULL, &p->exe);
	if (!err)
		err = read_bool(r, v, where, "exited", &p->exited);
	if (!err)
		err = read_counters(r, v, where, false, &p->c);
	if (!err)
		err = read_string(r, v, where, "source", NULL, &p->source);
	return err;
}

/*
 * A frame written before snapshots had linkage_name holds a C++ function's
 * mangled name in symbol: made the same as a newer frame of that function
 * (readable symbol, mangled linkage_name), so that both show alike and key
 * alike. A name that does not demangle, or no memory, leaves it as it was:
 * the key is the mangled name either way.
 */
static void frame__from_mangled(struct snap_frame *f)
{
	char *readable = demangle__cxx(f->symbol);

	if (!readable)
		return;
	f->linkage_name = f->symbol;
	f->symbol = readable;
}

/*
 * "kind": a frame is "python" or "native". Snapshots from before Python
 * frames have no kind: native. A kind this reader does not know is read as
 * native too, so that a newer writer's frames still compare by their names.
 */
static int read_kind(const struct reader *r, json_t *obj, const char *where, bool *python)
{
	char *kind = NULL;
	int err = read_string(r, obj, where, "kind", "native", &kind);

	*python = !err && !strcmp(kind, "python");
	free(kind);
	return err;
}

static int read_frame(const struct reader *r, json_t *v, const char *list, size_t leak, size_t i,
		      struct snap_frame *f)
{
	char where[PATH_LEN];
	int err;

	snprintf(where, sizeof(where), "%s[%zu].stack[%zu]", list, leak, i);
	if (!json_is_object(v))
		return wrong_type(r, where, NULL, "an object", v);
	err = read_kind(r, v, where, &f->python);
	if (!err)
		err = read_string(r, v, where, "symbol", NULL, &f->symbol);
	if (!err)
		err = read_string(r, v, where, "linkage_name", NULL, &f->linkage_name);
	if (!err && !json_object_get(v, "linkage_name"))
		frame__from_mangled(f);
	if (!err)
		err = read_string(r, v, where, "module", NULL, &f->module);
	if (!err)
		err = read_hex(r, v, where, "module_offset", &f->module_offset);
	if (!err)
		err = read_string(r, v, where, "file", NULL, &f->file);
	if (!err)
		err = read_u32(r, v, where, "line", &f->line);
	if (!err)
		err = read_bool(r, v, where, "inlined", &f->inlined);
	return err;
}

/* A site's totals since tracing began, and its one thread: absent in older snapshots. */
static int read_totals(const struct reader *r, json_t *v, const char *where, struct snap_leak *l)
{
	json_t *tid = json_object_get(v, "tid");
	int err;

	l->has_totals = json_object_get(v, "allocs") != NULL;
	err = read_u64(r, v, where, "allocs", false, UINT64_MAX, &l->allocs);
	if (!err)
		err = read_u64(r, v, where, "allocated_bytes", false, UINT64_MAX,
			       &l->allocated_bytes);
	if (!err)
		err = read_u64(r, v, where, "frees", false, UINT64_MAX, &l->frees);
	if (!err)
		err = read_u64(r, v, where, "freed_bytes", false, UINT64_MAX, &l->freed_bytes);
	l->has_tid = tid && !json_is_null(tid);
	if (!err)
		err = read_u32(r, v, where, "tid", &l->tid);
	if (!err)
		err = read_string(r, v, where, "thread_comm", NULL, &l->thread_comm);
	return err;
}

/* An entry of leaks or freed_sites (list), the i-th. */
static int read_leak(const struct reader *r, json_t *v, const char *list, size_t i,
		     struct snap_leak *l)
{
	char where[PATH_LEN];
	json_t *stack = NULL;
	int err;

	snprintf(where, sizeof(where), "%s[%zu]", list, i);
	if (!json_is_object(v))
		return wrong_type(r, where, NULL, "an object", v);
	err = read_u32(r, v, where, "pid", &l->pid);
	if (!err)
		err = read_string(r, v, where, "allocator", "libc", &l->allocator);
	if (!err)
		err = read_u64(r, v, where, "bytes", false, UINT64_MAX, &l->bytes);
	if (!err)
		err = read_u64(r, v, where, "count", false, UINT64_MAX, &l->count);
	if (!err)
		err = read_bool(r, v, where, "growing", &l->growing);
	if (!err)
		err = read_number(r, v, where, "growth_bytes_per_s", &l->has_growth,
				  &l->growth_bytes_per_s);
	if (!err)
		err = read_totals(r, v, where, l);
	if (!err)
		err = read_array(r, v, where, "stack", false, &stack);
	if (err || !stack || !json_array_size(stack))
		return err;
	/* one frame per element the parser already holds: the input bounds the allocation */
	l->frames = calloc(json_array_size(stack), sizeof(*l->frames));
	if (!l->frames)
		return -ENOMEM;
	l->nr_frames = json_array_size(stack);
	for (size_t j = 0; j < l->nr_frames && !err; j++)
		err = read_frame(r, json_array_get(stack, j), list, i, j, &l->frames[j]);
	return err;
}

struct pid_slot {
	uint32_t pid;
	size_t index;
};

static int compare_slots(const void *a, const void *b)
{
	const struct pid_slot *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Each leak's process, the first with its pid: sorted and searched, so
 * that a file with many of both costs n log n, not processes x leaks.
 */
static int link_leaks(struct snapshot *s, struct snap_leak *leaks, size_t nr_leaks)
{
	struct pid_slot *slots = NULL;

	for (size_t i = 0; i < nr_leaks; i++)
		leaks[i].process = SIZE_MAX;
	if (!s->nr_procs)
		return 0;
	slots = calloc(s->nr_procs, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_procs; i++)
		slots[i] = (struct pid_slot){ .pid = s->procs[i].pid, .index = i };
	qsort(slots, s->nr_procs, sizeof(*slots), compare_slots);
	for (size_t i = 0; i < nr_leaks; i++) {
		size_t lo = 0, hi = s->nr_procs;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (slots[mid].pid < leaks[i].pid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < s->nr_procs && slots[lo].pid == leaks[i].pid)
			leaks[i].process = slots[lo].index;
	}
	free(slots);
	return 0;
}

/*
 * diff and check add leaks up (per site, process, allocator, and over the
 * snapshot): when the whole sum stays within 2^63-1, as every integer of a
 * snapshot does, so does each of those, and so does any change between two
 * snapshots. A snapshot past it cannot be memtrace's: refused, not wrapped.
 */
static int check_leak_sums(const struct reader *r, const struct snapshot *s)
{
	uint64_t bytes = 0, count = 0;

	for (size_t i = 0; i < s->nr_leaks; i++) {
		bytes += s->leaks[i].bytes;
		count += s->leaks[i].count;
		/* each addend is at most 2^63-1: the test before the next sum catches any pass */
		if (bytes > INT64_MAX)
			return fail(r, -EOVERFLOW, ": leaks[].bytes: the sum over the leaks is past "
						   "2^63-1 (%lld)", (long long)INT64_MAX);
		if (count > INT64_MAX)
			return fail(r, -EOVERFLOW, ": leaks[].count: the sum over the leaks is past "
						   "2^63-1 (%lld)", (long long)INT64_MAX);
	}
	return 0;
}

/* An optional array of sites (freed_sites): absent in older snapshots. */
static int read_sites(const struct reader *r, json_t *root, const char *key,
		      struct snap_leak **out, size_t *n)
{
	json_t *list = NULL;
	int err = read_array(r, root, "", key, false, &list);

	if (err || !list || !json_array_size(list))
		return err;
	*out = calloc(json_array_size(list), sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*n = json_array_size(list);
	for (size_t i = 0; i < *n && !err; i++)
		err = read_leak(r, json_array_get(list, i), key, i, &(*out)[i]);
	return err;
}

/* "modules": [{"path", "build_id"}], absent in older snapshots. */
static int read_modules(const struct reader *r, json_t *root, struct snapshot *s)
{
	char where[PATH_LEN];
	json_t *list = NULL;
	int err = read_array(r, root, "", "modules", false, &list);

	if (err || !list || !json_array_size(list))
		return err;
	s->modules = calloc(json_array_size(list), sizeof(*s->modules));
	if (!s->modules)
		return -ENOMEM;
	s->nr_modules = json_array_size(list);
	for (size_t i = 0; i < s->nr_modules && !err; i++) {
		json_t *v = json_array_get(list, i);

		snprintf(where, sizeof(where), "modules[%zu]", i);
		if (!json_is_object(v))
			return wrong_type(r, where, NULL, "an object", v);
		err = read_string(r, v, where, "path", NULL, &s->modules[i].path);
		if (!err && !s->modules[i].path)
			err = missing(r, where, "path");
		if (!err)
			err = read_string(r, v, where, "build_id", NULL, &s->modules[i].build_id);
	}
	return err;
}

static int read_document(const struct reader *r, json_t *root, struct snapshot *s)
{
	json_t *totals, *procs, *leaks;
	char found[32];
	int err;

	if (!json_is_object(root))
		return fail(r, -EINVAL, ": expected a JSON object at the top level, found %s",
			    describe(root, found, sizeof(found)));
	err = read_schema(r, root, &s->schema_minor);
	if (!err)
		err = read_string(r, root, "", "host", NULL, &s->host);
	if (!err)
		err = read_number(r, root, "", "duration_s", NULL, &s->duration_s);
	if (!err)
		err = read_u64(r, root, "", "lost_events", false, UINT64_MAX, &s->lost_events);
	if (err)
		return err;
	totals = json_object_get(root, "totals");
	if (!totals)
		return missing(r, "", "totals");
	if (!json_is_object(totals))
		return wrong_type(r, "", "totals", "an object", totals);
	err = read_counters(r, totals, "totals", true, &s->totals);
	if (!err)
		err = read_array(r, root, "", "processes", true, &procs);
	if (!err)
		err = read_array(r, root, "", "leaks", true, &leaks);
	if (err)
		return err;

	if (json_array_size(procs)) {
		s->procs = calloc(json_array_size(procs), sizeof(*s->procs));
		if (!s->procs)
			return -ENOMEM;
		s->nr_procs = json_array_size(procs);
	}
	for (size_t i = 0; i < s->nr_procs && !err; i++)
		err = read_process(r, json_array_get(procs, i), i, &s->procs[i]);
	if (err)
		return err;
	if (json_array_size(leaks)) {
		s->leaks = calloc(json_array_size(leaks), sizeof(*s->leaks));
		if (!s->leaks)
			return -ENOMEM;
		s->nr_leaks = json_array_size(leaks);
	}
	for (size_t i = 0; i < s->nr_leaks && !err; i++)
		err = read_leak(r, json_array_get(leaks, i), "leaks", i, &s->leaks[i]);
	if (!err)
		err = check_leak_sums(r, s);
	if (!err)
		err = read_sites(r, root, "freed_sites", &s->freed_sites, &s->nr_freed_sites);
	if (!err)
		err = read_modules(r, root, s);
	if (!err)
		err = link_leaks(s, s->leaks, s->nr_leaks);
	if (!err)
		err = link_leaks(s, s->freed_sites, s->nr_freed_sites);
	return err;
}

/* Where the parser stopped, and what kind of damage it is when jansson knows. */
static int syntax_error(const struct reader *r, const json_error_t *jerr)
{
	const char *hint = "";
	char text[JSON_ERROR_TEXT_LENGTH];

	switch (json_error_code(jerr)) {
	case json_error_out_of_memory:
		return fail(r, -ENOMEM, ": out of memory");
	case json_error_premature_end_of_input:
		hint = "file ends early (truncated?): ";
		break;
	case json_error_numeric_overflow:
		hint = "number out of range (a snapshot's integers are at most 2^63-1): ";
		break;
	case json_error_stack_overflow:
		hint = "nested too deeply: ";
		break;
	case json_error_invalid_utf8:
		hint = "invalid UTF-8: ";
		break;
	case json_error_null_character:
		hint = "a NUL character in a string: ";
		break;
	default:
		break;
	}
	return fail(r, -EINVAL, ":%d:%d: %s%s", jerr->line, jerr->column, hint,
		    printable(jerr->text, text, sizeof(text)));
}

int snapshot_reader__parse(const char *text, size_t len, const char *name, struct snapshot *out,
			   char *err_buf, size_t err_len)
{
	struct reader r = { .name = name, .err = err_buf, .err_len = err_len };
	json_t *root = NULL;
	json_error_t jerr;
	int err;

	memset(out, 0, sizeof(*out));
	if (err_len)
		err_buf[0] = '\0';
	/* the usual damage (a failed redirect, a full disk): plainer words than jansson's */
	if (!len) {
		err = fail(&r, -EINVAL, ": empty file, not a memtrace snapshot");
		goto cleanup;
	}
	/* a key twice is a damaged file, and which value wins would be jansson's choice */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		err = syntax_error(&r, &jerr);
		goto cleanup;
	}
	out->path = strdup(name);
	if (!out->path) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = read_document(&r, root, out);
cleanup:
	if (err == -ENOMEM)
		fail(&r, err, ": out of memory");
	json_decref(root);
	if (err)
		snapshot_reader__release(out);
	return err;
}

/*
 * The whole file, whatever its kind, up to max bytes: a regular file is
 * refused by its size, anything else once it has given a byte more.
 */
static int read_file(const char *path, uint64_t max, char **buf, size_t *len, off_t *size)
{
	size_t cap = 65536, n = 0, limit;
	struct stat st;
	char *p = NULL, *bigger;
	ssize_t got;
	int fd, err = 0;

	*size = -1;
	/* a byte past max tells a file of max bytes from a longer one */
	limit = max < SIZE_MAX - 1 ? (size_t)max + 1 : SIZE_MAX - 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		*size = st.st_size;
		err = -EFBIG;
		goto cleanup;
	}
	/* a byte more than the size: the read that sees the end needs no second buffer */
	if (S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	if (cap > limit + 1)
		cap = limit + 1;
	for (;;) {
		if (!p || n == cap) {
			if (p)
				cap = cap > (limit + 1) / 2 ? limit + 1 : 2 * cap;
			bigger = realloc(p, cap);
			if (!bigger) {
				err = -ENOMEM;
				goto cleanup;
			}
			p = bigger;
		}
		got = read(fd, p + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = -errno;
			goto cleanup;
		}
		if (!got)
			break;
		n += (size_t)got;
		/* a pipe, or a file that grew since fstat: stop at the bound, not at the end */
		if (n >= limit) {
			err = -EFBIG;
			goto cleanup;
		}
	}
	/* room for the NUL: n < limit <= cap - 1 */
	p[n] = '\0';
	*buf = p;
	*len = n;
	p = NULL;
cleanup:
	free(p);
	close(fd);
	return err;
}

int snapshot_reader__read_file(const char *path, uint64_t max, char **text, size_t *len,
			       char *err_buf, size_t err_len)
{
	off_t size;
	int err;

	*text = NULL;
	*len = 0;
	if (err_len)
		err_buf[0] = '\0';
	err = read_file(path, max, text, len, &size);
	if (!err || !err_len)
		return err;
	if (err == -EFBIG && size >= 0)
		snprintf(err_buf, err_len, "%s: %lld bytes, more than --max-input (%llu bytes)",
			 path, (long long)size, (unsigned long long)max);
	else if (err == -EFBIG)
		snprintf(err_buf, err_len, "%s: more than --max-input (%llu bytes)", path,
			 (unsigned long long)max);
	else
		snprintf(err_buf, err_len, "cannot read %s: %s", path, strerror(-err));
	return err;
}

int snapshot_reader__load_max(const char *path, uint64_t max, struct snapshot *out, char *err_buf,
			      size_t err_len)
{
	char *text = NULL;
	size_t len = 0;
	int err;

	err = snapshot_reader__read_file(path, max, &text, &len, err_buf, err_len);
	if (err) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	err = snapshot_reader__parse(text, len, path, out, err_buf, err_len);
	free(text);
	return err;
}

int snapshot_reader__load(const char *path, struct snapshot *out, char *err_buf, size_t err_len)
{
	return snapshot_reader__load_max(path, SNAPSHOT_MAX_INPUT_DEFAULT, out, err_buf, err_len);
}

static void release_sites(struct snap_leak *sites, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sites[i].nr_frames; j++) {
			free(sites[i].frames[j].symbol);
			free(sites[i].frames[j].linkage_name);
			free(sites[i].frames[j].module);
			free(sites[i].frames[j].file);
		}
		free(sites[i].frames);
		free(sites[i].allocator);
		free(sites[i].thread_comm);
	}
	free(sites);
}

void snapshot_reader__release(struct snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_procs; i++) {
		free(s->procs[i].comm);
		free(s->procs[i].exe);
		free(s->procs[i].source);
	}
	release_sites(s->leaks, s->nr_leaks);
	release_sites(s->freed_sites, s->nr_freed_sites);
	for (size_t i = 0; i < s->nr_modules; i++) {
		free(s->modules[i].path);
		free(s->modules[i].build_id);
	}
	free(s->modules);
	free(s->procs);
	free(s->host);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

int snapshot_reader__parse_max_input(const char *arg, uint64_t *out)
{
	if (units__parse_bytes(arg, SNAPSHOT_MAX_INPUT_LIMIT, out) || !*out)
		return -EINVAL;
	return 0;
}
