// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/dispatch.h"
#include "output/report.h"
#include "output/snapshot.h"
#include "symbolize/elf_file.h"
#include "unit_helpers.h"

void unit__feed(struct tracker *t, void *rec, size_t size)
{
	struct dispatch d = { .tracker = t };

	assert_int_equal(dispatch__record(&d, rec, size), 0);
}

void unit__stack(struct tracker *t, uint32_t pid, uint64_t id, size_t n, const uint64_t *frames)
{
	struct mt_stack_record r;

	memset(&r, 0, sizeof(r));
	r.kind = MT_REC_STACK;
	r.pid = pid;
	r.stack_id = id;
	r.nr_frames = (uint16_t)n;
	memcpy(r.frames, frames, n * sizeof(*frames));
	unit__feed(t, &r, sizeof(r));
}

struct mt_event unit__call_event(const struct unit_call *c)
{
	struct mt_event e;

	/* memset, not an initializer: the padding is zero too, as the BPF side sends it */
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_CALL;
	e.func = c->func;
	e.pid = c->pid;
	e.tid = c->tid;
	e.ts_ns = c->ts_ns;
	e.duration_ns = c->duration_ns;
	e.stack_id = c->stack_id;
	e.call.addr = c->addr;
	e.call.size = c->size;
	e.call.old_addr = c->old_addr;
	return e;
}

void unit__call(struct tracker *t, const struct unit_call *c)
{
	struct mt_event e = unit__call_event(c);

	unit__feed(t, &e, sizeof(e));
}

const char *unit__report(const struct run_summary *s, int top, char **text, size_t *len)
{
	FILE *f;

	free(*text);
	*text = NULL;
	f = open_memstream(text, len);
	assert_non_null(f);
	assert_int_equal(report__write(s, top, f), 0);
	assert_int_equal(fclose(f), 0);
	return *text;
}

json_t *unit__snapshot(const struct run_summary *s, char **text, size_t *len, json_t **root)
{
	json_error_t err;
	FILE *f;

	json_decref(*root);
	*root = NULL;
	free(*text);
	*text = NULL;
	f = open_memstream(text, len);
	assert_non_null(f);
	assert_int_equal(snapshot__write(s, f), 0);
	assert_int_equal(fclose(f), 0);
	/* no stray NUL inside */
	assert_int_equal(strlen(*text), *len);
	*root = json_loadb(*text, *len, JSON_REJECT_DUPLICATES, &err);
	if (!*root)
		print_error("line %d: %s\n%s\n", err.line, err.text, *text);
	assert_non_null(*root);
	return *root;
}

#define CHECK_FIELD(f)                                                                     \
	do {                                                                               \
		if (got->f != want->f) {                                                   \
			print_error("%s: " #f " is %llu, expected %llu\n", what,           \
				    (unsigned long long)got->f, (unsigned long long)want->f); \
			_fail(file, line);                                                 \
		}                                                                          \
	} while (0)

void unit__check_counters(const struct mt_counters *got, const struct mt_counters *want,
			  const char *what, const char *file, int line)
{
	CHECK_FIELD(current_bytes);
	CHECK_FIELD(peak_bytes);
	CHECK_FIELD(allocs);
	CHECK_FIELD(frees);
	CHECK_FIELD(reallocs);
	CHECK_FIELD(failed_allocs);
	CHECK_FIELD(allocated_bytes);
	CHECK_FIELD(freed_bytes);
	CHECK_FIELD(unknown_frees);
}

const char *const unit_counter_keys[UNIT_COUNTERS] = {
	"current_bytes", "peak_bytes",	    "allocs",	   "frees",	    "reallocs",
	"failed_allocs", "allocated_bytes", "freed_bytes", "unknown_frees",
};

void unit__check_json_counters(json_t *obj, const struct mt_counters *want, const char *what,
			       const char *file, int line)
{
	struct mt_counters got;
	uint64_t *fields[UNIT_COUNTERS] = {
		&got.current_bytes, &got.peak_bytes,	  &got.allocs,
		&got.frees,	    &got.reallocs,	  &got.failed_allocs,
		&got.allocated_bytes, &got.freed_bytes, &got.unknown_frees,
	};

	for (size_t i = 0; i < UNIT_COUNTERS; i++)
		*fields[i] = unit__get_u64(obj, unit_counter_keys[i]);
	unit__check_counters(&got, want, what, file, line);
}

json_t *unit__get(json_t *obj, const char *key)
{
	json_t *v;

	assert_true(json_is_object(obj));
	v = json_object_get(obj, key);
	if (!v)
		print_error("missing key \"%s\"\n", key);
	assert_non_null(v);
	return v;
}

uint64_t unit__get_u64(json_t *obj, const char *key)
{
	json_t *v = unit__get(obj, key);

	assert_true(json_is_integer(v));
	assert_true(json_integer_value(v) >= 0);
	return (uint64_t)json_integer_value(v);
}

json_t *unit__get_array(json_t *obj, const char *key, size_t n)
{
	json_t *v = unit__get(obj, key);

	assert_true(json_is_array(v));
	if (json_array_size(v) != n)
		print_error("\"%s\" has %zu elements\n", key, json_array_size(v));
	assert_int_equal(json_array_size(v), n);
	return v;
}

int unit__make_dir(void **state)
{
	char *dir = strdup("/tmp/memtrace-unit-XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

int unit__remove_dir(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) ? -1 : 0;
}

const char *unit__listing(const char *dir, bool hidden)
{
	static char buf[4096];
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t len = 0;

	assert_true(n >= 0);
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (hidden ? strcmp(name, ".") && strcmp(name, "..") : name[0] != '.')
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "", name);
		free(names[i]);
	}
	free(names);
	return buf;
}

double unit__now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t unit__func_offset(const char *path, const char *name)
{
	struct elf_file *ef = NULL;
	uint64_t off = 0;

	assert_int_equal(elf_file__open(path, &ef), 0);
	if (elf_file__func_offset(ef, name, &off, NULL))
		fail_msg("%s: no symbol %s", path, name);
	elf_file__free(ef);
	return off;
}
