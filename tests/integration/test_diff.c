// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace diff, check and merge on real snapshots: tests/progs/diff_prog.c
 * traced in four builds (as is, leaking more, with a bigger peak, and
 * renamed and relinked elsewhere), then compared. Exact sites, exact
 * broken-rule lines, and exit status 0, 1 or 2 exactly when they should be.
 */
#include <fcntl.h>
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

#define SOURCE "tests/progs/diff_prog.c"

/* short paths under a short directory */
#define PATH_LEN 128

static char dir[] = "/tmp/memtrace-diff-XXXXXX";
static char base[PATH_LEN], leakier[PATH_LEN], peakier[PATH_LEN], relocated[PATH_LEN];

/* diff_prog.c's numbers */
#define BASE_LEAKS (4 * 1000 + 3 * 300)
#define LEAKIER_LEAKS (6 * 1000 + 4 * 512)

/* Starts memtrace -o DIR/NAME.json -- PROG, its output to DIR/NAME.log. */
static pid_t trace(const char *prog, char *out, const char *name)
{
	char log[PATH_LEN];
	pid_t pid;

	snprintf(out, PATH_LEN, "%s/%s.json", dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execl(MEMTRACE, MEMTRACE, "--stack=fp", "-o", out, "--", prog, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The four runs at once: each spends most of its time setting up and tearing down probes. */
static int setup(void **state)
{
	pid_t pids[4];
	int status, failed = 0;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	pids[0] = trace(PROG("diff_prog"), base, "base");
	pids[1] = trace(PROG("leakier/diff_prog"), leakier, "leakier");
	pids[2] = trace(PROG("peakier/diff_prog"), peakier, "peakier");
	pids[3] = trace(PROG("relocated/diff_prog"), relocated, "relocated");
	for (int i = 0; i < 4; i++) {
		if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
		    !WEXITSTATUS(status))
			continue;
		fprintf(stderr, "memtrace run %d failed: see the .log files in %s\n", i, dir);
		failed = 1;
	}
	return failed ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[PATH_LEN];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void expect(const char *const *args, int status, const char *err)
{
	struct mt_run run;

	harness__run(&run, args);
	if (run.status != status || (err && strcmp(run.err, err)))
		fail_msg("expected status %d and stderr \"%s\", got %d and \"%s\"", status,
			 err ? err : "(any)", run.status, run.err);
	harness__release(&run);
}

/* memtrace diff A B --fail-on RULES */
static void expect_diff(const char *a, const char *b, const char *rules, int status,
			const char *err)
{
	expect((const char *const[]){ "diff", a, b, "--fail-on", rules, NULL }, status, err);
}

/* The diff as JSON; the caller releases run. */
static json_t *diff_json(struct mt_run *run, const char *a, const char *b)
{
	harness__run(run, (const char *const[]){ "diff", "--format", "json", a, b, NULL });
	if (run->status != 0 || !run->snap)
		fail_msg("memtrace diff failed (status %d): %s", run->status, run->err);
	assert_string_equal(harness__str(run->snap, "schema"), "memtrace.diff.v1");
	return run->snap;
}

static json_t *site_by_leaf(const json_t *diff, const char *leaf)
{
	json_t *sites = json_object_get(diff, "sites"), *s;
	size_t i;

	json_array_foreach(sites, i, s) {
		json_t *frame = json_array_get(json_object_get(s, "frames"), 0);

		if (!strcmp(harness__str(frame, "symbol"), leaf))
			return s;
	}
	fail_msg("no site at %s", leaf);
	return NULL;
}

static void assert_change(const json_t *site, const char *key, uint64_t before, uint64_t after)
{
	json_t *c = json_object_get(site, key);

	assert_int_equal(harness__u64(c, "before"), before);
	assert_int_equal(harness__u64(c, "after"), after);
}

static void assert_summary(const json_t *diff, uint64_t new, uint64_t gone, uint64_t grown,
			   uint64_t shrunk, uint64_t same)
{
	json_t *s = json_object_get(diff, "sites_summary");

	assert_int_equal(harness__u64(s, "new"), new);
	assert_int_equal(harness__u64(s, "gone"), gone);
	assert_int_equal(harness__u64(s, "grown"), grown);
	assert_int_equal(harness__u64(s, "shrunk"), shrunk);
	assert_int_equal(harness__u64(s, "unchanged"), same);
}

static void test_leakier_sites(void **state)
{
	struct mt_run run;
	json_t *d, *s, *p;

	(void)state;
	d = diff_json(&run, base, leakier);
	assert_summary(d, 1, 1, 1, 0, 0);
	p = json_array_get(json_object_get(d, "processes"), 0);
	assert_int_equal(json_array_size(json_object_get(d, "processes")), 1);
	assert_string_equal(harness__str(p, "status"), "matched");
	assert_string_equal(harness__str(p, "name"), "diff_prog");
	s = site_by_leaf(d, "extra_leak");
	assert_string_equal(harness__str(s, "status"), "new");
	assert_change(s, "bytes", 0, 4 * 512);
	assert_change(s, "count", 0, 4);
	s = site_by_leaf(d, "keep_site");
	assert_string_equal(harness__str(s, "status"), "grown");
	assert_change(s, "bytes", 4000, 6000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "bytes"), "change")),
			 2000);
	assert_change(s, "count", 4, 6);
	s = site_by_leaf(d, "base_only_leak");
	assert_string_equal(harness__str(s, "status"), "gone");
	assert_change(s, "bytes", 900, 0);
	assert_change(json_object_get(d, "totals"), "leak_bytes", BASE_LEAKS, LEAKIER_LEAKS);
	/* the other way round, grown is shrunk and new is gone */
	harness__release(&run);
	d = diff_json(&run, leakier, base);
	assert_summary(d, 1, 1, 0, 1, 0);
	assert_string_equal(harness__str(site_by_leaf(d, "extra_leak"), "status"), "gone");
	assert_string_equal(harness__str(site_by_leaf(d, "keep_site"), "status"), "shrunk");
	harness__release(&run);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_leakier_rules(void **state)
{
	const char *prefix = "memtrace: rule broken: diff_prog/leak_count:+2: diff_prog (pid ";
	const char *suffix = "): 7 -> 10 (+3, +42.9%)\n";
	struct mt_run run;

	(void)state;
	/* exactly the increase: within bounds; a byte less: broken */
	expect_diff(base, leakier, "leak_bytes:+3148", 0, "");
	expect_diff(base, leakier, "leak_bytes:+3147", 1,
		    "memtrace: rule broken: leak_bytes:+3147: 4.78 KiB -> 7.85 KiB (+3.07 KiB, "
		    "+64.2%)\n");
	expect_diff(base, leakier, "new_leak_sites:0,leak_count:+3", 1,
		    "memtrace: rule broken: new_leak_sites:0: 0 -> 1 (+1)\n");
	/* PIDs differ from run to run: the line around them */
	harness__run(&run, (const char *const[]){ "diff", base, leakier, "--fail-on",
						   "diff_prog/leak_count:+2", "--fail-on",
						   "leak_sites:+0", NULL });
	assert_int_equal(run.status, 1);
	if (strncmp(run.err, prefix, strlen(prefix)) ||
	    strcmp(run.err + strlen(run.err) - strlen(suffix), suffix) || count_lines(run.err) != 1)
		fail_msg("unexpected: %s", run.err);
	harness__release(&run);
}

static void test_peakier(void **state)
{
	struct mt_run run;
	json_t *d, *peak;

	(void)state;
	d = diff_json(&run, base, peakier);
	/* the same leaks; the passing block 16 MiB instead of 1 */
	assert_summary(d, 0, 0, 0, 0, 2);
	peak = json_object_get(json_object_get(d, "totals"), "peak_bytes");
	assert_int_equal(json_integer_value(json_object_get(peak, "change")), 15 << 20);
	harness__release(&run);
	expect_diff(base, peakier, "peak_bytes:+5%", 1,
		    "memtrace: rule broken: peak_bytes:+5%: 1.00 MiB -> 16.0 MiB (+15.0 MiB, "
		    "+1493.0%)\n");
	expect_diff(base, peakier, "peak_bytes:+15MiB,leak_bytes:+0,new_leak_sites:0", 0, "");
	expect_diff(base, peakier, "diff_prog/peak_bytes:+15359KiB", 1, NULL);
}

/* Another source file name, another build directory: every site still matches. */
static void test_relocated_matches(void **state)
{
	struct mt_run run;
	json_t *d, *frame, *p;

	(void)state;
	d = diff_json(&run, base, relocated);
	assert_summary(d, 0, 0, 0, 0, 2);
	p = json_array_get(json_object_get(d, "processes"), 0);
	assert_string_equal(harness__str(p, "status"), "matched");
	/* and they did differ: the new side's frames are the relocated build's */
	frame = json_array_get(json_object_get(site_by_leaf(d, "keep_site"), "frames"), 0);
	assert_non_null(strstr(harness__str(frame, "module"), "/relocated/diff_prog"));
	assert_non_null(strstr(harness__str(frame, "file"), "renamed/other_name.c"));
	harness__release(&run);
	expect_diff(base, relocated,
		    "leak_bytes:+0,leak_count:+0,new_leak_sites:0,peak_bytes:+0,allocs:+0,"
		    "diff_prog/leak_sites:+0",
		    0, "");
}

static void test_check(void **state)
{
	char want[PATH_LEN + 128];

	(void)state;
	expect((const char *const[]){ "check", base, "--fail-on", "leak_bytes:0", NULL }, 1,
	       "memtrace: rule broken: leak_bytes:0: 4.78 KiB (limit 0 B)\n");
	expect((const char *const[]){ "check", base, "--fail-on", "leak_bytes:4900,peak_bytes:2MiB",
				      "--fail-on", "diff_prog/leak_sites:2", NULL },
	       0, "");
	snprintf(want, sizeof(want), "memtrace check: rule 'nope/leak_bytes:0': no process named "
				     "'nope' in %s\n", base);
	expect((const char *const[]){ "check", base, "--fail-on", "nope/leak_bytes:0", NULL }, 2,
	       want);
}

static void test_rules_file(void **state)
{
	char path[PATH_LEN];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/memtrace.rules", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# limits kept with the code\n\npeak_bytes:+5%\nleak_bytes:+1KiB   # a little\n"
	      "new_leak_sites:0\n",
	      f);
	fclose(f);
	expect((const char *const[]){ "diff", base, relocated, "--rules", path, NULL }, 0, "");
	expect((const char *const[]){ "diff", base, leakier, "--rules", path, NULL }, 1,
	       "memtrace: rule broken: leak_bytes:+1KiB: 4.78 KiB -> 7.85 KiB (+3.07 KiB, +64.2%)\n"
	       "memtrace: rule broken: new_leak_sites:0: 0 -> 1 (+1)\n");
}

static void test_markdown(void **state)
{
	struct mt_run run;
	char row[256];

	(void)state;
	harness__run(&run, (const char *const[]){ "diff", "--format", "markdown", base, leakier,
						   "--fail-on", "new_leak_sites:0", NULL });
	assert_int_equal(run.status, 1);
	snprintf(row, sizeof(row),
		 "| grown | +1.95 KiB, +50.0%% | 3.90 KiB (4) | 5.85 KiB (6) | `keep_site "
		 "(diff_prog.c:%u)` |\n",
		 harness__marker_line(SOURCE, "keep_site"));
	assert_non_null(strstr(run.out, "### memtrace diff\n"));
	assert_non_null(strstr(run.out, "**1 of 1 rules broken:**\n\n- `new_leak_sites:0`: 0 → 1 "
					"(+1)\n"));
	assert_non_null(strstr(run.out, "| leak_bytes | 4.78 KiB | 7.85 KiB | +3.07 KiB, +64.2% "
					"|\n"));
	if (!strstr(run.out, row))
		fail_msg("no row %s in:\n%s", row, run.out);
	harness__release(&run);
}

static void test_usage_errors(void **state)
{
	(void)state;
	expect((const char *const[]){ "diff", base, NULL }, 2,
	       "memtrace diff: give two snapshots: BASE.json NEW.json\n"
	       "Try `memtrace diff --help' or `memtrace diff --usage' for more information.\n");
	expect((const char *const[]){ "diff", base, leakier, peakier, NULL }, 2, NULL);
	expect((const char *const[]){ "diff", "--format", "xml", base, leakier, NULL }, 2, NULL);
	expect((const char *const[]){ "diff", "--fail-on", "peak:+5%", base, leakier, NULL }, 2,
	       "memtrace diff: --fail-on: 'peak:+5%': unknown metric 'peak'\n"
	       "Try `memtrace diff --help' or `memtrace diff --usage' for more information.\n");
	expect((const char *const[]){ "diff", "--rules", "/nonexistent.rules", base, leakier,
				      NULL },
	       2, NULL);
	expect((const char *const[]){ "diff", "--bogus", base, leakier, NULL }, 2, NULL);
	expect((const char *const[]){ "check", base, NULL }, 2, NULL);
	expect((const char *const[]){ "check", base, "--fail-on", "peak_bytes:+5%", NULL }, 2,
	       NULL);
	expect((const char *const[]){ "merge", NULL }, 2, NULL);
	/* a typo in a process name must not pass a job */
	expect((const char *const[]){ "diff", base, leakier, "--fail-on", "dif_prog/peak_bytes:+0",
				      NULL },
	       2, NULL);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* A bad snapshot: one line naming the file and where, status 2, nothing on stdout. */
static void expect_bad_input(const char *path, const char *what)
{
	struct mt_run run;

	harness__run(&run, (const char *const[]){ "diff", base, path, "--fail-on", "leak_bytes:+0",
						   NULL });
	if (run.status != 2 || strncmp(run.err, "memtrace diff: ", 15) || !strstr(run.err, path) ||
	    !strstr(run.err, what) || count_lines(run.err) != 1)
		fail_msg("%s: expected status 2 and one line naming it with \"%s\", got %d: %s",
			 path, what, run.status, run.err);
	assert_string_equal(run.out, "");
	harness__release(&run);
}

static void test_bad_input(void **state)
{
	const char *garbage, *newer;
	char path[PATH_LEN], *text;
	size_t len;
	FILE *f;

	(void)state;
	f = fopen(base, "r");
	assert_non_null(f);
	text = malloc(1 << 20);
	assert_non_null(text);
	len = fread(text, 1, 1 << 20, f);
	fclose(f);
	/* cut in the middle: the reader says at which line and column the file ends */
	snprintf(path, sizeof(path), "%s/truncated.json", dir);
	write_file(path, text, len / 2);
	expect_bad_input(path, "truncated");
	snprintf(path, sizeof(path), "%s/garbage.json", dir);
	garbage = "{\"schema\": \"memtrace.snapshot.v1\",\n  \"totals\": nope}\n";
	write_file(path, garbage, strlen(garbage));
	expect_bad_input(path, ":2:");
	snprintf(path, sizeof(path), "%s/newer.json", dir);
	newer = "{\"schema\": \"memtrace.snapshot.v2\"}";
	write_file(path, newer, strlen(newer));
	expect_bad_input(path, "newer");
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	expect_bad_input(path, "No such file or directory");
	free(text);
}

/* Two ranks, merged: one check covers the job, and the diff says which rank moved. */
static void merge(const char *out, const char *sub, const char *rank0, const char *rank1)
{
	char cmd[6 * PATH_LEN], r0[PATH_LEN], r1[PATH_LEN];

	snprintf(r0, sizeof(r0), "%s/%s/rank0.json", dir, sub);
	snprintf(r1, sizeof(r1), "%s/%s/rank1.json", dir, sub);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/%s && cp %s %s && cp %s %s", dir, sub, rank0, r0,
		 rank1, r1);
	assert_int_equal(system(cmd), 0);
	expect((const char *const[]){ "merge", r0, r1, "-o", out, NULL }, 0, "");
}

/* Two ranks, merged: one check covers the job, and the diff says which rank moved. */
static void test_merged_ranks(void **state)
{
	char base_job[PATH_LEN], new_job[PATH_LEN], rule[64], host[256], rank1[300];
	json_t *d, *procs, *s, *p, *rank0;
	struct mt_run run;

	(void)state;
	snprintf(base_job, sizeof(base_job), "%s/base_job.json", dir);
	snprintf(new_job, sizeof(new_job), "%s/new_job.json", dir);
	merge(base_job, "b", base, base);
	merge(new_job, "n", relocated, leakier);

	snprintf(rule, sizeof(rule), "leak_bytes:%d", BASE_LEAKS + LEAKIER_LEAKS);
	expect((const char *const[]){ "check", new_job, "--fail-on", rule, NULL }, 0, "");
	snprintf(rule, sizeof(rule), "leak_bytes:%d", BASE_LEAKS + LEAKIER_LEAKS - 1);
	expect((const char *const[]){ "check", new_job, "--fail-on", rule, NULL }, 1, NULL);

	d = diff_json(&run, base_job, new_job);
	procs = json_object_get(d, "processes");
	assert_int_equal(json_array_size(procs), 2);
	assert_summary(d, 1, 1, 1, 0, 2);
	s = site_by_leaf(d, "extra_leak");
	p = json_array_get(procs, harness__u64(s, "process"));
	gethostname(host, sizeof(host));
	snprintf(rank1, sizeof(rank1), "rank1.json@%s", host);
	assert_string_equal(harness__str(json_object_get(p, "after"), "source"), rank1);
	assert_string_equal(harness__str(json_object_get(p, "before"), "source"), rank1);
	/* rank 1's PID was rank 0's too: renumbered in the base job */
	rank0 = json_object_get(json_array_get(procs, 0), "before");
	assert_int_not_equal(harness__u64(json_object_get(p, "before"), "pid"),
			     harness__u64(rank0, "pid"));
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leakier_sites),
		cmocka_unit_test(test_leakier_rules),
		cmocka_unit_test(test_peakier),
		cmocka_unit_test(test_relocated_matches),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_rules_file),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_merged_ranks),
	};

	harness__require_bpf("diff");
	return cmocka_run_group_tests_name("integration: diff", tests, setup, teardown);
}
