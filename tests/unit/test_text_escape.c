// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one escape of names in text and markdown output: exact bytes out for hostile bytes in. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text_escape.h"

/* len bytes of in (NULs allowed), escaped in mode, with room to spare */
static void check_mode(const char *in, size_t len, enum text_escape_mode mode, const char *want)
{
	char buf[1024];
	bool cut = true;
	size_t n;

	memset(buf, 'x', sizeof(buf));
	n = text_escape__buf(in, len, mode, buf, sizeof(buf), &cut);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	assert_false(cut);
}

static void check(const char *in, size_t len, const char *want)
{
	check_mode(in, len, TEXT_ESCAPE_PLAIN, want);
}

#define CHECK(lit, want) check(lit, sizeof(lit) - 1, want)

static void test_controls(void **state)
{
	(void)state;
	CHECK("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	CHECK("bell\a", "bell\\x07");
	CHECK("two\nlines\r\n", "two\\x0alines\\x0d\\x0a");
	CHECK("tab\there", "tab\\x09here");
	CHECK("del\x7f", "del\\x7f");
	/* a NUL inside the given length is a byte like the others */
	CHECK("a\0b", "a\\x00b");
	CHECK("\x01\x1f", "\\x01\\x1f");
}

static void test_printable_ascii_kept(void **state)
{
	char in[96], want[128];
	size_t n = 0, w = 0;

	(void)state;
	for (int c = 0x20; c < 0x7f; c++) {
		in[n++] = (char)c;
		if (c == '\\')
			want[w++] = '\\';
		want[w++] = (char)c;
	}
	want[w] = '\0';
	check(in, n, want);
	/* the backslash doubles, so "\x1b" written by a program is not an escape */
	CHECK("\\x1b", "\\\\x1b");
}

/* Every byte 0x80-0xff alone: none starts a whole sequence, each is one escape. */
static void test_high_bytes_alone(void **state)
{
	char in[2], want[8];

	(void)state;
	for (int c = 0x80; c <= 0xff; c++) {
		in[0] = (char)c;
		in[1] = 'z';
		snprintf(want, sizeof(want), "\\x%02xz", c);
		check(in, 2, want);
	}
}

static void test_invalid_sequences(void **state)
{
	(void)state;
	/* overlong forms of '/' and of NUL */
	CHECK("\xc0\xaf", "\\xc0\\xaf");
	CHECK("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
	CHECK("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf");
	CHECK("\xc1\xbf", "\\xc1\\xbf");
	/* truncated: a lead byte whose sequence ends early, at the end and before ASCII */
	CHECK("ab\xe2\x82", "ab\\xe2\\x82");
	CHECK("\xe2\x82"
	      "c",
	      "\\xe2\\x82c");
	CHECK("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	/* a surrogate (U+D800) and past U+10FFFF */
	CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80");
	CHECK("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	CHECK("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
	/* a stray continuation byte between good characters */
	CHECK("\xc3\xa9\x80\xc3\xa9", "\xc3\xa9\\x80\xc3\xa9");
}

static void test_valid_utf8_kept(void **state)
{
	(void)state;
	/* 2, 3 and 4 bytes: é, €, 😀, and the last code point */
	CHECK("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CHECK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	/* U+00A0, just past the C1 controls, and U+2027 / U+202F around the escaped run */
	CHECK("\xc2\xa0", "\xc2\xa0");
	CHECK("\xe2\x80\xa7\xe2\x80\xaf", "\xe2\x80\xa7\xe2\x80\xaf");
}

static void test_hidden_controls(void **state)
{
	(void)state;
	/* C1: U+0080, U+009B (CSI), U+009F */
	CHECK("\xc2\x80", "\\xc2\\x80");
	CHECK("\xc2\x9b"
	      "31m",
	      "\\xc2\\x9b31m");
	CHECK("\xc2\x9f", "\\xc2\\x9f");
	/* line separator, right-to-left override, first strong isolate, pop isolate */
	CHECK("\xe2\x80\xa8", "\\xe2\\x80\\xa8");
	CHECK("a\xe2\x80\xae"
	      "b",
	      "a\\xe2\\x80\\xaeb");
	CHECK("\xe2\x81\xa6\xe2\x81\xa9", "\\xe2\\x81\\xa6\\xe2\\x81\\xa9");
}

static void test_markdown(void **state)
{
	(void)state;
	check_mode("a|b`c`\x1b", 7, TEXT_ESCAPE_MD_CELL, "a\\|b'c'\\x1b");
	/* outside a table '|' is plain text in a code span */
	check_mode("a|b`c`", 6, TEXT_ESCAPE_MD_CODE, "a|b'c'");
	check_mode("a|b`", 4, TEXT_ESCAPE_PLAIN, "a|b`");
}

/* Cut at whole escapes, never inside one or inside a UTF-8 sequence. */
static void test_cut(void **state)
{
	char buf[8];
	bool cut;

	(void)state;
	assert_int_equal(text_escape__buf("ab\x1b"
					  "cd",
					  5, TEXT_ESCAPE_PLAIN, buf, sizeof(buf), &cut),
			 7);
	assert_string_equal(buf, "ab\\x1bc");
	assert_true(cut);
	assert_int_equal(
		text_escape__buf("abcde\x1b", 6, TEXT_ESCAPE_PLAIN, buf, sizeof(buf), &cut), 5);
	assert_string_equal(buf, "abcde");
	assert_true(cut);
	assert_int_equal(text_escape__buf("abcde\xe2\x82\xac", 8, TEXT_ESCAPE_PLAIN, buf, 8, &cut),
			 5);
	assert_string_equal(buf, "abcde");
	assert_true(cut);
	assert_int_equal(text_escape__buf("abcd\xe2\x82\xac", 7, TEXT_ESCAPE_PLAIN, buf, 8, &cut),
			 7);
	assert_string_equal(buf, "abcd\xe2\x82\xac");
	assert_false(cut);
	assert_int_equal(text_escape__buf("x", 1, TEXT_ESCAPE_PLAIN, buf, 0, &cut), 0);
	assert_int_equal(text_escape__buf("x", 1, TEXT_ESCAPE_PLAIN, buf, 1, &cut), 0);
	assert_string_equal(buf, "");
	assert_true(cut);
}

static void test_c_string_and_stream(void **state)
{
	char buf[64], *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_ptr_equal(text_escape("ev\x1b[1mil\nx", buf, sizeof(buf)), buf);
	assert_string_equal(buf, "ev\\x1b[1mil\\x0ax");
	assert_string_equal(text_escape(NULL, buf, sizeof(buf)), "");
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(text_escape__fputs("\xff"
					    "ok\x7f",
					    f),
			 0);
	assert_int_equal(text_escape__fputs(NULL, f), 0);
	fclose(f);
	assert_string_equal(text, "\\xffok\\x7f");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_printable_ascii_kept),
		cmocka_unit_test(test_high_bytes_alone),
		cmocka_unit_test(test_invalid_sequences),
		cmocka_unit_test(test_valid_utf8_kept),
		cmocka_unit_test(test_hidden_controls),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_c_string_and_stream),
	};

	return cmocka_run_group_tests_name("unit: text_escape", tests, NULL, NULL);
}
