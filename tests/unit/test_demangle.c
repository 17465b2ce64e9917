// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * demangle__cxx: readable C++ names, other names left alone, and the
 * bounds that keep a name chosen by a traced program from costing
 * memtrace gigabytes (a name that doubles its output with each
 * back-reference) or its stack (a very long name).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/demangle.h"
#include "unit_helpers.h"

static void assert_demangles(const char *mangled, const char *want)
{
	char *got = demangle__cxx(mangled);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_readable(void **state)
{
	(void)state;
	assert_true(demangle__is_mangled("_ZN2ns5Model4leakEi"));
	assert_demangles("_ZN2ns5Model4leakEi", "ns::Model::leak(int)");
	assert_demangles("_ZN2ns5scaleEd", "ns::scale(double)");
	assert_demangles("_ZN2fx5twiceIlEET_S1_", "long fx::twice<long>(long)");
	assert_demangles("_Znwm", "operator new(unsigned long)");
	/* gcc's split and specialized copies say so */
	assert_demangles("_ZN2ns5Model4leakEi.cold", "ns::Model::leak(int) [clone .cold]");
	/* the standard abbreviations stay short */
	assert_demangles("_Z1fRKSs", "f(std::string const&)");
}

/* C names, and what the demangler would read as a type ("i" is int): never touched. */
static void test_not_mangled(void **state)
{
	static const char *const names[] = { "main", "i", "c", "malloc", "_start", "_Z",
					     "_Zgarbage", "__Z3foov", "" };

	(void)state;
	assert_null(demangle__cxx(NULL));
	assert_false(demangle__is_mangled(NULL));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_null(demangle__cxx(names[i]));
	assert_false(demangle__is_mangled("main"));
	assert_false(demangle__is_mangled("i"));
}

/*
 * f(T<int, int>, T<T<int, int>, T<int, int> >, ...): each parameter is the
 * template over two copies of the one before, so the output doubles with
 * each 10 bytes of input. steps 10 demangles to 34756 bytes; steps 11 would
 * be 69568, past the bound.
 */
static char *doubling_name(unsigned int steps)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t cap = 16 + 16 * (size_t)steps, len;
	char *name = malloc(cap);

	assert_non_null(name);
	len = (size_t)snprintf(name, cap, "_Z1f1TIiiE");
	for (unsigned int i = 0; i < steps; i++) {
		/* back-reference i + 1 is written S<i in base 36>_ */
		char id[8];
		int n = 0;

		for (unsigned int v = i;; v /= 36) {
			id[n++] = digits[v % 36];
			if (v < 36)
				break;
		}
		len += (size_t)snprintf(name + len, cap - len, "S_IS");
		for (int j = n - 1; j >= 0; j--)
			name[len++] = id[j];
		len += (size_t)snprintf(name + len, cap - len, "_S");
		for (int j = n - 1; j >= 0; j--)
			name[len++] = id[j];
		len += (size_t)snprintf(name + len, cap - len, "_E");
	}
	return name;
}

static void test_output_bound(void **state)
{
	char *name, *got;
	double start;

	(void)state;
	name = doubling_name(1);
	assert_demangles(name, "f(T<int, int>, T<T<int, int>, T<int, int> >)");
	free(name);

	name = doubling_name(10);
	got = demangle__cxx(name);
	assert_non_null(got);
	assert_int_equal(strlen(got), 34756);
	assert_int_equal(strncmp(got, "f(T<int, int>, T<T<int, int>, T<int, int> >, ", 45), 0);
	free(got);
	free(name);

	name = doubling_name(11);
	assert_null(demangle__cxx(name));
	free(name);

	/* 260 bytes that would make 1.1 GB (10 s with __cxa_demangle): cut at 64 KiB */
	name = doubling_name(25);
	assert_int_equal(strlen(name), 260);
	start = unit__now_s();
	assert_null(demangle__cxx(name));
	/* milliseconds measured; a loaded machine still stays far under a second */
	assert_true(unit__now_s() - start < 1.0);
	free(name);
}

/* ns::ns::...::f(): 907 bytes demangle, 1087 are over the demangler's own bound. */
static void test_input_bound(void **state)
{
	char name[2048], *got;
	size_t len;

	(void)state;
	for (unsigned int parts = 150; parts <= 180; parts += 30) {
		len = (size_t)snprintf(name, sizeof(name), "_ZN");
		for (unsigned int i = 0; i < parts; i++)
			len += (size_t)snprintf(name + len, sizeof(name) - len, "5abcde");
		snprintf(name + len, sizeof(name) - len, "1fEv");
		got = demangle__cxx(name);
		if (parts == 150) {
			assert_int_equal(strlen(name), 907);
			assert_non_null(got);
			/* "abcde::" 150 times, then "f()" */
			assert_int_equal(strlen(got), 7 * 150 + 3);
			assert_string_equal(got + 7 * 150, "f()");
		} else {
			assert_int_equal(strlen(name), 1087);
			assert_null(got);
		}
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readable),
		cmocka_unit_test(test_not_mangled),
		cmocka_unit_test(test_output_bound),
		cmocka_unit_test(test_input_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
