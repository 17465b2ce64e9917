// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "util/id_map.h"

static void test_empty(void **state)
{
	struct id_map m = {};

	(void)state;
	assert_int_equal(id_map__get(&m, 1), -ENOENT);
	assert_int_equal(id_map__get(&m, 0), -ENOENT);
	assert_int_equal(id_map__get(&m, UINT64_MAX), -ENOENT);
	id_map__release(&m);
	/* releasing twice is harmless: release leaves an empty map */
	id_map__release(&m);
	assert_null(m.slots);
	assert_int_equal(m.cap, 0);
	assert_int_equal(m.n, 0);
}

static void test_put_get(void **state)
{
	struct id_map m = {};

	(void)state;
	assert_int_equal(id_map__put(&m, 42, 7), 0);
	assert_int_equal(id_map__put(&m, UINT64_MAX, 0), 0);
	assert_int_equal(id_map__put(&m, 1, UINT32_MAX), 0);
	assert_int_equal(m.n, 3);
	assert_int_equal(id_map__get(&m, 42), 7);
	assert_int_equal(id_map__get(&m, UINT64_MAX), 0);
	/* the full 32-bit index comes back, not a negative error */
	assert_int_equal(id_map__get(&m, 1), UINT32_MAX);
	assert_int_equal(id_map__get(&m, 43), -ENOENT);
	assert_int_equal(id_map__get(&m, 0), -ENOENT);
	id_map__release(&m);
	assert_null(m.slots);
	assert_int_equal(m.n, 0);
}

static void test_replace(void **state)
{
	struct id_map m = {};

	(void)state;
	assert_int_equal(id_map__put(&m, 1000, 1), 0);
	assert_int_equal(id_map__put(&m, 2000, 2), 0);
	assert_int_equal(id_map__put(&m, 1000, 3), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(id_map__get(&m, 1000), 3);
	assert_int_equal(id_map__get(&m, 2000), 2);
	id_map__release(&m);
}

static void test_zero_rejected(void **state)
{
	struct id_map m = {};

	(void)state;
	assert_int_equal(id_map__put(&m, 0, 5), -EINVAL);
	assert_int_equal(m.n, 0);
	assert_int_equal(id_map__put(&m, 9, 5), 0);
	assert_int_equal(id_map__put(&m, 0, 6), -EINVAL);
	assert_int_equal(m.n, 1);
	assert_int_equal(id_map__get(&m, 0), -ENOENT);
	assert_int_equal(id_map__get(&m, 9), 5);
	id_map__release(&m);
}

/* Ids shaped like real ones: dense small tids, and stack hashes. */
static uint64_t nth_id(uint32_t i)
{
	uint64_t x = (uint64_t)i + 1;

	if (i % 2)
		return x;
	/* splitmix64 finalizer: distinct for distinct inputs, never 0 for x != 0 here */
	x = x * 0x9e3779b97f4a7c15ULL + (1ULL << 40);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (x ^ (x >> 31)) | (1ULL << 63);
}

static void test_growth(void **state)
{
	const uint32_t n = 100000;
	struct id_map m = {};

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(id_map__put(&m, nth_id(i), i), 0);
		assert_int_equal(m.n, i + 1);
		/* the load stays at or under 1/2 */
		assert_true(2 * m.n <= m.cap);
		assert_int_equal(m.cap & (m.cap - 1), 0);
	}
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(id_map__get(&m, nth_id(i)), i);
	/* ids never put stay absent (odd-position ids are 2, 4, ...; even ones are huge) */
	assert_int_equal(id_map__get(&m, n + 2), -ENOENT);
	assert_int_equal(id_map__get(&m, 1), -ENOENT);
	for (uint32_t i = 0; i < n; i += 3)
		assert_int_equal(id_map__put(&m, nth_id(i), n + i), 0);
	assert_int_equal(m.n, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(id_map__get(&m, nth_id(i)), i % 3 ? i : n + i);
	id_map__release(&m);
}

/* Ids whose home slot is the same: a run of collisions, then holes made in it. */
static void test_delete_in_run(void **state)
{
	uint64_t ids[8], found = 0;
	struct id_map m = {};

	(void)state;
	assert_int_equal(id_map__put(&m, 1, 0), 0);
	/* ids sharing 1's home slot, found by trying: the map has 64 slots now */
	for (uint64_t id = 2; found < 8; id++)
		if (id_map__slot(id, m.cap) == id_map__slot(1, m.cap))
			ids[found++] = id;
	for (int i = 0; i < 8; i++)
		assert_int_equal(id_map__put(&m, ids[i], (uint32_t)i + 1), 0);
	assert_true(id_map__delete(&m, ids[2]));
	assert_true(id_map__delete(&m, 1));
	assert_false(id_map__delete(&m, 1));
	assert_false(id_map__delete(&m, 12345678));
	assert_int_equal(m.n, 7);
	assert_int_equal(id_map__get(&m, 1), -ENOENT);
	assert_int_equal(id_map__get(&m, ids[2]), -ENOENT);
	/* every other one is still found past the holes */
	for (int i = 0; i < 8; i++)
		if (i != 2)
			assert_int_equal(id_map__get(&m, ids[i]), i + 1);
	id_map__release(&m);
}

/* Deleting everything, in insertion order, with the map wrapping around its end. */
static void test_delete_all(void **state)
{
	struct id_map m = {};

	(void)state;
	for (uint64_t id = 1; id <= 1000; id++)
		assert_int_equal(id_map__put(&m, id, (uint32_t)id), 0);
	for (uint64_t id = 1; id <= 1000; id += 2)
		assert_true(id_map__delete(&m, id));
	for (uint64_t id = 1; id <= 1000; id++)
		assert_int_equal(id_map__get(&m, id), id % 2 ? -ENOENT : (int64_t)id);
	for (uint64_t id = 2; id <= 1000; id += 2)
		assert_true(id_map__delete(&m, id));
	assert_int_equal(m.n, 0);
	for (size_t i = 0; i < m.cap; i++)
		assert_int_equal(m.slots[i].id, 0);
	id_map__release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_zero_rejected),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_delete_in_run),
		cmocka_unit_test(test_delete_all),
	};

	return cmocka_run_group_tests_name("unit: id_map", tests, NULL, NULL);
}
