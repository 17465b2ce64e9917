// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GPU memory, exactly: the programs tests/progs/gpu_*.c (each one's header
 * lists what it allocates) against the CUDA and HIP test doubles in
 * tests/gpu_double/ (host memory behind the API names; no GPU involved),
 * loaded linked, dlopen'ed after the attach, and called through dlsym'd
 * pointers. Then NVIDIA's real libcudart and driver stub when the toolkit
 * is installed: memtrace must find and probe every function they export,
 * with no GPU and no driver on the machine.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "attach/gpu_funcs.h"
#include "harness.h"

#define K (1024ULL)
#define M (1024ULL * 1024)
#define T (1024ULL * 1024 * 1024 * 1024)

#define DOUBLE_DIR "build/tests/gpu_double/"
#define REAL_CUDART_DIR "/usr/local/cuda/lib64"
#define REAL_DRIVER_STUB "/usr/local/cuda/lib64/stubs/libcuda.so"

/* One kind's counters; reallocs and unknown_frees are always 0 for GPU memory. */
struct ctr {
	uint64_t cur, peak, allocs, frees, failed, allocated, freed;
};

struct gpu_leak {
	const char *allocator;
	const char *leaf;	/* stack[0]: the program's function that called the API */
	uint64_t bytes, count;
	const char *mark;	/* the MARK on the call's line */
};

/* ---- what the programs do (their header comments say the same) ---- */

/* gpu_linked: every kind, per process */
static const struct ctr linked_process[GPU_KIND_COUNT] = {
	[GPU_KIND_DEVICE] = { 19 * M + 133120, 28 * M + 133120, 8, 3, 2, 32 * M + 133120, 13 * M },
	[GPU_KIND_MANAGED] = { 5 * M, 11 * M, 2, 1, 0, 11 * M, 6 * M },
	[GPU_KIND_PINNED] = { 576 * K, 640 * K, 4, 2, 0, 960 * K, 384 * K },
	[GPU_KIND_ASYNC] = { 192 * K, 768 * K, 3, 2, 0, 1344 * K, 1152 * K },
	[GPU_KIND_VMM_PHYSICAL] = { 2 * M, 4 * M, 2, 1, 0, 6 * M, 4 * M },
	[GPU_KIND_VMM_MAPPED] = { 2 * M, 4 * M, 2, 1, 0, 6 * M, 4 * M },
	[GPU_KIND_ADDRESS_RESERVED] = { 4 * M, 8 * M, 2, 1, 0, 12 * M, 8 * M },
};

/* its main thread: everything but gpu_alloc's two blocks, whose free it made */
#define LINKED_MAIN_DEVICE { 9 * M + 133120, 9 * M + 133120, 6, 2, 2, 13 * M + 133120, 4 * M }
static const struct ctr linked_main[GPU_KIND_COUNT] = {
	[GPU_KIND_DEVICE] = LINKED_MAIN_DEVICE,
	[GPU_KIND_MANAGED] = { 5 * M, 11 * M, 2, 1, 0, 11 * M, 6 * M },
	[GPU_KIND_PINNED] = { 576 * K, 640 * K, 4, 2, 0, 960 * K, 384 * K },
	[GPU_KIND_ASYNC] = { 192 * K, 768 * K, 3, 2, 0, 1344 * K, 1152 * K },
	[GPU_KIND_VMM_PHYSICAL] = { 2 * M, 4 * M, 2, 1, 0, 6 * M, 4 * M },
	[GPU_KIND_VMM_MAPPED] = { 2 * M, 4 * M, 2, 1, 0, 6 * M, 4 * M },
	[GPU_KIND_ADDRESS_RESERVED] = { 4 * M, 8 * M, 2, 1, 0, 12 * M, 8 * M },
};

/* thread gpu_alloc: 9M and 10M; main freed the 9M one, charged here */
#define LINKED_THREAD_DEVICE { 10 * M, 19 * M, 2, 1, 0, 19 * M, 9 * M }
static const struct ctr linked_thread[GPU_KIND_COUNT] = {
	[GPU_KIND_DEVICE] = LINKED_THREAD_DEVICE,
};

/* device 0: vmm_cycle's 4M; 1: main's current device; 2: vmm_keep's 2M; unknown: gpu_alloc */
static const struct ctr linked_dev0[GPU_KIND_COUNT] = {
	[GPU_KIND_VMM_PHYSICAL] = { 0, 4 * M, 1, 1, 0, 4 * M, 4 * M },
	[GPU_KIND_VMM_MAPPED] = { 0, 4 * M, 1, 1, 0, 4 * M, 4 * M },
};
static const struct ctr linked_dev1[GPU_KIND_COUNT] = {
	[GPU_KIND_DEVICE] = LINKED_MAIN_DEVICE,
	[GPU_KIND_MANAGED] = { 5 * M, 11 * M, 2, 1, 0, 11 * M, 6 * M },
	[GPU_KIND_PINNED] = { 576 * K, 640 * K, 4, 2, 0, 960 * K, 384 * K },
	[GPU_KIND_ASYNC] = { 192 * K, 768 * K, 3, 2, 0, 1344 * K, 1152 * K },
	[GPU_KIND_ADDRESS_RESERVED] = { 4 * M, 8 * M, 2, 1, 0, 12 * M, 8 * M },
};
static const struct ctr linked_dev2[GPU_KIND_COUNT] = {
	[GPU_KIND_VMM_PHYSICAL] = { 2 * M, 2 * M, 1, 0, 0, 2 * M, 0 },
	[GPU_KIND_VMM_MAPPED] = { 2 * M, 2 * M, 1, 0, 0, 2 * M, 0 },
};
static const struct ctr linked_dev_unknown[GPU_KIND_COUNT] = {
	[GPU_KIND_DEVICE] = LINKED_THREAD_DEVICE,
};

/* at the two out-of-memory calls: device + managed + async + vmm_physical live */
#define LINKED_GPU_LIVE (19 * M + 133120 + 5 * M + 192 * K + 2 * M)

static const struct gpu_leak linked_leaks[] = {
	{ "cuda.device", "rt_malloc", 2 * M, 1, "rt_malloc_2m" },
	{ "cuda.device", "rt_pitch", 102400, 1, "rt_pitch" },
	{ "cuda.device", "drv_alloc", 7 * M, 1, "drv_alloc" },
	{ "cuda.device", "drv_pitch", 30720, 1, "drv_pitch" },
	{ "cuda.device", "gpu_thread_alloc", 10 * M, 1, "thread_10m" },
	{ "cuda.managed", "rt_managed", 5 * M, 1, "rt_managed" },
	{ "cuda.pinned", "rt_pinned", 512 * K, 1, "rt_host_alloc" },
	{ "cuda.pinned", "drv_pinned", 64 * K, 1, "drv_host_alloc" },
	{ "cuda.async", "drv_async", 192 * K, 1, "drv_pool_async" },
	{ "cuda.vmm", "vmm_keep", 2 * M, 1, "vmm_keep_create" },
};

/* gpu_dlopen: 3 x 1M (1 freed) through the runtime, 2M through the driver; device unknown */
static const struct ctr dlopen_process[GPU_KIND_COUNT] = {
	[GPU_KIND_DEVICE] = { 4 * M, 4 * M, 4, 1, 0, 5 * M, 1 * M },
};
static const struct gpu_leak dlopen_leaks[] = {
	{ "cuda.device", "dl_rt_malloc", 2 * M, 2, "dl_rt_malloc" },
	{ "cuda.device", "dl_drv_alloc", 2 * M, 1, "dl_drv_alloc" },
};

/* gpu_dlsym: 2 x 256K (1 freed), 768K managed */
static const struct ctr dlsym_process[GPU_KIND_COUNT] = {
	[GPU_KIND_DEVICE] = { 256 * K, 512 * K, 2, 1, 0, 512 * K, 256 * K },
	[GPU_KIND_MANAGED] = { 768 * K, 768 * K, 1, 0, 0, 768 * K, 0 },
};
static const struct gpu_leak dlsym_leaks[] = {
	{ "cuda.device", "fp_malloc", 256 * K, 1, "fp_malloc_kept" },
	{ "cuda.managed", "fp_managed", 768 * K, 1, "fp_managed" },
};

/* gpu_hip, all on device 2 */
static const struct ctr hip_process[GPU_KIND_COUNT] = {
	[GPU_KIND_DEVICE] = { 2 * M, 3 * M, 2, 1, 1, 3 * M, 1 * M },
	[GPU_KIND_MANAGED] = { 3 * M, 3 * M, 1, 0, 0, 3 * M, 0 },
	[GPU_KIND_PINNED] = { 0, 256 * K, 1, 1, 0, 256 * K, 256 * K },
	[GPU_KIND_ASYNC] = { 0, 512 * K, 1, 1, 0, 512 * K, 512 * K },
};
static const struct gpu_leak hip_leaks[] = {
	{ "hip.device", "hip_device", 2 * M, 1, "hip_device_kept" },
	{ "hip.managed", "hip_managed", 3 * M, 1, "hip_managed" },
};

/* ---- snapshot checks ---- */

static void check_ctr(const json_t *c, const struct ctr *w, const char *where, const char *kind)
{
	const struct {
		const char *key;
		uint64_t want;
	} f[] = {
		{ "current_bytes", w->cur },	{ "peak_bytes", w->peak },
		{ "allocs", w->allocs },	{ "frees", w->frees },
		{ "reallocs", 0 },		{ "failed_allocs", w->failed },
		{ "allocated_bytes", w->allocated }, { "freed_bytes", w->freed },
		{ "unknown_frees", 0 },
	};

	if (!json_is_object(c))
		fail_msg("%s: no \"%s\" counters", where, kind);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint64_t got = harness__u64(c, f[i].key);

		if (got != f[i].want)
			fail_msg("%s, kind %s: %s expected %llu, got %llu", where, kind, f[i].key,
				 (unsigned long long)f[i].want, (unsigned long long)got);
	}
}

static bool ctr_active(const struct ctr *c)
{
	return c->allocs || c->frees || c->failed;
}

/*
 * kinds: an object of counters by kind name. all: every kind must be there
 * (process, thread, totals); else exactly the kinds with activity (devices).
 */
static void check_kinds(const json_t *kinds, const struct ctr want[GPU_KIND_COUNT], bool all,
			const char *where)
{
	size_t expected = 0;

	if (!json_is_object(kinds))
		fail_msg("%s: no \"kinds\" object", where);
	for (int k = 0; k < GPU_KIND_COUNT; k++) {
		const char *name = gpu_funcs__kind_name(k);

		if (!all && !ctr_active(&want[k])) {
			if (json_object_get(kinds, name))
				fail_msg("%s: kind %s listed without any activity", where, name);
			continue;
		}
		expected++;
		check_ctr(json_object_get(kinds, name), &want[k], where, name);
	}
	if (json_object_size(kinds) != expected)
		fail_msg("%s: %zu kinds, expected %zu", where, json_object_size(kinds), expected);
}

static json_t *gpu_of(const json_t *obj, const char *where)
{
	json_t *gpu = json_object_get(obj, "gpu");

	if (!json_is_object(gpu))
		fail_msg("%s: no \"gpu\" object", where);
	return gpu;
}

/* device < 0: the unknown device (null) */
static json_t *device_entry(const json_t *process, int device)
{
	json_t *devices = json_object_get(gpu_of(process, "process"), "devices"), *d;
	size_t i;

	json_array_foreach(devices, i, d) {
		json_t *id = json_object_get(d, "device");

		if (device < 0 ? json_is_null(id)
			       : json_is_integer(id) && json_integer_value(id) == device)
			return d;
	}
	fail_msg("no device %d in the process's \"devices\"", device);
	return NULL;
}

static void check_device(const json_t *process, int device, const struct ctr want[])
{
	char where[32];

	snprintf(where, sizeof(where), "device %d", device);
	check_kinds(json_object_get(device_entry(process, device), "kinds"), want, false, where);
}

static char *real(const char *path)
{
	char *r = realpath(path, NULL);

	if (!r)
		fail_msg("realpath %s: %s", path, strerror(errno));
	return r;
}

/* The process's "libraries" is exactly this set of files (NULL-terminated). */
static void check_libraries(const json_t *process, const char *const *paths)
{
	json_t *libs = json_object_get(gpu_of(process, "process"), "libraries");
	size_t n = 0;

	assert_true(json_is_array(libs));
	for (; paths[n]; n++) {
		char *want = real(paths[n]);
		bool found = false;
		json_t *l;
		size_t i;

		json_array_foreach(libs, i, l)
			found |= json_is_string(l) && !strcmp(json_string_value(l), want);
		if (!found)
			fail_msg("GPU library %s is not in the process's \"libraries\": %s", want,
				 json_dumps(libs, JSON_COMPACT));
		free(want);
	}
	if (json_array_size(libs) != n)
		fail_msg("%zu GPU libraries listed, expected %zu", json_array_size(libs), n);
}

static bool is_gpu_leak(const json_t *leak, pid_t pid)
{
	return harness__u64(leak, "pid") == (uint64_t)pid &&
	       strcmp(harness__str(leak, "allocator"), "libc");
}

/*
 * Exactly these GPU leak sites for pid: allocator, bytes, count, and a
 * stack whose leaf is the program's own function, on the MARK line.
 */
static void check_leaks(const json_t *snap, pid_t pid, const char *prog, const char *source,
			const struct gpu_leak *want, size_t n)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak;
	char *exe = real(prog);
	size_t i, sites = 0;

	json_array_foreach(leaks, i, leak)
		sites += is_gpu_leak(leak, pid);
	if (sites != n)
		fail_msg("%zu GPU leak sites, expected %zu", sites, n);
	for (size_t w = 0; w < n; w++) {
		json_t *found = NULL, *leaf;

		json_array_foreach(leaks, i, leak) {
			json_t *frame = json_array_get(json_object_get(leak, "stack"), 0);
			json_t *sym = json_object_get(frame, "symbol");

			if (is_gpu_leak(leak, pid) &&
			    !strcmp(harness__str(leak, "allocator"), want[w].allocator) &&
			    json_is_string(sym) && !strcmp(json_string_value(sym), want[w].leaf))
				found = leak;
		}
		if (!found)
			fail_msg("no %s leak from %s", want[w].allocator, want[w].leaf);
		if (harness__u64(found, "bytes") != want[w].bytes ||
		    harness__u64(found, "count") != want[w].count)
			fail_msg("%s leak from %s: expected %llu bytes in %llu, got %llu in %llu",
				 want[w].allocator, want[w].leaf, (unsigned long long)want[w].bytes,
				 (unsigned long long)want[w].count,
				 (unsigned long long)harness__u64(found, "bytes"),
				 (unsigned long long)harness__u64(found, "count"));
		leaf = json_array_get(json_object_get(found, "stack"), 0);
		assert_string_equal(harness__str(leaf, "module"), exe);
		if (harness__u64(leaf, "line") != harness__marker_line(source, want[w].mark))
			fail_msg("%s leak from %s: line %llu, not MARK %s's", want[w].allocator,
				 want[w].leaf, (unsigned long long)harness__u64(leaf, "line"),
				 want[w].mark);
	}
	free(exe);
}

/* The process's GPU kinds all zero, no GPU library, no out-of-memory, no GPU leak. */
static void check_no_gpu(const json_t *snap, const json_t *process)
{
	static const struct ctr zero[GPU_KIND_COUNT];
	json_t *gpu = gpu_of(process, "process"), *leak;
	size_t i;

	check_kinds(json_object_get(gpu, "kinds"), zero, true, "process");
	assert_int_equal(json_array_size(json_object_get(gpu, "libraries")), 0);
	assert_int_equal(json_array_size(json_object_get(gpu, "oom_events")), 0);
	json_array_foreach(json_object_get(snap, "leaks"), i, leak)
		assert_string_equal(harness__str(leak, "allocator"), "libc");
}

/* ---- running memtrace ---- */

static void run_launch(struct mt_run *r, const char *const *args)
{
	harness__run(r, args);
	if (r->status != 0 || !r->snap)
		fail_msg("memtrace failed (status %d):\n%s", r->status, r->err);
}

/*
 * Reads the tracer's stderr (kept in t->err_text) until a line holding
 * both needles, or timeout_ms. Returns whether it came.
 */
static bool tracer_says(struct harness_tracer *t, const char *n1, const char *n2,
			int timeout_ms)
{
	size_t len = t->err_text ? strlen(t->err_text) : 0, line_start = len;
	struct pollfd pfd = { .fd = t->err, .events = POLLIN };
	char c;

	while (poll(&pfd, 1, timeout_ms) > 0 && read(t->err, &c, 1) == 1) {
		t->err_text = realloc(t->err_text, len + 2);
		assert_non_null(t->err_text);
		t->err_text[len++] = c;
		t->err_text[len] = '\0';
		if (c != '\n')
			continue;
		if (strstr(t->err_text + line_start, n1) && strstr(t->err_text + line_start, n2))
			return true;
		line_start = len;
	}
	return false;
}

/* Reads fd to its end into buf (NUL-terminated), for at most 10 s. */
static void read_all(int fd, char *buf, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && poll(&pfd, 1, 10000) > 0) {
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
}

/*
 * memtrace ARGS -p PID against gpu_real_cudart LIB [--driver]: attached
 * while it waits; then it dlopens LIB, and memtrace gets up to 10 s to say
 * it has probed LIB before the call is made. out gets the program's
 * "result N" line.
 */
static void trace_real(const char *lib, bool driver, struct mt_run *r, pid_t *pid, char *out,
		       size_t out_size)
{
	const char *target[] = { PROG("gpu_real_cudart"), lib, driver ? "--driver" : NULL, NULL };
	struct harness_tracer tracer;
	struct harness_child child;
	char pid_arg[16], *path = real(lib);
	int status;

	assert_int_equal(harness__spawn(&child, target), 0);
	assert_int_equal(harness__expect_line(child.out, "ready"), 0);
	snprintf(pid_arg, sizeof(pid_arg), "%d", child.pid);
	assert_int_equal(harness__start_tracer(&tracer,
					       (const char *const[]){ "--json", "-v", "-p",
								      pid_arg, NULL },
					       child.pid),
			 0);
	assert_int_equal(write(child.in, "go\n", 3), 3);
	assert_int_equal(harness__expect_line(child.out, "loaded"), 0);
	if (!tracer_says(&tracer, "GPU probes on", path, 10000))
		fprintf(stderr, "test_gpu: memtrace did not say it probed %s within 10 s\n", path);
	assert_int_equal(write(child.in, "go\n", 3), 3);
	read_all(child.out, out, out_size);
	status = harness__wait(&child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(harness__finish_tracer(&tracer, r), 0);
	if (r->status != 0 || !r->snap)
		fail_msg("memtrace failed (status %d):\n%s", r->status, r->err);
	*pid = child.pid;
	free(path);
}

/* ---- gpu_linked in launch mode: one run, many checks ---- */

static struct mt_run linked;
static json_t *linked_proc;
static pid_t linked_pid;

static int linked_setup(void **state)
{
	(void)state;
	harness__run(&linked, (const char *const[]){ "--json", "--stack=fp", "--",
						     PROG("gpu_linked"), "--now", NULL });
	if (linked.status != 0 || !linked.snap) {
		fprintf(stderr, "memtrace -- gpu_linked failed (status %d):\n%s", linked.status,
			linked.err);
		return -1;
	}
	linked_proc = harness__only_process(linked.snap);
	linked_pid = (pid_t)harness__u64(linked_proc, "pid");
	return 0;
}

static int linked_teardown(void **state)
{
	(void)state;
	harness__release(&linked);
	return 0;
}

/* Per kind, with the runtime's calls into the driver counted once (8 device allocs, not 14). */
static void test_linked_process_kinds(void **state)
{
	(void)state;
	check_kinds(json_object_get(gpu_of(linked_proc, "process"), "kinds"), linked_process, true,
		    "process");
	assert_int_equal(harness__u64(linked.snap, "lost_events"), 0);
	/* the doubles take no host memory: what libc counts is far below any GPU block */
	assert_true(harness__u64(linked_proc, "allocated_bytes") < 64 * K);
}

static void test_linked_totals(void **state)
{
	json_t *gpu = gpu_of(linked.snap, "totals");

	(void)state;
	check_kinds(json_object_get(gpu, "kinds"), linked_process, true, "totals");
	assert_int_equal(harness__u64(gpu, "oom_events"), 2);
}

/* A block's bytes stay its allocating thread's, whichever thread frees it. */
static void test_linked_threads(void **state)
{
	json_t *main_thread = harness__thread_by_comm(linked_proc, "gpu_linked");
	json_t *alloc_thread = harness__thread_by_comm(linked_proc, "gpu_alloc");

	(void)state;
	check_kinds(json_object_get(gpu_of(main_thread, "thread"), "kinds"), linked_main, true,
		    "thread gpu_linked");
	check_kinds(json_object_get(gpu_of(alloc_thread, "thread"), "kinds"), linked_thread, true,
		    "thread gpu_alloc");
}

/*
 * cuMemCreate's location (0 and 2; a map follows its handle); else the
 * thread's device after a successful cudaSetDevice (1: the failed
 * cudaSetDevice(9) changes nothing); the thread that never set one: null.
 */
static void test_linked_devices(void **state)
{
	(void)state;
	check_device(linked_proc, 0, linked_dev0);
	check_device(linked_proc, 1, linked_dev1);
	check_device(linked_proc, 2, linked_dev2);
	check_device(linked_proc, -1, linked_dev_unknown);
	assert_int_equal(json_array_size(json_object_get(gpu_of(linked_proc, "process"),
							 "devices")),
			 4);
}

static void check_oom(const json_t *e, pid_t tid, const char *function, const char *allocator,
		      int device, uint64_t live, const char *leaf, const char *source,
		      const char *mark)
{
	json_t *frame = json_array_get(json_object_get(e, "stack"), 0);

	assert_true(json_is_number(json_object_get(e, "t_s")));
	assert_int_equal(harness__u64(e, "tid"), tid);
	assert_string_equal(harness__str(e, "function"), function);
	assert_string_equal(harness__str(e, "allocator"), allocator);
	assert_int_equal(harness__u64(e, "requested_bytes"), 1 * T);
	assert_int_equal(harness__u64(e, "device"), device);
	assert_int_equal(harness__u64(e, "gpu_live_bytes"), live);
	assert_string_equal(harness__str(frame, "symbol"), leaf);
	assert_int_equal(harness__u64(frame, "line"), harness__marker_line(source, mark));
}

/* Both 1 TiB calls: out of memory, once each, the runtime's not again as the driver's. */
static void test_linked_oom(void **state)
{
	json_t *ooms = json_object_get(gpu_of(linked_proc, "process"), "oom_events");
	const char *src = "tests/progs/gpu_linked.c";

	(void)state;
	assert_int_equal(json_array_size(ooms), 2);
	check_oom(json_array_get(ooms, 0), linked_pid, "cudaMalloc", "cuda.device", 1,
		  LINKED_GPU_LIVE, "oom_runtime", src, "oom_runtime");
	check_oom(json_array_get(ooms, 1), linked_pid, "cuMemAlloc_v2", "cuda.device", 1,
		  LINKED_GPU_LIVE, "oom_driver", src, "oom_driver");
}

/*
 * Live blocks by allocator and call site. The VMM sequence left one
 * physical block (cuda.vmm); its mapping and reserved range are counted
 * (test_linked_process_kinds) but are not leaks.
 */
static void test_linked_leaks(void **state)
{
	(void)state;
	check_leaks(linked.snap, linked_pid, PROG("gpu_linked"), "tests/progs/gpu_linked.c",
		    linked_leaks, sizeof(linked_leaks) / sizeof(linked_leaks[0]));
}

static void test_linked_libraries(void **state)
{
	(void)state;
	check_libraries(linked_proc, (const char *const[]){ DOUBLE_DIR "libcuda.so.1",
							    DOUBLE_DIR "libcudart.so.13", NULL });
}

/* ---- one run each ---- */

/* The same program attached with -p before its first GPU call: the same numbers. */
static void test_linked_attached(void **state)
{
	struct mt_run r;
	pid_t pid;

	(void)state;
	harness__trace_running((const char *const[]){ PROG("gpu_linked"), NULL }, &r, &pid);
	assert_int_equal(r.status, 0);
	assert_non_null(r.snap);
	check_kinds(json_object_get(gpu_of(harness__process(r.snap, pid), "process"), "kinds"),
		    linked_process, true, "process (-p)");
	check_kinds(json_object_get(gpu_of(harness__thread_by_comm(harness__process(r.snap, pid),
								   "gpu_alloc"),
					   "thread"),
				    "kinds"),
		    linked_thread, true, "thread gpu_alloc (-p)");
	harness__release(&r);
}

/*
 * Attached while gpu_dlopen maps no GPU library; it then dlopens the
 * runtime by soname and calls at once: the probes must already be there.
 */
static void test_dlopen_after_attach(void **state)
{
	struct mt_run r;
	json_t *p;
	pid_t pid;

	(void)state;
	harness__trace_running((const char *const[]){ PROG("gpu_dlopen"), NULL }, &r, &pid);
	assert_int_equal(r.status, 0);
	assert_non_null(r.snap);
	p = harness__process(r.snap, pid);
	check_kinds(json_object_get(gpu_of(p, "process"), "kinds"), dlopen_process, true,
		    "process");
	check_device(p, -1, dlopen_process);
	check_leaks(r.snap, pid, PROG("gpu_dlopen"), "tests/progs/gpu_dlopen.c", dlopen_leaks,
		    sizeof(dlopen_leaks) / sizeof(dlopen_leaks[0]));
	check_libraries(p, (const char *const[]){ DOUBLE_DIR "libcuda.so.1",
						  DOUBLE_DIR "libcudart.so.13", NULL });
	harness__release(&r);
}

/* Launched, dlopen'ed at once, called only through function pointers. */
static void test_dlsym_launched(void **state)
{
	struct mt_run r;
	json_t *p;

	(void)state;
	run_launch(&r, (const char *const[]){ "--json", "--stack=fp", "--", PROG("gpu_dlsym"),
					      NULL });
	p = harness__only_process(r.snap);
	check_kinds(json_object_get(gpu_of(p, "process"), "kinds"), dlsym_process, true,
		    "process");
	check_leaks(r.snap, (pid_t)harness__u64(p, "pid"), PROG("gpu_dlsym"),
		    "tests/progs/gpu_dlsym.c", dlsym_leaks,
		    sizeof(dlsym_leaks) / sizeof(dlsym_leaks[0]));
	harness__release(&r);
}

/*
 * --stack=dwarf, every allocation unwound: the runtime's own malloc inside
 * each cudaMalloc sends its dump between the GPU call's dump and its
 * record, and the GPU record must still get its own stack.
 */
static void test_dlsym_dwarf(void **state)
{
	struct mt_run r;
	json_t *p;

	(void)state;
	run_launch(&r, (const char *const[]){ "--json", "--stack=dwarf", "--sample-bytes=0", "--",
					      PROG("gpu_dlsym"), NULL });
	p = harness__only_process(r.snap);
	check_kinds(json_object_get(gpu_of(p, "process"), "kinds"), dlsym_process, true,
		    "process");
	check_leaks(r.snap, (pid_t)harness__u64(p, "pid"), PROG("gpu_dlsym"),
		    "tests/progs/gpu_dlsym.c", dlsym_leaks,
		    sizeof(dlsym_leaks) / sizeof(dlsym_leaks[0]));
	/* the two bookkeeping records were allocated and freed: host memory, apart */
	assert_true(harness__u64(p, "allocs") >= 2);
	harness__release(&r);
}

static void test_hip(void **state)
{
	const char *src = "tests/progs/gpu_hip.c";
	json_t *p, *ooms;
	struct mt_run r;
	pid_t pid;

	(void)state;
	run_launch(&r, (const char *const[]){ "--json", "--stack=fp", "--", PROG("gpu_hip"),
					      "--now", NULL });
	p = harness__only_process(r.snap);
	pid = (pid_t)harness__u64(p, "pid");
	check_kinds(json_object_get(gpu_of(p, "process"), "kinds"), hip_process, true,
		    "process");
	check_device(p, 2, hip_process);
	assert_int_equal(json_array_size(json_object_get(gpu_of(p, "process"), "devices")), 1);
	ooms = json_object_get(gpu_of(p, "process"), "oom_events");
	assert_int_equal(json_array_size(ooms), 1);
	check_oom(json_array_get(ooms, 0), pid, "hipMalloc", "hip.device", 2, 5 * M, "hip_oom",
		  src, "hip_oom");
	check_leaks(r.snap, pid, PROG("gpu_hip"), src, hip_leaks,
		    sizeof(hip_leaks) / sizeof(hip_leaks[0]));
	check_libraries(p, (const char *const[]){ DOUBLE_DIR "libamdhip64.so.6", NULL });
	harness__release(&r);
}

/* --no-gpu: host memory only, even with the GPU libraries linked. */
static void test_no_gpu(void **state)
{
	struct mt_run r;
	json_t *p;

	(void)state;
	run_launch(&r, (const char *const[]){ "--json", "--no-gpu", "--", PROG("gpu_linked"),
					      "--now", NULL });
	p = harness__only_process(r.snap);
	check_no_gpu(r.snap, p);
	assert_int_equal(harness__u64(gpu_of(r.snap, "totals"), "oom_events"), 0);
	/* the host side still counts: pthread_create's thread block at least */
	assert_true(harness__u64(p, "allocs") > 0);
	harness__release(&r);
}

/* ---- NVIDIA's own files, when installed ---- */

/* The first file named libcudart.so* in dir, in a buffer of PATH_MAX. */
static bool find_real_cudart(char *path)
{
	char pattern[] = REAL_CUDART_DIR "/libcudart.so";
	const char *versions[] = { ".13", ".12", ".11", "" };

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		snprintf(path, PATH_MAX, "%s%s", pattern, versions[i]);
		if (!access(path, R_OK))
			return true;
	}
	return false;
}

/*
 * Probe sites memtrace must put in the real file: one per address among
 * the symbols of user/attach/gpu_funcs.c of this API layer that it exports
 * (nm -D), the way it shares one probe among names of one address.
 */
static int expected_sites(const char *file, const char *prefix, char *names, size_t size)
{
	char cmd[PATH_MAX + 64], line[512], addrs[2 * MT_GPU_FN_COUNT][32];
	int n = 0;
	FILE *nm;

	names[0] = '\0';
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", file);
	nm = popen(cmd, "r");
	assert_non_null(nm);
	while (fgets(line, sizeof(line), nm)) {
		char addr[32], type[4], sym[256], *at;
		bool probed = false, dup = false;

		if (sscanf(line, "%31s %3s %255s", addr, type, sym) != 3)
			continue;
		at = strchr(sym, '@');
		if (at)
			*at = '\0';
		for (int fn = 0; fn < MT_GPU_FN_COUNT && !probed; fn++) {
			const struct gpu_func_info *info = gpu_funcs__info(fn);

			for (int s = 0; s < 2 && info->symbols[s]; s++)
				probed |= !strcmp(info->symbols[s], sym) &&
					  !strncmp(sym, prefix, strlen(prefix));
		}
		if (!probed)
			continue;
		snprintf(names + strlen(names), size - strlen(names), " %s", sym);
		for (int i = 0; i < n; i++)
			dup |= !strcmp(addrs[i], addr);
		if (!dup && n < 2 * MT_GPU_FN_COUNT)
			snprintf(addrs[n++], sizeof(addrs[0]), "%s", addr);
	}
	pclose(nm);
	return n;
}

/* The -v line for file says "(N functions", N the expected sites. */
static void check_probed(const struct mt_run *r, const char *file, int sites)
{
	char want[64];
	const char *line;
	char *path = real(file);

	line = strstr(r->err, path);
	while (line && strncmp(line + strlen(path), " (", 2))
		line = strstr(line + 1, path);
	if (!line)
		fail_msg("memtrace -v does not say it probed %s:\n%s", path, r->err);
	snprintf(want, sizeof(want), " (%d functions", sites);
	if (strncmp(line + strlen(path), want, strlen(want)))
		fail_msg("memtrace -v on %s: expected \"%s\", got \"%.60s\"", path, want,
			 line + strlen(path));
	free(path);
}

static void skip_loudly(const char *what)
{
	fprintf(stderr,
		"\n***************************************************************\n"
		"*** SKIP: no %s\n"
		"***************************************************************\n\n",
		what);
}

/*
 * NVIDIA's libcudart, dlopen'ed by path after the attach: probed at every
 * runtime function it exports; with no GPU driver here its cudaMalloc fails
 * (an error, not out-of-memory): one failed device allocation, no OOM.
 */
static void test_real_cudart(void **state)
{
	static const struct ctr want[GPU_KIND_COUNT] = {
		[GPU_KIND_DEVICE] = { 0, 0, 0, 0, 1, 0, 0 },
	};
	char lib[PATH_MAX], names[4096], out[256];
	struct mt_run r;
	int sites, result;
	json_t *p;
	pid_t pid;

	(void)state;
	if (!find_real_cudart(lib)) {
		skip_loudly(REAL_CUDART_DIR "/libcudart.so*");
		return;
	}
	sites = expected_sites(lib, "cuda", names, sizeof(names));
	fprintf(stderr, "test_gpu: %s exports %d probed runtime functions:%s\n", lib, sites,
		names);
	assert_true(sites > 0);
	trace_real(lib, false, &r, &pid, out, sizeof(out));
	assert_int_equal(sscanf(out, "result %d", &result), 1);
	fprintf(stderr, "test_gpu: the real cudaMalloc returned %d\n", result);
	assert_int_not_equal(result, 0);
	assert_int_not_equal(result, 2);
	check_probed(&r, lib, sites);
	p = harness__process(r.snap, pid);
	check_libraries(p, (const char *const[]){ lib, NULL });
	check_kinds(json_object_get(gpu_of(p, "process"), "kinds"), want, true, "process");
	assert_int_equal(json_array_size(json_object_get(gpu_of(p, "process"), "oom_events")), 0);
	harness__release(&r);
}

/*
 * The toolkit's driver stub (every function returns
 * CUDA_ERROR_STUB_LIBRARY): every driver function probed, and its failed
 * cuMemAlloc_v2 counted as such.
 */
static void test_driver_stub(void **state)
{
	static const struct ctr want[GPU_KIND_COUNT] = {
		[GPU_KIND_DEVICE] = { 0, 0, 0, 0, 1, 0, 0 },
	};
	char names[4096], out[256];
	struct mt_run r;
	int sites, result;
	json_t *p;
	pid_t pid;

	(void)state;
	if (access(REAL_DRIVER_STUB, R_OK)) {
		skip_loudly(REAL_DRIVER_STUB);
		return;
	}
	/* the driver's functions: cuMem*, and the copies and waits (cuCtxSynchronize...) */
	sites = expected_sites(REAL_DRIVER_STUB, "cu", names, sizeof(names));
	assert_true(sites > 0);
	trace_real(REAL_DRIVER_STUB, true, &r, &pid, out, sizeof(out));
	assert_int_equal(sscanf(out, "result %d", &result), 1);
	assert_int_not_equal(result, 0);
	assert_int_not_equal(result, 2);
	check_probed(&r, REAL_DRIVER_STUB, sites);
	p = harness__process(r.snap, pid);
	check_libraries(p, (const char *const[]){ REAL_DRIVER_STUB, NULL });
	check_kinds(json_object_get(gpu_of(p, "process"), "kinds"), want, true, "process");
	assert_int_equal(json_array_size(json_object_get(gpu_of(p, "process"), "oom_events")), 0);
	harness__release(&r);
}

int main(void)
{
	const struct CMUnitTest linked_tests[] = {
		cmocka_unit_test(test_linked_process_kinds),
		cmocka_unit_test(test_linked_totals),
		cmocka_unit_test(test_linked_threads),
		cmocka_unit_test(test_linked_devices),
		cmocka_unit_test(test_linked_oom),
		cmocka_unit_test(test_linked_leaks),
		cmocka_unit_test(test_linked_libraries),
	};
	const struct CMUnitTest other_tests[] = {
		cmocka_unit_test(test_linked_attached),
		cmocka_unit_test(test_dlopen_after_attach),
		cmocka_unit_test(test_dlsym_launched),
		cmocka_unit_test(test_dlsym_dwarf),
		cmocka_unit_test(test_hip),
		cmocka_unit_test(test_no_gpu),
		cmocka_unit_test(test_real_cudart),
		cmocka_unit_test(test_driver_stub),
	};
	int failed;

	harness__require_bpf("GPU");
	failed = cmocka_run_group_tests_name("integration: GPU, linked double", linked_tests,
					     linked_setup, linked_teardown);
	failed += cmocka_run_group_tests_name("integration: GPU", other_tests, NULL, NULL);
	return failed;
}
