// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace merge on snapshots written by hand: PIDs that collide are
 * renumbered with their leaks, counters summed, sources labelled, and the
 * result reads back as a snapshot.
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

#include "compare/merge.h"
#include "compare/snapshot_reader.h"

#define COUNTERS(cur, peak)                                                                       \
	"\"current_bytes\": " #cur ", \"peak_bytes\": " #peak ", \"allocs\": 3, \"frees\": 1, "   \
	"\"reallocs\": 0, \"failed_allocs\": 0, \"allocated_bytes\": 500, \"freed_bytes\": 100, " \
	"\"unknown_frees\": 1"

/* Rank 0 and rank 1 of a job, on two hosts; both ranks' trainer is PID 100. */
static const char rank0[] =
	"{\"schema\": \"memtrace.snapshot.v1\", \"tool\": {\"name\": \"memtrace\", \"version\": "
	"\"0.1.0\"}, \"started_at\": \"2026-11-22T10:00:01.000Z\", \"host\": \"node1\", "
	"\"duration_s\": 2.5, \"stack_mode\": \"fp\", \"sample_bytes\": 0, \"lost_events\": 2, "
	"\"lost_stacks\": 0, \"drops\": {\"ringbuf_full\": 2, \"call_map_full\": 0}, "
	"\"totals\": {" COUNTERS(400, 900) "}, \"allocators\": [{\"name\": \"libc\", "
	"\"calls\": 4, \"alloc_bytes\": 500, \"live_bytes\": 400, \"live_blocks\": 2}], "
	"\"gpu\": {\"kinds\": {\"device\": {"
	COUNTERS(1000, 2000) "}}, \"oom_events\": 1}, \"mappings\": {\"anon_live_bytes\": 4096, "
	"\"brk_calls\": 2}, \"final\": true, \"interval_s\": null, "
	"\"leak_age_s\": 0, \"processes\": [{\"pid\": 100, \"comm\": \"train\", \"exe\": "
	"\"/a/train\", \"exited\": true, " COUNTERS(400, 900) ", \"threads\": [], "
	"\"mappings\": {\"anon_live_bytes\": 4096, \"brk_calls\": 2}}], "
	"\"leaks_omitted\": {\"sites\": 1, \"bytes\": 10, \"count\": 1}, "
	"\"leaks\": [{\"pid\": 100, \"allocator\": \"libc\", \"bytes\": 300, \"count\": 3, "
	"\"estimated\": true, \"stack\": [{\"ip\": \"0x1\", \"symbol\": \"load\", \"module\": \"/a/train\"}]}, "
	"{\"pid\": 100, \"bytes\": 100, \"count\": 1, \"stack\": []}]}";

static const char rank1[] =
	"{\"schema\": \"memtrace.snapshot.v1\", \"started_at\": \"2026-11-22T10:00:00.500Z\", "
	"\"host\": \"node2\", \"duration_s\": 3.0, \"stack_mode\": \"fp\", \"sample_bytes\": 0, "
	"\"lost_events\": 1, \"lost_stacks\": 4, \"drops\": {\"ringbuf_full\": 1, "
	"\"call_map_full\": 7}, \"totals\": {" COUNTERS(250, 700) "}, \"allocators\": ["
	"{\"name\": \"jemalloc\", \"calls\": 9, \"alloc_bytes\": 90, \"live_bytes\": 9, "
	"\"live_blocks\": 1}, {\"name\": \"libc\", \"calls\": 1, \"alloc_bytes\": 10, "
	"\"live_bytes\": 0, \"live_blocks\": 0}], \"gpu\": {\"kinds\": "
	"{\"device\": {" COUNTERS(24, 100) "}, \"pinned\": {" COUNTERS(5, 6) "}}, "
	"\"oom_events\": 2}, \"mappings\": {\"anon_live_bytes\": 8192, \"brk_calls\": 3}, "
	"\"final\": true, "
	"\"interval_s\": null, \"leak_age_s\": 0, \"processes\": [{\"pid\": 100, \"comm\": "
	"\"train\", \"exe\": \"/a/train\", " COUNTERS(200, 600) "}, {\"pid\": 101, \"comm\": "
	"\"worker\", " COUNTERS(50, 100) "}], "
	"\"leaks_omitted\": {\"sites\": 2, \"bytes\": 20, \"count\": 2}, "
	"\"leaks\": [{\"pid\": 100, \"bytes\": 200, \"count\": 2, \"stack\": []}, "
	"{\"pid\": 101, \"bytes\": 50, \"count\": 5, \"stack\": []}]}";

static json_t *merged;
static char *text;

static int merge_ranks(void **state)
{
	struct merge_input in[] = {
		{ "out/rank0.json", json_loads(rank0, 0, NULL) },
		{ "/ci/out/rank1.json", json_loads(rank1, 0, NULL) },
	};
	size_t len;
	FILE *f = open_memstream(&text, &len);
	int err;

	(void)state;
	if (!in[0].root || !in[1].root || !f)
		return -1;
	err = merge__write(in, 2, f, NULL, 0);
	fclose(f);
	json_decref(in[0].root);
	json_decref(in[1].root);
	merged = err ? NULL : json_loads(text, 0, NULL);
	return merged ? 0 : -1;
}

static int release(void **state)
{
	(void)state;
	json_decref(merged);
	free(text);
	return 0;
}

static json_int_t integer(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static const char *string(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

static void test_header(void **state)
{
	(void)state;
	assert_string_equal(string(merged, "schema"), "memtrace.snapshot.v1");
	assert_string_equal(string(json_object_get(merged, "tool"), "name"), "memtrace");
	/* the earliest start, the longest run, every host */
	assert_string_equal(string(merged, "started_at"), "2026-11-22T10:00:00.500Z");
	assert_true(json_number_value(json_object_get(merged, "duration_s")) == 3.0);
	assert_string_equal(string(merged, "host"), "node1,node2");
	assert_string_equal(string(merged, "stack_mode"), "fp");
	assert_true(json_is_true(json_object_get(merged, "final")));
}

/* The run's figures by allocator: summed by name, in the order first seen. */
static void test_allocator_sums(void **state)
{
	json_t *all = json_object_get(merged, "allocators");
	json_t *libc = json_array_get(all, 0), *je = json_array_get(all, 1);

	(void)state;
	assert_int_equal(json_array_size(all), 2);
	assert_string_equal(string(libc, "name"), "libc");
	assert_int_equal(integer(libc, "calls"), 5);
	assert_int_equal(integer(libc, "alloc_bytes"), 510);
	assert_int_equal(integer(libc, "live_bytes"), 400);
	assert_int_equal(integer(libc, "live_blocks"), 2);
	assert_string_equal(string(je, "name"), "jemalloc");
	assert_int_equal(integer(je, "calls"), 9);
	assert_int_equal(integer(je, "live_blocks"), 1);
}

static void test_sums(void **state)
{
	json_t *totals = json_object_get(merged, "totals");
	json_t *drops = json_object_get(merged, "drops");

	(void)state;
	assert_int_equal(integer(totals, "current_bytes"), 650);
	/* the two peaks added: an upper bound of the job's */
	assert_int_equal(integer(totals, "peak_bytes"), 1600);
	assert_int_equal(integer(totals, "allocs"), 6);
	assert_int_equal(integer(totals, "unknown_frees"), 2);
	assert_int_equal(integer(merged, "lost_events"), 3);
	assert_int_equal(integer(merged, "lost_stacks"), 4);
	assert_int_equal(integer(drops, "ringbuf_full"), 3);
	assert_int_equal(integer(drops, "call_map_full"), 7);
	assert_int_equal(integer(json_object_get(merged, "leaks_omitted"), "sites"), 3);
	assert_int_equal(integer(json_object_get(merged, "leaks_omitted"), "bytes"), 30);
}

/* GPU totals add up per kind, like the host's; OOM events too. */
static void test_gpu_sums(void **state)
{
	json_t *gpu = json_object_get(merged, "gpu");
	json_t *kinds = json_object_get(gpu, "kinds");

	(void)state;
	assert_int_equal(integer(json_object_get(kinds, "device"), "current_bytes"), 1024);
	assert_int_equal(integer(json_object_get(kinds, "device"), "peak_bytes"), 2100);
	assert_int_equal(integer(json_object_get(kinds, "device"), "allocs"), 6);
	assert_int_equal(integer(json_object_get(kinds, "pinned"), "current_bytes"), 5);
	assert_int_equal(integer(json_object_get(kinds, "pinned"), "allocs"), 3);
	assert_int_equal(integer(gpu, "oom_events"), 3);
}

/* Mappings totals add up; a process's own stay with it. */
static void test_mappings_sums(void **state)
{
	json_t *maps = json_object_get(merged, "mappings");
	json_t *first = json_array_get(json_object_get(merged, "processes"), 0);

	(void)state;
	assert_int_equal(integer(maps, "anon_live_bytes"), 12288);
	assert_int_equal(integer(maps, "brk_calls"), 5);
	assert_int_equal(integer(json_object_get(first, "mappings"), "anon_live_bytes"), 4096);
}

/* Rank 1's PID 100 collides with rank 0's: renumbered past every PID, leaks with it. */
static void test_pid_collision(void **state)
{
	json_t *procs = json_object_get(merged, "processes");
	json_t *leaks = json_object_get(merged, "leaks");
	json_t *p0 = json_array_get(procs, 0), *p1 = json_array_get(procs, 1);
	json_t *p2 = json_array_get(procs, 2), *frame;

	(void)state;
	assert_int_equal(json_array_size(procs), 3);
	assert_int_equal(integer(p0, "pid"), 100);
	assert_null(json_object_get(p0, "original_pid"));
	assert_string_equal(string(p0, "source"), "rank0.json@node1");
	assert_int_equal(integer(p1, "pid"), 102);
	assert_int_equal(integer(p1, "original_pid"), 100);
	assert_string_equal(string(p1, "source"), "rank1.json@node2");
	assert_int_equal(integer(p1, "peak_bytes"), 600);
	assert_int_equal(integer(p2, "pid"), 101);
	assert_null(json_object_get(p2, "original_pid"));
	/* everything else in a process is kept */
	assert_true(json_is_array(json_object_get(p0, "threads")));
	assert_true(json_is_true(json_object_get(p0, "exited")));
	/* leaks: largest first, each with its process's new PID */
	assert_int_equal(json_array_size(leaks), 4);
	assert_int_equal(integer(json_array_get(leaks, 0), "pid"), 100);
	assert_int_equal(integer(json_array_get(leaks, 0), "bytes"), 300);
	frame = json_array_get(json_object_get(json_array_get(leaks, 0), "stack"), 0);
	assert_string_equal(string(frame, "symbol"), "load");
	/* a --sample-bytes estimate stays one; a site without the key gets none */
	assert_true(json_is_true(json_object_get(json_array_get(leaks, 0), "estimated")));
	assert_null(json_object_get(json_array_get(leaks, 1), "estimated"));
	assert_int_equal(integer(json_array_get(leaks, 1), "pid"), 102);
	assert_int_equal(integer(json_array_get(leaks, 1), "bytes"), 200);
	assert_int_equal(integer(json_array_get(leaks, 2), "pid"), 100);
	assert_int_equal(integer(json_array_get(leaks, 3), "pid"), 101);
}

/*
 * freed_sites are carried through as leaks are, largest allocated first,
 * PIDs renumbered with their processes; what --max-sites left out is
 * summed; modules are listed once each. Inputs without them (rank0 and
 * rank1 above) give a merge without them.
 */
static void test_freed_sites(void **state)
{
	struct merge_input in[] = {
		{ "rank0.json", json_loads(rank0, 0, NULL) },
		{ "rank1.json", json_loads(rank1, 0, NULL) },
	};
	json_t *out, *freed, *omitted, *mods;
	struct snapshot snap;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_null(json_object_get(merged, "freed_sites"));
	assert_null(json_object_get(merged, "modules"));
	assert_non_null(in[0].root);
	assert_non_null(in[1].root);
	assert_non_null(f);
	assert_int_equal(json_object_set_new(in[0].root, "freed_sites", json_pack(
		"[{s:i, s:i, s:i, s:i, s:i, s:[]}]", "pid", 100, "bytes", 0, "count", 0, "allocs",
		5, "allocated_bytes", 50, "stack")), 0);
	assert_int_equal(json_object_set_new(in[0].root, "freed_sites_omitted", json_pack(
		"{s:i, s:i, s:i}", "sites", 1, "allocated_bytes", 7, "allocs", 1)), 0);
	assert_int_equal(json_object_set_new(in[0].root, "modules", json_pack(
		"[{s:s, s:s}]", "path", "/a/train", "build_id", "aa")), 0);
	assert_int_equal(json_object_set_new(in[1].root, "freed_sites", json_pack(
		"[{s:i, s:i, s:i, s:i, s:i, s:[]}]", "pid", 100, "bytes", 0, "count", 0, "allocs",
		9, "allocated_bytes", 900, "stack")), 0);
	assert_int_equal(json_object_set_new(in[1].root, "freed_sites_omitted", json_pack(
		"{s:i, s:i, s:i}", "sites", 2, "allocated_bytes", 3, "allocs", 4)), 0);
	assert_int_equal(json_object_set_new(in[1].root, "modules", json_pack(
		"[{s:s, s:s}, {s:s, s:n}]", "path", "/a/train", "build_id", "aa", "path",
		"/lib/libc.so.6", "build_id")), 0);
	assert_int_equal(merge__write(in, 2, f, NULL, 0), 0);
	assert_int_equal(fclose(f), 0);
	out = json_loads(buf, 0, NULL);
	assert_non_null(out);
	freed = json_object_get(out, "freed_sites");
	assert_int_equal(json_array_size(freed), 2);
	assert_int_equal(integer(json_array_get(freed, 0), "allocated_bytes"), 900);
	/* rank1's PID 100 is 102 in the merge (test_pid_collision) */
	assert_int_equal(integer(json_array_get(freed, 0), "pid"), 102);
	assert_int_equal(integer(json_array_get(freed, 1), "allocated_bytes"), 50);
	assert_int_equal(integer(json_array_get(freed, 1), "pid"), 100);
	omitted = json_object_get(out, "freed_sites_omitted");
	assert_int_equal(integer(omitted, "sites"), 3);
	assert_int_equal(integer(omitted, "allocated_bytes"), 10);
	assert_int_equal(integer(omitted, "allocs"), 5);
	mods = json_object_get(out, "modules");
	assert_int_equal(json_array_size(mods), 2);
	assert_string_equal(string(json_array_get(mods, 0), "path"), "/a/train");
	assert_string_equal(string(json_array_get(mods, 1), "path"), "/lib/libc.so.6");
	/* and the reader takes it */
	if (snapshot_reader__parse(buf, len, "merged.json", &snap, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(snap.nr_freed_sites, 2);
	assert_int_equal(snap.freed_sites[0].allocs, 9);
	assert_int_equal(snap.nr_modules, 2);
	assert_null(snap.modules[1].build_id);
	snapshot_reader__release(&snap);
	json_decref(out);
	json_decref(in[0].root);
	json_decref(in[1].root);
	free(buf);
}

static void test_merged_from(void **state)
{
	json_t *from = json_object_get(merged, "merged_from");

	(void)state;
	assert_int_equal(json_array_size(from), 2);
	assert_string_equal(string(json_array_get(from, 0), "file"), "out/rank0.json");
	assert_string_equal(string(json_array_get(from, 0), "host"), "node1");
	assert_string_equal(string(json_array_get(from, 1), "started_at"),
			    "2026-11-22T10:00:00.500Z");
}

/* The reader takes it: diff and check can use a merged snapshot. */
static void test_reads_back(void **state)
{
	struct snapshot s;
	char err[256];

	(void)state;
	if (snapshot_reader__parse(text, strlen(text), "merged.json", &s, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(s.nr_procs, 3);
	assert_string_equal(s.procs[1].source, "rank1.json@node2");
	assert_int_equal(s.procs[1].pid, 102);
	assert_int_equal(s.leaks[1].process, 1);
	assert_int_equal(s.totals.peak_bytes, 1600);
	snapshot_reader__release(&s);
}

/* Merged snapshots merged again: sources and merged_from carry over. */
static void test_merge_merged(void **state)
{
	struct merge_input in[] = {
		{ "job.json", json_loads(text, 0, NULL) },
		{ "late/rank2.json", json_loads(rank0, 0, NULL) },
	};
	json_t *again, *procs;
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(merge__write(in, 2, f, NULL, 0), 0);
	fclose(f);
	again = json_loads(out, 0, NULL);
	assert_non_null(again);
	procs = json_object_get(again, "processes");
	assert_int_equal(json_array_size(procs), 4);
	assert_string_equal(string(json_array_get(procs, 1), "source"), "rank1.json@node2");
	assert_string_equal(string(json_array_get(procs, 3), "source"), "rank2.json@node1");
	/* PID 100 again: renumbered past all, 102 included */
	assert_int_equal(integer(json_array_get(procs, 3), "pid"), 103);
	assert_int_equal(json_array_size(json_object_get(again, "merged_from")), 3);
	assert_string_equal(string(again, "host"), "node1,node2");
	assert_int_equal(integer(json_object_get(again, "totals"), "peak_bytes"), 2500);
	json_decref(again);
	json_decref(in[0].root);
	json_decref(in[1].root);
	free(out);
}

/*
 * rank0 and rank1 with one value set so that the two add past 2^63-1:
 * -EOVERFLOW naming the field, and not a byte written.
 */
static void assert_overflow(const char *path, const char *key, const char *want)
{
	struct merge_input in[] = {
		{ "rank0.json", json_loads(rank0, 0, NULL) },
		{ "rank1.json", json_loads(rank1, 0, NULL) },
	};
	json_t *obj[2];
	char *out = NULL, why[256];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	for (int i = 0; i < 2; i++) {
		obj[i] = *path ? json_object_get(in[i].root, path) : in[i].root;
		if (json_is_array(obj[i]))
			obj[i] = json_array_get(obj[i], 0);
		assert_non_null(obj[i]);
	}
	assert_int_equal(json_object_set_new(obj[0], key, json_integer(INT64_MAX - 10)), 0);
	assert_int_equal(json_object_set_new(obj[1], key, json_integer(11)), 0);
	assert_int_equal(merge__write(in, 2, f, why, sizeof(why)), -EOVERFLOW);
	fclose(f);
	assert_string_equal(why, want);
	assert_int_equal(len, 0);
	free(out);
	json_decref(in[0].root);
	json_decref(in[1].root);
}

static void test_overflow(void **state)
{
	(void)state;
	assert_overflow("totals", "allocated_bytes",
			"totals.allocated_bytes: the sum over the inputs is past 2^63-1 "
			"(9223372036854775807)");
	assert_overflow("", "lost_events",
			"lost_events: the sum over the inputs is past 2^63-1 (9223372036854775807)");
	assert_overflow("drops", "ringbuf_full",
			"drops.ringbuf_full: the sum over the inputs is past 2^63-1 "
			"(9223372036854775807)");
	assert_overflow("mappings", "brk_calls",
			"mappings.brk_calls: the sum over the inputs is past 2^63-1 "
			"(9223372036854775807)");
	assert_overflow("leaks_omitted", "bytes",
			"leaks_omitted.bytes: the sum over the inputs is past 2^63-1 "
			"(9223372036854775807)");
	assert_overflow("gpu", "oom_events",
			"gpu.oom_events: the sum over the inputs is past 2^63-1 "
			"(9223372036854775807)");
	/* each input's leaks fit; all of them together would not */
	assert_overflow("leaks", "bytes",
			"leaks[].bytes: the sum over the inputs is past 2^63-1 "
			"(9223372036854775807)");
	/* allocators pair by name: libc is in both */
	{
		struct merge_input in[] = {
			{ "rank0.json", json_loads(rank0, 0, NULL) },
			{ "rank1.json", json_loads(rank1, 0, NULL) },
		};
		json_t *libc1 = json_array_get(json_object_get(in[1].root, "allocators"), 1);
		char why[256];
		FILE *f = fopen("/dev/null", "w");

		assert_non_null(f);
		json_object_set_new(json_array_get(json_object_get(in[0].root, "allocators"), 0),
				    "calls", json_integer(INT64_MAX));
		json_object_set_new(libc1, "calls", json_integer(1));
		assert_int_equal(merge__write(in, 2, f, why, sizeof(why)), -EOVERFLOW);
		assert_string_equal(why, "allocators[libc].calls: the sum over the inputs is past "
					 "2^63-1 (9223372036854775807)");
		fclose(f);
		json_decref(in[0].root);
		json_decref(in[1].root);
	}
}

/* A PID renumbered past 2^32-1 could not be read back: refused. */
static void test_pid_overflow(void **state)
{
	struct merge_input in[] = {
		{ "rank0.json", json_loads(rank0, 0, NULL) },
		{ "rank1.json", json_loads(rank1, 0, NULL) },
	};
	char why[256];
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(f);
	/* rank1's PID 4294967295 is the highest: rank1's PID 100 collides and has nowhere to go */
	json_object_set_new(json_array_get(json_object_get(in[1].root, "processes"), 1), "pid",
			    json_integer(UINT32_MAX));
	assert_int_equal(merge__write(in, 2, f, why, sizeof(why)), -EOVERFLOW);
	assert_string_equal(why, "processes[].pid: no PID left to renumber PID 100 to (they end "
				 "at 4294967295)");
	fclose(f);
	json_decref(in[0].root);
	json_decref(in[1].root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_sums),
		cmocka_unit_test(test_allocator_sums),
		cmocka_unit_test(test_gpu_sums),
		cmocka_unit_test(test_mappings_sums),
		cmocka_unit_test(test_pid_collision),
		cmocka_unit_test(test_freed_sites),
		cmocka_unit_test(test_merged_from),
		cmocka_unit_test(test_reads_back),
		cmocka_unit_test(test_merge_merged),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_pid_overflow),
	};

	return cmocka_run_group_tests_name("merge", tests, merge_ranks, release);
}
