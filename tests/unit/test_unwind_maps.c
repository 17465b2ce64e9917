// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A process's executable mappings as the kernel unwinder searches them (unwind_maps.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attach/unwind_maps.h"

/* Owners are counters: a drop takes one off. */
static void drop(void *owner, void *ctx)
{
	(void)ctx;
	(*(int *)owner)--;
}

static struct mt_unwind_mapping mapping(uint64_t start, uint64_t end, uint32_t table)
{
	return (struct mt_unwind_mapping){ .start = start, .end = end, .bias = start - 0x1000,
					   .table = table, .nrows = 10 * table };
}

static void test_sorted(void **state)
{
	struct unwind_maps m = {};
	int owners[3] = { 1, 1, 1 };

	(void)state;
	assert_int_equal(unwind_maps__put(&m, &(struct mt_unwind_mapping){ .start = 0x7000,
									  .end = 0x8000 },
					  &owners[0], drop, NULL), 0);
	assert_int_equal(unwind_maps__put(&m, &(struct mt_unwind_mapping){ .start = 0x1000,
									  .end = 0x2000 },
					  &owners[1], drop, NULL), 0);
	assert_int_equal(unwind_maps__put(&m, &(struct mt_unwind_mapping){ .start = 0x4000,
									  .end = 0x5000 },
					  &owners[2], drop, NULL), 0);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.maps[0].start, 0x1000);
	assert_int_equal(m.maps[1].start, 0x4000);
	assert_int_equal(m.maps[2].start, 0x7000);
	assert_ptr_equal(m.owners[0], &owners[1]);
	assert_ptr_equal(m.owners[2], &owners[0]);
	unwind_maps__release(&m, drop, NULL);
	/* every owner handed back once */
	assert_int_equal(owners[0] + owners[1] + owners[2], 0);
}

/* mmap over old mappings: what the new one covers goes, its owners handed back. */
static void test_overlap_replaces(void **state)
{
	struct unwind_maps m = {};
	struct mt_unwind_mapping a = mapping(0x1000, 0x3000, 1), b = mapping(0x3000, 0x5000, 2),
				 c = mapping(0x6000, 0x7000, 3), d = mapping(0x2000, 0x4000, 4);
	int owners[4] = { 1, 1, 1, 1 };

	(void)state;
	assert_int_equal(unwind_maps__put(&m, &a, &owners[0], drop, NULL), 0);
	assert_int_equal(unwind_maps__put(&m, &b, &owners[1], drop, NULL), 0);
	assert_int_equal(unwind_maps__put(&m, &c, &owners[2], drop, NULL), 0);
	assert_int_equal(unwind_maps__put(&m, &d, &owners[3], drop, NULL), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(owners[0], 0);
	assert_int_equal(owners[1], 0);
	assert_int_equal(m.maps[0].table, 4);
	assert_int_equal(m.maps[0].bias, 0x1000);
	assert_int_equal(m.maps[1].table, 3);
	unwind_maps__release(&m, drop, NULL);
	assert_int_equal(owners[2], 0);
	assert_int_equal(owners[3], 0);
}

/* Mappings that only touch are kept: ends are exclusive. */
static void test_adjacent_kept(void **state)
{
	struct unwind_maps m = {};
	struct mt_unwind_mapping a = mapping(0x1000, 0x2000, 1), b = mapping(0x2000, 0x3000, 2);
	int owner = 2;

	(void)state;
	assert_int_equal(unwind_maps__put(&m, &a, &owner, drop, NULL), 0);
	assert_int_equal(unwind_maps__put(&m, &b, &owner, drop, NULL), 0);
	assert_int_equal(m.n, 2);
	unwind_maps__release(&m, drop, NULL);
	assert_int_equal(owner, 0);
}

/* The kernel's value holds at most MT_UNWIND_MAX_MAPPINGS: one more is refused, nothing changed. */
static void test_full(void **state)
{
	struct unwind_maps m = {};
	struct mt_unwind_mapping e;
	struct mt_unwind_proc *proc = malloc(sizeof(*proc));
	int owner = 0;

	(void)state;
	assert_non_null(proc);
	for (uint64_t i = 0; i < MT_UNWIND_MAX_MAPPINGS; i++) {
		e = mapping(0x10000 + 0x1000 * i, 0x11000 + 0x1000 * i, 1);
		assert_int_equal(unwind_maps__put(&m, &e, &owner, NULL, NULL), 0);
	}
	e = mapping(0x1000, 0x2000, 1);
	assert_int_equal(unwind_maps__put(&m, &e, &owner, NULL, NULL), -E2BIG);
	assert_int_equal(m.n, MT_UNWIND_MAX_MAPPINGS);
	/* replacing one is still allowed */
	e = mapping(0x10000, 0x11000, 7);
	assert_int_equal(unwind_maps__put(&m, &e, &owner, NULL, NULL), 0);
	unwind_maps__to_proc(&m, proc);
	assert_int_equal(proc->nr, MT_UNWIND_MAX_MAPPINGS);
	assert_int_equal(proc->maps[0].table, 7);
	assert_int_equal(proc->maps[MT_UNWIND_MAX_MAPPINGS - 1].start,
			 0x10000 + 0x1000 * (MT_UNWIND_MAX_MAPPINGS - 1));
	unwind_maps__release(&m, NULL, NULL);
	free(proc);
}

/* The kernel's value: the entries, then zeroes. */
static void test_to_proc(void **state)
{
	struct unwind_maps m = {};
	struct mt_unwind_mapping a = mapping(0x1000, 0x2000, 5);
	struct mt_unwind_proc *proc = malloc(sizeof(*proc));
	int owner = 1;

	(void)state;
	assert_non_null(proc);
	memset(proc, 0xff, sizeof(*proc));
	assert_int_equal(unwind_maps__put(&m, &a, &owner, drop, NULL), 0);
	unwind_maps__to_proc(&m, proc);
	assert_int_equal(proc->nr, 1);
	assert_int_equal(proc->pad, 0);
	assert_memory_equal(&proc->maps[0], &a, sizeof(a));
	assert_int_equal(proc->maps[1].start, 0);
	assert_int_equal(proc->maps[MT_UNWIND_MAX_MAPPINGS - 1].end, 0);
	unwind_maps__release(&m, drop, NULL);
	free(proc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted),
		cmocka_unit_test(test_overlap_replaces),
		cmocka_unit_test(test_adjacent_kept),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_to_proc),
	};

	return cmocka_run_group_tests_name("unwind_maps", tests, NULL, NULL);
}
