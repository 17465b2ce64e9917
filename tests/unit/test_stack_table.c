// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "account/stack_table.h"

static int setup(void **state)
{
	static struct stack_table t;

	*state = &t;
	return stack_table__init(&t);
}

static int teardown(void **state)
{
	stack_table__release(*state);
	return 0;
}

static void test_init(void **state)
{
	struct stack_table *t = *state;
	const struct mt_stack *none = stack_table__get(t, 0);

	assert_int_equal(t->n, 1);
	assert_false(none->received);
	assert_int_equal(none->nr_frames, 0);
	assert_null(none->frames);
}

static void test_no_stack_is_zero(void **state)
{
	struct stack_table *t = *state;
	static const uint64_t frames[] = { 0x401000 };

	assert_int_equal(stack_table__intern(t, MT_NO_STACK), 0);
	assert_int_equal(stack_table__intern(t, MT_NO_STACK), 0);
	/* a stack record can never name "no stack": nothing is stored */
	assert_int_equal(stack_table__add_frames(t, MT_NO_STACK, 1, frames, 1), 0);
	assert_int_equal(t->n, 1);
	assert_false(stack_table__get(t, 0)->received);
	assert_null(stack_table__get(t, 0)->frames);
}

/* A call naming a stack whose record was lost gets an index anyway. */
static void test_placeholder(void **state)
{
	struct stack_table *t = *state;
	const struct mt_stack *s;

	assert_int_equal(stack_table__intern(t, 0xabcdef), 1);
	assert_int_equal(stack_table__intern(t, 0x123456), 2);
	assert_int_equal(stack_table__intern(t, 0xabcdef), 1);
	assert_int_equal(t->n, 3);
	s = stack_table__get(t, 1);
	assert_int_equal(s->id, 0xabcdef);
	assert_false(s->received);
	assert_int_equal(s->nr_frames, 0);
	assert_null(s->frames);
	assert_int_equal(s->pid, 0);
}

/* The record arriving after calls already named the stack fills the placeholder. */
static void test_add_frames_after_intern(void **state)
{
	struct stack_table *t = *state;
	static const uint64_t frames[] = { 0x401234, 0x401500, 0x7f0000001000 };
	const struct mt_stack *s;

	assert_int_equal(stack_table__intern(t, 77), 1);
	assert_int_equal(stack_table__add_frames(t, 77, 4242, frames, 3), 1);
	assert_int_equal(t->n, 2);
	s = stack_table__get(t, 1);
	assert_true(s->received);
	assert_int_equal(s->id, 77);
	assert_int_equal(s->pid, 4242);
	assert_int_equal(s->nr_frames, 3);
	assert_non_null(s->frames);
	assert_ptr_not_equal(s->frames, frames);
	assert_memory_equal(s->frames, frames, sizeof(frames));
}

static void test_add_frames_new(void **state)
{
	struct stack_table *t = *state;
	uint64_t frames[MT_MAX_FRAMES];
	const struct mt_stack *s;

	for (int i = 0; i < MT_MAX_FRAMES; i++)
		frames[i] = 0x400000 + 16 * (uint64_t)i;
	assert_int_equal(stack_table__add_frames(t, 5, 1, frames, MT_MAX_FRAMES), 1);
	/* the caller's buffer is copied: changing it afterwards changes nothing */
	frames[0] = 0;
	s = stack_table__get(t, 1);
	assert_true(s->received);
	assert_int_equal(s->nr_frames, MT_MAX_FRAMES);
	assert_int_equal(s->frames[0], 0x400000);
	assert_int_equal(s->frames[MT_MAX_FRAMES - 1], 0x400000 + 16 * (MT_MAX_FRAMES - 1));
	assert_int_equal(stack_table__intern(t, 5), 1);
}

static void test_zero_frames(void **state)
{
	struct stack_table *t = *state;
	static const uint64_t unused[1] = { 0x1 };
	const struct mt_stack *s;

	/* a record whose walk found no frame still counts as received */
	assert_int_equal(stack_table__add_frames(t, 9, 3, unused, 0), 1);
	s = stack_table__get(t, 1);
	assert_true(s->received);
	assert_int_equal(s->nr_frames, 0);
	assert_int_equal(s->pid, 3);
}

/* The kernel resends a stack its LRU forgot: the first frames are kept. */
static void test_resend_keeps_first(void **state)
{
	struct stack_table *t = *state;
	static const uint64_t first[] = { 0x1000, 0x2000 };
	static const uint64_t again[] = { 0x9000, 0x9100, 0x9200 };
	const struct mt_stack *s;
	const uint64_t *kept;

	assert_int_equal(stack_table__add_frames(t, 1234, 10, first, 2), 1);
	kept = stack_table__get(t, 1)->frames;
	assert_int_equal(stack_table__add_frames(t, 1234, 11, again, 3), 1);
	assert_int_equal(t->n, 2);
	s = stack_table__get(t, 1);
	assert_ptr_equal(s->frames, kept);
	assert_int_equal(s->nr_frames, 2);
	assert_int_equal(s->pid, 10);
	assert_memory_equal(s->frames, first, sizeof(first));
}

static void test_growth(void **state)
{
	struct stack_table *t = *state;
	const uint32_t n = 5000;

	for (uint32_t i = 1; i <= n; i++) {
		uint64_t frames[2] = { i, (uint64_t)i << 32 };
		uint64_t id = (uint64_t)i * 0x100000001ULL;

		if (i % 2)
			assert_int_equal(stack_table__add_frames(t, id, i, frames, 2), i);
		else
			assert_int_equal(stack_table__intern(t, id), i);
	}
	assert_int_equal(t->n, n + 1);
	assert_true(t->cap >= t->n);
	for (uint32_t i = 1; i <= n; i++) {
		const struct mt_stack *s = stack_table__get(t, i);

		assert_int_equal(stack_table__intern(t, (uint64_t)i * 0x100000001ULL), i);
		assert_int_equal(s->id, (uint64_t)i * 0x100000001ULL);
		assert_int_equal(s->received, i % 2);
		if (i % 2) {
			assert_int_equal(s->nr_frames, 2);
			assert_int_equal(s->frames[0], i);
			assert_int_equal(s->frames[1], (uint64_t)i << 32);
			assert_int_equal(s->pid, i);
		} else {
			assert_int_equal(s->nr_frames, 0);
			assert_null(s->frames);
		}
	}
	assert_int_equal(t->n, n + 1);
}

/* A folded process's stacks go; their entries serve the next stacks; others stay. */
static void test_drop_pid(void **state)
{
	struct stack_table *t = *state;
	static const uint64_t a[] = { 0x401000, 0x402000 }, b[] = { 0x501000 };

	assert_int_equal(stack_table__add_frames(t, 0x11, 100, a, 2), 1);
	assert_int_equal(stack_table__add_frames(t, 0x22, 200, b, 1), 2);
	assert_int_equal(stack_table__add_frames(t, 0x33, 100, b, 1), 3);
	assert_int_equal(stack_table__drop_pid(t, 100), 0);
	assert_int_equal(t->nr_unused, 2);
	/* gone from the index: an id seen again is a placeholder, in a freed entry */
	assert_int_equal(stack_table__intern(t, 0x11), 3);
	assert_false(stack_table__get(t, 3)->received);
	assert_int_equal(stack_table__add_frames(t, 0x44, 300, a, 2), 1);
	assert_int_equal(stack_table__get(t, 1)->pid, 300);
	assert_int_equal(stack_table__get(t, 1)->frames[1], 0x402000);
	/* pid 200's stack is untouched, and the table did not grow */
	assert_int_equal(stack_table__intern(t, 0x22), 2);
	assert_int_equal(stack_table__get(t, 2)->frames[0], 0x501000);
	assert_int_equal(t->n, 4);
	assert_int_equal(t->nr_unused, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_stack_is_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placeholder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_frames_after_intern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_frames_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resend_keeps_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_pid, setup, teardown),
	};

	return cmocka_run_group_tests_name("unit: stack_table", tests, NULL, NULL);
}
