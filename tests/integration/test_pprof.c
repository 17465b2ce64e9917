// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pprof and folded output of a real run: tests/progs/diff_prog.c traced with
 * -o, --pprof and --folded at once, then the snapshot rendered again with
 * memtrace report. go tool pprof (Debian golang-go) reads both profiles and
 * gives exact bytes and blocks per known function (keep_site 4 x 1000,
 * base_only_leak 3 x 300) and the labels; the folded file holds exactly the
 * program's two stacks. tests/progs/inline_alloc.c's inlined helper is a
 * line of its caller's location; tests/progs/gpu_linked.c's GPU memory
 * (through the CUDA test double) is samples of its own, labelled by kind, and
 * folded stacks under [cuda.KIND]; usage and output errors get their line
 * and status. Allocated totals: diff_prog's passing_peak (1 MiB, freed) is
 * in alloc_* only; tests/progs/alloc_totals.c's sites give their exact
 * allocations and bytes (one that frees everything among them), their
 * thread labels, and the mapping its build id, as readelf -n reads it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PATH_LEN 128

static char dir[] = "/tmp/memtrace-pprof-XXXXXX";
static char snap[PATH_LEN], traced_pprof[PATH_LEN], traced_folded[PATH_LEN];
static char report_pprof[PATH_LEN], report_folded[PATH_LEN];
static char totals_snap[PATH_LEN], totals_pprof[PATH_LEN], totals_folded[PATH_LEN];
static pid_t traced_pid;

/* The whole of a command's stdout; fails the test unless it exits with 0. */
static char *run_shell(const char *cmd)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	FILE *p = popen(cmd, "r");
	char buf[4096];
	size_t n;
	int status;

	assert_non_null(m);
	if (!p)
		fail_msg("cannot run %s", cmd);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, m);
	status = pclose(p);
	fclose(m);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("'%s' failed (status %d):\n%s", cmd, status, out);
	return out;
}

static char *read_file(const char *path)
{
	char cmd[PATH_LEN + 16];

	snprintf(cmd, sizeof(cmd), "cat '%s'", path);
	return run_shell(cmd);
}

static int setup(void **state)
{
	struct mt_run run;
	json_t *proc;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(snap, sizeof(snap), "%s/run.json", dir);
	snprintf(traced_pprof, sizeof(traced_pprof), "%s/traced.pb.gz", dir);
	snprintf(traced_folded, sizeof(traced_folded), "%s/traced.folded", dir);
	snprintf(report_pprof, sizeof(report_pprof), "%s/report.pb.gz", dir);
	snprintf(report_folded, sizeof(report_folded), "%s/report.folded", dir);
	harness__run(&run, (const char *const[]){ "--stack=fp", "--json", "-o", snap, "--pprof",
						  traced_pprof, "--folded", traced_folded, "--",
						  PROG("diff_prog"), NULL });
	if (run.status || !run.snap) {
		fprintf(stderr, "memtrace failed (status %d): %s\n", run.status, run.err);
		harness__release(&run);
		return -1;
	}
	proc = json_array_get(json_object_get(run.snap, "processes"), 0);
	traced_pid = (pid_t)json_integer_value(json_object_get(proc, "pid"));
	harness__release(&run);
	harness__run(&run, (const char *const[]){ "report", snap, "--format", "pprof", "-o",
						  report_pprof, NULL });
	if (run.status) {
		fprintf(stderr, "memtrace report failed (status %d): %s\n", run.status, run.err);
		harness__release(&run);
		return -1;
	}
	harness__release(&run);
	harness__run(&run, (const char *const[]){ "report", snap, "--format", "folded", "-o",
						  report_folded, NULL });
	harness__release(&run);
	snprintf(totals_snap, sizeof(totals_snap), "%s/totals.json", dir);
	snprintf(totals_pprof, sizeof(totals_pprof), "%s/totals.pb.gz", dir);
	snprintf(totals_folded, sizeof(totals_folded), "%s/totals.folded", dir);
	harness__run(&run, (const char *const[]){ "--stack=fp", "-o", totals_snap, "--pprof",
						  totals_pprof, "--folded", totals_folded,
						  "--folded-value", "count", "--",
						  PROG("alloc_totals"), NULL });
	if (run.status) {
		fprintf(stderr, "memtrace failed (status %d): %s\n", run.status, run.err);
		harness__release(&run);
		return -1;
	}
	harness__release(&run);
	return traced_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_LEN];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* The flat value of function in go tool pprof -top's table ("4000B", "4"); fails when absent. */
static void expect_flat(const char *top, const char *function, const char *flat)
{
	const char *line = top;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		size_t flen = strlen(function), vlen = strlen(flat);
		const char *p = line;

		while (p < line + len && *p == ' ')
			p++;
		/* "  4000B 81.63% 81.63%  4000B 81.63%  keep_site" */
		if (len > flen + 1 && !memcmp(line + len - flen, function, flen) &&
		    line[len - flen - 1] == ' ') {
			if (strncmp(p, flat, vlen) || p[vlen] != ' ')
				fail_msg("%s: expected flat %s in:\n%s", function, flat, top);
			return;
		}
		line = end ? end + 1 : NULL;
	}
	fail_msg("%s not in:\n%s", function, top);
}

static void expect_top(const char *profile, const char *index, const char *keep,
		       const char *base)
{
	char cmd[512];
	char *top;

	snprintf(cmd, sizeof(cmd), "go tool pprof -top -sample_index=%s '%s' 2>&1", index,
		 profile);
	top = run_shell(cmd);
	expect_flat(top, "keep_site", keep);
	expect_flat(top, "base_only_leak", base);
	free(top);
}

static void test_top_inuse_space(void **state)
{
	(void)state;
	expect_top(traced_pprof, "inuse_space", "4000B", "900B");
	expect_top(report_pprof, "inuse_space", "4000B", "900B");
}

static void test_top_inuse_objects(void **state)
{
	(void)state;
	expect_top(traced_pprof, "inuse_objects", "4", "3");
	expect_top(report_pprof, "inuse_objects", "4", "3");
}

/* the default sample type is inuse_space: -top alone shows bytes */
static void test_default_inuse_space(void **state)
{
	char cmd[256], *top;

	(void)state;
	snprintf(cmd, sizeof(cmd), "go tool pprof -top '%s' 2>&1", traced_pprof);
	top = run_shell(cmd);
	if (!strstr(top, "Type: inuse_space"))
		fail_msg("expected Type: inuse_space in:\n%s", top);
	expect_flat(top, "keep_site", "4000B");
	free(top);
}

/* "N: 0x0/0x0/0x0 .../build/tests/progs/PROG BUILDID [FN][FL][LN][IN]", the id readelf's */
static void expect_mapping(const char *raw, const char *prog)
{
	char cmd[256], want[256], *id;

	snprintf(cmd, sizeof(cmd), "readelf -n '" PROG("%s") "' | awk '/Build ID:/ { print $3 }'",
		 prog);
	id = run_shell(cmd);
	if (strlen(id) != 41 || id[40] != '\n')
		fail_msg("readelf -n %s: no GNU build id: \"%s\"", prog, id);
	id[40] = '\0';
	snprintf(want, sizeof(want), "build/tests/progs/%s %s [FN][FL][LN][IN]", prog, id);
	if (!strstr(raw, want))
		fail_msg("expected the mapping \"%s\" in:\n%s", want, raw);
	free(id);
}

static void test_raw_labels(void **state)
{
	char cmd[256], want[64], *raw;

	(void)state;
	snprintf(cmd, sizeof(cmd), "go tool pprof -raw '%s' 2>&1", traced_pprof);
	raw = run_shell(cmd);
	snprintf(want, sizeof(want), "pid:[%d]", traced_pid);
	if (!strstr(raw, "allocator:[libc]") || !strstr(raw, "comm:[diff_prog]") ||
	    !strstr(raw, want))
		fail_msg("expected allocator:[libc], comm:[diff_prog] and %s in:\n%s", want, raw);
	if (!strstr(raw, "inuse_objects/count inuse_space/bytes[dflt]"))
		fail_msg("expected the sample types in:\n%s", raw);
	if (!strstr(raw, "alloc_objects/count alloc_space/bytes inuse_objects/count "
			 "inuse_space/bytes[dflt]"))
		fail_msg("expected the four sample types in:\n%s", raw);
	/* the module with its build id, its functions already named */
	expect_mapping(raw, "diff_prog");
	free(raw);
}

/*
 * Exactly two lines: main's two leaking callees, under the same outer frames
 * (libc's start code: which ones depends on the libc, so they are read from
 * the first line and required identical in the second).
 */
static void expect_folded(const char *path)
{
	char *text = read_file(path), want[1024];
	const char *main_at = strstr(text, "main;base_only_leak 900\n");
	size_t prefix;

	if (!main_at)
		fail_msg("%s: no main;base_only_leak 900 line in:\n%s", path, text);
	prefix = (size_t)(main_at - text);
	if (prefix && text[prefix - 1] != ';')
		fail_msg("%s: main is not a frame of its own in:\n%s", path, text);
	snprintf(want, sizeof(want), "%.*smain;base_only_leak 900\n%.*smain;keep_site 4000\n",
		 (int)prefix, text, (int)prefix, text);
	assert_string_equal(text, want);
	free(text);
}

static void test_folded_lines(void **state)
{
	(void)state;
	expect_folded(traced_folded);
	expect_folded(report_folded);
}

/*
 * memtrace report --folded-value: the exact lines of diff_prog, under the
 * outer frames of its bytes file. passing_peak, freed, is in the allocated
 * figures only.
 */
static void test_folded_values(void **state)
{
	static const struct {
		const char *value, *base, *keep, *peak;
	} want[] = {
		{ "blocks", "3", "4", NULL },
		{ "allocated", "900", "4000", "1048576" },
		{ "count", "3", "4", "1" },
	};
	char *bytes = read_file(report_folded), out[PATH_LEN], expect[2048], *text;
	const char *main_at = strstr(bytes, "main;base_only_leak 900\n");
	struct mt_run run;
	int prefix, n;

	(void)state;
	assert_non_null(main_at);
	prefix = (int)(main_at - bytes);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(out, sizeof(out), "%s/%s.folded", dir, want[i].value);
		harness__run(&run, (const char *const[]){ "report", snap, "--format", "folded",
							  "--folded-value", want[i].value, "-o",
							  out, NULL });
		if (run.status)
			fail_msg("memtrace report failed (status %d): %s", run.status, run.err);
		harness__release(&run);
		n = snprintf(expect, sizeof(expect),
			     "%.*smain;base_only_leak %s\n%.*smain;keep_site %s\n", prefix, bytes,
			     want[i].base, prefix, bytes, want[i].keep);
		if (want[i].peak)
			snprintf(expect + n, sizeof(expect) - n, "%.*smain;passing_peak %s\n",
				 prefix, bytes, want[i].peak);
		text = read_file(out);
		assert_string_equal(text, expect);
		free(text);
	}
	free(bytes);
}

/* diff_prog: passing_peak's 1 MiB, allocated and freed, is in alloc_* alone */
static void test_top_alloc(void **state)
{
	char cmd[512], *top;

	(void)state;
	expect_top(report_pprof, "alloc_objects", "4", "3");
	/* in bytes, none dropped: 1 MiB would hide the 900 bytes as a small node */
	snprintf(cmd, sizeof(cmd),
		 "go tool pprof -top -unit=B -nodefraction=0 -sample_index=alloc_space '%s' 2>&1",
		 traced_pprof);
	top = run_shell(cmd);
	expect_flat(top, "keep_site", "4000B");
	expect_flat(top, "base_only_leak", "900B");
	expect_flat(top, "passing_peak", "1048576B");
	free(top);
	snprintf(cmd, sizeof(cmd), "go tool pprof -top -sample_index=alloc_objects '%s' 2>&1",
		 report_pprof);
	top = run_shell(cmd);
	expect_flat(top, "passing_peak", "1");
	free(top);
	snprintf(cmd, sizeof(cmd), "go tool pprof -top -sample_index=inuse_objects '%s' 2>&1",
		 traced_pprof);
	top = run_shell(cmd);
	if (strstr(top, "passing_peak"))
		fail_msg("passing_peak holds nothing live, yet:\n%s", top);
	free(top);
}

/* alloc_totals.c's sites, as its comment gives them */
static void test_alloc_totals_top(void **state)
{
	static const struct {
		const char *index, *function, *flat;
	} want[] = {
		{ "alloc_objects", "kept_site", "5" },
		{ "alloc_objects", "churn_site", "10" },
		{ "alloc_objects", "half_site", "6" },
		{ "alloc_objects", "lone_site", "3" },
		{ "alloc_objects", "pair_site", "4" },
		{ "alloc_space", "kept_site", "500B" },
		{ "alloc_space", "churn_site", "640B" },
		{ "alloc_space", "half_site", "1200B" },
		{ "alloc_space", "lone_site", "900B" },
		{ "alloc_space", "pair_site", "200B" },
		{ "inuse_objects", "half_site", "2" },
		{ "inuse_space", "half_site", "400B" },
		{ "inuse_space", "kept_site", "500B" },
	};
	char cmd[512], *top;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		/* -unit=B: bytes as bytes, not rounded to kB; it would give counts a B too */
		snprintf(cmd, sizeof(cmd), "go tool pprof -top %s -sample_index=%s '%s' 2>&1",
			 strstr(want[i].index, "space") ? "-unit=B" : "", want[i].index,
			 totals_pprof);
		top = run_shell(cmd);
		expect_flat(top, want[i].function, want[i].flat);
		free(top);
	}
}

/* The block of go tool pprof -traces output whose leaf is function; fails when none is. */
static char *trace_of(char *traces, const char *function)
{
	char leaf[64], *at, *start, *end;

	snprintf(leaf, sizeof(leaf), "   %s\n", function);
	at = strstr(traces, leaf);
	if (!at)
		fail_msg("no trace with leaf %s in:\n%s", function, traces);
	for (start = at; start > traces && strncmp(start, "-----------+", 12); start--)
		;
	end = strstr(at, "-----------+");
	if (end)
		*end = '\0';
	return start;
}

/* The tid of alloc_totals' thread named comm, from its snapshot. */
static json_int_t tid_named(const char *comm)
{
	json_t *root = json_load_file(totals_snap, 0, NULL), *threads, *t;
	json_int_t tid = -1;
	size_t i;

	assert_non_null(root);
	threads = json_object_get(json_array_get(json_object_get(root, "processes"), 0),
				  "threads");
	json_array_foreach(threads, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "comm")), comm))
			tid = json_integer_value(json_object_get(t, "tid"));
	json_decref(root);
	if (tid < 0)
		fail_msg("no thread %s in %s", comm, totals_snap);
	return tid;
}

/* lone_site's blocks are thread "lone"'s; pair_site's two threads' (several); main's */
static void test_thread_labels(void **state)
{
	char cmd[512], want[64], *traces, *block;

	(void)state;
	snprintf(cmd, sizeof(cmd), "go tool pprof -traces '%s' 2>&1", totals_pprof);
	traces = run_shell(cmd);
	block = trace_of(traces, "lone_site");
	snprintf(want, sizeof(want), "tid:  %lld\n", (long long)tid_named("lone"));
	if (!strstr(block, "thread:  lone\n") || !strstr(block, want))
		fail_msg("expected thread lone and %s in:\n%s", want, block);
	free(traces);
	traces = run_shell(cmd);
	block = trace_of(traces, "pair_site");
	if (!strstr(block, "thread:  several\n") || strstr(block, "tid:"))
		fail_msg("expected thread several and no tid in:\n%s", block);
	free(traces);
	traces = run_shell(cmd);
	block = trace_of(traces, "kept_site");
	snprintf(want, sizeof(want), "tid:  %lld\n", (long long)tid_named("alloc_totals"));
	if (!strstr(block, "thread:  alloc_totals\n") || !strstr(block, want))
		fail_msg("expected thread alloc_totals and %s in:\n%s", want, block);
	free(traces);
	snprintf(cmd, sizeof(cmd), "go tool pprof -raw '%s' 2>&1", totals_pprof);
	traces = run_shell(cmd);
	expect_mapping(traces, "alloc_totals");
	free(traces);
}

/*
 * Every allocation of alloc_totals is in one site, leak or freed (no
 * --max-sites cut, no --leak-age): the sites' totals add up to the run's.
 */
static void test_totals_add_up(void **state)
{
	json_t *root = json_load_file(totals_snap, 0, NULL), *totals, *site;
	json_int_t allocs = 0, bytes = 0, frees = 0, freed = 0;
	const char *const lists[] = { "leaks", "freed_sites" };
	size_t i;

	(void)state;
	assert_non_null(root);
	for (size_t l = 0; l < 2; l++) {
		json_array_foreach(json_object_get(root, lists[l]), i, site) {
			allocs += json_integer_value(json_object_get(site, "allocs"));
			bytes += json_integer_value(json_object_get(site, "allocated_bytes"));
			frees += json_integer_value(json_object_get(site, "frees"));
			freed += json_integer_value(json_object_get(site, "freed_bytes"));
		}
	}
	totals = json_object_get(root, "totals");
	assert_int_equal(allocs, json_integer_value(json_object_get(totals, "allocs")));
	assert_int_equal(bytes, json_integer_value(json_object_get(totals, "allocated_bytes")));
	assert_int_equal(frees, json_integer_value(json_object_get(totals, "frees")));
	assert_int_equal(freed, json_integer_value(json_object_get(totals, "freed_bytes")));
	/* alloc_totals' own: 28 allocations of 3440 bytes, 14 frees of 1440 bytes, and libc's */
	assert_true(allocs >= 28 && frees >= 14);
	json_decref(root);
}

/* The tracer's --folded-value count: allocations, churn_site's that freed everything too */
static void test_folded_count_traced(void **state)
{
	static const char *const lines[] = {
		";main;kept_site 5\n", ";main;churn_site 10\n", ";main;half_site 6\n",
		";lone_main;lone_site 3\n", ";pair_main;pair_site 4\n",
	};
	char *text = read_file(totals_folded);

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!strstr(text, lines[i]))
			fail_msg("expected a line ending \"%s\" in:\n%s", lines[i], text);
	free(text);
}

/* go tool pprof -raw: "N: 0xADDR M=1 make_buffer FILE:LINE s=0" then "  alloc_via_helper ..." */
static void test_inlined_lines(void **state)
{
	char profile[PATH_LEN], cmd[PATH_LEN + 64], *raw, *at, *next;
	struct mt_run run;

	(void)state;
	snprintf(profile, sizeof(profile), "%s/inline.pb.gz", dir);
	harness__run(&run, (const char *const[]){ "--stack=fp", "--pprof", profile, "--",
						  PROG("inline_alloc"), NULL });
	if (run.status)
		fail_msg("memtrace failed (status %d): %s", run.status, run.err);
	harness__release(&run);
	snprintf(cmd, sizeof(cmd), "go tool pprof -raw '%s' 2>&1", profile);
	raw = run_shell(cmd);
	at = strstr(raw, " make_buffer ");
	next = at ? strchr(at, '\n') : NULL;
	if (!next || strncmp(next + 1, "             alloc_via_helper ", 30))
		fail_msg("expected make_buffer, then alloc_via_helper in its location, in:\n%s", raw);
	free(raw);
}

/* The line of text that ends with tail starts with root. */
static void expect_folded_root(const char *text, const char *tail, const char *root)
{
	const char *at = strstr(text, tail), *start = at;

	while (start && start > text && start[-1] != '\n')
		start--;
	if (!at || strncmp(start, root, strlen(root)))
		fail_msg("expected a line ending \"%s\" under %s in:\n%s", tail, root, text);
}

/* gpu_linked.c's numbers: live at its end, by kind */
static void test_gpu_samples(void **state)
{
	char profile[PATH_LEN], folded[PATH_LEN], cmd[PATH_LEN + 96], *out;
	struct mt_run run;

	(void)state;
	snprintf(profile, sizeof(profile), "%s/gpu.pb.gz", dir);
	snprintf(folded, sizeof(folded), "%s/gpu.folded", dir);
	harness__run(&run, (const char *const[]){ "--stack=fp", "--pprof", profile, "--folded",
						  folded, "--", PROG("gpu_linked"), "--now",
						  NULL });
	if (run.status)
		fail_msg("memtrace failed (status %d): %s", run.status, run.err);
	harness__release(&run);

	snprintf(cmd, sizeof(cmd), "go tool pprof -top -unit=B -tagfocus=kind=managed '%s' 2>&1",
		 profile);
	out = run_shell(cmd);
	expect_flat(out, "rt_managed", "5242880B");
	free(out);
	snprintf(cmd, sizeof(cmd), "go tool pprof -top -unit=B -tagfocus=kind=device '%s' 2>&1",
		 profile);
	out = run_shell(cmd);
	expect_flat(out, "rt_malloc", "2097152B");
	expect_flat(out, "drv_alloc", "7340032B");
	if (strstr(out, "rt_managed"))
		fail_msg("managed memory under kind=device:\n%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "go tool pprof -raw '%s' 2>&1", profile);
	out = run_shell(cmd);
	if (!strstr(out, "allocator:[cuda.device]") || !strstr(out, "kind:[device]"))
		fail_msg("expected allocator:[cuda.device] and kind:[device] in:\n%s", out);
	free(out);

	out = read_file(folded);
	expect_folded_root(out, ";main;rt_managed 5242880\n", "[cuda.managed];");
	expect_folded_root(out, ";main;rt_malloc 2097152\n", "[cuda.device];");
	free(out);
}

static void expect_run(const char *const *args, int status, const char *err_start)
{
	struct mt_run run;

	harness__run(&run, args);
	if (run.status != status || strncmp(run.err, err_start, strlen(err_start)))
		fail_msg("expected status %d and stderr starting \"%s\", got %d and \"%s\"", status,
			 err_start, run.status, run.err);
	harness__release(&run);
}

static void test_errors(void **state)
{
	(void)state;
	/* found before anything is traced: true never runs */
	expect_run((const char *const[]){ "--pprof", "/nonexistent/p.pb.gz", "--", "true", NULL }, 1,
		   "memtrace: cannot write pprof profile to /nonexistent/p.pb.gz: No such file or "
		   "directory\n");
	expect_run((const char *const[]){ "--folded", "/nonexistent/f", "--", "true", NULL }, 1,
		   "memtrace: cannot write folded stacks to /nonexistent/f: No such file or "
		   "directory\n");
	expect_run((const char *const[]){ "--folded-value", "objects", "--", "true", NULL }, 64,
		   "memtrace: invalid --folded-value 'objects'");
	expect_run((const char *const[]){ "report", snap, "--format", "folded", "--folded-value",
					  "live", NULL }, 2,
		   "memtrace report: invalid --folded-value 'live'");
	expect_run((const char *const[]){ "report", snap, NULL }, 2,
		   "memtrace report: give --format pprof, folded, trace or html");
	expect_run((const char *const[]){ "report", snap, "--format", "svg", NULL }, 2,
		   "memtrace report: invalid --format 'svg': pprof, folded, trace or html");
	expect_run((const char *const[]){ "report", "--format", "pprof", "/nonexistent.json",
					  "-o", "/dev/null", NULL }, 2,
		   "memtrace report: cannot read /nonexistent.json: No such file or directory\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_inuse_space),
		cmocka_unit_test(test_top_inuse_objects),
		cmocka_unit_test(test_default_inuse_space),
		cmocka_unit_test(test_raw_labels),
		cmocka_unit_test(test_folded_lines),
		cmocka_unit_test(test_folded_values),
		cmocka_unit_test(test_top_alloc),
		cmocka_unit_test(test_alloc_totals_top),
		cmocka_unit_test(test_thread_labels),
		cmocka_unit_test(test_folded_count_traced),
		cmocka_unit_test(test_totals_add_up),
		cmocka_unit_test(test_inlined_lines),
		cmocka_unit_test(test_gpu_samples),
		cmocka_unit_test(test_errors),
	};

	harness__require_bpf("pprof");
	return cmocka_run_group_tests_name("integration: pprof and folded", tests, setup, teardown);
}
