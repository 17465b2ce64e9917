// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --prometheus end to end: memtrace -p on tests/progs/alloc_between_lines
 * (3 x 700 bytes and a 99-byte strdup, all live, nothing else allocated)
 * with --interval 0.5 writes DIR/memtrace.prom; promtool (Debian's
 * prometheus) accepts it; a real node_exporter (Debian's
 * prometheus-node-exporter) on 127.0.0.1, reading DIR with its textfile
 * collector, serves the series with those exact values; and the file
 * written at the end holds the final snapshot's own numbers. Without
 * --interval the file comes every 10 s; GPU counters (gpu_linked, the CUDA
 * test double) equal the snapshot's kinds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PROMTOOL "/usr/bin/promtool"
#define NODE_EXPORTER "/usr/bin/prometheus-node-exporter"
/* alloc_between_lines's comm: its name cut to 15 bytes by the kernel */
#define COMM "alloc_between_l"
#define LIVE (3 * 700 + 99)
#define WAIT_MS 10000

/* What a test started, ended by the teardown even when an assertion failed. */
static struct {
	char dir[64];
	char file[96];
	pid_t exporter;
	struct harness_child target;
	struct harness_tracer tracer;
} w;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* The whole file; NULL when it is not there (yet). */
static char *read_all(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r"), *m;
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	m = open_memstream(&text, &len);
	assert_non_null(m);
	while ((n = fread(buf, 1, sizeof(buf), f)))
		fwrite(buf, 1, n, m);
	fclose(f);
	fclose(m);
	return text;
}

/* Whether the len bytes of labels at got are exactly want's k="v" pairs, in any order. */
static bool same_labels(const char *got, size_t len, const char *want)
{
	char g[512], copy[512], pat[256], *tok, *save;
	int nr_got = 0, nr_want = 0;

	/* the values here hold no comma: each one separates two labels */
	snprintf(g, sizeof(g), ",%.*s,", (int)len, got);
	for (const char *c = g + 1; *c; c++)
		nr_got += *c == ',';
	snprintf(copy, sizeof(copy), "%s", want);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		snprintf(pat, sizeof(pat), ",%s,", tok);
		if (!strstr(g, pat))
			return false;
		nr_want++;
	}
	return nr_got == nr_want;
}

/*
 * The value of the sample of name whose labels are exactly labels (k="v"
 * pairs joined by commas, in any order: node_exporter sorts them; "" for
 * none); -1 when there is none.
 */
static long long sample(const char *text, const char *name, const char *labels)
{
	size_t n = strlen(name);
	const char *next;

	for (const char *line = text; line && *line; line = next) {
		const char *end = strchr(line, '\n'), *value;

		next = end ? end + 1 : NULL;
		if (strncmp(line, name, n))
			continue;
		if (line[n] == ' ' && !*labels)
			return (long long)strtod(line + n + 1, NULL);
		value = strstr(line, "} ");
		if (line[n] != '{' || !value || (end && value > end))
			continue;
		if (same_labels(line + n + 1, value - line - n - 1, labels))
			return (long long)strtod(value + 2, NULL);
	}
	return -1;
}

static void expect_sample(const char *text, const char *name, const char *labels, long long v)
{
	long long got = sample(text, name, labels);

	if (got != v)
		fail_msg("%s{%s}: %lld, expected %lld, in:\n%s", name, labels, got, v, text);
}

/* Polls path until the live bytes of COMM reach LIVE; the file's text then. */
static char *wait_for_live(const char *path, const char *job)
{
	char labels[128];
	uint64_t deadline = now_ms() + WAIT_MS;
	char *text = NULL;

	snprintf(labels, sizeof(labels), "job=\"%s\",comm=\"%s\",allocator=\"libc\"", job, COMM);
	while (now_ms() < deadline) {
		free(text);
		text = read_all(path);
		if (text && sample(text, "memtrace_live_bytes", labels) == LIVE)
			return text;
		usleep(100 * 1000);
	}
	fail_msg("%s never showed %d live bytes:\n%s", path, LIVE, text ? text : "(no file)");
	return NULL;
}

/* A port nobody listens on now: the kernel's pick for a socket bound to port 0. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* GET /metrics over HTTP/1.0; the body, or NULL when nothing listens there yet. */
static char *http_metrics(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	char *text = NULL, *body, buf[4096];
	size_t len = 0;
	FILE *m;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return NULL;
	}
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	m = open_memstream(&text, &len);
	assert_non_null(m);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, m);
	fclose(m);
	close(fd);
	body = strstr(text, "\r\n\r\n");
	if (!strstr(text, " 200 ") || !body) {
		free(text);
		return NULL;
	}
	memmove(text, body + 4, strlen(body + 4) + 1);
	return text;
}

/* node_exporter with only its textfile collector, reading w.dir, on 127.0.0.1:port. */
static void start_exporter(int port)
{
	char listen[64], dir[128];
	int null;

	if (access(NODE_EXPORTER, X_OK))
		fail_msg("%s missing: make deps installs prometheus-node-exporter", NODE_EXPORTER);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
	snprintf(dir, sizeof(dir), "--collector.textfile.directory=%s", w.dir);
	w.exporter = fork();
	assert_true(w.exporter >= 0);
	if (w.exporter == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl(NODE_EXPORTER, NODE_EXPORTER, listen, "--collector.disable-defaults",
		      "--collector.textfile", dir, (char *)NULL);
		_exit(127);
	}
}

/* What node_exporter serves once it answers; fails after WAIT_MS. */
static char *scrape(int port)
{
	uint64_t deadline = now_ms() + WAIT_MS;
	char *text;
	int status;

	while (now_ms() < deadline) {
		text = http_metrics(port);
		if (text)
			return text;
		if (waitpid(w.exporter, &status, WNOHANG) == w.exporter) {
			w.exporter = 0;
			fail_msg("node_exporter exited (status %d) before serving", status);
		}
		usleep(100 * 1000);
	}
	fail_msg("node_exporter did not answer on 127.0.0.1:%d", port);
	return NULL;
}

static void stop_exporter(void)
{
	if (w.exporter <= 0)
		return;
	kill(w.exporter, SIGTERM);
	waitpid(w.exporter, NULL, 0);
	w.exporter = 0;
}

static int clean_up(void **state)
{
	char cmd[128];

	(void)state;
	stop_exporter();
	if (w.target.pid > 0) {
		kill(w.target.pid, SIGKILL);
		waitpid(w.target.pid, NULL, 0);
	}
	if (w.tracer.pid > 0) {
		kill(w.tracer.pid, SIGTERM);
		waitpid(w.tracer.pid, NULL, 0);
		free(w.tracer.err_text);
	}
	if (w.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w.dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", w.dir);
	}
	memset(&w, 0, sizeof(w));
	return 0;
}

/* promtool's own lint of the file: the format, HELP and TYPE, counter names. */
static void promtool_check(const char *path)
{
	char cmd[256];

	if (access(PROMTOOL, X_OK))
		fail_msg("%s missing: make deps installs prometheus", PROMTOOL);
	snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* The series of alloc_between_lines while it runs, its 4 blocks live. */
static void check_running(const char *text, const char *job)
{
	char by_comm[96], by_libc[128];

	snprintf(by_comm, sizeof(by_comm), "job=\"%s\",comm=\"%s\"", job, COMM);
	snprintf(by_libc, sizeof(by_libc), "%s,allocator=\"libc\"", by_comm);
	expect_sample(text, "memtrace_processes", by_comm, 1);
	expect_sample(text, "memtrace_live_bytes", by_libc, LIVE);
	expect_sample(text, "memtrace_live_blocks", by_libc, 4);
	expect_sample(text, "memtrace_peak_bytes", by_comm, LIVE);
	expect_sample(text, "memtrace_allocations_total", by_comm, 4);
	expect_sample(text, "memtrace_frees_total", by_comm, 0);
	expect_sample(text, "memtrace_allocated_bytes_total", by_comm, LIVE);
	expect_sample(text, "memtrace_allocator_calls_total", by_libc, 4);
	snprintf(by_comm, sizeof(by_comm), "job=\"%s\"", job);
	expect_sample(text, "memtrace_lost_events_total", by_comm, 0);
	/* no PID label: one series per program */
	assert_null(strstr(text, "pid=\""));
}

/* The file at the end: the final snapshot's counters; no gauge, as the target exited. */
static void check_final(const char *text, const json_t *snap, pid_t pid)
{
	const json_t *p = harness__process(snap, pid);
	char by_comm[96];

	snprintf(by_comm, sizeof(by_comm), "job=\"itest\",comm=\"%s\"", COMM);
	expect_sample(text, "memtrace_allocations_total", by_comm, harness__u64(p, "allocs"));
	expect_sample(text, "memtrace_frees_total", by_comm, harness__u64(p, "frees"));
	expect_sample(text, "memtrace_allocated_bytes_total", by_comm,
		      harness__u64(p, "allocated_bytes"));
	expect_sample(text, "memtrace_unknown_frees_total", by_comm,
		      harness__u64(p, "unknown_frees"));
	expect_sample(text, "memtrace_lost_events_total", "job=\"itest\"",
		      harness__u64(snap, "lost_events"));
	assert_int_equal(harness__u64(p, "allocs"), 4);
	assert_int_equal(sample(text, "memtrace_processes", by_comm), -1);
}

static void test_textfile_served_by_node_exporter(void **state)
{
	char pid_arg[16];
	char *text, *served;
	struct mt_run run;
	int port;

	(void)state;
	snprintf(w.dir, sizeof(w.dir), "/tmp/memtrace-prom-XXXXXX");
	assert_non_null(mkdtemp(w.dir));
	snprintf(w.file, sizeof(w.file), "%s/memtrace.prom", w.dir);
	assert_int_equal(harness__spawn(&w.target, (const char *const[]){
						     PROG("alloc_between_lines"), NULL }),
			 0);
	assert_int_equal(harness__expect_line(w.target.out, "ready"), 0);
	snprintf(pid_arg, sizeof(pid_arg), "%d", w.target.pid);
	assert_int_equal(harness__start_tracer(&w.tracer,
					       (const char *const[]){
						       "--json", "--interval", "0.5", "--prometheus",
						       w.dir, "--prometheus-job", "itest", "-p",
						       pid_arg, NULL },
					       w.target.pid),
			 0);
	assert_int_equal(write(w.target.in, "go\n", 3), 3);
	assert_int_equal(harness__expect_line(w.target.out, "done"), 0);

	text = wait_for_live(w.file, "itest");
	check_running(text, "itest");
	promtool_check(w.file);
	free(text);

	port = free_port();
	start_exporter(port);
	served = scrape(port);
	check_running(served, "itest");
	/* the collector read the file without complaint */
	expect_sample(served, "node_textfile_scrape_error", "", 0);
	free(served);
	stop_exporter();

	assert_int_equal(write(w.target.in, "go\n", 3), 3);
	assert_int_equal(WEXITSTATUS(harness__wait(&w.target)), 0);
	w.target.pid = 0;
	assert_int_equal(harness__finish_tracer(&w.tracer, &run), 0);
	w.tracer.pid = 0;
	if (run.status != 0 || !run.snap)
		fail_msg("memtrace failed (status %d):\n%s", run.status, run.err);
	text = read_all(w.file);
	assert_non_null(text);
	check_final(text, run.snap, (pid_t)atoi(pid_arg));
	promtool_check(w.file);
	free(text);
	harness__release(&run);
}

/*
 * Without --interval the file is written every 10 s all the same, and
 * stdout still holds only the final report.
 */
static void test_default_period(void **state)
{
	char pid_arg[16];
	struct mt_run run;
	uint64_t t0;
	char *text;

	(void)state;
	snprintf(w.dir, sizeof(w.dir), "/tmp/memtrace-prom-XXXXXX");
	assert_non_null(mkdtemp(w.dir));
	snprintf(w.file, sizeof(w.file), "%s/memtrace.prom", w.dir);
	assert_int_equal(harness__spawn(&w.target, (const char *const[]){
						     PROG("alloc_between_lines"), NULL }),
			 0);
	assert_int_equal(harness__expect_line(w.target.out, "ready"), 0);
	snprintf(pid_arg, sizeof(pid_arg), "%d", w.target.pid);
	assert_int_equal(harness__start_tracer(&w.tracer,
					       (const char *const[]){ "--prometheus", w.dir,
								      "-p", pid_arg, NULL },
					       w.target.pid),
			 0);
	t0 = now_ms();
	assert_int_equal(write(w.target.in, "go\n", 3), 3);
	assert_int_equal(harness__expect_line(w.target.out, "done"), 0);
	/* wait_for_live gives up after 10 s: the first write is due 10 s after the start */
	usleep(5000 * 1000);
	text = wait_for_live(w.file, "memtrace");
	/* not before its time: the first write came with the 10 s tick, not at the start */
	assert_true(now_ms() - t0 >= 9000);
	check_running(text, "memtrace");
	free(text);
	assert_int_equal(write(w.target.in, "go\n", 3), 3);
	assert_int_equal(WEXITSTATUS(harness__wait(&w.target)), 0);
	w.target.pid = 0;
	assert_int_equal(harness__finish_tracer(&w.tracer, &run), 0);
	w.tracer.pid = 0;
	assert_int_equal(run.status, 0);
	/* one report, the final one: an export is no --interval report */
	assert_non_null(strstr(run.out, "1 process traced for "));
	assert_null(strstr(strstr(run.out, "1 process traced for ") + 1,
			   "1 process traced for "));
	harness__release(&run);
}

/*
 * GPU memory: gpu_linked (the CUDA test double) in launch mode. At the end
 * its process has exited, so only counters are left: each kind's, equal
 * to the final snapshot's, and its 2 OOM events.
 */
static void test_gpu_counters(void **state)
{
	static const char *const kinds[] = { "device", "managed", "pinned", "async",
					     "vmm_physical", "vmm_mapped", "address_reserved" };
	const json_t *gpu_kinds;
	struct mt_run run;
	char labels[160];
	char *text;

	(void)state;
	snprintf(w.dir, sizeof(w.dir), "/tmp/memtrace-prom-XXXXXX");
	assert_non_null(mkdtemp(w.dir));
	snprintf(w.file, sizeof(w.file), "%s/memtrace.prom", w.dir);
	assert_int_equal(harness__run(&run, (const char *const[]){ "--json", "--stack=fp",
								   "--prometheus", w.dir, "--",
								   PROG("gpu_linked"), "--now",
								   NULL }),
			 0);
	if (run.status != 0 || !run.snap)
		fail_msg("memtrace -- gpu_linked failed (status %d):\n%s", run.status, run.err);
	gpu_kinds = json_object_get(json_object_get(harness__only_process(run.snap), "gpu"),
				    "kinds");
	text = read_all(w.file);
	assert_non_null(text);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const json_t *k = json_object_get(gpu_kinds, kinds[i]);

		snprintf(labels, sizeof(labels),
			 "job=\"memtrace\",comm=\"gpu_linked\",kind=\"%s\"", kinds[i]);
		expect_sample(text, "memtrace_gpu_allocations_total", labels,
			      harness__u64(k, "allocs"));
		expect_sample(text, "memtrace_gpu_frees_total", labels, harness__u64(k, "frees"));
		expect_sample(text, "memtrace_gpu_allocated_bytes_total", labels,
			      harness__u64(k, "allocated_bytes"));
	}
	expect_sample(text, "memtrace_gpu_oom_events_total",
		      "job=\"memtrace\",comm=\"gpu_linked\"", 2);
	/* exited: no gauge */
	assert_null(strstr(text, "memtrace_gpu_live_bytes"));
	promtool_check(w.file);
	free(text);
	harness__release(&run);
}

/* An unusable DIR is said before anything is traced, with status 1. */
static void test_unwritable_dir(void **state)
{
	struct mt_run run;

	(void)state;
	assert_int_equal(harness__run(&run, (const char *const[]){ "--prometheus",
								   "/proc/self/none", "--",
								   "/bin/true", NULL }),
			 0);
	assert_int_equal(run.status, 1);
	assert_non_null(strstr(run.err, "memtrace: cannot write Prometheus metrics to "
					"/proc/self/none"));
	assert_null(strstr(run.err, "tracing"));
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_textfile_served_by_node_exporter, clean_up),
		cmocka_unit_test_teardown(test_default_period, clean_up),
		cmocka_unit_test_teardown(test_gpu_counters, clean_up),
		cmocka_unit_test_teardown(test_unwritable_dir, clean_up),
	};

	harness__require_bpf("prometheus");
	return cmocka_run_group_tests_name("integration: prometheus", tests, NULL, NULL);
}
