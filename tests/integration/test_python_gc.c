// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Garbage collections from the runtimes' USDT probes: Debian's python3.11
 * (python:gc__start/gc__done, linked into the executable) launched and
 * attached with -p, HotSpot's libjvm.so (dlopen-ed by the java launcher),
 * and the notice for a "python" without probes.
 *
 * The Python scripts disable automatic collection and leave through
 * os._exit (no collection at finalization), and run isolated without
 * site (-I -S): every generation-2 collection is one of theirs, and each
 * frees exactly CYCLES self-referencing lists.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PYTHON "/usr/bin/python3.11"
#define JAVA "/usr/bin/java"
#define COLLECTS 7
#define CYCLES 10
#define JVM_COLLECTS 5
#define STR_(x) #x
#define STR(x) STR_(x)

/* COLLECTS gc.collect() calls, each with CYCLES cycles to free: the body of both scripts. */
#define COLLECT_LOOP                                      \
	"for i in range(" STR(COLLECTS) "):\n"                \
	"    for k in range(" STR(CYCLES) "):\n"              \
	"        a = []; a.append(a); del a\n"            \
	"    gc.collect()\n"                              \
	"os._exit(0)\n"

static const char launch_script[] = "import gc, os\n"
				    "gc.disable()\n" COLLECT_LOOP;

static const char attach_script[] = "import gc, os, sys\n"
				    "gc.disable()\n"
				    "print('ready', flush=True)\n"
				    "sys.stdin.readline()\n" COLLECT_LOOP;

static const char java_source[] = "public class Gc {\n"
				  "    public static void main(String[] args) {\n"
				  "        for (int i = 0; i < " STR(JVM_COLLECTS) "; i++)\n"
				  "            System.gc();\n"
				  "    }\n"
				  "}\n";

static char tmpdir[] = "/tmp/memtrace-gc-XXXXXX";

static void skip_loudly(const char *what)
{
	fprintf(stderr,
		"\n***************************************************************\n"
		"*** SKIP: no %s\n"
		"***************************************************************\n\n",
		what);
}

static json_t *load_snapshot(const char *path)
{
	json_error_t error;
	json_t *snap = json_load_file(path, 0, &error);

	if (!snap)
		fail_msg("%s: %s (line %d)", path, error.text, error.line);
	return snap;
}

static double number(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		fail_msg("\"%s\" is not a number", key);
	return json_number_value(v);
}

static json_t *generation(const json_t *gc, int gen)
{
	json_t *gens = json_object_get(gc, "generations"), *g;
	size_t i;

	json_array_foreach(gens, i, g)
		if (harness__u64(g, "generation") == (uint64_t)gen)
			return g;
	fail_msg("no generation %d in the gc object", gen);
	return NULL;
}

/*
 * Every collection paired with its start and counted in a generation,
 * each with a duration: the totals are the generations' sums, the
 * shortest collection took time.
 */
static void assert_consistent(const json_t *gc)
{
	json_t *gens = json_object_get(gc, "generations"), *g;
	uint64_t sum = 0;
	size_t i;

	assert_int_equal(harness__u64(gc, "unmatched"), 0);
	json_array_foreach(gens, i, g) {
		uint64_t n = harness__u64(g, "collections");

		sum += n;
		if (!n)
			continue;
		if (!(number(g, "min_ms") > 0 && number(g, "max_ms") >= number(g, "min_ms") &&
		      number(g, "total_ms") >= n * number(g, "min_ms") * 0.999))
			fail_msg("generation %zu: durations min %f max %f total %f for %llu", i,
				 number(g, "min_ms"), number(g, "max_ms"), number(g, "total_ms"),
				 (unsigned long long)n);
	}
	assert_int_equal(sum, harness__u64(gc, "collections"));
	assert_true(number(gc, "total_ms") > 0);
}

static void assert_python_gc(const json_t *process)
{
	const json_t *gc = json_object_get(process, "gc");
	const json_t *gen2;

	if (!gc)
		fail_msg("process %llu has no \"gc\" object",
			 (unsigned long long)harness__u64(process, "pid"));
	assert_string_equal(harness__str(gc, "runtime"), "python");
	assert_string_equal(harness__str(gc, "probed"), PYTHON);
	assert_int_equal(json_array_size(json_object_get(gc, "generations")), 3);
	assert_consistent(gc);
	gen2 = generation(gc, 2);
	assert_int_equal(harness__u64(gen2, "collections"), COLLECTS);
	assert_int_equal(harness__u64(gen2, "collected"), COLLECTS * CYCLES);
}

static void test_launched(void **state)
{
	char snap_path[PATH_MAX];
	struct mt_run r;
	json_t *snap;

	(void)state;
	snprintf(snap_path, sizeof(snap_path), "%s/launch.json", tmpdir);
	harness__run(&r, (const char *const[]){ "-v", "-o", snap_path, "--", PYTHON, "-I", "-S",
						"-c", launch_script, NULL });
	if (r.status != 0)
		fail_msg("memtrace failed (status %d):\n%s", r.status, r.err);
	if (!strstr(r.err, "GC probes on " PYTHON " (python:gc__start, gc__done)"))
		fail_msg("no -v line for the GC probes:\n%s", r.err);
	snap = load_snapshot(snap_path);
	assert_python_gc(harness__only_process(snap));
	/* the text report's GC row, under the process's memory */
	if (!strstr(r.out, "  GC python: ") || !strstr(r.out, " gen2 " STR(COLLECTS) ", "))
		fail_msg("no GC row with " STR(COLLECTS) " generation-2 collections:\n%s", r.out);
	json_decref(snap);
	harness__release(&r);
}

static void test_attached(void **state)
{
	struct mt_run r;
	pid_t pid;

	(void)state;
	harness__trace_running((const char *const[]){ PYTHON, "-I", "-S", "-c", attach_script,
						      NULL },
			       &r, &pid);
	if (r.status != 0 || !r.snap)
		fail_msg("memtrace -p failed (status %d):\n%s", r.status, r.err);
	assert_python_gc(harness__process(r.snap, pid));
	harness__release(&r);
}

/*
 * System.gc() is a full collection (G1, the default); libjvm.so is probed
 * once the launcher has mapped it.
 */
static void test_jvm(void **state)
{
	char src[PATH_MAX], snap_path[PATH_MAX];
	const json_t *gc, *full;
	struct mt_run r;
	json_t *snap;
	FILE *f;

	(void)state;
	if (access(JAVA, X_OK)) {
		skip_loudly(JAVA);
		return;
	}
	snprintf(src, sizeof(src), "%s/Gc.java", tmpdir);
	snprintf(snap_path, sizeof(snap_path), "%s/jvm.json", tmpdir);
	f = fopen(src, "w");
	assert_non_null(f);
	assert_int_equal(fputs(java_source, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	harness__run(&r, (const char *const[]){ "-o", snap_path, "--", JAVA, src, NULL });
	if (r.status != 0)
		fail_msg("memtrace failed (status %d):\n%s", r.status, r.err);
	snap = load_snapshot(snap_path);
	gc = json_object_get(harness__only_process(snap), "gc");
	assert_non_null(gc);
	assert_string_equal(harness__str(gc, "runtime"), "jvm");
	if (!strstr(harness__str(gc, "probed"), "/lib/server/libjvm.so"))
		fail_msg("probed %s, not libjvm.so", harness__str(gc, "probed"));
	assert_int_equal(json_array_size(json_object_get(gc, "generations")), 2);
	assert_consistent(gc);
	full = generation(gc, 1);
	assert_int_equal(harness__u64(full, "collections"), JVM_COLLECTS);
	/* HotSpot's probes do not count objects */
	assert_true(json_is_null(json_object_get(full, "collected")));
	json_decref(snap);
	harness__release(&r);
}

/* Copies a test program to tmpdir/name. */
static void copy_program(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)))
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(to, 0755), 0);
}

/* An executable named like Python without the probes: said, and no "gc" object. */
static void test_no_probes_notice(void **state)
{
	char exe[PATH_MAX], want[PATH_MAX + 64];
	struct mt_run r;

	(void)state;
	snprintf(exe, sizeof(exe), "%s/python3-nogc", tmpdir);
	copy_program(PROG("alloc_patterns"), exe);
	harness__run(&r, (const char *const[]){ "--json", "--", exe, NULL });
	if (r.status != 0 || !r.snap)
		fail_msg("memtrace failed (status %d):\n%s", r.status, r.err);
	snprintf(want, sizeof(want), "no python:gc__start/gc__done probes in %s ", exe);
	if (!strstr(r.err, want))
		fail_msg("no notice \"%s\" in:\n%s", want, r.err);
	assert_null(json_object_get(harness__only_process(r.snap), "gc"));
	harness__release(&r);
}

/* A C program (not Python-looking) gets neither notice nor "gc" object. */
static void test_not_python(void **state)
{
	struct mt_run r;

	(void)state;
	harness__run(&r, (const char *const[]){ "--json", "--", PROG("alloc_patterns"), NULL });
	if (r.status != 0 || !r.snap)
		fail_msg("memtrace failed (status %d):\n%s", r.status, r.err);
	assert_null(strstr(r.err, "gc__start"));
	assert_null(json_object_get(harness__only_process(r.snap), "gc"));
	harness__release(&r);
}

static int cleanup_tmpdir(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launched),
		cmocka_unit_test(test_attached),
		cmocka_unit_test(test_jvm),
		cmocka_unit_test(test_no_probes_notice),
		cmocka_unit_test(test_not_python),
	};
	int failed;

	harness__require_bpf("python_gc");
	if (access(PYTHON, X_OK)) {
		fprintf(stderr, "%s is missing: these tests need Debian's python3.11\n", PYTHON);
		return 1;
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (cleanup_tmpdir())
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return failed;
}
