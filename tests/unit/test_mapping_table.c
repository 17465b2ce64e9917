// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "account/mapping_table.h"

#define PG 4096ULL
#define BASE 0x7f0000000000ULL

static void assert_range(const struct mapping_table *t, size_t i, uint64_t start, uint64_t end,
			 enum mapping_kind kind)
{
	assert_true(i < t->n);
	assert_int_equal(t->ranges[i].start, start);
	assert_int_equal(t->ranges[i].end, end);
	assert_int_equal(t->ranges[i].kind, kind);
}

/* munmap of pages 3..5 of a 10-page mapping: two ranges are left, 3 pages removed */
static void test_remove_middle_splits(void **state)
{
	uint64_t removed[MAPPING_KIND_COUNT] = {};
	struct mapping_table t;

	(void)state;
	mapping_table__init(&t, 16);
	assert_int_equal(mapping_table__add(&t, BASE, BASE + 10 * PG, MAPPING_ANON), 0);
	assert_int_equal(mapping_table__remove(&t, BASE + 3 * PG, BASE + 6 * PG, removed), 0);
	assert_int_equal(removed[MAPPING_ANON], 3 * PG);
	assert_int_equal(removed[MAPPING_FILE], 0);
	assert_int_equal(t.n, 2);
	assert_range(&t, 0, BASE, BASE + 3 * PG, MAPPING_ANON);
	assert_range(&t, 1, BASE + 6 * PG, BASE + 10 * PG, MAPPING_ANON);
	assert_int_equal(mapping_table__kind_at(&t, BASE + 4 * PG), -ENOENT);
	assert_int_equal(mapping_table__kind_at(&t, BASE + 6 * PG), MAPPING_ANON);
	mapping_table__release(&t);
}

/* one munmap over several ranges of both kinds, cutting the first and last */
static void test_remove_across_ranges(void **state)
{
	uint64_t removed[MAPPING_KIND_COUNT] = {};
	struct mapping_table t;

	(void)state;
	mapping_table__init(&t, 16);
	assert_int_equal(mapping_table__add(&t, BASE, BASE + 4 * PG, MAPPING_ANON), 0);
	assert_int_equal(mapping_table__add(&t, BASE + 4 * PG, BASE + 6 * PG, MAPPING_FILE), 0);
	assert_int_equal(mapping_table__add(&t, BASE + 8 * PG, BASE + 12 * PG, MAPPING_ANON), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(mapping_table__remove(&t, BASE + 2 * PG, BASE + 9 * PG, removed), 0);
	/* 2 + 1 anonymous pages, 2 file pages; the gap at 6..8 was never mapped */
	assert_int_equal(removed[MAPPING_ANON], 3 * PG);
	assert_int_equal(removed[MAPPING_FILE], 2 * PG);
	assert_int_equal(t.n, 2);
	assert_range(&t, 0, BASE, BASE + 2 * PG, MAPPING_ANON);
	assert_range(&t, 1, BASE + 9 * PG, BASE + 12 * PG, MAPPING_ANON);
	mapping_table__release(&t);
}

/* neighbours of one kind join; of another kind they stay apart */
static void test_add_joins_same_kind(void **state)
{
	struct mapping_table t;

	(void)state;
	mapping_table__init(&t, 16);
	assert_int_equal(mapping_table__add(&t, BASE, BASE + PG, MAPPING_ANON), 0);
	assert_int_equal(mapping_table__add(&t, BASE + 2 * PG, BASE + 3 * PG, MAPPING_ANON), 0);
	assert_int_equal(mapping_table__add(&t, BASE + PG, BASE + 2 * PG, MAPPING_ANON), 0);
	assert_int_equal(t.n, 1);
	assert_range(&t, 0, BASE, BASE + 3 * PG, MAPPING_ANON);
	assert_int_equal(mapping_table__add(&t, BASE + 3 * PG, BASE + 4 * PG, MAPPING_FILE), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(mapping_table__kind_at(&t, BASE + 3 * PG), MAPPING_FILE);
	mapping_table__release(&t);
}

/* a full table refuses a new range, and a split, without changing anything */
static void test_bounded(void **state)
{
	uint64_t removed[MAPPING_KIND_COUNT] = {};
	struct mapping_table t;

	(void)state;
	mapping_table__init(&t, 2);
	assert_int_equal(mapping_table__add(&t, BASE, BASE + 4 * PG, MAPPING_ANON), 0);
	assert_int_equal(mapping_table__add(&t, BASE + 8 * PG, BASE + 9 * PG, MAPPING_ANON), 0);
	assert_int_equal(mapping_table__add(&t, BASE + 20 * PG, BASE + 21 * PG, MAPPING_ANON),
			 -ENOSPC);
	assert_int_equal(mapping_table__remove(&t, BASE + PG, BASE + 2 * PG, removed), -ENOSPC);
	assert_int_equal(removed[MAPPING_ANON], 0);
	assert_int_equal(t.n, 2);
	assert_range(&t, 0, BASE, BASE + 4 * PG, MAPPING_ANON);
	/* trimming needs no slot */
	assert_int_equal(mapping_table__remove(&t, BASE, BASE + PG, removed), 0);
	assert_int_equal(removed[MAPPING_ANON], PG);
	assert_range(&t, 0, BASE + PG, BASE + 4 * PG, MAPPING_ANON);
	mapping_table__release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_middle_splits),
		cmocka_unit_test(test_remove_across_ranges),
		cmocka_unit_test(test_add_joins_same_kind),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests_name("unit: mapping_table", tests, NULL, NULL);
}
