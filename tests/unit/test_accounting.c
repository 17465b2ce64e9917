// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "account/accounting.h"
#include "unit_helpers.h"

/* Above any pid_max (at most 2^22): /proc never has it, and process__new must cope. */
#define PID  0x7ffffff0u
#define PID2 0x7ffffff1u
#define T1   0x7ffffff0u /* the main thread */
#define T2   0x7ffffff5u
#define T3   0x7ffffff6u

#define A 0x555555559010ULL
#define B 0x5555555592a0ULL
#define C 0x7ffff0000b60ULL
#define D 0x7ffff0001000ULL

struct fixture {
	struct mt_process *p;
	struct mt_counters totals;
};

static int setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	fx.p = process__new(PID);
	if (!fx.p)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	process__free(fx->p);
	return 0;
}

static struct mt_event call(enum mt_func func, uint32_t tid, uint64_t ts, uint32_t duration,
			    uint64_t addr, uint64_t size, uint64_t old_addr)
{
	return unit__call_event(&(struct unit_call){ .func = func, .pid = PID, .tid = tid,
						     .ts_ns = ts, .duration_ns = duration,
						     .addr = addr, .size = size,
						     .old_addr = old_addr });
}

static void apply(struct fixture *fx, struct mt_event e, uint32_t stack)
{
	assert_int_equal(accounting__apply(fx->p, &fx->totals, &e, stack), 0);
}

/* One call of each shape, as the BPF side reports them; durations are arbitrary but real. */
static void do_malloc(struct fixture *fx, uint32_t tid, uint64_t ts, uint64_t addr, uint64_t size)
{
	apply(fx, call(MT_FN_MALLOC, tid, ts, 50, addr, size, 0), 1);
}

static void do_free(struct fixture *fx, uint32_t tid, uint64_t ts, uint64_t addr)
{
	apply(fx, call(MT_FN_FREE, tid, ts, 0, addr, 0, 0), 0);
}

static void do_realloc(struct fixture *fx, uint32_t tid, uint64_t ts, uint64_t old, uint64_t size,
		       uint64_t addr)
{
	apply(fx, call(MT_FN_REALLOC, tid, ts, 80, addr, size, old), 2);
}

static const struct mt_thread *thread(const struct fixture *fx, uint32_t tid)
{
	int64_t idx = id_map__get(&fx->p->thread_index, tid);

	assert_true(idx >= 0);
	assert_true(idx < fx->p->nr_threads);
	assert_int_equal(fx->p->threads[idx].tid, tid);
	return &fx->p->threads[idx];
}

static uint32_t thread_index(const struct fixture *fx, uint32_t tid)
{
	return (uint32_t)(thread(fx, tid) - fx->p->threads);
}

/* Every field is compared: the ones not named must be 0. */
#define assert_counters(got, what, ...)                                                     \
	unit__check_counters((got), &(const struct mt_counters){ __VA_ARGS__ }, (what),     \
			     __FILE__, __LINE__)
#define assert_thread(fx, tid, ...) \
	assert_counters(&thread(fx, tid)->c, "thread " #tid, __VA_ARGS__)
#define assert_process(fx, ...) assert_counters(&(fx)->p->c, "process", __VA_ARGS__)
#define assert_totals(fx, ...)	assert_counters(&(fx)->totals, "totals", __VA_ARGS__)

struct bucket_count {
	unsigned int bucket;
	uint64_t count;
};

/* The histogram holds exactly these (bucket, count) pairs and nothing else. */
static void assert_sizes(const struct fixture *fx, size_t n, const struct bucket_count *want)
{
	uint64_t expected[SIZE_HISTOGRAM_BUCKETS] = {};

	for (size_t i = 0; i < n; i++)
		expected[want[i].bucket] = want[i].count;
	for (unsigned int b = 0; b < SIZE_HISTOGRAM_BUCKETS; b++) {
		if (fx->p->sizes.count[b] != expected[b])
			print_error("size bucket %u (le %llu)\n", b,
				    (unsigned long long)size_histogram__le(b));
		assert_int_equal(fx->p->sizes.count[b], expected[b]);
	}
}

#define SIZES(...)                                                                     \
	sizeof((const struct bucket_count[]){ __VA_ARGS__ }) / sizeof(struct bucket_count), \
		(const struct bucket_count[]){ __VA_ARGS__ }

static void assert_live(const struct fixture *fx, uint64_t addr, uint64_t size, uint64_t ts,
			uint32_t stack, uint32_t tid)
{
	const struct live_block *b = alloc_table__find(&fx->p->live, addr);

	assert_non_null(b);
	assert_int_equal(b->addr, addr);
	assert_int_equal(b->size, size);
	assert_int_equal(b->ts_ns, ts);
	assert_int_equal(b->stack, stack);
	assert_int_equal(b->thread, thread_index(fx, tid));
}

static void test_new_process_without_proc(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(fx->p->pid, PID);
	assert_string_equal(fx->p->comm, "");
	assert_null(fx->p->exe);
	assert_int_equal(fx->p->start_time, 0);
	assert_int_equal(fx->p->nr_threads, 0);
	assert_int_equal(fx->p->live.n, 0);
	assert_process(fx, 0);
}

static void test_malloc_free(void **state)
{
	struct fixture *fx = *state;

	apply(fx, call(MT_FN_MALLOC, T1, 1000, 50, A, 100, 0), 7);
	assert_int_equal(fx->p->nr_threads, 1);
	assert_live(fx, A, 100, 1000, 7, T1);
	assert_int_equal(fx->p->live.n, 1);
	assert_thread(fx, T1, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		      .allocated_bytes = 100);
	assert_process(fx, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		       .allocated_bytes = 100);
	assert_totals(fx, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		      .allocated_bytes = 100);
	assert_sizes(fx, SIZES({ 8, 1 })); /* 100 in (64, 128] */

	do_free(fx, T1, 2000, A);
	assert_null(alloc_table__find(&fx->p->live, A));
	assert_int_equal(fx->p->live.n, 0);
	assert_thread(fx, T1, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
	assert_process(fx, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		       .freed_bytes = 100);
	assert_totals(fx, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
	/* the histogram counts requests, not live blocks */
	assert_sizes(fx, SIZES({ 8, 1 }));
}

/* Every allocating function other than realloc is a malloc for the rules. */
static void test_every_allocator(void **state)
{
	static const enum mt_func funcs[] = {
		MT_FN_MALLOC, MT_FN_CALLOC, MT_FN_POSIX_MEMALIGN, MT_FN_ALIGNED_ALLOC,
		MT_FN_MEMALIGN, MT_FN_VALLOC, MT_FN_PVALLOC,
	};
	struct fixture *fx = *state;
	const size_t n = sizeof(funcs) / sizeof(funcs[0]);
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++) {
		/* sizes 2^(i+1): one per bucket, buckets 2..8 */
		apply(fx, call(funcs[i], T1, 100 + i, 10, A + 4096 * i, 2ULL << i, 0),
		      (uint32_t)i + 1);
		total += 2ULL << i;
	}
	assert_int_equal(fx->p->live.n, n);
	for (size_t i = 0; i < n; i++)
		assert_live(fx, A + 4096 * i, 2ULL << i, 100 + i, (uint32_t)i + 1, T1);
	assert_int_equal(total, 254);
	assert_thread(fx, T1, .current_bytes = 254, .peak_bytes = 254, .allocs = 7,
		      .allocated_bytes = 254);
	assert_process(fx, .current_bytes = 254, .peak_bytes = 254, .allocs = 7,
		       .allocated_bytes = 254);
	assert_totals(fx, .current_bytes = 254, .peak_bytes = 254, .allocs = 7,
		      .allocated_bytes = 254);
	assert_sizes(fx, SIZES({ 2, 1 }, { 3, 1 }, { 4, 1 }, { 5, 1 }, { 6, 1 }, { 7, 1 }, { 8, 1 }));
}

/* A NULL return is a failure, whichever function it came from: nothing is allocated. */
static void test_failed_allocations(void **state)
{
	static const enum mt_func funcs[] = {
		MT_FN_MALLOC, MT_FN_CALLOC, MT_FN_POSIX_MEMALIGN, MT_FN_ALIGNED_ALLOC,
		MT_FN_MEMALIGN, MT_FN_VALLOC, MT_FN_PVALLOC, MT_FN_REALLOC,
		MT_FN_REALLOCARRAY,
	};
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		apply(fx, call(funcs[i], T2, 100, 10, 0, 1ULL << 40, 0), 3);
	assert_int_equal(fx->p->live.n, 0);
	assert_thread(fx, T2, .failed_allocs = 9);
	assert_process(fx, .failed_allocs = 9);
	assert_totals(fx, .failed_allocs = 9);
	assert_sizes(fx, SIZES());
}

static void test_zero_size_malloc(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 10, A, 0);
	assert_live(fx, A, 0, 10, 1, T1);
	assert_thread(fx, T1, .allocs = 1);
	assert_sizes(fx, SIZES({ 0, 1 }));
	do_free(fx, T1, 20, A);
	assert_thread(fx, T1, .allocs = 1, .frees = 1);
	assert_int_equal(fx->p->live.n, 0);
}

/* The peak is the highest current value at any moment, kept per level. */
static void test_peak(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 10, A, 100);
	do_malloc(fx, T1, 20, B, 50);
	do_free(fx, T1, 30, A);
	do_malloc(fx, T1, 40, C, 30);
	assert_thread(fx, T1, .current_bytes = 80, .peak_bytes = 150, .allocs = 3, .frees = 1,
		      .allocated_bytes = 180, .freed_bytes = 100);
	do_malloc(fx, T1, 50, D, 200);
	assert_thread(fx, T1, .current_bytes = 280, .peak_bytes = 280, .allocs = 4, .frees = 1,
		      .allocated_bytes = 380, .freed_bytes = 100);
	assert_process(fx, .current_bytes = 280, .peak_bytes = 280, .allocs = 4, .frees = 1,
		       .allocated_bytes = 380, .freed_bytes = 100);
}

/*
 * A process's peak is not the sum of its threads' peaks: T1's block is
 * gone before T2's arrives.
 */
static void test_peak_per_level(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 10, A, 100);
	do_free(fx, T1, 20, A);
	do_malloc(fx, T2, 30, B, 100);
	assert_thread(fx, T1, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
	assert_thread(fx, T2, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		      .allocated_bytes = 100);
	assert_process(fx, .current_bytes = 100, .peak_bytes = 100, .allocs = 2, .frees = 1,
		       .allocated_bytes = 200, .freed_bytes = 100);
}

/* realloc(p, n) moving the block: a free of p, an allocation of n, and one realloc. */
static void test_realloc_moves(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 100, A, 100);
	do_realloc(fx, T1, 200, A, 300, B);
	assert_null(alloc_table__find(&fx->p->live, A));
	assert_live(fx, B, 300, 200, 2, T1);
	assert_int_equal(fx->p->live.n, 1);
	/* the old block is freed first: the peak never holds both */
	assert_thread(fx, T1, .current_bytes = 300, .peak_bytes = 300, .allocs = 2, .frees = 1,
		      .reallocs = 1, .allocated_bytes = 400, .freed_bytes = 100);
	assert_process(fx, .current_bytes = 300, .peak_bytes = 300, .allocs = 2, .frees = 1,
		       .reallocs = 1, .allocated_bytes = 400, .freed_bytes = 100);
	assert_totals(fx, .current_bytes = 300, .peak_bytes = 300, .allocs = 2, .frees = 1,
		      .reallocs = 1, .allocated_bytes = 400, .freed_bytes = 100);
	assert_sizes(fx, SIZES({ 8, 1 }, { 10, 1 })); /* 100 <= 128, 300 <= 512 */
}

static void test_realloc_in_place(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 100, A, 100);
	do_realloc(fx, T1, 200, A, 40, A);
	assert_live(fx, A, 40, 200, 2, T1);
	assert_int_equal(fx->p->live.n, 1);
	assert_int_equal(fx->p->displaced.n, 0);
	assert_thread(fx, T1, .current_bytes = 40, .peak_bytes = 100, .allocs = 2, .frees = 1,
		      .reallocs = 1, .allocated_bytes = 140, .freed_bytes = 100);
	assert_process(fx, .current_bytes = 40, .peak_bytes = 100, .allocs = 2, .frees = 1,
		       .reallocs = 1, .allocated_bytes = 140, .freed_bytes = 100);
	assert_sizes(fx, SIZES({ 8, 1 }, { 7, 1 })); /* 100 <= 128, 40 <= 64 */
}

/* realloc(NULL, n) is malloc(n): no realloc is counted. */
static void test_realloc_null(void **state)
{
	struct fixture *fx = *state;

	do_realloc(fx, T1, 100, 0, 24, A);
	assert_live(fx, A, 24, 100, 2, T1);
	assert_thread(fx, T1, .current_bytes = 24, .peak_bytes = 24, .allocs = 1,
		      .allocated_bytes = 24);
	assert_totals(fx, .current_bytes = 24, .peak_bytes = 24, .allocs = 1,
		      .allocated_bytes = 24);
	assert_sizes(fx, SIZES({ 6, 1 }));
	/* and failing, it is a failed malloc */
	do_realloc(fx, T1, 200, 0, 24, 0);
	assert_thread(fx, T1, .current_bytes = 24, .peak_bytes = 24, .allocs = 1,
		      .failed_allocs = 1, .allocated_bytes = 24);
	assert_sizes(fx, SIZES({ 6, 1 }));
}

/* realloc(p, 0) returning NULL (glibc) is free(p), not a realloc. */
static void test_realloc_to_zero(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 100, A, 100);
	do_realloc(fx, T1, 200, A, 0, 0);
	assert_int_equal(fx->p->live.n, 0);
	assert_thread(fx, T1, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
	assert_process(fx, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		       .freed_bytes = 100);
	assert_totals(fx, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
	assert_sizes(fx, SIZES({ 8, 1 }));
}

/* A libc whose realloc(p, 0) returns a block: free(p) plus a 0-byte allocation. */
static void test_realloc_to_zero_returns_block(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 100, A, 100);
	do_realloc(fx, T1, 200, A, 0, C);
	assert_null(alloc_table__find(&fx->p->live, A));
	assert_live(fx, C, 0, 200, 2, T1);
	assert_thread(fx, T1, .peak_bytes = 100, .allocs = 2, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
	assert_totals(fx, .peak_bytes = 100, .allocs = 2, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
	assert_sizes(fx, SIZES({ 0, 1 }, { 8, 1 }));
}

/* A failed realloc leaves p live and untouched. */
static void test_realloc_fails(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 100, A, 100);
	do_realloc(fx, T1, 200, A, 1ULL << 50, 0);
	assert_live(fx, A, 100, 100, 1, T1);
	assert_int_equal(fx->p->live.n, 1);
	assert_thread(fx, T1, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		      .failed_allocs = 1, .allocated_bytes = 100);
	assert_process(fx, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		       .failed_allocs = 1, .allocated_bytes = 100);
	assert_totals(fx, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		      .failed_allocs = 1, .allocated_bytes = 100);
	assert_sizes(fx, SIZES({ 8, 1 }));
	/* still freeable */
	do_free(fx, T1, 300, A);
	assert_thread(fx, T1, .peak_bytes = 100, .allocs = 1, .frees = 1, .failed_allocs = 1,
		      .allocated_bytes = 100, .freed_bytes = 100);
}

/* reallocarray: the BPF side sends n = nmemb * size; the rules are realloc's. */
static void test_reallocarray(void **state)
{
	struct fixture *fx = *state;

	/* reallocarray(NULL, 10, 8) */
	apply(fx, call(MT_FN_REALLOCARRAY, T1, 100, 10, A, 80, 0), 4);
	assert_live(fx, A, 80, 100, 4, T1);
	assert_thread(fx, T1, .current_bytes = 80, .peak_bytes = 80, .allocs = 1,
		      .allocated_bytes = 80);
	/* reallocarray(A, 100, 8) moving to B */
	apply(fx, call(MT_FN_REALLOCARRAY, T1, 200, 10, B, 800, A), 5);
	assert_null(alloc_table__find(&fx->p->live, A));
	assert_live(fx, B, 800, 200, 5, T1);
	assert_thread(fx, T1, .current_bytes = 800, .peak_bytes = 800, .allocs = 2, .frees = 1,
		      .reallocs = 1, .allocated_bytes = 880, .freed_bytes = 80);
	/* reallocarray(B, 1 << 40, 8) failing: B stays */
	apply(fx, call(MT_FN_REALLOCARRAY, T1, 300, 10, 0, 1ULL << 43, B), 6);
	assert_live(fx, B, 800, 200, 5, T1);
	assert_thread(fx, T1, .current_bytes = 800, .peak_bytes = 800, .allocs = 2, .frees = 1,
		      .reallocs = 1, .failed_allocs = 1, .allocated_bytes = 880,
		      .freed_bytes = 80);
	/* reallocarray(B, 0, 8): a free */
	apply(fx, call(MT_FN_REALLOCARRAY, T1, 400, 10, 0, 0, B), 7);
	assert_int_equal(fx->p->live.n, 0);
	assert_thread(fx, T1, .peak_bytes = 800, .allocs = 2, .frees = 2, .reallocs = 1,
		      .failed_allocs = 1, .allocated_bytes = 880, .freed_bytes = 880);
	assert_totals(fx, .peak_bytes = 800, .allocs = 2, .frees = 2, .reallocs = 1,
		      .failed_allocs = 1, .allocated_bytes = 880, .freed_bytes = 880);
	assert_sizes(fx, SIZES({ 8, 1 }, { 11, 1 })); /* 80 <= 128, 800 <= 1024 */
}

/* Blocks from before tracing began: counted, nothing subtracted. */
static void test_unknown_free(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 100, A, 100);
	do_free(fx, T2, 200, D);
	assert_live(fx, A, 100, 100, 1, T1);
	assert_thread(fx, T1, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		      .allocated_bytes = 100);
	/* charged to the thread that freed */
	assert_thread(fx, T2, .unknown_frees = 1);
	assert_process(fx, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		       .allocated_bytes = 100, .unknown_frees = 1);
	assert_totals(fx, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		      .allocated_bytes = 100, .unknown_frees = 1);
}

/* The second free of the same block finds nothing left to free. */
static void test_double_free(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 100, A, 64);
	do_free(fx, T1, 200, A);
	do_free(fx, T1, 300, A);
	assert_thread(fx, T1, .peak_bytes = 64, .allocs = 1, .frees = 1, .allocated_bytes = 64,
		      .freed_bytes = 64, .unknown_frees = 1);
	assert_totals(fx, .peak_bytes = 64, .allocs = 1, .frees = 1, .allocated_bytes = 64,
		      .freed_bytes = 64, .unknown_frees = 1);
}

/* realloc of an unknown block: an unknown free, then a normal allocation and realloc. */
static void test_realloc_unknown(void **state)
{
	struct fixture *fx = *state;

	do_realloc(fx, T1, 100, D, 500, A);
	assert_live(fx, A, 500, 100, 2, T1);
	assert_thread(fx, T1, .current_bytes = 500, .peak_bytes = 500, .allocs = 1,
		      .reallocs = 1, .allocated_bytes = 500, .unknown_frees = 1);
	assert_totals(fx, .current_bytes = 500, .peak_bytes = 500, .allocs = 1, .reallocs = 1,
		      .allocated_bytes = 500, .unknown_frees = 1);
}

/* A block's frees and bytes stay with the thread that allocated it. */
static void test_cross_thread_free(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 100, A, 100);
	do_free(fx, T2, 200, A);
	assert_thread(fx, T1, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
	assert_thread(fx, T2, 0);
	assert_process(fx, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		       .freed_bytes = 100);
	assert_totals(fx, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
}

/* Another thread's realloc: the old bytes go back to their owner, the new ones are its own. */
static void test_cross_thread_realloc(void **state)
{
	struct fixture *fx = *state;

	do_malloc(fx, T1, 100, A, 100);
	do_realloc(fx, T2, 200, A, 250, B);
	assert_live(fx, B, 250, 200, 2, T2);
	assert_thread(fx, T1, .peak_bytes = 100, .allocs = 1, .frees = 1, .allocated_bytes = 100,
		      .freed_bytes = 100);
	assert_thread(fx, T2, .current_bytes = 250, .peak_bytes = 250, .allocs = 1,
		      .reallocs = 1, .allocated_bytes = 250);
	assert_process(fx, .current_bytes = 250, .peak_bytes = 250, .allocs = 2, .frees = 1,
		       .reallocs = 1, .allocated_bytes = 350, .freed_bytes = 100);
	do_free(fx, T3, 300, B);
	assert_thread(fx, T2, .peak_bytes = 250, .allocs = 1, .frees = 1, .reallocs = 1,
		      .allocated_bytes = 250, .freed_bytes = 250);
	assert_thread(fx, T3, 0);
	assert_int_equal(fx->p->nr_threads, 3);
}

/*
 * realloc frees its old block inside the call, but its record only comes
 * at the return. Between the two, another thread's malloc may get the same
 * address, and its record may arrive first:
 *
 *   t=100  T1 malloc -> A (X, 64 bytes)
 *   t=200  T1 realloc(A, 128) enters, frees X
 *   t=300  T2 malloc -> A (Y, 32 bytes)           record 2
 *   t=500  T1 realloc returns B                   record 3
 *
 * The realloc must free X, not Y.
 */
static void test_realloc_displaced(void **state)
{
	struct fixture *fx = *state;
	const struct live_block *x;

	apply(fx, call(MT_FN_MALLOC, T1, 100, 10, A, 64, 0), 1);
	apply(fx, call(MT_FN_MALLOC, T2, 300, 10, A, 32, 0), 3);
	/* X is only set aside: its bytes are still T1's until its free arrives */
	assert_live(fx, A, 32, 300, 3, T2);
	assert_int_equal(fx->p->live.n, 1);
	assert_int_equal(fx->p->displaced.n, 1);
	x = alloc_table__find(&fx->p->displaced, A);
	assert_non_null(x);
	assert_int_equal(x->size, 64);
	assert_int_equal(x->ts_ns, 100);
	assert_int_equal(x->thread, thread_index(fx, T1));
	assert_process(fx, .current_bytes = 96, .peak_bytes = 96, .allocs = 2,
		       .allocated_bytes = 96);

	apply(fx, call(MT_FN_REALLOC, T1, 500, 300, B, 128, A), 2);
	assert_int_equal(fx->p->displaced.n, 0);
	assert_int_equal(fx->p->live.n, 2);
	assert_live(fx, A, 32, 300, 3, T2);
	assert_live(fx, B, 128, 500, 2, T1);
	assert_thread(fx, T1, .current_bytes = 128, .peak_bytes = 128, .allocs = 2, .frees = 1,
		      .reallocs = 1, .allocated_bytes = 192, .freed_bytes = 64);
	assert_thread(fx, T2, .current_bytes = 32, .peak_bytes = 32, .allocs = 1,
		      .allocated_bytes = 32);
	assert_process(fx, .current_bytes = 160, .peak_bytes = 160, .allocs = 3, .frees = 1,
		       .reallocs = 1, .allocated_bytes = 224, .freed_bytes = 64);
	assert_totals(fx, .current_bytes = 160, .peak_bytes = 160, .allocs = 3, .frees = 1,
		      .reallocs = 1, .allocated_bytes = 224, .freed_bytes = 64);
	assert_sizes(fx, SIZES({ 6, 1 }, { 7, 1 }, { 8, 1 })); /* 32, 64, 128 */

	/* a later free of A is Y's */
	do_free(fx, T2, 600, A);
	assert_int_equal(fx->p->live.n, 1);
	assert_null(alloc_table__find(&fx->p->live, A));
	assert_thread(fx, T2, .peak_bytes = 32, .allocs = 1, .frees = 1, .allocated_bytes = 32,
		      .freed_bytes = 32);
	assert_process(fx, .current_bytes = 128, .peak_bytes = 160, .allocs = 3, .frees = 2,
		       .reallocs = 1, .allocated_bytes = 224, .freed_bytes = 96);
}

/* The same race with realloc(A, 0): the free part must still find X. */
static void test_realloc_to_zero_displaced(void **state)
{
	struct fixture *fx = *state;

	apply(fx, call(MT_FN_MALLOC, T1, 100, 10, A, 64, 0), 1);
	apply(fx, call(MT_FN_MALLOC, T2, 300, 10, A, 32, 0), 3);
	apply(fx, call(MT_FN_REALLOC, T1, 500, 300, 0, 0, A), 2);
	assert_int_equal(fx->p->displaced.n, 0);
	assert_live(fx, A, 32, 300, 3, T2);
	assert_thread(fx, T1, .peak_bytes = 64, .allocs = 1, .frees = 1, .allocated_bytes = 64,
		      .freed_bytes = 64);
	assert_process(fx, .current_bytes = 32, .peak_bytes = 96, .allocs = 2, .frees = 1,
		       .allocated_bytes = 96, .freed_bytes = 64);
}

/*
 * The block at the address is newer than the realloc and nothing was set
 * aside: the realloc's block was never seen, and the newer one stays.
 */
static void test_realloc_newer_block_only(void **state)
{
	struct fixture *fx = *state;

	apply(fx, call(MT_FN_MALLOC, T2, 300, 10, A, 32, 0), 3);
	apply(fx, call(MT_FN_REALLOC, T1, 500, 300, B, 128, A), 2);
	assert_live(fx, A, 32, 300, 3, T2);
	assert_live(fx, B, 128, 500, 2, T1);
	assert_thread(fx, T1, .current_bytes = 128, .peak_bytes = 128, .allocs = 1,
		      .reallocs = 1, .allocated_bytes = 128, .unknown_frees = 1);
	assert_thread(fx, T2, .current_bytes = 32, .peak_bytes = 32, .allocs = 1,
		      .allocated_bytes = 32);
	assert_process(fx, .current_bytes = 160, .peak_bytes = 160, .allocs = 2, .reallocs = 1,
		       .allocated_bytes = 160, .unknown_frees = 1);
}

/* A block allocated exactly when the call entered is older than the call: it is freed. */
static void test_realloc_entry_boundary(void **state)
{
	struct fixture *fx = *state;

	apply(fx, call(MT_FN_MALLOC, T1, 200, 10, A, 64, 0), 1);
	apply(fx, call(MT_FN_REALLOC, T1, 500, 300, B, 128, A), 2);
	assert_null(alloc_table__find(&fx->p->live, A));
	assert_live(fx, B, 128, 500, 2, T1);
	assert_thread(fx, T1, .current_bytes = 128, .peak_bytes = 128, .allocs = 2, .frees = 1,
		      .reallocs = 1, .allocated_bytes = 192, .freed_bytes = 64);
}

/* Two processes share the run's totals; each keeps its own counters. */
static void test_totals_across_processes(void **state)
{
	struct fixture *fx = *state;
	struct mt_process *q = process__new(PID2);
	struct mt_event e = call(MT_FN_MALLOC, PID2, 100, 10, A, 1000, 0);

	assert_non_null(q);
	e.pid = PID2;
	do_malloc(fx, T1, 50, A, 100);
	assert_int_equal(accounting__apply(q, &fx->totals, &e, 0), 0);
	e = call(MT_FN_FREE, PID2, 200, 0, A, 0, 0);
	e.pid = PID2;
	assert_int_equal(accounting__apply(q, &fx->totals, &e, 0), 0);
	/* the same address in another process is another block */
	assert_live(fx, A, 100, 50, 1, T1);
	assert_null(alloc_table__find(&q->live, A));
	assert_process(fx, .current_bytes = 100, .peak_bytes = 100, .allocs = 1,
		       .allocated_bytes = 100);
	assert_counters(&q->c, "second process", .peak_bytes = 1000, .allocs = 1, .frees = 1,
			.allocated_bytes = 1000, .freed_bytes = 1000);
	assert_totals(fx, .current_bytes = 100, .peak_bytes = 1100, .allocs = 2, .frees = 1,
		      .allocated_bytes = 1100, .freed_bytes = 1000);
	process__free(q);
}

static void test_unknown_function(void **state)
{
	struct fixture *fx = *state;
	struct mt_event e = call(MT_FN_COUNT, T1, 100, 10, A, 100, 0);

	assert_int_equal(accounting__apply(fx->p, &fx->totals, &e, 1), -EINVAL);
	assert_int_equal(fx->p->live.n, 0);
	assert_process(fx, 0);
	assert_totals(fx, 0);
	assert_sizes(fx, SIZES());
}

/* Many blocks across threads, then everything freed by one thread: all back to zero. */
static void test_many_blocks_balance(void **state)
{
	struct fixture *fx = *state;
	const uint32_t tids[3] = { T1, T2, T3 };
	uint64_t bytes[3] = {};
	const uint64_t n = 3000;

	for (uint64_t i = 0; i < n; i++) {
		do_malloc(fx, tids[i % 3], 1000 + i, A + 16 * i, i);
		bytes[i % 3] += i;
	}
	assert_int_equal(fx->p->live.n, n);
	for (int k = 0; k < 3; k++)
		assert_thread(fx, tids[k], .current_bytes = bytes[k], .peak_bytes = bytes[k],
			      .allocs = n / 3, .allocated_bytes = bytes[k]);
	for (uint64_t i = 0; i < n; i++)
		do_free(fx, T3, 10000 + i, A + 16 * i);
	assert_int_equal(fx->p->live.n, 0);
	for (int k = 0; k < 3; k++)
		assert_thread(fx, tids[k], .peak_bytes = bytes[k], .allocs = n / 3,
			      .frees = n / 3, .allocated_bytes = bytes[k],
			      .freed_bytes = bytes[k]);
	assert_totals(fx, .peak_bytes = n * (n - 1) / 2, .allocs = n, .frees = n,
		      .allocated_bytes = n * (n - 1) / 2, .freed_bytes = n * (n - 1) / 2);
}

static void apply_from(struct fixture *fx, enum mt_allocator a, struct mt_event e)
{
	e.allocator = a;
	apply(fx, e, 0);
}

static void assert_allocator(const struct fixture *fx, enum mt_allocator a, uint64_t calls,
			     uint64_t alloc_bytes, uint64_t live_bytes, uint64_t live_blocks)
{
	const struct allocator_counts *c = &fx->p->by_allocator.a[a];

	assert_int_equal(c->calls, calls);
	assert_int_equal(c->alloc_bytes, alloc_bytes);
	assert_int_equal(c->live_bytes, live_bytes);
	assert_int_equal(c->live_blocks, live_blocks);
}

/*
 * By allocator: a block's live bytes stay with the allocator that made it,
 * whichever frees it (a cxx block freed by a free of libc's, a realloc of
 * jemalloc's moving a libc block). A free counts as a call of the block's
 * allocator (libstdc++'s delete is libc's free to the probes), a free of
 * an unknown block as its probe's; every other call counts for its own.
 */
static void test_by_allocator(void **state)
{
	struct fixture *fx = *state;

	apply_from(fx, MT_ALLOC_CXX, call(MT_FN_MALLOC, T1, 100, 10, A, 32, 0));
	apply_from(fx, MT_ALLOC_LIBC, call(MT_FN_MALLOC, T1, 200, 10, B, 100, 0));
	apply_from(fx, MT_ALLOC_CXX, call(MT_FN_MALLOC, T1, 250, 10, 0, 1 << 20, 0));
	assert_allocator(fx, MT_ALLOC_CXX, 2, 32, 32, 1);
	apply_from(fx, MT_ALLOC_LIBC, call(MT_FN_FREE, T1, 300, 0, A, 0, 0));
	assert_allocator(fx, MT_ALLOC_CXX, 3, 32, 0, 0);
	assert_allocator(fx, MT_ALLOC_LIBC, 1, 100, 100, 1);
	apply_from(fx, MT_ALLOC_JEMALLOC, call(MT_FN_REALLOC, T1, 400, 20, C, 500, B));
	assert_allocator(fx, MT_ALLOC_LIBC, 1, 100, 0, 0);
	assert_allocator(fx, MT_ALLOC_JEMALLOC, 1, 500, 500, 1);
	/* a free of nothing known: a call, and no live bytes to give back */
	apply_from(fx, MT_ALLOC_TCMALLOC, call(MT_FN_FREE, T1, 500, 0, D, 0, 0));
	assert_allocator(fx, MT_ALLOC_TCMALLOC, 1, 0, 0, 0);
	assert_allocator(fx, MT_ALLOC_MIMALLOC, 0, 0, 0, 0);
	assert_int_equal(fx->p->c.current_bytes, 500);
	assert_int_equal(fx->p->c.failed_allocs, 1);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_new_process_without_proc),
		TEST(test_malloc_free),
		TEST(test_every_allocator),
		TEST(test_failed_allocations),
		TEST(test_zero_size_malloc),
		TEST(test_peak),
		TEST(test_peak_per_level),
		TEST(test_realloc_moves),
		TEST(test_realloc_in_place),
		TEST(test_realloc_null),
		TEST(test_realloc_to_zero),
		TEST(test_realloc_to_zero_returns_block),
		TEST(test_realloc_fails),
		TEST(test_reallocarray),
		TEST(test_unknown_free),
		TEST(test_double_free),
		TEST(test_realloc_unknown),
		TEST(test_cross_thread_free),
		TEST(test_cross_thread_realloc),
		TEST(test_realloc_displaced),
		TEST(test_realloc_to_zero_displaced),
		TEST(test_realloc_newer_block_only),
		TEST(test_realloc_entry_boundary),
		TEST(test_totals_across_processes),
		TEST(test_unknown_function),
		TEST(test_many_blocks_balance),
		TEST(test_by_allocator),
	};

	return cmocka_run_group_tests_name("unit: accounting", tests, NULL, NULL);
}
