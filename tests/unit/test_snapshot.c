// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The snapshot and the text report of a run built from hand-made ring
 * buffer records: the JSON is parsed back with jansson and checked value by
 * value, the report line by line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dlfcn.h>
#include <jansson.h>
#include <linux/types.h>
#include <memtrace/python.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/diff.h"
#include "compare/diff_report.h"
#include "compare/snapshot_reader.h"
#include "output/report.h"
#include "output/snapshot.h"
#include "py_fake.h"
#include "symbolize/py_proc.h"
#include "unit_helpers.h"

/* Above any pid_max: /proc has none of them, so no maps and no names. */
#define PID	0x7ffffff0u
#define PID2	0x7ffffff1u
#define PID_OFF 0x7ffffff9u /* never added: its records are strays */
#define T1	PID
#define T2	0x7ffffff2u

#define S1 0x1111111111ULL /* 3 blocks of 1000, frames nowhere */
#define S2 0x2222222222ULL /* 5000 + a realloc'd 128 */
#define S3 0x3333333333ULL /* its record never arrives */
#define S4 0x4444444444ULL /* PID2's */
#define S5 0x5555555555ULL /* this test's own process */
#define S6 0x6666666666ULL /* this test's own process, as a fake Python */

#define NS 1000000000ULL

/* Everything live is a leak candidate; ages count to the report's now (w->s.now_ns). */
static const struct leaks_opts all_live = { .now_ns = 10 * NS };

/* bytes with a control character at each end of the range and a two-byte UTF-8 letter */
#define ODD_COMM "w\x01\xc3\xb6\x1fk"

struct world {
	struct tracker t;
	struct run_summary s;
	char *text;
	size_t len;
	json_t *root;
};

/* A call of 100 ns. */
static void call(struct tracker *t, enum mt_func func, uint32_t pid, uint32_t tid, uint64_t ts,
		 uint64_t stack_id, uint64_t addr, uint64_t size, uint64_t old_addr)
{
	unit__call(t, &(struct unit_call){ .func = func, .pid = pid, .tid = tid, .ts_ns = ts,
					   .duration_ns = 100, .stack_id = stack_id, .addr = addr,
					   .size = size, .old_addr = old_addr });
}

static void thread_exit(struct tracker *t, uint32_t pid, uint32_t tid, const char *comm)
{
	struct mt_event e;

	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_THREAD_EXIT;
	e.pid = pid;
	e.tid = tid;
	strncpy(e.comm, comm, sizeof(e.comm) - 1);
	unit__feed(t, &e, sizeof(e));
}

/*
 * The run, in record order. Running totals for PID: 5000, 6000, 7000,
 * 8000, 8100, 8200, 8210, 8910 (its peak), 8210, 8274, 8210, 8338.
 */
static void run(struct tracker *t)
{
	static const uint64_t nowhere1[] = { 0x10, 0x20, 0x30 };
	static const uint64_t nowhere2[] = { 0xdead0 };
	static const uint64_t nowhere4[] = { 0xbeef0, 0xbeef8 };

	unit__stack(t, PID, S1, 3, nowhere1);
	unit__stack(t, PID, S2, 1, nowhere2);
	unit__stack(t, PID2, S4, 2, nowhere4);
	call(t, MT_FN_MALLOC, PID, T1, 1 * NS, S2, 0x1000, 5000, 0);
	call(t, MT_FN_MALLOC, PID, T1, 2 * NS, S1, 0x2000, 1000, 0);
	call(t, MT_FN_CALLOC, PID, T1, 3 * NS, S1, 0x3000, 1000, 0);
	call(t, MT_FN_MALLOC, PID, T1, 4 * NS, S1, 0x4000, 1000, 0);
	call(t, MT_FN_MALLOC, PID, T2, 5 * NS, S3, 0x5000, 100, 0);
	call(t, MT_FN_MALLOC, PID, T2, 6 * NS, S3, 0x6000, 100, 0);
	call(t, MT_FN_MALLOC, PID, T2, 7 * NS, MT_NO_STACK, 0x7000, 10, 0);
	call(t, MT_FN_MALLOC, PID, T2, 7 * NS + 100, S1, 0x8000, 700, 0);
	/* T2's block, freed by T1: still T2's free */
	call(t, MT_FN_FREE, PID, T1, 7 * NS + 200, MT_NO_STACK, 0x8000, 0, 0);
	call(t, MT_FN_FREE, PID, T1, 7 * NS + 300, MT_NO_STACK, 0x9990, 0, 0);
	call(t, MT_FN_MALLOC, PID, T1, 7 * NS + 400, S2, 0, 1ULL << 40, 0);
	call(t, MT_FN_MALLOC, PID, T1, 7 * NS + 500, S2, 0xa000, 64, 0);
	call(t, MT_FN_REALLOC, PID, T1, 8 * NS, S2, 0xb000, 128, 0xa000);
	thread_exit(t, PID, T2, "worker-2");
	/* the same address in another process is another block */
	call(t, MT_FN_MALLOC, PID2, PID2, 8 * NS + NS / 2, S4, 0x1000, 4000, 0);
	call(t, MT_FN_MALLOC, PID_OFF, PID_OFF, 9 * NS, S1, 0xc000, 1, 0);
}

static int setup(void **state)
{
	static char *command[] = { "./prog", "a b", NULL };
	struct world *w = calloc(1, sizeof(*w));
	struct mt_process *p;

	if (!w)
		return -1;
	*state = w;
	if (tracker__init(&w->t))
		return -1;
	if (!tracker__add_process(&w->t, PID) || !tracker__add_process(&w->t, PID2))
		return -1;
	run(&w->t);
	p = tracker__process(&w->t, PID);
	/* names are what /proc would give; set by hand, with bytes a JSON writer must escape */
	memcpy(p->comm, ODD_COMM, sizeof(ODD_COMM));
	memcpy(p->threads[0].comm, ODD_COMM, sizeof(ODD_COMM));
	strcpy(tracker__process(&w->t, PID2)->comm, "second");

	w->s.tracker = &w->t;
	w->s.stack_mode = MT_STACK_FP; /* the default --stack */
	w->s.sym = symbolizer__new();
	if (!w->s.sym || leaks__collect(&w->t, &all_live, &w->s.leaks))
		return -1;
	w->s.started_at.tv_sec = 1700000000; /* 2023-11-14 22:13:20 UTC */
	w->s.started_at.tv_nsec = 123456789;
	w->s.duration_s = 2.5;
	w->s.now_ns = 10 * NS;
	w->s.command = command;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	if (!w)
		return 0;
	json_decref(w->root);
	free(w->text);
	leaks__release(&w->s.leaks);
	symbolizer__free(w->s.sym);
	tracker__release(&w->t);
	free(w);
	return 0;
}

static const char *write_snapshot(struct world *w)
{
	unit__snapshot(&w->s, &w->text, &w->len, &w->root);
	return w->text;
}

static const char *write_report(struct world *w, int top)
{
	return unit__report(&w->s, top, &w->text, &w->len);
}

static const char *get_str(json_t *obj, const char *key)
{
	json_t *v = unit__get(obj, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void assert_null_at(json_t *obj, const char *key)
{
	assert_true(json_is_null(unit__get(obj, key)));
}

#define assert_counters(obj, ...)                                                           \
	unit__check_json_counters((obj), &(const struct mt_counters){ __VA_ARGS__ }, #obj,  \
				  __FILE__, __LINE__)

static void test_tracker_state(void **state)
{
	struct world *w = *state;

	/* 3 stacks, 14 calls, 1 thread exit, the stray call */
	assert_int_equal(w->t.records, 19);
	assert_int_equal(w->t.stray_records, 1);
	assert_int_equal(w->t.err, 0);
	assert_int_equal(w->t.nr_procs, 2);
	assert_null(tracker__process(&w->t, PID_OFF));
	/* the no-stack entry, S1, S2, S4 and the placeholder for S3 */
	assert_int_equal(w->t.stacks.n, 5);
	assert_int_equal(w->s.leaks.n, 5);
}

static void test_header(void **state)
{
	struct world *w = *state;
	json_t *tool, *cmd, *drops;
	const char *at;

	write_snapshot(w);
	assert_string_equal(get_str(w->root, "schema"), "memtrace.snapshot.v1");
	tool = unit__get(w->root, "tool");
	assert_string_equal(get_str(tool, "name"), "memtrace");
	assert_string_equal(get_str(tool, "version"), MEMTRACE_VERSION);
	assert_int_equal(json_object_size(tool), 2);

	at = get_str(w->root, "started_at");
	/* YYYY-MM-DDTHH:MM:SS.mmmZ */
	assert_int_equal(strlen(at), 24);
	for (size_t i = 0; i < 24; i++) {
		static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

		if (shape[i] == 'd')
			assert_true(isdigit((unsigned char)at[i]));
		else
			assert_int_equal(at[i], shape[i]);
	}
	assert_string_equal(at, "2023-11-14T22:13:20.123Z");
	assert_true(json_is_number(unit__get(w->root, "duration_s")));
	assert_true(json_number_value(unit__get(w->root, "duration_s")) == 2.5);

	cmd = unit__get_array(w->root, "command", 2);
	assert_string_equal(json_string_value(json_array_get(cmd, 0)), "./prog");
	assert_string_equal(json_string_value(json_array_get(cmd, 1)), "a b");

	assert_int_equal(unit__get_u64(w->root, "lost_events"), 0);
	assert_int_equal(unit__get_u64(w->root, "lost_stacks"), 0);
	drops = unit__get(w->root, "drops");
	assert_int_equal(json_object_size(drops), RUN_DROP_COUNT);
	assert_int_equal(unit__get_u64(drops, "ringbuf_full"), 0);
	assert_int_equal(unit__get_u64(drops, "stack_unwind_error"), 0);
}

/* The milliseconds are cut from the nanoseconds, and the date is UTC. */
static void test_started_at_edges(void **state)
{
	struct world *w = *state;

	w->s.started_at.tv_sec = 0;
	w->s.started_at.tv_nsec = 999999999;
	write_snapshot(w);
	assert_string_equal(get_str(w->root, "started_at"), "1970-01-01T00:00:00.999Z");
	w->s.started_at.tv_sec = 951782400; /* a leap day */
	w->s.started_at.tv_nsec = 0;
	write_snapshot(w);
	assert_string_equal(get_str(w->root, "started_at"), "2000-02-29T00:00:00.000Z");
}

/* Attach mode has no command: the key is left out, not written as null. */
static void test_no_command(void **state)
{
	struct world *w = *state;

	w->s.command = NULL;
	write_snapshot(w);
	assert_null(json_object_get(w->root, "command"));
}

static void test_lost_events(void **state)
{
	struct world *w = *state;
	json_t *drops;

	w->s.drops[MT_DROP_RINGBUF_FULL] = 3;
	w->s.drops[MT_DROP_CALL_MAP_FULL] = 5;
	w->s.drops[MT_DROP_MISSED_ENTRY] = 7;
	w->s.drops[MT_DROP_STACK_RINGBUF] = 11;
	w->s.drops[MT_DROP_STACK_ERROR] = 13;
	write_snapshot(w);
	/* stack losses are not lost events: the calls themselves were counted */
	assert_int_equal(unit__get_u64(w->root, "lost_events"), 15);
	assert_int_equal(unit__get_u64(w->root, "lost_stacks"), 24);
	drops = unit__get(w->root, "drops");
	assert_int_equal(unit__get_u64(drops, "ringbuf_full"), 3);
	assert_int_equal(unit__get_u64(drops, "call_map_full"), 5);
	assert_int_equal(unit__get_u64(drops, "missed_entry"), 7);
	assert_int_equal(unit__get_u64(drops, "stack_ringbuf_full"), 11);
	assert_int_equal(unit__get_u64(drops, "stack_unwind_error"), 13);
}

static void test_counters(void **state)
{
	struct world *w = *state;
	json_t *procs, *p, *q, *threads;

	write_snapshot(w);
	assert_counters(unit__get(w->root, "totals"), .current_bytes = 12338, .peak_bytes = 12338,
			.allocs = 11, .frees = 2, .reallocs = 1, .failed_allocs = 1,
			.allocated_bytes = 13102, .freed_bytes = 764, .unknown_frees = 1);

	procs = unit__get_array(w->root, "processes", 2);
	p = json_array_get(procs, 0);
	assert_int_equal(unit__get_u64(p, "pid"), PID);
	assert_null_at(p, "exe");
	assert_true(json_is_false(unit__get(p, "exited")));
	assert_int_equal(unit__get_u64(p, "live_blocks"), 8);
	assert_counters(p, .current_bytes = 8338, .peak_bytes = 8910, .allocs = 10, .frees = 2,
			.reallocs = 1, .failed_allocs = 1, .allocated_bytes = 9102,
			.freed_bytes = 764, .unknown_frees = 1);

	threads = unit__get_array(p, "threads", 2);
	assert_int_equal(unit__get_u64(json_array_get(threads, 0), "tid"), T1);
	assert_true(json_is_false(unit__get(json_array_get(threads, 0), "exited")));
	assert_counters(json_array_get(threads, 0), .current_bytes = 8128, .peak_bytes = 8128,
			.allocs = 6, .frees = 1, .reallocs = 1, .failed_allocs = 1,
			.allocated_bytes = 8192, .freed_bytes = 64, .unknown_frees = 1);
	assert_int_equal(unit__get_u64(json_array_get(threads, 1), "tid"), T2);
	assert_string_equal(get_str(json_array_get(threads, 1), "comm"), "worker-2");
	assert_true(json_is_true(unit__get(json_array_get(threads, 1), "exited")));
	assert_counters(json_array_get(threads, 1), .current_bytes = 210, .peak_bytes = 910,
			.allocs = 4, .frees = 1, .allocated_bytes = 910, .freed_bytes = 700);

	q = json_array_get(procs, 1);
	assert_int_equal(unit__get_u64(q, "pid"), PID2);
	assert_string_equal(get_str(q, "comm"), "second");
	assert_int_equal(unit__get_u64(q, "live_blocks"), 1);
	assert_counters(q, .current_bytes = 4000, .peak_bytes = 4000, .allocs = 1,
			.allocated_bytes = 4000);
	unit__get_array(q, "threads", 1);
}

static void assert_libc_only(json_t *obj, uint64_t calls, uint64_t alloc_bytes,
			     uint64_t live_bytes, uint64_t live_blocks)
{
	json_t *a = json_array_get(unit__get_array(obj, "allocators", 1), 0);

	assert_string_equal(get_str(a, "name"), "libc");
	assert_int_equal(unit__get_u64(a, "calls"), calls);
	assert_int_equal(unit__get_u64(a, "alloc_bytes"), alloc_bytes);
	assert_int_equal(unit__get_u64(a, "live_bytes"), live_bytes);
	assert_int_equal(unit__get_u64(a, "live_blocks"), live_blocks);
	assert_int_equal(json_object_size(a), 5);
}

/* By allocator: only the ones used (here libc alone); the run's is the sum of its processes'. */
static void test_allocators(void **state)
{
	struct world *w = *state;
	json_t *procs;

	write_snapshot(w);
	procs = unit__get_array(w->root, "processes", 2);
	/* 13 calls: 10 allocations (one failed), 2 frees, 1 realloc */
	assert_libc_only(json_array_get(procs, 0), 13, 9102, 8338, 8);
	assert_libc_only(json_array_get(procs, 1), 1, 4000, 4000, 1);
	assert_libc_only(w->root, 14, 13102, 12338, 9);
}

/* Only non-empty buckets, in order, each with its inclusive upper bound. */
static void test_size_histogram(void **state)
{
	static const uint64_t want[][2] = {
		{ 16, 1 },	/* 10 */
		{ 64, 1 },	/* 64 */
		{ 128, 3 },	/* 100, 100, 128 */
		{ 1024, 4 },	/* 1000 x3, 700 */
		{ 8192, 1 },	/* 5000 */
	};
	struct world *w = *state;
	json_t *procs, *h;

	write_snapshot(w);
	procs = unit__get_array(w->root, "processes", 2);
	h = unit__get_array(json_array_get(procs, 0), "size_histogram", 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(unit__get_u64(json_array_get(h, i), "le"), want[i][0]);
		assert_int_equal(unit__get_u64(json_array_get(h, i), "count"), want[i][1]);
		assert_int_equal(json_object_size(json_array_get(h, i)), 2);
	}
	h = unit__get_array(json_array_get(procs, 1), "size_histogram", 1);
	assert_int_equal(unit__get_u64(json_array_get(h, 0), "le"), 4096);
	assert_int_equal(unit__get_u64(json_array_get(h, 0), "count"), 1);
}

static void test_comm_round_trip(void **state)
{
	struct world *w = *state;
	json_t *p, *v;
	const char *text;

	text = write_snapshot(w);
	p = json_array_get(unit__get_array(w->root, "processes", 2), 0);
	v = unit__get(p, "comm");
	assert_true(json_is_string(v));
	assert_int_equal(json_string_length(v), strlen(ODD_COMM));
	assert_memory_equal(json_string_value(v), ODD_COMM, strlen(ODD_COMM));
	v = unit__get(json_array_get(unit__get(p, "threads"), 0), "comm");
	assert_string_equal(json_string_value(v), ODD_COMM);
	/* escaped on the way, never written raw */
	assert_non_null(strstr(text, "\\u0001"));
	assert_non_null(strstr(text, "\\u001f"));
	assert_null(memchr(text, '\x01', w->len));
	assert_null(memchr(text, '\x1f', w->len));
}

static void assert_leak(json_t *leak, uint32_t pid, uint64_t bytes, uint64_t count, double age,
			bool stack_lost, bool truncated, size_t frames)
{
	assert_int_equal(unit__get_u64(leak, "pid"), pid);
	assert_string_equal(get_str(leak, "allocator"), "libc");
	assert_int_equal(unit__get_u64(leak, "bytes"), bytes);
	assert_int_equal(unit__get_u64(leak, "count"), count);
	assert_true(json_is_number(unit__get(leak, "oldest_age_s")));
	assert_true(json_number_value(unit__get(leak, "oldest_age_s")) == age);
	assert_int_equal(json_is_true(unit__get(leak, "stack_lost")), stack_lost);
	assert_int_equal(json_is_true(unit__get(leak, "truncated")), truncated);
	assert_true(json_is_boolean(unit__get(leak, "stack_lost")));
	assert_true(json_is_boolean(unit__get(leak, "truncated")));
	unit__get_array(leak, "stack", frames);
}

/* A frame outside every mapping: the address alone, no name and no module. */
static void assert_unnamed_frame(json_t *frame, const char *ip)
{
	assert_string_equal(get_str(frame, "ip"), ip);
	assert_null_at(frame, "symbol");
	assert_null_at(frame, "linkage_name");
	assert_null_at(frame, "offset");
	assert_null_at(frame, "module");
	assert_null(json_object_get(frame, "module_offset"));
	assert_null_at(frame, "file");
	assert_null_at(frame, "line");
	assert_true(json_is_false(unit__get(frame, "inlined")));
}

static void test_leaks(void **state)
{
	struct world *w = *state;
	json_t *leaks, *l;

	write_snapshot(w);
	leaks = unit__get_array(w->root, "leaks", 5);
	/* largest first; the realloc'd block joined its stack's site */
	l = json_array_get(leaks, 0);
	assert_leak(l, PID, 5128, 2, 9.0, false, false, 1);
	assert_unnamed_frame(json_array_get(unit__get(l, "stack"), 0), "0xdead0");
	l = json_array_get(leaks, 1);
	assert_leak(l, PID2, 4000, 1, 1.5, false, true, 1);
	assert_unnamed_frame(json_array_get(unit__get(l, "stack"), 0), "0xbeef0");
	/* 0x8000 was freed: 3 blocks, not 4; beyond the direct caller, junk ends the walk */
	l = json_array_get(leaks, 2);
	assert_leak(l, PID, 3000, 3, 8.0, false, true, 1);
	assert_unnamed_frame(json_array_get(unit__get(l, "stack"), 0), "0x10");
	/* the stack record never came: bytes still counted */
	l = json_array_get(leaks, 3);
	assert_leak(l, PID, 200, 2, 5.0, true, false, 0);
	l = json_array_get(leaks, 4);
	assert_leak(l, PID, 10, 1, 3.0, true, false, 0);
}

static void assert_starts_with(const char *text, const char *prefix)
{
	if (strncmp(text, prefix, strlen(prefix)))
		print_error("report starts:\n%.200s\n", text);
	assert_true(strncmp(text, prefix, strlen(prefix)) == 0);
}

static void test_report_no_drops(void **state)
{
	struct world *w = *state;
	const char *text = write_report(w, 10);

	assert_starts_with(text, "memtrace: 2 processes traced for 2.5 s\n");
	assert_non_null(strstr(text, "\nLost events: 0\n"));
	assert_null(strstr(text, "WARNING"));
	assert_non_null(strstr(text,
			       "Totals: current 12.0 KiB, peak 12.0 KiB, 12.7 KiB allocated"
			       " | 11 allocs, 2 frees, 1 reallocs, 1 failed, 1 unknown frees\n"));
	assert_non_null(strstr(text, "\nLive allocations by stack: top 5 of 5 sites\n"));
	/* the top site, in KiB */
	assert_non_null(strstr(text, "\n#1  5.00 KiB in 2 blocks  PID 2147483632  oldest 9.0 s\n"
				     "    0xdead0  (?)\n"));
	assert_non_null(strstr(text, "\n#2  3.90 KiB in 1 block  PID 2147483633  oldest 1.5 s\n"));
	assert_non_null(strstr(text,
			       "\n#3  2.92 KiB in 3 blocks  PID 2147483632  oldest 8.0 s\n"
			       "    0x10  (?)\n"
			       "    ... (stack ends: no frame pointers beyond this frame)\n"));
	assert_non_null(strstr(text, "\n#4  200 B in 2 blocks  PID 2147483632  oldest 5.0 s\n"
				     "    (stack lost)\n"));
	assert_non_null(strstr(text, "\n#5  10 B in 1 block  PID 2147483632  oldest 3.0 s\n"
				     "    (stack lost)\n"));
}

static void test_report_top(void **state)
{
	struct world *w = *state;
	const char *text = write_report(w, 2);

	assert_non_null(strstr(text, "\nLive allocations by stack: top 2 of 5 sites\n"));
	assert_non_null(strstr(text, "\n#2  "));
	assert_null(strstr(text, "\n#3  "));
}

static void test_report_drops(void **state)
{
	struct world *w = *state;
	const char *text;

	w->s.drops[MT_DROP_RINGBUF_FULL] = 3;
	w->s.drops[MT_DROP_CALL_MAP_FULL] = 5;
	w->s.drops[MT_DROP_MISSED_ENTRY] = 7;
	text = write_report(w, 10);
	assert_non_null(strstr(text,
			       "\nWARNING: 15 events lost (ring buffer full 3, call map full 5, "
			       "missed entries 7): counts are lower bounds\n"));
	assert_null(strstr(text, "Lost events: 0"));
	assert_null(strstr(text, "stacks lost"));

	w->s.drops[MT_DROP_STACK_RINGBUF] = 11;
	w->s.drops[MT_DROP_STACK_ERROR] = 13;
	text = write_report(w, 10);
	assert_non_null(strstr(text, "\nWARNING: 15 events lost"));
	assert_non_null(strstr(text, "\nWARNING: 24 stacks lost: their bytes show under "
				     "\"stack lost\"\n"));
}

/* Records the dispatcher could not read: in drops, and a warning line of their own. */
static void test_unread_records(void **state)
{
	struct world *w = *state;
	const char *text;
	json_t *drops;

	w->s.drops[RUN_DROP_SHORT_RECORD] = 2;
	w->s.drops[RUN_DROP_UNKNOWN_RECORD] = 3;
	write_snapshot(w);
	drops = unit__get(w->root, "drops");
	assert_int_equal(unit__get_u64(drops, "short_records"), 2);
	assert_int_equal(unit__get_u64(drops, "unknown_records"), 3);
	/* not allocator calls: not in lost_events */
	assert_int_equal(unit__get_u64(w->root, "lost_events"), 0);
	text = write_report(w, 10);
	assert_non_null(strstr(text, "\nLost events: 0\n"));
	assert_non_null(strstr(text, "\nWARNING: 5 records unreadable (too short 2, unknown kind 3)"));
}

/* Only stacks lost: the counts are exact, so no warning says otherwise. */
static void test_report_only_stacks_lost(void **state)
{
	struct world *w = *state;
	const char *text;

	w->s.drops[MT_DROP_STACK_ERROR] = 2;
	text = write_report(w, 10);
	assert_non_null(strstr(text, "\nLost events: 0\n"));
	assert_null(strstr(text, "events lost"));
	assert_non_null(strstr(text, "\nWARNING: 2 stacks lost"));
}

static void test_report_empty(void **state)
{
	struct world *w = *state;
	struct tracker empty;
	const char *text;

	assert_int_equal(tracker__init(&empty), 0);
	leaks__release(&w->s.leaks);
	w->s.tracker = &empty;
	text = write_report(w, 10);
	assert_starts_with(text, "memtrace: 0 processes traced for 2.5 s\n");
	assert_non_null(strstr(text, "\nNo live allocations.\n"));
	write_snapshot(w);
	unit__get_array(w->root, "processes", 0);
	unit__get_array(w->root, "leaks", 0);
	assert_counters(unit__get(w->root, "totals"), 0);
	tracker__release(&empty);
	w->s.tracker = &w->t;
}

/*
 * A block set aside because its address was handed out again before its
 * free arrived (see mt_process.displaced) is still live: counted in
 * live_blocks and in its site.
 */
static void test_displaced_block(void **state)
{
	struct world *w = *state;
	json_t *q, *leaks;

	call(&w->t, MT_FN_MALLOC, PID2, PID2, 9 * NS, S4, 0x2000, 300, 0);
	call(&w->t, MT_FN_MALLOC, PID2, PID2 + 1, 9 * NS + 100, MT_NO_STACK, 0x2000, 20, 0);
	assert_int_equal(tracker__process(&w->t, PID2)->displaced.n, 1);
	leaks__release(&w->s.leaks);
	assert_int_equal(leaks__collect(&w->t, &all_live, &w->s.leaks), 0);
	write_snapshot(w);

	q = json_array_get(unit__get_array(w->root, "processes", 2), 1);
	assert_int_equal(unit__get_u64(q, "live_blocks"), 3);
	assert_counters(q, .current_bytes = 4320, .peak_bytes = 4320, .allocs = 3,
			.allocated_bytes = 4320);
	leaks = unit__get_array(w->root, "leaks", 6);
	assert_leak(json_array_get(leaks, 1), PID2, 4300, 2, 1.5, false, true, 1);
	assert_leak(json_array_get(leaks, 4), PID2, 20, 1, 999999900 / 1e9, true, false, 0);
}

/* Functions whose addresses stand in for return addresses; distinct bodies, never folded. */
__attribute__((noinline)) static int marker_leaf(volatile int *x)
{
	return *x + 1;
}

__attribute__((noinline)) static int marker_caller(volatile int *x)
{
	return marker_leaf(x) * 3;
}

/* A live process (this one): frames are named from its own ELF file. */
static void test_frames_named(void **state)
{
	struct world *w = *state;
	uint64_t frames[3] = {
		(uint64_t)(uintptr_t)marker_leaf + 1,
		(uint64_t)(uintptr_t)marker_caller + 2,
		0x10,
	};
	char self[PATH_MAX], ip[24];
	json_t *leaks, *st, *f;
	volatile int x = 1;
	uint32_t me = (uint32_t)getpid();

	assert_int_equal(marker_caller(&x), 6);
	assert_non_null(tracker__add_process(&w->t, me));
	unit__stack(&w->t, me, S5, 3, frames);
	call(&w->t, MT_FN_MALLOC, me, me, 9 * NS, S5, 0x1000, 100000, 0);
	leaks__release(&w->s.leaks);
	assert_int_equal(leaks__collect(&w->t, &all_live, &w->s.leaks), 0);
	write_snapshot(w);

	/* no Python frame in the run: no "python" key, the snapshot as it always was */
	assert_null(json_object_get(w->root, "python"));
	leaks = unit__get_array(w->root, "leaks", 6);
	assert_int_equal(unit__get_u64(json_array_get(leaks, 0), "pid"), me);
	assert_leak(json_array_get(leaks, 0), me, 100000, 1, 1.0, false, true, 2);
	st = unit__get(json_array_get(leaks, 0), "stack");
	assert_non_null(realpath("/proc/self/exe", self));

	f = json_array_get(st, 0);
	snprintf(ip, sizeof(ip), "0x%llx", (unsigned long long)frames[0]);
	assert_string_equal(get_str(f, "ip"), ip);
	assert_string_equal(get_str(f, "symbol"), "marker_leaf");
	/* a C function: no linkage name of its own */
	assert_null_at(f, "linkage_name");
	/* looked up at ip - 1, reported at ip */
	assert_int_equal(unit__get_u64(f, "offset"), 1);
	assert_string_equal(get_str(f, "module"), self);
	assert_true(strncmp(get_str(f, "module_offset"), "0x", 2) == 0);

	/* this test is built with -g: its own source file, and a line in it */
	assert_non_null(strstr(get_str(f, "file"), "/test_snapshot.c"));
	assert_true(unit__get_u64(f, "line") > 0);
	assert_true(json_is_false(unit__get(f, "inlined")));

	f = json_array_get(st, 1);
	assert_string_equal(get_str(f, "symbol"), "marker_caller");
	assert_int_equal(unit__get_u64(f, "offset"), 2);
	assert_string_equal(get_str(f, "module"), self);
	assert_non_null(strstr(get_str(f, "file"), "/test_snapshot.c"));

	/* the report names the file alone, then the module */
	assert_non_null(strstr(write_report(w, 1), "\n    marker_leaf+0x1 (test_snapshot.c:"));
}

/*
 * A stack record with Python words, in a process made a fake Python
 * (py_fake.h): the snapshot's frames are the native leaf, kind "native",
 * then Python frames with null module, addresses and offsets; the report
 * shows them as name (file:line) where native frames show theirs.
 */
static void test_python_frames(void **state)
{
	static struct py_fake f;
	struct world *w = *state;
	struct py_target target;
	struct mt_process *p;
	uint64_t step = py_fake__code(&f, "Model.step", "/t/train.py", 10);
	uint64_t outer = py_fake__code(&f, "outer", "/t/train.py", 30);
	uint64_t frames[] = {
		(uint64_t)(uintptr_t)marker_leaf + 1,
		PY_FAKE_EVAL + 0x40,
		mt_py_word(step, 3, 0),
		mt_py_word(outer, MT_PY_INDEX_NONE, 1),
	};
	uint32_t me = (uint32_t)getpid();
	json_t *st, *fr;
	const char *report;

	(void)state;
	p = tracker__add_process(&w->t, me);
	assert_non_null(p);
	py_fake__target(&target);
	p->python = py_proc__new(&target, py_fake__read, &f);
	assert_non_null(p->python);
	unit__stack(&w->t, me, S6, 4, frames);
	call(&w->t, MT_FN_MALLOC, me, me, 9 * NS, S6, 0x2000, 100000, 0);
	leaks__release(&w->s.leaks);
	assert_int_equal(leaks__collect(&w->t, &all_live, &w->s.leaks), 0);
	write_snapshot(w);

	st = unit__get(json_array_get(unit__get_array(w->root, "leaks", 6), 0), "stack");
	assert_int_equal(json_array_size(st), 3);
	fr = json_array_get(st, 0);
	assert_string_equal(get_str(fr, "kind"), "native");
	assert_string_equal(get_str(fr, "symbol"), "marker_leaf");
	fr = json_array_get(st, 1);
	assert_string_equal(get_str(fr, "kind"), "python");
	assert_string_equal(get_str(fr, "symbol"), "Model.step");
	assert_string_equal(get_str(fr, "file"), "/t/train.py");
	assert_int_equal(unit__get_u64(fr, "line"), 12);
	assert_null_at(fr, "module");
	assert_null_at(fr, "ip");
	assert_null_at(fr, "offset");
	assert_null_at(fr, "module_offset");
	assert_null_at(fr, "linkage_name");
	assert_true(json_is_false(unit__get(fr, "inlined")));
	fr = json_array_get(st, 2);
	assert_string_equal(get_str(fr, "symbol"), "outer");
	assert_int_equal(unit__get_u64(fr, "line"), 30);
	assert_true(json_is_false(unit__get(json_array_get(unit__get_array(w->root, "leaks", 6),
							   0), "truncated")));

	fr = unit__get(w->root, "python");
	assert_int_equal(unit__get_u64(fr, "frames"), 2);
	assert_int_equal(unit__get_u64(fr, "unreadable_code"), 0);
	assert_int_equal(unit__get_u64(fr, "approximate_stacks"), 0);
	assert_int_equal(unit__get_u64(fr, "no_interpreter"), 0);

	report = write_report(w, 1);
	assert_non_null(strstr(report, "\n    marker_leaf+0x1 (test_snapshot.c:"));
	assert_non_null(strstr(report, "\n    Model.step (train.py:12)\n    outer (train.py:30)\n"));
	assert_null(strstr(report, "Python frames"));

	/* a code object gone before its stack came: shown unknown, and said */
	frames[2] = mt_py_word(0x1000, 3, 0);
	unit__stack(&w->t, me, S6 + 1, 4, frames);
	report = write_report(w, 1);
	assert_non_null(strstr(report, "WARNING: 1 Python frames with a code object memtrace "
				       "could not read"));
}

#define CXX_LIB "build/tests/fixtures/libfixture_cxx.so"

static void assert_cxx_frame(json_t *f, const char *symbol, const char *linkage_name,
			     bool inlined)
{
	assert_string_equal(get_str(f, "symbol"), symbol);
	if (linkage_name)
		assert_string_equal(get_str(f, "linkage_name"), linkage_name);
	else
		assert_null_at(f, "linkage_name");
	assert_int_equal(json_is_true(unit__get(f, "inlined")), inlined);
}

static void assert_snap_frame(const struct snap_frame *f, const char *symbol,
			      const char *linkage_name)
{
	assert_string_equal(f->symbol, symbol);
	if (linkage_name)
		assert_string_equal(f->linkage_name, linkage_name);
	else
		assert_null(f->linkage_name);
}

/*
 * The snapshot as memtrace wrote it before linkage_name: a C++ frame's
 * symbol was its mangled name, and there was no such key.
 */
static char *old_style(json_t *root)
{
	json_t *copy = json_deep_copy(root), *leak, *frame, *mangled;
	size_t i, j;
	char *text;

	assert_non_null(copy);
	json_array_foreach(json_object_get(copy, "leaks"), i, leak) {
		/* and the C++ site held less then: a site that grew, shown in the text diff */
		if (i == 0)
			json_object_set_new(leak, "bytes", json_integer(50000));
		json_array_foreach(json_object_get(leak, "stack"), j, frame) {
			mangled = json_object_get(frame, "linkage_name");
			if (json_is_string(mangled))
				json_object_set(frame, "symbol", mangled);
			json_object_del(frame, "linkage_name");
		}
	}
	text = json_dumps(copy, JSON_COMPACT);
	assert_non_null(text);
	json_decref(copy);
	return text;
}

static char *diff_output(const struct diff *d, bool json)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	if (json)
		assert_int_equal(diff_json__write(d, NULL, f), 0);
	else
		assert_int_equal(diff_text__write(d, NULL, 0, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

#define CXX_KEY                                                                        \
	"libc;_ZN2fx5Model4leakEi@libfixture_cxx.so;_ZN2fx5Model4stepEi@libfixture_cxx.so;" \
	"_ZN2fx5Model5trainEi@libfixture_cxx.so;fixture_cxx_plain@libfixture_cxx.so"

/*
 * C++ frames (tests/fixtures/fixture_cxx.cc, loaded here): the snapshot's
 * symbol is readable and linkage_name mangled, null for a C function; the
 * report shows the readable name. Read back, the snapshot keys its sites by
 * the mangled name, so one written before linkage_name existed matches it
 * site for site, and the diff shows readable names for both.
 */
static void test_cxx_frames(void **state)
{
	struct world *w = *state;
	void *lib = dlopen(CXX_LIB, RTLD_NOW | RTLD_LOCAL);
	uint32_t me = (uint32_t)getpid();
	struct snapshot new_snap, old_snap;
	const struct diff_site *ds = NULL;
	json_t *st, *dj, *frames;
	struct diff d;
	uint64_t frames_ip[3];
	int (*run)(int);
	char err[256], *old, *text;

	assert_non_null(lib);
	run = (int (*)(int))dlsym(lib, "fixture_cxx_run");
	assert_non_null(run);
	assert_int_equal(run(1), 5);
	/* leaf first: leak(int), then the call in train(int) with step(int) inlined there */
	frames_ip[0] = (uint64_t)(uintptr_t)dlsym(lib, "_ZN2fx5Model4leakEi") + 1;
	frames_ip[1] = (uint64_t)(uintptr_t)*(void **)dlsym(lib, "fixture_cxx_ret");
	frames_ip[2] = (uint64_t)(uintptr_t)dlsym(lib, "fixture_cxx_plain") + 1;
	assert_non_null(tracker__add_process(&w->t, me));
	unit__stack(&w->t, me, S5, 3, frames_ip);
	call(&w->t, MT_FN_MALLOC, me, me, 9 * NS, S5, 0x1000, 100000, 0);
	leaks__release(&w->s.leaks);
	assert_int_equal(leaks__collect(&w->t, &all_live, &w->s.leaks), 0);
	write_snapshot(w);

	st = unit__get(json_array_get(unit__get_array(w->root, "leaks", 6), 0), "stack");
	assert_int_equal(json_array_size(st), 4);
	assert_cxx_frame(json_array_get(st, 0), "fx::Model::leak(int)", "_ZN2fx5Model4leakEi",
			 false);
	assert_int_equal(unit__get_u64(json_array_get(st, 0), "offset"), 1);
	assert_cxx_frame(json_array_get(st, 1), "fx::Model::step(int)", "_ZN2fx5Model4stepEi",
			 true);
	assert_cxx_frame(json_array_get(st, 2), "fx::Model::train(int)", "_ZN2fx5Model5trainEi",
			 false);
	assert_cxx_frame(json_array_get(st, 3), "fixture_cxx_plain", NULL, false);

	/* read back: the reader keeps both names */
	assert_int_equal(snapshot_reader__parse(w->text, w->len, "new.json", &new_snap, err,
						sizeof(err)),
			 0);
	assert_int_equal(new_snap.leaks[0].nr_frames, 4);
	assert_snap_frame(&new_snap.leaks[0].frames[0], "fx::Model::leak(int)",
			  "_ZN2fx5Model4leakEi");
	assert_snap_frame(&new_snap.leaks[0].frames[3], "fixture_cxx_plain", NULL);

	/* an old snapshot's mangled symbol is read as the same two names */
	old = old_style(w->root);
	assert_null(strstr(old, "linkage_name"));
	assert_non_null(strstr(old, "\"symbol\":\"_ZN2fx5Model4leakEi\""));
	assert_int_equal(snapshot_reader__parse(old, strlen(old), "old.json", &old_snap, err,
						sizeof(err)),
			 0);
	assert_snap_frame(&old_snap.leaks[0].frames[0], "fx::Model::leak(int)",
			  "_ZN2fx5Model4leakEi");
	assert_snap_frame(&old_snap.leaks[0].frames[1], "fx::Model::step(int)",
			  "_ZN2fx5Model4stepEi");
	assert_snap_frame(&old_snap.leaks[0].frames[3], "fixture_cxx_plain", NULL);

	/* old against new, whole stacks: every site matched, the C++ one grown */
	assert_int_equal(diff__compute(&d, &old_snap, &new_snap, 0), 0);
	assert_int_equal(d.by_status[SITE_NEW], 0);
	assert_int_equal(d.by_status[SITE_GONE], 0);
	assert_int_equal(d.by_status[SITE_GROWN], 1);
	assert_int_equal(d.by_status[SITE_SAME], d.nr_sites - 1);
	for (size_t i = 0; i < d.nr_sites; i++)
		if (d.sites[i].status == SITE_GROWN)
			ds = &d.sites[i];
	assert_non_null(ds);
	assert_string_equal(ds->before->key, CXX_KEY);
	assert_string_equal(ds->after->key, CXX_KEY);
	assert_int_equal(diff_site__before(ds), 50000);
	assert_int_equal(diff_site__after(ds), 100000);

	/* the outputs show readable names; the mangled ones only as linkage_name and in keys */
	text = diff_output(&d, false);
	assert_non_null(strstr(text, "  fx::Model::leak(int) (fixture_cxx.cc:"));
	assert_null(strstr(text, "_ZN"));
	free(text);
	text = diff_output(&d, true);
	dj = json_loads(text, 0, NULL);
	assert_non_null(dj);
	frames = NULL;
	for (size_t i = 0; i < json_array_size(json_object_get(dj, "sites")); i++) {
		json_t *site = json_array_get(json_object_get(dj, "sites"), i);

		if (!strcmp(get_str(site, "key"), CXX_KEY))
			frames = unit__get(site, "frames");
	}
	assert_non_null(frames);
	assert_int_equal(json_array_size(frames), 4);
	assert_cxx_frame(json_array_get(frames, 0), "fx::Model::leak(int)",
			 "_ZN2fx5Model4leakEi", false);
	assert_cxx_frame(json_array_get(frames, 3), "fixture_cxx_plain", NULL, false);
	json_decref(dj);
	free(text);
	diff__release(&d);
	snapshot_reader__release(&old_snap);
	snapshot_reader__release(&new_snap);
	free(old);

	/* the text report: readable names, the inlined call marked */
	write_report(w, 1);
	assert_non_null(strstr(w->text, "\n    fx::Model::leak(int)+0x1 (fixture_cxx.cc:"));
	assert_non_null(strstr(w->text, "\n    fx::Model::step(int) [inlined] (fixture_cxx.cc:"));
	assert_non_null(strstr(w->text, "\n    fx::Model::train(int)+0x"));
	assert_null(strstr(w->text, "_ZN"));
	dlclose(lib);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_tracker_state),
		TEST(test_header),
		TEST(test_started_at_edges),
		TEST(test_no_command),
		TEST(test_lost_events),
		TEST(test_counters),
		TEST(test_allocators),
		TEST(test_size_histogram),
		TEST(test_comm_round_trip),
		TEST(test_leaks),
		TEST(test_report_no_drops),
		TEST(test_report_top),
		TEST(test_report_drops),
		TEST(test_report_only_stacks_lost),
		TEST(test_unread_records),
		TEST(test_report_empty),
		TEST(test_displaced_block),
		TEST(test_frames_named),
		TEST(test_python_frames),
		TEST(test_cxx_frames),
	};

	return cmocka_run_group_tests_name("unit: snapshot", tests, NULL, NULL);
}
