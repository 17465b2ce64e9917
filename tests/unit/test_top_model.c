// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace top's model without a terminal: rates against the frame before,
 * site growth, sorting, filtering, selection and expansion, the minute of
 * history, the columns' text, the sparkline, and --batch's exact frame.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/top_batch.h"
#include "output/top_model.h"
#include "output/top_screen.h"

#define MIB (1024ULL * 1024)

static struct top_row row(uint32_t pid, uint32_t tid, const char *comm, uint64_t live,
			  uint64_t allocated, uint64_t freed)
{
	struct top_row r = { .pid = pid, .tid = tid, .live = live, .peak = live,
			     .allocated = allocated, .freed = freed };

	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	return r;
}

static struct top_site site(uint32_t pid, uint32_t stack, uint64_t live, const char *name)
{
	struct top_site s = { .pid = pid, .stack = stack, .live = live, .blocks = live / MIB };

	snprintf(s.allocator, sizeof(s.allocator), "libc");
	snprintf(s.name, sizeof(s.name), "%s", name);
	return s;
}

static void begin(struct top_model *m, double elapsed, uint64_t host_live)
{
	struct top_totals t = { .processes = 2, .running = 2, .host_live = host_live,
				.elapsed_s = elapsed };

	top_model__begin(m, &t);
}

static const struct top_row *proc(const struct top_model *m, size_t i)
{
	return &((const struct top_row *)m->procs.items)[i];
}

static const struct top_site *site_at(const struct top_model *m, size_t i)
{
	return &((const struct top_site *)m->sites.items)[i];
}

/* Rates are the counters' change over the time between frames; a new row's from 0. */
static void test_rates(void **state)
{
	struct top_model m;
	struct top_row a = row(10, 0, "train", 1000, 1000, 0);

	(void)state;
	top_model__init(&m, 1);
	begin(&m, 1.0, 1000);
	assert_int_equal(top_model__add_process(&m, &a), 0);
	assert_int_equal(top_model__end(&m), 0);
	assert_true(proc(&m, 0)->alloc_rate == 1000.0);
	assert_true(proc(&m, 0)->free_rate == 0.0);

	begin(&m, 3.0, 3000);
	a = row(10, 0, "train", 3000, 5000, 2000);
	assert_int_equal(top_model__add_process(&m, &a), 0);
	a = row(11, 0, "loader", 600, 600, 0);
	assert_int_equal(top_model__add_process(&m, &a), 0);
	assert_int_equal(top_model__end(&m), 0);
	assert_true(proc(&m, 0)->alloc_rate == 2000.0);
	assert_true(proc(&m, 0)->free_rate == 1000.0);
	assert_true(proc(&m, 1)->alloc_rate == 300.0);
	assert_int_equal(m.frames, 2);
	top_model__release(&m);
}

/* The resource profile's counters as rates: CPU% of one CPU, faults, IO and network a second. */
static void test_resource_rates(void **state)
{
	struct top_model m;
	struct top_row r = row(10, 11, "train", 0, 0, 0), plain = row(10, 12, "loader", 0, 0, 0);
	char buf[64];

	(void)state;
	r.res = (struct top_resources){ .known = true, .cpu_ns = 500000000ULL, .faults = 100,
					.io_bytes = 4096, .net_bytes = 0 };
	snprintf(r.res.bottleneck, sizeof(r.res.bottleneck), "cpu");
	top_model__init(&m, 1);
	begin(&m, 1.0, 0);
	top_model__add_thread(&m, &r);
	top_model__add_thread(&m, &plain);
	top_model__end(&m);
	r.res.cpu_ns += 1500000000ULL;
	r.res.faults += 300;
	r.res.io_bytes += 2 * MIB;
	r.res.net_bytes += 1000;
	begin(&m, 3.0, 0);
	top_model__add_thread(&m, &r);
	top_model__add_thread(&m, &plain);
	top_model__end(&m);
	top_model__set_view(&m, TOP_VIEW_THREADS);
	/* sorted by LIVE, both 0: in the order they came */
	assert_true(top_model__row(&m, 0)->cpu_pct == 75.0);
	assert_true(top_model__row(&m, 0)->faults_rate == 150.0);
	assert_true(top_model__row(&m, 0)->io_rate == 1.0 * MIB);
	assert_true(top_model__row(&m, 0)->net_rate == 500.0);
	/* CPU%, FLT/s, IO/s, NET/s, BOTTLENECK: columns 8 to 12 */
	assert_string_equal(top_model__row_value(&top_row_columns[8], top_model__row(&m, 0), false,
						 buf, 64),
			    "75.0");
	assert_string_equal(top_model__row_value(&top_row_columns[9], top_model__row(&m, 0), true,
						 buf, 64),
			    "150");
	assert_string_equal(top_model__row_value(&top_row_columns[10], top_model__row(&m, 0), false,
						 buf, 64),
			    "1.0M/s");
	assert_string_equal(top_model__row_value(&top_row_columns[12], top_model__row(&m, 0), true,
						 buf, 64),
			    "cpu");
	for (size_t c = 8; c <= 12; c++)
		assert_string_equal(top_model__row_value(&top_row_columns[c], top_model__row(&m, 1),
							 true, buf, 64),
				    "-");
	top_model__release(&m);
}

/* An exec-ed image (exited) and the new one share the PID: each keeps its own rates. */
static void test_rates_by_image(void **state)
{
	struct top_model m;
	struct top_row old = row(10, 0, "sh", 0, 800, 800), now = row(10, 0, "train", 0, 100, 0);

	(void)state;
	old.exited = true;
	top_model__init(&m, 1);
	begin(&m, 1.0, 0);
	top_model__add_process(&m, &old);
	top_model__end(&m);
	begin(&m, 2.0, 0);
	top_model__add_process(&m, &old);
	top_model__add_process(&m, &now);
	top_model__end(&m);
	assert_true(proc(&m, 0)->alloc_rate == 0.0);
	assert_true(proc(&m, 1)->alloc_rate == 100.0);
	top_model__release(&m);
}

/* Growth: live bytes' change a second; a site that shrinks grows negatively. */
static void test_site_growth(void **state)
{
	struct top_model m;
	struct top_site a = site(10, 1, 4 * MIB, "leak (l.c:3)"),
			b = site(10, 2, 8 * MIB, "cache (c.c:9)");

	(void)state;
	top_model__init(&m, 0.5);
	begin(&m, 0.5, 0);
	top_model__add_site(&m, &a);
	top_model__add_site(&m, &b);
	top_model__end(&m);
	assert_true(site_at(&m, 0)->growth == 8.0 * MIB);

	begin(&m, 1.0, 0);
	a.live = 5 * MIB;
	b.live = 6 * MIB;
	top_model__add_site(&m, &a);
	top_model__add_site(&m, &b);
	top_model__end(&m);
	assert_true(site_at(&m, 0)->growth == 2.0 * MIB);
	assert_true(site_at(&m, 1)->growth == -4.0 * MIB);

	/* by growth, the leak comes first although it holds less */
	top_model__set_view(&m, TOP_VIEW_SITES);
	assert_int_equal(m.nr_order, 2);
	assert_int_equal(top_model__site(&m, 0)->stack, 2);
	top_model__move_sort(&m, 1);
	top_model__move_sort(&m, 1);
	assert_string_equal(top_model__sort_title(&m), "GROWTH/s");
	assert_int_equal(top_model__site(&m, 0)->stack, 1);
	top_model__release(&m);
}

static void frame_of_three(struct top_model *m)
{
	struct top_row r;

	top_model__init(m, 1);
	begin(m, 1.0, 0);
	r = row(30, 0, "Loader", 2 * MIB, 0, 0);
	top_model__add_process(m, &r);
	r = row(10, 0, "train", 8 * MIB, 0, 0);
	top_model__add_process(m, &r);
	r = row(20, 0, "eval", 4 * MIB, 0, 0);
	top_model__add_process(m, &r);
	top_model__end(m);
}

/* LIVE largest first by default; a name A to Z; r reverses. */
static void test_sort(void **state)
{
	struct top_model m;

	(void)state;
	frame_of_three(&m);
	assert_string_equal(top_model__sort_title(&m), "LIVE");
	assert_int_equal(top_model__row(&m, 0)->pid, 10);
	assert_int_equal(top_model__row(&m, 1)->pid, 20);
	assert_int_equal(top_model__row(&m, 2)->pid, 30);
	/* from LIVE left: COMM; then PID, the processes view skipping TID */
	top_model__move_sort(&m, -1);
	assert_string_equal(top_model__sort_title(&m), "COMM");
	assert_string_equal(top_model__row(&m, 0)->comm, "Loader");
	top_model__move_sort(&m, -1);
	assert_string_equal(top_model__sort_title(&m), "PID");
	assert_int_equal(top_model__row(&m, 0)->pid, 10);
	top_model__reverse_sort(&m);
	assert_int_equal(top_model__row(&m, 0)->pid, 30);
	/* from PID left, round to BOTTLENECK: a column not gathered, all equal, in order */
	top_model__move_sort(&m, -1);
	assert_string_equal(top_model__sort_title(&m), "BOTTLENECK");
	assert_int_equal(top_model__row(&m, 0)->pid, 30);
	assert_int_equal(top_model__row(&m, 1)->pid, 10);
	top_model__release(&m);
}

/* The filter: a substring of the name, whatever its case; selection stays in the rows. */
static void test_filter_and_select(void **state)
{
	struct top_model m;

	(void)state;
	frame_of_three(&m);
	top_model__set_filter(&m, "LOAD");
	assert_int_equal(m.nr_order, 1);
	assert_int_equal(top_model__row(&m, 0)->pid, 30);
	top_model__set_filter(&m, "a");
	assert_int_equal(m.nr_order, 3);
	top_model__set_filter(&m, "ai");
	assert_int_equal(m.nr_order, 1);
	assert_int_equal(top_model__row(&m, 0)->pid, 10);
	top_model__set_filter(&m, "");
	top_model__select(&m, 5);
	assert_int_equal(m.selected, 2);
	top_model__select(&m, -7);
	assert_int_equal(m.selected, 0);
	top_model__release(&m);
}

/* Ended processes are hidden until e; they are still rows of the frame. */
static void test_ended(void **state)
{
	struct top_model m;
	struct top_row r = row(40, 0, "sh", 0, 100, 100);

	(void)state;
	frame_of_three(&m);
	begin(&m, 2.0, 0);
	for (size_t i = 0; i < 3; i++)
		top_model__add_process(&m, &((struct top_row *)m.old_procs.items)[i]);
	r.exited = r.ended = true;
	top_model__add_process(&m, &r);
	top_model__end(&m);
	assert_int_equal(m.procs.n, 4);
	assert_int_equal(m.nr_order, 3);
	top_model__toggle_ended(&m);
	assert_int_equal(m.nr_order, 4);
	assert_int_equal(top_model__row(&m, 3)->pid, 40);
	top_model__toggle_ended(&m);
	assert_int_equal(m.nr_order, 3);
	top_model__release(&m);
}

/* The frame before's site of the same key, for its name; another stack id is another site. */
static void test_old_site(void **state)
{
	struct top_model m;
	struct top_site a = site(10, 1, MIB, "leak (l.c:3)"), key = site(10, 1, MIB, "");
	const struct top_site *old;

	(void)state;
	a.stack_id = key.stack_id = 77;
	top_model__init(&m, 1);
	begin(&m, 1.0, 0);
	assert_null(top_model__old_site(&m, &key));
	top_model__add_site(&m, &a);
	top_model__end(&m);
	begin(&m, 2.0, 0);
	old = top_model__old_site(&m, &key);
	assert_non_null(old);
	assert_string_equal(old->name, "leak (l.c:3)");
	key.stack_id = 78;
	assert_null(top_model__old_site(&m, &key));
	top_model__end(&m);
	top_model__release(&m);
}

/* Enter expands the selected site; the expanded one keeps the selection as the order changes. */
static void test_expand(void **state)
{
	struct top_model m;
	struct top_site a = site(10, 1, 4 * MIB, "leak (l.c:3)"),
			b = site(10, 2, 8 * MIB, "cache (c.c:9)");

	(void)state;
	top_model__init(&m, 1);
	begin(&m, 1.0, 0);
	top_model__add_site(&m, &a);
	top_model__add_site(&m, &b);
	top_model__end(&m);
	top_model__toggle_expand(&m);
	assert_false(m.expanded);	/* not in the processes view */
	top_model__set_view(&m, TOP_VIEW_SITES);
	top_model__select(&m, 1);
	top_model__toggle_expand(&m);
	assert_true(m.expanded);
	assert_int_equal(m.expanded_stack, 1);
	/* the leak outgrows the cache: it is first now, and still the one selected */
	begin(&m, 2.0, 0);
	a.live = 16 * MIB;
	top_model__add_site(&m, &a);
	top_model__add_site(&m, &b);
	top_model__end(&m);
	assert_int_equal(m.selected, 0);
	assert_int_equal(top_model__site(&m, 0)->stack, 1);
	top_model__toggle_expand(&m);
	assert_false(m.expanded);
	top_model__release(&m);
}

/* At 0.1 s a refresh, the minute's 600 samples in 60 columns: the largest of each ten. */
static void test_history_columns(void **state)
{
	struct top_model m;
	uint64_t v[TOP_HISTORY_MAX];
	size_t n;

	(void)state;
	top_model__init(&m, 0.1);
	for (int i = 1; i <= 700; i++) {
		/* a spike in one sample of the 20th column: kept */
		begin(&m, i / 10.0, i == 295 ? 1000000 : (uint64_t)i);
		top_model__end(&m);
	}
	n = top_model__history_columns(&m, false, v, 60);
	assert_int_equal(n, 60);
	assert_int_equal(v[0], 110);	/* samples 101..110 */
	assert_int_equal(v[19], 1000000);
	assert_int_equal(v[59], 700);
	/* fewer samples than columns: as they are */
	top_model__release(&m);
	top_model__init(&m, 1);
	for (int i = 1; i <= 3; i++) {
		begin(&m, i, (uint64_t)i);
		top_model__end(&m);
	}
	assert_int_equal(top_model__history_columns(&m, false, v, 60), 3);
	assert_int_equal(v[2], 3);
	top_model__release(&m);
}

/* A minute of samples: at 1 s a refresh, the last 60, oldest first. */
static void test_history(void **state)
{
	struct top_model m;
	uint64_t v[TOP_HISTORY_MAX];
	size_t n;

	(void)state;
	top_model__init(&m, 1);
	for (int i = 1; i <= 70; i++) {
		begin(&m, i, (uint64_t)i * 100);
		top_model__end(&m);
	}
	n = top_model__history(&m, false, v, TOP_HISTORY_MAX);
	assert_int_equal(n, 60);
	assert_int_equal(v[0], 1100);
	assert_int_equal(v[59], 7000);
	n = top_model__history(&m, false, v, 3);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], 6800);
	assert_int_equal(v[2], 7000);
	n = top_model__history(&m, true, v, 3);
	assert_int_equal(v[2], 0);
	top_model__release(&m);
}

static void test_values(void **state)
{
	struct top_row r = row(10, 11, "train", 10 * MIB, 1536, 0);
	char buf[64];

	(void)state;
	r.alloc_rate = 1536;
	/* LIVE, ALLOC/s, GPU, CPU%: columns 3, 5, 7, 8 */
	assert_string_equal(top_model__row_value(&top_row_columns[3], &r, false, buf, 64), "10M");
	assert_string_equal(top_model__row_value(&top_row_columns[3], &r, true, buf, 64),
			    "10485760");
	assert_string_equal(top_model__row_value(&top_row_columns[5], &r, false, buf, 64),
			    "1.5K/s");
	assert_string_equal(top_model__row_value(&top_row_columns[5], &r, true, buf, 64), "1536");
	assert_string_equal(top_model__row_value(&top_row_columns[7], &r, false, buf, 64), "-");
	r.has_gpu = true;
	assert_string_equal(top_model__row_value(&top_row_columns[7], &r, false, buf, 64), "0B");
	assert_string_equal(top_model__row_value(&top_row_columns[8], &r, false, buf, 64), "-");
	assert_string_equal(top_model__row_value(&top_row_columns[2], &r, true, buf, 64), "train");
}

static void test_sparkline(void **state)
{
	uint64_t v[] = { 0, 7, 14 }, zero[] = { 0, 0 };
	char buf[64];

	(void)state;
	assert_string_equal(top_screen__sparkline(v, 3, true, buf, sizeof(buf)),
			    "\u2581\u2585\u2588");
	assert_string_equal(top_screen__sparkline(v, 3, false, buf, sizeof(buf)), "_=#");
	assert_string_equal(top_screen__sparkline(zero, 2, false, buf, sizeof(buf)), "__");
	/* a short buffer takes what fits, whole characters only */
	assert_string_equal(top_screen__sparkline(v, 3, true, buf, 7), "\u2581\u2585");
	assert_string_equal(top_screen__sparkline(v, 3, true, buf, 6), "\u2581");
	assert_string_equal(top_screen__sparkline(v, 3, false, buf, 3), "_=");
}

/* --batch's frame, byte for byte: the format the README promises. */
static void test_batch_frame(void **state)
{
	struct top_model m;
	struct top_row p = row(10, 0, "train", 3 * MIB, 3 * MIB, 0), t = row(10, 11, "train", 3 * MIB,
									      3 * MIB, 0);

	t.ended = true;
	struct top_site a = site(10, 1, MIB, "small (s.c:1)"), b = site(10, 2, 2 * MIB,
									 "leak (l.c:3)");
	struct top_totals tt = { .processes = 1, .running = 1, .host_live = 3 * MIB,
				 .lost = 2, .elapsed_s = 2.0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	top_model__init(&m, 2);
	top_model__begin(&m, &tt);
	top_model__add_process(&m, &p);
	top_model__add_thread(&m, &t);
	top_model__add_site(&m, &a);
	top_model__add_site(&m, &b);
	top_model__end(&m);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(top_batch__write(&m, 1, f), 0);
	fclose(f);
	assert_string_equal(text,
			    "frame\t1\t2.000\t1\t1\t3145728\t0\t2\n"
			    "process\t10\ttrain\t3145728\t3145728\t1572864\t0\t-\t-\t-\t-\t-\t-\t0\n"
			    "thread\t10\t11\ttrain\t3145728\t3145728\t1572864\t0\t-\t-\t-\t-\t-\t-"
			    "\t1\n"
			    "site\t10\t2097152\t2\t1048576\tlibc\tleak (l.c:3)\n"
			    "end\n");
	free(text);
	top_model__release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_rates_by_image),
		cmocka_unit_test(test_resource_rates),
		cmocka_unit_test(test_site_growth),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_filter_and_select),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_ended),
		cmocka_unit_test(test_old_site),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_history_columns),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_sparkline),
		cmocka_unit_test(test_batch_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
