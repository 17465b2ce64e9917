// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The protobuf encoder (util/protobuf.h): bytes as the wire format spells them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "util/protobuf.h"

#define BYTES(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static void expect_bytes(const struct pb_buf *b, const uint8_t *want, size_t len)
{
	assert_int_equal(b->err, 0);
	assert_int_equal(b->len, len);
	assert_memory_equal(b->data, want, len);
}

static void expect_varint(uint64_t v, const uint8_t *want, size_t len)
{
	struct pb_buf b = {};

	pb__varint(&b, v);
	expect_bytes(&b, want, len);
	pb__release(&b);
}

/* the edges of each length, and the largest values */
static void test_varint_edges(void **state)
{
	(void)state;
	expect_varint(0, BYTES(0x00));
	expect_varint(1, BYTES(0x01));
	expect_varint(127, BYTES(0x7f));
	expect_varint(128, BYTES(0x80, 0x01));
	expect_varint(300, BYTES(0xac, 0x02));
	expect_varint(16383, BYTES(0xff, 0x7f));
	expect_varint(16384, BYTES(0x80, 0x80, 0x01));
	expect_varint(UINT32_MAX, BYTES(0xff, 0xff, 0xff, 0xff, 0x0f));
	expect_varint(1ULL << 63, BYTES(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
	expect_varint(INT64_MAX, BYTES(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f));
	expect_varint(UINT64_MAX, BYTES(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
}

/* an int64 -1 is ten bytes, as protobuf's reference encoder writes it */
static void test_negative_int64(void **state)
{
	struct pb_buf b = {};

	(void)state;
	pb__uint(&b, 1, (uint64_t)(int64_t)-1);
	expect_bytes(&b, BYTES(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
	pb__release(&b);
}

/* tag = field << 3 | wire type, itself a varint past field 15 */
static void test_tags(void **state)
{
	struct pb_buf b = {};

	(void)state;
	pb__uint(&b, 1, 150);
	pb__uint(&b, 14, 0);
	pb__uint(&b, 16, 1);
	expect_bytes(&b, BYTES(0x08, 0x96, 0x01, 0x70, 0x00, 0x80, 0x01, 0x01));
	pb__release(&b);
}

static void test_string_and_empty(void **state)
{
	struct pb_buf b = {};

	(void)state;
	pb__string(&b, 6, "");
	pb__string(&b, 2, "testing");
	expect_bytes(&b, BYTES(0x32, 0x00, 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'));
	pb__release(&b);
}

/* a length past 127 takes a two-byte varint */
static void test_long_bytes(void **state)
{
	struct pb_buf b = {};
	uint8_t data[200];

	(void)state;
	memset(data, 0xab, sizeof(data));
	pb__bytes(&b, 1, data, sizeof(data));
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 3 + sizeof(data));
	assert_memory_equal(b.data, ((const uint8_t[]){ 0x0a, 0xc8, 0x01 }), 3);
	assert_memory_equal(b.data + 3, data, sizeof(data));
	pb__release(&b);
}

/* Test3 of the protobuf encoding guide: message { Test1 c = 3 } with a = 150 */
static void test_nested(void **state)
{
	struct pb_buf outer = {}, inner = {}, innermost = {};

	(void)state;
	pb__uint(&inner, 1, 150);
	pb__message(&outer, 3, &inner);
	expect_bytes(&outer, BYTES(0x1a, 0x03, 0x08, 0x96, 0x01));
	/* the sub-buffer is emptied for the next message, and reusable */
	assert_int_equal(inner.len, 0);
	pb__uint(&innermost, 2, 1);
	pb__message(&inner, 4, &innermost);
	pb__message(&outer, 5, &inner);
	expect_bytes(&outer, BYTES(0x1a, 0x03, 0x08, 0x96, 0x01, 0x2a, 0x04, 0x22, 0x02, 0x10,
				   0x01));
	/* an empty message is a field of length 0 */
	pb__message(&outer, 1, &inner);
	assert_int_equal(outer.len, 13);
	assert_memory_equal(outer.data + 11, ((const uint8_t[]){ 0x0a, 0x00 }), 2);
	pb__release(&outer);
	pb__release(&inner);
	pb__release(&innermost);
}

static void test_packed(void **state)
{
	static const uint64_t v[] = { 3, 270, 86942 };
	struct pb_buf b = {};

	(void)state;
	pb__packed(&b, 4, v, 3);
	expect_bytes(&b, BYTES(0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05));
	/* nothing at all for no element: a reader sees an empty repeated field either way */
	pb__packed(&b, 4, v, 0);
	assert_int_equal(b.len, 8);
	pb__release(&b);
}

/* a failure sticks: later writes do nothing, and the sub-message's passes up */
static void test_error_sticks(void **state)
{
	struct pb_buf b = {}, sub = { .err = -12 };

	(void)state;
	pb__uint(&b, 1, 1);
	pb__message(&b, 2, &sub);
	assert_int_equal(b.err, -12);
	pb__uint(&b, 3, 1);
	assert_int_equal(b.len, 2);
	pb__release(&b);
	pb__release(&sub);
	pb__release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_edges),
		cmocka_unit_test(test_negative_int64),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_string_and_empty),
		cmocka_unit_test(test_long_bytes),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_packed),
		cmocka_unit_test(test_error_sticks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
