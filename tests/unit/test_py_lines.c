// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPython line tables (py_lines.h) against what each interpreter itself
 * says: tests/fixtures/python/lines-3.X.json hold, for every code object
 * of two stdlib modules as 3.X compiled them, co_linetable, co_firstlineno
 * and co_lines() (made by tools/gen-py-linetables.py). Every instruction
 * of every range must get co_lines()'s line, or none where it has none.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "symbolize/py_lines.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

/* Every instruction of code's ranges; the number checked. */
static size_t check_code(int minor, const json_t *code)
{
	static uint8_t table[1 << 16];
	size_t len = unhex(json_string_value(json_object_get(code, "linetable")), table,
			   sizeof(table));
	int first = (int)json_integer_value(json_object_get(code, "firstlineno"));
	json_t *range;
	size_t i, checked = 0;

	json_array_foreach(json_object_get(code, "lines"), i, range) {
		uint32_t start = (uint32_t)json_integer_value(json_array_get(range, 0));
		uint32_t end = (uint32_t)json_integer_value(json_array_get(range, 1));
		json_t *want = json_array_get(range, 2);

		for (uint32_t off = start; off < end; off += 2, checked++) {
			int line = -1, err = py_lines__find(minor, table, len, first, off, &line);

			if (json_is_null(want)) {
				assert_int_equal(err, -ENOENT);
				continue;
			}
			assert_int_equal(err, 0);
			assert_int_equal(line, json_integer_value(want));
		}
	}
	return checked;
}

static void check_version(int minor, size_t min_codes)
{
	char path[128];
	json_t *root, *code;
	size_t i, checked = 0;

	snprintf(path, sizeof(path), "tests/fixtures/python/lines-3.%d.json", minor);
	root = json_load_file(path, 0, NULL);
	assert_non_null(root);
	assert_true(json_array_size(json_object_get(root, "codes")) >= min_codes);
	json_array_foreach(json_object_get(root, "codes"), i, code)
		checked += check_code(minor, code);
	/* every code object has instructions with lines */
	assert_true(checked > 10 * min_codes);
	json_decref(root);
}

static void test_310(void **state)
{
	(void)state;
	check_version(10, 30);
}

static void test_311(void **state)
{
	(void)state;
	check_version(11, 30);
}

static void test_312(void **state)
{
	(void)state;
	check_version(12, 30);
}

static void test_313(void **state)
{
	(void)state;
	check_version(13, 30);
}

/* Hand-made tables: the edge cases by name. */
static void test_edges(void **state)
{
	/* 3.10: 4 bytes on line 5, 2 with no line (-128), then 2 on line 5 + 3 */
	static const uint8_t t310[] = { 4, 0, 2, 0x80, 2, 3 };
	/*
	 * 3.11: a short entry (code 0, 1 unit), a one-line entry (code 11: +1,
	 * 2 units), no location (code 15, 1 unit), a no-column entry with a
	 * varint delta of -2 (code 13, 1 unit)
	 */
	static const uint8_t t311[] = { 0x80, 0, 0xd9, 0, 0, 0xf8, 0xe8, 5 };
	int line = 0;

	(void)state;
	assert_int_equal(py_lines__find(10, t310, sizeof(t310), 5, 0, &line), 0);
	assert_int_equal(line, 5);
	assert_int_equal(py_lines__find(10, t310, sizeof(t310), 5, 4, &line), -ENOENT);
	assert_int_equal(py_lines__find(10, t310, sizeof(t310), 5, 6, &line), 0);
	assert_int_equal(line, 8);
	assert_int_equal(py_lines__find(10, t310, sizeof(t310), 5, 8, &line), -ENOENT);
	assert_int_equal(py_lines__find(10, t310, 5, 5, 6, &line), -EINVAL);

	assert_int_equal(py_lines__find(11, t311, sizeof(t311), 10, 0, &line), 0);
	assert_int_equal(line, 10);
	assert_int_equal(py_lines__find(11, t311, sizeof(t311), 10, 2, &line), 0);
	assert_int_equal(line, 11);
	assert_int_equal(py_lines__find(11, t311, sizeof(t311), 10, 4, &line), 0);
	assert_int_equal(line, 11);
	assert_int_equal(py_lines__find(11, t311, sizeof(t311), 10, 6, &line), -ENOENT);
	assert_int_equal(py_lines__find(11, t311, sizeof(t311), 10, 8, &line), 0);
	assert_int_equal(line, 9);
	assert_int_equal(py_lines__find(11, t311, sizeof(t311), 10, 10, &line), -ENOENT);
	/* cut inside the varint, or an entry byte without bit 7 */
	assert_int_equal(py_lines__find(11, t311, sizeof(t311) - 1, 10, 8, &line), -EINVAL);
	assert_int_equal(py_lines__find(11, (const uint8_t[]){ 0x40 }, 1, 10, 0, &line),
			 -EINVAL);
	assert_int_equal(py_lines__find(9, t311, sizeof(t311), 10, 0, &line), -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_310), cmocka_unit_test(test_311), cmocka_unit_test(test_312),
		cmocka_unit_test(test_313), cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests_name("py_lines", tests, NULL, NULL);
}
