// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The resource profile's arithmetic (account/resources.c) on hand-made
 * kernel counters: where the wall time went, a fault's time taken out of
 * the CPU and run-queue parts, states still going on at the read, the
 * verdict's thresholds, and a process's sums.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "account/process.h"
#include "account/resources.h"

#define MS 1000000ULL

static const struct run_resources all_on = {
	.enabled = true,
	.probes = { .on = { true, true, true, true, true } },
};

static struct thread_resources counters(uint64_t wall, uint64_t on_cpu, uint64_t runq)
{
	return (struct thread_resources){
		.seen = true,
		.read_ns = 1000 * MS + wall,
		.k = { .first_ns = 1000 * MS, .last_ns = 1000 * MS + wall, .on_cpu_ns = on_cpu,
		       .runq_ns = runq },
	};
}

static void test_cpu_with_runqueue(void **state)
{
	struct thread_resources r = counters(100 * MS, 40 * MS, 20 * MS);
	struct res_profile p;

	(void)state;
	resources__thread(&r, true, &all_on, &p);
	assert_int_equal(p.wall.wall_ns, 100 * MS);
	assert_int_equal(p.wall.on_cpu_ns, 40 * MS);
	assert_int_equal(p.wall.runnable_ns, 20 * MS);
	assert_int_equal(p.wall.other_ns, 40 * MS);
	/* waiting for a CPU counts as the CPU's: 60% */
	assert_int_equal(p.verdict, RES_VERDICT_CPU);
	assert_true(p.share > 0.599 && p.share < 0.601);
	assert_string_equal(resources__verdict_name(p.verdict), "cpu");
}

static void test_fault_time_is_its_own(void **state)
{
	struct thread_resources r = counters(100 * MS, 50 * MS, 10 * MS);
	struct res_profile p;

	(void)state;
	/* 70 ms in faults: 30 asleep (a major fault's read), 5 runnable, so 35 on CPU */
	r.k.fault_ns = 70 * MS;
	r.k.fault_sleep_ns = 30 * MS;
	r.k.fault_runq_ns = 5 * MS;
	resources__thread(&r, true, &all_on, &p);
	assert_int_equal(p.wall.fault_ns, 70 * MS);
	assert_int_equal(p.wall.on_cpu_ns, 15 * MS);
	assert_int_equal(p.wall.runnable_ns, 5 * MS);
	assert_int_equal(p.wall.other_ns, 10 * MS);
	assert_int_equal(p.on_cpu_ns, 50 * MS);
	assert_int_equal(p.verdict, RES_VERDICT_MEMORY);
}

/*
 * The handler saw 1.6 us of each of 16,000 faults; a fault costs 11 us here
 * end to end: 176 ms of the thread's 190 ms on CPU were its faults.
 */
static void test_fault_counts_its_whole_cost(void **state)
{
	struct run_resources run = all_on;
	struct thread_resources r = counters(250 * MS, 190 * MS, 10 * MS);
	struct res_profile p;

	(void)state;
	r.k.min_flt = 16000;
	r.k.fault_ns = 16000 * 1600ULL;
	resources__thread(&r, true, &all_on, &p);
	assert_int_equal(p.wall.fault_ns, 16000 * 1600ULL);
	assert_int_equal(p.verdict, RES_VERDICT_CPU);

	run.fault_cost_ns = 11000;
	resources__thread(&r, true, &run, &p);
	assert_int_equal(p.fault_ns, 16000 * 1600ULL);
	assert_int_equal(p.wall.fault_ns, 176 * MS);
	assert_int_equal(p.wall.on_cpu_ns, 14 * MS);
	assert_int_equal(p.wall.runnable_ns, 10 * MS);
	assert_int_equal(p.wall.other_ns, 50 * MS);
	assert_int_equal(p.verdict, RES_VERDICT_MEMORY);
	assert_true(p.share > 0.703 && p.share < 0.705);

	/* the handler's own time when it is the larger: a major fault's read */
	r.k.maj_flt = 10;
	r.k.fault_ns = 200 * MS;
	r.k.fault_sleep_ns = 190 * MS;
	resources__thread(&r, true, &run, &p);
	assert_int_equal(p.wall.fault_ns, 200 * MS);
}

static void test_balanced_below_half(void **state)
{
	struct thread_resources r = counters(100 * MS, 30 * MS, 0);
	struct res_profile p;

	(void)state;
	r.k.io_sleep_ns = 35 * MS;
	r.k.net_sleep_ns = 35 * MS;
	resources__thread(&r, true, &all_on, &p);
	assert_int_equal(p.verdict, RES_VERDICT_BALANCED);
	assert_true(p.share > 0.349 && p.share < 0.351);
	/* exactly half is enough */
	r.k.io_sleep_ns = 50 * MS;
	r.k.net_sleep_ns = 20 * MS;
	resources__thread(&r, true, &all_on, &p);
	assert_int_equal(p.verdict, RES_VERDICT_IO);
}

static void test_unknown(void **state)
{
	struct thread_resources r = counters(RESOURCES_MIN_WALL_NS - 1, 10 * MS, 0);
	struct run_resources no_sched = all_on;
	struct res_profile p;

	(void)state;
	resources__thread(&r, true, &all_on, &p);
	assert_int_equal(p.verdict, RES_VERDICT_UNKNOWN);
	r = counters(100 * MS, 90 * MS, 0);
	no_sched.probes.on[MT_RES_SCHED] = false;
	resources__thread(&r, true, &no_sched, &p);
	assert_int_equal(p.verdict, RES_VERDICT_UNKNOWN);
	r.seen = false;
	resources__thread(&r, true, &all_on, &p);
	assert_false(p.known);
	assert_int_equal(p.verdict, RES_VERDICT_UNKNOWN);
}

/* A live thread asleep on the network at the read: that sleep counts up to the read */
static void test_live_states_count_to_the_read(void **state)
{
	struct thread_resources r = counters(100 * MS, 10 * MS, 0);
	struct res_profile p;

	(void)state;
	r.k.sleep_since = 1000 * MS + 20 * MS;
	r.k.sleep_kind = MT_RES_SLEEP_NET;
	r.k.net_sleep_ns = 10 * MS;
	resources__thread(&r, false, &all_on, &p);
	assert_int_equal(p.wall.network_ns, 90 * MS);
	assert_int_equal(p.wall.other_ns, 0);
	assert_int_equal(p.verdict, RES_VERDICT_NETWORK);
	/* exited: its life ended at its last switch-out, nothing more is added */
	resources__thread(&r, true, &all_on, &p);
	assert_int_equal(p.wall.network_ns, 10 * MS);
}

static void test_process_sums(void **state)
{
	struct mt_thread threads[2] = {};
	struct mt_process proc = { .threads = threads, .nr_threads = 2, .exited = true };
	struct res_profile p;

	(void)state;
	threads[0].res = counters(100 * MS, 90 * MS, 0);
	threads[0].res.k.tx_bytes = 1000;
	threads[1].res = counters(100 * MS, 10 * MS, 0);
	threads[1].res.k.io_sleep_ns = 90 * MS;
	threads[1].res.k.tx_bytes = 24;
	threads[1].res.k.read_bytes = 4096;
	resources__process(&proc, &all_on, &p);
	assert_int_equal(p.tx_bytes, 1024);
	assert_int_equal(p.read_bytes, 4096);
	assert_int_equal(p.wall.wall_ns, 200 * MS);
	assert_int_equal(p.on_cpu_ns, 100 * MS);
	/* 50% CPU, 45% IO: the CPU has half */
	assert_int_equal(p.verdict, RES_VERDICT_CPU);
	assert_true(resources__on_cpu_share(&p) > 0.499 && resources__on_cpu_share(&p) < 0.501);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_with_runqueue),
		cmocka_unit_test(test_fault_time_is_its_own),
		cmocka_unit_test(test_fault_counts_its_whole_cost),
		cmocka_unit_test(test_balanced_below_half),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_live_states_count_to_the_read),
		cmocka_unit_test(test_process_sums),
	};

	return cmocka_run_group_tests_name("unit: resources", tests, NULL, NULL);
}
