// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Names and files chosen by someone else. tests/progs/hostile_comm renames
 * itself "ev<ESC>[31mil<LF>x" and leaks, in two processes; its snapshots
 * (one more under a file name holding ESC and a byte 0xff) then go through
 * the report, diff (text, markdown, JSON) and check: every output shows the
 * escaped name and no raw control byte. Then inputs past --max-input (a
 * file, a FIFO), a FIFO merged (read once), and sums past 2^63-1: status 2,
 * one exact line.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define NAME	 "ev\x1b[31mil\nx"
#define SHOWN	 "ev\\x1b[31mil\\x0ax"
#define PATH_LEN 256

static char dir[] = "/tmp/memtrace-hostile-XXXXXX";
static char snap_a[PATH_LEN], snap_b[PATH_LEN], snap_odd[PATH_LEN];
static struct mt_run run_a;
/* PIDs: [0] the parent, [1] its child, in the order the snapshots list them */
static uint32_t pid_a[2], pid_b[2];

static void pids_of(const char *path, uint32_t pids[2])
{
	json_error_t jerr;
	json_t *snap = json_load_file(path, 0, &jerr), *procs;

	assert_non_null(snap);
	procs = json_object_get(snap, "processes");
	assert_int_equal(json_array_size(procs), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *p = json_array_get(procs, i);

		/* the snapshot keeps the name as it is: escaping is for what people read */
		assert_string_equal(harness__str(p, "comm"), NAME);
		pids[i] = (uint32_t)harness__u64(p, "pid");
	}
	json_decref(snap);
}

static int setup(void **state)
{
	struct mt_run run_b;
	char cmd[3 * PATH_LEN];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(snap_a, PATH_LEN, "%s/a.json", dir);
	snprintf(snap_b, PATH_LEN, "%s/b.json", dir);
	snprintf(snap_odd, PATH_LEN, "%s/b\x1b[2J\xff.json", dir);
	harness__run(&run_a, (const char *const[]){"-f", "--stack=fp", "-o", snap_a, "--",
						   PROG("hostile_comm"), "4", NULL});
	harness__run(&run_b, (const char *const[]){"-f", "--stack=fp", "-o", snap_b, "--",
						   PROG("hostile_comm"), "6", NULL});
	if (run_a.status || run_b.status) {
		fprintf(stderr, "memtrace failed: %s%s\n", run_a.err, run_b.err);
		return -1;
	}
	harness__release(&run_b);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", snap_b, snap_odd);
	return system(cmd);
}

static int teardown(void **state)
{
	char cmd[PATH_LEN];

	(void)state;
	harness__release(&run_a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* No raw control byte but the newlines between lines, no byte 0xff, not the raw name. */
static void assert_clean(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f || *p == 0xff)
			fail_msg("raw byte 0x%02x at offset %zu of: %s", *p,
				 (size_t)(p - (const unsigned char *)text), text);
	assert_null(strstr(text, "il\nx"));
}

static void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("\"%s\" not in:\n%s", want, text);
}

static void test_report(void **state)
{
	char want[512];
	json_t *snap, *proc;
	json_error_t jerr;

	(void)state;
	pids_of(snap_a, pid_a);
	snap = json_load_file(snap_a, 0, &jerr);
	assert_non_null(snap);
	proc = json_array_get(json_object_get(snap, "processes"), 0);
	snprintf(want, sizeof(want), "\nPID %u  " SHOWN "  (%s)  exited\n", pid_a[0],
		 harness__str(proc, "exe"));
	assert_has(run_a.out, want);
	snprintf(want, sizeof(want), "\nPID %u  " SHOWN "  (%s)  parent %u  exited\n", pid_a[1],
		 harness__str(proc, "exe"), pid_a[0]);
	assert_has(run_a.out, want);
	/* each thread's row */
	for (int i = 0; i < 2; i++) {
		snprintf(want, sizeof(want),
			 "\n  %-8u " SHOWN "      400 B      400 B      400 B"
			 "          4          0        0\n",
			 pid_a[i]);
		assert_has(run_a.out, want);
	}
	assert_clean(run_a.out);
	assert_clean(run_a.err);
	json_decref(snap);
}

static void test_diff_text(void **state)
{
	char want[512];
	struct mt_run run;

	(void)state;
	pids_of(snap_a, pid_a);
	pids_of(snap_b, pid_b);
	harness__run(&run, (const char *const[]){"diff", snap_a, snap_odd, "--fail-on",
						 "hostile_comm/leak_bytes:+0", NULL});
	assert_int_equal(run.status, 1);
	/* a file name may hold any byte */
	snprintf(want, sizeof(want), "memtrace diff: %s -> %s/b\\x1b[2J\\xff.json\n\n", snap_a,
		 dir);
	assert_true(strncmp(run.out, want, strlen(want)) == 0);
	for (int i = 0; i < 2; i++) {
		snprintf(want, sizeof(want),
			 "\n  " SHOWN " (pid %u -> %u): peak +200 B, +50.0%%; current +200 B, "
			 "+50.0%%; allocs +2, +50.0%%; leaks +200 B, +50.0%%\n",
			 pid_a[i], pid_b[i]);
		assert_has(run.out, want);
		snprintf(want, sizeof(want),
			 "leak_here (hostile_comm.c:%u)  in " SHOWN " (pid %u -> %u)\n",
			 harness__marker_line("tests/progs/hostile_comm.c", "leak_here"), pid_a[i],
			 pid_b[i]);
		assert_has(run.out, want);
	}
	snprintf(want, sizeof(want),
		 "memtrace: rule broken: hostile_comm/leak_bytes:+0: " SHOWN " (pid %u -> %u): "
		 "400 B -> 600 B (+200 B, +50.0%%)\n"
		 "memtrace: rule broken: hostile_comm/leak_bytes:+0: " SHOWN " (pid %u -> %u): "
		 "400 B -> 600 B (+200 B, +50.0%%)\n",
		 pid_a[0], pid_b[0], pid_a[1], pid_b[1]);
	assert_string_equal(run.err, want);
	assert_clean(run.out);
	harness__release(&run);
}

static void test_diff_markdown(void **state)
{
	char want[512];
	struct mt_run run;

	(void)state;
	pids_of(snap_a, pid_a);
	pids_of(snap_b, pid_b);
	harness__run(&run, (const char *const[]){"diff", "--format", "markdown", snap_a, snap_odd,
						 "--fail-on", "hostile_comm/leak_bytes:+0", NULL});
	assert_int_equal(run.status, 1);
	snprintf(want, sizeof(want), "### memtrace diff\n\n`%s` → `%s/b\\x1b[2J\\xff.json`\n\n",
		 snap_a, dir);
	assert_true(strncmp(run.out, want, strlen(want)) == 0);
	for (int i = 0; i < 2; i++) {
		snprintf(want, sizeof(want),
			 "\n- `hostile_comm/leak_bytes:+0` in `" SHOWN " (pid %u -> %u)`: 400 B → "
			 "600 B (+200 B, +50.0%%)\n",
			 pid_a[i], pid_b[i]);
		assert_has(run.out, want);
		snprintf(want, sizeof(want),
			 "\n| `" SHOWN " (pid %u -> %u)` | 400 B | 600 B | +200 B, +50.0%% | "
			 "+200 B, +50.0%% |\n",
			 pid_a[i], pid_b[i]);
		assert_has(run.out, want);
		snprintf(want, sizeof(want),
			 "| `leak_here (hostile_comm.c:%u)` | `" SHOWN " (pid %u -> %u)` |\n",
			 harness__marker_line("tests/progs/hostile_comm.c", "leak_here"), pid_a[i],
			 pid_b[i]);
		assert_has(run.out, want);
	}
	assert_clean(run.out);
	assert_clean(run.err);
	harness__release(&run);
}

/* JSON keeps names whole: valid UTF-8 (0xff is U+FFFD), controls as \u00XX. */
static void test_diff_json(void **state)
{
	char want[PATH_LEN];
	struct mt_run run;
	json_t *pair;

	(void)state;
	harness__run(&run,
		     (const char *const[]){"diff", "--format", "json", snap_a, snap_odd, NULL});
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	snprintf(want, sizeof(want), "%s/b\x1b[2J\xef\xbf\xbd.json", dir);
	assert_string_equal(harness__str(json_object_get(run.snap, "new"), "file"), want);
	pair = json_array_get(json_object_get(run.snap, "processes"), 0);
	assert_string_equal(harness__str(json_object_get(pair, "before"), "comm"), NAME);
	assert_non_null(strstr(run.out, "\"ev\\u001b[31mil\\u000ax\""));
	assert_clean(run.out);
	harness__release(&run);
}

static void test_check(void **state)
{
	char want[1024];
	struct mt_run run;

	(void)state;
	pids_of(snap_b, pid_b);
	harness__run(&run, (const char *const[]){"check", snap_b, "--fail-on",
						 "hostile_comm/leak_bytes:0", NULL});
	assert_int_equal(run.status, 1);
	snprintf(want, sizeof(want),
		 "memtrace check: %s: 2 rules, 2 broken\n"
		 "  BROKEN hostile_comm/leak_bytes:0: " SHOWN " (pid %u): 600 B (limit 0 B)\n"
		 "  BROKEN hostile_comm/leak_bytes:0: " SHOWN " (pid %u): 600 B (limit 0 B)\n",
		 snap_b, pid_b[0], pid_b[1]);
	assert_string_equal(run.out, want);
	snprintf(want, sizeof(want),
		 "memtrace: rule broken: hostile_comm/leak_bytes:0: " SHOWN " (pid %u): 600 B "
		 "(limit 0 B)\n"
		 "memtrace: rule broken: hostile_comm/leak_bytes:0: " SHOWN " (pid %u): 600 B "
		 "(limit 0 B)\n",
		 pid_b[0], pid_b[1]);
	assert_string_equal(run.err, want);
	harness__release(&run);
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/*
 * A FIFO fed by a child: first the file at path (NULL: none), then spaces,
 * up to 16 MiB in all or until the reader is gone. Its PID.
 */
static pid_t feed_fifo(const char *fifo, const char *path, bool endless)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		static char buf[65536];
		size_t sent = 0;
		ssize_t n;
		int in = path ? open(path, O_RDONLY) : -1, out = open(fifo, O_WRONLY);

		signal(SIGPIPE, SIG_IGN);
		if (out < 0)
			_exit(2);
		while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(errno == EPIPE ? 0 : 2);
		memset(buf, ' ', sizeof(buf));
		while (endless && sent < (16u << 20)) {
			n = write(out, buf, sizeof(buf));
			if (n < 0)
				_exit(errno == EPIPE ? 0 : 2);
			sent += (size_t)n;
		}
		/* endless: it was all read, which must not happen */
		_exit(endless ? 1 : 0);
	}
	return pid;
}

static void test_max_input(void **state)
{
	char want[1024], fifo[PATH_LEN];
	struct mt_run run;
	int status;
	pid_t writer;

	(void)state;
	/* a regular file: refused by its size */
	harness__run(&run, (const char *const[]){"diff", "--max-input=1K", snap_a, snap_b, NULL});
	assert_int_equal(run.status, 2);
	snprintf(want, sizeof(want),
		 "memtrace diff: %s: %lld bytes, more than --max-input (1024 bytes)\n", snap_a,
		 (long long)size_of(snap_a));
	assert_string_equal(run.err, want);
	assert_string_equal(run.out, "");
	harness__release(&run);
	/* at the bound exactly: read */
	snprintf(want, sizeof(want), "--max-input=%lld", (long long)size_of(snap_b));
	harness__run(&run, (const char *const[]){"check", want, snap_b, "--fail-on",
						 "leak_bytes:1G", NULL});
	assert_int_equal(run.status, 0);
	harness__release(&run);

	/* a FIFO: memtrace stops reading past the bound, and the writer is cut off */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	writer = feed_fifo(fifo, NULL, true);
	harness__run(&run, (const char *const[]){"check", "--max-input", "64K", fifo, "--fail-on",
						 "leak_bytes:0", NULL});
	assert_int_equal(run.status, 2);
	snprintf(want, sizeof(want), "memtrace check: %s: more than --max-input (65536 bytes)\n",
		 fifo);
	assert_string_equal(run.err, want);
	assert_int_equal(waitpid(writer, &status, 0), writer);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	harness__release(&run);
	unlink(fifo);
}

/* merge reads each input once: a FIFO works (it used to be read twice). */
static void test_merge_fifo(void **state)
{
	char fifo[PATH_LEN], out[PATH_LEN];
	struct mt_run run;
	json_error_t jerr;
	json_t *merged;
	int status;
	pid_t writer;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo-a", dir);
	snprintf(out, sizeof(out), "%s/merged.json", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	writer = feed_fifo(fifo, snap_a, false);
	harness__run(&run, (const char *const[]){"merge", fifo, snap_b, "-o", out, NULL});
	assert_int_equal(waitpid(writer, &status, 0), writer);
	if (run.status)
		fail_msg("status %d: %s", run.status, run.err);
	merged = json_load_file(out, 0, &jerr);
	assert_non_null(merged);
	assert_int_equal(json_array_size(json_object_get(merged, "processes")), 4);
	/* 4 + 4 blocks and 6 + 6 blocks of 100 bytes */
	assert_int_equal(harness__u64(json_object_get(merged, "totals"), "allocated_bytes"), 2000);
	json_decref(merged);
	harness__release(&run);
	unlink(fifo);
	unlink(out);
}

/* path, a copy of from with path.key of its first object or array element set to v. */
static void write_changed(const char *from, const char *path, const char *at, const char *key,
			  json_int_t v)
{
	json_error_t jerr;
	json_t *snap = json_load_file(from, 0, &jerr), *obj;

	assert_non_null(snap);
	obj = json_object_get(snap, at);
	if (json_is_array(obj))
		obj = json_array_get(obj, 0);
	assert_int_equal(json_object_set_new(obj, key, json_integer(v)), 0);
	assert_int_equal(json_dump_file(snap, path, JSON_INDENT(1)), 0);
	json_decref(snap);
}

static void test_sums_past_2_63(void **state)
{
	char big[PATH_LEN], out[PATH_LEN], want[1024];
	struct mt_run run;

	(void)state;
	/* merge: a counter that would pass 2^63-1, named; no output file */
	snprintf(big, sizeof(big), "%s/big.json", dir);
	snprintf(out, sizeof(out), "%s/merged.json", dir);
	write_changed(snap_a, big, "totals", "allocated_bytes", INT64_MAX - 100);
	harness__run(&run, (const char *const[]){"merge", big, snap_b, "-o", out, NULL});
	assert_int_equal(run.status, 2);
	assert_string_equal(run.err, "memtrace merge: totals.allocated_bytes: the sum over the "
				     "inputs is past 2^63-1 (9223372036854775807)\n");
	assert_int_equal(access(out, F_OK), -1);
	harness__release(&run);

	/* diff and check: leaks whose sum would pass 2^63-1 */
	write_changed(snap_a, big, "leaks", "bytes", INT64_MAX);
	harness__run(&run, (const char *const[]){"diff", snap_b, big, NULL});
	assert_int_equal(run.status, 2);
	snprintf(want, sizeof(want),
		 "memtrace diff: %s: leaks[].bytes: the sum over the leaks is past 2^63-1 "
		 "(9223372036854775807)\n",
		 big);
	assert_string_equal(run.err, want);
	assert_string_equal(run.out, "");
	harness__release(&run);
	harness__run(&run, (const char *const[]){"check", big, "--fail-on", "leak_bytes:0", NULL});
	assert_int_equal(run.status, 2);
	snprintf(want, sizeof(want),
		 "memtrace check: %s: leaks[].bytes: the sum over the leaks is past 2^63-1 "
		 "(9223372036854775807)\n",
		 big);
	assert_string_equal(run.err, want);
	harness__release(&run);
	unlink(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),	      cmocka_unit_test(test_diff_text),
		cmocka_unit_test(test_diff_markdown), cmocka_unit_test(test_diff_json),
		cmocka_unit_test(test_check),	      cmocka_unit_test(test_max_input),
		cmocka_unit_test(test_merge_fifo),    cmocka_unit_test(test_sums_past_2_63),
	};

	harness__require_bpf("hostile input");
	return cmocka_run_group_tests_name("integration: hostile input", tests, setup, teardown);
}
