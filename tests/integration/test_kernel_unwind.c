// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's DWARF unwinder, memtrace's default (no flags): whole stacks
 * for every allocation through code without frame pointers, through libc,
 * through a signal frame, with CFI only in a separate debug file, past a
 * dlopen after the attach, through Debian's python3.11 to _start;
 * the depth bound; the cap on its tables; and the fallback when the kernel
 * has no bpf_loop (simulated with MEMTRACE_NO_KERNEL_UNWIND=1).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PYTHON "/usr/bin/python3.11"
#define MAX_FRAMES 127

static const char *base_name(const char *path)
{
	return strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
}

/* Frames from i on name chain, each at its MARK line of source. */
static void assert_chain(const json_t *leak, size_t i, const char *const *chain, size_t n,
			 const char *source)
{
	json_t *stack = json_object_get(leak, "stack");

	for (size_t k = 0; k < n; k++) {
		json_t *frame = json_array_get(stack, i + k);

		assert_string_equal(harness__frame_symbol(leak, i + k), chain[k]);
		assert_string_equal(base_name(harness__str(frame, "file")), base_name(source));
		assert_int_equal(harness__u64(frame, "line"),
				 harness__marker_line(source, chain[k]));
	}
}

/* The stack's last frames: main, libc's start and the program's entry, not truncated. */
static void assert_whole(const json_t *leak)
{
	size_t n = json_array_size(json_object_get(leak, "stack"));

	assert_true(n >= 4);
	assert_string_equal(harness__frame_symbol(leak, n - 4), "main");
	assert_string_equal(harness__frame_symbol(leak, n - 3), "__libc_start_call_main");
	assert_string_equal(harness__frame_symbol(leak, n - 2), "__libc_start_main");
	assert_string_equal(harness__frame_symbol(leak, n - 1), "_start");
	assert_false(json_is_true(json_object_get(leak, "truncated")));
}

/* Default options: all 50 blocks in one site, the whole -O2 chain named. */
static void test_chain_without_frame_pointers(void **state)
{
	static const char *const chain[] = { "level6", "level5", "level4",
					     "level3", "level2", "level1", "main" };
	struct mt_run run;
	json_t *leak, *tables;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("nofp_chain"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_string_equal(harness__str(run.snap, "stack_mode"), "kernel-dwarf");
	assert_int_equal(harness__u64(run.snap, "sample_bytes"), 0);
	tables = json_object_get(run.snap, "unwind_tables");
	/* the program, libc and the loader at least, within the default 256 MiB */
	assert_true(harness__u64(tables, "modules") >= 3);
	assert_true(harness__u64(tables, "bytes") > 200 * 1024);
	assert_int_equal(harness__u64(tables, "max_bytes"), 256ULL << 20);
	assert_int_equal(json_array_size(json_object_get(tables, "not_fitted")), 0);
	leak = harness__leak_of(run.snap, 50 * 3000);
	assert_int_equal(harness__u64(leak, "count"), 50);
	assert_chain(leak, 0, chain, 7, "tests/progs/nofp_chain.c");
	assert_whole(leak);
	assert_int_equal(json_array_size(json_object_get(leak, "stack")), 10);
	harness__release(&run);
}

/* qsort's comparator allocates: the stack goes back through libc's sort to main. */
static void test_through_libc(void **state)
{
	struct mt_run run;
	json_t *leak, *stack;
	size_t n, in_libc = 0;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("qsort_nofp"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	leak = harness__leak_of(run.snap, 4321);
	stack = json_object_get(leak, "stack");
	n = json_array_size(stack);
	assert_chain(leak, 0, (const char *const[]){ "compare_alloc" }, 1,
		     "tests/progs/qsort_nofp.c");
	for (size_t i = 1; i + 4 < n; i++) {
		const char *module = harness__str(json_array_get(stack, i), "module");

		in_libc += !strcmp(base_name(module), "libc.so.6");
	}
	/* glibc 2.36's msort_with_tmp (recursive), then qsort_r (qsort jumps to it) */
	assert_true(in_libc >= 3);
	assert_string_equal(harness__frame_symbol(leak, 1), "msort_with_tmp.part.0");
	assert_string_equal(harness__frame_symbol(leak, n - 5), "qsort_r");
	assert_chain(leak, n - 4, (const char *const[]){ "main" }, 1, "tests/progs/qsort_nofp.c");
	assert_whole(leak);
	harness__release(&run);
}

/* 300 calls deep: the first 127 frames, marked truncated. */
static void test_deeper_than_the_bound(void **state)
{
	struct mt_run run;
	json_t *leak, *stack;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("deep_recursion"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	leak = harness__leak_of(run.snap, 5555);
	stack = json_object_get(leak, "stack");
	assert_int_equal(json_array_size(stack), MAX_FRAMES);
	for (size_t i = 0; i < MAX_FRAMES; i++)
		assert_string_equal(harness__frame_symbol(leak, i), "recurse");
	assert_true(json_is_true(json_object_get(leak, "truncated")));
	harness__release(&run);
}

/*
 * A library whose CFI is only in its separate debug file (.gnu_debuglink):
 * its table comes from there, and the stack is whole.
 */
static void test_cfi_in_a_debug_file(void **state)
{
	static const char *const chain[] = { "debuglink_leak", "debuglink_entry" };
	struct mt_run run;
	json_t *leak;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("debuglink_caller"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	leak = harness__leak_of(run.snap, 3333);
	assert_chain(leak, 0, chain, 2, "tests/progs/lib/debuglink_lib.c");
	assert_chain(leak, 2, (const char *const[]){ "main" }, 1, "tests/progs/debuglink_caller.c");
	assert_whole(leak);
	assert_int_equal(json_array_size(json_object_get(leak, "stack")), 6);
	harness__release(&run);
}

/* A handler's allocation: through the kernel's signal frame to where raise() was, and main. */
static void test_through_a_signal_frame(void **state)
{
	static const char *const chain[] = { "send_signal", "main" };
	struct mt_run run;
	json_t *leak, *stack;
	size_t n;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("signal_nofp"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	leak = harness__leak_of(run.snap, 2345);
	stack = json_object_get(leak, "stack");
	n = json_array_size(stack);
	assert_chain(leak, 0, (const char *const[]){ "on_signal" }, 1, "tests/progs/signal_nofp.c");
	/* glibc's __restore_rt, the frame the kernel made, then the signal's sender */
	assert_string_equal(base_name(harness__str(json_array_get(stack, 1), "module")),
			    "libc.so.6");
	assert_string_equal(harness__frame_symbol(leak, 2), "__pthread_kill_implementation");
	assert_true(n == 9);
	assert_string_equal(harness__frame_symbol(leak, n - 6), "raise");
	assert_chain(leak, n - 5, chain, 2, "tests/progs/signal_nofp.c");
	assert_whole(leak);
	harness__release(&run);
}

static const json_t *leak_in(const json_t *snap, pid_t pid, uint64_t bytes)
{
	json_t *leak;
	size_t i;

	json_array_foreach(json_object_get(snap, "leaks"), i, leak)
		if (harness__u64(leak, "pid") == (uint64_t)pid && harness__u64(leak, "bytes") == bytes)
			return leak;
	fail_msg("no leak of %llu bytes in PID %d", (unsigned long long)bytes, pid);
	return NULL;
}

static void assert_lib_chain(const json_t *leak)
{
	static const char *const lib_chain[] = { "nofp_leak", "nofp_middle", "nofp_entry" };

	assert_chain(leak, 0, lib_chain, 3, "tests/progs/lib/nofp_lib.c");
	assert_chain(leak, 3, (const char *const[]){ "call_lib" }, 1, "tests/progs/dlopen_nofp.c");
	assert_whole(leak);
}

/*
 * -p, then a dlopen: the leak made at once (its table may not be in yet:
 * copied for user space) and the one made once the -v line says the
 * table is in both unwind whole.
 */
static void test_dlopen_after_attach(void **state)
{
	struct harness_child child;
	struct harness_tracer tracer;
	char lib[PATH_MAX], want[PATH_MAX + 64], pid_arg[16];
	struct mt_run run;

	(void)state;
	assert_non_null(realpath(PROG("libnofp.so"), lib));
	assert_int_equal(harness__spawn(&child, (const char *const[]){ PROG("dlopen_nofp"), lib,
									NULL }), 0);
	assert_int_equal(harness__expect_line(child.out, "ready"), 0);
	snprintf(pid_arg, sizeof(pid_arg), "%d", child.pid);
	assert_int_equal(harness__start_tracer(&tracer, (const char *const[]){ "-v", "--json", "-p",
									       pid_arg, NULL },
					       child.pid), 0);
	assert_int_equal(write(child.in, "\n", 1), 1);
	assert_int_equal(harness__expect_line(child.out, "loaded"), 0);
	snprintf(want, sizeof(want), "memtrace: unwind table of %s:", lib);
	assert_int_equal(harness__tracer_expect(&tracer, want), 0);
	assert_int_equal(write(child.in, "\n", 1), 1);
	assert_int_equal(harness__wait(&child), 0);
	assert_int_equal(harness__finish_tracer(&tracer, &run), 0);
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_lib_chain(leak_in(run.snap, child.pid, 5432));
	assert_lib_chain(leak_in(run.snap, child.pid, 6543));
	harness__release(&run);
}

/*
 * Debian's python3.11 (no frame pointers, libpython linked in): every site down to _start.
 * --python=off: the native unwind is what is tested here; by default the Python frames would
 * take the evaluator's place and the stacks end at the outermost one (test_python_stacks).
 */
static void test_python_to_start(void **state)
{
	struct mt_run run;
	json_t *leak;
	bool evaluator = false;
	size_t i, n;

	(void)state;
	if (access(PYTHON, X_OK))
		fail_msg("%s is missing: make deps installs it", PYTHON);
	harness__run(&run, (const char *const[]){ "--json", "--max-sites=0", "--python=off", "--",
						   PYTHON, "tests/progs/py_ctypes_leak.py", NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_true(json_array_size(json_object_get(run.snap, "leaks")) > 20);
	json_array_foreach(json_object_get(run.snap, "leaks"), i, leak) {
		n = json_array_size(json_object_get(leak, "stack"));
		assert_true(n > 0);
		assert_string_equal(harness__frame_symbol(leak, n - 1), "_start");
		assert_false(json_is_true(json_object_get(leak, "truncated")));
	}
	leak = harness__leak_of(run.snap, 7777777);
	n = json_array_size(json_object_get(leak, "stack"));
	for (i = 0; i < n; i++)
		evaluator |= !strcmp(harness__frame_symbol(leak, i), "_PyEval_EvalFrameDefault");
	assert_true(evaluator);
	harness__release(&run);
}

/* --max-unwind-mib=0: no table fits; the module is named, its stacks by frame pointers. */
static void test_over_the_cap(void **state)
{
	struct mt_run run;
	json_t *leak, *tables, *not_fitted;
	bool found = false;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--max-unwind-mib=0", "--",
						   PROG("nofp_chain"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_non_null(strstr(run.err, "no room for the unwind table of "));
	assert_non_null(strstr(run.err, "/nofp_chain"));
	tables = json_object_get(run.snap, "unwind_tables");
	assert_int_equal(harness__u64(tables, "modules"), 0);
	assert_int_equal(harness__u64(tables, "bytes"), 0);
	assert_int_equal(harness__u64(tables, "max_bytes"), 0);
	not_fitted = json_object_get(tables, "not_fitted");
	assert_true(json_array_size(not_fitted) >= 3);
	for (size_t i = 0; i < json_array_size(not_fitted); i++)
		found |= !strcmp(base_name(json_string_value(json_array_get(not_fitted, i))),
				 "nofp_chain");
	assert_true(found);
	leak = harness__leak_of(run.snap, 50 * 3000);
	assert_string_equal(harness__frame_symbol(leak, 0), "level6");
	assert_true(json_is_true(json_object_get(leak, "truncated")));
	assert_non_null(strstr(harness__str(leak, "truncated_in"), "/nofp_chain"));
	harness__release(&run);
}

/* A kernel without bpf_loop: auto falls back to dwarf; kernel-dwarf asked for is an error. */
static void test_without_bpf_loop(void **state)
{
	struct mt_run run;

	(void)state;
	setenv("MEMTRACE_NO_KERNEL_UNWIND", "1", 1);
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("deep_nofp"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_string_equal(harness__str(run.snap, "stack_mode"), "dwarf");
	assert_non_null(strstr(run.err, "no bpf_loop"));
	harness__release(&run);
	harness__run(&run, (const char *const[]){ "--stack=kernel-dwarf", "--", PROG("nofp_chain"),
						   NULL });
	unsetenv("MEMTRACE_NO_KERNEL_UNWIND");
	assert_int_not_equal(run.status, 0);
	assert_string_equal(run.err, "memtrace: --stack=kernel-dwarf needs bpf_loop (Linux 5.17 "
				     "or later): use --stack=dwarf or fp\n");
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_without_frame_pointers),
		cmocka_unit_test(test_through_libc),
		cmocka_unit_test(test_deeper_than_the_bound),
		cmocka_unit_test(test_through_a_signal_frame),
		cmocka_unit_test(test_cfi_in_a_debug_file),
		cmocka_unit_test(test_dlopen_after_attach),
		cmocka_unit_test(test_python_to_start),
		cmocka_unit_test(test_over_the_cap),
		cmocka_unit_test(test_without_bpf_loop),
	};

	harness__require_bpf("kernel unwinding");
	return cmocka_run_group_tests_name("integration: kernel unwinding", tests, NULL, NULL);
}
