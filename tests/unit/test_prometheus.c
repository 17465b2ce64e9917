// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Prometheus exposition text (output/prometheus.c) of a run built from
 * hand-made ring buffer records: HELP and TYPE before each family's
 * samples, label values escaped, processes summed by comm (running ones
 * for gauges, every record for counters, folded ones under comm ""), and
 * every value one the snapshot of the same run holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/prometheus.h"
#include "unit_helpers.h"

/* Above any pid_max: /proc has none of them, so the names are the test's own. */
#define PID_A 0x7ffffff0u /* "worker", running */
#define PID_B 0x7ffffff1u /* "worker", running */
#define PID_C 0x7ffffff2u /* "worker", exited */
#define PID_D 0x7ffffff3u /* a hostile name, running */

/* a quote, a backslash, a newline, a well-formed two-byte letter and a byte that is no UTF-8 */
#define ODD_COMM "a\"b\\c\nd\xc3\xb6\xff"
#define ODD_LABEL "a\\\"b\\\\c\\nd\xc3\xb6\xef\xbf\xbd"

struct world {
	struct tracker t;
	struct run_summary s;
	char *text;
	size_t len;
	json_t *root;
};

static void call(struct tracker *t, enum mt_func func, enum mt_allocator a, uint32_t pid,
		 uint64_t addr, uint64_t size)
{
	struct mt_event e = unit__call_event(&(struct unit_call){
		.func = func, .pid = pid, .tid = pid, .ts_ns = 1000, .addr = addr, .size = size });

	e.allocator = a;
	unit__feed(t, &e, sizeof(e));
}

static struct mt_process *add(struct world *w, uint32_t pid, const char *comm)
{
	struct mt_process *p = tracker__add_process(&w->t, pid);

	assert_non_null(p);
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	return p;
}

/*
 * worker A: libc 1000 + 300 live, 200 freed; cxx 64 live.
 * worker B: libc 5000 live (peak 7000: a 2000 block came and went).
 * worker C: libc 4096 allocated, then it exited (its block counts nowhere live).
 * ODD_COMM D: libc 10 live. Two folded records: 3 allocations of 30 bytes.
 */
static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w || tracker__init(&w->t))
		return -1;
	add(w, PID_A, "worker");
	add(w, PID_B, "worker");
	add(w, PID_C, "worker");
	add(w, PID_D, ODD_COMM);
	call(&w->t, MT_FN_MALLOC, MT_ALLOC_LIBC, PID_A, 0x1000, 1000);
	call(&w->t, MT_FN_MALLOC, MT_ALLOC_LIBC, PID_A, 0x2000, 300);
	call(&w->t, MT_FN_MALLOC, MT_ALLOC_LIBC, PID_A, 0x3000, 200);
	call(&w->t, MT_FN_FREE, MT_ALLOC_LIBC, PID_A, 0x3000, 0);
	call(&w->t, MT_FN_MALLOC, MT_ALLOC_CXX, PID_A, 0x4000, 64);
	call(&w->t, MT_FN_MALLOC, MT_ALLOC_LIBC, PID_B, 0x1000, 2000);
	call(&w->t, MT_FN_MALLOC, MT_ALLOC_LIBC, PID_B, 0x2000, 5000);
	call(&w->t, MT_FN_FREE, MT_ALLOC_LIBC, PID_B, 0x1000, 0);
	call(&w->t, MT_FN_MALLOC, MT_ALLOC_LIBC, PID_C, 0x1000, 4096);
	call(&w->t, MT_FN_MALLOC, MT_ALLOC_LIBC, PID_D, 0x1000, 10);
	tracker__process(&w->t, PID_C)->exited = true;
	w->t.folded.processes = 2;
	w->t.folded.c.allocs = 3;
	w->t.folded.c.allocated_bytes = 90;
	w->t.folded.by_allocator.a[MT_ALLOC_LIBC].calls = 3;
	w->t.folded.by_allocator.a[MT_ALLOC_LIBC].alloc_bytes = 90;
	w->s = (struct run_summary){ .tracker = &w->t, .now_ns = 2000 };
	w->s.drops[MT_DROP_RINGBUF_FULL] = 5;
	w->s.drops[MT_DROP_MISSED_ENTRY] = 2;
	w->s.drops[MT_DROP_STACK_ERROR] = 1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	json_decref(w->root);
	free(w->text);
	symbolizer__free(w->s.sym);
	tracker__release(&w->t);
	free(w);
	return 0;
}

static const char *prom(struct world *w, const char *job)
{
	FILE *f;

	free(w->text);
	w->text = NULL;
	f = open_memstream(&w->text, &w->len);
	assert_non_null(f);
	assert_int_equal(prometheus__write(&w->s, job, f), 0);
	assert_int_equal(fclose(f), 0);
	return w->text;
}

static void expect_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void expect_no(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("'%s' should not be in:\n%s", part, text);
}

/* Gauges: the running processes of a name summed; the exited one holds nothing. */
static void test_gauges_sum_running_by_comm(void **state)
{
	const char *text = prom(*state, "memtrace");

	expect_line(text, "memtrace_processes{job=\"memtrace\",comm=\"worker\"} 2");
	expect_line(text, "memtrace_live_bytes{job=\"memtrace\",comm=\"worker\","
			  "allocator=\"libc\"} 6300");
	expect_line(text,
		    "memtrace_live_bytes{job=\"memtrace\",comm=\"worker\",allocator=\"cxx\"} 64");
	expect_line(text,
		    "memtrace_live_blocks{job=\"memtrace\",comm=\"worker\",allocator=\"libc\"} 3");
	/* the larger of 1364 and 7000: peaks of two processes do not add up */
	expect_line(text, "memtrace_peak_bytes{job=\"memtrace\",comm=\"worker\"} 7000");
	/* no PID label, ever */
	expect_no(text, "pid=");
	/* folded records run nothing: no gauge for "" */
	expect_no(text, "memtrace_processes{job=\"memtrace\",comm=\"\"}");
	/* no GPU library in any of them: no GPU series */
	expect_no(text, "memtrace_gpu_");
}

/* Counters: every record of the name, the exited one's too; folded ones under "". */
static void test_counters_sum_every_record(void **state)
{
	const char *text = prom(*state, "memtrace");

	expect_line(text, "memtrace_allocations_total{job=\"memtrace\",comm=\"worker\"} 7");
	expect_line(text, "memtrace_frees_total{job=\"memtrace\",comm=\"worker\"} 2");
	expect_line(text,
		    "memtrace_allocated_bytes_total{job=\"memtrace\",comm=\"worker\"} 12660");
	expect_line(text, "memtrace_freed_bytes_total{job=\"memtrace\",comm=\"worker\"} 2200");
	expect_line(text, "memtrace_allocator_calls_total{job=\"memtrace\",comm=\"worker\","
			  "allocator=\"libc\"} 8");
	expect_line(text, "memtrace_allocations_total{job=\"memtrace\",comm=\"\"} 3");
	expect_line(text, "memtrace_allocated_bytes_total{job=\"memtrace\",comm=\"\"} 90");
	/* the run's losses: no comm */
	expect_line(text, "memtrace_lost_events_total{job=\"memtrace\"} 7");
	expect_line(text, "memtrace_lost_stacks_total{job=\"memtrace\"} 1");
}

/* Label values: \\, \" and \n escaped; a byte that is no UTF-8 is U+FFFD, as in the JSON. */
static void test_label_escaping(void **state)
{
	const char *text = prom(*state, "team \"a\"\\b\nc");

	expect_line(text, "memtrace_processes{job=\"team \\\"a\\\"\\\\b\\nc\",comm=\"" ODD_LABEL
			  "\"} 1");
	expect_line(text, "memtrace_lost_events_total{job=\"team \\\"a\\\"\\\\b\\nc\"} 7");
	/* no raw newline inside any sample: each line is a comment or a whole sample */
	for (const char *line = text; *line; line = strchr(line, '\n') + 1)
		assert_true(line[0] == '#' || !strncmp(line, "memtrace_", 9));
}

/*
 * Each family: "# HELP name", "# TYPE name gauge|counter", then its
 * samples, all together; a name appears in one block only. No timestamps:
 * a sample line is name{labels} value.
 */
static void test_help_type_blocks(void **state)
{
	const char *text = prom(*state, "memtrace");
	char seen[64][64], name[64], type[16], current[64] = "";
	size_t nr_seen = 0;
	const char *line;
	int help = 0;

	for (line = text; *line; line = strchr(line, '\n') + 1) {
		if (sscanf(line, "# HELP %63s ", name) == 1) {
			for (size_t i = 0; i < nr_seen; i++)
				assert_string_not_equal(seen[i], name);
			assert_true(nr_seen < 64);
			snprintf(seen[nr_seen++], sizeof(seen[0]), "%s", name);
			snprintf(current, sizeof(current), "%s", name);
			help = 1;
		} else if (sscanf(line, "# TYPE %63s %15s", name, type) == 2) {
			assert_int_equal(help, 1);
			assert_string_equal(name, current);
			assert_true(!strcmp(type, "gauge") || !strcmp(type, "counter"));
			/* a counter's name ends in _total, as the format's conventions ask */
			assert_int_equal(!strcmp(type, "counter"),
					 strlen(name) > 6 &&
						 !strcmp(name + strlen(name) - 6, "_total"));
			help = 2;
		} else {
			const char *brace = strchr(line, '{'), *end = strchr(line, '\n');
			const char *close = brace ? strstr(brace, "} ") : NULL;

			assert_int_equal(help, 2);
			assert_non_null(brace);
			assert_int_equal((size_t)(brace - line), strlen(current));
			assert_memory_equal(line, current, strlen(current));
			/* one value after the labels, no timestamp */
			assert_non_null(close);
			assert_null(memchr(close + 2, ' ', end - close - 2));
		}
	}
	assert_true(nr_seen >= 10);
}

/* A name's sums are sums of the snapshot's own per-process numbers. */
static void test_values_are_the_snapshots(void **state)
{
	struct world *w = *state;
	uint64_t live = 0, allocs = 0, peak = 0;
	json_t *procs, *p;
	char line[160];
	size_t i;

	w->s.sym = symbolizer__new();
	assert_non_null(w->s.sym);
	unit__snapshot(&w->s, &w->text, &w->len, &w->root);
	procs = unit__get(w->root, "processes");
	json_array_foreach(procs, i, p) {
		json_t *a = json_array_get(unit__get(p, "allocators"), 0);

		if (strcmp(json_string_value(unit__get(p, "comm")), "worker"))
			continue;
		allocs += unit__get_u64(p, "allocs");
		if (json_is_true(unit__get(p, "exited")))
			continue;
		assert_string_equal(json_string_value(unit__get(a, "name")), "libc");
		live += unit__get_u64(a, "live_bytes");
		if (unit__get_u64(p, "peak_bytes") > peak)
			peak = unit__get_u64(p, "peak_bytes");
	}
	prom(w, "memtrace");
	snprintf(line, sizeof(line),
		 "memtrace_live_bytes{job=\"memtrace\",comm=\"worker\",allocator=\"libc\"} %llu",
		 (unsigned long long)live);
	expect_line(w->text, line);
	snprintf(line, sizeof(line),
		 "memtrace_allocations_total{job=\"memtrace\",comm=\"worker\"} %llu",
		 (unsigned long long)allocs);
	expect_line(w->text, line);
	snprintf(line, sizeof(line), "memtrace_peak_bytes{job=\"memtrace\",comm=\"worker\"} %llu",
		 (unsigned long long)peak);
	expect_line(w->text, line);
	snprintf(line, sizeof(line), "memtrace_lost_events_total{job=\"memtrace\"} %llu",
		 (unsigned long long)unit__get_u64(w->root, "lost_events"));
	expect_line(w->text, line);
}

/* A process with a GPU library: every kind, live bytes of the running ones. */
static void test_gpu_by_kind(void **state)
{
	struct world *w = *state;
	struct mt_process *p = tracker__process(&w->t, PID_B);
	const char *text;

	assert_int_equal(gpu_accounting__add_library(p, "/usr/lib/libcuda.so.1"), 0);
	p->gpu->kinds[GPU_KIND_DEVICE].allocs = 2;
	p->gpu->kinds[GPU_KIND_DEVICE].allocated_bytes = 3 << 20;
	p->gpu->kinds[GPU_KIND_DEVICE].current_bytes = 1 << 20;
	p->gpu->kinds[GPU_KIND_MANAGED].current_bytes = 4096;
	p->gpu->nr_ooms = 1;
	p->gpu->ooms_omitted = 2;
	text = prom(w, "memtrace");
	expect_line(text, "memtrace_gpu_live_bytes{job=\"memtrace\",comm=\"worker\","
			  "kind=\"device\"} 1048576");
	expect_line(text, "memtrace_gpu_live_bytes{job=\"memtrace\",comm=\"worker\","
			  "kind=\"managed\"} 4096");
	expect_line(text,
		    "memtrace_gpu_live_bytes{job=\"memtrace\",comm=\"worker\",kind=\"pinned\"} 0");
	expect_line(text, "memtrace_gpu_allocations_total{job=\"memtrace\",comm=\"worker\","
			  "kind=\"device\"} 2");
	expect_line(text, "memtrace_gpu_allocated_bytes_total{job=\"memtrace\",comm=\"worker\","
			  "kind=\"device\"} 3145728");
	expect_line(text, "memtrace_gpu_oom_events_total{job=\"memtrace\",comm=\"worker\"} 3");
	/* the other names made no GPU call: no GPU series of theirs */
	expect_no(text, "memtrace_gpu_oom_events_total{job=\"memtrace\",comm=\"a");
}

/* No process at all: the run's loss counters, nothing else, and no empty family. */
static void test_empty_run(void **state)
{
	struct tracker t;
	struct run_summary s = { .tracker = &t };
	char *text = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(tracker__init(&t), 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(prometheus__write(&s, "memtrace", f), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(text,
			    "# HELP memtrace_lost_events_total Allocator calls the kernel could not "
			    "deliver (the snapshot's lost_events).\n"
			    "# TYPE memtrace_lost_events_total counter\n"
			    "memtrace_lost_events_total{job=\"memtrace\"} 0\n"
			    "# HELP memtrace_lost_stacks_total Calls counted without their stack "
			    "(the snapshot's lost_stacks).\n"
			    "# TYPE memtrace_lost_stacks_total counter\n"
			    "memtrace_lost_stacks_total{job=\"memtrace\"} 0\n");
	free(text);
	tracker__release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gauges_sum_running_by_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_sum_every_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_type_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_are_the_snapshots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpu_by_kind, setup, teardown),
		cmocka_unit_test(test_empty_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
