// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "account/mapping_accounting.h"

#define PG 4096ULL
#define BASE 0x7f0000000000ULL
#define ANON_PRIVATE 0x22	/* MAP_PRIVATE | MAP_ANONYMOUS */
#define MAYMOVE 1
#define FIXED 2
#define DONTUNMAP 4

static struct mt_mmap_event mmap_ev(uint64_t result, uint64_t len, uint32_t backing)
{
	return (struct mt_mmap_event){ .kind = MT_REC_MMAP, .op = MT_MMAP_OP_MMAP, .len = len,
				       .flags = ANON_PRIVATE, .fd = -1, .backing = backing,
				       .result = (int64_t)result };
}

static struct mt_mmap_event munmap_ev(uint64_t addr, uint64_t len)
{
	return (struct mt_mmap_event){ .kind = MT_REC_MMAP, .op = MT_MMAP_OP_MUNMAP, .addr = addr,
				       .len = len, .fd = -1 };
}

static struct mt_mmap_event mremap_ev(uint64_t old, uint64_t old_len, uint64_t len,
				      uint32_t flags, uint64_t result)
{
	return (struct mt_mmap_event){ .kind = MT_REC_MMAP, .op = MT_MMAP_OP_MREMAP,
				       .old_addr = old, .old_len = old_len, .len = len,
				       .flags = flags, .fd = -1, .result = (int64_t)result };
}

static struct mt_mmap_event brk_ev(uint64_t start, uint64_t before, uint64_t asked,
				   uint64_t result)
{
	return (struct mt_mmap_event){ .kind = MT_REC_MMAP, .op = MT_MMAP_OP_BRK, .addr = asked,
				       .old_addr = before, .brk_start = start, .fd = -1,
				       .result = (int64_t)result };
}

static void apply(struct mapping_state *ms, struct mt_mmap_event e)
{
	assert_int_equal(mapping_accounting__apply(ms, &e, PG), 0);
}

static void assert_anon(const struct mapping_state *ms, uint64_t live, uint64_t peak,
			uint64_t mapped, uint64_t unmapped)
{
	assert_int_equal(ms->stats.anon_live_bytes, live);
	assert_int_equal(ms->stats.anon_peak_bytes, peak);
	assert_int_equal(ms->stats.anon_mapped_bytes, mapped);
	assert_int_equal(ms->stats.anon_unmapped_bytes, unmapped);
}

/* munmap in the middle of a mapping; a length rounded up to whole pages */
static void test_partial_munmap(void **state)
{
	struct mapping_state *ms = mapping_accounting__new();

	(void)state;
	assert_non_null(ms);
	apply(ms, mmap_ev(BASE, 10 * PG - 100, MT_MMAP_B_ANON));
	assert_anon(ms, 10 * PG, 10 * PG, 10 * PG, 0);
	apply(ms, munmap_ev(BASE + 4 * PG, 2 * PG - 1));
	assert_anon(ms, 8 * PG, 10 * PG, 10 * PG, 2 * PG);
	/* again: those pages are gone already */
	apply(ms, munmap_ev(BASE + 4 * PG, 2 * PG));
	assert_anon(ms, 8 * PG, 10 * PG, 10 * PG, 2 * PG);
	/* refused by the kernel: not page-aligned */
	apply(ms, munmap_ev(BASE + 1, PG));
	assert_anon(ms, 8 * PG, 10 * PG, 10 * PG, 2 * PG);
	assert_int_equal(ms->stats.munmap_calls, 3);
	assert_int_equal(ms->stats.failed_calls, 1);
	mapping_accounting__free(ms);
}

/* MAP_FIXED over part of a mapping replaces those pages: live stays, both totals move */
static void test_map_fixed_replaces(void **state)
{
	struct mapping_state *ms = mapping_accounting__new();

	(void)state;
	apply(ms, mmap_ev(BASE, 8 * PG, MT_MMAP_B_ANON));
	apply(ms, mmap_ev(BASE + 2 * PG, 4 * PG, MT_MMAP_B_ANON));
	assert_anon(ms, 8 * PG, 8 * PG, 12 * PG, 4 * PG);
	/* a file mapped over anonymous pages: anonymous bytes go, file bytes come */
	apply(ms, mmap_ev(BASE + 6 * PG, 3 * PG, MT_MMAP_B_FILE));
	assert_anon(ms, 6 * PG, 8 * PG, 12 * PG, 6 * PG);
	assert_int_equal(ms->stats.file_mapped_bytes, 3 * PG);
	assert_int_equal(ms->stats.file_live_bytes, 3 * PG);
	assert_int_equal(ms->stats.mmap_calls, 3);
	mapping_accounting__free(ms);
}

/* mremap: grow in place, shrink in place, move with growth onto a replaced range */
static void test_mremap(void **state)
{
	struct mapping_state *ms = mapping_accounting__new();

	(void)state;
	apply(ms, mmap_ev(BASE, 4 * PG, MT_MMAP_B_ANON));
	apply(ms, mremap_ev(BASE, 4 * PG, 6 * PG, 0, BASE));
	assert_anon(ms, 6 * PG, 6 * PG, 6 * PG, 0);
	apply(ms, mremap_ev(BASE, 6 * PG, 3 * PG, 0, BASE));
	assert_anon(ms, 3 * PG, 6 * PG, 6 * PG, 3 * PG);
	/* a reservation at the target, replaced by the move */
	apply(ms, mmap_ev(BASE + 100 * PG, 5 * PG, MT_MMAP_B_ANON));
	assert_anon(ms, 8 * PG, 8 * PG, 11 * PG, 3 * PG);
	apply(ms, mremap_ev(BASE, 3 * PG, 5 * PG, MAYMOVE | FIXED, BASE + 100 * PG));
	/* old 3 pages and the reservation's 5 unmapped, 5 mapped */
	assert_anon(ms, 5 * PG, 8 * PG, 16 * PG, 11 * PG);
	assert_int_equal(mapping_table__kind_at(&ms->table, BASE), -ENOENT);
	/* DONTUNMAP leaves the old range mapped */
	apply(ms, mremap_ev(BASE + 100 * PG, 5 * PG, 5 * PG, MAYMOVE | DONTUNMAP, BASE + 200 * PG));
	assert_anon(ms, 10 * PG, 10 * PG, 21 * PG, 11 * PG);
	/* a failed call changes nothing */
	apply(ms, mremap_ev(BASE, PG, 2 * PG, 0, (uint64_t)-12));
	assert_anon(ms, 10 * PG, 10 * PG, 21 * PG, 11 * PG);
	assert_int_equal(ms->stats.mremap_calls, 5);
	assert_int_equal(ms->stats.failed_calls, 1);
	mapping_accounting__free(ms);
}

/* a range mapped before tracing: its munmap and its mremap count nothing */
static void test_unknown_ranges(void **state)
{
	struct mapping_state *ms = mapping_accounting__new();

	(void)state;
	apply(ms, munmap_ev(BASE, 4 * PG));
	apply(ms, mremap_ev(BASE, 4 * PG, 8 * PG, 0, BASE));
	apply(ms, mremap_ev(BASE, 4 * PG, 8 * PG, MAYMOVE, BASE + 50 * PG));
	assert_anon(ms, 0, 0, 0, 0);
	assert_int_equal(ms->stats.failed_calls, 0);
	mapping_accounting__free(ms);
}

/* brk: up, up, down, a query, a refusal; exact bytes, not pages */
static void test_brk(void **state)
{
	const uint64_t start = 0x555555560000ULL;
	struct mapping_state *ms = mapping_accounting__new();

	(void)state;
	apply(ms, brk_ev(start, start, 0, start));
	assert_int_equal(ms->stats.brk_bytes, 0);
	apply(ms, brk_ev(start, start, start + 20000, start + 20000));
	apply(ms, brk_ev(start, start + 20000, start + 33000, start + 33000));
	apply(ms, brk_ev(start, start + 33000, start + 5000, start + 5000));
	assert_int_equal(ms->stats.brk_bytes, 5000);
	assert_int_equal(ms->stats.brk_peak_bytes, 33000);
	assert_int_equal(ms->stats.brk_grown_bytes, 33000);
	assert_int_equal(ms->stats.brk_shrunk_bytes, 28000);
	/* refused: the break stays */
	apply(ms, brk_ev(start, start + 5000, start + (1ULL << 40), start + 5000));
	assert_int_equal(ms->stats.brk_bytes, 5000);
	assert_int_equal(ms->stats.brk_calls, 5);
	assert_int_equal(ms->stats.failed_calls, 1);
	/* brk never touches the anonymous mmap counts */
	assert_anon(ms, 0, 0, 0, 0);
	mapping_accounting__free(ms);
}

static void test_sum(void **state)
{
	struct mapping_stats a = { .anon_live_bytes = 1, .brk_calls = 2, .untracked_bytes = 3 };
	struct mapping_stats b = { .anon_live_bytes = 10, .brk_calls = 20, .untracked_bytes = 30 };

	(void)state;
	mapping_accounting__sum(&a, &b);
	assert_int_equal(a.anon_live_bytes, 11);
	assert_int_equal(a.brk_calls, 22);
	assert_int_equal(a.untracked_bytes, 33);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_munmap),
		cmocka_unit_test(test_map_fixed_replaces),
		cmocka_unit_test(test_mremap),
		cmocka_unit_test(test_unknown_ranges),
		cmocka_unit_test(test_brk),
		cmocka_unit_test(test_sum),
	};

	return cmocka_run_group_tests_name("unit: mapping_accounting", tests, NULL, NULL);
}
