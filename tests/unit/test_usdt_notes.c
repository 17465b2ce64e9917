// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which USDT probes a file carries, read from tests/fixtures/fixture_usdt.c
 * (python:gc__start, hotspot:gc__end, elsewhere:gc__done): a probe is
 * found only under its own provider; files without notes, missing files
 * and files that are not ELF.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "attach/usdt_notes.h"

#define USDT_LIB  "build/tests/fixtures/libfixture_usdt.so"
#define PLAIN_LIB "build/tests/fixtures/libfixture.so"

static const char *const python_names[] = { "gc__start", "gc__done" };
static const char *const jvm_names[] = { "gc__begin", "gc__end" };

static void test_python_start_only(void **state)
{
	bool found[2] = { false, true };

	(void)state;
	assert_int_equal(usdt_notes__find(USDT_LIB, "python", python_names, 2, found), 0);
	assert_true(found[0]);
	/* gc__done is there, but under another provider */
	assert_false(found[1]);
}

static void test_hotspot_end_only(void **state)
{
	bool found[2];

	(void)state;
	assert_int_equal(usdt_notes__find(USDT_LIB, "hotspot", jvm_names, 2, found), 0);
	assert_false(found[0]);
	assert_true(found[1]);
}

static void test_other_provider(void **state)
{
	static const char *const done[] = { "gc__done" };
	bool found[1];

	(void)state;
	assert_int_equal(usdt_notes__find(USDT_LIB, "elsewhere", done, 1, found), 0);
	assert_true(found[0]);
	assert_int_equal(usdt_notes__find(USDT_LIB, "pytho", done, 1, found), 0);
	assert_false(found[0]);
}

static void test_file_without_notes(void **state)
{
	bool found[2] = { true, true };

	(void)state;
	assert_int_equal(usdt_notes__find(PLAIN_LIB, "python", python_names, 2, found), 0);
	assert_false(found[0]);
	assert_false(found[1]);
}

static void test_unreadable(void **state)
{
	bool found[2];

	(void)state;
	assert_int_equal(usdt_notes__find("build/tests/fixtures/no-such.so", "python",
					  python_names, 2, found),
			 -ENOENT);
	assert_int_equal(usdt_notes__find("tests/unit/test_usdt_notes.c", "python", python_names,
					  2, found),
			 -ENOEXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_start_only),
		cmocka_unit_test(test_hotspot_end_only),
		cmocka_unit_test(test_other_provider),
		cmocka_unit_test(test_file_without_notes),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
