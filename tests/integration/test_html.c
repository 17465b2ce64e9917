// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML report in a real browser: Debian's headless Chromium, driven by
 * tests/browser/html_report.js (puppeteer-core from npm, pinned by its
 * package-lock.json, installed by tools/install-deps.sh into build/browser),
 * with the network off. Pages of real runs:
 *
 *   - tests/progs/diff_prog.c, by --html at the tracer's end and by memtrace
 *     report from its -o snapshot: the summary equals the snapshot's, the
 *     flame graph holds keep_site's 4 x 1000 bytes and base_only_leak's
 *     3 x 300, its hover says so with file:line, a click zooms to the caller;
 *   - tests/progs/timeline_steps.c: the chart rises 0 -> 10 -> 20 MiB and
 *     falls to 5 MiB, as its hover shows, and a drag zooms to a time range;
 *   - memtrace diff --format html of diff_prog and leakier/diff_prog:
 *     keep_site grew from 4000 to 6000 bytes and is drawn red, base_only_leak
 *     is gone from the table;
 *   - tests/progs/gpu_linked.c through the CUDA test double: GPU device memory
 *     live and at its peak as the text report counts them, rt_managed's
 *     5 MiB in the flame graph, the GPU kinds' series in the chart, its two
 *     OOM events marked on it;
 *   - tests/progs/train_steps.c with --interval and --step-probe: its 20
 *     steps marked on the chart, step_leak's 20 x 1000 bytes growing, with
 *     the lifetimes of its blocks;
 *   - snapshots written by hand: with per-site allocs and allocated_bytes the
 *     flame graph offers those two measures beside live bytes and blocks, and
 *     sizes its root by their sums; without, only the live ones;
 *   - a snapshot written by hand whose names are markup ("</script><img ...>",
 *     "<b>x</b>"): shown as text, no element made, no script run, no request.
 *
 * Screenshots go to build/test-artifacts/html-*.png.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PATH_LEN  160
#define ARTIFACTS "build/test-artifacts"
#define MODULES	  "build/browser/node_modules/puppeteer-core"
#define MIB	  (1024 * 1024)

static char dir[] = "/tmp/memtrace-html-XXXXXX";

static void path_in(char *buf, const char *name)
{
	snprintf(buf, PATH_LEN, "%s/%s", dir, name);
}

/* Runs memtrace with args; fails the test, with its stderr, unless it exits with status 0. */
static void memtrace_ok(const char *const *args)
{
	struct mt_run run;

	harness__run(&run, args);
	if (run.status)
		fail_msg("memtrace %s failed (status %d): %s", args[0], run.status, run.err);
	harness__release(&run);
}

/* The browser script with args; its lines are printed, its status must be 0. */
static void browse(const char *args)
{
	char cmd[2048], line[1024];
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "node tests/browser/html_report.js %s 2>&1", args);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		printf("    %s", line);
	status = pclose(p);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("the page failed in the browser (status %d): %s", status, args);
}

static int setup(void **state)
{
	struct stat st;

	(void)state;
	/* installed by tools/install-deps.sh, as make test runs it: missing is a failure */
	if (stat("/usr/bin/chromium", &st) || stat(MODULES, &st) ||
	    system("node --version >/dev/null")) {
		fprintf(stderr, "test_html: needs /usr/bin/chromium, node and " MODULES
				": run tools/install-deps.sh as root\n");
		return -1;
	}
	mkdir(ARTIFACTS, 0755);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_LEN];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

#define SITES "--site keep_site=4000/4 --site base_only_leak=900/3"

static void test_report_page(void **state)
{
	char snap[PATH_LEN], traced[PATH_LEN], report[PATH_LEN], args[1024];

	(void)state;
	path_in(snap, "run.json");
	path_in(traced, "traced.html");
	path_in(report, "report.html");
	memtrace_ok((const char *const[]){"--stack=fp", "-o", snap, "--html", traced, "--",
					  PROG("diff_prog"), NULL});
	memtrace_ok((const char *const[]){"report", snap, "--format", "html", "-o", report, NULL});
	snprintf(args, sizeof(args), "report %s %s " ARTIFACTS "/html-report.png " SITES, report,
		 snap);
	browse(args);
	/* the tracer's own page: the final snapshot read back, the same numbers */
	snprintf(args, sizeof(args), "report %s %s " ARTIFACTS "/html-traced.png " SITES, traced,
		 snap);
	browse(args);
	/* passing_peak's 1 MiB, freed at once, is in the allocated views alone */
	snprintf(args, sizeof(args), "measures %s %s " ARTIFACTS "/html-measures.png --measures 4",
		 report, snap);
	browse(args);
}

static void test_timeline_page(void **state)
{
	char snap[PATH_LEN], page[PATH_LEN], phases[PATH_LEN], args[1024];

	(void)state;
	path_in(snap, "timeline.json");
	path_in(page, "timeline.html");
	path_in(phases, "phases");
	memtrace_ok((const char *const[]){"-o", snap, "--", PROG("timeline_steps"), phases, NULL});
	memtrace_ok((const char *const[]){"report", snap, "--format", "html", "-o", page, NULL});
	snprintf(args, sizeof(args),
		 "report %s %s " ARTIFACTS "/html-timeline.png --site grow=%d/1 "
		 "--timeline libc=0,%d,%d,%d",
		 page, snap, 5 * MIB, 10 * MIB, 20 * MIB, 5 * MIB);
	browse(args);
}

static void test_diff_page(void **state)
{
	char base[PATH_LEN], new[PATH_LEN], page[PATH_LEN], args[1024];
	struct mt_run run;

	(void)state;
	path_in(base, "base.json");
	path_in(new, "new.json");
	path_in(page, "diff.html");
	memtrace_ok((const char *const[]){"--stack=fp", "-o", base, "--", PROG("diff_prog"), NULL});
	memtrace_ok((const char *const[]){"--stack=fp", "-o", new, "--", PROG("leakier/diff_prog"),
					  NULL});
	/* a page that cannot be written: one line, status 2, nothing left behind */
	harness__run(&run, (const char *const[]){"diff", base, new, "--format", "html", "-o",
						 "/nonexistent/diff.html", NULL});
	assert_int_equal(run.status, 2);
	assert_string_equal(run.err, "memtrace: cannot write the diff to /nonexistent/diff.html: "
				     "No such file or directory\n");
	harness__release(&run);
	memtrace_ok((const char *const[]){"diff", base, new, "--format", "html", "-o", page, NULL});
	snprintf(args, sizeof(args),
		 "diff %s %s %s " ARTIFACTS
		 "/html-diff.png --grown keep_site --gone base_only_leak",
		 page, base, new);
	browse(args);
}

static void test_gpu_page(void **state)
{
	char snap[PATH_LEN], page[PATH_LEN], args[1024];

	(void)state;
	path_in(snap, "gpu.json");
	path_in(page, "gpu.html");
	memtrace_ok((const char *const[]){"--stack=fp", "-o", snap, "--html", page, "--",
					  PROG("gpu_linked"), "--now", NULL});
	snprintf(args, sizeof(args),
		 "report %s %s " ARTIFACTS "/html-gpu.png --site rt_managed=%d/1 --series libc "
		 "--series 'GPU device' --series 'GPU managed' --events oom=2",
		 page, snap, 5 * MIB);
	browse(args);
}

static void test_steps_page(void **state)
{
	char snap[PATH_LEN], page[PATH_LEN], args[1024];

	(void)state;
	path_in(snap, "steps.json");
	path_in(page, "steps.html");
	memtrace_ok((const char *const[]){"-o", snap, "--html", page, "--interval", "0.25",
					  "--step-probe", PROG("train_steps") ":train_step", "--",
					  PROG("train_steps"), NULL});
	snprintf(args, sizeof(args),
		 "report %s %s " ARTIFACTS "/html-steps.png --site step_leak=20000/20 "
		 "--events step=20 --growing step_leak",
		 page, snap);
	browse(args);
}

/* Markup in a frame's name and a process's comm, with a request and a script in it. */
#define HOSTILE "</script><img src=http://127.0.0.1:9/x onerror=window.pwned=1><!--"

static void test_hostile_names(void **state)
{
	char snap[PATH_LEN], page[PATH_LEN], args[1024];
	FILE *f;

	(void)state;
	path_in(snap, "hostile.json");
	path_in(page, "hostile.html");
	f = fopen(snap, "w");
	assert_non_null(f);
	fprintf(f, "{\"schema\": \"memtrace.snapshot.v1\", \"host\": \"h\", \"duration_s\": 1,"
		   " \"lost_events\": 0, \"totals\": {\"current_bytes\": 64, \"peak_bytes\": 64,"
		   " \"allocs\": 1, \"frees\": 0, \"reallocs\": 0, \"failed_allocs\": 0,"
		   " \"allocated_bytes\": 64, \"freed_bytes\": 0, \"unknown_frees\": 0},"
		   " \"processes\": [{\"pid\": 7, \"comm\": \"<b>x</b>\", \"current_bytes\": 64,"
		   " \"timeline\": {\"resolution_s\": 0.1, \"t_s\": [0], \"host_bytes\": "
		   "{\"libc\": [64]}, \"events\": []}}],"
		   " \"leaks\": [{\"pid\": 7, \"bytes\": 64, \"count\": 1, \"stack\": "
		   "[{\"symbol\": \"" HOSTILE "\"}, {\"symbol\": \"main\"}]}]}\n");
	assert_int_equal(fclose(f), 0);
	memtrace_ok((const char *const[]){"report", snap, "--format", "html", "-o", page, NULL});
	snprintf(args, sizeof(args), "hostile %s %s " ARTIFACTS "/html-hostile.png --name '%s'",
		 page, snap, HOSTILE);
	browse(args);
}

/* Two sites under main; ALLOC: their allocated totals, or nothing. */
#define SNAP_HEAD                                                                                  \
	"{\"schema\": \"memtrace.snapshot.v1\", \"host\": \"h\", \"duration_s\": 1,"               \
	" \"lost_events\": 0, \"totals\": {\"current_bytes\": 300, \"peak_bytes\": 900,"           \
	" \"allocs\": 12, \"frees\": 9, \"reallocs\": 0, \"failed_allocs\": 0,"                    \
	" \"allocated_bytes\": 1800, \"freed_bytes\": 1500, \"unknown_frees\": 0},"                \
	" \"processes\": [{\"pid\": 7, \"comm\": \"app\"}], \"leaks\": ["
#define SITE(bytes, count, alloc, sym)                                                             \
	"{\"pid\": 7, \"bytes\": " bytes ", \"count\": " count alloc ", \"stack\": "               \
	"[{\"symbol\": \"" sym "\"}, {\"symbol\": \"main\"}]}"

static void measures_page(const char *name, const char *json, const char *nr)
{
	char snap[PATH_LEN], page[PATH_LEN], file[32], args[1024];
	FILE *f;

	snprintf(file, sizeof(file), "%s.json", name);
	path_in(snap, file);
	snprintf(file, sizeof(file), "%s.html", name);
	path_in(page, file);
	f = fopen(snap, "w");
	assert_non_null(f);
	fputs(json, f);
	assert_int_equal(fclose(f), 0);
	memtrace_ok((const char *const[]){"report", snap, "--format", "html", "-o", page, NULL});
	snprintf(args, sizeof(args), "measures %s %s " ARTIFACTS "/html-%s.png --measures %s", page,
		 snap, name, nr);
	browse(args);
}

static void test_allocated_measures(void **state)
{
	(void)state;
	/* c freed all it allocated: in the allocated views, not in the live ones */
	measures_page("allocated",
		      SNAP_HEAD SITE("200", "2", ", \"allocs\": 10, \"allocated_bytes\": 1000", "a")
		      ", " SITE("100", "1", ", \"allocs\": 2, \"allocated_bytes\": 800", "b")
		      "], \"freed_sites\": ["
		      SITE("0", "0", ", \"allocs\": 5, \"allocated_bytes\": 500", "c") "]}",
		      "4");
	measures_page("live-only",
		      SNAP_HEAD SITE("200", "2", "", "a") ", " SITE("100", "1", "", "b") "]}", "2");
}

/*
 * The threads table's resource profile: resource_work's loopback client sends
 * 64 requests of 64 KiB and reads 64 replies of 16 KiB (tests/progs/resource_work.c):
 * exactly 4 MiB out and 1 MiB in; every thread's faults and bottleneck as the snapshot's.
 */
static void test_resources_page(void **state)
{
	char snap[PATH_LEN], page[PATH_LEN], args[1024];

	(void)state;
	path_in(snap, "res.json");
	path_in(page, "res.html");
	memtrace_ok((const char *const[]){"-o", snap, "--html", page, "--", PROG("resource_work"),
					  "net", NULL});
	snprintf(args, sizeof(args),
		 "report %s %s " ARTIFACTS "/html-resources.png "
		 "--thread 'netclient=4.00 MiB / 1.00 MiB' --thread 'netserver=1.00 MiB / 4.00 MiB'",
		 page, snap);
	browse(args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_page),   cmocka_unit_test(test_timeline_page),
		cmocka_unit_test(test_diff_page),     cmocka_unit_test(test_gpu_page),
		cmocka_unit_test(test_steps_page),    cmocka_unit_test(test_allocated_measures),
		cmocka_unit_test(test_hostile_names),  cmocka_unit_test(test_resources_page),
	};

	harness__require_bpf("html");
	return cmocka_run_group_tests_name("integration: HTML report in Chromium", tests, setup,
					   teardown);
}
