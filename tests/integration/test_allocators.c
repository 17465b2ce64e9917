// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Allocators beside libc, traced from launch: C++'s operator new and
 * delete (tests/progs/cxx_new.cc) with libstdc++'s operators and with
 * jemalloc's and tcmalloc's, and C programs on jemalloc (shared, linked
 * into the executable, static), tcmalloc and mimalloc
 * (tests/progs/jemalloc_calls.c).
 * Exact bytes and blocks per calling function and allocator: the runtime's
 * own startup allocations come from other callers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/*
 * Runs `memtrace --json -- prog`. Frame-pointer stacks, every one taken:
 * jemalloc linked into the executable has no frame pointers, which would
 * make memtrace choose sampled DWARF stacks, but the programs' own
 * callers, the ones checked, keep theirs.
 */
static void run_prog(struct mt_run *run, const char *prog)
{
	harness__run(run, (const char *const[]){ "--json", "--stack=fp", "--sample-bytes=0", "--",
						 prog, NULL });
	if (run->status != 0 || !run->snap)
		fail_msg("memtrace failed on %s (status %d):\n%s", prog, run->status, run->err);
}

/* The process's entry for allocator name, or NULL when it has none. */
static json_t *allocator_entry(const json_t *obj, const char *name)
{
	json_t *list = json_object_get(obj, "allocators"), *a;
	size_t i;

	if (!json_is_array(list))
		fail_msg("no \"allocators\" array");
	json_array_foreach(list, i, a)
		if (!strcmp(harness__str(a, "name"), name))
			return a;
	return NULL;
}

/* Live bytes and blocks of the leak sites whose direct caller is caller, by allocator. */
static void assert_leaks(const json_t *snap, const char *caller, const char *allocator,
			 uint64_t bytes, uint64_t count)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak;
	uint64_t got_bytes = 0, got_count = 0, other = 0;
	size_t i;

	json_array_foreach(leaks, i, leak) {
		json_t *frame = json_array_get(json_object_get(leak, "stack"), 0);
		json_t *symbol = json_object_get(frame, "symbol");

		if (!json_is_string(symbol) || strcmp(json_string_value(symbol), caller))
			continue;
		if (strcmp(harness__str(leak, "allocator"), allocator)) {
			other += harness__u64(leak, "bytes");
			continue;
		}
		got_bytes += harness__u64(leak, "bytes");
		got_count += harness__u64(leak, "count");
	}
	if (got_bytes != bytes || got_count != count || other)
		fail_msg("%s: expected %llu bytes in %llu blocks from %s, got %llu in %llu "
			 "(and %llu bytes from other allocators)",
			 caller, (unsigned long long)bytes, (unsigned long long)count, allocator,
			 (unsigned long long)got_bytes, (unsigned long long)got_count,
			 (unsigned long long)other);
}

static void assert_cxx_sites(const json_t *snap, const char *allocator)
{
	/* 5 new char[1000], one delete[] */
	assert_leaks(snap, "new_arrays", allocator, 4000, 4);
	/* 3 new Foo (32 bytes), one sized delete */
	assert_leaks(snap, "new_objects", allocator, 64, 2);
	/* 2 aligned new of 128 bytes, one sized aligned delete */
	assert_leaks(snap, "new_aligned", allocator, 128, 1);
}

/* libstdc++'s operators: "cxx" alone, and its malloc and free are not counted again. */
static void check_cxx(const char *prog)
{
	struct mt_run run;
	json_t *proc, *cxx;

	run_prog(&run, prog);
	proc = harness__only_process(run.snap);
	assert_cxx_sites(run.snap, "cxx");
	cxx = allocator_entry(proc, "cxx");
	assert_non_null(cxx);
	/* 10 news and 3 deletes; libstdc++'s startup calls malloc, never new */
	assert_int_equal(harness__u64(cxx, "calls"), 13);
	assert_int_equal(harness__u64(cxx, "alloc_bytes"), 5 * 1000 + 3 * 32 + 2 * 128);
	assert_int_equal(harness__u64(cxx, "live_bytes"), 4000 + 64 + 128);
	assert_int_equal(harness__u64(cxx, "live_blocks"), 7);
	/* each delete's free was part of the delete: nothing freed twice */
	assert_int_equal(harness__u64(proc, "unknown_frees"), 0);
	assert_int_equal(harness__u64(proc, "frees"), 3);
	/* the run's totals by allocator: one process, the same figures */
	assert_int_equal(harness__u64(allocator_entry(run.snap, "cxx"), "live_bytes"), 4192);
	harness__release(&run);
}

static void test_cxx_new_delete(void **state)
{
	(void)state;
	check_cxx(PROG("cxx_new"));
}

/* -static-libstdc++: the operators are the executable's */
static void test_cxx_static_libstdcxx(void **state)
{
	(void)state;
	check_cxx(PROG("cxx_new_static"));
}

/* A bad_alloc thrown by operator new and caught: the program goes on, the failure is counted. */
static void test_cxx_bad_alloc_caught(void **state)
{
	struct mt_run run;
	json_t *proc, *cxx;

	(void)state;
	/* run_prog checks memtrace's status, which is the program's: it caught the exception */
	run_prog(&run, PROG("cxx_bad_alloc"));
	proc = harness__only_process(run.snap);
	assert_int_equal(harness__u64(proc, "failed_allocs"), 1);
	assert_leaks(run.snap, "new_after_throw", "cxx", 900, 3);
	cxx = allocator_entry(proc, "cxx");
	assert_non_null(cxx);
	/* the failed new and three */
	assert_int_equal(harness__u64(cxx, "calls"), 4);
	assert_int_equal(harness__u64(cxx, "live_blocks"), 3);
	harness__release(&run);
}

/* The text report: one line per allocator used. */
static void test_cxx_text_report(void **state)
{
	struct mt_run run;

	(void)state;
	harness__run(&run, (const char *const[]){ "--", PROG("cxx_new"), NULL });
	assert_int_equal(run.status, 0);
	if (!strstr(run.out, "\n  cxx       13 calls, 5.22 KiB allocated, 4.09 KiB live in 7 blocks\n"))
		fail_msg("no cxx line in the report:\n%s", run.out);
	harness__release(&run);
}

/* jemalloc 5.3 and tcmalloc bring their own operator new and delete, with inlined fast paths. */
static void test_cxx_on_jemalloc(void **state)
{
	struct mt_run run;
	json_t *proc;

	(void)state;
	run_prog(&run, PROG("cxx_new_jemalloc"));
	proc = harness__only_process(run.snap);
	assert_cxx_sites(run.snap, "jemalloc");
	assert_null(allocator_entry(proc, "cxx"));
	assert_null(allocator_entry(proc, "libc"));
	assert_int_equal(harness__u64(proc, "unknown_frees"), 0);
	harness__release(&run);
}

static void test_cxx_on_tcmalloc(void **state)
{
	struct mt_run run;
	json_t *proc;

	(void)state;
	run_prog(&run, PROG("cxx_new_tcmalloc"));
	proc = harness__only_process(run.snap);
	assert_cxx_sites(run.snap, "tcmalloc");
	assert_null(allocator_entry(proc, "cxx"));
	assert_null(allocator_entry(proc, "libc"));
	assert_int_equal(harness__u64(proc, "unknown_frees"), 0);
	harness__release(&run);
}

/* tests/progs/jemalloc_calls.c's callers, on one allocator */
static void assert_c_sites(const json_t *snap, const char *allocator, bool mallocx)
{
	assert_leaks(snap, "call_malloc", allocator, 4 * 1111, 4);
	assert_leaks(snap, "call_calloc", allocator, 2 * 999, 2);
	/* realloc(NULL, 77), then to 5555 */
	assert_leaks(snap, "call_realloc", allocator, 5555, 1);
	assert_leaks(snap, "call_free", allocator, 0, 0);
	assert_leaks(snap, "call_posix_memalign", allocator, 768, 1);
	/* two mallocx, one dallocx */
	if (mallocx)
		assert_leaks(snap, "call_mallocx", allocator, 4444, 1);
}

static void check_c_prog(const char *prog, const char *allocator, bool mallocx)
{
	struct mt_run run;
	json_t *proc, *a;

	run_prog(&run, prog);
	proc = harness__only_process(run.snap);
	assert_c_sites(run.snap, allocator, mallocx);
	a = allocator_entry(proc, allocator);
	assert_non_null(a);
	/* 4 + 2 + 2 + 6 + 1 (+ 3) calls of the program; startup code may add its own */
	assert_true(harness__u64(a, "calls") >= 15 + (mallocx ? 3 : 0));
	/* the replacement took every call: libc's malloc is never reached */
	assert_null(allocator_entry(proc, "libc"));
	assert_int_equal(harness__u64(proc, "unknown_frees"), 0);
	harness__release(&run);
}

static void test_jemalloc_shared(void **state)
{
	(void)state;
	check_c_prog(PROG("jemalloc_calls"), "jemalloc", true);
}

static void test_jemalloc_linked_in(void **state)
{
	(void)state;
	check_c_prog(PROG("jemalloc_linked_in"), "jemalloc", true);
}

/* static: libc_locate finds malloc in the executable too; it is jemalloc's */
static void test_jemalloc_static(void **state)
{
	(void)state;
	check_c_prog(PROG("jemalloc_static"), "jemalloc", true);
}

static void test_tcmalloc_shared(void **state)
{
	(void)state;
	check_c_prog(PROG("tcmalloc_calls"), "tcmalloc", false);
}

/*
 * Attached to a running process (-p): its allocator is already mapped, and
 * only the program's own calls happen while it is traced: exact calls.
 */
static void check_attached(const char *prog, const char *allocator, bool mallocx)
{
	struct mt_run run;
	json_t *proc, *a;
	pid_t pid;

	harness__trace_running((const char *const[]){ prog, "--wait", NULL }, &run, &pid);
	proc = harness__process(run.snap, pid);
	assert_c_sites(run.snap, allocator, mallocx);
	a = allocator_entry(proc, allocator);
	assert_non_null(a);
	assert_int_equal(harness__u64(a, "calls"), 15 + (mallocx ? 3 : 0));
	/* 4 x 1111 + 2 x 999 + 77 + 5555 + 3 x 2222 + 768 (+ 2 x 4444) */
	assert_int_equal(harness__u64(a, "alloc_bytes"), 19508 + (mallocx ? 8888 : 0));
	assert_int_equal(harness__u64(a, "live_bytes"), 12765 + (mallocx ? 4444 : 0));
	assert_int_equal(harness__u64(a, "live_blocks"), 8 + (mallocx ? 1 : 0));
	assert_null(allocator_entry(proc, "libc"));
	assert_int_equal(harness__u64(proc, "unknown_frees"), 0);
	harness__release(&run);
}

static void test_mimalloc_shared(void **state)
{
	(void)state;
	check_c_prog(PROG("mimalloc_calls"), "mimalloc", false);
}

static void test_jemalloc_attached(void **state)
{
	(void)state;
	check_attached(PROG("jemalloc_calls"), "jemalloc", true);
}

static void test_tcmalloc_attached(void **state)
{
	(void)state;
	check_attached(PROG("tcmalloc_calls"), "tcmalloc", false);
}

/*
 * libstdc++ loaded after the attach (tests/progs/dlopen_cxx.c): probed once
 * its mapping is seen, and its operator new and delete count as cxx.
 */
static void test_cxx_dlopened_later(void **state)
{
	struct harness_tracer tracer;
	struct harness_child child;
	char pid_arg[16], want[64];
	json_t *cxx;
	struct mt_run run;
	int status;

	(void)state;
	assert_int_equal(harness__spawn(&child, (const char *const[]){ PROG("dlopen_cxx"), NULL }),
			 0);
	assert_int_equal(harness__expect_line(child.out, "ready"), 0);
	snprintf(pid_arg, sizeof(pid_arg), "%d", child.pid);
	assert_int_equal(harness__start_tracer(&tracer,
					       (const char *const[]){ "-v", "--json", "--stack=fp",
								      "-p", pid_arg, NULL },
					       child.pid),
			 0);
	assert_int_equal(write(child.in, "go\n", 3), 3);
	assert_int_equal(harness__expect_line(child.out, "loaded"), 0);
	/* its probes are in once memtrace says so */
	snprintf(want, sizeof(want), "memtrace: PID %d: cxx: ", child.pid);
	assert_int_equal(harness__tracer_expect(&tracer, want), 0);
	assert_int_equal(write(child.in, "go\n", 3), 3);
	status = harness__wait(&child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(harness__finish_tracer(&tracer, &run), 0);
	cxx = allocator_entry(harness__only_process(run.snap), "cxx");
	assert_int_equal(harness__u64(cxx, "calls"), 3);
	assert_int_equal(harness__u64(cxx, "alloc_bytes"), 4321 + 77);
	assert_int_equal(harness__u64(cxx, "live_bytes"), 4321);
	assert_int_equal(harness__u64(cxx, "live_blocks"), 1);
	assert_leaks(run.snap, "cxx_leak", "cxx", 4321, 1);
	harness__release(&run);
}

#define CXX_STACKS_SOURCE "tests/progs/cxx_stacks.cc"

/* The leak whose first frame is caller: one site of bytes, starting at caller's marked line. */
static void assert_cxx_leak(const json_t *snap, const char *caller, uint64_t bytes)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak, *stack, *frame;
	const char *file, *base;
	size_t i, found = 0;

	json_array_foreach(leaks, i, leak) {
		stack = json_object_get(leak, "stack");
		frame = json_array_get(stack, 0);
		if (!json_is_string(json_object_get(frame, "symbol")) ||
		    strcmp(harness__str(frame, "symbol"), caller))
			continue;
		found++;
		assert_string_equal(harness__str(leak, "allocator"), "cxx");
		assert_int_equal(harness__u64(leak, "bytes"), bytes);
		assert_int_equal(harness__u64(leak, "count"), 1);
		file = harness__str(frame, "file");
		base = strrchr(file, '/');
		assert_string_equal(base ? base + 1 : file, "cxx_stacks.cc");
		assert_int_equal(harness__u64(frame, "line"),
				 harness__marker_line(CXX_STACKS_SOURCE, caller));
		/* operator new's frames gave back the program's: the walk goes on to main */
		assert_string_equal(harness__str(json_array_get(stack, 1), "symbol"), "main");
	}
	if (found != 1)
		fail_msg("%zu leak sites start at %s, want 1", found, caller);
}

/*
 * tests/progs/cxx_stacks.cc: a leak through each kind of operator new.
 * operator new is not probed: its malloc's probe knows it by the return
 * address, counts the call as cxx, and starts the stack at operator new's
 * caller, whatever the levels of operator new between (nothrow new calls
 * new, new[] jumps to new) and whichever way stacks are taken.
 */
static void check_cxx_stacks(const char *stack_mode)
{
	struct mt_run run;
	json_t *proc, *cxx;

	harness__run(&run, (const char *const[]){ "--json", stack_mode, "--sample-bytes=0", "--",
						  PROG("cxx_stacks"), NULL });
	if (run.status != 0 || !run.snap)
		fail_msg("memtrace %s failed (status %d):\n%s", stack_mode, run.status, run.err);
	assert_cxx_leak(run.snap, "leak_new", 48);
	assert_cxx_leak(run.snap, "leak_new_array", 3333);
	assert_cxx_leak(run.snap, "leak_nothrow", 2 * 48);
	assert_cxx_leak(run.snap, "leak_nothrow_array", 4444);
	assert_cxx_leak(run.snap, "leak_aligned", 256);
	assert_cxx_leak(run.snap, "leak_aligned_nothrow", 2 * 256);
	proc = harness__only_process(run.snap);
	cxx = allocator_entry(proc, "cxx");
	assert_non_null(cxx);
	/* 7 news and a delete, whose free is C++'s as it frees a new-ed block */
	assert_int_equal(harness__u64(cxx, "calls"), 8);
	assert_int_equal(harness__u64(cxx, "alloc_bytes"), 48 + 3333 + 96 + 4444 + 256 + 512 + 48);
	assert_int_equal(harness__u64(cxx, "live_blocks"), 6);
	assert_int_equal(harness__u64(proc, "frees"), 1);
	assert_int_equal(harness__u64(proc, "unknown_frees"), 0);
	harness__release(&run);
}

static void test_cxx_stacks_fp(void **state)
{
	(void)state;
	check_cxx_stacks("--stack=fp");
}

static void test_cxx_stacks_dwarf(void **state)
{
	(void)state;
	check_cxx_stacks("--stack=dwarf");
}

/* Nothing of libstdc++'s is probed any more: -v names its call sites, and no probe on it. */
static void test_cxx_not_probed(void **state)
{
	struct mt_run run;

	(void)state;
	harness__run(&run, (const char *const[]){ "-v", "--", PROG("cxx_new"), NULL });
	assert_int_equal(run.status, 0);
	if (!strstr(run.err, ": cxx: 9 call sites in 8 operator new functions of "))
		fail_msg("no cxx call sites line:\n%s", run.err);
	if (strstr(run.err, "probe sites on /usr/lib/x86_64-linux-gnu/libstdc++"))
		fail_msg("libstdc++ is probed:\n%s", run.err);
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx_new_delete),
		cmocka_unit_test(test_cxx_static_libstdcxx),
		cmocka_unit_test(test_cxx_bad_alloc_caught),
		cmocka_unit_test(test_cxx_text_report),
		cmocka_unit_test(test_cxx_on_jemalloc),
		cmocka_unit_test(test_cxx_on_tcmalloc),
		cmocka_unit_test(test_jemalloc_shared),
		cmocka_unit_test(test_jemalloc_linked_in),
		cmocka_unit_test(test_jemalloc_static),
		cmocka_unit_test(test_tcmalloc_shared),
		cmocka_unit_test(test_mimalloc_shared),
		cmocka_unit_test(test_jemalloc_attached),
		cmocka_unit_test(test_tcmalloc_attached),
		cmocka_unit_test(test_cxx_dlopened_later),
		cmocka_unit_test(test_cxx_stacks_fp),
		cmocka_unit_test(test_cxx_stacks_dwarf),
		cmocka_unit_test(test_cxx_not_probed),
	};

	harness__require_bpf("allocators");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
