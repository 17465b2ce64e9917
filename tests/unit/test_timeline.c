// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The timeline (account/timeline.h): points at 100 ms, the state a slot's
 * last record left and the peaks inside it, the halving past 4096 points
 * and its merge rule, a week of points in bounds, events thinned evenly;
 * then the process's "timeline" object in the snapshot, from records fed
 * through dispatch__record as the ring buffer would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "account/leaks.h"
#include "account/process_timeline.h"
#include "account/timeline.h"
#include "account/tracker.h"
#include "symbolize/symbolizer.h"
#include "unit/unit_helpers.h"

/* Above any pid_max (at most 2^22): /proc has none of them. */
#define PID 0x7ffffff0u
#define MS 1000000ULL
#define RES TIMELINE_RESOLUTION_NS
#define ORIGIN (1000 * MS)

static struct timeline_values host(uint64_t libc, uint64_t peak)
{
	return (struct timeline_values){ .host = { [MT_ALLOC_LIBC] = libc }, .host_peak = peak };
}

static void advance(struct timeline *tl, uint64_t t_ns, uint64_t libc)
{
	struct timeline_values v = host(libc, libc);

	assert_int_equal(timeline__advance(tl, ORIGIN, RES, ORIGIN + t_ns, &v), 0);
}

/* Records within a slot only move its peak; the next slot's first record closes it. */
static void test_resolution(void **state)
{
	struct timeline tl = { 0 };
	const struct timeline_values zero = { 0 };
	const struct timeline_point *pt;

	(void)state;
	advance(&tl, 20 * MS, 0);
	assert_int_equal(timeline__nr_points(&tl), 1);
	assert_int_equal(tl.slot_end_ns, ORIGIN + RES);
	advance(&tl, 99 * MS, 500); /* inside slot 0: nothing closes */
	assert_int_equal(timeline__nr_points(&tl), 1);
	advance(&tl, 100 * MS, 300); /* slot 1 opens; slot 0 ends with 300 live */
	advance(&tl, 730 * MS, 900); /* slots 2..6 had no record: no points */
	assert_int_equal(timeline__nr_points(&tl), 3);
	pt = timeline__point(&tl, 0);
	assert_int_equal(pt->slot, 0);
	assert_int_equal(pt->v.host[MT_ALLOC_LIBC], 300);
	assert_int_equal(pt->v.host_peak, 500); /* the 99 ms record found 500 */
	pt = timeline__point(&tl, 1);
	assert_int_equal(pt->slot, 1);
	assert_int_equal(pt->v.host[MT_ALLOC_LIBC], 900);
	pt = timeline__point(&tl, 2);
	assert_int_equal(pt->slot, 7);
	assert_int_equal(tl.slot_end_ns, ORIGIN + 8 * RES);
	/* a record from before the run's start counts in slot 0 */
	timeline__release(&tl);
	assert_int_equal(timeline__advance(&tl, ORIGIN, RES, ORIGIN - 5 * MS, &zero), 0);
	assert_int_equal(timeline__point(&tl, 0)->slot, 0);
	timeline__release(&tl);
}

/* A merged point: the later one's values (the state at the merged slot's end), the larger peaks. */
static void test_merge_rule(void **state)
{
	struct timeline tl = { 0 };
	struct timeline_values v;
	const struct timeline_point *pt;

	(void)state;
	/* slots 0, 1, 3, 4 closed; 6 open */
	v = host(0, 50);
	assert_int_equal(timeline__advance(&tl, ORIGIN, RES, ORIGIN, &v), 0);
	v = host(10, 700); /* slot 0 ends with 10, its peak 700 */
	assert_int_equal(timeline__advance(&tl, ORIGIN, RES, ORIGIN + 1 * RES, &v), 0);
	v = host(20, 20);
	assert_int_equal(timeline__advance(&tl, ORIGIN, RES, ORIGIN + 3 * RES, &v), 0);
	v = host(30, 30);
	assert_int_equal(timeline__advance(&tl, ORIGIN, RES, ORIGIN + 4 * RES, &v), 0);
	v = host(40, 40);
	assert_int_equal(timeline__advance(&tl, ORIGIN, RES, ORIGIN + 6 * RES, &v), 0);
	assert_int_equal(timeline__nr_points(&tl), 5);
	timeline__halve(&tl);
	assert_int_equal(tl.res_ns, 2 * RES);
	/* 0+1 -> 0, 3 -> 1, 4 -> 2, open 6 -> 3 */
	assert_int_equal(timeline__nr_points(&tl), 4);
	pt = timeline__point(&tl, 0);
	assert_int_equal(pt->slot, 0);
	assert_int_equal(pt->v.host[MT_ALLOC_LIBC], 20);
	assert_int_equal(pt->v.host_peak, 700);
	assert_int_equal(timeline__point(&tl, 1)->slot, 1);
	assert_int_equal(timeline__point(&tl, 1)->v.host[MT_ALLOC_LIBC], 30);
	assert_int_equal(timeline__point(&tl, 2)->slot, 2);
	assert_int_equal(timeline__point(&tl, 3)->slot, 3);
	assert_int_equal(tl.slot_end_ns, ORIGIN + 4 * 2 * RES);
	/* again: 0+1 -> 0, 2 and the open 3 -> 1, open, its peak the larger */
	timeline__halve(&tl);
	assert_int_equal(timeline__nr_points(&tl), 2);
	assert_int_equal(timeline__point(&tl, 0)->v.host[MT_ALLOC_LIBC], 30);
	assert_int_equal(timeline__point(&tl, 0)->v.host_peak, 700);
	assert_int_equal(timeline__point(&tl, 1)->slot, 1);
	assert_int_equal(timeline__point(&tl, 1)->v.host_peak, 40);
	timeline__release(&tl);
}

/*
 * A week of records every 100 ms, each slot's live bytes its index mod
 * 1000, one spike: at most 4096 points, the resolution 2^11 times coarser,
 * the last value and the spike kept.
 */
static void test_week_bound(void **state)
{
	const uint64_t slots = 7ULL * 24 * 3600 * 10, spike = 4321000;
	struct timeline tl = { 0 };
	uint64_t peak = 0, sum_points = 0;

	(void)state;
	for (uint64_t i = 0; i <= slots; i++) {
		uint64_t live = i == spike ? 1ULL << 40 : i % 1000;
		struct timeline_values v = host(live, live);
		uint64_t ts = ORIGIN + i * RES + 50 * MS;

		assert_int_equal(timeline__advance(&tl, ORIGIN, RES, ts, &v), 0);
		assert_true(timeline__nr_points(&tl) <= TIMELINE_MAX_POINTS);
	}
	assert_int_equal(tl.res_ns, RES << 11);
	assert_true(timeline__nr_points(&tl) <= TIMELINE_MAX_POINTS);
	assert_true(tl.cap <= TIMELINE_MAX_POINTS);
	for (size_t i = 0; i < timeline__nr_points(&tl); i++) {
		const struct timeline_point *pt = timeline__point(&tl, i);

		if (pt->v.host_peak > peak)
			peak = pt->v.host_peak;
		sum_points++;
		/* a closed point covers 2^11 records: it ends as the next slot's first found it */
		if (i + 1 < tl.nr)
			assert_int_equal(pt->v.host[MT_ALLOC_LIBC],
					 ((pt->slot + 1) << 11) % 1000);
	}
	assert_int_equal(peak, 1ULL << 40);
	/* slots 0 .. slots >> 11, every one with records */
	assert_int_equal(sum_points, (slots >> 11) + 1);
	timeline__release(&tl);
}

/* Past 1024, every second goes, then only every 2^k-th seen is kept: spread over the run. */
static void test_events_thinned(void **state)
{
	struct timeline_events ev = { 0 };

	(void)state;
	for (uint64_t i = 0; i < 5000; i++)
		assert_int_equal(timeline__add_event(&ev, i, 7, 2), 0);
	assert_int_equal(ev.seen, 5000);
	assert_int_equal(ev.stride_log, 3);
	assert_int_equal(ev.nr, 625);
	for (size_t i = 0; i < ev.nr; i++)
		assert_int_equal(ev.e[i].ts_ns, i * 8);
	assert_int_equal(ev.e[0].duration_ns, 7);
	assert_int_equal(ev.e[0].generation, 2);
	free(ev.e);
}

static void malloc_at(struct tracker *t, uint64_t ts, uint64_t addr, uint64_t size)
{
	unit__call(t, &(struct unit_call){ .func = MT_FN_MALLOC, .pid = PID, .tid = PID,
					   .ts_ns = ts, .duration_ns = 100, .addr = addr,
					   .size = size, .stack_id = MT_NO_STACK });
}

static void free_at(struct tracker *t, uint64_t ts, uint64_t addr)
{
	unit__call(t, &(struct unit_call){ .func = MT_FN_FREE, .pid = PID, .tid = PID,
					   .ts_ns = ts, .duration_ns = 100, .addr = addr,
					   .stack_id = MT_NO_STACK });
}

static void check_u64s(json_t *arr, size_t n, const uint64_t *want)
{
	assert_int_equal(json_array_size(arr), n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(json_integer_value(json_array_get(arr, i)), want[i]);
}

/* The snapshot's object: columns as long as t_s, values as the records left them. */
static void test_snapshot_json(void **state)
{
	static const uint64_t libc[] = { 1000, 3000, 500 }, peaks[] = { 1000, 3000, 3500 };
	struct tracker t;
	struct run_summary s = { 0 };
	struct leaks_opts lo = { .now_ns = ORIGIN + 10 * RES };
	char *text = NULL;
	size_t len;
	json_t *root = NULL, *proc, *tl, *ts, *ev;
	struct mt_event step = { .kind = MT_REC_STEP, .pid = PID, .tid = PID };

	(void)state;
	assert_int_equal(tracker__init(&t), 0);
	t.timeline_origin_ns = ORIGIN;
	assert_non_null(tracker__add_process(&t, PID));
	/* a process memtrace made begins when it did: before the run's start, as -p's do */
	tracker__process(&t, PID)->begin_ns = ORIGIN - 5 * MS;
	malloc_at(&t, ORIGIN + 10 * MS, 0x1000, 1000);		/* slot 0 */
	malloc_at(&t, ORIGIN + 520 * MS, 0x2000, 2000);		/* slot 5 */
	step.ts_ns = ORIGIN + 530 * MS;
	unit__feed(&t, &step, sizeof(step));
	malloc_at(&t, ORIGIN + 1010 * MS, 0x3000, 500);		/* slot 10 */
	free_at(&t, ORIGIN + 1020 * MS, 0x1000);
	free_at(&t, ORIGIN + 1030 * MS, 0x2000);
	s.tracker = &t;
	s.start_ns = ORIGIN;
	s.now_ns = lo.now_ns;
	s.sym = symbolizer__new();
	assert_non_null(s.sym);
	assert_int_equal(leaks__collect(&t, &lo, &s.leaks), 0);
	unit__snapshot(&s, &text, &len, &root);
	proc = json_array_get(unit__get(root, "processes"), 0);
	tl = unit__get(proc, "timeline");
	assert_true(json_number_value(unit__get(tl, "resolution_s")) == 0.1);
	ts = unit__get_array(tl, "t_s", 3);
	assert_true(json_number_value(json_array_get(ts, 0)) == 0);
	assert_true(json_number_value(json_array_get(ts, 1)) == 0.5);
	assert_true(json_number_value(json_array_get(ts, 2)) == 1);
	check_u64s(unit__get(unit__get(tl, "host_bytes"), "libc"), 3, libc);
	assert_int_equal(json_object_size(unit__get(tl, "host_bytes")), 1);
	check_u64s(unit__get(tl, "host_peak_bytes"), 3, peaks);
	assert_null(json_object_get(tl, "gpu_bytes"));
	assert_null(json_object_get(tl, "anon_bytes"));
	ev = unit__get_array(tl, "events", 2);
	assert_string_equal(json_string_value(unit__get(json_array_get(ev, 0), "type")), "start");
	assert_string_equal(json_string_value(unit__get(json_array_get(ev, 1), "type")), "step");
	assert_true(fabs(json_number_value(unit__get(json_array_get(ev, 1), "t_s")) - 0.53) < 1e-9);
	assert_int_equal(json_object_size(unit__get(tl, "events_omitted")), 0);
	json_decref(root);
	free(text);
	leaks__release(&s.leaks);
	symbolizer__free(s.sym);
	tracker__release(&t);
}

static void gc(struct tracker *t, uint8_t phase, int32_t gen, uint64_t ts_ns)
{
	struct mt_gc_event e = { .kind = MT_REC_GC, .phase = phase, .runtime = MT_GC_PYTHON,
				 .pid = PID, .tid = PID, .generation = gen, .ts_ns = ts_ns,
				 .collected = -1 };

	unit__feed(t, &e, sizeof(e));
}

static json_t *event(json_t *tl, size_t i, const char *type)
{
	json_t *ev = json_array_get(unit__get(tl, "events"), i);

	assert_non_null(ev);
	assert_string_equal(json_string_value(unit__get(ev, "type")), type);
	return ev;
}

/*
 * Collections, with their start and length; an end with no start is no
 * event; 1100 steps thinned to 550; the exit last, whose slot is the last point.
 */
static void test_events_json(void **state)
{
	struct tracker t;
	struct run_summary s = { 0 };
	struct leaks_opts lo = { .now_ns = ORIGIN + 100 * RES };
	struct mt_event step = { .kind = MT_REC_STEP, .pid = PID, .tid = PID };
	struct mt_proc_event exit_rec = { .kind = MT_REC_PROC, .op = MT_PROC_EXIT, .pid = PID,
					  .tid = PID, .ts_ns = ORIGIN + 3000 * MS };
	char *text = NULL;
	size_t len;
	json_t *root = NULL, *tl, *ev;

	(void)state;
	assert_int_equal(tracker__init(&t), 0);
	t.timeline_origin_ns = ORIGIN;
	assert_non_null(tracker__add_process(&t, PID));
	tracker__process(&t, PID)->begin_ns = ORIGIN;
	malloc_at(&t, ORIGIN + 10 * MS, 0x1000, 64);
	gc(&t, MT_GC_DONE, -1, ORIGIN + 20 * MS); /* tracing began mid-collection */
	gc(&t, MT_GC_START, 1, ORIGIN + 200 * MS);
	gc(&t, MT_GC_DONE, -1, ORIGIN + 230 * MS);
	for (uint64_t i = 0; i < 1100; i++) {
		step.ts_ns = ORIGIN + 1000 * MS + i * MS;
		unit__feed(&t, &step, sizeof(step));
	}
	unit__feed(&t, &exit_rec, sizeof(exit_rec));
	s.tracker = &t;
	s.start_ns = ORIGIN;
	s.now_ns = lo.now_ns;
	s.sym = symbolizer__new();
	assert_non_null(s.sym);
	assert_int_equal(leaks__collect(&t, &lo, &s.leaks), 0);
	unit__snapshot(&s, &text, &len, &root);
	tl = unit__get(json_array_get(unit__get(root, "processes"), 0), "timeline");
	/* start, the one collection, 550 steps, the end */
	assert_int_equal(json_array_size(unit__get(tl, "events")), 1 + 1 + 550 + 1);
	ev = event(tl, 0, "start");
	assert_string_equal(json_string_value(unit__get(ev, "by")), "seen");
	ev = event(tl, 1, "gc");
	assert_true(fabs(json_number_value(unit__get(ev, "t_s")) - 0.2) < 1e-9);
	assert_true(fabs(json_number_value(unit__get(ev, "duration_s")) - 0.03) < 1e-9);
	assert_int_equal(json_integer_value(unit__get(ev, "generation")), 1);
	ev = event(tl, 3, "step"); /* every second step: 1.000 s, 1.002 s, ... */
	assert_true(fabs(json_number_value(unit__get(ev, "t_s")) - 1.002) < 1e-9);
	ev = event(tl, 552, "end");
	assert_string_equal(json_string_value(unit__get(ev, "by")), "exit");
	assert_true(fabs(json_number_value(unit__get(ev, "t_s")) - 3) < 1e-9);
	assert_int_equal(unit__get_u64(unit__get(tl, "events_omitted"), "step"), 550);
	assert_null(json_object_get(unit__get(tl, "events_omitted"), "gc"));
	/* the exit's slot is the last point, the block it left still live there */
	ev = unit__get(tl, "t_s");
	assert_true(fabs(json_number_value(json_array_get(ev, json_array_size(ev) - 1)) - 3) <
		    1e-9);
	ev = unit__get(unit__get(tl, "host_bytes"), "libc");
	assert_int_equal(json_integer_value(json_array_get(ev, json_array_size(ev) - 1)), 64);
	json_decref(root);
	free(text);
	leaks__release(&s.leaks);
	symbolizer__free(s.sym);
	tracker__release(&t);
}

static void gpu_call(struct tracker *t, uint16_t func, uint64_t ts_ns, uint64_t addr,
		     uint64_t size, uint32_t result)
{
	struct mt_gpu_event e = { .kind = MT_REC_GPU, .func = func, .pid = PID, .tid = PID,
				  .result = result, .ts_ns = ts_ns, .stack_id = MT_NO_STACK,
				  .addr = addr, .size = size, .device = -1 };

	unit__feed(t, &e, sizeof(e));
}

static void check_column(json_t *obj, const char *key, size_t n, const uint64_t *want)
{
	check_u64s(unit__get(obj, key), n, want);
}

/*
 * GPU memory by kind: device and managed each as the calls left them, the
 * device peak inside a slot (a block freed before the slot ended), the OOM
 * event; pinned, never used, has no column.
 */
static void test_gpu_json(void **state)
{
	static const uint64_t device[] = { 0, 4096, 0 }, managed[] = { 0, 0, 100 };
	/* slot 2 begins with 4096 live, until its free at 210 ms */
	static const uint64_t peak[] = { 0, 4096 + 8192, 4096 };
	struct tracker t;
	struct run_summary s = { 0 };
	struct leaks_opts lo = { .now_ns = ORIGIN + 100 * RES };
	char *text = NULL;
	size_t len;
	json_t *root = NULL, *tl, *ev;

	(void)state;
	assert_int_equal(tracker__init(&t), 0);
	t.timeline_origin_ns = ORIGIN;
	assert_non_null(tracker__add_process(&t, PID));
	tracker__process(&t, PID)->begin_ns = ORIGIN;
	malloc_at(&t, ORIGIN + 10 * MS, 0x1000, 64);				/* slot 0 */
	gpu_call(&t, MT_GPU_CUDA_MALLOC, ORIGIN + 110 * MS, 0xd000, 4096, 0);	/* slot 1 */
	gpu_call(&t, MT_GPU_CUDA_MALLOC, ORIGIN + 120 * MS, 0xe000, 8192, 0);
	gpu_call(&t, MT_GPU_CUDA_FREE, ORIGIN + 130 * MS, 0xe000, 0, 0);
	gpu_call(&t, MT_GPU_CUDA_MALLOC, ORIGIN + 140 * MS, 0, 1 << 30, MT_GPU_RESULT_OOM);
	gpu_call(&t, MT_GPU_CUDA_FREE, ORIGIN + 210 * MS, 0xd000, 0, 0);	/* slot 2 */
	gpu_call(&t, MT_GPU_CUDA_MALLOC_MANAGED, ORIGIN + 220 * MS, 0xf000, 100, 0);
	s.tracker = &t;
	s.start_ns = ORIGIN;
	s.now_ns = lo.now_ns;
	s.sym = symbolizer__new();
	assert_non_null(s.sym);
	assert_int_equal(leaks__collect(&t, &lo, &s.leaks), 0);
	unit__snapshot(&s, &text, &len, &root);
	tl = unit__get(json_array_get(unit__get(root, "processes"), 0), "timeline");
	assert_int_equal(json_array_size(unit__get(tl, "t_s")), 3);
	assert_int_equal(json_object_size(unit__get(tl, "gpu_bytes")), 2);
	check_column(unit__get(tl, "gpu_bytes"), "device", 3, device);
	check_column(unit__get(tl, "gpu_bytes"), "managed", 3, managed);
	check_column(tl, "gpu_peak_bytes", 3, peak);
	ev = event(tl, 1, "oom");
	assert_true(fabs(json_number_value(unit__get(ev, "t_s")) - 0.14) < 1e-9);
	assert_int_equal(unit__get_u64(ev, "size"), 1 << 30);
	assert_string_equal(json_string_value(unit__get(ev, "kind")), "device");
	assert_int_equal(unit__get_u64(ev, "gpu_live_bytes"), 4096);
	json_decref(root);
	free(text);
	leaks__release(&s.leaks);
	symbolizer__free(s.sym);
	tracker__release(&t);
}

/*
 * An exec: the old image's last closed slot holds its blocks as they stood,
 * its exec's slot the nothing the exec left; the new image starts there.
 */
static void test_exec_json(void **state)
{
	static const uint64_t old_libc[] = { 1000, 0 }, new_libc[] = { 0, 24 };
	struct mt_proc_event exec_rec = { .kind = MT_REC_PROC, .op = MT_PROC_EXEC, .pid = PID,
					  .tid = PID, .ts_ns = ORIGIN + 300 * MS,
					  .comm = "new_image" };
	struct tracker t;
	struct run_summary s = { 0 };
	struct leaks_opts lo = { .now_ns = ORIGIN + 100 * RES };
	char *text = NULL;
	size_t len;
	json_t *root = NULL, *procs, *tl;

	(void)state;
	assert_int_equal(tracker__init(&t), 0);
	t.timeline_origin_ns = ORIGIN;
	assert_non_null(tracker__add_process(&t, PID));
	tracker__process(&t, PID)->begin_ns = ORIGIN;
	malloc_at(&t, ORIGIN + 10 * MS, 0x1000, 1000);		/* slot 0 */
	unit__feed(&t, &exec_rec, sizeof(exec_rec));		/* slot 3 */
	malloc_at(&t, ORIGIN + 450 * MS, 0x1000, 24);		/* the new image's, slot 4 */
	s.tracker = &t;
	s.start_ns = ORIGIN;
	s.now_ns = lo.now_ns;
	s.sym = symbolizer__new();
	assert_non_null(s.sym);
	assert_int_equal(leaks__collect(&t, &lo, &s.leaks), 0);
	unit__snapshot(&s, &text, &len, &root);
	procs = unit__get_array(root, "processes", 2);
	tl = unit__get(json_array_get(procs, 0), "timeline");
	check_column(unit__get(tl, "host_bytes"), "libc", 2, old_libc);
	assert_true(fabs(json_number_value(json_array_get(unit__get(tl, "t_s"), 1)) - 0.3) < 1e-9);
	assert_string_equal(json_string_value(unit__get(event(tl, 1, "end"), "by")), "exec");
	tl = unit__get(json_array_get(procs, 1), "timeline");
	check_column(unit__get(tl, "host_bytes"), "libc", 2, new_libc);
	assert_true(fabs(json_number_value(json_array_get(unit__get(tl, "t_s"), 0)) - 0.3) < 1e-9);
	assert_string_equal(json_string_value(unit__get(event(tl, 0, "start"), "by")), "exec");
	json_decref(root);
	free(text);
	leaks__release(&s.leaks);
	symbolizer__free(s.sym);
	tracker__release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolution),
		cmocka_unit_test(test_merge_rule),
		cmocka_unit_test(test_week_bound),
		cmocka_unit_test(test_events_thinned),
		cmocka_unit_test(test_snapshot_json),
		cmocka_unit_test(test_events_json),
		cmocka_unit_test(test_gpu_json),
		cmocka_unit_test(test_exec_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
