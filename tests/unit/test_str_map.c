// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The string-interning map (util/str_map.h): dense indexes in the order first added. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/str_map.h"

static void test_dense_and_stable(void **state)
{
	struct str_map m = {};
	bool added;

	(void)state;
	assert_int_equal(str_map__intern(&m, "", 0, &added), 0);
	assert_true(added);
	assert_int_equal(str_map__intern(&m, "main", 4, &added), 1);
	assert_true(added);
	assert_int_equal(str_map__intern(&m, "main", 4, &added), 1);
	assert_false(added);
	assert_int_equal(str_map__intern(&m, "", 0, NULL), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.keys[1].key, "main");
	assert_int_equal(m.keys[1].len, 4);
	str_map__release(&m);
	str_map__release(&m);
}

/* keys are bytes: a NUL inside one is part of it, and a prefix is another key */
static void test_binary_keys(void **state)
{
	struct str_map m = {};

	(void)state;
	assert_int_equal(str_map__intern(&m, "a\0b", 3, NULL), 0);
	assert_int_equal(str_map__intern(&m, "a\0c", 3, NULL), 1);
	assert_int_equal(str_map__intern(&m, "a", 1, NULL), 2);
	assert_int_equal(str_map__intern(&m, "a\0b", 3, NULL), 0);
	str_map__release(&m);
}

/* past many growths, every key still finds its index */
static void test_growth(void **state)
{
	struct str_map m = {};
	char key[32];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "function_%d", i);
		assert_int_equal(str_map__intern(&m, key, strlen(key), NULL), i);
	}
	for (int i = 4999; i >= 0; i--) {
		snprintf(key, sizeof(key), "function_%d", i);
		assert_int_equal(str_map__intern(&m, key, strlen(key), NULL), i);
		assert_string_equal(m.keys[i].key, key);
	}
	assert_int_equal(m.n, 5000);
	str_map__release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dense_and_stable),
		cmocka_unit_test(test_binary_keys),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
