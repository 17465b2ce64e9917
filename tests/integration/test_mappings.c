// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Mappings from the system calls themselves (mmap, munmap, mremap, brk) in
 * a statically linked program: no libc.so, so only the syscall probes can
 * see them. Its libc's startup maps too, the same way every run: a control
 * run that stops after startup is subtracted, and what is left is exactly
 * what tests/progs/static_mappings.c did. Then -p on a running dynamic
 * program (tests/progs/wait_then_map.c), which needs no control.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define PG 4096ULL

struct traced {
	struct mt_run run;
	json_t *process;	/* its only process */
	json_t *maps;		/* that process's "mappings" */
};

static void trace(struct traced *t, const char *mode)
{
	harness__run(&t->run, (const char *const[]){ "--json", "--", PROG("static_mappings"), mode,
						     NULL });
	assert_int_equal(t->run.status, 0);
	assert_non_null(t->run.snap);
	assert_int_equal(harness__u64(t->run.snap, "lost_events"), 0);
	t->process = harness__only_process(t->run.snap);
	t->maps = json_object_get(t->process, "mappings");
	assert_non_null(t->maps);
}

static uint64_t delta(const struct traced *work, const struct traced *control, const char *key)
{
	return harness__u64(work->maps, key) - harness__u64(control->maps, key);
}

static void test_static_program(void **state)
{
	static const char *const keys[] = {
		"anon_live_bytes",     "anon_peak_bytes",     "anon_mapped_bytes",
		"anon_unmapped_bytes", "file_live_bytes",     "file_mapped_bytes",
		"file_unmapped_bytes", "shared_mapped_bytes", "brk_bytes",
		"brk_peak_bytes",      "brk_grown_bytes",     "brk_shrunk_bytes",
		"mmap_calls",	       "munmap_calls",	      "mremap_calls",
		"brk_calls",	       "failed_calls",	      "untracked_bytes",
	};

	struct traced work, control;
	json_t *top;

	(void)state;
	trace(&control, "control");
	trace(&work, "work");

	/* startup moves the break (TLS, malloc's first heap): it was seen too */
	assert_true(harness__u64(control.maps, "brk_calls") > 0);
	assert_true(harness__u64(control.maps, "brk_bytes") > 0);

	/* map_anonymous: 40 + 16 + 24 + 24 (moved) + 8 + 4 (MAP_FIXED) pages mapped */
	assert_int_equal(delta(&work, &control, "anon_mapped_bytes"), 116 * PG);
	/* 8 from the middle, the 24 reserved and the 16 moved off, the 4 replaced */
	assert_int_equal(delta(&work, &control, "anon_unmapped_bytes"), 52 * PG);
	assert_int_equal(delta(&work, &control, "anon_live_bytes"), 64 * PG);
	/* at most 32 + 16 + 24 pages at once, on top of what startup left mapped */
	assert_int_equal(harness__u64(work.maps, "anon_peak_bytes"),
			 harness__u64(control.maps, "anon_live_bytes") + 72 * PG);
	assert_int_equal(delta(&work, &control, "shared_mapped_bytes"), 0);
	/* map_file: 3 pages of a file, in no anonymous count */
	assert_int_equal(delta(&work, &control, "file_mapped_bytes"), 3 * PG);
	assert_int_equal(delta(&work, &control, "file_live_bytes"), 3 * PG);
	assert_int_equal(delta(&work, &control, "file_unmapped_bytes"), 0);
	/* 5 anonymous mmaps and the file's */
	assert_int_equal(delta(&work, &control, "mmap_calls"), 6);
	assert_int_equal(delta(&work, &control, "munmap_calls"), 1);
	assert_int_equal(delta(&work, &control, "mremap_calls"), 1);
	/* move_break: sbrk(20603), sbrk(-8192), one brk each */
	assert_int_equal(delta(&work, &control, "brk_calls"), 2);
	assert_int_equal(delta(&work, &control, "brk_bytes"), 20603 - 8192);
	assert_int_equal(delta(&work, &control, "brk_grown_bytes"), 20603);
	assert_int_equal(delta(&work, &control, "brk_shrunk_bytes"), 8192);
	assert_int_equal(harness__u64(work.maps, "brk_peak_bytes"),
			 harness__u64(control.maps, "brk_bytes") + 20603);
	assert_int_equal(delta(&work, &control, "failed_calls"), 0);
	assert_int_equal(harness__u64(work.maps, "untracked_bytes"), 0);

	/* none of it is in the malloc family's counters: the program mallocs nothing */
	assert_int_equal(harness__u64(work.process, "allocated_bytes"),
			 harness__u64(control.process, "allocated_bytes"));
	assert_int_equal(harness__u64(work.process, "allocs"),
			 harness__u64(control.process, "allocs"));

	/* one process: the top-level sum is its own */
	top = json_object_get(work.run.snap, "mappings");
	assert_non_null(top);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_int_equal(harness__u64(top, keys[i]), harness__u64(work.maps, keys[i]));

	/* and the text report says so */
	harness__release(&work.run);
	harness__run(&work.run, (const char *const[]){ "--", PROG("static_mappings"), NULL });
	assert_int_equal(work.run.status, 0);
	assert_non_null(strstr(work.run.out, "Mappings: anon current 256 KiB, peak 288 KiB"));
	assert_non_null(strstr(work.run.out, "not in the counts above"));
	harness__release(&work.run);
	harness__release(&control.run);
}

/*
 * -p on a running, dynamically linked program: only what it did after the
 * attach, and the unmapping of a range mapped before it changes nothing.
 */
static void test_attach_running(void **state)
{
	struct mt_run run;
	json_t *maps;
	pid_t pid;

	(void)state;
	harness__trace_running((const char *const[]){ PROG("wait_then_map"), NULL }, &run, &pid);
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	maps = json_object_get(harness__process(run.snap, pid), "mappings");
	assert_non_null(maps);
	assert_int_equal(harness__u64(maps, "mmap_calls"), 2);
	assert_int_equal(harness__u64(maps, "munmap_calls"), 2);
	assert_int_equal(harness__u64(maps, "mremap_calls"), 1);
	assert_int_equal(harness__u64(maps, "brk_calls"), 0);
	/* 7 private and 2 shared pages mapped; 2 unmapped, 2 cut off by mremap */
	assert_int_equal(harness__u64(maps, "anon_mapped_bytes"), 9 * PG);
	assert_int_equal(harness__u64(maps, "anon_unmapped_bytes"), 4 * PG);
	assert_int_equal(harness__u64(maps, "anon_live_bytes"), 5 * PG);
	assert_int_equal(harness__u64(maps, "anon_peak_bytes"), 7 * PG);
	assert_int_equal(harness__u64(maps, "shared_mapped_bytes"), 2 * PG);
	assert_int_equal(harness__u64(maps, "file_mapped_bytes"), 0);
	assert_int_equal(harness__u64(maps, "failed_calls"), 0);
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_program),
		cmocka_unit_test(test_attach_running),
	};

	harness__require_bpf("mappings");
	return cmocka_run_group_tests_name("integration: mappings", tests, NULL, NULL);
}
