// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Garbage-collection statistics from hand-made MT_REC_GC records, fed
 * through dispatch__record as the ring buffer would: start and end
 * paired per thread, exact durations per generation, ends and starts that
 * pair with nothing, and the "gc" snapshot object and report row they make.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/gc_stats.h"
#include "account/tracker.h"
#include "ingest/dispatch.h"
#include "output/gc_report.h"
#include "output/gc_snapshot.h"
#include "util/json_writer.h"

/* Above any pid_max (at most 2^22): /proc has none of them. */
#define PID 0x7ffffff0u
#define T1  PID
#define T2  0x7ffffff2u

#define MS 1000000ULL

struct fixture {
	struct tracker t;
	struct mt_process *p;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(tracker__init(&fx->t), 0);
	fx->p = tracker__add_process(&fx->t, PID);
	assert_non_null(fx->p);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	tracker__release(&fx->t);
	free(fx);
	return 0;
}

static void send(struct fixture *fx, uint8_t runtime, uint8_t phase, uint32_t tid, int32_t gen,
		 uint64_t ts_ns, int64_t collected)
{
	struct mt_gc_event e = {
		.kind = MT_REC_GC,
		.phase = phase,
		.runtime = runtime,
		.pid = PID,
		.tid = tid,
		.generation = gen,
		.ts_ns = ts_ns,
		.collected = collected,
	};
	struct dispatch d = { .tracker = &fx->t };

	assert_int_equal(dispatch__record(&d, &e, sizeof(e)), 0);
}

static void start(struct fixture *fx, uint32_t tid, int32_t gen, uint64_t ts_ns)
{
	send(fx, MT_GC_PYTHON, MT_GC_START, tid, gen, ts_ns, -1);
}

static void done(struct fixture *fx, uint32_t tid, uint64_t ts_ns, int64_t collected)
{
	send(fx, MT_GC_PYTHON, MT_GC_DONE, tid, -1, ts_ns, collected);
}

static void assert_gen(const struct gc_stats *gs, int gen, uint64_t n, uint64_t total,
		       uint64_t min, uint64_t max, uint64_t collected)
{
	const struct gc_generation *g = &gs->gens[gen];

	assert_int_equal(g->collections, n);
	assert_int_equal(g->total_ns, total);
	assert_int_equal(g->min_ns, min);
	assert_int_equal(g->max_ns, max);
	assert_int_equal(g->collected, collected);
}

/* No record, no stats: a process without a runtime gets no "gc" object. */
static void test_none_until_a_record(void **state)
{
	struct fixture *fx = *state;

	assert_null(fx->p->gc);
	assert_int_equal(gc_stats__collections(fx->p->gc), 0);
}

static void test_pairs_per_generation(void **state)
{
	struct fixture *fx = *state;
	const struct gc_stats *gs;

	start(fx, T1, 0, 100 * MS);
	done(fx, T1, 101 * MS, 5);
	start(fx, T1, 0, 200 * MS);
	done(fx, T1, 203 * MS, 7);
	start(fx, T1, 2, 300 * MS);
	done(fx, T1, 310 * MS, 40);
	gs = fx->p->gc;
	assert_non_null(gs);
	assert_int_equal(gs->runtime, MT_GC_PYTHON);
	assert_true(gs->collected_known);
	assert_gen(gs, 0, 2, 4 * MS, 1 * MS, 3 * MS, 12);
	assert_gen(gs, 1, 0, 0, 0, 0, 0);
	assert_gen(gs, 2, 1, 10 * MS, 10 * MS, 10 * MS, 40);
	assert_int_equal(gc_stats__collections(gs), 3);
	assert_int_equal(gc_stats__total_ns(gs), 14 * MS);
	assert_int_equal(gs->unmatched, 0);
	assert_int_equal(gs->nr_pending, 0);
}

/* Two threads collecting at once (sub-interpreters): each end pairs with its own start. */
static void test_threads_interleaved(void **state)
{
	struct fixture *fx = *state;

	start(fx, T1, 0, 10 * MS);
	start(fx, T2, 1, 11 * MS);
	done(fx, T1, 15 * MS, 1);
	done(fx, T2, 31 * MS, 2);
	assert_gen(fx->p->gc, 0, 1, 5 * MS, 5 * MS, 5 * MS, 1);
	assert_gen(fx->p->gc, 1, 1, 20 * MS, 20 * MS, 20 * MS, 2);
	assert_int_equal(fx->p->gc->unmatched, 0);
}

/* Tracing began mid-collection: its end alone is counted as unmatched, not as a collection. */
static void test_unmatched_done(void **state)
{
	struct fixture *fx = *state;

	done(fx, T1, 5 * MS, 9);
	assert_non_null(fx->p->gc);
	assert_int_equal(gc_stats__collections(fx->p->gc), 0);
	assert_int_equal(fx->p->gc->unmatched, 1);
	/* the next collection pairs normally */
	start(fx, T1, 1, 6 * MS);
	done(fx, T1, 8 * MS, 3);
	assert_gen(fx->p->gc, 1, 1, 2 * MS, 2 * MS, 2 * MS, 3);
	assert_int_equal(fx->p->gc->unmatched, 1);
}

/* A lost end: the next start replaces the open one, which counts as unmatched. */
static void test_start_without_done(void **state)
{
	struct fixture *fx = *state;

	start(fx, T1, 0, 1 * MS);
	start(fx, T1, 2, 50 * MS);
	done(fx, T1, 52 * MS, 4);
	assert_gen(fx->p->gc, 0, 0, 0, 0, 0, 0);
	assert_gen(fx->p->gc, 2, 1, 2 * MS, 2 * MS, 2 * MS, 4);
	assert_int_equal(fx->p->gc->unmatched, 1);
}

/* A generation no runtime has is not counted, and its end pairs with nothing. */
static void test_generation_out_of_range(void **state)
{
	struct fixture *fx = *state;

	start(fx, T1, GC_GENERATIONS, 1 * MS);
	done(fx, T1, 2 * MS, 1);
	start(fx, T1, -1, 3 * MS);
	assert_int_equal(gc_stats__collections(fx->p->gc), 0);
	assert_int_equal(fx->p->gc->unmatched, 3);
}

/* HotSpot: young or full, and no count of objects. */
static void test_jvm(void **state)
{
	struct fixture *fx = *state;

	send(fx, MT_GC_JVM, MT_GC_START, T1, MT_GC_JVM_FULL, 0, -1);
	send(fx, MT_GC_JVM, MT_GC_DONE, T1, -1, 25 * MS, -1);
	assert_int_equal(fx->p->gc->runtime, MT_GC_JVM);
	assert_false(fx->p->gc->collected_known);
	assert_gen(fx->p->gc, MT_GC_JVM_FULL, 1, 25 * MS, 25 * MS, 25 * MS, 0);
	assert_string_equal(gc_stats__runtime_name(MT_GC_JVM), "jvm");
}

static json_t *snapshot_gc(const struct mt_process *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json_writer *w;
	json_error_t error;
	json_t *root;

	assert_non_null(f);
	w = json_writer__new(f, false);
	assert_non_null(w);
	json_writer__begin_object(w);
	gc_snapshot__write_process(p, w);
	json_writer__end_object(w);
	assert_int_equal(json_writer__error(w), 0);
	json_writer__free(w);
	fclose(f);
	root = json_loads(text, 0, &error);
	if (!root)
		fail_msg("not JSON (%s): %s", error.text, text);
	free(text);
	return root;
}

static void test_snapshot_object(void **state)
{
	struct fixture *fx = *state;
	json_t *root, *gc, *g;

	root = snapshot_gc(fx->p);
	assert_int_equal(json_object_size(root), 0);
	json_decref(root);

	fx->p->gc = gc_stats__new(MT_GC_PYTHON, "/usr/bin/python3.11");
	start(fx, T1, 2, 0);
	done(fx, T1, 3 * MS, 11);
	done(fx, T2, 4 * MS, 1);
	root = snapshot_gc(fx->p);
	gc = json_object_get(root, "gc");
	assert_non_null(gc);
	assert_string_equal(json_string_value(json_object_get(gc, "runtime")), "python");
	assert_string_equal(json_string_value(json_object_get(gc, "probed")),
			    "/usr/bin/python3.11");
	assert_int_equal(json_integer_value(json_object_get(gc, "collections")), 1);
	assert_int_equal(json_integer_value(json_object_get(gc, "unmatched")), 1);
	assert_int_equal(json_array_size(json_object_get(gc, "generations")), 3);
	g = json_array_get(json_object_get(gc, "generations"), 2);
	assert_int_equal(json_integer_value(json_object_get(g, "generation")), 2);
	assert_int_equal(json_integer_value(json_object_get(g, "collections")), 1);
	assert_true(json_real_value(json_object_get(g, "total_ms")) == 3.0);
	assert_true(json_real_value(json_object_get(g, "max_ms")) == 3.0);
	assert_int_equal(json_integer_value(json_object_get(g, "collected")), 11);
	json_decref(root);
}

static void test_snapshot_jvm_collected_null(void **state)
{
	struct fixture *fx = *state;
	json_t *root, *gens;

	send(fx, MT_GC_JVM, MT_GC_START, T1, MT_GC_JVM_YOUNG, 0, -1);
	send(fx, MT_GC_JVM, MT_GC_DONE, T1, -1, 2 * MS, -1);
	root = snapshot_gc(fx->p);
	gens = json_object_get(json_object_get(root, "gc"), "generations");
	assert_int_equal(json_array_size(gens), 2);
	assert_true(json_is_null(json_object_get(json_array_get(gens, 0), "collected")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(gens, 0),
							    "collections")), 1);
	json_decref(root);
}

static void test_report_row(void **state)
{
	struct fixture *fx = *state;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	start(fx, T1, 0, 0);
	done(fx, T1, 1 * MS, 5);
	start(fx, T1, 2, 10 * MS);
	done(fx, T1, 12 * MS, 20);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	gc_report__write_line(fx->p, f);
	fclose(f);
	assert_string_equal(text, "  GC python: 2 collections, 3.00 ms"
				  " | gen0 1, 1.00 ms, max 1.00 ms, 5 collected"
				  "; gen2 1, 2.00 ms, max 2.00 ms, 20 collected\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_none_until_a_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairs_per_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_interleaved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmatched_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_without_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jvm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_jvm_collected_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_row, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
