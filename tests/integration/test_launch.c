// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Launch mode (memtrace -- CMD): probes in place before CMD's first
 * instruction, names for a process that exits at once, CMD's exit status
 * passed on, statically linked CMDs, snapshots written whole.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* A constructor's malloc, before main, in a process that exits right away. */
static void test_constructor_before_main(void **state)
{
	struct mt_run run;
	json_t *p, *stack;
	struct leak_sum sum;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("ctor_alloc"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	p = harness__only_process(run.snap);
	assert_string_equal(harness__str(p, "comm"), "ctor_alloc");
	sum = harness__leaks_by_caller(run.snap, (pid_t)harness__u64(p, "pid"), "ctor_leak");
	assert_int_equal(sum.bytes, 4242);
	assert_int_equal(sum.count, 1);
	stack = json_object_get(json_array_get(json_object_get(run.snap, "leaks"), 0), "stack");
	assert_string_equal(harness__str(json_array_get(stack, 1), "symbol"), "before_main");
	harness__release(&run);
}

static void test_exit_status_passed_on(void **state)
{
	struct mt_run run;

	(void)state;
	harness__run(&run, (const char *const[]){ "--", PROG("ctor_alloc"), "7", NULL });
	assert_int_equal(run.status, 7);
	/* the text report went to stdout */
	assert_non_null(strstr(run.out, "ctor_leak+0x"));
	harness__release(&run);
}

/* A CMD killed by a signal: 128 + the signal, like a shell. */
static void test_killed_status(void **state)
{
	struct mt_run run;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", "/bin/sh", "-c", "kill -TERM $$",
						   NULL });
	assert_int_equal(run.status, 128 + 15);
	assert_non_null(run.snap);
	harness__release(&run);
}

/* Statically linked: malloc lives in the executable itself. */
static void test_static_executable(void **state)
{
	struct mt_run run;
	json_t *p;
	struct leak_sum sum;

	(void)state;
	/*
	 * Exact per caller needs every allocation's stack: fp gives it (the
	 * glibc linked in has no frame pointers, so auto would sample dwarf).
	 */
	harness__run(&run, (const char *const[]){ "--json", "--stack=fp", "--", PROG("static_alloc"),
						   NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	p = harness__only_process(run.snap);
	sum = harness__leaks_by_caller(run.snap, (pid_t)harness__u64(p, "pid"), "static_leak");
	assert_int_equal(sum.bytes, 4 * 321);
	assert_int_equal(sum.count, 4);
	harness__release(&run);
}

/* Control bytes and non-ASCII in the path and the thread name reach the JSON intact. */
static void test_odd_names(void **state)
{
	char dir[] = "/tmp/memtrace-t\xc3\xabst-XXXXXX", exe[PATH_MAX], cmd[PATH_MAX * 2];
	const char *name = "pr\xc3\xb6g\x01x";
	struct mt_run run;
	json_t *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(exe, sizeof(exe), "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "cp %s '%s'", PROG("ctor_alloc"), exe);
	assert_int_equal(system(cmd), 0);
	harness__run(&run, (const char *const[]){ "--json", "--", exe, NULL });
	unlink(exe);
	rmdir(dir);
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap); /* jansson rejects invalid UTF-8 and raw control bytes */
	p = harness__only_process(run.snap);
	assert_string_equal(harness__str(p, "comm"), name);
	assert_string_equal(harness__str(p, "exe"), exe);
	assert_string_equal(harness__str(json_array_get(json_object_get(p, "threads"), 0), "comm"),
			    name);
	assert_string_equal(harness__str(json_array_get(json_object_get(json_array_get(
							       json_object_get(run.snap, "leaks"), 0),
						       "stack"),
					       0),
					"module"),
			    exe);
	harness__release(&run);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* -o writes the snapshot (report on stdout as usual), and leaves no temporary file. */
static void test_output_file(void **state)
{
	char dir[] = "/tmp/memtrace-out-XXXXXX", path[PATH_MAX];
	json_error_t jerr;
	struct mt_run run;
	struct stat st;
	json_t *snap;

	mode_t old_mask = umask(022);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/snap.json", dir);
	/* the mode follows the umask (test_outputs.c tries 077): this one's is 022 */
	harness__run(&run, (const char *const[]){ "-o", path, "--", PROG("ctor_alloc"), NULL });
	umask(old_mask);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "Live allocations by stack"));
	snap = json_load_file(path, 0, &jerr);
	assert_non_null(snap);
	assert_string_equal(harness__str(snap, "schema"), "memtrace.snapshot.v1");
	assert_string_equal(harness__str(json_object_get(snap, "tool"), "name"), "memtrace");
	assert_int_equal(harness__u64(json_object_get(snap, "totals"), "current_bytes"), 4242);
	assert_true(json_is_real(json_object_get(snap, "duration_s")));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(count_entries(dir), 1);
	json_decref(snap);
	unlink(path);
	rmdir(dir);
	harness__release(&run);
}

/* Every field the schema names is there, with its type. */
static void test_schema_fields(void **state)
{
	static const char *const counters[] = { "current_bytes",   "peak_bytes",  "allocs",
						"frees",	   "reallocs",    "failed_allocs",
						"allocated_bytes", "freed_bytes", "unknown_frees" };
	struct mt_run run;
	json_t *p, *t, *leak, *frame, *bucket;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("ctor_alloc"), NULL });
	assert_non_null(run.snap);
	assert_string_equal(harness__str(run.snap, "schema"), "memtrace.snapshot.v1");
	assert_non_null(harness__str(json_object_get(run.snap, "tool"), "version"));
	assert_int_equal(strlen(harness__str(run.snap, "started_at")), 24);
	assert_true(json_is_real(json_object_get(run.snap, "duration_s")));
	assert_int_equal(harness__u64(run.snap, "lost_events"), 0);
	p = harness__only_process(run.snap);
	t = json_array_get(json_object_get(p, "threads"), 0);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		harness__u64(json_object_get(run.snap, "totals"), counters[i]);
		harness__u64(p, counters[i]);
		harness__u64(t, counters[i]);
	}
	harness__u64(p, "pid");
	harness__str(p, "comm");
	harness__str(p, "exe");
	assert_true(json_is_boolean(json_object_get(p, "exited")));
	harness__u64(t, "tid");
	harness__str(t, "comm");
	bucket = json_array_get(json_object_get(p, "size_histogram"), 0);
	assert_int_equal(harness__u64(bucket, "le"), 8192);
	assert_int_equal(harness__u64(bucket, "count"), 1);
	leak = json_array_get(json_object_get(run.snap, "leaks"), 0);
	harness__u64(leak, "pid");
	assert_string_equal(harness__str(leak, "allocator"), "libc");
	assert_int_equal(harness__u64(leak, "bytes"), 4242);
	assert_int_equal(harness__u64(leak, "count"), 1);
	assert_true(json_is_real(json_object_get(leak, "oldest_age_s")));
	frame = json_array_get(json_object_get(leak, "stack"), 0);
	assert_true(!strncmp(harness__str(frame, "ip"), "0x", 2));
	assert_string_equal(harness__str(frame, "symbol"), "ctor_leak");
	assert_true(harness__u64(frame, "offset") > 0);
	assert_non_null(strstr(harness__str(frame, "module"), "ctor_alloc"));
	harness__release(&run);
}

/* --duration ends tracing on time; the CMD runs on and its status still comes back. */
static void test_duration(void **state)
{
	struct mt_run run;
	double d;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--duration", "0.3", "--", "/bin/sleep",
						   "1", NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	d = json_real_value(json_object_get(run.snap, "duration_s"));
	assert_true(d >= 0.3 && d < 0.9);
	harness__release(&run);
}

/* The address of a function in an ELF file, by nm: an independent witness. */
static uint64_t nm_address(const char *file, const char *symbol)
{
	char cmd[512], line[512];
	unsigned long long addr = 0;
	FILE *nm;

	snprintf(cmd, sizeof(cmd), "nm --defined-only %s", file);
	nm = popen(cmd, "r");
	assert_non_null(nm);
	while (fgets(line, sizeof(line), nm)) {
		char name[256], type;

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 && !strcmp(name, symbol))
			break;
		addr = 0;
	}
	pclose(nm);
	assert_true(addr != 0);
	return addr;
}

static void assert_frame(json_t *frame, const char *symbol, const char *module_suffix)
{
	const char *module = harness__str(frame, "module");
	size_t len = strlen(module), suffix = strlen(module_suffix);
	char *file = strdup(module);
	uint64_t module_offset = strtoull(harness__str(frame, "module_offset"), NULL, 16);

	assert_string_equal(harness__str(frame, "symbol"), symbol);
	assert_true(len >= suffix && !strcmp(module + len - suffix, module_suffix));
	/* module_offset is the symbol's link-time address plus the offset */
	assert_int_equal(module_offset, nm_address(file, symbol) + harness__u64(frame, "offset"));
	free(file);
}

/* Frames in a shared library and in the PIE that calls it, each named in its module. */
static void test_shared_library_frames(void **state)
{
	struct mt_run run;
	json_t *leaks, *big, *small;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("shlib_caller"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	leaks = json_object_get(run.snap, "leaks");
	assert_int_equal(json_array_size(leaks), 2);
	big = json_object_get(json_array_get(leaks, 0), "stack");
	small = json_object_get(json_array_get(leaks, 1), "stack");
	assert_int_equal(harness__u64(json_array_get(leaks, 0), "bytes"), 666);
	assert_frame(json_array_get(big, 0), "lib_alloc", "/libcaller.so");
	assert_frame(json_array_get(big, 1), "lib_alloc_twice", "/libcaller.so");
	assert_frame(json_array_get(big, 2), "app_calls_lib", "/shlib_caller");
	assert_frame(json_array_get(big, 3), "main", "/shlib_caller");
	assert_int_equal(harness__u64(json_array_get(leaks, 1), "bytes"), 555);
	assert_frame(json_array_get(small, 0), "lib_alloc", "/libcaller.so");
	assert_frame(json_array_get(small, 1), "app_calls_lib", "/shlib_caller");
	assert_frame(json_array_get(small, 2), "main", "/shlib_caller");
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constructor_before_main),
		cmocka_unit_test(test_exit_status_passed_on),
		cmocka_unit_test(test_killed_status),
		cmocka_unit_test(test_static_executable),
		cmocka_unit_test(test_shared_library_frames),
		cmocka_unit_test(test_odd_names),
		cmocka_unit_test(test_output_file),
		cmocka_unit_test(test_schema_fields),
		cmocka_unit_test(test_duration),
	};

	harness__require_bpf("launch");
	return cmocka_run_group_tests_name("integration: launch", tests, NULL, NULL);
}
