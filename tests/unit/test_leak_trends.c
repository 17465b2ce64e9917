// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Leak sites over time, from hand-made ring buffer records through the
 * tracker: --leak-age filtering, lifetimes of freed blocks reaching their
 * site, growth sampled each interval, the --max-sites cap, and the fields
 * they add to the snapshot and the text report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/growth_sampler.h"
#include "output/report.h"
#include "output/snapshot.h"
#include "unit_helpers.h"

/* Above any pid_max: /proc has nothing of it, so no maps and no names. */
#define PID 0x7ffffff0u

#define S1 0x1111111111ULL
#define S2 0x2222222222ULL
#define S3 0x3333333333ULL
#define S4 0x4444444444ULL

#define US 1000ULL
#define MS 1000000ULL
#define NS 1000000000ULL

struct world {
	struct tracker t;
	struct run_summary s;
	uint64_t next_addr;
	char *text;
	size_t len;
	json_t *root;
};

static void stack(struct tracker *t, uint64_t id, uint64_t frame)
{
	unit__stack(t, PID, id, 1, &frame);
}

/* A call on PID's main thread, taking no time. */
static void call(struct tracker *t, enum mt_func func, uint64_t ts, uint64_t stack_id,
		 uint64_t addr, uint64_t size)
{
	unit__call(t, &(struct unit_call){ .func = func, .pid = PID, .tid = PID, .ts_ns = ts,
					   .stack_id = stack_id, .addr = addr, .size = size });
}

static uint64_t alloc(struct world *w, uint64_t ts, uint64_t stack_id, uint64_t size)
{
	uint64_t addr = w->next_addr += 0x1000;

	call(&w->t, MT_FN_MALLOC, ts, stack_id, addr, size);
	return addr;
}

static void release(struct world *w, uint64_t ts, uint64_t addr)
{
	call(&w->t, MT_FN_FREE, ts, MT_NO_STACK, addr, 0);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w || tracker__init(&w->t) || !tracker__add_process(&w->t, PID))
		return -1;
	w->next_addr = 0x10000;
	stack(&w->t, S1, 0x100);
	stack(&w->t, S2, 0x200);
	stack(&w->t, S3, 0x300);
	w->s.tracker = &w->t;
	w->s.stack_mode = MT_STACK_FP; /* the default --stack */
	w->s.sym = symbolizer__new();
	w->s.start_ns = 1 * NS;
	w->s.now_ns = 11 * NS;
	w->s.duration_s = 10;
	*state = w;
	return w->s.sym ? 0 : -1;
}

static int teardown(void **state)
{
	struct world *w = *state;

	json_decref(w->root);
	free(w->text);
	leaks__release(&w->s.leaks);
	symbolizer__free(w->s.sym);
	tracker__release(&w->t);
	free(w);
	return 0;
}

static struct leak_site *site(struct world *w, uint32_t stack_index)
{
	for (size_t i = 0; i < w->s.leaks.n; i++)
		if (w->s.leaks.sites[i].stack == stack_index)
			return &w->s.leaks.sites[i];
	return NULL;
}

static uint32_t index_of(struct world *w, uint64_t id)
{
	return (uint32_t)stack_table__intern(&w->t.stacks, id);
}

static void collect(struct world *w, uint64_t now, uint64_t min_age)
{
	leaks__release(&w->s.leaks);
	w->s.now_ns = now;
	assert_int_equal(leaks__collect(&w->t,
					&(struct leaks_opts){ now, min_age, w->t.sample_bytes },
					&w->s.leaks),
			 0);
}

/*
 * The blocks of the run below, traced from 1 s; the report is at 11 s:
 * S1: 1000 B at 2 s and 3 s (old), 1000 B at 10.9995 s (0.5 ms old);
 * S2: 500 B at 10 s, young; S3: freed after 500 us and 3 s, one live at 4 s;
 * no stack: 10 B at 5 s.
 */
static void run(struct world *w)
{
	uint64_t a, b;

	alloc(w, 2 * NS, S1, 1000);
	alloc(w, 3 * NS, S1, 1000);
	alloc(w, 11 * NS - 500 * US, S1, 1000);
	alloc(w, 10 * NS, S2, 500);
	a = alloc(w, 1 * NS + 500 * MS, S3, 64);
	release(w, 1 * NS + 500 * MS + 500 * US, a);
	b = alloc(w, 2 * NS, S3, 64);
	release(w, 5 * NS, b);
	alloc(w, 4 * NS, S3, 64);
	alloc(w, 5 * NS, MT_NO_STACK, 10);
}

static void test_leak_age(void **state)
{
	struct world *w = *state;
	struct leak_site *s1, *s2, *s3, *none;

	run(w);
	collect(w, 11 * NS, 5 * NS);
	s1 = site(w, index_of(w, S1));
	s2 = site(w, index_of(w, S2));
	s3 = site(w, index_of(w, S3));
	none = site(w, 0);
	assert_non_null(s1);
	assert_non_null(s2);
	/* leak candidates: at least 5 s old; live: all of them */
	assert_int_equal(s1->count, 2);
	assert_int_equal(s1->bytes, 2000);
	assert_int_equal(s1->live_count, 3);
	assert_int_equal(s1->live_bytes, 3000);
	assert_int_equal(s1->oldest_ns, 2 * NS);
	assert_int_equal(s2->count, 0);
	assert_int_equal(s2->live_bytes, 500);
	assert_int_equal(s3->count, 1);
	assert_int_equal(none->count, 1);
	/* ages so far: 9 s and 8 s in (1 s, 10 s], 0.5 ms in (100 us, 1 ms] */
	assert_int_equal(s1->live_ages[7], 2);
	assert_int_equal(s1->live_ages[3], 1);
	/* a block exactly as old as the limit is a candidate */
	collect(w, 11 * NS, 8 * NS);
	assert_int_equal(site(w, index_of(w, S1))->count, 2);
	collect(w, 11 * NS, 8 * NS + 1);
	assert_int_equal(site(w, index_of(w, S1))->count, 1);

	/* the young site goes; the others stay, largest first */
	collect(w, 11 * NS, 5 * NS);
	leaks__keep(&w->s.leaks, 0);
	assert_int_equal(w->s.leaks.n, 3);
	assert_null(site(w, index_of(w, S2)));
	assert_int_equal(w->s.leaks.sites[0].stack, index_of(w, S1));
	assert_int_equal(w->s.leaks.omitted_sites, 0);
}

/* What was freed reaches its site; first sighting counts freed blocks too. */
static void test_lifetimes(void **state)
{
	struct world *w = *state;
	struct leak_site *s3;

	run(w);
	collect(w, 11 * NS, 0);
	s3 = site(w, index_of(w, S3));
	assert_non_null(s3);
	assert_int_equal(s3->freed[3], 1);	/* 500 us: (100 us, 1 ms] */
	assert_int_equal(s3->freed[7], 1);	/* 3 s: (1 s, 10 s] */
	assert_int_equal(s3->live_ages[7], 1);	/* alive for 7 s */
	assert_int_equal(s3->first_ns, 1 * NS + 500 * MS);
	assert_int_equal(s3->oldest_ns, 4 * NS);
	/* never freed: the first allocation is the oldest live one */
	assert_int_equal(site(w, index_of(w, S1))->first_ns, 2 * NS);
}

/* The cap keeps growing sites first, then the largest, and counts the rest. */
static void test_max_sites(void **state)
{
	struct world *w = *state;

	run(w);
	collect(w, 11 * NS, 0);
	/* S1 3000, S3 64, no stack 10, S2 500: make the smallest one grow */
	site(w, 0)->growth.growing = true;
	leaks__keep(&w->s.leaks, 2);
	assert_int_equal(w->s.leaks.n, 2);
	assert_int_equal(w->s.leaks.sites[0].stack, index_of(w, S1));
	assert_int_equal(w->s.leaks.sites[1].stack, 0);
	assert_int_equal(w->s.leaks.omitted_sites, 2);
	assert_int_equal(w->s.leaks.omitted_bytes, 500 + 64);
	assert_int_equal(w->s.leaks.omitted_count, 2);
}

/*
 * Four intervals of 1 s: S1 gains 1000 B in each, S2 stays at 500 B, S3's
 * block comes (at 2 and 4 s) and goes (at 3 s). Then the verdicts, and
 * what they look like.
 */
static void sample_run(struct world *w, bool steps)
{
	struct growth_sampler_opts o = {
		.sample = true,
		.growth = { .intervals = 3, .steps = steps },
	};
	struct mt_process *p = tracker__process(&w->t, PID);
	uint64_t s3 = 0;

	p->step_probe_attached = steps;
	alloc(w, 1 * NS + 1, S2, 500);
	for (int k = 1; k <= 4; k++) {
		alloc(w, (uint64_t)k * NS + 2, S1, 1000);
		if (s3)
			release(w, (uint64_t)k * NS + 3, s3);
		s3 = k % 2 ? 0 : alloc(w, (uint64_t)k * NS + 4, S3, 64);
		p->steps += 10;
		collect(w, (uint64_t)(k + 1) * NS, 0);
		o.t = k;
		assert_int_equal(growth_sampler__run(&w->t, &o, &w->s.leaks), 0);
	}
	leaks__keep(&w->s.leaks, 0);
	w->s.interval_ns = NS;
	w->s.duration_s = 4;
}

static void test_sampler(void **state)
{
	struct world *w = *state;
	struct leak_site *s1, *s2;

	sample_run(w, true);
	s1 = site(w, index_of(w, S1));
	s2 = site(w, index_of(w, S2));
	assert_true(s1->growth.growing);
	assert_true(s1->growth.has_rate);
	assert_true(fabs(s1->growth.bytes_per_s - 1000) < 1e-6);
	assert_true(s1->growth.has_per_step);
	assert_true(fabs(s1->growth.bytes_per_step - 100) < 1e-6);
	assert_false(s2->growth.growing);
	assert_true(fabs(s2->growth.bytes_per_s) < 1e-6);
}

static json_t *snapshot(struct world *w)
{
	return unit__snapshot(&w->s, &w->text, &w->len, &w->root);
}

/* The leak whose stack starts at ip. */
static json_t *leak_at(json_t *root, const char *ip)
{
	json_t *leak;
	size_t i;

	json_array_foreach(json_object_get(root, "leaks"), i, leak) {
		json_t *frame = json_array_get(json_object_get(leak, "stack"), 0);

		if (frame && !strcmp(json_string_value(json_object_get(frame, "ip")), ip))
			return leak;
	}
	fail_msg("no leak at %s", ip);
	return NULL;
}

static void test_snapshot_fields(void **state)
{
	struct world *w = *state;
	json_t *root, *s1, *s3, *bucket, *proc;

	sample_run(w, true);
	w->s.interval = 4;
	w->s.leak_age_ns = NS / 2;
	root = snapshot(w);
	assert_true(json_is_false(json_object_get(root, "final")));
	assert_true(json_number_value(json_object_get(root, "interval_s")) == 1);
	assert_true(json_number_value(json_object_get(root, "leak_age_s")) == 0.5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "leaks_omitted"),
							    "sites")),
			 0);
	proc = json_array_get(json_object_get(root, "processes"), 0);
	assert_int_equal(json_integer_value(json_object_get(proc, "steps")), 40);
	s1 = leak_at(root, "0x100");
	assert_true(json_is_true(json_object_get(s1, "growing")));
	assert_true(fabs(json_number_value(json_object_get(s1, "growth_bytes_per_s")) - 1000) < 1e-6);
	assert_true(fabs(json_number_value(json_object_get(s1, "growth_bytes_per_step")) - 100) <
		    1e-6);
	/* from tracing's start at 1 s to the first allocation at 1 s + 2 ns */
	assert_true(fabs(json_number_value(json_object_get(s1, "first_seen_s")) - 2e-9) < 1e-12);
	/* S3: one freed after 1 s - 1 ns, one live for 1 s - 4 ns at the report */
	s3 = leak_at(root, "0x300");
	assert_int_equal(json_array_size(json_object_get(s3, "lifetimes")), 1);
	bucket = json_array_get(json_object_get(s3, "lifetimes"), 0);
	assert_int_equal(json_integer_value(json_object_get(bucket, "le_ns")), 1 * NS);
	assert_int_equal(json_integer_value(json_object_get(bucket, "freed")), 1);
	assert_int_equal(json_integer_value(json_object_get(bucket, "live")), 1);

	/* no intervals, no step probe: rates are null, steps too */
	leaks__release(&w->s.leaks);
	tracker__process(&w->t, PID)->step_probe_attached = false;
	collect(w, 6 * NS, 0);
	w->s.interval = 0;
	w->s.interval_ns = 0;
	root = snapshot(w);
	assert_true(json_is_true(json_object_get(root, "final")));
	assert_true(json_is_null(json_object_get(root, "interval_s")));
	s1 = leak_at(root, "0x100");
	assert_true(json_is_false(json_object_get(s1, "growing")));
	assert_true(json_is_null(json_object_get(s1, "growth_bytes_per_s")));
	assert_true(json_is_null(json_object_get(s1, "growth_bytes_per_step")));
	proc = json_array_get(json_object_get(root, "processes"), 0);
	assert_true(json_is_null(json_object_get(proc, "steps")));
}

static const char *report(struct world *w, int top)
{
	return unit__report(&w->s, top, &w->text, &w->len);
}

static void test_report(void **state)
{
	struct world *w = *state;
	const char *text;

	sample_run(w, true);
	text = report(w, 10);
	assert_non_null(strstr(text, "\nSummary: 1 site GROWING: +1000 B/s (+100 B/step) at 0x100\n"));
	assert_non_null(strstr(text, "\n         3 leak sites hold 4.45 KiB in 6 blocks; the largest, "
				     "3.90 KiB, at 0x100\n"));
	assert_non_null(strstr(text, "\n#1  3.90 KiB in 4 blocks  PID 2147483632  oldest 4.0 s  "
				     "GROWING +1000 B/s, +100 B/step\n"));
	assert_non_null(strstr(text, "\n  40 steps\n"));
	assert_non_null(
		strstr(text, "    first seen at 0 ms; lifetimes: none freed; live 1 <=1s, 3 <=10s\n"));
	assert_non_null(strstr(text, "    first seen at 1.0 s; lifetimes: freed 1 <=1s; live 1 <=1s\n"));

	/* the growing site comes first even when it is not the largest */
	w->s.leaks.sites[0].growth.growing = false;
	w->s.leaks.sites[1].growth.growing = true;
	text = report(w, 1);
	assert_non_null(strstr(text, "\nSummary: 1 site GROWING: +0 B/s"));
	assert_non_null(strstr(text, "top 1 of 3 sites\n\n#1  500 B in 1 block"));

	/* with --leak-age and no intervals */
	collect(w, 6 * NS, 10 * NS);
	leaks__keep(&w->s.leaks, 0);
	w->s.interval_ns = 0;
	w->s.leak_age_ns = 10 * NS;
	text = report(w, 10);
	assert_non_null(strstr(text, "\nSummary: growth not measured: it needs --interval\n"
				     "         0 leak sites hold 0 B in 0 blocks at least 10.0 s old\n"));
	assert_non_null(strstr(text, "\nNo live allocations at least 10.0 s old.\n"));
}

static json_int_t leak_bytes(const json_t *leak)
{
	return json_integer_value(json_object_get(leak, "bytes"));
}

/*
 * --sample-bytes 4096 over run()'s blocks: a sampled block of s bytes
 * stands for 1 / (1 - e^(-s/4096)) blocks (1000 B: 4.6163248697298815);
 * S4's 8192 B block, past N, for itself; the block without a stack is in no
 * site, only in the totals.
 */
static void test_sampled_sites(void **state)
{
	struct world *w = *state;
	struct leak_site *s1, *s4;
	const char *text;
	json_t *root;

	stack(&w->t, S4, 0x400);
	run(w);
	alloc(w, 6 * NS, S4, 8192);
	w->t.sample_bytes = w->s.sample_bytes = 4096;
	collect(w, 11 * NS, 0);
	assert_int_equal(w->s.leaks.n, 4);
	assert_null(site(w, 0));
	assert_true(w->s.leaks.estimated);
	s1 = site(w, index_of(w, S1));
	assert_true(s1->estimated);
	/* 3 x 1000 x 4.6163 = 13848.97 bytes in 13.85 blocks */
	assert_int_equal(s1->bytes, 13849);
	assert_int_equal(s1->count, 14);
	assert_int_equal(s1->live_bytes, 13849);
	assert_int_equal(s1->live_count, 14);
	/* its lifetimes: the sampled blocks themselves */
	assert_int_equal(s1->live_ages[6] + s1->live_ages[7] + s1->live_ages[3], 3);
	/* S3: one live block of 64 of its three, 64.5013 blocks, 4128.08 bytes */
	assert_int_equal(site(w, index_of(w, S3))->bytes, 4128);
	assert_int_equal(site(w, index_of(w, S3))->count, 65);
	s4 = site(w, index_of(w, S4));
	assert_false(s4->estimated);
	assert_int_equal(s4->bytes, 8192);
	assert_int_equal(s4->count, 1);
	assert_int_equal(w->t.totals.current_bytes, 3000 + 500 + 64 + 10 + 8192);
	root = snapshot(w);
	assert_true(json_is_true(json_object_get(leak_at(root, "0x100"), "estimated")));
	assert_true(json_is_true(json_object_get(leak_at(root, "0x100"), "sampled")));
	assert_int_equal(leak_bytes(leak_at(root, "0x100")), 13849);
	assert_true(json_is_false(json_object_get(leak_at(root, "0x400"), "estimated")));
	text = report(w, 10);
	assert_non_null(strstr(text, "top 4 of 4 sites (~: estimated from one stack per 4.00 KiB, "
				     "--sample-bytes)\n"));
	assert_non_null(strstr(text, "\n#1  ~13.5 KiB in ~14 blocks  PID"));
	assert_non_null(strstr(text, "\n#2  8.00 KiB in 1 block  PID"));
	assert_null(strstr(text, "not sampled"));

	/* every allocation stacked: the site without a stack is back, nothing says estimated */
	w->t.sample_bytes = w->s.sample_bytes = 0;
	collect(w, 11 * NS, 0);
	assert_int_equal(w->s.leaks.n, 5);
	assert_int_equal(site(w, 0)->bytes, 10);
	assert_false(w->s.leaks.estimated);
	root = snapshot(w);
	assert_null(json_object_get(leak_at(root, "0x100"), "estimated"));
	assert_int_equal(leak_bytes(leak_at(root, "0x100")), 3000);
	assert_null(strstr(report(w, 10), "~"));
}

/* Sampling left every live block without a stack: the report does not say there are none. */
static void test_none_sampled(void **state)
{
	struct world *w = *state;

	alloc(w, 5 * NS, MT_NO_STACK, 10);
	w->t.sample_bytes = w->s.sample_bytes = 4096;
	collect(w, 11 * NS, 0);
	assert_int_equal(w->s.leaks.n, 0);
	assert_non_null(strstr(report(w, 10), "\nLive allocations by stack: none sampled (one stack "
					      "per 4.00 KiB, --sample-bytes); their 10 B are in "
					      "the totals\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_leak_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_sites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sampler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sampled_sites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_none_sampled, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
