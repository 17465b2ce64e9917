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

#include "compare/snapshot_details.h"
#include "compare/snapshot_fields.h"
#include "compare/snapshot_reader.h"
#include "compare/snapshot_timeline.h"
#include "symbolize/demangle.h"
#include "util/units.h"

#define SCHEMA_PREFIX "memtrace.snapshot.v"
#define SCHEMA_MAJOR  1

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
static int read_schema(const struct field_reader *r, json_t *root, unsigned int *minor)
{
	json_t *v = json_object_get(root, "schema");
	unsigned int major;
	char shown[64];
	const char *p;

	if (!v)
		return fields__fail(r, -EINVAL, ": schema: missing: not a memtrace snapshot");
	if (!json_is_string(v))
		return fields__wrong_type(r, "", "schema", "a string", v);
	p = json_string_value(v);
	fields__printable(p, shown, sizeof(shown));
	if (strncmp(p, SCHEMA_PREFIX, strlen(SCHEMA_PREFIX)))
		goto unknown;
	p += strlen(SCHEMA_PREFIX);
	if (!parse_version(&p, &major))
		goto unknown;
	/* v2 may change anything after its name: say which version, not which field */
	if (major > SCHEMA_MAJOR)
		return fields__fail(r, -EPROTONOSUPPORT,
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
	return fields__fail(r, -EPROTONOSUPPORT,
		    ": schema \"%s\" is not a memtrace snapshot's (this memtrace reads %s%d)", shown,
		    SCHEMA_PREFIX, SCHEMA_MAJOR);
}

static int read_process(const struct field_reader *r, json_t *v, size_t i, struct snap_process *p)
{
	char where[FIELDS_PATH_LEN];
	int err;

	snprintf(where, sizeof(where), "processes[%zu]", i);
	if (!json_is_object(v))
		return fields__wrong_type(r, where, NULL, "an object", v);
	err = fields__u32(r, v, where, "pid", &p->pid);
	if (!err)
		err = fields__string(r, v, where, "comm", "", &p->comm);
	if (!err)
		err = fields__string(r, v, where, "exe", NULL, &p->exe);
	if (!err)
		err = fields__bool(r, v, where, "exited", &p->exited);
	if (!err)
		err = fields__counters(r, v, where, false, &p->c);
	if (!err)
		err = fields__string(r, v, where, "source", NULL, &p->source);
	if (!err)
		err = snapshot_timeline__read(r, v, i, p);
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
static int read_kind(const struct field_reader *r, json_t *obj, const char *where, bool *python)
{
	char *kind = NULL;
	int err = fields__string(r, obj, where, "kind", "native", &kind);

	*python = !err && !strcmp(kind, "python");
	free(kind);
	return err;
}

static int read_frame(const struct field_reader *r, json_t *v, const char *list, size_t leak, size_t i,
		      struct snap_frame *f)
{
	char where[FIELDS_PATH_LEN];
	int err;

	snprintf(where, sizeof(where), "%s[%zu].stack[%zu]", list, leak, i);
	if (!json_is_object(v))
		return fields__wrong_type(r, where, NULL, "an object", v);
	err = read_kind(r, v, where, &f->python);
	if (!err)
		err = fields__string(r, v, where, "symbol", NULL, &f->symbol);
	if (!err)
		err = fields__string(r, v, where, "linkage_name", NULL, &f->linkage_name);
	if (!err && !json_object_get(v, "linkage_name"))
		frame__from_mangled(f);
	if (!err)
		err = fields__string(r, v, where, "module", NULL, &f->module);
	if (!err)
		err = fields__hex(r, v, where, "module_offset", &f->module_offset);
	if (!err)
		err = fields__string(r, v, where, "file", NULL, &f->file);
	if (!err)
		err = fields__u32(r, v, where, "line", &f->line);
	if (!err)
		err = fields__bool(r, v, where, "inlined", &f->inlined);
	return err;
}

/* A site's totals since tracing began, and its one thread: absent in older snapshots. */
static int read_totals(const struct field_reader *r, json_t *v, const char *where, struct snap_leak *l)
{
	json_t *tid = json_object_get(v, "tid");
	int err;

	l->has_totals = json_object_get(v, "allocs") != NULL;
	err = fields__u64(r, v, where, "allocs", false, UINT64_MAX, &l->allocs);
	if (!err)
		err = fields__u64(r, v, where, "allocated_bytes", false, UINT64_MAX,
			       &l->allocated_bytes);
	if (!err)
		err = fields__u64(r, v, where, "frees", false, UINT64_MAX, &l->frees);
	if (!err)
		err = fields__u64(r, v, where, "freed_bytes", false, UINT64_MAX, &l->freed_bytes);
	l->has_tid = tid && !json_is_null(tid);
	if (!err)
		err = fields__u32(r, v, where, "tid", &l->tid);
	if (!err)
		err = fields__string(r, v, where, "thread_comm", NULL, &l->thread_comm);
	return err;
}

/* An entry of leaks or freed_sites (list), the i-th. */
static int read_leak(const struct field_reader *r, json_t *v, const char *list, size_t i,
		     struct snap_leak *l)
{
	char where[FIELDS_PATH_LEN];
	json_t *stack = NULL;
	int err;

	snprintf(where, sizeof(where), "%s[%zu]", list, i);
	if (!json_is_object(v))
		return fields__wrong_type(r, where, NULL, "an object", v);
	err = fields__u32(r, v, where, "pid", &l->pid);
	if (!err)
		err = fields__string(r, v, where, "allocator", "libc", &l->allocator);
	if (!err)
		err = fields__u64(r, v, where, "bytes", false, UINT64_MAX, &l->bytes);
	if (!err)
		err = fields__u64(r, v, where, "count", false, UINT64_MAX, &l->count);
	if (!err)
		err = fields__bool(r, v, where, "growing", &l->growing);
	if (!err)
		err = fields__number(r, v, where, "growth_bytes_per_s", &l->has_growth,
				  &l->growth_bytes_per_s);
	if (!err)
		err = read_totals(r, v, where, l);
	if (!err)
		err = fields__array(r, v, where, "stack", false, &stack);
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
static int check_leak_sums(const struct field_reader *r, const struct snapshot *s)
{
	uint64_t bytes = 0, count = 0;

	for (size_t i = 0; i < s->nr_leaks; i++) {
		bytes += s->leaks[i].bytes;
		count += s->leaks[i].count;
		/* each addend is at most 2^63-1: the test before the next sum catches any pass */
		if (bytes > INT64_MAX)
			return fields__fail(r, -EOVERFLOW, ": leaks[].bytes: the sum over the leaks is past "
						   "2^63-1 (%lld)", (long long)INT64_MAX);
		if (count > INT64_MAX)
			return fields__fail(r, -EOVERFLOW, ": leaks[].count: the sum over the leaks is past "
						   "2^63-1 (%lld)", (long long)INT64_MAX);
	}
	return 0;
}

/* An optional array of sites (freed_sites): absent in older snapshots. */
static int read_sites(const struct field_reader *r, json_t *root, const char *key,
		      struct snap_leak **out, size_t *n)
{
	json_t *list = NULL;
	int err = fields__array(r, root, "", key, false, &list);

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
static int read_modules(const struct field_reader *r, json_t *root, struct snapshot *s)
{
	char where[FIELDS_PATH_LEN];
	json_t *list = NULL;
	int err = fields__array(r, root, "", "modules", false, &list);

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
			return fields__wrong_type(r, where, NULL, "an object", v);
		err = fields__string(r, v, where, "path", NULL, &s->modules[i].path);
		if (!err && !s->modules[i].path)
			err = fields__missing(r, where, "path");
		if (!err)
			err = fields__string(r, v, where, "build_id", NULL, &s->modules[i].build_id);
	}
	return err;
}

static int read_document(const struct field_reader *r, json_t *root, struct snapshot *s)
{
	json_t *totals, *procs, *leaks;
	char found[32];
	int err;

	if (!json_is_object(root))
		return fields__fail(r, -EINVAL, ": expected a JSON object at the top level, found %s",
			    fields__describe(root, found, sizeof(found)));
	err = read_schema(r, root, &s->schema_minor);
	if (!err)
		err = fields__string(r, root, "", "host", NULL, &s->host);
	if (!err)
		err = fields__number(r, root, "", "duration_s", NULL, &s->duration_s);
	if (!err)
		err = fields__u64(r, root, "", "lost_events", false, UINT64_MAX, &s->lost_events);
	if (err)
		return err;
	totals = json_object_get(root, "totals");
	if (!totals)
		return fields__missing(r, "", "totals");
	if (!json_is_object(totals))
		return fields__wrong_type(r, "", "totals", "an object", totals);
	err = fields__counters(r, totals, "totals", true, &s->totals);
	if (!err)
		err = fields__array(r, root, "", "processes", true, &procs);
	if (!err)
		err = fields__array(r, root, "", "leaks", true, &leaks);
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
		err = snapshot_details__read(r, root, s);
	if (!err)
		err = link_leaks(s, s->leaks, s->nr_leaks);
	if (!err)
		err = link_leaks(s, s->freed_sites, s->nr_freed_sites);
	return err;
}

/* Where the parser stopped, and what kind of damage it is when jansson knows. */
static int syntax_error(const struct field_reader *r, const json_error_t *jerr)
{
	const char *hint = "";
	char text[JSON_ERROR_TEXT_LENGTH];

	switch (json_error_code(jerr)) {
	case json_error_out_of_memory:
		return fields__fail(r, -ENOMEM, ": out of memory");
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
	return fields__fail(r, -EINVAL, ":%d:%d: %s%s", jerr->line, jerr->column, hint,
		    fields__printable(jerr->text, text, sizeof(text)));
}

int snapshot_reader__parse(const char *text, size_t len, const char *name, struct snapshot *out,
			   char *err_buf, size_t err_len)
{
	struct field_reader r = { .name = name, .err = err_buf, .err_len = err_len };
	json_t *root = NULL;
	json_error_t jerr;
	int err;

	memset(out, 0, sizeof(*out));
	if (err_len)
		err_buf[0] = '\0';
	/* the usual damage (a failed redirect, a full disk): plainer words than jansson's */
	if (!len) {
		err = fields__fail(&r, -EINVAL, ": empty file, not a memtrace snapshot");
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
		fields__fail(&r, err, ": out of memory");
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
		snapshot_timeline__release(&s->procs[i]);
	}
	release_sites(s->leaks, s->nr_leaks);
	release_sites(s->freed_sites, s->nr_freed_sites);
	for (size_t i = 0; i < s->nr_modules; i++) {
		free(s->modules[i].path);
		free(s->modules[i].build_id);
	}
	free(s->modules);
	snapshot_details__release(s);
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
