// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* An exited process's live blocks, summed up by stack: exact bytes, counts and ages. */
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
	assert_int_equal(exit_sites__add_table(&s, &live, end, 1000000), 0);
	assert_int_equal(exit_sites__add_table(&s, &displaced, end, 1000000), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.blocks, 4);
	x = site(&s, 3);
	assert_int_equal(x->bytes, 350);
	assert_int_equal(x->count, 3);
	assert_int_equal(x->old_bytes, 250);
	assert_int_equal(x->old_count, 2);
	assert_int_equal(x->oldest_ns, end - 5000000000ULL);
	/* <=1us, <=10ms (2 ms), <=10s (5 s): buckets 0, 4 and 7 */
	assert_int_equal(x->ages[0], 1);
	assert_int_equal(x->ages[4], 1);
	assert_int_equal(x->ages[7], 1);
	x = site(&s, 0);
	assert_int_equal(x->bytes, 7);
	assert_int_equal(x->count, 1);
	assert_int_equal(x->old_count, 0);
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
	assert_int_equal(exit_sites__add_table(&s, &live, 1, 0), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.blocks, 0);
	exit_sites__release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_stack),
		cmocka_unit_test(test_empty_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
