// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace top in a real terminal: tmux runs it against
 * tests/progs/top_leak.c, which allocates 1 MiB every 200 ms, holds the
 * blocks, frees them all and writes its own figure after each change. The
 * screen, read back with tmux capture-pane, shows the leak function in the
 * sites view within two refreshes of its first block, rising, then the
 * program's exact amounts in the thread table; keys switch views, expand
 * the stack, write a snapshot; q ends the run with the final snapshot and
 * the report on the terminal given back. --batch's frames are parsed to the
 * byte; no terminal, or one too small, is refused with exit status 64.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define MIB (1024 * 1024ULL)
#define SOURCE "tests/progs/top_leak.c"
/* within two refreshes of 1 s, and what reading the screen back takes */
#define TWO_REFRESHES_MS 2500
#define STARTUP_MS 20000
#define NO_TERMINAL "memtrace: top needs a terminal on stdin and stdout; --batch prints plain " \
		    "text frames instead\n"

static char dir[] = "/tmp/memtrace-top-XXXXXX";
static char sock[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	nanosleep(&ts, NULL);
}

/* A tmux command on the test's own server; its exit status. */
static int tmux(const char *fmt, ...)
{
	char cmd[4096], args[3800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "tmux -L %s %s", sock, args);
	return system(cmd);
}

/* What the pane shows now, as text; free it. */
static char *capture(void)
{
	char cmd[128], *text = NULL;
	size_t len = 0, n;
	char buf[4096];
	FILE *p, *out = open_memstream(&text, &len);

	snprintf(cmd, sizeof(cmd), "tmux -L %s capture-pane -p -J -t top", sock);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, out);
	pclose(p);
	fclose(out);
	return text;
}

/* The screen once it shows want, within ms; the test fails with the last screen otherwise. */
static char *wait_screen(const char *want, long ms)
{
	double end = now_s() + ms / 1e3;
	char *s;

	for (;;) {
		s = capture();
		if (strstr(s, want))
			return s;
		if (now_s() > end)
			break;
		free(s);
		sleep_ms(50);
	}
	fail_msg("no '%s' on the screen within %ld ms; it shows:\n%s", want, ms, s);
	return NULL;
}

/* The screen's line holding want, copied into line; false when none does. */
static bool screen_line(const char *screen, const char *want, char *line, size_t len)
{
	const char *at = strstr(screen, want), *start, *end;

	if (!at)
		return false;
	for (start = at; start > screen && start[-1] != '\n'; start--)
		;
	end = strchr(at, '\n');
	snprintf(line, len, "%.*s", (int)(end ? end - start : (long)strlen(start)), start);
	return true;
}

/* "10M", "3.0M", "0B": whole MiB and 0 B are exact on the screen. */
static uint64_t screen_bytes(const char *s)
{
	double v;
	char unit;

	if (sscanf(s, "%lf%c", &v, &unit) != 2)
		fail_msg("not bytes: '%s'", s);
	if (unit == 'B')
		return (uint64_t)v;
	if (unit == 'K')
		return (uint64_t)(v * 1024 + 0.5);
	if (unit == 'M')
		return (uint64_t)(v * MIB + 0.5);
	fail_msg("unexpected unit in '%s'", s);
	return 0;
}

static double first_block_s;	/* CLOCK_MONOTONIC of top_leak's first block */

/* The program's own figure: its phase, steps done and live bytes; false before the first. */
static bool figure(char phase[16], int *steps, uint64_t *bytes)
{
	char path[256];
	unsigned long long b, t0;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/fig", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fscanf(f, "%15s %d %llu %llu", phase, steps, &b, &t0) == 4;
	fclose(f);
	*bytes = b;
	first_block_s = t0 / 1e9;
	return ok;
}

static void wait_phase(const char *want, long ms)
{
	double end = now_s() + ms / 1e3;
	char phase[16];
	uint64_t bytes;
	int steps;

	while (!figure(phase, &steps, &bytes) || strcmp(phase, want)) {
		if (now_s() > end)
			fail_msg("top_leak never said '%s'", want);
		sleep_ms(20);
	}
}

/* LIVE of the sites view's line of the leak (its first column); the line in *line. */
static uint64_t site_live(const char *screen, const char *site, char *line, size_t len)
{
	char live[32];

	if (!screen_line(screen, site, line, len))
		fail_msg("no line '%s' in:\n%s", site, screen);
	assert_int_equal(sscanf(line, "%31s", live), 1);
	return screen_bytes(live);
}

static void start_top_env(const char *env, const char *opts, const char *hold_ms, int cols,
			  int rows)
{
	char cwd[4096], path[256];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(path, sizeof(path), "%s/status", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fig", dir);
	unlink(path);
	tmux("kill-session -t top 2>/dev/null");
	assert_int_equal(tmux("new-session -d -s top -x %d -y %d \"cd %s && LC_ALL=C.UTF-8 %s "
			      MEMTRACE " top %s -- " PROG("top_leak") " %s/fig 10 %s; "
			      "echo \\$? > %s/status; sleep 600\"",
			      cols, rows, cwd, env, opts, dir, hold_ms, dir),
			 0);
}

static void start_top(const char *opts, const char *hold_ms, int cols, int rows)
{
	start_top_env("", opts, hold_ms, cols, rows);
}

/* memtrace's exit status, once the shell in the pane wrote it. */
static int wait_status(long ms)
{
	double end = now_s() + ms / 1e3;
	char path[256];
	int status = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/status", dir);
	while (!(f = fopen(path, "r"))) {
		if (now_s() > end)
			fail_msg("memtrace top did not end");
		sleep_ms(50);
	}
	sleep_ms(50);
	assert_int_equal(fscanf(f, "%d", &status), 1);
	fclose(f);
	return status;
}

static json_t *load_snapshot(const char *name)
{
	char path[256];
	json_error_t e;
	json_t *snap;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snap = json_load_file(path, 0, &e);
	if (!snap)
		fail_msg("%s: %s", path, e.text);
	return snap;
}

/* The first block: the sites view shows the leak function within two refreshes, then rising. */
static void check_rising(const char *site)
{
	char line[512], phase[16], *s;
	uint64_t first, later, bytes;
	double t0, seen;
	int steps;

	s = wait_screen("[p] processes", STARTUP_MS);
	free(s);
	assert_int_equal(tmux("send-keys -t top S"), 0);
	s = wait_screen("GROWTH/s", 1000);
	free(s);
	for (double end = now_s() + STARTUP_MS / 1e3; !figure(phase, &steps, &bytes); sleep_ms(10))
		if (now_s() > end)
			fail_msg("top_leak wrote no figure");
	t0 = first_block_s;
	s = wait_screen(site, TWO_REFRESHES_MS);
	seen = now_s();
	first = site_live(s, site, line, sizeof(line));
	/* two refreshes from the program's first block to the screen's line */
	if (seen - t0 >= TWO_REFRESHES_MS / 1e3)
		fail_msg("the leak site came %.3f s after its first block", seen - t0);
	/* what a frame showed, the program had done by then: whole MiB, at most its figure */
	assert_true(figure(phase, &steps, &bytes));
	assert_true(first >= MIB && first <= bytes && first % MIB == 0);
	free(s);
	/* the next frame shows more, still no more than the program has */
	do {
		sleep_ms(100);
		s = capture();
		later = site_live(s, site, line, sizeof(line));
		free(s);
	} while (later == first && now_s() - seen < TWO_REFRESHES_MS / 1e3);
	assert_true(figure(phase, &steps, &bytes));
	if (later <= first || later > bytes || later % MIB)
		fail_msg("the leak's live bytes went from %llu to %llu, the program had %llu",
			 (unsigned long long)first, (unsigned long long)later,
			 (unsigned long long)bytes);
}

/* Holding 10 MiB: the sites view, the thread table and the header say exactly that. */
static void check_holding(const char *site)
{
	char line[512], comm[32], live[32], peak[32], *s;
	unsigned int pid, tid;

	wait_phase("holding", 5000);
	s = wait_screen("    10M       10 ", TWO_REFRESHES_MS);
	assert_int_equal(site_live(s, site, line, sizeof(line)), 10 * MIB);
	assert_non_null(strstr(s, "host live   10.0 MiB"));
	/* the minute's sparkline: Unicode blocks under a UTF-8 locale */
	assert_non_null(strstr(s, "\u2588"));
	free(s);
	assert_int_equal(tmux("send-keys -t top t"), 0);
	s = wait_screen("    TID COMM", 1000);
	assert_true(screen_line(s, " top_leak ", line, sizeof(line)));
	assert_int_equal(sscanf(line, "%u %u %31s %31s %31s", &pid, &tid, comm, live, peak), 5);
	assert_int_equal(pid, tid);
	assert_string_equal(comm, "top_leak");
	assert_int_equal(screen_bytes(live), 10 * MIB);
	assert_int_equal(screen_bytes(peak), 10 * MIB);
	free(s);
	/* /: only the rows whose name holds the filter; Esc clears it */
	assert_int_equal(tmux("send-keys -t top / z z z"), 0);
	s = wait_screen("filter: zzz_", 1000);
	assert_null(strstr(s, " top_leak "));
	free(s);
	assert_int_equal(tmux("send-keys -t top Escape"), 0);
	s = wait_screen(" top_leak ", 1000);
	assert_null(strstr(s, "filter: "));
	free(s);
	/* p: the processes view has no TID column */
	assert_int_equal(tmux("send-keys -t top p"), 0);
	s = wait_screen("    PID COMM", 1000);
	assert_null(strstr(s, "TID"));
	free(s);
}

/* S, Enter: the site's whole stack, leaf first, with file:line. */
static void check_stack(unsigned int leak_line)
{
	char want[64], *s;

	assert_int_equal(tmux("send-keys -t top S"), 0);
	free(wait_screen("GROWTH/s", 1000));
	assert_int_equal(tmux("send-keys -t top Enter"), 0);
	s = wait_screen("Stack (leaf first", 1000);
	snprintf(want, sizeof(want), "    top_leak_step+0x");
	assert_non_null(strstr(s, want));
	snprintf(want, sizeof(want), " (top_leak.c:%u)  (", leak_line);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "    main+0x"));
	free(s);
}

/* s: a snapshot now, one of the trail, with the program's 10 MiB. */
static void check_snapshot_key(void)
{
	char want[256];
	json_t *snap, *p;

	assert_int_equal(tmux("send-keys -t top s"), 0);
	snprintf(want, sizeof(want), "snapshot written to %s/snap-0001.json", dir);
	free(wait_screen(want, 2000));
	snap = load_snapshot("snap-0001.json");
	assert_false(json_is_true(json_object_get(snap, "final")));
	p = harness__only_process(snap);
	assert_int_equal(harness__u64(p, "current_bytes"), 10 * MIB);
	assert_int_equal(harness__u64(p, "allocs"), 10);
	assert_int_equal(harness__u64(p, "frees"), 0);
	json_decref(snap);
}

static void test_screen(void **state)
{
	char site[64], line[512], comm[32], live[32], peak[32], opts[512], *s;
	unsigned int leak_line = harness__marker_line(SOURCE, "leak"), pid, tid;
	json_t *snap, *p;

	(void)state;
	snprintf(site, sizeof(site), "top_leak_step (top_leak.c:%u)", leak_line);
	snprintf(opts, sizeof(opts), "-o %s/", dir);
	start_top(opts, "9000", 160, 50);
	check_rising(site);
	check_holding(site);
	check_stack(leak_line);
	check_snapshot_key();
	/* freed: the thread table follows within two refreshes */
	wait_phase("freed", 10000);
	assert_int_equal(tmux("send-keys -t top t"), 0);
	s = wait_screen("    TID COMM", 1000);
	free(s);
	for (double end = now_s() + TWO_REFRESHES_MS / 1e3;; sleep_ms(100)) {
		s = capture();
		assert_true(screen_line(s, " top_leak ", line, sizeof(line)));
		assert_int_equal(sscanf(line, "%u %u %31s %31s %31s", &pid, &tid, comm, live, peak),
				 5);
		free(s);
		if (!screen_bytes(live) || now_s() > end)
			break;
	}
	assert_int_equal(screen_bytes(live), 0);
	assert_int_equal(screen_bytes(peak), 10 * MIB);
	/* q: tracing ends as SIGTERM ends it; CMD gets it too, and its status is memtrace's */
	assert_int_equal(tmux("send-keys -t top q"), 0);
	assert_int_equal(wait_status(15000), 128 + 15);
	snap = load_snapshot("snap-0002.json");
	assert_true(json_is_true(json_object_get(snap, "final")));
	p = harness__only_process(snap);
	assert_int_equal(harness__u64(p, "current_bytes"), 0);
	assert_int_equal(harness__u64(p, "peak_bytes"), 10 * MIB);
	assert_int_equal(harness__u64(p, "allocated_bytes"), 10 * MIB);
	assert_int_equal(harness__u64(p, "allocs"), 10);
	assert_int_equal(harness__u64(p, "frees"), 10);
	json_decref(snap);
	/* the terminal is back: the report is on its main screen, the live view gone */
	s = capture();
	assert_non_null(strstr(s, "memtrace: 1 process traced for"));
	assert_non_null(strstr(s, "Totals: current 0 B, peak 10.0 MiB, 10.0 MiB allocated | 10 "
				  "allocs, 10 frees"));
	assert_null(strstr(s, "q quit  p/t/S view"));
	free(s);
	tmux("kill-session -t top");
}

/* The header's first line: it holds the time elapsed. */
static void header_line(char *line, size_t len)
{
	char *s = capture();

	assert_true(screen_line(s, "memtrace top - ", line, len));
	free(s);
}

/*
 * Space pauses the screen (the elapsed time stands still), space again
 * goes on; Ctrl-C then ends the run as it ends one without top: CMD gets
 * SIGINT from the terminal, the final snapshot and the report are written.
 */
static void test_pause_and_ctrl_c(void **state)
{
	char opts[512], before[256], after[256], *s;
	json_t *snap, *p;

	(void)state;
	snprintf(opts, sizeof(opts), "-o %s/final.json", dir);
	start_top(opts, "30000", 120, 40);
	free(wait_screen("[p] processes", STARTUP_MS));
	wait_phase("holding", 10000);
	assert_int_equal(tmux("send-keys -t top Space"), 0);
	free(wait_screen(" PAUSED ", 1000));
	header_line(before, sizeof(before));
	sleep_ms(2200);
	header_line(after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(tmux("send-keys -t top Space"), 0);
	for (double end = now_s() + TWO_REFRESHES_MS / 1e3; !strcmp(before, after); sleep_ms(100)) {
		assert_true(now_s() < end);
		header_line(after, sizeof(after));
	}
	assert_null(strstr(after, "PAUSED"));
	assert_int_equal(tmux("send-keys -t top C-c"), 0);
	assert_int_equal(wait_status(15000), 128 + 2);
	snap = load_snapshot("final.json");
	assert_true(json_is_true(json_object_get(snap, "final")));
	p = harness__only_process(snap);
	assert_int_equal(harness__u64(p, "current_bytes"), 10 * MIB);
	assert_int_equal(harness__u64(p, "allocs"), 10);
	assert_int_equal(harness__u64(p, "frees"), 0);
	json_decref(snap);
	s = capture();
	assert_non_null(strstr(s, "Totals: current 10.0 MiB, peak 10.0 MiB, 10.0 MiB allocated | "
				  "10 allocs, 0 frees"));
	assert_null(strstr(s, "q quit  p/t/S view"));
	free(s);
	tmux("kill-session -t top");
}

/* A line of the pane's state in tmux's own words (#{alternate_on}: the screen is up). */
static int pane_flag(const char *format)
{
	char cmd[256], out[16] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "tmux -L %s display -p -t top '%s'", sock, format);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	return atoi(out);
}

/*
 * A fatal signal (SIGABRT here) while the screen is up: the terminal is
 * given back as memtrace dies (main screen, cooked mode, echo), and it
 * dies of the signal. Under LC_ALL=C the sparkline was ASCII.
 */
static void test_restored_on_fatal_signal(void **state)
{
	char cwd[4096], path[256], line[512], stty[4096] = "", *s;
	long pid = 0;
	FILE *f;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(path, sizeof(path), "%s/status", dir);
	unlink(path);
	tmux("kill-session -t top 2>/dev/null");
	/* the inner shell writes its PID, then becomes memtrace */
	assert_int_equal(tmux("new-session -d -s top -x 120 -y 40 \"cd %s && LC_ALL=C sh -c 'echo "
			      "\\$\\$ > %s/pid; exec " MEMTRACE " top -- " PROG("top_leak")
			      " %s/fig 3 30000'; echo \\$? > %s/status; stty -a > %s/stty; "
			      "sleep 600\"",
			      cwd, dir, dir, dir, dir),
			 0);
	s = wait_screen("[p] processes", STARTUP_MS);
	free(s);
	wait_phase("holding", 10000);
	s = wait_screen("host live   3.00 MiB", TWO_REFRESHES_MS);
	assert_true(screen_line(s, "host live", line, sizeof(line)));
	assert_null(strstr(s, "\u2581"));
	assert_non_null(strchr(line + strlen("host live   3.00 MiB"), '#'));
	free(s);
	assert_int_equal(pane_flag("#{alternate_on}"), 1);
	snprintf(path, sizeof(path), "%s/pid", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_int_equal(kill((pid_t)pid, SIGABRT), 0);
	assert_int_equal(wait_status(15000), 128 + SIGABRT);
	assert_int_equal(pane_flag("#{alternate_on}"), 0);
	snprintf(path, sizeof(path), "%s/stty", dir);
	for (double end = now_s() + 2; !(f = fopen(path, "r")); sleep_ms(50))
		assert_true(now_s() < end);
	sleep_ms(100);
	assert_true(fread(stty, 1, sizeof(stty) - 1, f) > 0);
	fclose(f);
	/* cooked again: line editing and echo on, as the shell left them */
	assert_non_null(strstr(stty, " icanon"));
	assert_null(strstr(stty, "-icanon"));
	assert_non_null(strstr(stty, " echo "));
	tmux("kill-session -t top");
}

/* One --batch line's tab-separated fields, in f (at most max); their count. */
static int fields(char *line, char **f, int max)
{
	int n = 0;

	for (char *tok = strtok(line, "\t"); tok && n < max; tok = strtok(NULL, "\t"))
		f[n++] = tok;
	return n;
}

/*
 * The resource profile's columns of a top_leak row: it sleeps between its
 * steps (a few % of a CPU at most), never touches a socket, and no part of
 * its wall time reaches half: "balanced" (README, "Resource profiles").
 */
static void check_batch_resources(char **f)
{
	char *end;
	double cpu = strtod(f[0], &end);

	assert_true(*end == '\0' && cpu >= 0 && cpu < 20);		/* CPU% */
	assert_true(strtod(f[1], &end) >= 0 && *end == '\0');	/* FLT/s */
	assert_true(strtod(f[2], &end) >= 0 && *end == '\0');	/* IO/s */
	assert_string_equal(f[3], "0");				/* NET/s */
	assert_string_equal(f[4], "balanced");
}

static void check_batch_row(char **f, int n, bool thread, unsigned long long bytes)
{
	int at = thread ? 3 : 2;

	assert_int_equal(n, thread ? 15 : 14);
	assert_string_equal(f[at], "top_leak");
	assert_int_equal(strtoull(f[at + 1], NULL, 10), bytes);	/* LIVE */
	assert_int_equal(strtoull(f[at + 2], NULL, 10), bytes);	/* PEAK: it never freed */
	assert_string_equal(f[at + 4], "0");			/* FREE/s */
	assert_string_equal(f[at + 5], "-");			/* GPU: no GPU library */
	check_batch_resources(f + at + 6);
	assert_string_equal(f[n - 1], "0");			/* ENDED: it runs */
}

static void check_batch_frame(char *frame, int k, unsigned int leak_line)
{
	char *line, *save, *f[16], site[64];
	unsigned long long live = 0, pid = 0;
	double elapsed = 0;
	int n, kinds = 0;

	for (line = strtok_r(frame, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		n = fields(line, f, 16);
		if (!strcmp(f[0], "frame")) {
			assert_int_equal(n, 8);
			assert_int_equal(atoi(f[1]), k);
			elapsed = atof(f[2]);
			assert_true(elapsed > k - 0.2 && elapsed < k + 0.5);
			assert_string_equal(f[3], "1");	/* processes */
			assert_string_equal(f[4], "1");	/* running */
			live = strtoull(f[5], NULL, 10);
			assert_string_equal(f[6], "0");	/* GPU */
			assert_string_equal(f[7], "0");	/* lost */
			kinds |= 1;
		} else if (!strcmp(f[0], "process")) {
			pid = strtoull(f[1], NULL, 10);
			check_batch_row(f, n, false, live);
			/*
			 * never freed: allocated is live, and the first frame's rate is it over
			 * the time elapsed (printed to the ms: 0.1% apart at most)
			 */
			if (k == 1 && fabs(strtod(f[5], NULL) - live / elapsed) > live / elapsed / 1000)
				fail_msg("first frame: %s B/s allocated, %llu B live in %.3f s", f[5],
					 live, elapsed);
			kinds |= 2;
		} else if (!strcmp(f[0], "thread")) {
			assert_int_equal(strtoull(f[1], NULL, 10), pid);
			assert_int_equal(strtoull(f[2], NULL, 10), pid);
			check_batch_row(f, n, true, live);
			kinds |= 4;
		} else if (!strcmp(f[0], "site")) {
			assert_int_equal(n, 7);
			assert_int_equal(strtoull(f[1], NULL, 10), pid);
			assert_int_equal(strtoull(f[2], NULL, 10), live);
			assert_int_equal(strtoull(f[3], NULL, 10), live / MIB);
			assert_string_equal(f[5], "libc");
			snprintf(site, sizeof(site), "top_leak_step (top_leak.c:%u)", leak_line);
			assert_string_equal(f[6], site);
			kinds |= 8;
		} else {
			fail_msg("unexpected line kind '%s'", f[0]);
		}
	}
	assert_int_equal(kinds, 15);
	/* the program held its 4 MiB long before the last frame */
	if (k == 4)
		assert_int_equal(live, 4 * MIB);
}

/* --batch -n 4: four frames on stdout and nothing else, their figures exact. */
static void test_batch(void **state)
{
	char fig[256], *frame, *end, *at;
	unsigned int leak_line = harness__marker_line(SOURCE, "leak");
	struct mt_run r;
	int k = 0;

	(void)state;
	snprintf(fig, sizeof(fig), "%s/batch-fig", dir);
	harness__run(&r, (const char *const[]){ "top", "--batch", "-n", "4", "--", PROG("top_leak"),
						fig, "4", "30000", NULL });
	/* -n frames shown: CMD gets SIGTERM, as with q */
	assert_int_equal(r.status, 128 + 15);
	for (at = r.out; *at; at = end + strlen("end\n")) {
		assert_true(!strncmp(at, "frame\t", 6));
		end = strstr(at, "\nend\n");
		assert_non_null(end);
		end++;
		frame = strndup(at, (size_t)(end - at));
		check_batch_frame(frame, ++k, leak_line);
		free(frame);
	}
	assert_int_equal(k, 4);
	harness__release(&r);
}

/* A --batch line of the kind wanted in the last frame of out, split into f; its field count. */
static int last_line(const char *out, const char *kind, char *buf, size_t len, char **f)
{
	const char *frame = out, *at, *end;
	char start[32];

	for (at = out; (at = strstr(at, "frame\t")); at++)
		frame = at;
	snprintf(start, sizeof(start), "\n%s\t", kind);
	/* the frame line starts the frame; the others follow a newline */
	at = !strcmp(kind, "frame") ? frame : strstr(frame, start);
	if (!at)
		fail_msg("no %s line in the last frame:\n%s", kind, frame);
	at += at != frame;
	end = strchr(at, '\n');
	snprintf(buf, len, "%.*s", (int)(end - at), at);
	return fields(buf, f, 16);
}

/*
 * GPU memory through the CUDA test double: the header's, the rows' and the
 * site's, exact; with --no-resources, no resource columns.
 */
static void test_batch_gpu(void **state)
{
	char fig[256], buf[3][512], *f[3][16], want[64];
	unsigned int line = harness__marker_line("tests/progs/top_gpu.c", "gpu");
	struct mt_run r;

	(void)state;
	snprintf(fig, sizeof(fig), "%s/gpu-fig", dir);
	/* --no-resources: no profile, and its columns read "-" */
	harness__run(&r, (const char *const[]){ "top", "--batch", "-n", "2", "--no-resources", "--",
						PROG("top_gpu"), fig, "30000", NULL });
	assert_int_equal(r.status, 128 + 15);
	assert_int_equal(last_line(r.out, "frame", buf[0], sizeof(buf[0]), f[0]), 8);
	assert_string_equal(f[0][1], "2");
	assert_string_equal(f[0][6], "3145728");	/* GPU_LIVE */
	assert_int_equal(last_line(r.out, "process", buf[1], sizeof(buf[1]), f[1]), 14);
	assert_string_equal(f[1][7], "3145728");
	for (int i = 8; i < 13; i++)
		assert_string_equal(f[1][i], "-");
	assert_int_equal(last_line(r.out, "thread", buf[2], sizeof(buf[2]), f[2]), 15);
	assert_string_equal(f[2][8], "3145728");
	for (int i = 9; i < 14; i++)
		assert_string_equal(f[2][i], "-");
	snprintf(want, sizeof(want), "\t3145728\t1\t0\tcuda.device\ttop_gpu_alloc (top_gpu.c:%u)\n",
		 line);
	assert_non_null(strstr(strstr(r.out, "frame\t2\t"), want));
	harness__release(&r);
}

/*
 * A CMD that ends before the first refresh: one frame, the run's end, with
 * the process ended and its figures exact (1 MiB allocated, all freed).
 */
static void test_batch_short(void **state)
{
	char fig[256], buf[3][512], *f[3][16];
	struct mt_run r;

	(void)state;
	snprintf(fig, sizeof(fig), "%s/short-fig", dir);
	harness__run(&r, (const char *const[]){ "top", "--batch", "-n", "5", "--", PROG("top_leak"),
						fig, "1", "0", NULL });
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "frame\t1\t"));
	assert_null(strstr(r.out, "frame\t2\t"));
	assert_int_equal(last_line(r.out, "frame", buf[0], sizeof(buf[0]), f[0]), 8);
	assert_string_equal(f[0][3], "1");	/* processes */
	assert_string_equal(f[0][4], "0");	/* running */
	assert_string_equal(f[0][5], "0");	/* host live */
	assert_int_equal(last_line(r.out, "process", buf[1], sizeof(buf[1]), f[1]), 14);
	assert_string_equal(f[1][2], "top_leak");
	assert_string_equal(f[1][3], "0");		/* LIVE */
	assert_string_equal(f[1][4], "1048576");	/* PEAK */
	assert_string_equal(f[1][13], "1");		/* ENDED */
	assert_int_equal(last_line(r.out, "thread", buf[2], sizeof(buf[2]), f[2]), 15);
	assert_string_equal(f[2][14], "1");
	harness__release(&r);
}

/* Not a terminal: the one line, exit status 64, and CMD never started. */
static void test_no_terminal(void **state)
{
	char fig[256];
	struct mt_run r;

	(void)state;
	snprintf(fig, sizeof(fig), "%s/never", dir);
	harness__run(&r, (const char *const[]){ "top", "--", PROG("top_leak"), fig, "1", "0",
						NULL });
	assert_int_equal(r.status, 64);
	assert_string_equal(r.err, NO_TERMINAL);
	assert_string_equal(r.out, "");
	assert_int_equal(access(fig, F_OK), -1);
	harness__release(&r);
	harness__run(&r, (const char *const[]){ "top", "--refresh", "0.01", "-p", "1", NULL });
	assert_int_equal(r.status, 64);
	assert_true(!strncmp(r.err, "memtrace top: --refresh must be a duration from 0.1 s to "
				    "8760h (a year), got '0.01'\n",
			     strlen("memtrace top: --refresh must be a duration from 0.1 s to "
				    "8760h (a year), got '0.01'\n")));
	harness__release(&r);
}

/*
 * A terminal of 60x20, or one terminfo cannot move the cursor on (TERM=dumb):
 * refused with the reason, exit status 64, CMD never started.
 */
static void test_too_small(void **state)
{
	char phase[16];
	uint64_t bytes;
	int steps;

	(void)state;
	start_top("", "0", 60, 20);
	assert_int_equal(wait_status(STARTUP_MS), 64);
	assert_false(figure(phase, &steps, &bytes));
	free(wait_screen("memtrace: top needs a terminal of at least 80x24, this one is 60x20; "
			 "--batch prints plain text frames instead", 1000));
	start_top_env("TERM=dumb", "", "0", 100, 30);
	assert_int_equal(wait_status(STARTUP_MS), 64);
	free(wait_screen("memtrace: top cannot draw on this terminal: TERM=dumb is no terminal "
			 "terminfo knows to move the cursor on; --batch prints plain text frames "
			 "instead", 1000));
	assert_false(figure(phase, &steps, &bytes));
	tmux("kill-session -t top");
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "memtrace-test-%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	tmux("kill-server 2>/dev/null");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_terminal),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_batch_gpu),
		cmocka_unit_test(test_batch_short),
		cmocka_unit_test(test_screen),
		cmocka_unit_test(test_pause_and_ctrl_c),
		cmocka_unit_test(test_restored_on_fatal_signal),
		cmocka_unit_test(test_too_small),
	};

	harness__require_bpf("top");
	return cmocka_run_group_tests_name("integration: top", tests, setup, teardown);
}
