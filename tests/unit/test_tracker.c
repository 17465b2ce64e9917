// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tracker's process records from synthetic ring buffer records: a PID
 * used again after an exit, an exec's split, an idle fork child forgotten,
 * --max-exited folding, --max-live, when maps are read from /proc, and the
 * sites' allocation totals across an exec and across allocators.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "account/leaks.h"
#include "account/tracker.h"
#include "unit_helpers.h"

/* Above any pid_max (at most 2^22): /proc never has them. */
#define PID 0x7ffffff0u
#define PID2 0x7ffffff1u
#define PARENT 0x7ffffff8u

static uint64_t clock_ns = 1000000;

static void proc_record(struct tracker *t, uint16_t op, uint32_t pid, const char *comm)
{
	struct mt_proc_event e = { .kind = MT_REC_PROC, .op = op, .pid = pid, .tid = pid,
				   .ppid = PARENT, .ns_pid = pid, .ts_ns = clock_ns += 1000 };

	strncpy(e.comm, comm, sizeof(e.comm) - 1);
	unit__feed(t, &e, sizeof(e));
}

static void call_record(struct tracker *t, enum mt_func func, uint32_t pid, uint64_t addr,
			uint64_t size)
{
	unit__call(t, &(struct unit_call){ .func = func, .pid = pid, .tid = pid,
					   .ts_ns = clock_ns += 1000, .addr = addr, .size = size });
}

static int setup(void **state)
{
	static struct tracker t;

	*state = &t;
	return tracker__init(&t);
}

static int teardown(void **state)
{
	tracker__release(*state);
	return 0;
}

/* An exit record ends the process: the PID's next process is a record of its own. */
static void test_pid_reuse(void **state)
{
	struct tracker *t = *state;
	struct mt_process *first, *second;

	proc_record(t, MT_PROC_FORK, PID, "worker");
	call_record(t, MT_FN_MALLOC, PID, 0x1000, 100);
	proc_record(t, MT_PROC_EXIT, PID, "worker");
	proc_record(t, MT_PROC_FORK, PID, "worker");
	call_record(t, MT_FN_MALLOC, PID, 0x1000, 7);
	assert_int_equal(t->nr_procs, 2);
	first = t->procs[0];
	second = t->procs[1];
	assert_int_equal(first->end, PROCESS_EXITED);
	assert_true(first->exit_seen);
	assert_int_equal(first->c.allocs, 1);
	assert_int_equal(first->c.current_bytes, 100);
	/* its live table became its leak sites at the exit */
	assert_int_equal(first->live.n, 0);
	assert_int_equal(process__live_blocks(first), 1);
	assert_int_equal(first->left.sites[0].all.bytes, 100);
	assert_ptr_equal(tracker__process(t, PID), second);
	assert_int_equal(second->c.allocs, 1);
	assert_int_equal(second->c.current_bytes, 7);
	assert_int_equal(second->ppid, PARENT);
	assert_int_equal(t->totals.allocs, 2);
}

/* An exec: the old image ends with its blocks gone; the new one counts apart. */
static void test_exec_split(void **state)
{
	struct tracker *t = *state;
	struct mt_process *old, *img;

	proc_record(t, MT_PROC_FORK, PID, "launcher");
	call_record(t, MT_FN_MALLOC, PID, 0x1000, 300);
	call_record(t, MT_FN_MALLOC, PID, 0x2000, 30);
	call_record(t, MT_FN_FREE, PID, 0x2000, 0);
	proc_record(t, MT_PROC_EXEC, PID, "python3");
	call_record(t, MT_FN_MALLOC, PID, 0x1000, 5);
	assert_int_equal(t->nr_procs, 2);
	old = t->procs[0];
	img = t->procs[1];
	assert_int_equal(old->end, PROCESS_EXECED);
	assert_string_equal(old->comm, "launcher");
	assert_int_equal(old->exec_dropped_blocks, 1);
	assert_int_equal(old->exec_dropped_bytes, 300);
	assert_int_equal(old->c.current_bytes, 0);
	assert_int_equal(process__live_blocks(old), 0);
	assert_string_equal(img->comm, "python3");
	assert_ptr_equal(img->prev_image, old);
	assert_int_equal(img->c.allocs, 1);
	assert_int_equal(img->c.current_bytes, 5);
	/* the same address again is the new image's block, no unknown free or displacement */
	assert_int_equal(img->displaced.n, 0);
	assert_int_equal(t->totals.current_bytes, 5);
}

/*
 * An exec frees the old image's blocks at once: its sites' totals count
 * them freed, and the site is a freed site of the old image, not of the
 * new one that has its PID (and may have its stacks' ids).
 */
static void test_exec_freed_sites(void **state)
{
	static const uint64_t frames[] = { 0x401000 }, frames2[] = { 0x402000 };
	const struct leaks_opts opts = { .now_ns = clock_ns + 100000 };
	struct leak_report live, freed;
	struct tracker *t = *state;

	proc_record(t, MT_PROC_FORK, PID, "launcher");
	unit__stack(t, PID, 0xaa, 1, frames);
	unit__call(t, &(struct unit_call){ .func = MT_FN_MALLOC, .pid = PID, .tid = PID,
					   .ts_ns = clock_ns += 1000, .stack_id = 0xaa,
					   .addr = 0x1000, .size = 300 });
	unit__call(t, &(struct unit_call){ .func = MT_FN_MALLOC, .pid = PID, .tid = PID,
					   .ts_ns = clock_ns += 1000, .stack_id = 0xaa,
					   .addr = 0x2000, .size = 30 });
	call_record(t, MT_FN_FREE, PID, 0x2000, 0);
	proc_record(t, MT_PROC_EXEC, PID, "python3");
	unit__stack(t, PID, 0xbb, 1, frames2);
	unit__call(t, &(struct unit_call){ .func = MT_FN_MALLOC, .pid = PID, .tid = PID,
					   .ts_ns = clock_ns += 1000, .stack_id = 0xbb,
					   .addr = 0x1000, .size = 5 });
	assert_int_equal(t->nr_procs, 2);
	assert_int_equal(leaks__collect(t, &opts, &live), 0);
	assert_int_equal(leaks__collect_freed(t, &opts, &live, &freed), 0);
	assert_int_equal(live.n, 1);
	assert_ptr_equal(live.sites[0].process, t->procs[1]);
	assert_int_equal(live.sites[0].allocs, 1);
	assert_int_equal(live.sites[0].allocated_bytes, 5);
	assert_int_equal(live.sites[0].frees, 0);
	assert_int_equal(freed.n, 1);
	assert_ptr_equal(freed.sites[0].process, t->procs[0]);
	assert_int_equal(freed.sites[0].bytes, 0);
	assert_int_equal(freed.sites[0].allocs, 2);
	assert_int_equal(freed.sites[0].allocated_bytes, 330);
	/* one freed by the program, one by the exec */
	assert_int_equal(freed.sites[0].frees, 2);
	assert_int_equal(freed.sites[0].freed_bytes, 330);
	assert_int_equal(freed.sites[0].thread, 0);
	leaks__release(&live);
	leaks__release(&freed);
}

/* A call of allocator's from stack_id (MT_NO_STACK: none) on PID's main thread. */
static void alloc_call(struct tracker *t, enum mt_func func, uint8_t allocator, uint64_t stack_id,
		       uint64_t addr, uint64_t size)
{
	struct mt_event e = unit__call_event(&(struct unit_call){
		.func = func, .pid = PID, .tid = PID, .ts_ns = clock_ns += 1000,
		.stack_id = stack_id, .addr = addr, .size = size });

	e.allocator = allocator;
	unit__feed(t, &e, sizeof(e));
}

/*
 * One stack, two allocators (a call through a pointer), and no stack at
 * all (--stack=none) with two: each (allocator, stack) has its own totals.
 */
static void test_totals_by_allocator(void **state)
{
	static const uint64_t frames[] = { 0x401000 };
	const struct leaks_opts opts = { .now_ns = clock_ns + 100000 };
	struct leak_report live, freed;
	struct tracker *t = *state;

	proc_record(t, MT_PROC_FORK, PID, "app");
	unit__stack(t, PID, 0xcc, 1, frames);
	alloc_call(t, MT_FN_MALLOC, MT_ALLOC_LIBC, 0xcc, 0x3000, 10);
	alloc_call(t, MT_FN_FREE, MT_ALLOC_LIBC, MT_NO_STACK, 0x3000, 0);
	alloc_call(t, MT_FN_MALLOC, MT_ALLOC_CXX, 0xcc, 0x4000, 20);
	alloc_call(t, MT_FN_FREE, MT_ALLOC_CXX, MT_NO_STACK, 0x4000, 0);
	alloc_call(t, MT_FN_MALLOC, MT_ALLOC_CXX, 0xcc, 0x5000, 40);
	alloc_call(t, MT_FN_MALLOC, MT_ALLOC_LIBC, MT_NO_STACK, 0x6000, 7);
	alloc_call(t, MT_FN_FREE, MT_ALLOC_LIBC, MT_NO_STACK, 0x6000, 0);
	alloc_call(t, MT_FN_MALLOC, MT_ALLOC_CXX, MT_NO_STACK, 0x7000, 9);
	alloc_call(t, MT_FN_FREE, MT_ALLOC_CXX, MT_NO_STACK, 0x7000, 0);
	assert_int_equal(leaks__collect(t, &opts, &live), 0);
	assert_int_equal(leaks__collect_freed(t, &opts, &live, &freed), 0);
	assert_int_equal(live.n, 1);
	assert_string_equal(live.sites[0].allocator, "cxx");
	assert_int_equal(live.sites[0].allocs, 2);
	assert_int_equal(live.sites[0].allocated_bytes, 60);
	assert_int_equal(live.sites[0].frees, 1);
	assert_int_equal(live.sites[0].freed_bytes, 20);
	/* largest allocated first */
	assert_int_equal(freed.n, 3);
	assert_string_equal(freed.sites[0].allocator, "libc");
	assert_int_equal(freed.sites[0].stack, live.sites[0].stack);
	assert_int_equal(freed.sites[0].allocated_bytes, 10);
	assert_int_equal(freed.sites[0].allocs, 1);
	assert_string_equal(freed.sites[1].allocator, "cxx");
	assert_int_equal(freed.sites[1].stack, 0);
	assert_int_equal(freed.sites[1].allocated_bytes, 9);
	assert_string_equal(freed.sites[2].allocator, "libc");
	assert_int_equal(freed.sites[2].stack, 0);
	assert_int_equal(freed.sites[2].allocated_bytes, 7);
	assert_int_equal(freed.sites[2].frees, 1);
	/* --max-sites 1: the rest counted */
	leaks__keep_freed(&freed, 1);
	assert_int_equal(freed.n, 1);
	assert_int_equal(freed.omitted_sites, 2);
	assert_int_equal(freed.omitted_bytes, 16);
	assert_int_equal(freed.omitted_count, 2);
	leaks__release(&live);
	leaks__release(&freed);
}

/*
 * --sample-bytes 4096: a freed sampled block of 64 bytes stands for
 * 1 / (1 - e^(-64/4096)) = 64.5013 blocks, one of 8192 bytes for itself:
 * two of the first and one of the second are 130.0026 allocations of
 * 16448.17 bytes, an estimate.
 */
static void test_totals_sampled(void **state)
{
	static const uint64_t frames[] = { 0x401000 };
	const struct leaks_opts opts = { .now_ns = clock_ns + 100000, .sample_bytes = 4096 };
	struct leak_report live, freed;
	struct tracker *t = *state;

	t->sample_bytes = 4096;
	proc_record(t, MT_PROC_FORK, PID, "app");
	unit__stack(t, PID, 0xdd, 1, frames);
	alloc_call(t, MT_FN_MALLOC, MT_ALLOC_LIBC, 0xdd, 0x3000, 64);
	alloc_call(t, MT_FN_FREE, MT_ALLOC_LIBC, MT_NO_STACK, 0x3000, 0);
	alloc_call(t, MT_FN_MALLOC, MT_ALLOC_LIBC, 0xdd, 0x3000, 64);
	alloc_call(t, MT_FN_FREE, MT_ALLOC_LIBC, MT_NO_STACK, 0x3000, 0);
	alloc_call(t, MT_FN_MALLOC, MT_ALLOC_LIBC, 0xdd, 0x4000, 8192);
	alloc_call(t, MT_FN_FREE, MT_ALLOC_LIBC, MT_NO_STACK, 0x4000, 0);
	/* not sampled: in no site */
	alloc_call(t, MT_FN_MALLOC, MT_ALLOC_LIBC, MT_NO_STACK, 0x5000, 16);
	alloc_call(t, MT_FN_FREE, MT_ALLOC_LIBC, MT_NO_STACK, 0x5000, 0);
	assert_int_equal(leaks__collect(t, &opts, &live), 0);
	assert_int_equal(leaks__collect_freed(t, &opts, &live, &freed), 0);
	assert_int_equal(live.n, 0);
	assert_int_equal(freed.n, 1);
	assert_true(freed.sites[0].estimated);
	assert_int_equal(freed.sites[0].allocs, 130);
	assert_int_equal(freed.sites[0].allocated_bytes, 16448);
	assert_int_equal(freed.sites[0].frees, 130);
	assert_int_equal(freed.sites[0].freed_bytes, 16448);
	/* the lifetimes count the sampled blocks themselves */
	assert_int_equal(freed.sites[0].freed_count_raw, 3);
	leaks__release(&live);
	leaks__release(&freed);
}

/* A fork child that only exec-ed leaves no record of its own image before the exec. */
static void test_idle_child_forgotten(void **state)
{
	struct tracker *t = *state;

	proc_record(t, MT_PROC_FORK, PID, "sh");
	proc_record(t, MT_PROC_EXEC, PID, "ls");
	call_record(t, MT_FN_MALLOC, PID, 0x1000, 9);
	proc_record(t, MT_PROC_EXIT, PID, "ls");
	proc_record(t, MT_PROC_FORK, PID2, "sh");
	proc_record(t, MT_PROC_EXIT, PID2, "sh");
	assert_int_equal(t->nr_procs, 1);
	assert_string_equal(t->procs[0]->comm, "ls");
	assert_null(t->procs[0]->prev_image);
	assert_null(tracker__latest(t, PID2));
}

/* --max-exited 1: the older of two ended records is summed up and freed. */
static void test_fold(void **state)
{
	struct tracker *t = *state;

	t->max_exited = 1;
	proc_record(t, MT_PROC_FORK, PID, "a");
	call_record(t, MT_FN_MALLOC, PID, 0x1000, 40);
	proc_record(t, MT_PROC_FORK, PID2, "b");
	call_record(t, MT_FN_MALLOC, PID2, 0x1000, 2);
	call_record(t, MT_FN_MALLOC, PID2, 0x2000, 3);
	proc_record(t, MT_PROC_EXIT, PID, "a");
	proc_record(t, MT_PROC_EXIT, PID2, "b");
	assert_int_equal(t->nr_procs, 1);
	assert_string_equal(t->procs[0]->comm, "b");
	assert_int_equal(t->folded.processes, 1);
	assert_int_equal(t->folded.c.allocs, 1);
	assert_int_equal(t->folded.c.current_bytes, 40);
	assert_int_equal(t->folded.live_blocks, 1);
	assert_int_equal(t->folded.by_allocator.a[MT_ALLOC_LIBC].alloc_bytes, 40);
	assert_null(tracker__latest(t, PID));
}

/* --max-live 3: five allocations, two of them counted but not kept, until a free makes room. */
static void test_max_live(void **state)
{
	struct tracker *t = *state;
	struct mt_process *p;

	t->live_cap.max = 3;
	proc_record(t, MT_PROC_FORK, PID, "big");
	for (uint64_t i = 0; i < 5; i++)
		call_record(t, MT_FN_MALLOC, PID, 0x1000 * (i + 1), 10 + i);
	p = tracker__process(t, PID);
	assert_int_equal(p->live.n, 3);
	assert_int_equal(t->live_cap.live, 3);
	assert_int_equal(p->untracked_blocks, 2);
	assert_int_equal(p->untracked_bytes, 13 + 14);
	assert_int_equal(t->live_cap.untracked_bytes, 13 + 14);
	assert_int_equal(p->c.allocs, 5);
	assert_int_equal(p->c.allocated_bytes, 10 + 11 + 12 + 13 + 14);
	assert_int_equal(p->c.current_bytes, 10 + 11 + 12);
	/* an untracked block's free is unknown; a tracked one's makes room */
	call_record(t, MT_FN_FREE, PID, 0x5000, 0);
	call_record(t, MT_FN_FREE, PID, 0x1000, 0);
	assert_int_equal(p->c.unknown_frees, 1);
	assert_int_equal(t->live_cap.live, 2);
	call_record(t, MT_FN_MALLOC, PID, 0x9000, 99);
	assert_int_equal(p->live.n, 3);
	assert_int_equal(p->untracked_blocks, 2);
	/* its exit takes its blocks out of the count */
	proc_record(t, MT_PROC_EXIT, PID, "big");
	assert_int_equal(t->live_cap.live, 0);
}

/* This process as a fork record made it: its PID, and its start as /proc has it. */
static struct mt_process *fork_self(struct tracker *t)
{
	struct mt_proc_event e = { .kind = MT_REC_PROC, .op = MT_PROC_FORK, .ppid = PARENT,
				   .ts_ns = clock_ns += 1000 };
	long ticks = sysconf(_SC_CLK_TCK);
	uint64_t start;

	e.pid = e.tid = e.ns_pid = (uint32_t)getpid();
	assert_int_equal(process__read_start_time(e.pid, &start), 0);
	e.start_boottime = start * (1000000000ULL / (uint64_t)ticks);
	strcpy(e.comm, "self");
	unit__feed(t, &e, sizeof(e));
	return tracker__process(t, e.pid);
}

static void stack_record(struct tracker *t, uint32_t pid, uint64_t frame)
{
	struct mt_stack_record r = { .kind = MT_REC_STACK, .nr_frames = 1, .pid = pid,
				     .stack_id = 42 };

	r.frames[0] = frame;
	unit__feed(t, &r, sizeof(r));
}

/*
 * A stack in code its maps do not cover: a record whose mappings the
 * kernel's mapping records follow is not re-read from /proc (which may show
 * the image of a later exec by then); one they do not follow is.
 */
static void test_followed_maps_not_read(void **state)
{
	struct tracker *t = *state;
	struct mt_process *p;

	t->maps_followed = true;
	p = fork_self(t);
	assert_non_null(p);
	assert_true(p->maps_followed);
	stack_record(t, p->pid, (uint64_t)(uintptr_t)test_followed_maps_not_read);
	assert_int_equal(p->maps.n, 0);
	assert_int_equal(p->maps_read_ns, 0);

	/* its exit; the same process again, not followed */
	proc_record(t, MT_PROC_EXIT, p->pid, "self");
	t->maps_followed = false;
	p = fork_self(t);
	assert_non_null(p);
	stack_record(t, p->pid, (uint64_t)(uintptr_t)test_followed_maps_not_read);
	assert_non_null(proc_maps__find(&p->maps, (uint64_t)(uintptr_t)test_followed_maps_not_read));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pid_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_freed_sites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totals_by_allocator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totals_sampled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_child_forgotten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_followed_maps_not_read, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
