// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* An exited process's live blocks, summed up by stack: exact bytes, counts and ages. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "account/exit_sites.h"

static void insert(struct alloc_table *t, uint64_t addr, uint64_t size, uint64_t ts,
		   uint32_t stack)
{
	struct live_block b = { .addr = addr, .size = size, .ts_ns = ts, .stack = stack };

	assert_int_equal(alloc_table__insert(t, &b, NULL), 0);
}

static const struct exit_site *site(const struct exit_sites *s, uint32_t stack)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->sites[i].stack == stack)
			return &s->sites[i];
	fail_msg("no site for stack %u", stack);
	return NULL;
}

static void test_by_stack(void **state)
{
	struct alloc_table live = {}, displaced = {};
	struct exit_sites s = {};
	const struct exit_site *x;
	const uint64_t end = 10000000000ULL;

	(void)state;
	/* stack 3: 100 + 200 bytes, allocated 500 ns and 2 ms before the end */
	insert(&live, 0x1000, 100, end - 500, 3);
	insert(&live, 0x2000, 200, end - 2000000, 3);
	/* stack 0 (none) is a site of its own */
	insert(&live, 0x3000, 7, end - 1, 0);
	/* a displaced block of stack 3 joins the same site */
	insert(&displaced, 0x1000, 50, end - 5000000000ULL, 3);
	/* --leak-age 1 ms: the 2 ms and 5 s old blocks are leaks, the 500 ns one is not */
	assert_int_equal(exit_sites__add_table(&s, &live, end, 1000000, 0), 0);
	assert_int_equal(exit_sites__add_table(&s, &displaced, end, 1000000, 0), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.blocks, 4);
	x = site(&s, 3);
	assert_int_equal(x->all.bytes, 350);
	assert_int_equal(x->all.blocks, 3);
	assert_int_equal(x->old.bytes, 250);
	assert_int_equal(x->old.blocks, 2);
	assert_int_equal(x->oldest_ns, end - 5000000000ULL);
	/* <=1us, <=10ms (2 ms), <=10s (5 s): buckets 0, 4 and 7 */
	assert_int_equal(x->ages[0], 1);
	assert_int_equal(x->ages[4], 1);
	assert_int_equal(x->ages[7], 1);
	x = site(&s, 0);
	assert_int_equal(x->all.bytes, 7);
	assert_int_equal(x->all.blocks, 1);
	assert_int_equal(x->old.blocks, 0);
	alloc_table__release(&live);
	alloc_table__release(&displaced);
	exit_sites__release(&s);
	assert_int_equal(s.n, 0);
}

static void test_empty_table(void **state)
{
	struct alloc_table live = {};
	struct exit_sites s = {};

	(void)state;
	assert_int_equal(exit_sites__add_table(&s, &live, 1, 0, 0), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.blocks, 0);
	exit_sites__release(&s);
}

/*
 * --sample-bytes 1000: a block without a stack is in no site, yet still one
 * of the process's blocks; a sampled 100-byte block weighs 1 / (1 - e^-0.1),
 * a 2000-byte one (past N, always sampled) 1.
 */
static void test_sampled(void **state)
{
	struct alloc_table live = {};
	struct exit_sites s = {};
	const struct exit_site *x;
	const double w100 = 10.508331944775317;

	(void)state;
	insert(&live, 0x1000, 100, 1, 5);
	insert(&live, 0x2000, 2000, 1, 5);
	insert(&live, 0x3000, 300, 1, 0);
	insert(&live, 0x4000, 4000, 1, 6);
	assert_int_equal(exit_sites__add_table(&s, &live, 2, 0, 1000), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.blocks, 4);
	x = site(&s, 5);
	assert_true(x->estimated);
	assert_true(fabs(x->all.blocks - (w100 + 1)) < 1e-12);
	assert_true(fabs(x->all.bytes - (100 * w100 + 2000)) < 1e-9);
	assert_true(fabs(x->old.bytes - x->all.bytes) < 1e-9);
	/* its histogram counts the sampled blocks themselves */
	assert_int_equal(x->ages[0], 2);
	x = site(&s, 6);
	assert_false(x->estimated);
	assert_true(x->all.bytes == 4000 && x->all.blocks == 1);
	alloc_table__release(&live);
	exit_sites__release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_stack),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_sampled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
