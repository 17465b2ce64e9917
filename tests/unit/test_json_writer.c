// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_writer.h"

#define FFFD "\xef\xbf\xbd"

struct fixture {
	char *buf;
	size_t len;
	FILE *f;
	struct json_writer *w;
};

static int setup(void **state, bool pretty)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	fx->f = open_memstream(&fx->buf, &fx->len);
	if (!fx->f)
		return -1;
	fx->w = json_writer__new(fx->f, pretty);
	return fx->w ? 0 : -1;
}

static int setup_compact(void **state)
{
	return setup(state, false);
}

static int setup_pretty(void **state)
{
	return setup(state, true);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (!fx)
		return 0;
	json_writer__free(fx->w);
	if (fx->f)
		fclose(fx->f);
	free(fx->buf);
	free(fx);
	return 0;
}

/* The writer never emits NUL, so a length mismatch means a stray one. */
static const char *output(struct fixture *fx)
{
	assert_int_equal(fflush(fx->f), 0);
	assert_int_equal(strlen(fx->buf), fx->len);
	return fx->buf;
}

#define FX ((struct fixture *)*state)
#define W  (FX->w)

static void assert_output(void **state, const char *expected, int err)
{
	assert_string_equal(output(FX), expected);
	assert_int_equal(json_writer__error(W), err);
}

/* Renders one top-level string on a fresh writer and compares it exactly. */
static void check_string(const char *in, size_t len, const char *expected)
{
	struct json_writer *w;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	f = open_memstream(&buf, &size);
	assert_non_null(f);
	w = json_writer__new(f, false);
	assert_non_null(w);
	json_writer__string_len(w, in, len);
	assert_int_equal(json_writer__error(w), 0);
	json_writer__free(w);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, expected);
	assert_int_equal(strlen(buf), size);
	free(buf);
}

/* sizeof, not strlen: the inputs may hold NUL bytes */
#define CHECK_STR(in, expected) check_string(in, sizeof(in) - 1, expected)

static void test_empty_object(void **state)
{
	json_writer__begin_object(W);
	json_writer__end_object(W);
	assert_output(state, "{}", 0);
}

static void test_empty_array(void **state)
{
	json_writer__begin_array(W);
	json_writer__end_array(W);
	assert_output(state, "[]", 0);
}

static void test_empty_pretty(void **state)
{
	/* empty containers stay on one line even when pretty */
	json_writer__begin_object(W);
	json_writer__key(W, "a");
	json_writer__begin_object(W);
	json_writer__end_object(W);
	json_writer__key(W, "b");
	json_writer__begin_array(W);
	json_writer__end_array(W);
	json_writer__end_object(W);
	assert_output(state, "{\n  \"a\": {},\n  \"b\": []\n}\n", 0);
}

static void test_nested_compact(void **state)
{
	json_writer__begin_object(W);
	json_writer__kv_u64(W, "a", 1);
	json_writer__key(W, "b");
	json_writer__begin_array(W);
	json_writer__u64(W, 1);
	json_writer__u64(W, 2);
	json_writer__begin_object(W);
	json_writer__kv_bool(W, "c", true);
	json_writer__end_object(W);
	json_writer__end_array(W);
	json_writer__key(W, "d");
	json_writer__begin_object(W);
	json_writer__key(W, "e");
	json_writer__null(W);
	json_writer__kv_bool(W, "f", false);
	json_writer__end_object(W);
	json_writer__key(W, "g");
	json_writer__begin_array(W);
	json_writer__begin_array(W);
	json_writer__end_array(W);
	json_writer__begin_object(W);
	json_writer__end_object(W);
	json_writer__end_array(W);
	json_writer__end_object(W);
	assert_output(state,
		      "{\"a\":1,\"b\":[1,2,{\"c\":true}],\"d\":{\"e\":null,\"f\":false},"
		      "\"g\":[[],{}]}",
		      0);
}

static void test_pretty(void **state)
{
	json_writer__begin_object(W);
	json_writer__kv_string(W, "name", "x");
	json_writer__key(W, "list");
	json_writer__begin_array(W);
	json_writer__u64(W, 1);
	json_writer__begin_object(W);
	json_writer__kv_bool(W, "ok", true);
	json_writer__end_object(W);
	json_writer__begin_array(W);
	json_writer__end_array(W);
	json_writer__end_array(W);
	json_writer__key(W, "empty");
	json_writer__begin_object(W);
	json_writer__end_object(W);
	json_writer__kv_double(W, "d", 1.5);
	json_writer__end_object(W);
	assert_output(state,
		      "{\n"
		      "  \"name\": \"x\",\n"
		      "  \"list\": [\n"
		      "    1,\n"
		      "    {\n"
		      "      \"ok\": true\n"
		      "    },\n"
		      "    []\n"
		      "  ],\n"
		      "  \"empty\": {},\n"
		      "  \"d\": 1.5\n"
		      "}\n",
		      0);
}

static void test_top_level_scalar(void **state)
{
	json_writer__i64(W, -42);
	assert_output(state, "-42", 0);
}

static void test_top_level_scalar_pretty(void **state)
{
	json_writer__u64(W, 42);
	assert_output(state, "42\n", 0);
}

static void test_kv_helpers(void **state)
{
	json_writer__begin_object(W);
	json_writer__kv_string(W, "s", "x");
	json_writer__kv_u64(W, "u", 7);
	json_writer__kv_i64(W, "i", -7);
	json_writer__kv_double(W, "d", 0.25);
	json_writer__kv_bool(W, "b", false);
	json_writer__end_object(W);
	assert_output(state, "{\"s\":\"x\",\"u\":7,\"i\":-7,\"d\":0.25,\"b\":false}", 0);
}

static void test_control_bytes(void **state)
{
	char in[32];
	int i;

	(void)state;
	for (i = 0; i < 32; i++)
		in[i] = (char)i;
	/* written out by hand so the test does not share the writer's formatting */
	check_string(in, sizeof(in),
		     "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
		     "\\u0008\\u0009\\u000a\\u000b\\u000c\\u000d\\u000e\\u000f"
		     "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
		     "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
	CHECK_STR("a\0b", "\"a\\u0000b\"");
	CHECK_STR("line\n", "\"line\\u000a\"");
}

static void test_printable_ascii_unchanged(void **state)
{
	(void)state;
	/* 0x20, '/', '~' and DEL need no escape */
	CHECK_STR(" /~\x7f", "\" /~\x7f\"");
}

static void test_quote_backslash(void **state)
{
	(void)state;
	CHECK_STR("a\"b\\c", "\"a\\\"b\\\\c\"");
	CHECK_STR("\"\\\"", "\"\\\"\\\\\\\"\"");
}

static void test_key_escaped(void **state)
{
	json_writer__begin_object(W);
	json_writer__kv_u64(W, "a\"b\n\xff", 1);
	json_writer__end_object(W);
	assert_output(state, "{\"a\\\"b\\u000a" FFFD "\":1}", 0);
}

static void test_valid_utf8(void **state)
{
	(void)state;
	CHECK_STR("h\xc3\xa9llo", "\"h\xc3\xa9llo\"");
	CHECK_STR("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	CHECK_STR("\xe4\xb8\xad\xe6\x96\x87", "\"\xe4\xb8\xad\xe6\x96\x87\"");
	/* the edges of every range that the invalid cases border on */
	CHECK_STR("\xc2\x80", "\"\xc2\x80\"");		       /* U+0080 */
	CHECK_STR("\xdf\xbf", "\"\xdf\xbf\"");		       /* U+07FF */
	CHECK_STR("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");	       /* U+0800 */
	CHECK_STR("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");	       /* U+D7FF */
	CHECK_STR("\xee\x80\x80", "\"\xee\x80\x80\"");	       /* U+E000 */
	CHECK_STR("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");	       /* U+FFFF */
	CHECK_STR("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000 */
	CHECK_STR("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	/* lone continuation bytes */
	CHECK_STR("\x80", "\"" FFFD "\"");
	CHECK_STR("a\xbfz", "\"a" FFFD "z\"");
	/* truncated, at the end and before other bytes */
	CHECK_STR("\xe2\x82", "\"" FFFD FFFD "\"");
	CHECK_STR("\xe2\x82z", "\"" FFFD FFFD "z\"");
	CHECK_STR("\xf0\x9f\x98", "\"" FFFD FFFD FFFD "\"");
	CHECK_STR("\xc3", "\"" FFFD "\"");
	/* cut by len, not by a NUL: the bytes past the end must not be read */
	check_string("\xc3\xa9", 1, "\"" FFFD "\"");
	check_string("\xe2\x82\xac", 2, "\"" FFFD FFFD "\"");
	check_string("\xf0\x9f\x98\x80", 3, "\"" FFFD FFFD FFFD "\"");
	CHECK_STR("\xc3\"", "\"" FFFD "\\\"\"");
	CHECK_STR("\xc3\xa9\xc3", "\"\xc3\xa9" FFFD "\"");
	CHECK_STR("\xe2\x82\xac\x80", "\"\xe2\x82\xac" FFFD "\"");
	/* overlong */
	CHECK_STR("\xc0\xaf", "\"" FFFD FFFD "\"");
	CHECK_STR("\xc1\xbf", "\"" FFFD FFFD "\"");
	CHECK_STR("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");
	CHECK_STR("\xe0\x9f\xbf", "\"" FFFD FFFD FFFD "\"");
	CHECK_STR("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"");
	CHECK_STR("\xf0\x8f\xbf\xbf", "\"" FFFD FFFD FFFD FFFD "\"");
	/* surrogates */
	CHECK_STR("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");
	CHECK_STR("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"");
	/* above U+10FFFF */
	CHECK_STR("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	CHECK_STR("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	CHECK_STR("\xf8\xfe\xff", "\"" FFFD FFFD FFFD "\"");
}

static void test_null_string(void **state)
{
	json_writer__begin_array(W);
	json_writer__string(W, NULL);
	json_writer__string_len(W, NULL, 3);
	json_writer__string_len(W, "abc", 0);
	json_writer__end_array(W);
	assert_output(state, "[null,null,\"\"]", 0);
}

static void test_kv_null_string(void **state)
{
	json_writer__begin_object(W);
	json_writer__kv_string(W, "k", NULL);
	json_writer__end_object(W);
	assert_output(state, "{\"k\":null}", 0);
}

static void test_integers(void **state)
{
	json_writer__begin_array(W);
	json_writer__u64(W, UINT64_MAX);
	json_writer__u64(W, 0);
	json_writer__i64(W, INT64_MIN);
	json_writer__i64(W, INT64_MAX);
	json_writer__end_array(W);
	assert_output(state, "[18446744073709551615,0,-9223372036854775808,9223372036854775807]",
		      0);
}

static void test_double_exact(void **state)
{
	json_writer__begin_array(W);
	json_writer__double(W, 0.1);
	json_writer__double(W, 100.0);
	json_writer__double(W, -0.0);
	json_writer__double(W, 1e300);
	json_writer__double(W, 1.0 / 3.0);
	json_writer__double(W, 0.1 + 0.2);
	json_writer__double(W, DBL_MAX);
	json_writer__end_array(W);
	assert_output(state,
		      "[0.1,100.0,-0.0,1e+300,0.3333333333333333,0.30000000000000004,"
		      "1.7976931348623157e+308]",
		      0);
}

static void test_double_round_trip(void **state)
{
	const double values[] = {0.1,	  1.0 / 3.0,	      2.0 / 3.0,     M_PI,	   M_E,
				 DBL_MAX, -DBL_MAX,	      DBL_MIN,	     DBL_TRUE_MIN, -0.0,
				 1e21,	  9007199254740993.0, 123456.789e-10};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct json_writer *w;
		char *buf = NULL;
		size_t size = 0;
		double back;
		FILE *f;

		f = open_memstream(&buf, &size);
		assert_non_null(f);
		w = json_writer__new(f, false);
		assert_non_null(w);
		json_writer__double(w, values[i]);
		assert_int_equal(json_writer__error(w), 0);
		json_writer__free(w);
		assert_int_equal(fclose(f), 0);
		back = strtod(buf, NULL);
		/* memcmp, so -0.0 must come back with its sign */
		assert_memory_equal(&back, &values[i], sizeof(back));
		free(buf);
	}
}

static void test_double_nonfinite(void **state)
{
	json_writer__begin_array(W);
	json_writer__double(W, NAN);
	json_writer__double(W, INFINITY);
	json_writer__double(W, -INFINITY);
	json_writer__u64(W, 1);
	json_writer__end_array(W);
	assert_output(state, "[null,null,null,1]", -EINVAL);
}

static void test_kv_double_nonfinite(void **state)
{
	json_writer__begin_object(W);
	json_writer__kv_double(W, "x", -INFINITY);
	json_writer__end_object(W);
	assert_output(state, "{\"x\":null}", -EINVAL);
}

static void test_no_error_on_clean_output(void **state)
{
	assert_int_equal(json_writer__error(W), 0);
	json_writer__begin_object(W);
	json_writer__kv_double(W, "x", 2.5);
	json_writer__end_object(W);
	assert_output(state, "{\"x\":2.5}", 0);
}

static void test_end_object_in_array(void **state)
{
	json_writer__begin_array(W);
	json_writer__end_object(W);
	json_writer__end_array(W);
	assert_output(state, "[]", -EINVAL);
}

static void test_end_array_in_object(void **state)
{
	json_writer__begin_object(W);
	json_writer__end_array(W);
	json_writer__end_object(W);
	assert_output(state, "{}", -EINVAL);
}

static void test_value_without_key(void **state)
{
	json_writer__begin_object(W);
	json_writer__u64(W, 1);
	json_writer__begin_array(W);
	json_writer__end_object(W);
	assert_output(state, "{}", -EINVAL);
}

static void test_key_outside_object(void **state)
{
	json_writer__key(W, "a");
	json_writer__begin_array(W);
	json_writer__key(W, "b");
	json_writer__end_array(W);
	assert_output(state, "[]", -EINVAL);
}

static void test_key_twice(void **state)
{
	json_writer__begin_object(W);
	json_writer__key(W, "a");
	json_writer__key(W, "b");
	json_writer__u64(W, 1);
	json_writer__end_object(W);
	assert_output(state, "{\"a\":1}", -EINVAL);
}

static void test_end_with_pending_key(void **state)
{
	json_writer__begin_object(W);
	json_writer__key(W, "a");
	json_writer__end_object(W);
	json_writer__null(W);
	json_writer__end_object(W);
	assert_output(state, "{\"a\":null}", -EINVAL);
}

static void test_null_key(void **state)
{
	json_writer__begin_object(W);
	json_writer__key(W, NULL);
	json_writer__kv_u64(W, NULL, 1);
	json_writer__end_object(W);
	assert_output(state, "{}", -EINVAL);
}

static void test_end_at_top_level(void **state)
{
	json_writer__end_array(W);
	json_writer__end_object(W);
	assert_output(state, "", -EINVAL);
}

static void test_second_top_level_value(void **state)
{
	json_writer__u64(W, 1);
	assert_int_equal(json_writer__error(W), 0);
	json_writer__u64(W, 2);
	json_writer__begin_object(W);
	assert_output(state, "1", -EINVAL);
}

static void nest(struct json_writer *w, int levels)
{
	int i;

	for (i = 0; i < levels; i++)
		json_writer__begin_array(w);
	for (i = 0; i < levels; i++)
		json_writer__end_array(w);
}

static void test_depth_64(void **state)
{
	char expected[129];

	memset(expected, '[', 64);
	memset(expected + 64, ']', 64);
	expected[128] = '\0';
	nest(W, 64);
	assert_output(state, expected, 0);
}

static void test_depth_65(void **state)
{
	char expected[129];

	memset(expected, '[', 64);
	memset(expected + 64, ']', 64);
	expected[128] = '\0';
	nest(W, 65);
	assert_output(state, expected, -EINVAL);
}

/* Where /dev/full is missing, the calling test is skipped, loudly. */
static FILE *open_full(void)
{
	FILE *f = fopen("/dev/full", "w");

	if (!f && errno == ENOENT) {
		fprintf(stderr, "SKIP: /dev/full does not exist; cannot provoke a write error\n");
		skip();
	}
	assert_non_null(f);
	return f;
}

static void test_write_error_unbuffered(void **state)
{
	struct json_writer *w;
	FILE *f = open_full();

	(void)state;
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	w = json_writer__new(f, false);
	assert_non_null(w);
	json_writer__begin_object(w);
	assert_int_equal(json_writer__error(w), -EIO);
	/* a later misnesting must not hide the first error */
	json_writer__end_array(w);
	assert_int_equal(json_writer__error(w), -EIO);
	json_writer__free(w);
	fclose(f);
}

static void test_write_error_buffered(void **state)
{
	struct json_writer *w;
	FILE *f = open_full();

	(void)state;
	w = json_writer__new(f, false);
	assert_non_null(w);
	json_writer__begin_array(w);
	json_writer__end_array(w);
	assert_int_equal(json_writer__error(w), 0);
	/* the failure happens in the caller's flush; the writer must still report it */
	assert_int_equal(fflush(f), EOF);
	assert_int_equal(json_writer__error(w), -EIO);
	json_writer__free(w);
	fclose(f);
}

static void test_einval_before_eio(void **state)
{
	struct json_writer *w;
	FILE *f = open_full();

	(void)state;
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	w = json_writer__new(f, false);
	assert_non_null(w);
	json_writer__end_object(w);
	json_writer__double(w, NAN);
	assert_int_equal(json_writer__error(w), -EINVAL);
	json_writer__free(w);
	fclose(f);
}

static void test_memory_too_small(void **state)
{
	struct json_writer *w;
	char buf[8];
	FILE *f;

	(void)state;
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	w = json_writer__new(f, false);
	assert_non_null(w);
	json_writer__string(w, "abc");
	assert_int_equal(json_writer__error(w), 0);
	fclose(f);
	json_writer__free(w);

	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	w = json_writer__new(f, false);
	assert_non_null(w);
	json_writer__string(w, "0123456789");
	assert_int_equal(json_writer__error(w), -EIO);
	fclose(f);
	json_writer__free(w);
}

static void test_new_null_file(void **state)
{
	(void)state;
	errno = 0;
	assert_null(json_writer__new(NULL, false));
	assert_int_equal(errno, EINVAL);
}

static void test_free_null(void **state)
{
	(void)state;
	json_writer__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define FX_TEST(fn, setup_fn) cmocka_unit_test_setup_teardown(fn, setup_fn, teardown)
		FX_TEST(test_empty_object, setup_compact),
		FX_TEST(test_empty_array, setup_compact),
		FX_TEST(test_empty_pretty, setup_pretty),
		FX_TEST(test_nested_compact, setup_compact),
		FX_TEST(test_pretty, setup_pretty),
		FX_TEST(test_top_level_scalar, setup_compact),
		FX_TEST(test_top_level_scalar_pretty, setup_pretty),
		FX_TEST(test_kv_helpers, setup_compact),
		cmocka_unit_test(test_control_bytes),
		cmocka_unit_test(test_printable_ascii_unchanged),
		cmocka_unit_test(test_quote_backslash),
		FX_TEST(test_key_escaped, setup_compact),
		cmocka_unit_test(test_valid_utf8),
		cmocka_unit_test(test_invalid_utf8),
		FX_TEST(test_null_string, setup_compact),
		FX_TEST(test_kv_null_string, setup_compact),
		FX_TEST(test_integers, setup_compact),
		FX_TEST(test_double_exact, setup_compact),
		cmocka_unit_test(test_double_round_trip),
		FX_TEST(test_double_nonfinite, setup_compact),
		FX_TEST(test_kv_double_nonfinite, setup_compact),
		FX_TEST(test_no_error_on_clean_output, setup_compact),
		FX_TEST(test_end_object_in_array, setup_compact),
		FX_TEST(test_end_array_in_object, setup_compact),
		FX_TEST(test_value_without_key, setup_compact),
		FX_TEST(test_key_outside_object, setup_compact),
		FX_TEST(test_key_twice, setup_compact),
		FX_TEST(test_end_with_pending_key, setup_compact),
		FX_TEST(test_null_key, setup_compact),
		FX_TEST(test_end_at_top_level, setup_compact),
		FX_TEST(test_second_top_level_value, setup_compact),
		FX_TEST(test_depth_64, setup_compact),
		FX_TEST(test_depth_65, setup_compact),
		cmocka_unit_test(test_write_error_unbuffered),
		cmocka_unit_test(test_write_error_buffered),
		cmocka_unit_test(test_einval_before_eio),
		cmocka_unit_test(test_memory_too_small),
		cmocka_unit_test(test_new_null_file),
		cmocka_unit_test(test_free_null),
#undef FX_TEST
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
