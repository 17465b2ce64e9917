// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The snapshot reader: a snapshot the writer made reads back field by
 * field, and every kind of damage (cut short anywhere, wrong types, numbers
 * out of range, deep nesting, bad UTF-8, another schema) fails with the
 * exact errno and a message naming the file and where.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare/snapshot_reader.h"
#include "output/snapshot.h"
#include "symbolize/elf_file.h"
#include "unit_helpers.h"

#define NAME	"t.json"
#define PID2	0x7ffffff1u /* above any pid_max: no /proc entry, no names */
#define S1	0x1111111111ULL
#define S2	0x2222222222ULL
#define S3	0x3333333333ULL
#define NS	1000000000ULL
#define ODD_COMM "w\x01\xc3\xb6\x1fk"

/*
 * A small snapshot in the shape the writer makes, every field the reader
 * keeps set to a distinct value; tests change one thing in it.
 */
static const char minimal_json[] =
	"{\"schema\": \"memtrace.snapshot.v1\", \"host\": \"box\", \"duration_s\": 1.25,"
	" \"lost_events\": 4,"
	" \"totals\": {\"current_bytes\": 1, \"peak_bytes\": 2, \"allocs\": 3, \"frees\": 4,"
	"  \"reallocs\": 5, \"failed_allocs\": 6, \"allocated_bytes\": 7, \"freed_bytes\": 8,"
	"  \"unknown_frees\": 9},"
	" \"processes\": [{\"pid\": 7, \"comm\": \"a\", \"exe\": \"/bin/a\", \"exited\": true,"
	"  \"current_bytes\": 11, \"peak_bytes\": 12, \"allocs\": 13, \"frees\": 14,"
	"  \"reallocs\": 15, \"failed_allocs\": 16, \"allocated_bytes\": 17, \"freed_bytes\": 18,"
	"  \"unknown_frees\": 19, \"source\": \"rank0.json\"}],"
	" \"leaks\": [{\"pid\": 7, \"allocator\": \"libc\", \"bytes\": 100, \"count\": 2,"
	"  \"growing\": true, \"growth_bytes_per_s\": -0.5,"
	"  \"stack\": [{\"symbol\": \"f\", \"module\": \"/bin/a\", \"file\": \"a.c\", \"line\": 3,"
	"   \"inlined\": true}]}]}";

struct world {
	struct tracker t;
	struct run_summary s;
	char *text;
	size_t len;
	struct snapshot snap;
	char err[256];
	char dir[64];
};

/* A malloc of 100 ns on the process's main thread. */
static void call(struct tracker *t, uint32_t pid, uint64_t ts, uint64_t stack_id, uint64_t addr,
		 uint64_t size)
{
	unit__call(t, &(struct unit_call){ .func = MT_FN_MALLOC, .pid = pid, .tid = pid,
					   .ts_ns = ts, .duration_ns = 100, .stack_id = stack_id,
					   .addr = addr, .size = size });
}

/* Functions whose addresses stand in for return addresses: named frames with file:line. */
__attribute__((noinline)) static int marker_leaf(volatile int *x)
{
	return *x + 1;
}

__attribute__((noinline)) static int marker_caller(volatile int *x)
{
	return marker_leaf(x) * 3;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	*state = w;
	snprintf(w->dir, sizeof(w->dir), "/tmp/memtrace-reader-XXXXXX");
	if (!mkdtemp(w->dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char path[128];

	if (!w)
		return 0;
	snapshot_reader__release(&w->snap);
	snprintf(path, sizeof(path), "%s/s.json", w->dir);
	unlink(path);
	rmdir(w->dir);
	if (w->s.tracker) {
		leaks__release(&w->s.leaks);
		leaks__release(&w->s.freed);
		symbolizer__free(w->s.sym);
		tracker__release(&w->t);
	}
	free(w->text);
	free(w);
	return 0;
}

/*
 * This process (frames named from its own ELF, with lines) and one with no
 * /proc entry (no exe, frames nowhere), in the writer's own format.
 */
static void build_run(struct world *w)
{
	static const uint64_t nowhere[] = { 0x10 };
	static const struct leaks_opts all_live = { .now_ns = 10 * NS };
	static char *command[] = { "./prog", NULL };
	uint32_t me = (uint32_t)getpid();
	uint64_t named[2] = {
		(uint64_t)(uintptr_t)marker_leaf + 1,
		(uint64_t)(uintptr_t)marker_caller + 2,
	};
	volatile int x = 1;
	struct mt_process *p;

	assert_int_equal(marker_caller(&x), 6);
	assert_int_equal(tracker__init(&w->t), 0);
	w->s.tracker = &w->t;
	assert_non_null(tracker__add_process(&w->t, me));
	p = tracker__add_process(&w->t, PID2);
	assert_non_null(p);
	memcpy(p->comm, ODD_COMM, sizeof(ODD_COMM));
	p->exited = true;
	unit__stack(&w->t, me, S1, 2, named);
	unit__stack(&w->t, PID2, S2, 1, nowhere);
	call(&w->t, me, 1 * NS, S1, 0x1000, 300000);
	call(&w->t, me, 2 * NS, S1, 0x2000, 1);
	call(&w->t, PID2, 3 * NS, S2, 0x1000, 4000);
	call(&w->t, PID2, 4 * NS, S3, 0x2000, 50); /* its stack never arrives */
	w->s.sym = symbolizer__new();
	assert_non_null(w->s.sym);
	assert_int_equal(leaks__collect(&w->t, &all_live, &w->s.leaks), 0);
	assert_int_equal(w->s.leaks.n, 3);
	/* growth as an --interval run would find it, one rising, one falling */
	w->s.leaks.sites[0].growth = (struct growth_result){
		.growing = true, .has_rate = true, .bytes_per_s = 1234.5678 };
	w->s.leaks.sites[1].growth = (struct growth_result){ .has_rate = true,
							     .bytes_per_s = -0.1 };
	w->s.drops[MT_DROP_RINGBUF_FULL] = 3;
	w->s.drops[MT_DROP_MISSED_ENTRY] = 4;
	w->s.started_at.tv_sec = 1700000000;
	w->s.duration_s = 2.5;
	w->s.now_ns = 10 * NS;
	w->s.command = command;
	w->s.stack_mode = MT_STACK_FP;
}

static void write_run(struct world *w)
{
	FILE *f;

	free(w->text);
	w->text = NULL;
	f = open_memstream(&w->text, &w->len);
	assert_non_null(f);
	assert_int_equal(snapshot__write(&w->s, f), 0);
	assert_int_equal(fclose(f), 0);
}

static int parse_text(struct world *w, const char *text, size_t len)
{
	snapshot_reader__release(&w->snap);
	memset(w->err, 'X', sizeof(w->err));
	return snapshot_reader__parse(text, len, NAME, &w->snap, w->err, sizeof(w->err));
}

static int parse_doc(struct world *w, json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(1));
	int err;

	assert_non_null(text);
	err = parse_text(w, text, strlen(text));
	free(text);
	json_decref(doc);
	return err;
}

/* minimal_json as a tree to change */
static json_t *minimal(void)
{
	json_error_t jerr;
	json_t *doc = json_loads(minimal_json, 0, &jerr);

	if (!doc)
		print_error("minimal_json:%d:%d: %s\n", jerr.line, jerr.column, jerr.text);
	assert_non_null(doc);
	return doc;
}

static json_t *at(json_t *doc, const char *path)
{
	static const struct {
		const char *path, *parent;
		size_t index;
	} items[] = {
		{ "processes[0]", "processes", 0 },
		{ "leaks[0]", "leaks", 0 },
	};

	if (!strcmp(path, ""))
		return doc;
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (!strcmp(path, items[i].path))
			return json_array_get(json_object_get(doc, items[i].parent),
					      items[i].index);
	if (!strcmp(path, "leaks[0].stack[0]"))
		return json_array_get(json_object_get(at(doc, "leaks[0]"), "stack"), 0);
	assert_true(json_is_object(json_object_get(doc, path)));
	return json_object_get(doc, path);
}

/* minimal_json with path.key set to v (stolen), or removed when v is NULL */
static json_t *with(const char *path, const char *key, json_t *v)
{
	json_t *doc = minimal(), *obj = at(doc, path);

	assert_true(json_is_object(obj));
	if (v)
		assert_int_equal(json_object_set_new(obj, key, v), 0);
	else
		assert_int_equal(json_object_del(obj, key), 0);
	return doc;
}

/* minimal_json with the value at path.key replaced by raw text, not necessarily JSON */
static int parse_raw(struct world *w, const char *path, const char *key, const char *raw)
{
	static const char mark[] = "\"@RAW@\"";
	json_t *doc = with(path, key, json_string("@RAW@"));
	char *text = json_dumps(doc, JSON_INDENT(1)), *at_mark, *buf;
	int err;

	json_decref(doc);
	assert_non_null(text);
	at_mark = strstr(text, mark);
	assert_non_null(at_mark);
	*at_mark = '\0';
	assert_true(asprintf(&buf, "%s%s%s", text, raw, at_mark + strlen(mark)) > 0);
	err = parse_text(w, buf, strlen(buf));
	free(buf);
	free(text);
	return err;
}

static bool is_empty(const struct snapshot *s)
{
	static const struct snapshot zero;

	return !memcmp(s, &zero, sizeof(zero));
}

/* "t.json:LINE:COL: ...", a position jansson gave; returns the line. */
static int assert_position(struct world *w, const char *what)
{
	int line = -1, col = -1, n = 0;

	if (sscanf(w->err, NAME ":%d:%d: %n", &line, &col, &n) != 2 || !n || line < 1 ||
	    col < 0)
		print_error("no position in \"%s\"\n", w->err);
	assert_true(n > 0 && line >= 1 && col >= 0);
	if (what && !strstr(w->err, what))
		print_error("\"%s\" does not say \"%s\"\n", w->err, what);
	if (what)
		assert_non_null(strstr(w->err, what));
	assert_true(is_empty(&w->snap));
	return line;
}

/* "t.json: PATH: ..." */
static void assert_path(struct world *w, const char *path, const char *what)
{
	char want[256];

	snprintf(want, sizeof(want), NAME ": %s: %s", path, what);
	if (strncmp(w->err, want, strlen(want)))
		print_error("\"%s\" does not start \"%s\"\n", w->err, want);
	assert_true(strncmp(w->err, want, strlen(want)) == 0);
	assert_true(is_empty(&w->snap));
}

static void assert_same_string(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

static void test_round_trip(void **state)
{
	struct leak_frame frames[LEAK_MAX_FRAMES];
	struct world *w = *state;
	struct snapshot *s = &w->snap;
	char host[256];
	bool truncated;

	build_run(w);
	write_run(w);
	/* with timelines (test_minimal_fields reads a snapshot without) */
	assert_non_null(strstr(w->text, "\"timeline\""));
	assert_int_equal(parse_text(w, w->text, w->len), 0);
	assert_true(s->procs[0].timeline.present && s->procs[0].timeline.nr_points >= 1);
	assert_true(s->procs[0].nr_threads >= 1);
	assert_string_equal(w->err, "");
	assert_string_equal(s->path, NAME);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(s->host, host);
	assert_int_equal(s->schema_minor, 0);
	assert_true(s->duration_s == 2.5);
	assert_int_equal(s->lost_events, 7);
	assert_memory_equal(&s->totals, &w->t.totals, sizeof(s->totals));
	assert_int_equal(s->totals.current_bytes, 304051);

	assert_int_equal(s->nr_procs, w->t.nr_procs);
	for (size_t i = 0; i < s->nr_procs; i++) {
		const struct mt_process *p = w->t.procs[i];

		assert_int_equal(s->procs[i].pid, p->pid);
		assert_string_equal(s->procs[i].comm, p->comm);
		assert_same_string(s->procs[i].exe, p->exe);
		assert_int_equal(s->procs[i].exited, p->exited);
		assert_memory_equal(&s->procs[i].c, &p->c, sizeof(p->c));
		assert_null(s->procs[i].source);
	}
	assert_non_null(s->procs[0].exe);
	assert_null(s->procs[1].exe);
	assert_string_equal(s->procs[1].comm, ODD_COMM);

	assert_int_equal(s->nr_leaks, w->s.leaks.n);
	for (size_t i = 0; i < s->nr_leaks; i++) {
		const struct leak_site *site = &w->s.leaks.sites[i];
		const struct snap_leak *l = &s->leaks[i];
		size_t n;

		assert_int_equal(l->pid, site->process->pid);
		assert_string_equal(l->allocator, "libc");
		assert_int_equal(l->bytes, site->bytes);
		assert_int_equal(l->count, site->count);
		assert_int_equal(l->growing, site->growth.growing);
		assert_int_equal(l->has_growth, site->growth.has_rate);
		if (l->has_growth)
			assert_true(l->growth_bytes_per_s == site->growth.bytes_per_s);
		assert_true(l->process < s->nr_procs);
		assert_ptr_equal(w->t.procs[l->process], site->process);
		n = leaks__frames(&w->t, w->s.sym, site, frames, LEAK_MAX_FRAMES, &truncated);
		assert_int_equal(l->nr_frames, n);
		for (size_t j = 0; j < n; j++) {
			assert_same_string(l->frames[j].symbol, frames[j].info.symbol);
			assert_same_string(l->frames[j].module, frames[j].info.module);
			assert_same_string(l->frames[j].file, frames[j].info.file);
			assert_int_equal(l->frames[j].line, frames[j].info.line);
			assert_int_equal(l->frames[j].inlined, frames[j].info.inlined);
		}
	}
	/* the named stack really was named: the comparison above is not of NULLs */
	assert_int_equal(s->leaks[0].nr_frames, 2);
	assert_string_equal(s->leaks[0].frames[0].symbol, "marker_leaf");
	assert_non_null(strstr(s->leaks[0].frames[0].file, "test_snapshot_reader.c"));
	assert_true(s->leaks[0].frames[0].line > 0);
	assert_true(s->leaks[1].growth_bytes_per_s == -0.1);
	assert_false(s->leaks[2].has_growth);
	assert_int_equal(s->leaks[2].nr_frames, 0);
}

/* The same file through the file system. */
static void test_load(void **state)
{
	struct world *w = *state;
	char path[128];
	FILE *f;

	build_run(w);
	write_run(w);
	snprintf(path, sizeof(path), "%s/s.json", w->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(w->text, 1, w->len, f), w->len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(snapshot_reader__load(path, &w->snap, w->err, sizeof(w->err)), 0);
	assert_string_equal(w->snap.path, path);
	assert_int_equal(w->snap.nr_procs, 2);
	assert_int_equal(w->snap.nr_leaks, 3);
	assert_memory_equal(&w->snap.totals, &w->t.totals, sizeof(w->t.totals));
}

static void test_minimal_fields(void **state)
{
	struct world *w = *state;
	const struct snapshot *s = &w->snap;

	assert_int_equal(parse_text(w, minimal_json, strlen(minimal_json)), 0);
	assert_string_equal(s->host, "box");
	assert_true(s->duration_s == 1.25);
	assert_int_equal(s->lost_events, 4);
	assert_int_equal(s->totals.current_bytes, 1);
	assert_int_equal(s->totals.unknown_frees, 9);
	assert_int_equal(s->nr_procs, 1);
	assert_int_equal(s->procs[0].pid, 7);
	assert_string_equal(s->procs[0].comm, "a");
	assert_string_equal(s->procs[0].exe, "/bin/a");
	assert_true(s->procs[0].exited);
	assert_int_equal(s->procs[0].c.current_bytes, 11);
	assert_int_equal(s->procs[0].c.allocated_bytes, 17);
	assert_int_equal(s->procs[0].c.unknown_frees, 19);
	assert_string_equal(s->procs[0].source, "rank0.json");
	assert_int_equal(s->nr_leaks, 1);
	assert_int_equal(s->leaks[0].pid, 7);
	assert_int_equal(s->leaks[0].bytes, 100);
	assert_int_equal(s->leaks[0].count, 2);
	assert_true(s->leaks[0].growing);
	assert_true(s->leaks[0].has_growth);
	assert_true(s->leaks[0].growth_bytes_per_s == -0.5);
	assert_int_equal(s->leaks[0].process, 0);
	assert_int_equal(s->leaks[0].nr_frames, 1);
	assert_string_equal(s->leaks[0].frames[0].symbol, "f");
	assert_string_equal(s->leaks[0].frames[0].module, "/bin/a");
	assert_string_equal(s->leaks[0].frames[0].file, "a.c");
	assert_int_equal(s->leaks[0].frames[0].line, 3);
	assert_true(s->leaks[0].frames[0].inlined);
}

/* Every prefix of a real snapshot is a damaged file, with where it ends. */
static void test_truncated_everywhere(void **state)
{
	struct world *w = *state;
	size_t end;

	build_run(w);
	write_run(w);
	end = (size_t)(strrchr(w->text, '}') - w->text) + 1;
	assert_int_equal(parse_text(w, w->text, 0), -EINVAL);
	assert_string_equal(w->err, NAME ": empty file, not a memtrace snapshot");
	for (size_t len = 1; len < end; len++) {
		int lines = 1;

		for (size_t i = 0; i < len; i++)
			lines += w->text[i] == '\n';
		if (parse_text(w, w->text, len) != -EINVAL)
			print_error("a prefix of %zu bytes: \"%s\"\n", len, w->err);
		assert_int_equal(parse_text(w, w->text, len), -EINVAL);
		/* at the end of what is there */
		assert_int_equal(assert_position(w, NULL), lines);
	}
	assert_int_equal(parse_text(w, w->text, end), 0);
	assert_int_equal(parse_text(w, w->text, w->len), 0);
}

static void test_truncated_says_so(void **state)
{
	struct world *w = *state;

	assert_int_equal(parse_text(w, minimal_json, 100), -EINVAL);
	assert_position(w, "file ends early (truncated?)");
}

static json_t *const *wrong_values(void)
{
	static json_t *values[8];

	values[0] = json_integer(1);
	values[1] = json_string("x");
	values[2] = json_array();
	values[3] = json_object();
	values[4] = json_null();
	values[5] = json_true();
	values[6] = json_real(1.5);
	values[7] = NULL;
	return values;
}

/* Each required field missing, or of each wrong type. */
static void test_required_fields(void **state)
{
	static const struct {
		const char *key;
		json_type type;
		const char *want;
	} fields[] = {
		{ "schema", JSON_STRING, "expected a string, found " },
		{ "totals", JSON_OBJECT, "expected an object, found " },
		{ "processes", JSON_ARRAY, "expected an array, found " },
		{ "leaks", JSON_ARRAY, "expected an array, found " },
	};
	struct world *w = *state;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *const *values = wrong_values();

		assert_int_equal(parse_doc(w, with("", fields[i].key, NULL)), -EINVAL);
		assert_path(w, fields[i].key, "missing");
		for (size_t j = 0; values[j]; j++) {
			if (json_typeof(values[j]) == fields[i].type) {
				json_decref(values[j]);
				continue;
			}
			assert_int_equal(parse_doc(w, with("", fields[i].key, values[j])), -EINVAL);
			assert_path(w, fields[i].key, fields[i].want);
		}
	}
}

/* Each counter of totals: required, and a non-negative integer. */
static void test_totals_counters(void **state)
{
	struct world *w = *state;
	char path[64];

	for (size_t i = 0; i < UNIT_COUNTERS; i++) {
		json_t *const *values = wrong_values();

		snprintf(path, sizeof(path), "totals.%s", unit_counter_keys[i]);
		assert_int_equal(parse_doc(w, with("totals", unit_counter_keys[i], NULL)), -EINVAL);
		assert_path(w, path, "missing");
		for (size_t j = 0; values[j]; j++) {
			if (json_is_integer(values[j])) {
				json_decref(values[j]);
				continue;
			}
			assert_int_equal(
				parse_doc(w, with("totals", unit_counter_keys[i], values[j])),
				-EINVAL);
			assert_path(w, path, "expected a non-negative integer, found ");
		}
		assert_int_equal(
			parse_doc(w, with("totals", unit_counter_keys[i], json_integer(-1))),
			-EINVAL);
		assert_path(w, path, "expected a non-negative integer, found -1");
	}
	assert_int_equal(parse_doc(w, with("totals", "frees", json_integer(INT64_MAX))), 0);
	assert_int_equal(w->snap.totals.frees, INT64_MAX);
}

/* Negative counters and out-of-range values where they are optional, by path. */
static void test_optional_field_types(void **state)
{
	static const struct {
		const char *path, *key, *value, *shown, *want;
	} cases[] = {
		{ "processes[0]", "peak_bytes", "-3", "processes[0].peak_bytes",
		  "expected a non-negative integer, found -3" },
		{ "processes[0]", "pid", "4294967296", "processes[0].pid",
		  "expected an integer from 0 to 4294967295, found 4294967296" },
		{ "processes[0]", "pid", "-1", "processes[0].pid", "expected an integer" },
		{ "processes[0]", "comm", "5", "processes[0].comm", "expected a string, found 5" },
		{ "processes[0]", "exited", "0", "processes[0].exited",
		  "expected true or false, found 0" },
		{ "processes[0]", "allocs", "2.0", "processes[0].allocs",
		  "expected a non-negative integer, found 2.0" },
		{ "leaks[0]", "bytes", "-9223372036854775808", "leaks[0].bytes",
		  "expected a non-negative integer, found -9223372036854775808" },
		{ "leaks[0]", "count", "\"2\"", "leaks[0].count",
		  "expected a non-negative integer" },
		{ "leaks[0]", "stack", "{}", "leaks[0].stack",
		  "expected an array, found an object" },
		{ "leaks[0]", "growth_bytes_per_s", "\"fast\"", "leaks[0].growth_bytes_per_s",
		  "expected a number, found a string" },
		{ "leaks[0].stack[0]", "line", "\"3\"", "leaks[0].stack[0].line",
		  "expected an integer from 0 to 4294967295, found a string" },
		{ "leaks[0].stack[0]", "symbol", "[]", "leaks[0].stack[0].symbol",
		  "expected a string, found an array" },
		{ "leaks[0].stack[0]", "linkage_name", "7", "leaks[0].stack[0].linkage_name",
		  "expected a string, found 7" },
		{ "leaks[0].stack[0]", "kind", "1", "leaks[0].stack[0].kind",
		  "expected a string, found 1" },
		{ "", "duration_s", "\"1s\"", "duration_s", "expected a number" },
		{ "", "host", "1", "host", "expected a string" },
	};
	struct world *w = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_raw(w, cases[i].path, cases[i].key, cases[i].value),
				 -EINVAL);
		assert_path(w, cases[i].shown, cases[i].want);
	}
}

static void test_elements_not_objects(void **state)
{
	struct world *w = *state;
	json_t *doc;

	doc = minimal();
	json_array_append_new(json_object_get(doc, "processes"), json_string("p"));
	assert_int_equal(parse_doc(w, doc), -EINVAL);
	assert_path(w, "processes[1]", "expected an object, found a string");

	doc = minimal();
	json_array_set_new(json_object_get(doc, "leaks"), 0, json_integer(3));
	assert_int_equal(parse_doc(w, doc), -EINVAL);
	assert_path(w, "leaks[0]", "expected an object, found 3");

	doc = minimal();
	json_array_append_new(json_object_get(at(doc, "leaks[0]"), "stack"), json_null());
	assert_int_equal(parse_doc(w, doc), -EINVAL);
	assert_path(w, "leaks[0].stack[1]", "expected an object, found null");

	assert_int_equal(parse_text(w, "[]", 2), -EINVAL);
	assert_string_equal(w->err,
			    NAME ": expected a JSON object at the top level, found an array");
}

/* Past INT64_MAX jansson refuses the number itself: a parse error, with its place. */
static void test_huge_numbers(void **state)
{
	static const char *const huge[] = {
		"18446744073709551616",	/* 2^64 */
		"9223372036854775808",	/* 2^63 */
		"-9223372036854775809",
		"1e400",
	};
	struct world *w = *state;

	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		assert_int_equal(parse_raw(w, "totals", "peak_bytes", huge[i]), -EINVAL);
		assert_position(w, "number out of range (a snapshot's integers are at most "
				   "2^63-1)");
		assert_non_null(strstr(w->err, huge[i]));
	}
	assert_int_equal(parse_raw(w, "totals", "peak_bytes", "9223372036854775807"), 0);
	assert_int_equal(w->snap.totals.peak_bytes, INT64_MAX);
}

static void test_deep_nesting(void **state)
{
	enum { DEPTH = 100000 };
	struct world *w = *state;
	char *deep = malloc(2 * DEPTH + 1);
	size_t n = 0;

	assert_non_null(deep);
	memset(deep, '[', DEPTH);
	assert_int_equal(parse_text(w, deep, DEPTH), -EINVAL);
	assert_position(w, "nested too deeply");
	/* balanced, in a field the reader does not know */
	memset(deep + DEPTH, ']', DEPTH);
	deep[2 * DEPTH] = '\0';
	assert_int_equal(parse_raw(w, "", "future", deep), -EINVAL);
	assert_position(w, "nested too deeply");
	/* objects in objects */
	while (n + 6 < 2 * DEPTH) {
		memcpy(deep + n, "{\"a\":", 5);
		n += 5;
	}
	assert_int_equal(parse_text(w, deep, n), -EINVAL);
	assert_position(w, "nested too deeply");
	free(deep);
	/* what JSON_PARSER_MAX_DEPTH allows still reads */
	assert_int_equal(parse_raw(w, "", "future", "[[[[[[[[[[]]]]]]]]]]"), 0);
}

static void test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\"\xff\"",
		"\"a\xc3\"",		/* cut short */
		"\"\xc0\xaf\"",		/* overlong '/' */
		"\"\xed\xa0\x80\"",	/* a surrogate */
		"\"\xf4\x90\x80\x80\"", /* above U+10FFFF */
	};
	struct world *w = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_raw(w, "processes[0]", "comm", bad[i]), -EINVAL);
		assert_position(w, "invalid UTF-8: ");
		/* the bad bytes themselves are not echoed to the terminal */
		for (const char *c = w->err; *c; c++)
			assert_true(*c >= 0x20 && *c < 0x7f);
	}
	/* a lone surrogate escaped, and a NUL that would cut a C string short */
	assert_int_equal(parse_raw(w, "processes[0]", "comm", "\"\\ud800\""), -EINVAL);
	assert_position(w, NULL);
	assert_int_equal(parse_raw(w, "processes[0]", "comm", "\"a\\u0000b\""), -EINVAL);
	assert_position(w, "\\u0000");
	/* well-formed UTF-8 and escapes read as they are */
	assert_int_equal(parse_raw(w, "processes[0]", "comm", "\"\xc3\xb6\\u00e9\\u0001\""), 0);
	assert_string_equal(w->snap.procs[0].comm, "\xc3\xb6\xc3\xa9\x01");
}

static void test_other_damage(void **state)
{
	struct world *w = *state;
	char text[sizeof(minimal_json) + 8];

	assert_int_equal(parse_raw(w, "", "host", "\"a\", \"host\": \"b\""), -EINVAL);
	assert_position(w, "duplicate object key");
	snprintf(text, sizeof(text), "%s x", minimal_json);
	assert_int_equal(parse_text(w, text, strlen(text)), -EINVAL);
	assert_position(w, "end of file expected");
	/* a NUL inside the buffer ends nothing: what follows is still checked */
	memcpy(text, minimal_json, sizeof(minimal_json));
	assert_int_equal(parse_text(w, text, sizeof(minimal_json)), -EINVAL);
	assert_position(w, NULL);
	assert_int_equal(parse_text(w, " \n\t", 3), -EINVAL);
	assert_int_equal(assert_position(w, NULL), 2);
}

static void test_schema_versions(void **state)
{
	static const char *const unknown[] = {
		"memtrace.snapshot",	   "memtrace.snapshot.v",      "memtrace.snapshot.v0",
		"memtrace.snapshot.v1x",   "memtrace.snapshot.v1.",    "memtrace.snapshot.v1.2.3",
		"memtrace.snapshot.v1.-2", "memtrace.snapshot.v-1",    "other.tool.v1",
		"",			   "MEMTRACE.SNAPSHOT.V1",     "memtrace.snapshot.v1 ",
	};
	static const char *const newer[] = {
		"memtrace.snapshot.v2",
		"memtrace.snapshot.v2.0",
		"memtrace.snapshot.v10",
		"memtrace.snapshot.v99999999999999999999",
	};
	struct world *w = *state;
	char want[256];

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(parse_doc(w, with("", "schema", json_string(unknown[i]))),
				 -EPROTONOSUPPORT);
		snprintf(want, sizeof(want), NAME ": schema \"%s\" is not a memtrace snapshot's",
			 unknown[i]);
		assert_true(strncmp(w->err, want, strlen(want)) == 0);
		assert_true(is_empty(&w->snap));
	}
	for (size_t i = 0; i < sizeof(newer) / sizeof(newer[0]); i++) {
		assert_int_equal(parse_doc(w, with("", "schema", json_string(newer[i]))),
				 -EPROTONOSUPPORT);
		snprintf(want, sizeof(want),
			 NAME ": schema \"%s\" is newer than this memtrace reads "
			      "(memtrace.snapshot.v1): use a newer memtrace",
			 newer[i]);
		assert_string_equal(w->err, want);
	}
	/* a v2 is reported as v2 even when nothing else of it is what v1 had */
	assert_int_equal(parse_text(w, "{\"schema\": \"memtrace.snapshot.v2\"}", 34),
			 -EPROTONOSUPPORT);
	/* what the file says, shown without its control bytes */
	assert_int_equal(parse_doc(w, with("", "schema", json_string("\x1b[31mx"))),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(w->err, "\"?[31mx\""));
}

/* A later v1 adds fields: read what this version knows, ignore the rest. */
static void test_minor_versions(void **state)
{
	struct world *w = *state;
	json_t *doc;

	doc = with("", "schema", json_string("memtrace.snapshot.v1.7"));
	json_object_set_new(doc, "added_in_1_7", json_pack("{s:[i,i]}", "x", 1, 2));
	json_object_set_new(at(doc, "processes[0]"), "new_field", json_string("y"));
	json_object_set_new(at(doc, "leaks[0].stack[0]"), "new_field", json_null());
	assert_int_equal(parse_doc(w, doc), 0);
	assert_int_equal(w->snap.schema_minor, 7);
	assert_int_equal(w->snap.leaks[0].frames[0].line, 3);
	assert_int_equal(parse_doc(w, with("", "schema", json_string("memtrace.snapshot.v1.0"))),
			 0);
	assert_int_equal(w->snap.schema_minor, 0);
}

static void assert_defaults(const struct snapshot *s)
{
	static const struct mt_counters zero;

	assert_null(s->host);
	assert_true(s->duration_s == 0);
	assert_int_equal(s->lost_events, 0);
	assert_int_equal(s->nr_procs, 1);
	assert_int_equal(s->procs[0].pid, 0);
	assert_string_equal(s->procs[0].comm, "");
	assert_null(s->procs[0].exe);
	assert_false(s->procs[0].exited);
	assert_memory_equal(&s->procs[0].c, &zero, sizeof(zero));
	assert_null(s->procs[0].source);
	assert_int_equal(s->nr_leaks, 2);
	assert_int_equal(s->leaks[0].pid, 0);
	assert_string_equal(s->leaks[0].allocator, "libc");
	assert_int_equal(s->leaks[0].bytes, 0);
	assert_int_equal(s->leaks[0].count, 0);
	assert_false(s->leaks[0].growing);
	assert_false(s->leaks[0].has_growth);
	assert_int_equal(s->leaks[0].nr_frames, 1);
	assert_null(s->leaks[0].frames[0].symbol);
	assert_null(s->leaks[0].frames[0].module);
	assert_null(s->leaks[0].frames[0].file);
	assert_int_equal(s->leaks[0].frames[0].line, 0);
	assert_false(s->leaks[0].frames[0].inlined);
	/* pid 0 defaulted on both sides is still a match */
	assert_int_equal(s->leaks[0].process, 0);
	assert_null(s->leaks[1].frames);
	assert_int_equal(s->leaks[1].nr_frames, 0);
	assert_int_equal(s->leaks[1].process, SIZE_MAX);
}

static void test_optional_defaults(void **state)
{
	static const char absent[] =
		"{\"schema\": \"memtrace.snapshot.v1\", \"totals\": {\"current_bytes\": 0,"
		" \"peak_bytes\": 0, \"allocs\": 0, \"frees\": 0, \"reallocs\": 0,"
		" \"failed_allocs\": 0, \"allocated_bytes\": 0, \"freed_bytes\": 0,"
		" \"unknown_frees\": 0}, \"processes\": [{}], \"leaks\": [{\"stack\": [{}]},"
		" {\"pid\": 5}]}";
	static const char nulls[] =
		"{\"schema\": \"memtrace.snapshot.v1\", \"host\": null, \"duration_s\": null,"
		" \"lost_events\": null, \"totals\": {\"current_bytes\": 0,"
		" \"peak_bytes\": 0, \"allocs\": 0, \"frees\": 0, \"reallocs\": 0,"
		" \"failed_allocs\": 0, \"allocated_bytes\": 0, \"freed_bytes\": 0,"
		" \"unknown_frees\": 0}, \"processes\": [{\"pid\": null, \"comm\": null,"
		" \"exe\": null, \"exited\": null, \"peak_bytes\": null, \"source\": null}],"
		" \"leaks\": [{\"pid\": null, \"allocator\": null, \"bytes\": null,"
		" \"count\": null, \"growing\": null, \"growth_bytes_per_s\": null,"
		" \"stack\": [{\"symbol\": null, \"module\": null, \"file\": null,"
		" \"line\": null, \"inlined\": null}]},"
		" {\"pid\": 5, \"stack\": null}]}";
	struct world *w = *state;

	assert_int_equal(parse_text(w, absent, strlen(absent)), 0);
	assert_defaults(&w->snap);
	assert_int_equal(parse_text(w, nulls, strlen(nulls)), 0);
	assert_defaults(&w->snap);
}

/* A leak's process is the first with its pid; none is SIZE_MAX. */
static void test_leak_processes(void **state)
{
	static const int pids[] = { 30, 7, 20, 7, 10 };
	static const struct {
		int pid;
		size_t process;
	} want[] = { { 7, 1 }, { 10, 4 }, { 20, 2 }, { 30, 0 }, { 8, SIZE_MAX }, { 0, SIZE_MAX } };
	struct world *w = *state;
	json_t *doc = minimal(), *procs = json_object_get(doc, "processes");
	json_t *leaks = json_object_get(doc, "leaks");

	json_array_clear(procs);
	json_array_clear(leaks);
	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
		json_array_append_new(procs, json_pack("{s:i}", "pid", pids[i]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		json_array_append_new(leaks, json_pack("{s:i}", "pid", want[i].pid));
	assert_int_equal(parse_doc(w, doc), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(w->snap.leaks[i].process, want[i].process);

	/* no processes at all */
	doc = minimal();
	json_array_clear(json_object_get(doc, "processes"));
	assert_int_equal(parse_doc(w, doc), 0);
	assert_int_equal(w->snap.nr_procs, 0);
	assert_null(w->snap.procs);
	assert_int_equal(w->snap.leaks[0].process, SIZE_MAX);
}

/* One frame of the minimal snapshot, read with symbol (and linkage_name unless absent) set. */
static const struct snap_frame *read_names(struct world *w, const char *symbol,
					   json_t *linkage_name)
{
	json_t *doc = minimal(), *frame;

	frame = json_array_get(json_object_get(at(doc, "leaks[0]"), "stack"), 0);
	assert_int_equal(json_object_set_new(frame, "symbol", json_string(symbol)), 0);
	if (linkage_name)
		assert_int_equal(json_object_set_new(frame, "linkage_name", linkage_name), 0);
	assert_int_equal(parse_doc(w, doc), 0);
	return &w->snap.leaks[0].frames[0];
}

/*
 * C++ names: a frame with linkage_name is read as written; one from before
 * the field (no such key) with a mangled symbol gets both names, as the
 * writer would give them now. A name that does not demangle stays.
 */
static void test_linkage_names(void **state)
{
	struct world *w = *state;
	const struct snap_frame *f;

	f = read_names(w, "ns::Model::leak(int)", json_string("_ZN2ns5Model4leakEi"));
	assert_string_equal(f->symbol, "ns::Model::leak(int)");
	assert_string_equal(f->linkage_name, "_ZN2ns5Model4leakEi");
	snapshot_reader__release(&w->snap);

	/* before linkage_name */
	f = read_names(w, "_ZN2ns5Model4leakEi", NULL);
	assert_string_equal(f->symbol, "ns::Model::leak(int)");
	assert_string_equal(f->linkage_name, "_ZN2ns5Model4leakEi");
	snapshot_reader__release(&w->snap);
	f = read_names(w, "_Zgarbage", NULL);
	assert_string_equal(f->symbol, "_Zgarbage");
	assert_null(f->linkage_name);
	snapshot_reader__release(&w->snap);
	f = read_names(w, "main", NULL);
	assert_string_equal(f->symbol, "main");
	assert_null(f->linkage_name);
	snapshot_reader__release(&w->snap);

	/* with the key, null: the writer found nothing to demangle, and neither does the reader */
	f = read_names(w, "_ZN2ns5Model4leakEi", json_null());
	assert_string_equal(f->symbol, "_ZN2ns5Model4leakEi");
	assert_null(f->linkage_name);
}

/* One frame of the minimal snapshot, read with kind set (json NULL: no such key). */
static const struct snap_frame *read_kind(struct world *w, json_t *kind)
{
	json_t *doc = minimal(), *frame;

	frame = json_array_get(json_object_get(at(doc, "leaks[0]"), "stack"), 0);
	json_object_del(frame, "kind");
	if (kind)
		assert_int_equal(json_object_set_new(frame, "kind", kind), 0);
	assert_int_equal(parse_doc(w, doc), 0);
	return &w->snap.leaks[0].frames[0];
}

/*
 * A frame's kind: snapshots from before Python frames have none, and their
 * frames are native; a kind a newer writer may add reads as native too.
 */
static void test_frame_kind(void **state)
{
	struct world *w = *state;

	assert_false(read_kind(w, NULL)->python);
	snapshot_reader__release(&w->snap);
	assert_false(read_kind(w, json_null())->python);
	snapshot_reader__release(&w->snap);
	assert_false(read_kind(w, json_string("native"))->python);
	snapshot_reader__release(&w->snap);
	assert_true(read_kind(w, json_string("python"))->python);
	snapshot_reader__release(&w->snap);
	assert_false(read_kind(w, json_string("jit"))->python);
}

static void test_files(void **state)
{
	struct world *w = *state;
	char path[128];
	int fds[2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/none.json", w->dir);
	assert_int_equal(snapshot_reader__load(path, &w->snap, w->err, sizeof(w->err)), -ENOENT);
	assert_true(is_empty(&w->snap));
	assert_true(strncmp(w->err, "cannot read ", 12) == 0);
	assert_non_null(strstr(w->err, path));
	assert_non_null(strstr(w->err, ": No such file or directory"));

	assert_int_equal(snapshot_reader__load(w->dir, &w->snap, w->err, sizeof(w->err)), -EISDIR);
	assert_true(is_empty(&w->snap));
	assert_non_null(strstr(w->err, w->dir));
	assert_non_null(strstr(w->err, ": Is a directory"));

	snprintf(path, sizeof(path), "%s/s.json", w->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(snapshot_reader__load(path, &w->snap, w->err, sizeof(w->err)), -EINVAL);
	assert_true(is_empty(&w->snap));
	assert_non_null(strstr(w->err, path));
	assert_non_null(strstr(w->err, ": empty file, not a memtrace snapshot"));

	/* a pipe has no size to go by: read to its end all the same */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], minimal_json, strlen(minimal_json)),
			 (ssize_t)strlen(minimal_json));
	close(fds[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	assert_int_equal(snapshot_reader__load(path, &w->snap, w->err, sizeof(w->err)), 0);
	close(fds[0]);
	assert_int_equal(w->snap.nr_leaks, 1);
	assert_string_equal(w->snap.leaks[0].frames[0].file, "a.c");
}

/* A file larger than --max-input is refused by its size; one of exactly the bound is read. */
static void test_max_input_file(void **state)
{
	struct world *w = *state;
	size_t len = strlen(minimal_json);
	char path[128], want[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/s.json", w->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(minimal_json, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 100);
	assert_int_equal(snapshot_reader__load_max(path, 100, &w->snap, w->err, sizeof(w->err)),
			 -EFBIG);
	snprintf(want, sizeof(want), "%s: %zu bytes, more than --max-input (100 bytes)", path,
		 len);
	assert_string_equal(w->err, want);
	assert_true(is_empty(&w->snap));
	assert_int_equal(snapshot_reader__load_max(path, len - 1, &w->snap, w->err,
						   sizeof(w->err)), -EFBIG);
	assert_int_equal(snapshot_reader__load_max(path, len, &w->snap, w->err, sizeof(w->err)),
			 0);
	assert_int_equal(w->snap.nr_leaks, 1);
}

/*
 * A pipe has no size: its reader stops once it has more than the bound,
 * and does not drain the rest. The writer offers 16 MiB and must be cut off
 * (EPIPE) once the reader is gone.
 */
static void test_max_input_pipe(void **state)
{
	struct world *w = *state;
	static char chunk[4096];
	char path[64], *text = (char *)1;
	size_t len = 1;
	int fds[2], status;
	pid_t writer;

	assert_int_equal(pipe(fds), 0);
	writer = fork();
	assert_true(writer >= 0);
	if (writer == 0) {
		size_t sent = 0;

		close(fds[0]);
		signal(SIGPIPE, SIG_IGN);
		memset(chunk, ' ', sizeof(chunk));
		while (sent < (16u << 20)) {
			ssize_t n = write(fds[1], chunk, sizeof(chunk));

			if (n < 0)
				_exit(errno == EPIPE ? 0 : 2);
			sent += (size_t)n;
		}
		_exit(1);
	}
	close(fds[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	assert_int_equal(snapshot_reader__read_file(path, 100, &text, &len, w->err,
						    sizeof(w->err)), -EFBIG);
	assert_null(text);
	assert_int_equal(len, 0);
	assert_true(strncmp(w->err, path, strlen(path)) == 0);
	assert_string_equal(w->err + strlen(path), ": more than --max-input (100 bytes)");
	close(fds[0]);
	assert_int_equal(waitpid(writer, &status, 0), writer);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* exactly the bound through a pipe: read whole */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], minimal_json, strlen(minimal_json)),
			 (ssize_t)strlen(minimal_json));
	close(fds[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	assert_int_equal(snapshot_reader__load_max(path, strlen(minimal_json), &w->snap, w->err,
						   sizeof(w->err)), 0);
	close(fds[0]);
	assert_int_equal(w->snap.nr_leaks, 1);
}

/* The leaks' sums that diff and check make must fit a snapshot's integers: exactly, or refused. */
static void test_leak_sums(void **state)
{
	struct world *w = *state;
	json_t *doc, *leaks;

	/* 2^62 + (2^62 - 1) = 2^63 - 1: the largest sum there is */
	doc = with("leaks[0]", "bytes", json_integer(INT64_C(1) << 62));
	leaks = json_object_get(doc, "leaks");
	json_array_append_new(leaks, json_deep_copy(json_array_get(leaks, 0)));
	json_object_set_new(json_array_get(leaks, 1), "bytes",
			    json_integer((INT64_C(1) << 62) - 1));
	assert_int_equal(parse_doc(w, json_deep_copy(doc)), 0);
	assert_int_equal(w->snap.nr_leaks, 2);
	snapshot_reader__release(&w->snap);
	/* one byte more */
	json_object_set_new(json_array_get(leaks, 1), "bytes", json_integer(INT64_C(1) << 62));
	assert_int_equal(parse_doc(w, json_deep_copy(doc)), -EOVERFLOW);
	assert_string_equal(w->err, NAME ": leaks[].bytes: the sum over the leaks is past 2^63-1 "
					 "(9223372036854775807)");
	assert_true(is_empty(&w->snap));
	/* counts the same way */
	json_object_set_new(json_array_get(leaks, 1), "bytes", json_integer(1));
	json_object_set_new(json_array_get(leaks, 0), "count", json_integer(INT64_MAX));
	assert_int_equal(parse_doc(w, doc), -EOVERFLOW);
	assert_string_equal(w->err, NAME ": leaks[].count: the sum over the leaks is past 2^63-1 "
					 "(9223372036854775807)");
}

/* A short message buffer cuts the message, not the memory next to it; none is fine too. */
static void test_short_error_buffer(void **state)
{
	struct world *w = *state;
	char small[9];

	memset(small, 'X', sizeof(small));
	assert_int_equal(snapshot_reader__parse("[", 1, NAME, &w->snap, small, 8), -EINVAL);
	assert_string_equal(small, "t.json:");
	assert_int_equal(small[8], 'X');
	assert_int_equal(snapshot_reader__parse("[", 1, NAME, &w->snap, NULL, 0), -EINVAL);
	assert_int_equal(snapshot_reader__parse("{}", 2, NAME, &w->snap, small, 1), -EINVAL);
	assert_string_equal(small, "");
	snapshot_reader__release(NULL);
}

static const char timeline_json[] =
	"{\"resolution_s\": 0.1, \"t_s\": [0.0, 0.1, 0.3],"
	" \"host_bytes\": {\"libc\": [10, 20, 5], \"jemalloc\": [0, 1, 2]},"
	" \"host_peak_bytes\": [10, 25, 20], \"gpu_bytes\": {\"device\": [0, 4096, 0]},"
	" \"gpu_peak_bytes\": [0, 4096, 4096], \"brk_bytes\": [1, 2, 3],"
	" \"events\": [{\"t_s\": 0.0, \"type\": \"start\", \"by\": \"exec\"},"
	"  {\"t_s\": 0.15, \"type\": \"gc\", \"duration_s\": 0.002, \"generation\": 2},"
	"  {\"t_s\": 0.2, \"type\": \"oom\", \"size\": 99, \"kind\": \"device\","
	"   \"gpu_live_bytes\": 4096},"
	"  {\"t_s\": 0.25, \"type\": \"step\"}, {\"t_s\": 0.31, \"type\": \"end\", \"by\": \"exit\"}],"
	" \"events_omitted\": {\"gc\": 3, \"step\": 1}}";

static const char resources_json[] =
	"[{\"tid\": 8, \"resources\": {"
	" \"cpu\": {\"user_ns\": 1, \"system_ns\": 2, \"on_cpu_ns\": 3, \"runqueue_ns\": 4},"
	" \"memory\": {\"minor_faults\": 5, \"major_faults\": 6, \"fault_ns\": 7},"
	" \"io\": {\"read_bytes\": 8, \"write_bytes\": 9, \"blocked_ns\": 10},"
	" \"network\": {\"tx_bytes\": 11, \"rx_bytes\": 12, \"tcp_sockets\": null},"
	" \"gpu\": {\"h2d_bytes\": 13, \"d2h_bytes\": 14, \"d2d_bytes\": 15,"
	"  \"other_bytes\": 16, \"sync_ns\": 17},"
	" \"wall\": {\"wall_ns\": 18},"
	" \"bottleneck\": {\"verdict\": \"network\", \"share\": 0.75}}},"
	" {\"tid\": 9, \"resources\": null}]";

static json_t *timeline_doc(void)
{
	json_error_t jerr;
	json_t *tl = json_loads(timeline_json, 0, &jerr);

	if (!tl)
		print_error("timeline_json:%d:%d: %s\n", jerr.line, jerr.column, jerr.text);
	assert_non_null(tl);
	return tl;
}

/* processes[].timeline and .threads, every field; series that disagree with t_s refused */
static void test_timeline_and_threads(void **state)
{
	struct world *w = *state;
	json_t *doc = with("processes[0]", "timeline", timeline_doc());
	const struct snap_timeline *t;
	const struct snap_process *p;

	assert_int_equal(json_object_set_new(at(doc, "processes[0]"), "threads",
					     json_pack("[{s:i, s:s, s:b, s:i, s:i}, {s:i}]", "tid",
						       8, "comm", "worker", "exited", 1,
						       "current_bytes", 30, "allocs", 4, "tid", 9)),
			 0);
	assert_int_equal(parse_doc(w, doc), 0);
	p = &w->snap.procs[0];
	t = &p->timeline;
	assert_true(t->present);
	assert_true(t->resolution_s == 0.1);
	assert_int_equal(t->nr_points, 3);
	assert_true(t->t_s[0] == 0.0 && t->t_s[1] == 0.1 && t->t_s[2] == 0.3);
	assert_int_equal(t->nr_host, 2);
	assert_string_equal(t->host[0].name, "libc");
	assert_int_equal(t->host[0].v[1], 20);
	assert_int_equal(t->host[0].v[2], 5);
	assert_string_equal(t->host[1].name, "jemalloc");
	assert_int_equal(t->host[1].v[2], 2);
	assert_int_equal(t->host_peak[1], 25);
	assert_int_equal(t->nr_gpu, 1);
	assert_string_equal(t->gpu[0].name, "device");
	assert_int_equal(t->gpu[0].v[1], 4096);
	assert_int_equal(t->gpu_peak[2], 4096);
	assert_null(t->anon);
	assert_int_equal(t->brk[2], 3);
	assert_int_equal(t->nr_events, 5);
	assert_string_equal(t->events[0].type, "start");
	assert_string_equal(t->events[0].by, "exec");
	assert_int_equal(t->events[0].generation, -1);
	assert_string_equal(t->events[1].type, "gc");
	assert_true(t->events[1].duration_s == 0.002);
	assert_int_equal(t->events[1].generation, 2);
	assert_string_equal(t->events[2].kind, "device");
	assert_int_equal(t->events[2].size, 99);
	assert_int_equal(t->events[2].gpu_live_bytes, 4096);
	assert_null(t->events[3].by);
	assert_true(t->events[4].t_s == 0.31);
	assert_int_equal(t->gc_omitted, 3);
	assert_int_equal(t->oom_omitted, 0);
	assert_int_equal(t->step_omitted, 1);
	assert_int_equal(p->nr_threads, 2);
	assert_int_equal(p->threads[0].tid, 8);
	assert_string_equal(p->threads[0].comm, "worker");
	assert_true(p->threads[0].exited);
	assert_int_equal(p->threads[0].c.current_bytes, 30);
	assert_int_equal(p->threads[0].c.allocs, 4);
	assert_string_equal(p->threads[1].comm, "");
	assert_false(p->threads[1].exited);
	assert_false(p->threads[0].res.present);
	assert_false(p->res.present);

	/* a thread's resource profile, the parts the pages show; null is none */
	doc = minimal();
	assert_int_equal(json_object_set_new(at(doc, "processes[0]"), "threads",
					     json_loads(resources_json, 0, NULL)), 0);
	assert_int_equal(json_object_set_new(at(doc, "processes[0]"), "resources", json_null()),
			 0);
	assert_int_equal(parse_doc(w, doc), 0);
	p = &w->snap.procs[0];
	assert_false(p->res.present);
	assert_true(p->threads[0].res.present);
	assert_string_equal(p->threads[0].res.verdict, "network");
	assert_true(p->threads[0].res.share == 0.75);
	assert_int_equal(p->threads[0].res.on_cpu_ns, 3);
	assert_int_equal(p->threads[0].res.runqueue_ns, 4);
	assert_int_equal(p->threads[0].res.minor_faults, 5);
	assert_int_equal(p->threads[0].res.major_faults, 6);
	assert_int_equal(p->threads[0].res.fault_ns, 7);
	assert_int_equal(p->threads[0].res.read_bytes, 8);
	assert_int_equal(p->threads[0].res.write_bytes, 9);
	assert_int_equal(p->threads[0].res.blocked_ns, 10);
	assert_int_equal(p->threads[0].res.tx_bytes, 11);
	assert_int_equal(p->threads[0].res.rx_bytes, 12);
	assert_int_equal(p->threads[0].res.gpu_bytes, 13 + 14 + 15 + 16);
	assert_int_equal(p->threads[0].res.gpu_sync_ns, 17);
	assert_int_equal(p->threads[0].res.wall_ns, 18);
	assert_false(p->threads[1].res.present);
	doc = minimal();
	assert_int_equal(json_object_set_new(at(doc, "processes[0]"), "threads",
					     json_pack("[{s:i, s:{s:{s:s}}}]", "tid", 1, "resources",
						       "io", "read_bytes", "x")), 0);
	assert_int_equal(parse_doc(w, doc), -EINVAL);
	assert_path(w, "processes[0].threads[0].resources.io.read_bytes",
		    "expected a non-negative integer");

	doc = with("processes[0]", "timeline", timeline_doc());
	json_array_remove(json_object_get(json_object_get(json_object_get(
				  at(doc, "processes[0]"), "timeline"), "host_bytes"), "libc"), 0);
	assert_int_equal(parse_doc(w, doc), -EINVAL);
	assert_path(w, "processes[0].timeline.host_bytes.libc", "2 values for 3 points of t_s");

	doc = with("processes[0]", "timeline", timeline_doc());
	json_array_set_new(json_object_get(json_object_get(at(doc, "processes[0]"), "timeline"),
					   "t_s"), 2, json_real(0.05));
	assert_int_equal(parse_doc(w, doc), -EINVAL);
	assert_path(w, "processes[0].timeline.t_s[2]", "earlier than the point before");

	doc = with("processes[0]", "timeline", timeline_doc());
	json_array_set_new(json_object_get(json_object_get(at(doc, "processes[0]"), "timeline"),
					   "brk_bytes"), 1, json_integer(-2));
	assert_int_equal(parse_doc(w, doc), -EINVAL);
	assert_path(w, "processes[0].timeline.brk_bytes[1]",
		    "expected a non-negative integer, found -2");

	assert_int_equal(parse_doc(w, with("processes[0]", "timeline", json_integer(1))),
			 -EINVAL);
	assert_path(w, "processes[0].timeline", "expected an object, found 1");
	assert_int_equal(parse_doc(w, with("processes[0]", "threads",
					   json_pack("[{s:s}]", "tid", "x"))), -EINVAL);
	assert_path(w, "processes[0].threads[0].tid", "expected an integer from 0 to 4294967295");
}

static void call_free(struct tracker *t, uint32_t pid, uint32_t tid, uint64_t ts, uint64_t addr)
{
	unit__call(t, &(struct unit_call){ .func = MT_FN_FREE, .pid = pid, .tid = tid,
					   .ts_ns = ts, .duration_ns = 100, .addr = addr });
}

static void call_on(struct tracker *t, uint32_t pid, uint32_t tid, uint64_t ts, uint64_t stack_id,
		    uint64_t addr, uint64_t size)
{
	unit__call(t, &(struct unit_call){ .func = MT_FN_MALLOC, .pid = pid, .tid = tid,
					   .ts_ns = ts, .duration_ns = 100, .stack_id = stack_id,
					   .addr = addr, .size = size });
}

/*
 * Per-site totals since tracing began, written and read back: S1 allocated
 * 100 + 200 bytes on the main thread and freed the 100 (a leak with its
 * totals and thread); S2 allocated 64 bytes on two threads and freed both,
 * and "no stack" 10 bytes, freed: freed sites, largest allocated first; the
 * modules of the frames with their build ids.
 */
static void test_site_totals(void **state)
{
	static const struct leaks_opts all_live = { .now_ns = 10 * NS };
	struct world *w = *state;
	struct snapshot *s = &w->snap;
	uint32_t me = (uint32_t)getpid();
	uint64_t named[2] = {
		(uint64_t)(uintptr_t)marker_leaf + 1,
		(uint64_t)(uintptr_t)marker_caller + 2,
	};
	struct elf_file *ef = NULL;
	const struct snap_leak *l;
	bool found = false;
	volatile int x = 1;

	assert_int_equal(marker_caller(&x), 6);
	assert_int_equal(tracker__init(&w->t), 0);
	w->s.tracker = &w->t;
	assert_non_null(tracker__add_process(&w->t, me));
	unit__stack(&w->t, me, S1, 2, named);
	unit__stack(&w->t, me, S2, 1, named + 1);
	call_on(&w->t, me, me, 1 * NS, S1, 0x1000, 100);
	call_on(&w->t, me, me, 2 * NS, S1, 0x2000, 200);
	call_free(&w->t, me, me, 3 * NS, 0x1000);
	call_on(&w->t, me, me, 4 * NS, S2, 0x3000, 64);
	call_free(&w->t, me, me, 5 * NS, 0x3000);
	call_on(&w->t, me, me + 1, 6 * NS, S2, 0x3000, 64);
	call_free(&w->t, me, me, 7 * NS, 0x3000);
	call_on(&w->t, me, me, 8 * NS, MT_NO_STACK, 0x5000, 10);
	call_free(&w->t, me, me, 9 * NS, 0x5000);
	w->s.sym = symbolizer__new();
	assert_non_null(w->s.sym);
	assert_int_equal(leaks__collect(&w->t, &all_live, &w->s.leaks), 0);
	assert_int_equal(leaks__collect_freed(&w->t, &all_live, &w->s.leaks, &w->s.freed), 0);
	w->s.now_ns = 10 * NS;
	w->s.stack_mode = MT_STACK_FP;
	write_run(w);
	assert_int_equal(parse_text(w, w->text, w->len), 0);

	assert_int_equal(s->nr_leaks, 1);
	l = &s->leaks[0];
	assert_true(l->has_totals);
	assert_int_equal(l->bytes, 200);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->allocs, 2);
	assert_int_equal(l->allocated_bytes, 300);
	assert_int_equal(l->frees, 1);
	assert_int_equal(l->freed_bytes, 100);
	assert_true(l->has_tid);
	assert_int_equal(l->tid, me);
	assert_non_null(l->thread_comm);

	assert_int_equal(s->nr_freed_sites, 2);
	l = &s->freed_sites[0];
	assert_int_equal(l->bytes, 0);
	assert_int_equal(l->count, 0);
	assert_int_equal(l->allocs, 2);
	assert_int_equal(l->allocated_bytes, 128);
	assert_int_equal(l->frees, 2);
	assert_int_equal(l->freed_bytes, 128);
	/* two threads allocated there: no one thread */
	assert_false(l->has_tid);
	assert_null(l->thread_comm);
	assert_int_equal(l->nr_frames, 1);
	assert_string_equal(l->frames[0].symbol, "marker_caller");
	assert_int_equal(l->process, 0);
	l = &s->freed_sites[1];
	assert_int_equal(l->allocs, 1);
	assert_int_equal(l->allocated_bytes, 10);
	assert_int_equal(l->nr_frames, 0);
	assert_true(l->has_tid);

	/* the frames' module, this test, with its own build id */
	assert_true(s->nr_modules >= 1);
	for (size_t i = 0; i < s->nr_modules; i++) {
		if (strcmp(s->modules[i].path, s->leaks[0].frames[0].module))
			continue;
		found = true;
		assert_int_equal(elf_file__open(s->modules[i].path, &ef), 0);
		assert_non_null(elf_file__build_id(ef));
		assert_non_null(s->modules[i].build_id);
		assert_string_equal(s->modules[i].build_id, elf_file__build_id(ef));
		elf_file__free(ef);
	}
	assert_true(found);
}

/* A snapshot written before sites had totals: none, and still read. */
static void test_totals_absent(void **state)
{
	struct world *w = *state;

	assert_int_equal(parse_doc(w, minimal()), 0);
	assert_int_equal(w->snap.nr_leaks, 1);
	assert_false(w->snap.leaks[0].has_totals);
	assert_int_equal(w->snap.leaks[0].allocs, 0);
	assert_int_equal(w->snap.leaks[0].allocated_bytes, 0);
	assert_false(w->snap.leaks[0].has_tid);
	assert_null(w->snap.leaks[0].thread_comm);
	assert_int_equal(w->snap.nr_freed_sites, 0);
	assert_null(w->snap.freed_sites);
	assert_int_equal(w->snap.nr_modules, 0);
	/* damage in the new fields is named by its path */
	assert_int_equal(parse_doc(w, with("", "freed_sites",
					   json_pack("[{s:s}]", "allocs", "many"))), -EINVAL);
	assert_non_null(strstr(w->err, "freed_sites[0].allocs"));
	assert_int_equal(parse_doc(w, with("", "modules", json_pack("[{s:n}]", "build_id"))),
			 -EINVAL);
	assert_non_null(strstr(w->err, "modules[0]"));
	assert_non_null(strstr(w->err, "path"));
	assert_int_equal(parse_doc(w, with("leaks[0]", "tid", json_string("x"))), -EINVAL);
	assert_non_null(strstr(w->err, "leaks[0].tid"));
}

/* snapshot_details.c: the run's start, command and GPU kinds, each leak's ages */
static void test_details(void **state)
{
	struct world *w = *state;
	json_t *doc = minimal(), *leak = at(doc, "leaks[0]");
	const struct snap_leak_detail *d;

	/* none of them in the minimal snapshot: the defaults */
	assert_int_equal(parse_doc(w, minimal()), 0);
	assert_null(w->snap.started_at);
	assert_int_equal(w->snap.nr_command, 0);
	assert_int_equal(w->snap.nr_gpu_kinds, 0);
	assert_int_equal(w->snap.gpu_oom_events, 0);
	assert_non_null(w->snap.leak_details);
	assert_false(w->snap.leak_details[0].has_first_seen);
	assert_false(w->snap.leak_details[0].has_oldest_age);
	assert_false(w->snap.leak_details[0].has_growth_per_step);
	assert_int_equal(w->snap.leak_details[0].nr_lifetimes, 0);

	json_object_set_new(doc, "started_at", json_string("2026-12-06T10:00:00.000Z"));
	json_object_set_new(doc, "command", json_pack("[s, s]", "./train", "--fast"));
	json_object_set_new(doc, "gpu", json_pack("{s:i, s:{s:{s:i, s:i}, s:{s:i}}}", "oom_events",
						  3, "kinds", "device", "current_bytes", 4096,
						  "peak_bytes", 8192, "pinned", "allocs", 2));
	json_object_set_new(leak, "first_seen_s", json_real(0.25));
	json_object_set_new(leak, "oldest_age_s", json_real(1.5));
	json_object_set_new(leak, "growth_bytes_per_step", json_real(1000.0));
	json_object_set_new(leak, "lifetimes",
			    json_pack("[{s:i, s:i, s:i}, {s:I, s:i}]", "le_ns", 1000, "freed", 5,
				      "live", 0, "le_ns", (json_int_t)10000000000, "live", 2));
	assert_int_equal(parse_doc(w, doc), 0);
	assert_string_equal(w->snap.started_at, "2026-12-06T10:00:00.000Z");
	assert_int_equal(w->snap.nr_command, 2);
	assert_string_equal(w->snap.command[1], "--fast");
	assert_int_equal(w->snap.gpu_oom_events, 3);
	assert_int_equal(w->snap.nr_gpu_kinds, 2);
	assert_string_equal(w->snap.gpu_kinds[0].name, "device");
	assert_int_equal(w->snap.gpu_kinds[0].c.current_bytes, 4096);
	assert_int_equal(w->snap.gpu_kinds[0].c.peak_bytes, 8192);
	assert_string_equal(w->snap.gpu_kinds[1].name, "pinned");
	assert_int_equal(w->snap.gpu_kinds[1].c.allocs, 2);
	d = &w->snap.leak_details[0];
	assert_true(d->has_first_seen && d->first_seen_s == 0.25);
	assert_true(d->has_oldest_age && d->oldest_age_s == 1.5);
	assert_true(d->has_growth_per_step && d->growth_bytes_per_step == 1000.0);
	assert_int_equal(d->nr_lifetimes, 2);
	assert_int_equal(d->lifetimes[0].le_ns, 1000);
	assert_int_equal(d->lifetimes[0].freed, 5);
	assert_int_equal(d->lifetimes[1].le_ns, 10000000000ULL);
	assert_int_equal(d->lifetimes[1].freed, 0);
	assert_int_equal(d->lifetimes[1].live, 2);

	/* wrong types are named by their path */
	assert_int_equal(parse_doc(w, with("", "command", json_pack("[i]", 1))), -EINVAL);
	assert_path(w, "command[0]", "expected a string, found 1");
	assert_int_equal(parse_doc(w, with("leaks[0]", "lifetimes", json_pack("[{s:s}]", "le_ns",
									   "x"))), -EINVAL);
	assert_path(w, "leaks[0].lifetimes[0].le_ns", "expected a non-negative integer");
	assert_int_equal(parse_doc(w, with("", "gpu", json_pack("{s:{s:i}}", "kinds", "device",
								 1))), -EINVAL);
	assert_path(w, "gpu.kinds.device", "expected an object, found 1");
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_round_trip),
		TEST(test_load),
		TEST(test_minimal_fields),
		TEST(test_truncated_everywhere),
		TEST(test_truncated_says_so),
		TEST(test_required_fields),
		TEST(test_totals_counters),
		TEST(test_optional_field_types),
		TEST(test_elements_not_objects),
		TEST(test_huge_numbers),
		TEST(test_deep_nesting),
		TEST(test_invalid_utf8),
		TEST(test_other_damage),
		TEST(test_schema_versions),
		TEST(test_minor_versions),
		TEST(test_optional_defaults),
		TEST(test_leak_processes),
		TEST(test_linkage_names),
		TEST(test_frame_kind),
		TEST(test_files),
		TEST(test_max_input_file),
		TEST(test_max_input_pipe),
		TEST(test_leak_sums),
		TEST(test_short_error_buffer),
		TEST(test_timeline_and_threads),
		TEST(test_site_totals),
		TEST(test_totals_absent),
		TEST(test_details),
	};

	return cmocka_run_group_tests_name("unit: snapshot reader", tests, NULL, NULL);
}
