// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The prober's decisions that need no kernel: how long a joined process
 * whose maps lag is looked at, and the mappings that get no probe at all
 * (no loader is given: touching it would crash).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "attach/gc_probe.h"
#include "attach/gpu_attach.h"
#include "attach/prober.h"

/* Above any pid_max: nothing in /proc */
#define PID 0x7ffffff0

static int hook_calls;

static int count_gpu_library(void *record, const char *path)
{
	(void)record;
	(void)path;
	hook_calls++;
	return 0;
}

static int count_gc(void *record, enum mt_gc_runtime runtime, const char *path)
{
	(void)record;
	(void)runtime;
	(void)path;
	hook_calls++;
	return 0;
}

static const struct probe_target ours = {
	.pid = PID,
	.comm = "app",
	.exe = "/usr/bin/app",
	.gpu_library = count_gpu_library,
	.gc_probed = count_gc,
};

/* A joined process is looked at PROBER_TRIES times; its PID starts afresh once forgotten. */
static void test_tries(void **state)
{
	struct mt_config cfg = {};
	struct prober *pr;

	(void)state;
	assert_int_equal(prober__new(NULL, &cfg, MT_STACK_FP, &pr), 0);
	for (int i = 0; i < PROBER_TRIES; i++)
		assert_true(prober__try_again(pr, PID));
	assert_false(prober__try_again(pr, PID));
	/* another process keeps its own count */
	assert_true(prober__try_again(pr, PID - 1));
	/* its record ended: a new image under the PID is another process */
	prober__forget(pr, PID, false);
	assert_true(prober__try_again(pr, PID));
	prober__free(pr);
}

/* Data, anonymous memory and files that are no library: nothing is probed, nothing told. */
static void test_mappings_without_probes(void **state)
{
	struct mt_config cfg = { .all = true };
	struct proc_map data = { .readable = true, .writable = true, .path = "/usr/lib/libc.so.6" };
	struct proc_map anon = { .readable = true, .executable = true };
	struct proc_map relative = { .executable = true, .path = "libc.so.6" };
	struct proc_map vdso = { .executable = true, .path = "[vdso]" };
	struct prober *pr;

	(void)state;
	hook_calls = 0;
	assert_int_equal(prober__new(NULL, &cfg, MT_STACK_FP, &pr), 0);
	/* -a: a mapping of a process not known yet; then one of ours */
	assert_int_equal(prober__mapping(pr, PID, NULL, &data), 0);
	assert_int_equal(prober__mapping(pr, PID, &ours, &data), 0);
	assert_int_equal(prober__mapping(pr, PID, &ours, &anon), 0);
	assert_int_equal(prober__mapping(pr, PID, &ours, &relative), 0);
	assert_int_equal(prober__mapping(pr, PID, &ours, &vdso), 0);
	assert_int_equal(hook_calls, 0);
	prober__free(pr);
}

/* Under -p, a mapping of a process not traced is none of memtrace's business. */
static void test_untraced_mapping_under_pids(void **state)
{
	struct mt_config cfg = { .nr_pids = 1 };
	struct proc_map libc = { .executable = true, .path = "/usr/lib/libc.so.6" };
	struct prober *pr;

	(void)state;
	cfg.pids[0] = PID;
	assert_int_equal(prober__new(NULL, &cfg, MT_STACK_FP, &pr), 0);
	assert_int_equal(prober__mapping(pr, PID - 1, NULL, &libc), 0);
	prober__free(pr);
}

/* Collections already counted: no runtime is looked for, in the maps or in a new mapping. */
static void test_gc_counted_already(void **state)
{
	struct probe_target counted = ours;
	struct proc_map jvm = { .executable = true, .path = "/usr/lib/jvm/lib/server/libjvm.so" };
	struct proc_maps maps = { .maps = &jvm, .n = 1 };

	(void)state;
	hook_calls = 0;
	counted.has_gc = true;
	gc_probe__process(NULL, &counted, &maps, false);
	gc_probe__mapping(NULL, &counted, &jvm, false);
	assert_int_equal(hook_calls, 0);
}

/* Without --step-probe, nothing to attach and nothing counted. */
static void test_no_step_probe(void **state)
{
	struct mt_config cfg = {};
	struct proc_maps maps = {};
	bool attached = false;
	struct prober *pr;

	(void)state;
	assert_int_equal(prober__new(NULL, &cfg, MT_STACK_FP, &pr), 0);
	assert_int_equal(prober__steps(pr, PID, &maps, &attached), 0);
	assert_false(attached);
	prober__free(pr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tries),
		cmocka_unit_test(test_mappings_without_probes),
		cmocka_unit_test(test_untraced_mapping_under_pids),
		cmocka_unit_test(test_gc_counted_already),
		cmocka_unit_test(test_no_step_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
