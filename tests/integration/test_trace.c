// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --trace (Chrome Trace Event JSON for Perfetto) of real runs, parsed back
 * and held against the -o snapshot of the same run: every counter event is
 * a timeline point's value, exactly, at its time; every event of the
 * timeline is an instant (a slice, for a collection) with its fields; the
 * processes and threads carry their names. tests/progs/timeline_steps.c
 * gives the known rise and fall (10, 20, then 5 MiB), train_steps the steps
 * (--step-probe), python3.11's gc.collect() the collections, gpu_hip (the
 * HIP test double) an OOM event, hostile_comm a name with an escape and a
 * newline. memtrace report --format trace on the saved snapshot writes the
 * very same bytes.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define MIB (1024 * 1024ULL)
#define PYTHON "/usr/bin/python3.11"
#define COLLECTS 7

static char tmpdir[] = "/tmp/memtrace-trace-XXXXXX";

static void path_of(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", tmpdir, name);
}

static json_t *load(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		fail_msg("%s: not JSON: %d:%d: %s", path, e.line, e.column, e.text);
	return j;
}

/* The trace's microseconds for a snapshot's seconds (not negative), rounded to the ns. */
static double micros(double s)
{
	return (double)(long long)(s * 1e9 + 0.5) / 1e3;
}

static void assert_ts(const json_t *ev, double t_s)
{
	double ts = json_number_value(json_object_get(ev, "ts"));
	double want = micros(t_s);

	if (!json_is_number(json_object_get(ev, "ts")) || fabs(ts - want) > 1e-6)
		fail_msg("ts %.3f, want %.3f (t_s %.9f)", ts, want, t_s);
}

static bool is(const json_t *ev, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(ev, key));

	return s && !strcmp(s, want);
}

static uint64_t pid_of(const json_t *ev)
{
	return (uint64_t)json_integer_value(json_object_get(ev, "pid"));
}

/* The "M" event kind (process_name, thread_name) of trace pid named name; NULL when none. */
static const json_t *name_event(const json_t *events, const char *kind, uint64_t pid,
				const char *name)
{
	const json_t *ev;
	size_t i;

	json_array_foreach(events, i, ev)
		if (is(ev, "ph", "M") && is(ev, "name", kind) && pid_of(ev) == pid &&
		    is(json_object_get(ev, "args"), "name", name))
			return ev;
	return NULL;
}

/* Process pid (trace pid tpid) and each of its threads named "comm (id)", then label. */
static void check_names(const json_t *events, const json_t *proc, uint64_t tpid,
			const char *label)
{
	uint64_t pid = harness__u64(proc, "pid");
	const json_t *t, *ev;
	char name[512];
	size_t i;

	snprintf(name, sizeof(name), "%s (%llu)%s%s", harness__str(proc, "comm"),
		 (unsigned long long)pid, label ? " " : "", label ? label : "");
	if (!name_event(events, "process_name", tpid, name))
		fail_msg("no process_name \"%s\" for trace pid %llu", name,
			 (unsigned long long)tpid);
	json_array_foreach(json_object_get(proc, "threads"), i, t) {
		uint64_t tid = harness__u64(t, "tid");

		snprintf(name, sizeof(name), "%s (%llu)", harness__str(t, "comm"),
			 (unsigned long long)tid);
		ev = name_event(events, "thread_name", tpid, name);
		if (!ev)
			fail_msg("no thread_name \"%s\" in trace pid %llu", name,
				 (unsigned long long)tpid);
		if (tid == pid)
			assert_int_equal(json_integer_value(json_object_get(ev, "tid")), tpid);
	}
}

/*
 * Counter name/key of trace pid: one event per point, in time order, each
 * at its point's time with exactly the snapshot's value. The count of them.
 */
static size_t check_track(const json_t *events, uint64_t tpid, const char *name,
			  const char *key, const json_t *t_s, const json_t *values)
{
	size_t i, n = 0;
	const json_t *ev, *v;
	double last = -1;

	assert_non_null(values);
	json_array_foreach(events, i, ev) {
		if (!is(ev, "ph", "C") || pid_of(ev) != tpid || !is(ev, "name", name))
			continue;
		v = json_object_get(json_object_get(ev, "args"), key);
		if (!json_is_integer(v))
			fail_msg("%s %s: no integer at event %zu", name, key, i);
		assert_true(json_number_value(json_object_get(ev, "ts")) >= last);
		last = json_number_value(json_object_get(ev, "ts"));
		assert_true(n < json_array_size(values));
		assert_ts(ev, json_number_value(json_array_get(t_s, n)));
		if (json_integer_value(v) != json_integer_value(json_array_get(values, n)))
			fail_msg("%s %s point %zu: %lld in the trace, %lld in the snapshot", name,
				 key, n, (long long)json_integer_value(v),
				 (long long)json_integer_value(json_array_get(values, n)));
		n++;
	}
	assert_int_equal(n, json_array_size(values));
	return n;
}

/* Every series of tl, and no other counter event of trace pid. */
static void check_counters(const json_t *events, const json_t *tl, uint64_t tpid)
{
	const json_t *ts = json_object_get(tl, "t_s"), *v, *ev;
	size_t names = 0, seen = 0, i;
	const char *key;

	json_object_foreach(json_object_get(tl, "host_bytes"), key, v)
		check_track(events, tpid, "host live bytes", key, ts, v);
	names += json_object_size(json_object_get(tl, "host_bytes")) > 0;
	check_track(events, tpid, "host peak", "bytes", ts, json_object_get(tl, "host_peak_bytes"));
	names++;
	json_object_foreach(json_object_get(tl, "gpu_bytes"), key, v)
		check_track(events, tpid, "gpu live bytes", key, ts, v);
	names += json_object_size(json_object_get(tl, "gpu_bytes")) > 0;
	if (json_object_get(tl, "gpu_peak_bytes")) {
		check_track(events, tpid, "gpu peak", "bytes", ts,
			    json_object_get(tl, "gpu_peak_bytes"));
		names++;
	}
	if (json_object_get(tl, "anon_bytes")) {
		check_track(events, tpid, "mapped bytes", "anon", ts,
			    json_object_get(tl, "anon_bytes"));
		check_track(events, tpid, "mapped bytes", "brk", ts,
			    json_object_get(tl, "brk_bytes"));
		names++;
	}
	json_array_foreach(events, i, ev)
		seen += is(ev, "ph", "C") && pid_of(ev) == tpid;
	assert_int_equal(seen, names * json_array_size(ts));
}

/* The tid of trace pid's thread named "gc"; 0 when none. */
static uint64_t gc_tid(const json_t *events, uint64_t tpid)
{
	const json_t *ev = name_event(events, "thread_name", tpid, "gc");

	return ev ? (uint64_t)json_integer_value(json_object_get(ev, "tid")) : 0;
}

static void check_event(const json_t *ev, const json_t *want, uint64_t tpid, uint64_t gc)
{
	const json_t *args = json_object_get(ev, "args");
	const char *type = harness__str(want, "type");

	assert_true(is(ev, "name", type));
	assert_ts(ev, json_number_value(json_object_get(want, "t_s")));
	if (json_object_get(want, "by"))
		assert_string_equal(harness__str(args, "by"), harness__str(want, "by"));
	if (!strcmp(type, "gc")) {
		assert_true(is(ev, "ph", "X"));
		assert_int_equal(json_integer_value(json_object_get(ev, "tid")), gc);
		assert_true(fabs(json_number_value(json_object_get(ev, "dur")) -
				 micros(json_number_value(json_object_get(want, "duration_s")))) <
		    1e-6);
		assert_int_equal(harness__u64(args, "generation"),
				 harness__u64(want, "generation"));
		return;
	}
	assert_true(is(ev, "ph", "i") && is(ev, "s", "p"));
	assert_int_equal(json_integer_value(json_object_get(ev, "tid")), tpid);
	if (!strcmp(type, "oom")) {
		assert_int_equal(harness__u64(args, "size"), harness__u64(want, "size"));
		assert_string_equal(harness__str(args, "kind"), harness__str(want, "kind"));
		assert_int_equal(harness__u64(args, "gpu_live_bytes"),
				 harness__u64(want, "gpu_live_bytes"));
	}
}

/* The instants and slices of trace pid are the timeline's events, one for one, in order. */
static void check_events(const json_t *events, const json_t *tl, uint64_t tpid)
{
	const json_t *want = json_object_get(tl, "events"), *ev;
	uint64_t gc = gc_tid(events, tpid);
	size_t n = 0, i;

	json_array_foreach(events, i, ev) {
		if (pid_of(ev) != tpid || !(is(ev, "ph", "i") || is(ev, "ph", "X")))
			continue;
		assert_true(n < json_array_size(want));
		check_event(ev, json_array_get(want, n), tpid, gc);
		n++;
	}
	assert_int_equal(n, json_array_size(want));
}

/* The whole trace against the snapshots it was made of: trace pids 1, 2, ... in order. */
static void check_trace(const json_t *trace, const json_t *const *snaps, size_t nr,
			const char *const *labels)
{
	const json_t *events = json_object_get(trace, "traceEvents"), *proc;
	uint64_t tpid = 0;
	size_t i;

	assert_true(json_is_array(events));
	assert_true(is(trace, "displayTimeUnit", "ms"));
	for (size_t s = 0; s < nr; s++) {
		json_array_foreach(json_object_get(snaps[s], "processes"), i, proc) {
			const json_t *tl = json_object_get(proc, "timeline");

			tpid++;
			check_names(events, proc, tpid, labels ? labels[s] : NULL);
			assert_non_null(tl);
			check_counters(events, tl, tpid);
			check_events(events, tl, tpid);
		}
	}
}

/* The values of counter name/key of trace pid 1, in order, into v (at most max). */
static size_t track_values(const json_t *trace, const char *name, const char *key, uint64_t *v,
			   size_t max)
{
	const json_t *ev;
	size_t i, n = 0;

	json_array_foreach(json_object_get(trace, "traceEvents"), i, ev)
		if (is(ev, "ph", "C") && pid_of(ev) == 1 && is(ev, "name", name) && n < max)
			v[n++] = (uint64_t)json_integer_value(
				json_object_get(json_object_get(ev, "args"), key));
	return n;
}

/* Instants of trace pid 1 named name (with args.by when by is given). */
static size_t count_events(const json_t *trace, const char *ph, const char *name,
			   const char *by)
{
	const json_t *ev;
	size_t i, n = 0;

	json_array_foreach(json_object_get(trace, "traceEvents"), i, ev)
		n += is(ev, "ph", ph) && pid_of(ev) == 1 && is(ev, "name", name) &&
		     (!by || is(json_object_get(ev, "args"), "by", by));
	return n;
}

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

static void assert_same_bytes(const char *a, const char *b)
{
	size_t la, lb;
	char *x = read_whole(a, &la), *y = read_whole(b, &lb);

	if (la != lb || memcmp(x, y, la))
		fail_msg("%s (%zu bytes) and %s (%zu bytes) differ", a, la, b, lb);
	free(x);
	free(y);
}

/* memtrace with args (then NULL); fails the test unless it exits 0. */
static void run_ok(const char *const *args)
{
	struct mt_run r;

	harness__run(&r, args);
	if (r.status != 0)
		fail_msg("memtrace %s failed (status %d):\n%s", args[0], r.status, r.err);
	harness__release(&r);
}

/* memtrace report SNAP.json --format trace -o OUT writes what --trace wrote. */
static void assert_report_same(const char *snap, const char *trace)
{
	char out[PATH_MAX];

	path_of(out, "report.trace.json");
	run_ok((const char *const[]){ "report", snap, "--format", "trace", "-o", out, NULL });
	assert_same_bytes(trace, out);
	unlink(out);
}

/* Traces argv (after "--") with -o SNAP and --trace TRACE (and opts before them). */
static void trace_run(const char *const *opts, size_t nr_opts, const char *const *cmd,
		      size_t nr_cmd, json_t **snap, json_t **trace)
{
	const char *args[32];
	char snap_path[PATH_MAX], trace_path[PATH_MAX];
	size_t n = 0;

	path_of(snap_path, "run.json");
	path_of(trace_path, "run.trace.json");
	for (size_t i = 0; i < nr_opts; i++)
		args[n++] = opts[i];
	args[n++] = "-o";
	args[n++] = snap_path;
	args[n++] = "--trace";
	args[n++] = trace_path;
	args[n++] = "--";
	for (size_t i = 0; i < nr_cmd; i++)
		args[n++] = cmd[i];
	args[n] = NULL;
	run_ok(args);
	*snap = load(snap_path);
	*trace = load(trace_path);
	check_trace(*trace, (const json_t *const[]){ *snap }, 1, NULL);
	assert_report_same(snap_path, trace_path);
	unlink(snap_path);
	unlink(trace_path);
}

/* The first index from i on where v holds want; fails when none does. */
static size_t first_at(const uint64_t *v, size_t n, size_t i, uint64_t want)
{
	for (; i < n; i++)
		if (v[i] == want)
			return i;
	fail_msg("no point of %llu bytes", (unsigned long long)want);
	return 0;
}

/*
 * timeline_steps with -o, --pprof, --folded and --trace at once: each
 * file written; the trace is the snapshot's, with the known rise and fall.
 */
static void test_known_timeline(void **state)
{
	char snap[PATH_MAX], tr[PATH_MAX], pb[PATH_MAX], fo[PATH_MAX], phases[PATH_MAX];
	uint64_t libc[4096], peak[4096], max_peak = 0;
	size_t n, i10, i20, i5;
	json_t *s, *t;

	(void)state;
	path_of(snap, "tl.json");
	path_of(tr, "tl.trace.json");
	path_of(pb, "tl.pb.gz");
	path_of(fo, "tl.folded");
	path_of(phases, "phases");
	run_ok((const char *const[]){ "-o", snap, "--pprof", pb, "--folded", fo, "--trace", tr,
				      "--", PROG("timeline_steps"), phases, NULL });
	assert_int_equal(access(pb, R_OK), 0);
	assert_int_equal(access(fo, R_OK), 0);
	s = load(snap);
	t = load(tr);
	check_trace(t, (const json_t *const[]){ s }, 1, NULL);
	assert_string_equal(harness__str(json_object_get(t, "otherData"), "host"),
			    harness__str(s, "host"));

	n = track_values(t, "host live bytes", "libc", libc, 4096);
	i10 = first_at(libc, n, 0, 10 * MIB);
	i20 = first_at(libc, n, i10, 20 * MIB);
	i5 = first_at(libc, n, i20, 5 * MIB);
	for (size_t i = i5; i < n; i++)
		assert_int_equal(libc[i], 5 * MIB);
	assert_int_equal(track_values(t, "host peak", "bytes", peak, 4096), n);
	for (size_t i = 0; i < n; i++)
		max_peak = peak[i] > max_peak ? peak[i] : max_peak;
	assert_int_equal(max_peak, 20 * MIB);
	assert_int_equal(peak[i20], 20 * MIB);
	/* launch mode: CMD is a process memtrace found; it exits */
	assert_int_equal(count_events(t, "i", "start", "seen"), 1);
	assert_int_equal(count_events(t, "i", "end", "exit"), 1);

	assert_report_same(snap, tr);
	json_decref(t);
	json_decref(s);
	unlink(tr);
	unlink(pb);
	unlink(fo);
	unlink(phases);
	/* the snapshot twice: two processes, their names labelled by file and host */
	{
		char label[PATH_MAX + 256];
		const char *labels[2] = { label, label };

		s = load(snap);
		snprintf(label, sizeof(label), "tl.json@%s", harness__str(s, "host"));
		run_ok((const char *const[]){ "report", snap, snap, "--format", "trace", "-o", tr,
					      NULL });
		t = load(tr);
		check_trace(t, (const json_t *const[]){ s, s }, 2, labels);
		json_decref(t);
		json_decref(s);
	}
	unlink(tr);
	unlink(snap);
}

/* train_steps: 20 calls of train_step, 20 step instants. */
static void test_steps(void **state)
{
	json_t *s, *t;

	(void)state;
	trace_run((const char *const[]){ "--step-probe", PROG("train_steps") ":train_step" }, 2,
		  (const char *const[]){ PROG("train_steps") }, 1, &s, &t);
	assert_int_equal(count_events(t, "i", "step", NULL), 20);
	json_decref(s);
	json_decref(t);
}

/* python3.11, collections off but for 7 gc.collect(): 7 generation-2 slices on "gc". */
static void test_gc(void **state)
{
	static const char script[] = "import gc, os\n"
				     "gc.disable()\n"
				     "for i in range(7):\n"
				     "    gc.collect()\n"
				     "os._exit(0)\n";
	const json_t *ev;
	size_t i, gen2 = 0;
	json_t *s, *t;

	(void)state;
	if (access(PYTHON, X_OK)) {
		fprintf(stderr, "test_trace: SKIP test_gc: %s is missing (Debian's python3.11)\n",
			PYTHON);
		skip();
	}
	trace_run(NULL, 0, (const char *const[]){ PYTHON, "-I", "-S", "-c", script }, 5, &s, &t);
	json_array_foreach(json_object_get(t, "traceEvents"), i, ev)
		gen2 += is(ev, "ph", "X") && is(ev, "name", "gc") &&
			json_integer_value(json_object_get(json_object_get(ev, "args"),
							   "generation")) == 2;
	assert_int_equal(gen2, COLLECTS);
	assert_true(gc_tid(json_object_get(t, "traceEvents"), 1) > 1);
	json_decref(s);
	json_decref(t);
}

/* gpu_hip --now: one OOM (hipMalloc of 1 TiB on device memory, 5 MiB live then). */
static void test_oom(void **state)
{
	const json_t *ev, *oom = NULL;
	json_t *s, *t;
	size_t i;

	(void)state;
	trace_run(NULL, 0, (const char *const[]){ PROG("gpu_hip"), "--now" }, 2, &s, &t);
	json_array_foreach(json_object_get(t, "traceEvents"), i, ev) {
		if (is(ev, "name", "oom")) {
			assert_null(oom);
			oom = ev;
		}
	}
	assert_non_null(oom);
	ev = json_object_get(oom, "args");
	assert_int_equal(harness__u64(ev, "size"), 1024 * 1024 * MIB);
	assert_string_equal(harness__str(ev, "kind"), "device");
	assert_int_equal(harness__u64(ev, "gpu_live_bytes"), 5 * MIB);
	json_decref(s);
	json_decref(t);
}

/*
 * hostile_comm -f: a name with an escape and a newline, in a parent and the
 * child it forks; the trace stays JSON and names both with those bytes, as
 * a parser reads them back, the child started by a fork.
 */
static void test_hostile_name(void **state)
{
	const json_t *events;
	json_t *s, *t;
	char name[64];

	(void)state;
	trace_run((const char *const[]){ "-f" }, 1,
		  (const char *const[]){ PROG("hostile_comm"), "4" }, 2, &s, &t);
	events = json_object_get(t, "traceEvents");
	assert_int_equal(json_array_size(json_object_get(s, "processes")), 2);
	for (uint64_t tpid = 1; tpid <= 2; tpid++) {
		snprintf(name, sizeof(name), "ev\x1b[31mil\nx (%llu)",
			 (unsigned long long)harness__u64(
				 json_array_get(json_object_get(s, "processes"), tpid - 1), "pid"));
		assert_non_null(name_event(events, "process_name", tpid, name));
	}
	json_decref(s);
	json_decref(t);
}

/* An unwritable --trace is found before anything is traced: true never runs. */
static void test_unwritable(void **state)
{
	static const char want[] = "memtrace: cannot write trace to /nonexistent/t.json: No such "
				   "file or directory\n";
	struct mt_run r;

	(void)state;
	harness__run(&r, (const char *const[]){ "--trace", "/nonexistent/t.json", "--", "true",
						NULL });
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, want);
	harness__release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_timeline),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_gc),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_hostile_name),
		cmocka_unit_test(test_unwritable),
	};
	int status;

	harness__require_bpf("trace");
	if (!mkdtemp(tmpdir))
		return 1;
	status = cmocka_run_group_tests_name("integration: trace", tests, NULL, NULL);
	rmdir(tmpdir);
	return status;
}
