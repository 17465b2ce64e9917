// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The record dispatcher with hand-made records: each kind reaches what
 * applies it, a record too short for its kind or of a kind not known is
 * counted and not read, and a record of a PID not traced finds its process
 * the one way (a stray, or -a's new process).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "account/gc_stats.h"
#include "account/gpu_accounting.h"
#include "account/mapping_accounting.h"
#include "account/tracker.h"
#include "ingest/dispatch.h"

/* Above any pid_max (at most 2^22): /proc has none of them. */
#define PID 0x7ffffff0u
#define CHILD 0x7ffffff1u
#define OTHER 0x7ffffff2u
#define STACK_ID 0x1234ULL
#define ADDR 0x10000ULL

struct fixture {
	struct tracker t;
	struct dispatch d;
	struct mt_process *p;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(tracker__init(&fx->t), 0);
	fx->d.tracker = &fx->t;
	fx->p = tracker__add_process(&fx->t, PID);
	assert_non_null(fx->p);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	tracker__release(&fx->t);
	free(fx);
	return 0;
}

static void send(struct fixture *fx, const void *rec, size_t size)
{
	assert_int_equal(dispatch__record(&fx->d, (void *)rec, size), 0);
	assert_int_equal(fx->t.err, 0);
}

static struct mt_event call(uint32_t pid, uint64_t addr)
{
	struct mt_event e = { .kind = MT_REC_CALL, .func = MT_FN_MALLOC, .pid = pid, .tid = pid,
			      .ts_ns = 1000 };

	e.call.addr = addr;
	e.call.size = 32;
	return e;
}

/* Too short for a header, or for the kind it names: counted, never read. */
static void test_short_records(void **state)
{
	struct fixture *fx = *state;
	struct mt_event e = call(PID, ADDR);
	struct mt_stack_dump *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	send(fx, &e, 0);
	send(fx, &e, sizeof(struct mt_record_header) - 1);
	send(fx, &e, sizeof(e) - 1);
	d->kind = MT_REC_STACK_DUMP;
	d->pid = PID;
	d->tid = PID;
	send(fx, d, sizeof(*d) - 1);
	assert_int_equal(fx->d.short_records, 4);
	assert_int_equal(fx->d.unknown_records, 0);
	assert_int_equal(fx->t.records, 4);
	assert_int_equal(fx->p->c.allocs, 0);
	assert_int_equal(fx->p->nr_threads, 0);
	free(d);
}

/* A kind this build does not know: counted whatever its size, never read. */
static void test_unknown_kinds(void **state)
{
	struct fixture *fx = *state;
	struct mt_event e = call(PID, ADDR);

	e.kind = 0;
	send(fx, &e, sizeof(e));
	e.kind = MT_REC_MMAP + 1;
	send(fx, &e, sizeof(e));
	e.kind = 0xffff;
	send(fx, &e, sizeof(struct mt_record_header));
	assert_int_equal(fx->d.unknown_records, 3);
	assert_int_equal(fx->d.short_records, 0);
	assert_int_equal(fx->p->c.allocs, 0);
}

static void test_call(void **state)
{
	struct fixture *fx = *state;
	struct mt_event e = call(PID, ADDR);

	send(fx, &e, sizeof(e));
	assert_int_equal(fx->p->c.allocs, 1);
	assert_int_equal(fx->t.totals.allocs, 1);
}

static void test_thread_exit(void **state)
{
	struct fixture *fx = *state;
	struct mt_event e = { .kind = MT_REC_THREAD_EXIT, .pid = PID, .tid = PID };

	strcpy(e.comm, "worker");
	send(fx, &e, sizeof(e));
	assert_int_equal(fx->p->nr_threads, 1);
	assert_true(fx->p->threads[0].exited);
	assert_string_equal(fx->p->comm, "worker");
}

static void test_stack(void **state)
{
	struct fixture *fx = *state;
	struct mt_stack_record rec = { .kind = MT_REC_STACK, .nr_frames = 2, .pid = PID,
				       .stack_id = STACK_ID, .frames = { 0x401000, 0x402000 } };
	int64_t idx;

	/* the maps were read: a real frame outside them would re-read them */
	fx->p->maps_read_ns = 1;
	send(fx, &rec, sizeof(rec));
	idx = stack_table__intern(&fx->t.stacks, STACK_ID);
	assert_true(idx > 0);
	assert_true(fx->t.stacks.stacks[idx].received);
	assert_int_equal(fx->t.stacks.stacks[idx].nr_frames, 2);
}

static void test_step(void **state)
{
	struct fixture *fx = *state;
	struct mt_event e = { .kind = MT_REC_STEP, .pid = PID, .tid = PID, .ts_ns = 5000 };

	send(fx, &e, sizeof(e));
	assert_int_equal(fx->p->steps, 1);
	assert_int_equal(fx->p->last_step_ns, 5000);
}

/* No CFI for a process /proc does not have: the caller is the word at the stack pointer. */
static void test_stack_dump(void **state)
{
	struct fixture *fx = *state;
	struct mt_stack_dump *d = calloc(1, sizeof(*d));
	uint64_t caller = 0x401234;

	assert_non_null(d);
	d->kind = MT_REC_STACK_DUMP;
	d->pid = PID;
	d->tid = PID;
	d->dump_id = MT_STACK_DUMP_FLAG | 7;
	d->stack_base = 0x7ff000;
	d->regs[7] = d->stack_base;
	d->size = sizeof(caller);
	memcpy(d->stack, &caller, sizeof(caller));
	send(fx, d, sizeof(*d));
	assert_int_equal(fx->p->nr_threads, 1);
	assert_int_equal(fx->p->threads[0].dump_id, d->dump_id);
	assert_true(fx->p->threads[0].dump_stack > 0);
	free(d);
}

static void test_gpu(void **state)
{
	struct fixture *fx = *state;
	struct mt_gpu_event e = { .kind = MT_REC_GPU, .func = MT_GPU_CU_MEM_ALLOC, .pid = PID,
				  .tid = PID, .ts_ns = 1000, .addr = ADDR, .size = 4096,
				  .device = MT_GPU_DEVICE_UNKNOWN };

	send(fx, &e, sizeof(e));
	assert_non_null(fx->p->gpu);
	assert_int_equal(fx->p->gpu->live_bytes, 4096);
}

static void test_gc(void **state)
{
	struct fixture *fx = *state;
	struct mt_gc_event e = { .kind = MT_REC_GC, .phase = MT_GC_START, .runtime = MT_GC_PYTHON,
				 .pid = PID, .tid = PID, .ts_ns = 1000, .collected = -1 };

	send(fx, &e, sizeof(e));
	assert_non_null(fx->p->gc);
}

static void test_lifecycle(void **state)
{
	struct fixture *fx = *state;
	struct mt_proc_event e = { .kind = MT_REC_PROC, .op = MT_PROC_FORK, .pid = CHILD,
				   .tid = CHILD, .ppid = PID, .ts_ns = 1000 };

	send(fx, &e, sizeof(e));
	assert_non_null(tracker__process(&fx->t, CHILD));
	assert_int_equal(tracker__process(&fx->t, CHILD)->ppid, PID);
}

static void test_mmap(void **state)
{
	struct fixture *fx = *state;
	struct mt_mmap_event e = { .kind = MT_REC_MMAP, .op = MT_MMAP_OP_MMAP, .pid = PID,
				   .tid = PID, .fd = -1, .backing = MT_MMAP_B_ANON, .len = 4096,
				   .result = 0x7f0000000000LL };

	send(fx, &e, sizeof(e));
	assert_non_null(fx->p->mappings);
	assert_int_equal(fx->p->mappings->stats.mmap_calls, 1);
	assert_int_equal(fx->d.short_records + fx->d.unknown_records, 0);
}

/* Without -a, a PID not traced is a stray, whatever the kind. */
static void test_stray(void **state)
{
	struct fixture *fx = *state;
	struct mt_event e = call(OTHER, ADDR);
	struct mt_gc_event gc = { .kind = MT_REC_GC, .phase = MT_GC_START, .pid = OTHER };

	send(fx, &e, sizeof(e));
	send(fx, &gc, sizeof(gc));
	assert_int_equal(fx->t.stray_records, 2);
	assert_null(tracker__process(&fx->t, OTHER));
}

/* -a: a call makes the process of a PID first seen; a step alone does not. */
static void test_create_on_sight(void **state)
{
	struct fixture *fx = *state;
	struct mt_event step = { .kind = MT_REC_STEP, .pid = OTHER, .tid = OTHER };
	struct mt_event e = call(OTHER, ADDR);
	struct mt_process *p;

	fx->t.create_on_sight = true;
	send(fx, &step, sizeof(step));
	assert_null(tracker__process(&fx->t, OTHER));
	send(fx, &e, sizeof(e));
	p = tracker__process(&fx->t, OTHER);
	assert_non_null(p);
	assert_true(p->joined);
	assert_int_equal(p->c.allocs, 1);
	assert_int_equal(fx->t.stray_records, 0);
}

/* The counts land in the summary after the kernel's reasons. */
static void test_read_drops(void **state)
{
	struct fixture *fx = *state;
	uint64_t drops[RUN_DROP_COUNT] = {};

	fx->d.short_records = 2;
	fx->d.unknown_records = 3;
	dispatch__read_drops(&fx->d, drops);
	assert_int_equal(drops[RUN_DROP_SHORT_RECORD], 2);
	assert_int_equal(drops[RUN_DROP_UNKNOWN_RECORD], 3);
	for (int i = 0; i < MT_DROP_COUNT; i++)
		assert_int_equal(drops[i], 0);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_short_records),
		TEST(test_unknown_kinds),
		TEST(test_call),
		TEST(test_thread_exit),
		TEST(test_stack),
		TEST(test_step),
		TEST(test_stack_dump),
		TEST(test_gpu),
		TEST(test_gc),
		TEST(test_lifecycle),
		TEST(test_mmap),
		TEST(test_stray),
		TEST(test_create_on_sight),
		TEST(test_read_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
