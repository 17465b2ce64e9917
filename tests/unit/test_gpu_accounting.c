// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GPU memory accounting from hand-made MT_REC_GPU records, fed through
 * dispatch__record as the ring buffer would: counters per kind of
 * each thread, process, device and the run; OOM events; leak sites; the
 * "gpu" objects of the snapshot (parsed back with jansson), the text
 * report, and the snapshot reader on a snapshot with GPU leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/gpu_accounting.h"
#include "account/growth_sampler.h"
#include "compare/diff.h"
#include "compare/site_key.h"
#include "compare/snapshot_reader.h"
#include "ingest/dispatch.h"
#include "output/report.h"
#include "output/snapshot.h"
#include "unit_helpers.h"

/* Above any pid_max (at most 2^22): /proc has none of them, so no maps and no names. */
#define PID  0x7ffffff0u
#define PID2 0x7ffffff1u
#define T1   PID
#define T2   0x7ffffff2u

#define S1 0x1111111111ULL
#define S2 0x2222222222ULL
#define S3 0x3333333333ULL

/* device pointers, host pointers, VMM handles and ranges */
#define DA 0x7f0000200000ULL
#define DB 0x7f0000400000ULL
#define DC 0x7f0000600000ULL
#define HA 0x7f1000000000ULL
#define H1 0x5ULL
#define VA 0x7f2000000000ULL

#define NS 1000000000ULL
#define MiB (1024ULL * 1024)

#define UNKNOWN MT_GPU_DEVICE_UNKNOWN

struct world {
	struct tracker t;
	struct run_summary s;
	char *text;
	size_t len;
	json_t *root;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	*state = w;
	if (tracker__init(&w->t))
		return -1;
	if (!tracker__add_process(&w->t, PID) || !tracker__add_process(&w->t, PID2))
		return -1;
	w->s.tracker = &w->t;
	w->s.stack_mode = MT_STACK_FP; /* the default --stack */
	w->s.start_ns = 1 * NS;
	w->s.now_ns = 100 * NS;
	w->s.duration_s = 99;
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

static int dispatch(struct world *w, void *rec, size_t size)
{
	struct dispatch d = { .tracker = &w->t };

	return dispatch__record(&d, rec, size);
}

static void feed(struct world *w, void *rec, size_t size)
{
	unit__feed(&w->t, rec, size);
	assert_int_equal(w->t.err, 0);
}

static void stack(struct world *w, uint32_t pid, uint64_t id, uint64_t frame)
{
	unit__stack(&w->t, pid, id, 1, &frame);
	assert_int_equal(w->t.err, 0);
}

struct gpu_call {
	enum mt_gpu_func func;
	uint32_t pid, tid;
	uint64_t ts;
	uint32_t result;
	uint64_t addr, size, handle;
	int32_t device;
	uint64_t stack_id;
};

static void gpu_feed(struct world *w, const struct gpu_call *c)
{
	struct mt_gpu_event e;

	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_GPU;
	e.func = c->func;
	e.result = c->result;
	e.pid = c->pid ? c->pid : PID;
	e.tid = c->tid ? c->tid : T1;
	e.ts_ns = c->ts ? c->ts : 2 * NS;
	e.stack_id = c->stack_id;
	e.addr = c->addr;
	e.size = c->size;
	e.handle = c->handle;
	e.device = c->device;
	feed(w, &e, sizeof(e));
}

/*
 * Fields not named are 0, but the device is unknown unless .device is
 * given: a later initializer of a field overrides the default on purpose.
 */
#pragma GCC diagnostic ignored "-Woverride-init"
#define gpu(w, ...) gpu_feed((w), &(struct gpu_call){ .device = UNKNOWN, __VA_ARGS__ })

static struct mt_process *proc(struct world *w, uint32_t pid)
{
	struct mt_process *p = tracker__process(&w->t, pid);

	assert_non_null(p);
	return p;
}

static uint32_t thread_index(struct world *w, uint32_t pid, uint32_t tid)
{
	struct mt_process *p = proc(w, pid);
	int64_t idx = id_map__get(&p->thread_index, tid);

	assert_true(idx >= 0);
	return (uint32_t)idx;
}

static const struct mt_counters *proc_kind(struct world *w, uint32_t pid, enum gpu_kind kind)
{
	struct mt_process *p = proc(w, pid);

	assert_non_null(p->gpu);
	return &p->gpu->kinds[kind];
}

static const struct mt_counters *thread_kind(struct world *w, uint32_t pid, uint32_t tid,
					     enum gpu_kind kind)
{
	return gpu_accounting__thread_kind(proc(w, pid)->gpu, thread_index(w, pid, tid), kind);
}

static const struct gpu_device *device(struct world *w, uint32_t pid, int32_t dev)
{
	const struct gpu_state *gs = proc(w, pid)->gpu;

	assert_non_null(gs);
	for (uint32_t i = 0; i < gs->nr_devices; i++)
		if (gs->devices[i].device == dev)
			return &gs->devices[i];
	print_error("no device %d\n", dev);
	fail();
	return NULL;
}

/* Every counter compared; reallocs, never named, stay 0: no GPU call is a realloc. */
#define assert_counters(got, ...)                                                           \
	unit__check_counters((got), &(const struct mt_counters){ __VA_ARGS__ }, #got,       \
			     __FILE__, __LINE__)

/* Every kind of PID: what the process, T1, its only device and the run all saw. */
#define assert_everywhere(w, kind, dev, ...)                                        \
	do {                                                                        \
		assert_counters(proc_kind((w), PID, (kind)), __VA_ARGS__);          \
		assert_counters(thread_kind((w), PID, T1, (kind)), __VA_ARGS__);    \
		assert_counters(&device((w), PID, (dev))->kinds[(kind)], __VA_ARGS__); \
		assert_counters(&(w)->t.gpu.kinds[(kind)], __VA_ARGS__);            \
	} while (0)

static void test_host_only(void **state)
{
	struct world *w = *state;

	/* no GPU record: no GPU state, nothing allocated for it */
	assert_null(proc(w, PID)->gpu);
	assert_false(gpu_accounting__active(NULL));
	assert_counters(gpu_accounting__thread_kind(NULL, 0, GPU_KIND_DEVICE), 0);
}

/* Each allocating function and its free, one kind at a time. */
static void test_each_kind(void **state)
{
	static const struct {
		enum mt_gpu_func alloc, free;
		enum gpu_kind kind;
	} cases[] = {
		{ MT_GPU_CU_MEM_ALLOC, MT_GPU_CU_MEM_FREE, GPU_KIND_DEVICE },
		{ MT_GPU_CU_MEM_ALLOC_PITCH, MT_GPU_CU_MEM_FREE, GPU_KIND_DEVICE },
		{ MT_GPU_CU_MEM_ALLOC_MANAGED, MT_GPU_CU_MEM_FREE, GPU_KIND_MANAGED },
		{ MT_GPU_CU_MEM_ALLOC_HOST, MT_GPU_CU_MEM_FREE_HOST, GPU_KIND_PINNED },
		{ MT_GPU_CU_MEM_HOST_ALLOC, MT_GPU_CU_MEM_FREE_HOST, GPU_KIND_PINNED },
		{ MT_GPU_CU_MEM_ALLOC_ASYNC, MT_GPU_CU_MEM_FREE_ASYNC, GPU_KIND_ASYNC },
		{ MT_GPU_CU_MEM_ALLOC_FROM_POOL_ASYNC, MT_GPU_CU_MEM_FREE_ASYNC, GPU_KIND_ASYNC },
		{ MT_GPU_CUDA_MALLOC_PITCH, MT_GPU_CUDA_FREE, GPU_KIND_DEVICE },
		{ MT_GPU_CUDA_MALLOC_MANAGED, MT_GPU_CUDA_FREE, GPU_KIND_MANAGED },
		{ MT_GPU_CUDA_MALLOC_HOST, MT_GPU_CUDA_FREE_HOST, GPU_KIND_PINNED },
		{ MT_GPU_CUDA_HOST_ALLOC, MT_GPU_CUDA_FREE_HOST, GPU_KIND_PINNED },
		{ MT_GPU_CUDA_MALLOC_ASYNC, MT_GPU_CUDA_FREE_ASYNC, GPU_KIND_ASYNC },
		{ MT_GPU_CUDA_MALLOC_FROM_POOL_ASYNC, MT_GPU_CUDA_FREE_ASYNC, GPU_KIND_ASYNC },
		{ MT_GPU_HIP_MALLOC, MT_GPU_HIP_FREE, GPU_KIND_DEVICE },
		{ MT_GPU_HIP_MALLOC_MANAGED, MT_GPU_HIP_FREE, GPU_KIND_MANAGED },
		{ MT_GPU_HIP_HOST_MALLOC, MT_GPU_HIP_HOST_FREE, GPU_KIND_PINNED },
		{ MT_GPU_HIP_MALLOC_ASYNC, MT_GPU_HIP_FREE_ASYNC, GPU_KIND_ASYNC },
	};
	struct world *w = *state;
	struct mt_counters want[GPU_KIND_COUNT] = {};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum gpu_kind k = cases[i].kind;
		uint64_t size = 1000 * (i + 1);

		gpu(w, .func = cases[i].alloc, .addr = DA + i * 0x1000, .size = size,
		    .stack_id = S1);
		want[k].allocs++;
		want[k].allocated_bytes += size;
		/* one block at a time: the largest is the peak */
		want[k].peak_bytes = size;
		assert_int_equal(proc_kind(w, PID, k)->current_bytes, size);
		assert_int_equal(proc(w, PID)->gpu->blocks.n, 1);
		gpu(w, .func = cases[i].free, .addr = DA + i * 0x1000);
		want[k].frees++;
		want[k].freed_bytes += size;
		assert_int_equal(proc(w, PID)->gpu->blocks.n, 0);
		for (int kind = 0; kind < GPU_KIND_COUNT; kind++) {
			unit__check_counters(proc_kind(w, PID, kind), &want[kind], "process",
					     __FILE__, __LINE__);
			unit__check_counters(thread_kind(w, PID, T1, kind), &want[kind], "thread",
					     __FILE__, __LINE__);
			unit__check_counters(&w->t.gpu.kinds[kind], &want[kind], "totals", __FILE__,
					     __LINE__);
			/* no thread set a device: all of it on "unknown" */
			unit__check_counters(&device(w, PID, UNKNOWN)->kinds[kind], &want[kind],
					     "device", __FILE__, __LINE__);
		}
	}
	assert_int_equal(want[GPU_KIND_DEVICE].allocs, 4);
	assert_int_equal(want[GPU_KIND_MANAGED].allocs, 3);
	assert_int_equal(want[GPU_KIND_PINNED].allocs, 5);
	assert_int_equal(want[GPU_KIND_ASYNC].allocs, 5);
	assert_int_equal(proc(w, PID)->gpu->nr_devices, 1);
	/* nothing else moved; host memory least of all */
	assert_counters(proc_kind(w, PID, GPU_KIND_VMM_PHYSICAL), 0);
	assert_counters(proc_kind(w, PID, GPU_KIND_VMM_MAPPED), 0);
	assert_counters(proc_kind(w, PID, GPU_KIND_ADDRESS_RESERVED), 0);
	assert_int_equal(proc(w, PID)->c.allocs, 0);
	assert_int_equal(w->t.totals.allocs, 0);
	assert_int_equal(proc(w, PID)->live.n, 0);
	assert_int_equal(w->t.gpu.oom_events, 0);
	assert_null(proc(w, PID2)->gpu);
}

/* The runtime's pair; cudaFree(NULL), the context-init idiom, counts nothing. */
static void test_runtime_alloc_free(void **state)
{
	struct world *w = *state;

	gpu(w, .func = MT_GPU_CUDA_FREE, .addr = 0);
	assert_false(gpu_accounting__active(proc(w, PID)->gpu));
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .ts = 2 * NS, .addr = DA, .size = 3 * MiB,
	    .stack_id = S1);
	assert_everywhere(w, GPU_KIND_DEVICE, UNKNOWN, .current_bytes = 3 * MiB,
			  .peak_bytes = 3 * MiB, .allocs = 1, .allocated_bytes = 3 * MiB);
	assert_int_equal(proc(w, PID)->gpu->live_bytes, 3 * MiB);
	gpu(w, .func = MT_GPU_CUDA_FREE, .ts = 3 * NS, .addr = DA);
	gpu(w, .func = MT_GPU_CUDA_FREE, .ts = 4 * NS, .addr = 0);
	assert_everywhere(w, GPU_KIND_DEVICE, UNKNOWN, .peak_bytes = 3 * MiB, .allocs = 1,
			  .frees = 1, .allocated_bytes = 3 * MiB, .freed_bytes = 3 * MiB);
	assert_int_equal(proc(w, PID)->gpu->live_bytes, 0);
	assert_int_equal(proc(w, PID)->gpu->live_peak, 3 * MiB);
	assert_true(gpu_accounting__active(proc(w, PID)->gpu));
	/* cudaMalloc(&p, 0) may succeed with NULL: nothing allocated, on no device */
	gpu(w, .func = MT_GPU_CUDA_SET_DEVICE, .device = 4);
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .addr = 0, .size = 0);
	assert_int_equal(proc_kind(w, PID, GPU_KIND_DEVICE)->allocs, 1);
	assert_int_equal(proc_kind(w, PID, GPU_KIND_DEVICE)->failed_allocs, 0);
	assert_int_equal(proc(w, PID)->gpu->nr_devices, 1);
}

/* Freed on another thread: the bytes go back to the thread that allocated them. */
static void test_cross_thread_free(void **state)
{
	struct world *w = *state;

	gpu(w, .func = MT_GPU_CU_MEM_ALLOC, .tid = T1, .addr = DA, .size = 4096, .stack_id = S1);
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC, .tid = T1, .addr = DB, .size = 100, .stack_id = S1);
	gpu(w, .func = MT_GPU_CU_MEM_FREE, .tid = T2, .addr = DA);
	assert_counters(thread_kind(w, PID, T1, GPU_KIND_DEVICE), .current_bytes = 100,
			.peak_bytes = 4196, .allocs = 2, .frees = 1, .allocated_bytes = 4196,
			.freed_bytes = 4096);
	assert_counters(thread_kind(w, PID, T2, GPU_KIND_DEVICE), 0);
	assert_counters(proc_kind(w, PID, GPU_KIND_DEVICE), .current_bytes = 100,
			.peak_bytes = 4196, .allocs = 2, .frees = 1, .allocated_bytes = 4196,
			.freed_bytes = 4096);
	/* an unknown free is the caller's */
	gpu(w, .func = MT_GPU_CU_MEM_FREE, .tid = T2, .addr = DC);
	assert_counters(thread_kind(w, PID, T2, GPU_KIND_DEVICE), .unknown_frees = 1);
	assert_int_equal(thread_kind(w, PID, T1, GPU_KIND_DEVICE)->unknown_frees, 0);
}

/* Frees of what tracing never saw allocated count by the function's kind, and subtract nothing. */
static void test_unknown_frees(void **state)
{
	struct world *w = *state;

	gpu(w, .func = MT_GPU_CU_MEM_ALLOC, .addr = DA, .size = 10);
	gpu(w, .func = MT_GPU_CUDA_FREE, .addr = DB);
	gpu(w, .func = MT_GPU_CUDA_FREE_HOST, .addr = HA);
	gpu(w, .func = MT_GPU_CU_MEM_RELEASE, .addr = H1);
	gpu(w, .func = MT_GPU_CU_MEM_UNMAP, .addr = VA);
	gpu(w, .func = MT_GPU_CU_MEM_ADDRESS_FREE, .addr = VA);
	gpu(w, .func = MT_GPU_HIP_FREE_ASYNC, .addr = DC);
	/* a pointer's free never finds a handle, a range, or reserved space */
	gpu(w, .func = MT_GPU_CU_MEM_CREATE, .addr = DB, .size = 2 * MiB, .device = 0);
	gpu(w, .func = MT_GPU_CU_MEM_FREE, .addr = DB);
	assert_everywhere(w, GPU_KIND_DEVICE, UNKNOWN, .current_bytes = 10, .peak_bytes = 10,
			  .allocs = 1, .allocated_bytes = 10, .unknown_frees = 2);
	assert_everywhere(w, GPU_KIND_PINNED, UNKNOWN, .unknown_frees = 1);
	assert_everywhere(w, GPU_KIND_VMM_MAPPED, UNKNOWN, .unknown_frees = 1);
	assert_everywhere(w, GPU_KIND_ADDRESS_RESERVED, UNKNOWN, .unknown_frees = 1);
	assert_everywhere(w, GPU_KIND_ASYNC, UNKNOWN, .unknown_frees = 1);
	assert_counters(proc_kind(w, PID, GPU_KIND_VMM_PHYSICAL), .current_bytes = 2 * MiB,
			.peak_bytes = 2 * MiB, .allocs = 1, .allocated_bytes = 2 * MiB,
			.unknown_frees = 1);
	assert_counters(&device(w, PID, 0)->kinds[GPU_KIND_VMM_PHYSICAL],
			.current_bytes = 2 * MiB, .peak_bytes = 2 * MiB, .allocs = 1,
			.allocated_bytes = 2 * MiB);
	assert_counters(&device(w, PID, UNKNOWN)->kinds[GPU_KIND_VMM_PHYSICAL],
			.unknown_frees = 1);
}

/* Device, managed, pinned and async pointers are one namespace: any free finds any of them. */
static void test_one_pointer_namespace(void **state)
{
	struct world *w = *state;

	gpu(w, .func = MT_GPU_CUDA_MALLOC_HOST, .addr = HA, .size = 64);
	gpu(w, .func = MT_GPU_CUDA_MALLOC_MANAGED, .addr = DA, .size = 128);
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC_ASYNC, .addr = DB, .size = 256);
	gpu(w, .func = MT_GPU_CUDA_FREE, .addr = HA);
	gpu(w, .func = MT_GPU_CU_MEM_FREE_HOST, .addr = DA);
	gpu(w, .func = MT_GPU_CU_MEM_FREE, .addr = DB);
	assert_everywhere(w, GPU_KIND_PINNED, UNKNOWN, .peak_bytes = 64, .allocs = 1, .frees = 1,
			  .allocated_bytes = 64, .freed_bytes = 64);
	assert_everywhere(w, GPU_KIND_MANAGED, UNKNOWN, .peak_bytes = 128, .allocs = 1,
			  .frees = 1, .allocated_bytes = 128, .freed_bytes = 128);
	assert_everywhere(w, GPU_KIND_ASYNC, UNKNOWN, .peak_bytes = 256, .allocs = 1, .frees = 1,
			  .allocated_bytes = 256, .freed_bytes = 256);
	assert_counters(proc_kind(w, PID, GPU_KIND_DEVICE), 0);
	/* pinned memory is the host's: not in the GPU bytes live */
	assert_int_equal(proc(w, PID)->gpu->live_peak, 128 + 256);
}

/* A failed call is failed; only an out-of-memory one is an OOM event too. */
static void test_failed_and_oom(void **state)
{
	struct world *w = *state;
	const struct gpu_state *gs;
	const struct gpu_oom *oom;

	gpu(w, .func = MT_GPU_CUDA_SET_DEVICE, .tid = T2, .device = 1);
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC, .addr = DA, .size = 1 * MiB);
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC_MANAGED, .addr = DB, .size = 2 * MiB);
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC_HOST, .addr = HA, .size = 4 * MiB);
	gpu(w, .func = MT_GPU_CU_MEM_CREATE, .addr = H1, .size = 8 * MiB, .device = 0);
	gpu(w, .func = MT_GPU_CU_MEM_ADDRESS_RESERVE, .addr = VA, .size = 64 * MiB);
	gpu(w, .func = MT_GPU_CU_MEM_MAP, .addr = VA, .size = 8 * MiB, .handle = H1);
	/* live on the GPU: device, managed and physical; not pinned, mapped or reserved */
	assert_int_equal(proc(w, PID)->gpu->live_bytes, 11 * MiB);

	gpu(w, .func = MT_GPU_CUDA_MALLOC, .result = 35, .size = 5 * MiB);
	assert_everywhere(w, GPU_KIND_DEVICE, UNKNOWN, .current_bytes = 1 * MiB,
			  .peak_bytes = 1 * MiB, .allocs = 1, .allocated_bytes = 1 * MiB,
			  .failed_allocs = 1);
	assert_int_equal(w->t.gpu.oom_events, 0);
	assert_int_equal(proc(w, PID)->gpu->nr_ooms, 0);

	gpu(w, .func = MT_GPU_CUDA_MALLOC, .tid = T2, .ts = 3 * NS + 5, .result = MT_GPU_RESULT_OOM,
	    .size = 40 * MiB, .stack_id = S2);
	assert_int_equal(w->t.gpu.oom_events, 1);
	gs = proc(w, PID)->gpu;
	assert_int_equal(gs->nr_ooms, 1);
	assert_int_equal(gs->ooms_omitted, 0);
	oom = &gs->ooms[0];
	assert_int_equal(oom->ts_ns, 3 * NS + 5);
	assert_int_equal(oom->tid, T2);
	assert_int_equal(oom->func, MT_GPU_CUDA_MALLOC);
	assert_int_equal(oom->api, GPU_API_CUDA);
	assert_int_equal(oom->kind, GPU_KIND_DEVICE);
	assert_int_equal(oom->size, 40 * MiB);
	assert_int_equal(oom->device, 1);
	assert_int_equal(oom->gpu_live_bytes, 11 * MiB);
	assert_int_equal(oom->stack, stack_table__intern(&w->t.stacks, S2));
	/* failed, on T2 and its device */
	assert_counters(thread_kind(w, PID, T2, GPU_KIND_DEVICE), .failed_allocs = 1);
	assert_counters(&device(w, PID, 1)->kinds[GPU_KIND_DEVICE], .failed_allocs = 1);
	assert_int_equal(proc_kind(w, PID, GPU_KIND_DEVICE)->failed_allocs, 2);
	assert_int_equal(w->t.gpu.kinds[GPU_KIND_DEVICE].failed_allocs, 2);
	/* nothing was allocated */
	assert_int_equal(proc_kind(w, PID, GPU_KIND_DEVICE)->allocs, 1);
	assert_int_equal(gs->live_bytes, 11 * MiB);
}

static void test_oom_cap(void **state)
{
	struct world *w = *state;
	const struct gpu_state *gs;

	for (uint64_t i = 0; i < GPU_OOM_KEEP + 6; i++)
		gpu(w, .func = MT_GPU_CU_MEM_ALLOC_ASYNC, .ts = 2 * NS + i,
		    .result = MT_GPU_RESULT_OOM, .size = i + 1);
	gs = proc(w, PID)->gpu;
	assert_int_equal(gs->nr_ooms, GPU_OOM_KEEP);
	assert_int_equal(gs->ooms_omitted, 6);
	assert_int_equal(w->t.gpu.oom_events, GPU_OOM_KEEP + 6);
	/* the first ones are kept */
	assert_int_equal(gs->ooms[0].size, 1);
	assert_int_equal(gs->ooms[GPU_OOM_KEEP - 1].size, GPU_OOM_KEEP);
	assert_int_equal(proc_kind(w, PID, GPU_KIND_ASYNC)->failed_allocs, GPU_OOM_KEEP + 6);
}

/*
 * The VMM: physical memory by handle, address space reserved, mapped onto
 * it, unmapped, released, the reservation given back. A mapping is on the
 * device of the physical memory it maps.
 */
static void test_vmm_sequence(void **state)
{
	struct world *w = *state;

	gpu(w, .func = MT_GPU_CU_MEM_CREATE, .addr = H1, .size = 2 * MiB, .device = 3,
	    .stack_id = S1);
	gpu(w, .func = MT_GPU_CU_MEM_ADDRESS_RESERVE, .addr = VA, .size = 16 * MiB, .stack_id = S1);
	gpu(w, .func = MT_GPU_CU_MEM_MAP, .addr = VA, .size = 2 * MiB, .handle = H1,
	    .stack_id = S1);
	/* the handle and the range are different things, even at one value */
	gpu(w, .func = MT_GPU_CU_MEM_MAP, .addr = H1, .size = 1, .handle = H1);
	assert_counters(&device(w, PID, 3)->kinds[GPU_KIND_VMM_PHYSICAL],
			.current_bytes = 2 * MiB, .peak_bytes = 2 * MiB, .allocs = 1,
			.allocated_bytes = 2 * MiB);
	assert_counters(&device(w, PID, 3)->kinds[GPU_KIND_VMM_MAPPED],
			.current_bytes = 2 * MiB + 1, .peak_bytes = 2 * MiB + 1, .allocs = 2,
			.allocated_bytes = 2 * MiB + 1);
	/* reserved space names no device */
	assert_counters(&device(w, PID, UNKNOWN)->kinds[GPU_KIND_ADDRESS_RESERVED],
			.current_bytes = 16 * MiB, .peak_bytes = 16 * MiB, .allocs = 1,
			.allocated_bytes = 16 * MiB);
	assert_int_equal(proc(w, PID)->gpu->live_bytes, 2 * MiB);
	assert_int_equal(proc(w, PID)->gpu->blocks.n, 4);

	gpu(w, .func = MT_GPU_CU_MEM_UNMAP, .addr = VA, .size = 2 * MiB);
	gpu(w, .func = MT_GPU_CU_MEM_UNMAP, .addr = H1, .size = 1);
	gpu(w, .func = MT_GPU_CU_MEM_RELEASE, .addr = H1);
	gpu(w, .func = MT_GPU_CU_MEM_ADDRESS_FREE, .addr = VA, .size = 16 * MiB);
	assert_everywhere(w, GPU_KIND_VMM_PHYSICAL, 3, .peak_bytes = 2 * MiB, .allocs = 1,
			  .frees = 1, .allocated_bytes = 2 * MiB, .freed_bytes = 2 * MiB);
	assert_everywhere(w, GPU_KIND_VMM_MAPPED, 3, .peak_bytes = 2 * MiB + 1, .allocs = 2,
			  .frees = 2, .allocated_bytes = 2 * MiB + 1, .freed_bytes = 2 * MiB + 1);
	assert_everywhere(w, GPU_KIND_ADDRESS_RESERVED, UNKNOWN, .peak_bytes = 16 * MiB,
			  .allocs = 1, .frees = 1, .allocated_bytes = 16 * MiB,
			  .freed_bytes = 16 * MiB);
	assert_int_equal(proc(w, PID)->gpu->blocks.n, 0);
	assert_int_equal(proc(w, PID)->gpu->live_bytes, 0);
	assert_int_equal(proc(w, PID)->gpu->live_peak, 2 * MiB);
	/* a mapping of a handle never seen: the thread's device, else unknown */
	gpu(w, .func = MT_GPU_CU_MEM_MAP, .addr = VA, .size = 10, .handle = 0x99);
	assert_int_equal(device(w, PID, UNKNOWN)->kinds[GPU_KIND_VMM_MAPPED].current_bytes, 10);
}

/* The device a thread set is where its allocations go; each thread has its own. */
static void test_set_device(void **state)
{
	struct world *w = *state;
	const struct gpu_state *gs;

	gpu(w, .func = MT_GPU_CUDA_SET_DEVICE, .tid = T1, .device = 2);
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .tid = T1, .addr = DA, .size = 100);
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .tid = T2, .addr = DB, .size = 30);
	/* a set-device that failed changes nothing */
	gpu(w, .func = MT_GPU_HIP_SET_DEVICE, .tid = T1, .result = 101, .device = 7);
	gpu(w, .func = MT_GPU_HIP_MALLOC, .tid = T1, .addr = DC, .size = 5);
	gpu(w, .func = MT_GPU_HIP_SET_DEVICE, .tid = T1, .device = 0);
	/* the block stays on its device, whatever the thread that frees it set */
	gpu(w, .func = MT_GPU_CUDA_FREE, .tid = T1, .addr = DA);
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .tid = T1, .addr = DA, .size = 7);
	gs = proc(w, PID)->gpu;
	/* in order, unknown last */
	assert_int_equal(gs->nr_devices, 3);
	assert_int_equal(gs->devices[0].device, 0);
	assert_int_equal(gs->devices[1].device, 2);
	assert_int_equal(gs->devices[2].device, UNKNOWN);
	assert_counters(&device(w, PID, 2)->kinds[GPU_KIND_DEVICE], .current_bytes = 5,
			.peak_bytes = 105, .allocs = 2, .frees = 1, .allocated_bytes = 105,
			.freed_bytes = 100);
	assert_counters(&device(w, PID, 0)->kinds[GPU_KIND_DEVICE], .current_bytes = 7,
			.peak_bytes = 7, .allocs = 1, .allocated_bytes = 7);
	assert_counters(&device(w, PID, UNKNOWN)->kinds[GPU_KIND_DEVICE], .current_bytes = 30,
			.peak_bytes = 30, .allocs = 1, .allocated_bytes = 30);
	/* set-device is no allocation */
	assert_int_equal(proc_kind(w, PID, GPU_KIND_DEVICE)->allocs, 4);
}

/* An address handed out again while live: its free was lost, so it counts as freed then. */
static void test_replaced_block(void **state)
{
	struct world *w = *state;

	gpu(w, .func = MT_GPU_CU_MEM_ALLOC, .tid = T1, .addr = DA, .size = 100);
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC_MANAGED, .tid = T2, .addr = DA, .size = 40);
	assert_counters(thread_kind(w, PID, T1, GPU_KIND_DEVICE), .peak_bytes = 100, .allocs = 1,
			.frees = 1, .allocated_bytes = 100, .freed_bytes = 100);
	assert_counters(thread_kind(w, PID, T2, GPU_KIND_MANAGED), .current_bytes = 40,
			.peak_bytes = 40, .allocs = 1, .allocated_bytes = 40);
	assert_int_equal(proc(w, PID)->gpu->blocks.n, 1);
	assert_int_equal(proc(w, PID)->gpu->live_bytes, 40);
}

static void test_libraries(void **state)
{
	struct world *w = *state;
	struct mt_process *p = proc(w, PID);

	assert_int_equal(gpu_accounting__add_library(p, "/usr/lib/libcuda.so.1"), 0);
	assert_int_equal(gpu_accounting__add_library(p, "/opt/x/libcudart.so.12"), 0);
	assert_int_equal(gpu_accounting__add_library(p, "/usr/lib/libcuda.so.1"), 0);
	assert_int_equal(gpu_accounting__add_library(NULL, "/x"), -EINVAL);
	assert_int_equal(p->gpu->nr_libraries, 2);
	assert_string_equal(p->gpu->libraries[0], "/usr/lib/libcuda.so.1");
	assert_string_equal(p->gpu->libraries[1], "/opt/x/libcudart.so.12");
	/* a library alone shows the process's GPU memory in reports */
	assert_true(gpu_accounting__active(p->gpu));
}

/* Records of other kinds' sizes, a function out of range, a process not traced. */
static void test_bad_records(void **state)
{
	struct world *w = *state;
	struct mt_gpu_event e;

	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_GPU;
	e.func = MT_GPU_CU_MEM_ALLOC;
	e.pid = PID;
	e.tid = T1;
	e.addr = DA;
	e.size = 1;
	/* too short: not looked at */
	assert_int_equal(dispatch(w, &e, sizeof(e) - 1), 0);
	assert_null(proc(w, PID)->gpu);
	e.pid = 0x7ffffff9u;
	assert_int_equal(dispatch(w, &e, sizeof(e)), 0);
	assert_int_equal(w->t.stray_records, 1);
	e.pid = PID;
	e.func = MT_GPU_FN_COUNT;
	assert_int_equal(dispatch(w, &e, sizeof(e)), -EINVAL);
}

static struct leak_site *find_site(struct world *w, uint32_t pid, const char *allocator,
				   uint64_t stack_id)
{
	int64_t stack = stack_table__intern(&w->t.stacks, stack_id);

	for (size_t i = 0; i < w->s.leaks.n; i++) {
		struct leak_site *s = &w->s.leaks.sites[i];

		if (s->process->pid == pid && s->stack == stack && !strcmp(s->allocator, allocator))
			return s;
	}
	return NULL;
}

static void collect(struct world *w, uint64_t min_age_ns)
{
	struct leaks_opts o = { .now_ns = w->s.now_ns, .min_age_ns = min_age_ns };

	leaks__release(&w->s.leaks);
	assert_int_equal(leaks__collect(&w->t, &o, &w->s.leaks), 0);
}

/*
 * Live GPU blocks are leak sites by (process, allocator, stack): beside
 * the host's at the same stack, never for mapped ranges or reserved space.
 */
static void test_leak_sites(void **state)
{
	struct world *w = *state;
	struct mt_event host;
	struct leak_site *s;

	memset(&host, 0, sizeof(host));
	host.kind = MT_REC_CALL;
	host.func = MT_FN_MALLOC;
	host.pid = PID;
	host.tid = T1;
	host.ts_ns = 5 * NS;
	host.stack_id = S1;
	host.call.addr = DA; /* the same number as a device pointer: another block */
	host.call.size = 7;
	feed(w, &host, sizeof(host));

	gpu(w, .func = MT_GPU_CUDA_MALLOC, .ts = 2 * NS, .addr = DA, .size = 100, .stack_id = S1);
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC, .ts = 3 * NS, .addr = DB, .size = 50, .stack_id = S1);
	gpu(w, .func = MT_GPU_CUDA_MALLOC_HOST, .ts = 4 * NS, .addr = HA, .size = 64,
	    .stack_id = S1);
	gpu(w, .func = MT_GPU_HIP_MALLOC, .ts = 90 * NS, .addr = DC, .size = 9, .stack_id = S2);
	gpu(w, .func = MT_GPU_HIP_HOST_MALLOC, .ts = 90 * NS, .addr = HA + 64, .size = 1,
	    .stack_id = S2);
	gpu(w, .func = MT_GPU_CU_MEM_CREATE, .ts = 6 * NS, .addr = H1, .size = 2 * MiB,
	    .device = 0, .stack_id = S3);
	gpu(w, .func = MT_GPU_CU_MEM_ADDRESS_RESERVE, .ts = 6 * NS, .addr = VA, .size = 4 * MiB,
	    .stack_id = S3);
	gpu(w, .func = MT_GPU_CU_MEM_MAP, .ts = 6 * NS, .addr = VA, .size = 2 * MiB, .handle = H1,
	    .stack_id = S3);
	/* another process's block at the same stack id is its own site */
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .pid = PID2, .tid = PID2, .addr = DA, .size = 3,
	    .stack_id = S1);

	collect(w, 0);
	/* libc, cuda.device, cuda.pinned, hip.device, hip.pinned, cuda.vmm, PID2's cuda.device */
	assert_int_equal(w->s.leaks.n, 7);
	s = find_site(w, PID, "libc", S1);
	assert_non_null(s);
	assert_false(s->gpu);
	assert_int_equal(s->bytes, 7);
	s = find_site(w, PID, "cuda.device", S1);
	assert_non_null(s);
	assert_true(s->gpu);
	assert_int_equal(s->gpu_api, GPU_API_CUDA);
	assert_int_equal(s->gpu_kind, GPU_KIND_DEVICE);
	assert_int_equal(s->bytes, 150);
	assert_int_equal(s->count, 2);
	assert_int_equal(s->oldest_ns, 2 * NS);
	assert_int_equal(find_site(w, PID, "cuda.pinned", S1)->bytes, 64);
	assert_int_equal(find_site(w, PID, "hip.device", S2)->bytes, 9);
	assert_int_equal(find_site(w, PID, "hip.pinned", S2)->bytes, 1);
	assert_int_equal(find_site(w, PID, "cuda.vmm", S3)->bytes, 2 * MiB);
	assert_int_equal(find_site(w, PID2, "cuda.device", S1)->bytes, 3);
	/* largest first */
	assert_string_equal(w->s.leaks.sites[0].allocator, "cuda.vmm");

	/* --leak-age: the young HIP blocks are live, not leak candidates */
	collect(w, 20 * NS);
	leaks__keep(&w->s.leaks, 0);
	assert_int_equal(w->s.leaks.n, 5);
	assert_null(find_site(w, PID, "hip.device", S2));
	assert_null(find_site(w, PID, "hip.pinned", S2));
}

/*
 * A freed GPU block's lifetime is its allocator's, not the host site's at
 * the same stack; growth samples each apart.
 */
static void test_lifetimes_and_growth(void **state)
{
	struct world *w = *state;
	struct growth_sampler_opts o = { .sample = true, .growth = { .intervals = 1 } };
	struct mt_event host;
	struct leak_site *s;

	memset(&host, 0, sizeof(host));
	host.kind = MT_REC_CALL;
	host.func = MT_FN_MALLOC;
	host.pid = PID;
	host.tid = T1;
	host.ts_ns = 2 * NS;
	host.stack_id = S1;
	host.call.addr = HA;
	host.call.size = 10;
	feed(w, &host, sizeof(host));
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .ts = 2 * NS, .addr = DA, .size = 100, .stack_id = S1);
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .ts = 2 * NS, .addr = DB, .size = 100, .stack_id = S1);
	/* lived 0.5 s: the <=1s bucket */
	gpu(w, .func = MT_GPU_CUDA_FREE, .ts = 2 * NS + NS / 2, .addr = DB);

	collect(w, 0);
	s = find_site(w, PID, "cuda.device", S1);
	assert_non_null(s);
	assert_int_equal(s->freed[lifetime_histogram__bucket(NS / 2)], 1);
	assert_int_equal(s->first_ns, 2 * NS);
	s = find_site(w, PID, "libc", S1);
	for (unsigned int i = 0; i < LIFETIME_BUCKETS; i++)
		assert_int_equal(s->freed[i], 0);

	o.t = 1;
	assert_int_equal(growth_sampler__run(&w->t, &o, &w->s.leaks), 0);
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .ts = 3 * NS, .addr = DC, .size = 1000, .stack_id = S1);
	collect(w, 0);
	o.t = 2;
	assert_int_equal(growth_sampler__run(&w->t, &o, &w->s.leaks), 0);
	/* the GPU site rose again, the host site did not */
	s = find_site(w, PID, "cuda.device", S1);
	assert_true(s->growth.growing);
	assert_true(s->growth.has_rate);
	assert_true(s->growth.bytes_per_s == 1000);
	s = find_site(w, PID, "libc", S1);
	assert_false(s->growth.growing);
}

/* --stack=dwarf: a GPU call's stack is the dump its thread sent just before it. */
static void test_dwarf_stack(void **state)
{
	struct world *w = *state;
	struct mt_stack_dump *d = calloc(1, sizeof(*d));
	const struct mt_stack *st;
	const uint64_t caller = 0x401234;
	int64_t idx;

	assert_non_null(d);
	d->kind = MT_REC_STACK_DUMP;
	d->pid = PID;
	d->tid = T2;
	d->dump_id = MT_STACK_DUMP_FLAG | 42;
	d->stack_base = 0x7ffd0000;
	d->regs[7] = 0x7ffd0000; /* sp: the return address is at it */
	d->size = 64;
	memcpy(d->stack, &caller, sizeof(caller));
	feed(w, d, sizeof(*d));
	free(d);
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC, .tid = T2, .addr = DA, .size = 1,
	    .stack_id = MT_STACK_DUMP_FLAG | 42);
	/* another thread's dump is not this call's: no stack */
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC, .tid = T1, .addr = DB, .size = 1,
	    .stack_id = MT_STACK_DUMP_FLAG | 43);
	idx = gpu_blocks__find(&proc(w, PID)->gpu->blocks, GPU_SPACE_POINTER, DA)->stack;
	assert_true(idx > 0);
	st = stack_table__get(&w->t.stacks, (uint32_t)idx);
	assert_int_equal(st->nr_frames, 1);
	assert_int_equal(st->frames[0], caller);
	assert_int_equal(gpu_blocks__find(&proc(w, PID)->gpu->blocks, GPU_SPACE_POINTER, DB)->stack,
			 0);
}

/* Exactly counters__write_json's keys, with these values. */
static void check_json_counters(json_t *c, const struct mt_counters *want, const char *what,
				const char *file, int line)
{
	assert_true(json_is_object(c));
	assert_int_equal(json_object_size(c), UNIT_COUNTERS);
	unit__check_json_counters(c, want, what, file, line);
}

#define assert_json_counters(obj, ...)                                                      \
	check_json_counters((obj), &(const struct mt_counters){ __VA_ARGS__ }, #obj,        \
			    __FILE__, __LINE__)

/* A "kinds" object with all 7 kinds, the ones not named in want all zero. */
static void assert_all_kinds_zero_but(json_t *kinds, const char *except)
{
	assert_int_equal(json_object_size(kinds), GPU_KIND_COUNT);
	for (int k = 0; k < GPU_KIND_COUNT; k++)
		if (!except || strcmp(gpu_funcs__kind_name(k), except))
			assert_json_counters(unit__get(kinds, gpu_funcs__kind_name(k)), 0);
}

/* The run as of now, every live block a leak candidate, named by this process's symbolizer. */
static void summarize(struct world *w)
{
	if (!w->s.sym) {
		w->s.sym = symbolizer__new();
		assert_non_null(w->s.sym);
	}
	collect(w, 0);
}

static const char *write_snapshot(struct world *w)
{
	summarize(w);
	unit__snapshot(&w->s, &w->text, &w->len, &w->root);
	return w->text;
}

static const char *write_report(struct world *w)
{
	summarize(w);
	return unit__report(&w->s, 10, &w->text, &w->len);
}

static json_t *process_json(struct world *w, size_t i)
{
	return json_array_get(unit__get_array(w->root, "processes", 2), i);
}

/* Without GPU activity the "gpu" objects are there all the same, empty. */
static void test_snapshot_host_only(void **state)
{
	struct world *w = *state;
	struct mt_event host;
	json_t *gpu, *p, *t;

	memset(&host, 0, sizeof(host));
	host.kind = MT_REC_CALL;
	host.func = MT_FN_MALLOC;
	host.pid = PID;
	host.tid = T1;
	host.ts_ns = 5 * NS;
	host.call.addr = DA;
	host.call.size = 7;
	feed(w, &host, sizeof(host));
	write_snapshot(w);

	gpu = unit__get(w->root, "gpu");
	assert_int_equal(json_object_size(gpu), 2);
	assert_all_kinds_zero_but(unit__get(gpu, "kinds"), NULL);
	assert_int_equal(unit__get_u64(gpu, "oom_events"), 0);
	for (size_t i = 0; i < 2; i++) {
		p = process_json(w, i);
		gpu = unit__get(p, "gpu");
		assert_int_equal(json_object_size(gpu), 5);
		unit__get_array(gpu, "libraries", 0);
		assert_all_kinds_zero_but(unit__get(gpu, "kinds"), NULL);
		unit__get_array(gpu, "devices", 0);
		unit__get_array(gpu, "oom_events", 0);
		assert_int_equal(unit__get_u64(gpu, "oom_events_omitted"), 0);
	}
	t = json_array_get(unit__get_array(process_json(w, 0), "threads", 1), 0);
	gpu = unit__get(t, "gpu");
	assert_int_equal(json_object_size(gpu), 1);
	assert_all_kinds_zero_but(unit__get(gpu, "kinds"), NULL);
	assert_string_equal(json_string_value(unit__get(
				    json_array_get(unit__get(w->root, "leaks"), 0), "allocator")),
			    "libc");

	/* and the report has no GPU line at all */
	write_report(w);
	assert_null(strstr(w->text, "GPU"));
}

static void gpu_run(struct world *w)
{
	stack(w, PID, S1, 0x10);
	stack(w, PID, S2, 0x20);
	assert_int_equal(gpu_accounting__add_library(proc(w, PID), "/usr/lib/libcuda.so.1"), 0);
	gpu(w, .func = MT_GPU_CUDA_SET_DEVICE, .tid = T2, .device = 1);
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .tid = T2, .ts = 2 * NS, .addr = DA, .size = 1000,
	    .stack_id = S1);
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .tid = T2, .ts = 2 * NS, .addr = DB, .size = 500,
	    .stack_id = S1);
	gpu(w, .func = MT_GPU_CUDA_FREE, .tid = T1, .ts = 3 * NS, .addr = DB);
	gpu(w, .func = MT_GPU_CU_MEM_ALLOC_HOST, .tid = T1, .ts = 3 * NS, .addr = HA, .size = 64,
	    .stack_id = S2);
	gpu(w, .func = MT_GPU_CU_MEM_ADDRESS_RESERVE, .tid = T1, .ts = 3 * NS, .addr = VA,
	    .size = 4 * MiB, .stack_id = S2);
	/* at 3.5 s since tracing started (at 1 s) */
	gpu(w, .func = MT_GPU_CUDA_MALLOC, .tid = T2, .ts = 4 * NS + NS / 2,
	    .result = MT_GPU_RESULT_OOM, .size = 80 * MiB, .stack_id = S1);
	gpu(w, .func = MT_GPU_CU_MEM_MAP, .tid = T1, .ts = 5 * NS, .result = MT_GPU_RESULT_OOM,
	    .size = 2 * MiB, .handle = H1);
}

static void test_snapshot_gpu(void **state)
{
	struct world *w = *state;
	json_t *gpu, *p, *kinds, *dev, *oom, *t, *leaks, *frame;

	gpu_run(w);
	write_snapshot(w);

	/* the run's */
	gpu = unit__get(w->root, "gpu");
	kinds = unit__get(gpu, "kinds");
	assert_int_equal(json_object_size(kinds), GPU_KIND_COUNT);
	assert_json_counters(unit__get(kinds, "device"), .current_bytes = 1000, .peak_bytes = 1500,
			     .allocs = 2, .frees = 1, .failed_allocs = 1, .allocated_bytes = 1500,
			     .freed_bytes = 500);
	assert_json_counters(unit__get(kinds, "pinned"), .current_bytes = 64, .peak_bytes = 64,
			     .allocs = 1, .allocated_bytes = 64);
	assert_json_counters(unit__get(kinds, "address_reserved"), .current_bytes = 4 * MiB,
			     .peak_bytes = 4 * MiB, .allocs = 1, .allocated_bytes = 4 * MiB);
	assert_json_counters(unit__get(kinds, "vmm_mapped"), .failed_allocs = 1);
	assert_json_counters(unit__get(kinds, "managed"), 0);
	assert_int_equal(unit__get_u64(gpu, "oom_events"), 2);

	/* the process's */
	p = process_json(w, 0);
	assert_int_equal(unit__get_u64(p, "pid"), PID);
	gpu = unit__get(p, "gpu");
	assert_string_equal(
		json_string_value(json_array_get(unit__get_array(gpu, "libraries", 1), 0)),
		"/usr/lib/libcuda.so.1");
	kinds = unit__get(gpu, "kinds");
	assert_int_equal(json_object_size(kinds), GPU_KIND_COUNT);
	assert_json_counters(unit__get(kinds, "device"), .current_bytes = 1000, .peak_bytes = 1500,
			     .allocs = 2, .frees = 1, .failed_allocs = 1, .allocated_bytes = 1500,
			     .freed_bytes = 500);
	assert_json_counters(unit__get(kinds, "async"), 0);
	/* device 1 (T2's), then unknown (T1 set none) */
	dev = json_array_get(unit__get_array(gpu, "devices", 2), 0);
	assert_int_equal(unit__get_u64(dev, "device"), 1);
	kinds = unit__get(dev, "kinds");
	assert_int_equal(json_object_size(kinds), 1);
	assert_json_counters(unit__get(kinds, "device"), .current_bytes = 1000, .peak_bytes = 1500,
			     .allocs = 2, .frees = 1, .failed_allocs = 1, .allocated_bytes = 1500,
			     .freed_bytes = 500);
	dev = json_array_get(unit__get(gpu, "devices"), 1);
	assert_true(json_is_null(unit__get(dev, "device")));
	kinds = unit__get(dev, "kinds");
	assert_int_equal(json_object_size(kinds), 3);
	assert_json_counters(unit__get(kinds, "pinned"), .current_bytes = 64, .peak_bytes = 64,
			     .allocs = 1, .allocated_bytes = 64);
	assert_json_counters(unit__get(kinds, "vmm_mapped"), .failed_allocs = 1);
	assert_non_null(json_object_get(kinds, "address_reserved"));

	oom = json_array_get(unit__get_array(gpu, "oom_events", 2), 0);
	assert_int_equal(json_object_size(oom), 8);
	assert_true(json_is_real(unit__get(oom, "t_s")));
	assert_true(json_real_value(unit__get(oom, "t_s")) == 3.5);
	assert_int_equal(unit__get_u64(oom, "tid"), T2);
	assert_string_equal(json_string_value(unit__get(oom, "function")), "cudaMalloc");
	assert_string_equal(json_string_value(unit__get(oom, "allocator")), "cuda.device");
	assert_int_equal(unit__get_u64(oom, "requested_bytes"), 80 * MiB);
	assert_int_equal(unit__get_u64(oom, "device"), 1);
	assert_int_equal(unit__get_u64(oom, "gpu_live_bytes"), 1000);
	/* written as a leak's frames are */
	frame = json_array_get(unit__get_array(oom, "stack", 1), 0);
	assert_string_equal(json_string_value(unit__get(frame, "ip")), "0x10");
	assert_true(json_is_null(unit__get(frame, "symbol")));
	assert_true(json_is_false(unit__get(frame, "inlined")));
	oom = json_array_get(unit__get(gpu, "oom_events"), 1);
	assert_string_equal(json_string_value(unit__get(oom, "function")), "cuMemMap");
	/* a mapping is no allocator of its own */
	assert_true(json_is_null(unit__get(oom, "allocator")));
	assert_true(json_is_null(unit__get(oom, "device")));
	unit__get_array(oom, "stack", 0);
	assert_int_equal(unit__get_u64(gpu, "oom_events_omitted"), 0);

	/* the threads, in order of first sight: T2 then T1, each with every kind */
	t = json_array_get(unit__get_array(p, "threads", 2), 1);
	assert_int_equal(unit__get_u64(t, "tid"), T1);
	kinds = unit__get(unit__get(t, "gpu"), "kinds");
	assert_int_equal(json_object_size(kinds), GPU_KIND_COUNT);
	assert_json_counters(unit__get(kinds, "device"), 0);
	assert_json_counters(unit__get(kinds, "pinned"), .current_bytes = 64, .peak_bytes = 64,
			     .allocs = 1, .allocated_bytes = 64);
	t = json_array_get(unit__get(p, "threads"), 0);
	assert_int_equal(unit__get_u64(t, "tid"), T2);
	/* the free on T1 went back to T2, which allocated */
	assert_json_counters(unit__get(unit__get(unit__get(t, "gpu"), "kinds"), "device"),
			     .current_bytes = 1000, .peak_bytes = 1500, .allocs = 2, .frees = 1,
			     .failed_allocs = 1, .allocated_bytes = 1500, .freed_bytes = 500);
	assert_all_kinds_zero_but(unit__get(unit__get(process_json(w, 1), "gpu"), "kinds"), NULL);

	/* leaks: cuda.device at S1 and cuda.pinned at S2; reserved space is none */
	leaks = unit__get_array(w->root, "leaks", 2);
	assert_string_equal(json_string_value(unit__get(json_array_get(leaks, 0), "allocator")),
			    "cuda.device");
	assert_int_equal(unit__get_u64(json_array_get(leaks, 0), "bytes"), 1000);
	assert_string_equal(json_string_value(unit__get(json_array_get(leaks, 1), "allocator")),
			    "cuda.pinned");
}

/* memtrace diff, check and merge read GPU leaks and the "gpu" objects back. */
static void test_snapshot_reader(void **state)
{
	struct world *w = *state;
	struct snapshot snap;
	struct diff d;
	char err[256] = "";
	char *key;
	int ret;

	gpu_run(w);
	write_snapshot(w);
	ret = snapshot_reader__parse(w->text, w->len, "gpu.json", &snap, err, sizeof(err));
	if (ret)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	assert_int_equal(snap.nr_leaks, 2);
	assert_string_equal(snap.leaks[0].allocator, "cuda.device");
	assert_string_equal(snap.leaks[1].allocator, "cuda.pinned");
	key = site_key__build(&snap.leaks[0], 0);
	assert_non_null(key);
	assert_string_equal(key, "cuda.device;?@?");
	free(key);
	/* diff sums leaks per allocator: a run against itself, nothing changed */
	assert_int_equal(diff__compute(&d, &snap, &snap, SITE_KEY_DEFAULT_DEPTH), 0);
	assert_int_equal(d.nr_allocators, 2);
	assert_string_equal(d.allocators[0].name, "cuda.device");
	assert_int_equal(d.allocators[0].before_bytes, 1000);
	assert_int_equal(d.allocators[0].after_bytes, 1000);
	assert_string_equal(d.allocators[1].name, "cuda.pinned");
	assert_int_equal(d.by_status[SITE_SAME], 2);
	diff__release(&d);
	snapshot_reader__release(&snap);
}

static void test_report(void **state)
{
	struct world *w = *state;
	const char *text;

	gpu_run(w);
	text = write_report(w);
	if (getenv("SHOW_REPORT"))
		fputs(text, stderr);
	assert_non_null(strstr(text, "\nGPU: device current 1000 B, peak 1.46 KiB; pinned current "
				     "64 B, peak 64 B; vmm_mapped current 0 B, peak 0 B; "
				     "address_reserved current 4.00 MiB, peak 4.00 MiB | 2 OOM "
				     "events\n"));
	/* under the host counters: device memory live and its peak; pinned apart */
	assert_non_null(strstr(text, "\n  GPU current 1000 B, peak 1.46 KiB | host-pinned current "
				     "64 B, peak 64 B\n"));
	assert_non_null(strstr(text, "\n  GPU libraries: /usr/lib/libcuda.so.1\n"));
	assert_non_null(strstr(text, "\n  device                1000 B   1.46 KiB          2     "
				     "     1        1        0\n"));
	assert_non_null(strstr(text, "\n    device 1: device current 1000 B, peak 1.46 KiB\n"));
	assert_non_null(strstr(text, "\n    device unknown: pinned current 64 B, peak 64 B;"));
	assert_non_null(strstr(text, "\n    OOM at 3.5 s: cudaMalloc of 80.0 MiB with 1000 B of "
				     "GPU memory live, TID 2147483634, device 1, at 0x10\n"));
	assert_non_null(strstr(text, ": cuMemMap of 2.00 MiB with 1000 B of GPU memory live, TID "
				     "2147483632, at (stack lost)\n"));
	/* a GPU site says its allocator; a host one does not */
	assert_non_null(strstr(text, "in 1 block  PID 2147483632  cuda.device  oldest"));
	/* the host-only process has no GPU lines */
	assert_null(strstr(strstr(text, "\nPID 2147483633"), "GPU"));
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_host_only),
		TEST(test_each_kind),
		TEST(test_runtime_alloc_free),
		TEST(test_cross_thread_free),
		TEST(test_unknown_frees),
		TEST(test_one_pointer_namespace),
		TEST(test_failed_and_oom),
		TEST(test_oom_cap),
		TEST(test_vmm_sequence),
		TEST(test_set_device),
		TEST(test_replaced_block),
		TEST(test_libraries),
		TEST(test_bad_records),
		TEST(test_leak_sites),
		TEST(test_lifetimes_and_growth),
		TEST(test_dwarf_stack),
		TEST(test_snapshot_host_only),
		TEST(test_snapshot_gpu),
		TEST(test_snapshot_reader),
		TEST(test_report),
	};

	return cmocka_run_group_tests_name("unit: gpu accounting", tests, NULL, NULL);
}
