// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Growth detection on synthetic series: a site growing every interval and
 * one that plateaus, exact slopes on linear data, noise, sawtooths, gaps,
 * and growth per training step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "account/growth.h"

#define IV 0.25 /* seconds per interval */

struct series {
	struct growth_clock clock;
	struct growth g;
	struct growth_opts opts;
	struct growth_result r;
};

static void init(struct series *s, unsigned int intervals, bool steps)
{
	memset(s, 0, sizeof(*s));
	s->opts = (struct growth_opts){ .intervals = intervals, .steps = steps };
}

/* Sample k at k * IV; the first tick also takes sample 0. */
static void tick(struct series *s, uint64_t steps)
{
	growth_clock__tick(&s->clock, (double)(s->clock.n ? s->clock.n : 1) * IV, steps);
}

/* One interval: the site's sample, then the verdict. */
static void sample(struct series *s, uint64_t bytes, uint64_t steps)
{
	tick(s, steps);
	assert_int_equal(growth__add(&s->g, &s->clock, bytes), 0);
	growth__eval(&s->g, &s->clock, &s->opts, &s->r);
}

/* A sample time advanced with no sample of this site: it held nothing. */
static void absent(struct series *s, uint64_t steps)
{
	tick(s, steps);
	growth__eval(&s->g, &s->clock, &s->opts, &s->r);
}

static void assert_near(double got, double want, double rel)
{
	if (fabs(got - want) > rel * fabs(want))
		fail_msg("got %.9g, want %.9g (within %g%%)", got, want, rel * 100);
}

/* Deterministic noise in [-amp, amp]. */
static int64_t noise(uint32_t *seed, int64_t amp)
{
	*seed = *seed * 1664525u + 1013904223u;
	return (int64_t)(*seed >> 8) % (2 * amp + 1) - amp;
}

static void test_growing_every_interval(void **state)
{
	struct series s;

	(void)state;
	init(&s, 3, false);
	/* 4000 bytes an interval of 0.25 s: 16000 B/s */
	sample(&s, 4000, 0);
	assert_false(s.r.growing);
	sample(&s, 8000, 0);
	assert_false(s.r.growing);
	sample(&s, 12000, 0);
	/* three intervals, counting the first one from sample 0's nothing */
	assert_true(s.r.growing);
	for (int k = 4; k <= 12; k++) {
		sample(&s, 4000 * (uint64_t)k, 0);
		assert_true(s.r.growing);
		assert_true(s.r.has_rate);
		/* exact data, exact slope (to rounding) */
		assert_near(s.r.bytes_per_s, 16000, 1e-12);
	}
	assert_false(s.r.has_per_step);
	growth__release(&s.g);
}

static void test_plateau(void **state)
{
	static const uint64_t bytes[] = { 4000, 8000, 8000, 8000, 8000, 8000, 8000 };
	struct series s;

	(void)state;
	init(&s, 3, false);
	for (size_t i = 0; i < sizeof(bytes) / sizeof(*bytes); i++) {
		sample(&s, bytes[i], 0);
		assert_false(s.r.growing);
	}
	/* not growing: the slope is over the last N+1 samples, flat by now */
	assert_true(s.r.has_rate);
	assert_near(s.r.bytes_per_s, 0, 0);
	growth__release(&s.g);
}

/* A site that first shows up late: its first sample rises from nothing. */
static void test_late_site(void **state)
{
	struct series s;

	(void)state;
	init(&s, 3, false);
	for (int k = 0; k < 5; k++)
		absent(&s, 0);
	sample(&s, 1000, 0);
	sample(&s, 2000, 0);
	assert_false(s.r.growing);
	sample(&s, 3000, 0);
	assert_true(s.r.growing);
	assert_near(s.r.bytes_per_s, 4000, 1e-12);
	growth__release(&s.g);
}

static void test_noisy_growth(void **state)
{
	const double truth = 100000 / IV; /* 100 kB an interval */
	uint32_t seed = 42;
	struct series s;
	int growing = 0;

	(void)state;
	init(&s, 3, false);
	/* noise up to 40% of an interval's growth: less than half, so every sample is a new high */
	for (int k = 1; k <= 24; k++) {
		sample(&s, (uint64_t)(1000000 + 100000 * k + noise(&seed, 40000)), 0);
		growing += s.r.growing;
	}
	assert_int_equal(growing, 24 - 2);
	assert_near(s.r.bytes_per_s, truth, 0.05);
	growth__release(&s.g);
}

/* Noise around a plateau: no N new highs in a row once its top is seen. */
static void test_noisy_plateau(void **state)
{
	uint32_t seed = 7;
	struct series s;

	(void)state;
	init(&s, 3, false);
	for (int k = 1; k <= 40; k++) {
		sample(&s, (uint64_t)(5000000 + noise(&seed, 300000)), 0);
		if (k > 8)
			assert_false(s.r.growing);
	}
	/* the recent trend is noise: well under one interval's noise per interval */
	assert_true(fabs(s.r.bytes_per_s) < 300000 / IV);
	growth__release(&s.g);
}

/* A cache emptied and refilled: growing only while it passes its old high. */
static void test_sawtooth(void **state)
{
	struct series s;

	(void)state;
	init(&s, 3, false);
	for (int k = 1; k <= 5; k++)
		sample(&s, 1000 * (uint64_t)k, 0);
	assert_true(s.r.growing);
	sample(&s, 0, 0);
	assert_false(s.r.growing);
	for (int k = 1; k <= 5; k++) {
		sample(&s, 1000 * (uint64_t)k, 0);
		assert_false(s.r.growing);
	}
	for (int k = 6; k <= 7; k++) {
		sample(&s, 1000 * (uint64_t)k, 0);
		assert_false(s.r.growing);
	}
	/* the third new high in a row */
	sample(&s, 8000, 0);
	assert_true(s.r.growing);
	growth__release(&s.g);
}

/* Samples the site missed held nothing: a fall that ends the run, zeros in the fit. */
static void test_gap(void **state)
{
	struct series s;

	(void)state;
	init(&s, 3, false);
	for (int k = 1; k <= 4; k++)
		sample(&s, 1000 * (uint64_t)k, 0);
	assert_true(s.r.growing);
	absent(&s, 0);
	assert_false(s.r.growing);
	/* not growing: over the last N+1 samples, 3000, 4000, 0, 0 */
	absent(&s, 0);
	assert_near(s.r.bytes_per_s, -5200, 1e-12);
	sample(&s, 5000, 0);
	sample(&s, 6000, 0);
	assert_false(s.r.growing);
	sample(&s, 7000, 0);
	assert_true(s.r.growing);
	growth__release(&s.g);
}

/* A long run: the fit keeps the last GROWTH_WINDOW samples, still exact. */
static void test_long_run(void **state)
{
	struct series s;

	(void)state;
	init(&s, 3, false);
	for (uint64_t k = 1; k <= 3 * GROWTH_WINDOW; k++)
		sample(&s, (1ULL << 40) + 12345 * k, 0);
	assert_true(s.r.growing);
	assert_near(s.r.bytes_per_s, 12345 / IV, 1e-9);
	growth__release(&s.g);
}

/*
 * Steps every third interval (2 per step interval), 5000 bytes a step:
 * a staircase. Two of every three intervals make no new high, so the
 * interval rule never fires; the step rule does after 2 step intervals.
 */
static void test_step_staircase(void **state)
{
	struct series s, plain;
	uint64_t steps = 0, bytes = 0;

	(void)state;
	init(&s, 3, true);
	init(&plain, 3, false);
	for (int k = 1; k <= 12; k++) {
		if (k % 3 == 0) {
			steps += 2;
			bytes += 2 * 5000;
		}
		sample(&s, bytes, steps);
		sample(&plain, bytes, steps);
		assert_false(plain.r.growing);
		/* steps 2 and 4 after k = 3 and 6 */
		assert_int_equal(s.r.growing, k >= 6);
	}
	assert_true(s.r.has_per_step);
	assert_near(s.r.bytes_per_step, 5000, 1e-12);
	growth__release(&s.g);
	growth__release(&plain.g);
}

/* Fewer intervals than N suffice when they hold N steps. */
static void test_steps_fewer_intervals(void **state)
{
	struct series s;

	(void)state;
	init(&s, 3, true);
	sample(&s, 10 * 700, 10);
	assert_false(s.r.growing);
	sample(&s, 20 * 700, 20);
	assert_true(s.r.growing);
	assert_near(s.r.bytes_per_step, 700, 1e-12);
	assert_near(s.r.bytes_per_s, 10 * 700 / IV, 1e-12);
	growth__release(&s.g);
}

/* Steps ran and the bytes stayed: not growing per step, whatever came before. */
static void test_steps_without_growth(void **state)
{
	struct series s;

	(void)state;
	init(&s, 3, true);
	sample(&s, 1000, 5);
	sample(&s, 1000, 10);
	sample(&s, 1000, 15);
	sample(&s, 1000, 20);
	assert_false(s.r.growing);
	assert_near(s.r.bytes_per_step, 0, 0);
	/* a fall between steps ends a step run too */
	sample(&s, 2000, 25);
	sample(&s, 3000, 30);
	sample(&s, 2500, 30);
	sample(&s, 4000, 35);
	assert_false(s.r.growing);
	growth__release(&s.g);
}

/* The step count did not move over the fitted samples: no bytes per step. */
static void test_no_steps_no_per_step(void **state)
{
	struct series s;

	(void)state;
	init(&s, 3, true);
	for (int k = 1; k <= 4; k++)
		sample(&s, 100 * (uint64_t)k, 0);
	assert_true(s.r.growing);
	assert_false(s.r.has_per_step);
	growth__release(&s.g);
}

/* A site never sampled has no rate; one sample is one interval, enough for a rate. */
static void test_unsampled(void **state)
{
	struct series s;

	(void)state;
	init(&s, 1, false);
	growth__eval(&s.g, &s.clock, &s.opts, &s.r);
	assert_false(s.r.has_rate);
	absent(&s, 0);
	assert_false(s.r.has_rate);
	sample(&s, 500, 0);
	/* N = 1: one new high is enough */
	assert_true(s.r.growing);
	assert_near(s.r.bytes_per_s, 500 / IV, 1e-12);
	growth__release(&s.g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growing_every_interval),
		cmocka_unit_test(test_plateau),
		cmocka_unit_test(test_late_site),
		cmocka_unit_test(test_noisy_growth),
		cmocka_unit_test(test_noisy_plateau),
		cmocka_unit_test(test_sawtooth),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_long_run),
		cmocka_unit_test(test_step_staircase),
		cmocka_unit_test(test_steps_fewer_intervals),
		cmocka_unit_test(test_steps_without_growth),
		cmocka_unit_test(test_no_steps_no_per_step),
		cmocka_unit_test(test_unsampled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
