// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * C++ names, end to end: tests/progs/cxx_names.cc traced from launch. The
 * text report and the snapshot name its callers readably
 * (ns::Model::leak(int)), the snapshot keeps each mangled name in
 * linkage_name (null for C functions), an inlined method is demangled too,
 * and memtrace diff matches the snapshot site for site against the same
 * snapshot as memtrace wrote it before linkage_name existed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define SOURCE "tests/progs/cxx_names.cc"
#define PATH_LEN 128

static char dir[] = "/tmp/memtrace-cxx-XXXXXX";
static char snap_path[PATH_LEN], old_path[PATH_LEN];
static struct mt_run traced;	/* its stdout: the text report */
static json_t *snap;		/* what it wrote to snap_path */

/* One run for every test: memtrace -o DIR/new.json -- cxx_names, report on stdout. */
static int setup(void **state)
{
	json_error_t err;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(snap_path, sizeof(snap_path), "%s/new.json", dir);
	snprintf(old_path, sizeof(old_path), "%s/old.json", dir);
	harness__run(&traced, (const char *const[]){ "--stack=fp", "--sample-bytes=0", "-o",
						     snap_path, "--", PROG("cxx_names"), NULL });
	if (traced.status != 0) {
		fprintf(stderr, "memtrace failed on cxx_names (status %d):\n%s", traced.status,
			traced.err);
		return -1;
	}
	snap = json_load_file(snap_path, 0, &err);
	if (!snap)
		fprintf(stderr, "%s:%d: %s\n", snap_path, err.line, err.text);
	return snap ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_LEN + 16];

	(void)state;
	json_decref(snap);
	harness__release(&traced);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* A frame's field: its string, or NULL when it is null. Fails when it is missing. */
static const char *frame_str(const json_t *frame, const char *key)
{
	json_t *v = json_object_get(frame, key);

	if (!v)
		fail_msg("a frame without \"%s\"", key);
	if (json_is_null(v))
		return NULL;
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void assert_names(const json_t *frame, const char *symbol, const char *linkage_name,
			 bool inlined)
{
	const char *got = frame_str(frame, "linkage_name");

	assert_string_equal(frame_str(frame, "symbol"), symbol);
	if (linkage_name)
		assert_string_equal(got, linkage_name);
	else if (got)
		fail_msg("%s: linkage_name \"%s\", expected null", symbol, got);
	assert_int_equal(json_is_true(json_object_get(frame, "inlined")), inlined);
}

/*
 * The leaks whose first frame is symbol: their bytes and blocks summed,
 * every one cxx's, each with the names expected; *first gets one of them.
 */
static void assert_site(const char *symbol, const char *linkage_name, bool inlined,
			uint64_t bytes, uint64_t count, json_t **first)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak;
	uint64_t got_bytes = 0, got_count = 0;
	size_t i;

	*first = NULL;
	json_array_foreach(leaks, i, leak) {
		json_t *frame = json_array_get(json_object_get(leak, "stack"), 0);
		const char *name = frame ? frame_str(frame, "symbol") : NULL;

		if (!name || strcmp(name, symbol))
			continue;
		assert_names(frame, symbol, linkage_name, inlined);
		assert_string_equal(harness__str(leak, "allocator"), "cxx");
		got_bytes += harness__u64(leak, "bytes");
		got_count += harness__u64(leak, "count");
		*first = leak;
	}
	if (got_bytes != bytes || got_count != count)
		fail_msg("%s: expected %llu bytes in %llu blocks, got %llu in %llu", symbol,
			 (unsigned long long)bytes, (unsigned long long)count,
			 (unsigned long long)got_bytes, (unsigned long long)got_count);
}

static void test_snapshot_names(void **state)
{
	json_t *leak, *stack, *frame;
	size_t i, j;

	(void)state;
	assert_site("ns::Model::leak(int)", "_ZN2ns5Model4leakEi", false, 2000, 2, &leak);
	assert_names(json_array_get(json_object_get(leak, "stack"), 1), "main", NULL, false);
	assert_site("ns::Model::leak(double)", "_ZN2ns5Model4leakEd", false, 333, 1, &leak);
	assert_site("long* ns::make<long>(int)", "_ZN2ns4makeIlEEPT_i", false, 32, 1, &leak);
	assert_site("c_leak", NULL, false, 77, 1, &leak);
	/* the inlined method is named from the DWARF, then the method it is in */
	assert_site("ns::Model::grow(int)", "_ZN2ns5Model4growEi", true, 4096, 1, &leak);
	stack = json_object_get(leak, "stack");
	assert_int_equal(harness__u64(json_array_get(stack, 0), "line"),
			 harness__marker_line(SOURCE, "grow_new"));
	assert_names(json_array_get(stack, 1), "ns::Model::train(int)", "_ZN2ns5Model5trainEi",
		     false);
	assert_int_equal(harness__u64(json_array_get(stack, 1), "line"),
			 harness__marker_line(SOURCE, "train_grow"));

	/* nothing left mangled: every linkage name is another name than its symbol */
	json_array_foreach(json_object_get(snap, "leaks"), i, leak) {
		json_array_foreach(json_object_get(leak, "stack"), j, frame) {
			const char *symbol = frame_str(frame, "symbol");
			const char *linkage = frame_str(frame, "linkage_name");

			if (symbol && !strncmp(symbol, "_Z", 2))
				fail_msg("leaks[%zu].stack[%zu]: %s left mangled", i, j, symbol);
			if (linkage && (strncmp(linkage, "_Z", 2) || !symbol))
				fail_msg("leaks[%zu].stack[%zu]: linkage_name %s for %s", i, j,
					 linkage, symbol ? symbol : "(null)");
		}
	}
}

static void test_report_names(void **state)
{
	static const char *const lines[] = {
		"\n    ns::Model::leak(int)+0x",
		"\n    ns::Model::leak(double)+0x",
		"\n    long* ns::make<long>(int)+0x",
		"\n    c_leak+0x",
		"\n    ns::Model::train(int)+0x",
	};
	char want[128];

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!strstr(traced.out, lines[i]))
			fail_msg("no line starting \"%s\" in the report:\n%s", lines[i] + 1,
				 traced.out);
	snprintf(want, sizeof(want), "\n    ns::Model::grow(int) [inlined] (cxx_names.cc:%u)  (",
		 harness__marker_line(SOURCE, "grow_new"));
	if (!strstr(traced.out, want))
		fail_msg("no \"%s\" in the report:\n%s", want + 1, traced.out);
	if (strstr(traced.out, "_ZN"))
		fail_msg("a mangled name in the report:\n%s", traced.out);
}

/*
 * The snapshot as memtrace wrote it before linkage_name (each C++ frame's
 * mangled name in symbol, no such key), with ns::Model::leak(double)'s
 * site holding less: it grew since.
 */
static void write_old_style(void)
{
	json_t *old = json_deep_copy(snap), *leak, *frame, *mangled;
	size_t i, j;

	assert_non_null(old);
	json_array_foreach(json_object_get(old, "leaks"), i, leak) {
		json_t *leaf = json_array_get(json_object_get(leak, "stack"), 0);

		if (leaf && frame_str(leaf, "symbol") &&
		    !strcmp(frame_str(leaf, "symbol"), "ns::Model::leak(double)"))
			json_object_set_new(leak, "bytes", json_integer(111));
		json_array_foreach(json_object_get(leak, "stack"), j, frame) {
			mangled = json_object_get(frame, "linkage_name");
			if (json_is_string(mangled))
				json_object_set(frame, "symbol", mangled);
			json_object_del(frame, "linkage_name");
		}
	}
	assert_int_equal(json_dump_file(old, old_path, JSON_INDENT(1)), 0);
	json_decref(old);
}

static void test_diff_old_snapshot(void **state)
{
	json_t *summary, *sites, *site, *leaf;
	struct mt_run run;
	size_t i, found = 0;

	(void)state;
	write_old_style();
	/* no site is new: the mangled names match */
	harness__run(&run, (const char *const[]){ "diff", old_path, snap_path, "--fail-on",
						  "new_leak_sites:0", NULL });
	if (run.status != 0)
		fail_msg("diff old new: status %d\n%s%s", run.status, run.out, run.err);
	if (!strstr(run.out, "  ns::Model::leak(double) (cxx_names.cc:"))
		fail_msg("the grown site is not named readably:\n%s", run.out);
	if (strstr(run.out, "_ZN"))
		fail_msg("a mangled name in the diff:\n%s", run.out);
	harness__release(&run);

	harness__run(&run, (const char *const[]){ "diff", "--format", "json", old_path, snap_path,
						  NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	summary = json_object_get(run.snap, "sites_summary");
	sites = json_object_get(run.snap, "sites");
	assert_int_equal(harness__u64(summary, "new"), 0);
	assert_int_equal(harness__u64(summary, "gone"), 0);
	assert_int_equal(harness__u64(summary, "grown"), 1);
	assert_int_equal(harness__u64(summary, "unchanged"), json_array_size(sites) - 1);
	json_array_foreach(sites, i, site) {
		leaf = json_array_get(json_object_get(site, "frames"), 0);
		if (!leaf || !frame_str(leaf, "symbol") ||
		    strcmp(frame_str(leaf, "symbol"), "ns::Model::leak(double)"))
			continue;
		found++;
		assert_string_equal(harness__str(site, "status"), "grown");
		assert_names(leaf, "ns::Model::leak(double)", "_ZN2ns5Model4leakEd", false);
		assert_non_null(strstr(harness__str(site, "key"), "cxx;_ZN2ns5Model4leakEd@cxx_names;"
								  "main@cxx_names;"));
	}
	assert_int_equal(found, 1);
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_names),
		cmocka_unit_test(test_report_names),
		cmocka_unit_test(test_diff_old_snapshot),
	};

	harness__require_bpf("cxx_names");
	return cmocka_run_group_tests(tests, setup, teardown);
}
