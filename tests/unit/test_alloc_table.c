// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "account/alloc_table.h"

#define SLOT_BYTES  32
#define MIN_CAP	    1024
#define PAGE_SLOTS  128 /* 4 KiB of slots: tables are whole pages */
#define MANY_BLOCKS 100000

static struct live_block block(uint64_t addr, uint64_t size)
{
	return (struct live_block){
		.addr = addr,
		.size = size,
		.ts_ns = addr ^ 0x5a5a,
		.stack = (uint32_t)(size * 3),
		.thread = (uint32_t)(addr >> 4),
	};
}

static void assert_block_equal(const struct live_block *got, const struct live_block *want)
{
	assert_non_null(got);
	assert_int_equal(got->addr, want->addr);
	assert_int_equal(got->size, want->size);
	assert_int_equal(got->ts_ns, want->ts_ns);
	assert_int_equal(got->stack, want->stack);
	assert_int_equal(got->thread, want->thread);
}

static void test_empty(void **state)
{
	struct alloc_table t = {};
	struct live_block out = block(1, 1);
	size_t visited = 0;

	(void)state;
	assert_null(alloc_table__find(&t, 0x1000));
	assert_null(alloc_table__find(&t, 0));
	assert_false(alloc_table__remove(&t, 0x1000, &out));
	/* a failed remove leaves *out alone */
	assert_int_equal(out.addr, 1);
	assert_int_equal(alloc_table__memory(&t), 0);
	alloc_table__for_each(&t, b)
		visited++;
	assert_int_equal(visited, 0);
	alloc_table__release(&t);
	assert_null(t.slots);
}

static void test_insert_find_remove(void **state)
{
	struct alloc_table t = {};
	struct live_block a = block(0x55550010, 100), b = block(0x55550030, 7), out;

	(void)state;
	assert_int_equal(alloc_table__insert(&t, &a, NULL), 0);
	assert_int_equal(alloc_table__insert(&t, &b, &out), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.cap, MIN_CAP);
	assert_int_equal(alloc_table__memory(&t), MIN_CAP * SLOT_BYTES);
	assert_block_equal(alloc_table__find(&t, a.addr), &a);
	assert_block_equal(alloc_table__find(&t, b.addr), &b);
	assert_null(alloc_table__find(&t, 0x55550020));

	assert_true(alloc_table__remove(&t, a.addr, &out));
	assert_block_equal(&out, &a);
	assert_int_equal(t.n, 1);
	assert_null(alloc_table__find(&t, a.addr));
	assert_false(alloc_table__remove(&t, a.addr, &out));
	assert_int_equal(t.n, 1);
	/* out is optional */
	assert_true(alloc_table__remove(&t, b.addr, NULL));
	assert_int_equal(t.n, 0);
	assert_null(alloc_table__find(&t, b.addr));
	alloc_table__release(&t);
	assert_null(t.slots);
	assert_int_equal(t.cap, 0);
	assert_int_equal(t.n, 0);
}

/* The same address handed out again: the new block replaces the old, which comes back. */
static void test_collision(void **state)
{
	struct alloc_table t = {};
	struct live_block first = block(0x7f0000001000, 64), second = block(0x7f0000001000, 4096);
	struct live_block third = block(0x7f0000001000, 1), shown;

	(void)state;
	second.ts_ns = 999;
	second.thread = 3;
	assert_int_equal(alloc_table__insert(&t, &first, NULL), 0);
	assert_int_equal(alloc_table__insert(&t, &second, &shown), 1);
	assert_int_equal(t.n, 1);
	assert_block_equal(&shown, &first);
	assert_block_equal(alloc_table__find(&t, first.addr), &second);
	/* without somewhere to put it, the old block is simply replaced */
	assert_int_equal(alloc_table__insert(&t, &third, NULL), 1);
	assert_int_equal(t.n, 1);
	assert_block_equal(alloc_table__find(&t, first.addr), &third);
	alloc_table__release(&t);
}

static void test_zero_address_rejected(void **state)
{
	struct alloc_table t = {};
	struct live_block zero = block(0, 10), one = block(0x10, 10), out = block(0x77, 1);

	(void)state;
	assert_int_equal(alloc_table__insert(&t, &zero, &out), -EINVAL);
	assert_int_equal(t.n, 0);
	assert_int_equal(out.addr, 0x77);
	assert_int_equal(alloc_table__insert(&t, &one, NULL), 0);
	assert_int_equal(alloc_table__insert(&t, &zero, NULL), -EINVAL);
	assert_int_equal(t.n, 1);
	/* 0 marks an empty slot: it must never look like a live block */
	assert_null(alloc_table__find(&t, 0));
	assert_false(alloc_table__remove(&t, 0, NULL));
	assert_int_equal(t.n, 1);
	alloc_table__release(&t);
}

/*
 * Distinct, non-zero addresses: half like a heap's (sequential, shared low
 * bits, which a weak hash clusters), half scattered (bit 63 keeps them
 * apart from the first half; splitmix64 is a bijection).
 */
static uint64_t nth_addr(uint32_t i)
{
	uint64_t x;

	if (i % 2 == 0)
		return 0x555555550000ULL + 48ULL * i;
	x = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (x ^ (x >> 31)) | (1ULL << 63);
}

/*
 * What the table promises about its own size: load at most 3/4, and never
 * full (the last slot stays empty); while it only grows, more than 1/2
 * (growing by half happens past 3/4), so under 64 bytes a live block;
 * after removals, at least 3/8 (under that it shrinks by a third), so at
 * most 256/3 bytes a block. The 1024-slot minimum is exempt.
 */
static void assert_load(const struct alloc_table *t, bool growing)
{
	assert_int_equal(alloc_table__memory(t), t->cap * SLOT_BYTES);
	assert_int_equal(t->cap % PAGE_SLOTS, 0);
	assert_true(t->cap >= MIN_CAP);
	assert_true(4 * t->n <= 3 * t->cap);
	assert_int_equal(t->slots[t->cap - 1].addr, 0);
	if (t->cap == MIN_CAP)
		return;
	if (growing) {
		assert_true(2 * t->n > t->cap);
		assert_true(alloc_table__memory(t) < 64 * t->n);
	} else {
		assert_true(8 * t->n >= 3 * t->cap);
		assert_true(3 * alloc_table__memory(t) <= 256 * t->n);
	}
}

static size_t count_visited(const struct alloc_table *t, uint64_t *sum)
{
	size_t n = 0;

	*sum = 0;
	alloc_table__for_each(t, b) {
		n++;
		*sum += b->addr;
	}
	return n;
}

static void test_growth_and_backward_shift(void **state)
{
	struct alloc_table t = {};
	uint64_t sum, want_sum = 0;
	size_t max_cap = 0;

	(void)state;
	for (uint32_t i = 0; i < MANY_BLOCKS; i++) {
		struct live_block b = block(nth_addr(i), i);

		assert_int_equal(alloc_table__insert(&t, &b, NULL), 0);
		assert_int_equal(t.n, i + 1);
		assert_load(&t, true);
		want_sum += b.addr;
	}
	max_cap = t.cap;
	/* 1024 slots grown by half (in whole pages) until 3/4 of them hold 100000 */
	assert_int_equal(max_cap, 195968);
	for (uint32_t i = 0; i < MANY_BLOCKS; i++) {
		struct live_block want = block(nth_addr(i), i);

		assert_block_equal(alloc_table__find(&t, want.addr), &want);
	}
	assert_int_equal(count_visited(&t, &sum), MANY_BLOCKS);
	assert_int_equal(sum, want_sum);

	/* every other one goes: the holes are refilled by backward shifts */
	for (uint32_t i = 0; i < MANY_BLOCKS; i += 2) {
		struct live_block want = block(nth_addr(i), i), out;

		assert_true(alloc_table__remove(&t, want.addr, &out));
		assert_block_equal(&out, &want);
		assert_load(&t, false);
		want_sum -= want.addr;
	}
	assert_int_equal(t.n, MANY_BLOCKS / 2);
	for (uint32_t i = 0; i < MANY_BLOCKS; i++) {
		struct live_block want = block(nth_addr(i), i);

		if (i % 2)
			assert_block_equal(alloc_table__find(&t, want.addr), &want);
		else
			assert_null(alloc_table__find(&t, want.addr));
	}
	assert_int_equal(count_visited(&t, &sum), MANY_BLOCKS / 2);
	assert_int_equal(sum, want_sum);

	/* emptied, the table shrinks back to its minimum but keeps it */
	for (uint32_t i = 1; i < MANY_BLOCKS; i += 2) {
		assert_true(alloc_table__remove(&t, nth_addr(i), NULL));
		assert_load(&t, false);
	}
	assert_int_equal(t.n, 0);
	assert_int_equal(t.cap, MIN_CAP);
	assert_int_equal(alloc_table__memory(&t), MIN_CAP * SLOT_BYTES);
	assert_int_equal(count_visited(&t, &sum), 0);
	alloc_table__release(&t);
}

/* Shrinking rehashes: what stays must still be found. */
static void test_shrink_keeps_blocks(void **state)
{
	struct alloc_table t = {};
	const uint32_t n = 20000, keep = 100;

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		struct live_block b = block(nth_addr(i), i);

		assert_int_equal(alloc_table__insert(&t, &b, NULL), 0);
	}
	assert_int_equal(t.cap, 38784);
	for (uint32_t i = keep; i < n; i++)
		assert_true(alloc_table__remove(&t, nth_addr(i), NULL));
	assert_int_equal(t.n, keep);
	assert_int_equal(t.cap, MIN_CAP);
	for (uint32_t i = 0; i < n; i++) {
		struct live_block want = block(nth_addr(i), i);

		if (i < keep)
			assert_block_equal(alloc_table__find(&t, want.addr), &want);
		else
			assert_null(alloc_table__find(&t, want.addr));
	}
	alloc_table__release(&t);
}

/* Inserts and removes block i by turns: the table resizes at most the first time. */
static void toggle(struct alloc_table *t, uint32_t i)
{
	struct live_block b = block(nth_addr(i), i);
	size_t cap = 0;

	for (int k = 0; k < 1000; k++) {
		assert_int_equal(alloc_table__insert(t, &b, NULL), 0);
		assert_true(alloc_table__remove(t, b.addr, NULL));
		if (k == 0)
			cap = t->cap;
		assert_int_equal(t->cap, cap);
	}
}

/* Calls back and forth across either threshold must not resize the table every time. */
static void test_no_resize_thrash(void **state)
{
	struct alloc_table t = {};
	uint32_t n = 0;
	size_t cap;

	(void)state;
	/* one block short of growing, well past the minimum */
	while (t.cap < 8 * MIN_CAP || (t.n + 1) * 4 <= t.cap * 3) {
		struct live_block b = block(nth_addr(n), n);

		assert_int_equal(alloc_table__insert(&t, &b, NULL), 0);
		n++;
	}
	cap = t.cap;
	toggle(&t, n);
	assert_true(t.cap > cap);
	assert_int_equal(t.n, n);

	/* now just shrunk */
	cap = t.cap;
	while (t.cap == cap)
		assert_true(alloc_table__remove(&t, nth_addr(--n), NULL));
	assert_true(t.cap < cap);
	cap = t.cap;
	toggle(&t, n);
	assert_int_equal(t.cap, cap);
	for (uint32_t i = 0; i < n; i++) {
		struct live_block want = block(nth_addr(i), i);

		assert_block_equal(alloc_table__find(&t, want.addr), &want);
	}
	alloc_table__release(&t);
}

/* Where an address lands in an empty minimum-size table, learnt from the table itself. */
static size_t home_in_min_table(struct alloc_table *probe, uint64_t addr)
{
	struct live_block b = block(addr, 1);
	size_t slot;

	assert_int_equal(alloc_table__insert(probe, &b, NULL), 0);
	slot = (size_t)(alloc_table__find(probe, addr) - probe->slots);
	assert_true(alloc_table__remove(probe, addr, NULL));
	return slot;
}

/*
 * One long probe chain that wraps past the last slot: removals in the
 * middle must pull later members back across the wrap, and only those
 * whose home allows it.
 */
static void test_wrapping_cluster(void **state)
{
	enum { CLUSTER = 40 };
	struct alloc_table probe = {}, t = {};
	uint64_t addrs[CLUSTER];
	bool gone[CLUSTER] = {};
	size_t found = 0, wrapped = 0;

	(void)state;
	for (uint64_t a = 0x10000; found < CLUSTER; a += 16) {
		if (home_in_min_table(&probe, a) >= MIN_CAP - 8)
			addrs[found++] = a;
	}
	assert_int_equal(probe.cap, MIN_CAP);
	for (size_t i = 0; i < CLUSTER; i++) {
		struct live_block b = block(addrs[i], i);

		assert_int_equal(alloc_table__insert(&t, &b, NULL), 0);
	}
	assert_int_equal(t.cap, MIN_CAP);
	for (size_t i = 0; i < CLUSTER; i++)
		wrapped += alloc_table__find(&t, addrs[i]) < t.slots + MIN_CAP - 8;
	/* 40 blocks homed in the last 8 slots, the very last of which stays empty: 33 wrap */
	assert_true(wrapped >= CLUSTER - 7);

	/* remove in a scrambled order (7 is coprime with 40), checking all after each */
	for (size_t k = 0; k < CLUSTER; k++) {
		size_t victim = (k * 7 + 3) % CLUSTER;

		assert_true(alloc_table__remove(&t, addrs[victim], NULL));
		gone[victim] = true;
		assert_int_equal(t.n, CLUSTER - k - 1);
		for (size_t i = 0; i < CLUSTER; i++) {
			struct live_block want = block(addrs[i], i);

			if (gone[i])
				assert_null(alloc_table__find(&t, addrs[i]));
			else
				assert_block_equal(alloc_table__find(&t, addrs[i]), &want);
		}
	}
	alloc_table__release(&probe);
	alloc_table__release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_insert_find_remove),
		cmocka_unit_test(test_collision),
		cmocka_unit_test(test_zero_address_rejected),
		cmocka_unit_test(test_growth_and_backward_shift),
		cmocka_unit_test(test_shrink_keeps_blocks),
		cmocka_unit_test(test_no_resize_thrash),
		cmocka_unit_test(test_wrapping_cluster),
	};

	return cmocka_run_group_tests_name("unit: alloc_table", tests, NULL, NULL);
}
