// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Chrome trace (user/render/trace.c) of hand-made snapshots, read by
 * the snapshot reader as memtrace report reads files: every counter series,
 * every event type (a newer one too), threads, a process without a
 * timeline, a name with control bytes and a quote, and two snapshots whose
 * PIDs collide. The exact bytes out, and the same parsed back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"
#include "render/trace.h"

#define TOTALS                                                                      \
	"\"totals\": {\"current_bytes\": 0, \"peak_bytes\": 0, \"allocs\": 0, \"frees\": 0," \
	" \"reallocs\": 0, \"failed_allocs\": 0, \"allocated_bytes\": 0, \"freed_bytes\": 0," \
	" \"unknown_frees\": 0}"
#define HEAD(host)                                                                 \
	"{\"schema\": \"memtrace.snapshot.v1\", \"host\": \"" host "\", \"duration_s\": 1, " \
	TOTALS ", "

/*
 * PID 10: two points of every series; a thread besides the main one; each
 * event type and one this version does not know. PID 12: a record of an
 * older memtrace, no timeline.
 */
static const char snap_a[] =
	HEAD("h1") "\"processes\": ["
	"{\"pid\": 10, \"comm\": \"app\\u001b[31m\\\"\", \"threads\": ["
	"{\"tid\": 10, \"comm\": \"app\"}, {\"tid\": 11, \"comm\": \"work\\ner\"}],"
	" \"timeline\": {\"resolution_s\": 0.1, \"t_s\": [0, 0.1],"
	" \"host_bytes\": {\"libc\": [100, 50], \"cxx\": [0, 8]}, \"host_peak_bytes\": [100, 158],"
	" \"gpu_bytes\": {\"device\": [0, 4096]}, \"gpu_peak_bytes\": [0, 4096],"
	" \"anon_bytes\": [8192, 8192], \"brk_bytes\": [0, 4096],"
	" \"events\": [{\"t_s\": 0, \"type\": \"start\", \"by\": \"exec\"},"
	" {\"t_s\": 0.05, \"type\": \"gc\", \"duration_s\": 0.0015, \"generation\": 2},"
	" {\"t_s\": 0.06, \"type\": \"step\"},"
	" {\"t_s\": 0.1, \"type\": \"oom\", \"size\": 1099511627776, \"kind\": \"device\","
	" \"gpu_live_bytes\": 4096},"
	" {\"t_s\": 0.12, \"type\": \"future\"},"
	" {\"t_s\": 0.15, \"type\": \"end\", \"by\": \"exit\"}], \"events_omitted\": {}}},"
	"{\"pid\": 12, \"comm\": \"old\"}], \"leaks\": []}";

/* Another host's PID 10, one point of host memory. */
static const char snap_b[] =
	HEAD("h2") "\"processes\": [{\"pid\": 10, \"comm\": \"app\", \"timeline\": {"
	"\"resolution_s\": 0.1, \"t_s\": [0.2], \"host_bytes\": {\"libc\": [7]},"
	" \"host_peak_bytes\": [7], \"events\": []}}], \"leaks\": []}";

#define M_EV(kind, pid, tid, name)                                                          \
	"{\"name\":\"" kind "\",\"ph\":\"M\",\"ts\":0.0,\"pid\":" pid ",\"tid\":" tid        \
	",\"args\":{\"name\":\"" name "\"}}"
#define C_EV(name, ts, pid, args)                                                   \
	"{\"name\":\"" name "\",\"ph\":\"C\",\"ts\":" ts ",\"pid\":" pid ",\"tid\":" pid \
	",\"args\":{" args "}}"
#define I_EV(name, ts, args)                                                        \
	"{\"name\":\"" name "\",\"ph\":\"i\",\"ts\":" ts                          \
	",\"pid\":1,\"tid\":1,\"s\":\"p\",\"args\":{" args "}}"

/* snap_a's process 10 as trace pid 1: its thread 11 gets tid t11, the "gc" thread tgc. */
#define APP(label, t11, tgc)                                                              \
	M_EV("process_name", "1", "1", "app\\u001b[31m\\\" (10)" label) ","                 \
	M_EV("thread_name", "1", "1", "app (10)") ","                                       \
	M_EV("thread_name", "1", t11, "work\\u000aer (11)") ","                             \
	M_EV("thread_name", "1", tgc, "gc") ","                                             \
	C_EV("host live bytes", "0.0", "1", "\"libc\":100,\"cxx\":0") ","                   \
	C_EV("host peak", "0.0", "1", "\"bytes\":100") ","                                  \
	C_EV("gpu live bytes", "0.0", "1", "\"device\":0") ","                              \
	C_EV("gpu peak", "0.0", "1", "\"bytes\":0") ","                                     \
	C_EV("mapped bytes", "0.0", "1", "\"anon\":8192,\"brk\":0") ","                     \
	C_EV("host live bytes", "100000.0", "1", "\"libc\":50,\"cxx\":8") ","               \
	C_EV("host peak", "100000.0", "1", "\"bytes\":158") ","                             \
	C_EV("gpu live bytes", "100000.0", "1", "\"device\":4096") ","                      \
	C_EV("gpu peak", "100000.0", "1", "\"bytes\":4096") ","                             \
	C_EV("mapped bytes", "100000.0", "1", "\"anon\":8192,\"brk\":4096") ","             \
	I_EV("start", "0.0", "\"by\":\"exec\"") ","                                         \
	"{\"name\":\"gc\",\"ph\":\"X\",\"ts\":50000.0,\"pid\":1,\"tid\":" tgc                \
	",\"dur\":1500.0,\"args\":{\"generation\":2}}," I_EV("step", "60000.0", "") ","      \
	I_EV("oom", "100000.0",                                                              \
	     "\"size\":1099511627776,\"kind\":\"device\",\"gpu_live_bytes\":4096") ","     \
	I_EV("future", "120000.0", "") "," I_EV("end", "150000.0", "\"by\":\"exit\"")

static const char want_a[] =
	"{\"displayTimeUnit\":\"ms\",\"otherData\":{\"tool\":\"memtrace\",\"host\":\"h1\"},"
	"\"traceEvents\":[" APP("", "3", "4") "," M_EV("process_name", "2", "2", "old (12)") "]}\n";

/* Both: pids 1, 2, 3 in input order, every name labelled FILE@HOST, threads from 4. */
static const char want_ab[] =
	"{\"displayTimeUnit\":\"ms\",\"otherData\":{\"tool\":\"memtrace\"},"
	"\"traceEvents\":[" APP(" a.json@h1", "4", "5") ","
	M_EV("process_name", "2", "2", "old (12) a.json@h1") ","
	M_EV("process_name", "3", "3", "app (10) b.json@h2") ","
	C_EV("host live bytes", "200000.0", "3", "\"libc\":7") ","
	C_EV("host peak", "200000.0", "3", "\"bytes\":7") "]}\n";

/* A merged snapshot's process keeps the label merge gave it, alone as in company. */
static const char snap_merged[] =
	HEAD("n0") "\"processes\": [{\"pid\": 7, \"comm\": \"rank\", \"source\": \"r1.json@n1\"}],"
	" \"leaks\": []}";

static const char want_merged[] =
	"{\"displayTimeUnit\":\"ms\",\"otherData\":{\"tool\":\"memtrace\",\"host\":\"n0\"},"
	"\"traceEvents\":[" M_EV("process_name", "1", "1", "rank (7) r1.json@n1") "]}\n";

static void load(const char *text, const char *name, struct snapshot *s)
{
	char err[512];

	if (snapshot_reader__parse(text, strlen(text), name, s, err, sizeof(err)))
		fail_msg("%s", err);
}

static char *render(const struct snapshot *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	assert_int_equal(render__write(RENDER_TRACE, FOLDED_BYTES, s, n, m), 0);
	fclose(m);
	return buf;
}

static void test_one_snapshot(void **state)
{
	struct snapshot s = {};
	char *out;

	(void)state;
	load(snap_a, "a.json", &s);
	out = render(&s, 1);
	assert_string_equal(out, want_a);
	free(out);
	snapshot_reader__release(&s);
}

static void test_two_snapshots(void **state)
{
	struct snapshot s[2] = {};
	char *out;

	(void)state;
	load(snap_a, "a.json", &s[0]);
	load(snap_b, "some/dir/b.json", &s[1]);
	out = render(s, 2);
	assert_string_equal(out, want_ab);
	free(out);
	snapshot_reader__release(&s[0]);
	snapshot_reader__release(&s[1]);
}

static void test_merged_source(void **state)
{
	struct snapshot s = {};
	char *out;

	(void)state;
	load(snap_merged, "all.json", &s);
	out = render(&s, 1);
	assert_string_equal(out, want_merged);
	free(out);
	snapshot_reader__release(&s);
}

/* What a JSON parser sees: the control bytes and the quote of the name come back as they were. */
static void test_parses_back(void **state)
{
	struct snapshot s = {};
	json_error_t e;
	json_t *t, *ev;
	char *out;

	(void)state;
	load(snap_a, "a.json", &s);
	out = render(&s, 1);
	t = json_loads(out, 0, &e);
	if (!t)
		fail_msg("not JSON: %d:%d: %s", e.line, e.column, e.text);
	ev = json_array_get(json_object_get(t, "traceEvents"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "args"), "name")),
			    "app\x1b[31m\" (10)");
	ev = json_array_get(json_object_get(t, "traceEvents"), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "args"), "name")),
			    "work\ner (11)");
	json_decref(t);
	free(out);
	snapshot_reader__release(&s);
}

static void test_format_name(void **state)
{
	enum render_format f = RENDER_PPROF;

	(void)state;
	assert_int_equal(render__parse_format("trace", &f), 0);
	assert_int_equal(f, RENDER_TRACE);
	assert_string_equal(render__format_what(RENDER_TRACE), "trace");
	assert_int_equal(render__parse_format("chrome", &f), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_snapshot),
		cmocka_unit_test(test_two_snapshots),
		cmocka_unit_test(test_merged_source),
		cmocka_unit_test(test_parses_back),
		cmocka_unit_test(test_format_name),
	};

	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
