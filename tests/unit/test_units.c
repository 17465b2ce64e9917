// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/units.h"

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)
#define TIB (1024ULL * GIB)
#define PIB (1024ULL * TIB)
#define EIB (1024ULL * PIB)

static void assert_bytes(uint64_t bytes, const char *want)
{
	char buf[UNITS_BUF];
	const char *got;

	memset(buf, 'x', sizeof(buf));
	got = units__bytes(bytes, buf);
	assert_ptr_equal(got, buf);
	assert_string_equal(got, want);
}

static void assert_duration(double seconds, const char *want)
{
	char buf[UNITS_BUF];
	const char *got;

	memset(buf, 'x', sizeof(buf));
	got = units__duration(seconds, buf);
	assert_ptr_equal(got, buf);
	assert_string_equal(got, want);
}

static void test_bytes_plain(void **state)
{
	(void)state;
	assert_bytes(0, "0 B");
	assert_bytes(1, "1 B");
	assert_bytes(999, "999 B");
	assert_bytes(1023, "1023 B");
}

static void test_bytes_kib(void **state)
{
	(void)state;
	assert_bytes(KIB, "1.00 KiB");
	assert_bytes(KIB + 1, "1.00 KiB");
	assert_bytes(1536, "1.50 KiB");
	assert_bytes(3 * KIB, "3.00 KiB");
	/* cut, not rounded: 1.999 KiB is not yet 2 KiB */
	assert_bytes(2 * KIB - 1, "1.99 KiB");
	assert_bytes(10 * KIB - 1, "9.99 KiB");
	assert_bytes(10 * KIB, "10.0 KiB");
	assert_bytes(12595, "12.2 KiB"); /* 12.2998 KiB */
	assert_bytes(100 * KIB - 1, "99.9 KiB");
	assert_bytes(100 * KIB, "100 KiB");
	assert_bytes(999 * KIB, "999 KiB");
	assert_bytes(1000 * KIB - 1, "999 KiB");
	assert_bytes(1000 * KIB, "1000 KiB");
}

/* A count just under a unit stays in the smaller unit, and never reads as the boundary. */
static void test_bytes_unit_boundaries(void **state)
{
	(void)state;
	assert_bytes(MIB - 1, "1023 KiB");
	assert_bytes(MIB, "1.00 MiB");
	assert_bytes(MIB + 1, "1.00 MiB");
	assert_bytes(GIB - 1, "1023 MiB");
	assert_bytes(GIB, "1.00 GiB");
	assert_bytes(TIB - 1, "1023 GiB");
	assert_bytes(TIB, "1.00 TiB");
	assert_bytes(PIB - 1, "1023 TiB");
	assert_bytes(PIB, "1.00 PiB");
	assert_bytes(EIB - 1, "1023 PiB");
	assert_bytes(EIB, "1.00 EiB");
}

static void test_bytes_large(void **state)
{
	(void)state;
	assert_bytes(3 * MIB / 2, "1.50 MiB");
	assert_bytes(3 * GIB / 2, "1.50 GiB");
	assert_bytes(2 * GIB, "2.00 GiB");
	assert_bytes(4 * GIB - 1, "3.99 GiB");
	assert_bytes(12 * GIB + 3 * GIB / 10 + 1, "12.3 GiB");
	assert_bytes(512 * GIB, "512 GiB");
	/* the low bits count: a double would round this up to 16.0 EiB */
	assert_bytes(UINT64_MAX, "15.9 EiB");
	assert_bytes(15 * EIB, "15.0 EiB");
}

/* Every count shows a number below 1024 in its unit, within the buffer. */
static void test_bytes_shape(void **state)
{
	char buf[UNITS_BUF];

	(void)state;
	for (unsigned int k = 0; k < 64; k++) {
		for (int d = -1; d <= 1; d++) {
			uint64_t v = (1ULL << k) + (uint64_t)(int64_t)d;
			double shown;
			char unit[8];

			units__bytes(v, buf);
			assert_true(strlen(buf) < UNITS_BUF);
			assert_int_equal(sscanf(buf, "%lf %7s", &shown, unit), 2);
			assert_true(shown < 1024);
			if (v >= KIB)
				assert_true(shown >= 1);
		}
	}
}

static void test_duration_ms(void **state)
{
	(void)state;
	assert_duration(0, "0 ms");
	assert_duration(0.0004, "0 ms");
	assert_duration(0.001, "1 ms");
	/* 57.999... ms in binary: still the 58 ms it came from */
	assert_duration(0.058, "58 ms");
	assert_duration(0.5, "500 ms");
	assert_duration(0.9994, "999 ms");
	assert_duration(0.9996, "999 ms");
}

static void test_duration_seconds(void **state)
{
	(void)state;
	assert_duration(1, "1.0 s");
	assert_duration(1.25, "1.2 s");
	assert_duration(12.3, "12.3 s");
	assert_duration(59.9, "59.9 s");
	/* not "60.0 s": that is a minute */
	assert_duration(59.96, "59.9 s");
}

static void test_duration_minutes_hours(void **state)
{
	(void)state;
	assert_duration(60, "1m 00s");
	assert_duration(307, "5m 07s");
	assert_duration(3599, "59m 59s");
	assert_duration(3599.9, "59m 59s");
	assert_duration(3600, "1h 00m");
	assert_duration(7380, "2h 03m");
	assert_duration(7199, "1h 59m");
	assert_duration(86400, "24h 00m");
}

static void test_duration_invalid(void **state)
{
	(void)state;
	assert_duration(-1, "0 ms");
	assert_duration(NAN, "0 ms");
	assert_duration(-INFINITY, "0 ms");
	/* clamped, not undefined behaviour in the conversion */
	assert_duration(INFINITY, "277777777h 46m");
}

static void test_parse_count(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(units__parse_count("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(units__parse_count("10", 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(units__parse_count("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 7;
	/* past the bound, past 64 bits, signs, spaces, suffixes, hex, nothing */
	static const struct {
		const char *s;
		uint64_t max;
	} bad[] = {
		{ "11", 10 },	{ "18446744073709551616", UINT64_MAX }, { "99999999999999999999", UINT64_MAX },
		{ "-1", 10 },	{ "+1", 10 }, { " 1", 10 }, { "1 ", 10 }, { "1x", 10 }, { "0x1", 10 },
		{ "", 10 },	{ "1.0", 10 }, { "1e1", 100 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units__parse_count(bad[i].s, bad[i].max, &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_parse_bytes(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 },	      { "4096", 4096 },	     { "512K", 512 * KIB }, { "512k", 512 * KIB },
		{ "1M", MIB },	      { "1MiB", MIB },	     { "1Mi", MIB },	    { "1MB", MIB },
		{ "2G", 2 * GIB },   { "2g", 2 * GIB },
	};
	static const char *const bad[] = { "2049M", "3G", "-1", "+1", " 1", "1T", "1 K", "1KiBx",
					   "K", "", "1.5G", "0x10", "2147483649",
					   "99999999999999999999G" };
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(units__parse_bytes(good[i].s, 2 * GIB, &v), 0);
		assert_true(v == good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units__parse_bytes(bad[i], 2 * GIB, &v), -EINVAL);
	/* a shift that would carry bits out of 64 is refused, not wrapped */
	assert_int_equal(units__parse_bytes("17179869184G", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(units__parse_bytes("17179869183G", UINT64_MAX, &v), 0);
	assert_true(v == 17179869183ULL << 30);
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {
		{ "0", 0 },	{ "0.25", 0.25 }, { ".5", 0.5 },    { "5.", 5 },      { "1.5m", 90 },
		{ "2h", 7200 }, { "10s", 10 },	  { "1e3", 1000 }, { "1E+2s", 100 }, { "8760h", 31536000 },
		{ "25e-3", 0.025 },
	};
	static const char *const bad[] = { "2e10", "8760.1h", "-1", "+1", " 1", "1 s", "nan", "inf",
					   "infinity", "0x10", "0x1p3", "1e400", "1e", "1e+",
					   ".", "", "s", "1ms", "1d", "1.5q", "1..2", "1e-400" };
	double v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(units__parse_duration(good[i].s, 31536000, &v), 0);
		assert_true(v == good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (units__parse_duration(bad[i], 31536000, &v) != -EINVAL)
			fail_msg("'%s' was taken", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_plain),
		cmocka_unit_test(test_bytes_kib),
		cmocka_unit_test(test_bytes_unit_boundaries),
		cmocka_unit_test(test_bytes_large),
		cmocka_unit_test(test_bytes_shape),
		cmocka_unit_test(test_duration_ms),
		cmocka_unit_test(test_duration_seconds),
		cmocka_unit_test(test_duration_minutes_hours),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_parse_count),
		cmocka_unit_test(test_parse_bytes),
		cmocka_unit_test(test_parse_duration),
	};

	return cmocka_run_group_tests_name("unit: units", tests, NULL, NULL);
}
