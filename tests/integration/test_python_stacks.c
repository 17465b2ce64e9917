// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Python frames in every stack (issue 15), with each CPython on the machine:
 * Debian's /usr/bin/python3.11 (libpython linked into a stripped, non-PIE
 * executable; required, as for test_python_gc) and pyenv's 3.10, 3.11, 3.12
 * and 3.13 (bin/python3.X linked to libpython3.X.so.1.0, with DWARF, found
 * through its RUNPATH, the version's lib/), each when present under
 * /root/.pyenv/versions, with a loud SKIP when not. The scripts are
 * the Python scripts in tests/progs/python/ (each one's header says what it allocates) and
 * the C extension mtext (tests/progs/python/mtext.c), built for every one of
 * these interpreters by tests/progs/progs.mk.
 *
 * For each interpreter, all in the default --python=mixed unless said:
 *   growth_attached   memtrace --interval 0.5 -p PID on grow.py, growing for 3 s: its
 *                     growing site's stack is the allocation in C, then leak_here,
 *                     Model.step, outer, main, <module> on their exact lines in grow.py,
 *                     and nothing below
 *   growth_launched   the same in launch mode, 20 iterations: all 20 blocks under leak_here;
 *                     the text report shows the chain as leak_here (grow.py:LINE) ...
 *   threads           two threads allocating at once (threads.py): each site has its own
 *                     thread's frames (a_alloc, a_thread, Thread.run, ... _bootstrap), every
 *                     block, and none of the other thread's
 *   extension         mtext.ext_alloc: frame 0 is the C function on its malloc's line in
 *                     mtext.c, the first Python frame its caller; with the GIL released
 *                     too; a callback from C keeps the C frame between the Python ones
 *   cuda_ctypes       cudaMalloc of the GPU test double through ctypes: the GPU leak and the
 *                     out-of-memory event name the Python callers (the double loaded by
 *                     soname from LD_LIBRARY_PATH, where memtrace probes it ahead)
 *   python_off        --python=off: no Python frame anywhere; ext_alloc's stack is today's,
 *                     down to _start through _PyEval_EvalFrameDefault; the allocation's native
 *                     frames are those --python=mixed keeps leafward of its first Python frame
 *   python_only       --python=only: the allocation's native frames, then Python frames only
 *
 * On 3.10 a code object has no qualified name: Model.step is "step", Thread.run "run".
 * MEMTRACE_TEST_PYTHONS=TEXT runs only the interpreters whose label contains TEXT, and
 * MEMTRACE_TEST_FILTER=PATTERN only the tests whose name matches (cmocka's *, ?).
 */
#include <glob.h>
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

#define DEBIAN_PYTHON "/usr/bin/python3.11"
#define PYENV_VERSIONS "/root/.pyenv/versions"
#define EXT_BUILD_DIR "build/tests/progs/python"
#define MTEXT_SOURCE "tests/progs/python/mtext.c"
#define GPU_DOUBLE_DIR "build/tests/gpu_double"

/* what the scripts allocate (their headers say the same) */
#define GROW_BYTES (64 * 1024)
#define GROW_ITERATIONS 20
#define ATTACHED_ITERATIONS "60"
#define THREAD_A_BYTES 70000
#define THREAD_B_BYTES 90000
#define THREAD_ROUNDS 20
#define EXT_BYTES 1234567
#define NOGIL_BYTES 2345678
#define CALLBACK_BYTES 3456789
#define GPU_KEPT_BYTES (3ULL * 1024 * 1024)
#define GPU_OOM_BYTES (1ULL << 40)
#define STR_(x) #x
#define STR(x) STR_(x)
/* a bytearray(n) is one malloc of n + 1 bytes; leave room for another CPython's rounding */
#define BYTEARRAY_SLACK 64

struct python {
	char label[64];
	char path[PATH_MAX];	/* the interpreter */
	char ext_dir[PATH_MAX];	/* the mtext.so built for it */
	int minor;		/* 3.minor */
};

static struct python pythons[8];
static size_t nr_pythons;
/* the interpreter of the group running */
static const struct python *py;

static char tmpdir[] = "/tmp/memtrace-pystacks-XXXXXX";
/* the scripts by absolute path: co_filename is the path the interpreter was given */
static char grow_py[PATH_MAX], threads_py[PATH_MAX], ext_py[PATH_MAX], cuda_py[PATH_MAX];
static char deep_py[PATH_MAX];
static char gpu_double_dir[PATH_MAX];
/* the repository: ext_dir is absolute, as the script puts it on sys.path */
static char cwd[PATH_MAX];

/* A Python function's name as this interpreter gives it: 3.10 has no co_qualname. */
static const char *name(const char *qualname)
{
	const char *dot = strrchr(qualname, '.');

	return py->minor >= 11 || !dot ? qualname : dot + 1;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "";
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static json_t *stack_of(const json_t *leak)
{
	json_t *stack = json_object_get(leak, "stack");

	if (!json_is_array(stack))
		fail_msg("a site without a \"stack\" array");
	return stack;
}

/* Fails with the whole stack printed. */
static void fail_stack(const json_t *stack, const char *what, const char *why)
{
	char *text = harness__stack_text(stack);

	/* to stderr: cmocka cuts a failure message at about 1 KiB */
	fprintf(stderr, "%s (%s): the stack:\n%s", what, py->label, text);
	free(text);
	fail_msg("%s (%s): %s (the stack is above)", what, py->label, why);
}

/* memtrace OPTS -o FILE -- PYTHON -I ARGS; the snapshot in r->snap. */
static void launch(struct mt_run *r, const char *const *opts, const char *const *script_args)
{
	static unsigned int runs;
	const char *args[32];
	char out[PATH_MAX];
	json_error_t jerr;
	size_t n = 0;

	snprintf(out, sizeof(out), "%s/run-%u.json", tmpdir, ++runs);
	for (size_t i = 0; opts[i]; i++)
		args[n++] = opts[i];
	args[n++] = "-o";
	args[n++] = out;
	args[n++] = "--";
	args[n++] = py->path;
	/* isolated: no PYTHON* variables, no user site: the same imports on every machine */
	args[n++] = "-I";
	for (size_t i = 0; script_args[i]; i++) {
		assert_true(n + 1 < sizeof(args) / sizeof(args[0]));
		args[n++] = script_args[i];
	}
	args[n] = NULL;
	harness__run(r, args);
	if (r->status != 0)
		fail_msg("memtrace failed (status %d) on %s:\n%s", r->status, py->label, r->err);
	json_decref(r->snap);
	r->snap = json_load_file(out, 0, &jerr);
	if (!r->snap)
		fail_msg("%s: %s (line %d)", out, jerr.text, jerr.line);
	unlink(out);
}

/* The sites of pid whose first Python frame is function symbol, with blocks of [min, max] bytes. */
struct py_sites {
	json_t *largest;
	uint64_t bytes, count;
	size_t sites;
};

static struct py_sites python_sites(const json_t *snap, pid_t pid, const char *symbol,
				    uint64_t min, uint64_t max, bool growing_only)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak;
	struct py_sites s = {};
	size_t i;

	json_array_foreach(leaks, i, leak) {
		json_t *stack = stack_of(leak);
		long first = harness__first_python_frame(stack);
		uint64_t bytes = harness__u64(leak, "bytes"), count = harness__u64(leak, "count");
		const char *leaf;

		if (harness__u64(leak, "pid") != (uint64_t)pid || first < 0 || !count ||
		    bytes / count < min || bytes / count > max)
			continue;
		leaf = json_string_value(json_object_get(json_array_get(stack, first), "symbol"));
		if (!leaf || strcmp(leaf, symbol))
			continue;
		if (growing_only && !json_is_true(json_object_get(leak, "growing")))
			continue;
		s.bytes += bytes;
		s.count += count;
		s.sites++;
		if (!s.largest || bytes > harness__u64(s.largest, "bytes"))
			s.largest = leak;
	}
	return s;
}

/* Says which sites there are, for a failure message: bytes, count, first Python frame. */
static void fail_no_site(const json_t *snap, const char *what, const char *err)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	json_array_foreach(leaks, i, leak) {
		json_t *stack = json_object_get(leak, "stack");
		long first = harness__first_python_frame(stack);

		if (i == 40) {
			fprintf(f, "    ... %zu sites in all\n", json_array_size(leaks));
			break;
		}
		fprintf(f, "    %llu bytes in %llu, frame 0 %s, first Python frame %s\n",
			(unsigned long long)harness__u64(leak, "bytes"),
			(unsigned long long)harness__u64(leak, "count"),
			harness__frame_symbol(leak, 0),
			first < 0 ? "none" : harness__frame_symbol(leak, first));
	}
	fclose(f);
	fprintf(stderr, "%s (%s): the sites:\n%smemtrace's stderr:\n%s", what, py->label, text,
		err);
	free(text);
	fail_msg("%s (%s): no such site (the sites are above)", what, py->label);
}

/* The frames leafward of the first Python one: the allocation in C, native. */
static long assert_native_leafward(const json_t *stack, const char *what)
{
	long first = harness__first_python_frame(stack);

	if (first < 0)
		fail_stack(stack, what, "no Python frame");
	if (first < 1)
		fail_stack(stack, what, "no native frame before the first Python one (the call "
					"that allocated is C)");
	for (long i = 0; i < first; i++) {
		json_t *frame = json_array_get(stack, i);

		if (strcmp(harness__str(frame, "kind"), "native") ||
		    !json_is_string(json_object_get(frame, "module")))
			fail_stack(stack, what, "a frame before the first Python one is not native");
	}
	return first;
}

struct py_frame {
	const char *qualname;
	const char *mark;	/* "# MARK: mark" on its line in file; NULL: any line */
	const char *file;	/* NULL: the script's */
};

/*
 * Python frames from stack[at] on, exactly as want, each on its line; the
 * last is the outermost Python frame and nothing follows it.
 */
static void assert_python_chain(const json_t *stack, long at, const char *script,
				const struct py_frame *want, size_t n, const char *what)
{
	for (size_t k = 0; k < n; k++) {
		const char *file = want[k].file ? want[k].file : script;
		unsigned int line = want[k].mark ? harness__py_marker_line(script, want[k].mark) : 0;

		if (want[k].file) {
			/* a library's file: checked by its name only, any line */
			const char *got = json_string_value(json_object_get(json_array_get(stack,
											   at + k),
									    "file"));

			if (!ends_with(got, want[k].file))
				fail_stack(stack, what, "a library frame in another file");
			file = got;
		}
		harness__assert_python_frame(stack, at + k, name(want[k].qualname), file, line,
					     what);
	}
	if (json_array_size(stack) != at + n)
		fail_stack(stack, what, "frames below the outermost Python frame");
}

static const struct py_frame grow_chain[] = {
	{ "leak_here", "leak_here", NULL },
	{ "Model.step", "step", NULL },
	{ "outer", "outer", NULL },
	{ "main", "main", NULL },
	{ "<module>", "module", NULL },
};

/* grow.py's blocks: sizes of bytearray(64 KiB) */
static struct py_sites grow_sites(const json_t *snap, pid_t pid, bool growing_only)
{
	return python_sites(snap, pid, name("leak_here"), GROW_BYTES, GROW_BYTES + BYTEARRAY_SLACK,
			    growing_only);
}

static void test_growth_attached(void **state)
{
	struct py_sites s;
	struct mt_run r;
	json_t *stack;
	long first;
	pid_t pid;

	(void)state;
	harness__trace_running_opts((const char *const[]){ py->path, "-I", grow_py, "--wait",
							   ATTACHED_ITERATIONS, NULL },
				    (const char *const[]){ "--interval", "0.5", NULL }, &r, &pid);
	if (r.status != 0 || !r.snap)
		fail_msg("memtrace -p failed (status %d) on %s:\n%s", r.status, py->label, r.err);
	s = grow_sites(r.snap, pid, true);
	if (!s.largest)
		fail_no_site(r.snap, "a growing site under leak_here", r.err);
	stack = stack_of(s.largest);
	first = assert_native_leafward(stack, "the growing site");
	assert_python_chain(stack, first, grow_py, grow_chain,
			    sizeof(grow_chain) / sizeof(grow_chain[0]), "the growing site");
	harness__release(&r);
}

/*
 * The text report shows the chain too, one frame a line in the native frames' column, each
 * as FUNCTION (FILE'S BASE NAME:LINE), as a native frame's file:line.
 */
static void assert_report_chain(const char *report, const char *script,
				const struct py_frame *want, size_t n)
{
	char *block = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&block, &len);

	assert_non_null(f);
	for (size_t k = 0; k < n; k++)
		fprintf(f, "\n    %s (%s:%u)", name(want[k].qualname), base_name(script),
			harness__py_marker_line(script, want[k].mark));
	fprintf(f, "\n");
	fclose(f);
	if (!strstr(report, block)) {
		fprintf(stderr, "the report:\n%s\n", report);
		fail_msg("%s: the report (above) has no Python chain%s", py->label, block);
	}
	free(block);
}

static void test_growth_launched(void **state)
{
	struct py_sites s;
	struct mt_run r;
	json_t *stack;
	pid_t pid;

	(void)state;
	launch(&r, (const char *const[]){ NULL },
	       (const char *const[]){ grow_py, STR(GROW_ITERATIONS), NULL });
	pid = (pid_t)harness__u64(harness__only_process(r.snap), "pid");
	s = grow_sites(r.snap, pid, false);
	if (!s.largest)
		fail_no_site(r.snap, "a site under leak_here", r.err);
	/* every block, live at the os._exit, has leak_here's frames */
	if (s.count != GROW_ITERATIONS)
		fail_msg("%s: %llu blocks under leak_here in %zu sites, expected %d", py->label,
			 (unsigned long long)s.count, s.sites, GROW_ITERATIONS);
	stack = stack_of(s.largest);
	assert_python_chain(stack, assert_native_leafward(stack, "leak_here's site"), grow_py,
			    grow_chain, sizeof(grow_chain) / sizeof(grow_chain[0]),
			    "leak_here's site");
	assert_report_chain(r.out, grow_py, grow_chain, sizeof(grow_chain) / sizeof(grow_chain[0]));
	harness__release(&r);
}

/* One thread's sites: every block under its own frames, none under the other's. */
static void check_thread(const json_t *snap, pid_t pid, const char *alloc, const char *loop,
			 uint64_t bytes, const char *other_alloc, const char *err)
{
	const struct py_frame chain[] = {
		{ alloc, alloc, NULL },
		{ loop, loop, NULL },
		{ "Thread.run", NULL, "/threading.py" },
		{ "Thread._bootstrap_inner", NULL, "/threading.py" },
		{ "Thread._bootstrap", NULL, "/threading.py" },
	};
	struct py_sites s = python_sites(snap, pid, alloc, bytes, bytes + BYTEARRAY_SLACK, false);
	struct py_sites crossed;
	json_t *stack;

	if (!s.largest)
		fail_no_site(snap, alloc, err);
	if (s.count != THREAD_ROUNDS)
		fail_msg("%s: %llu blocks of %llu bytes under %s, expected %d", py->label,
			 (unsigned long long)s.count, (unsigned long long)bytes, alloc,
			 THREAD_ROUNDS);
	/* the other thread's blocks never under this thread's frames */
	crossed = python_sites(snap, pid, other_alloc, bytes, bytes + BYTEARRAY_SLACK, false);
	if (crossed.sites)
		fail_stack(stack_of(crossed.largest), alloc,
			   "its blocks under the other thread's Python frames");
	stack = stack_of(s.largest);
	assert_python_chain(stack, assert_native_leafward(stack, alloc), threads_py, chain,
			    sizeof(chain) / sizeof(chain[0]), alloc);
}

static void test_threads(void **state)
{
	struct mt_run r;
	pid_t pid;

	(void)state;
	launch(&r, (const char *const[]){ NULL }, (const char *const[]){ threads_py, NULL });
	pid = (pid_t)harness__u64(harness__only_process(r.snap), "pid");
	check_thread(r.snap, pid, "a_alloc", "a_thread", THREAD_A_BYTES, "b_alloc", r.err);
	check_thread(r.snap, pid, "b_alloc", "b_thread", THREAD_B_BYTES, "a_alloc", r.err);
	harness__release(&r);
}

/* Frame i is native function symbol of the extension, on the malloc's (or call's) MARK line. */
static void assert_mtext_frame(const json_t *stack, size_t i, const char *symbol, const char *what)
{
	json_t *frame = json_array_get(stack, i);
	const json_t *line = json_object_get(frame, "line");

	if (!frame || !json_is_string(json_object_get(frame, "kind")) ||
	    strcmp(json_string_value(json_object_get(frame, "kind")), "native") ||
	    !json_is_string(json_object_get(frame, "symbol")) ||
	    strcmp(json_string_value(json_object_get(frame, "symbol")), symbol))
		fail_stack(stack, what, "not the extension's native frame");
	if (!ends_with(json_string_value(json_object_get(frame, "module")), "/mtext.so") ||
	    strcmp(base_name(json_string_value(json_object_get(frame, "file"))), "mtext.c") ||
	    !json_is_integer(line) ||
	    json_integer_value(line) != harness__marker_line(MTEXT_SOURCE, symbol))
		fail_stack(stack, what, "the extension's frame is not in mtext.so, mtext.c, on "
					"the MARK line");
}

static void require_extension(void)
{
	char so[PATH_MAX + 16];

	snprintf(so, sizeof(so), "%s/mtext.so", py->ext_dir);
	if (access(so, R_OK))
		fail_msg("%s is missing: make integration builds it for %s", so, py->label);
}

static const struct py_frame ext_chain[] = {
	{ "call_ext", "call_ext", NULL },
	{ "run", "run_ext", NULL },
	{ "<module>", "module", NULL },
};
static const struct py_frame nogil_chain[] = {
	{ "call_ext_nogil", "call_ext_nogil", NULL },
	{ "run", "run_nogil", NULL },
	{ "<module>", "module", NULL },
};

/*
 * ext_caller.py's run -> via_ext -> mtext.ext_call_back (C) -> alloc_in_callback: the C
 * frame between the two Python ones when c_frame (--python=mixed), none when not (only).
 */
static void check_callback(const json_t *snap, pid_t pid, bool c_frame, const char *err)
{
	const struct py_frame outer[] = {
		{ "via_ext", "via_ext", NULL },
		{ "run", "run_via_ext", NULL },
		{ "<module>", "module", NULL },
	};
	const char *what = c_frame ? "the callback's block" : "--python=only, the callback's block";
	struct py_sites cb = python_sites(snap, pid, "alloc_in_callback", CALLBACK_BYTES,
					  CALLBACK_BYTES + BYTEARRAY_SLACK, false);
	json_t *stack;
	long first;

	if (!cb.largest || cb.count != 1)
		fail_no_site(snap, "alloc_in_callback's one block", err);
	stack = stack_of(cb.largest);
	first = assert_native_leafward(stack, what);
	harness__assert_python_frame(stack, first, "alloc_in_callback", ext_py,
				     harness__py_marker_line(ext_py, "alloc_in_callback"), what);
	if (c_frame)
		assert_mtext_frame(stack, first + 1, "ext_call_back", what);
	assert_python_chain(stack, first + 1 + c_frame, ext_py, outer,
			    sizeof(outer) / sizeof(outer[0]), what);
}

static void test_extension(void **state)
{
	struct mt_run r;
	json_t *stack;
	pid_t pid;

	(void)state;
	require_extension();
	launch(&r, (const char *const[]){ NULL }, (const char *const[]){ ext_py, py->ext_dir, NULL });
	pid = (pid_t)harness__u64(harness__only_process(r.snap), "pid");

	/* C, then its Python caller */
	stack = stack_of(harness__leak_of(r.snap, EXT_BYTES));
	assert_mtext_frame(stack, 0, "ext_alloc", "ext_alloc's block");
	assert_python_chain(stack, assert_native_leafward(stack, "ext_alloc's block"), ext_py,
			    ext_chain, sizeof(ext_chain) / sizeof(ext_chain[0]),
			    "ext_alloc's block");

	/* the GIL released: the thread's Python frames are still found */
	stack = stack_of(harness__leak_of(r.snap, NOGIL_BYTES));
	assert_mtext_frame(stack, 0, "ext_alloc_nogil", "ext_alloc_nogil's block");
	assert_python_chain(stack, assert_native_leafward(stack, "ext_alloc_nogil's block"),
			    ext_py, nogil_chain, sizeof(nogil_chain) / sizeof(nogil_chain[0]),
			    "ext_alloc_nogil's block");

	/* Python called back from C: the C frame stays between, the interpreter's glue goes */
	check_callback(r.snap, pid, true, r.err);
	harness__release(&r);
}

/* The process's GPU leak of allocator "cuda.device". */
static json_t *gpu_leak(const json_t *snap, pid_t pid)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak, *found = NULL;
	size_t i;

	json_array_foreach(leaks, i, leak) {
		if (harness__u64(leak, "pid") != (uint64_t)pid ||
		    strcmp(harness__str(leak, "allocator"), "cuda.device"))
			continue;
		if (found)
			fail_msg("%s: more than one cuda.device site", py->label);
		found = leak;
	}
	if (!found)
		fail_no_site(snap, "the cuda.device site", "");
	return found;
}

static void test_cuda_ctypes(void **state)
{
	const struct py_frame kept_chain[] = {
		{ "gpu_alloc_here", "gpu_alloc_here", NULL },
		{ "main", "main_alloc", NULL },
		{ "<module>", "module", NULL },
	};
	const struct py_frame oom_chain[] = {
		{ "gpu_oom_here", "gpu_oom_here", NULL },
		{ "main", "main_oom", NULL },
		{ "<module>", "module", NULL },
	};
	json_t *process, *leak, *ooms, *oom, *stack;
	struct mt_run r;
	pid_t pid;

	(void)state;
	/* found by soname in LD_LIBRARY_PATH, as memtrace probes it ahead of the dlopen */
	assert_int_equal(setenv("LD_LIBRARY_PATH", gpu_double_dir, 1), 0);
	launch(&r, (const char *const[]){ NULL },
	       (const char *const[]){ cuda_py, "libcudart.so.13", NULL });
	unsetenv("LD_LIBRARY_PATH");
	process = harness__only_process(r.snap);
	pid = (pid_t)harness__u64(process, "pid");

	leak = gpu_leak(r.snap, pid);
	assert_int_equal(harness__u64(leak, "bytes"), GPU_KEPT_BYTES);
	assert_int_equal(harness__u64(leak, "count"), 1);
	stack = stack_of(leak);
	/* above the Python frame, libffi and _ctypes: native, whatever their names */
	assert_python_chain(stack, assert_native_leafward(stack, "the cudaMalloc kept"), cuda_py,
			    kept_chain, sizeof(kept_chain) / sizeof(kept_chain[0]),
			    "the cudaMalloc kept");

	ooms = json_object_get(json_object_get(process, "gpu"), "oom_events");
	if (json_array_size(ooms) != 1)
		fail_msg("%s: %zu out-of-memory events, expected 1", py->label,
			 json_array_size(ooms));
	oom = json_array_get(ooms, 0);
	assert_string_equal(harness__str(oom, "function"), "cudaMalloc");
	assert_int_equal(harness__u64(oom, "requested_bytes"), GPU_OOM_BYTES);
	stack = stack_of(oom);
	assert_python_chain(stack, assert_native_leafward(stack, "the out-of-memory cudaMalloc"),
			    cuda_py, oom_chain, sizeof(oom_chain) / sizeof(oom_chain[0]),
			    "the out-of-memory cudaMalloc");
	harness__release(&r);
}

/* No Python frame in any site of the snapshot, and every frame says it is native. */
static void assert_all_native(const json_t *snap)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak, *frame;
	size_t i, k;

	json_array_foreach(leaks, i, leak) {
		json_t *stack = stack_of(leak);

		json_array_foreach(stack, k, frame) {
			if (strcmp(harness__str(frame, "kind"), "native"))
				fail_stack(stack, "--python=off", "a frame that is not native");
		}
	}
}

static long find_symbol(const json_t *stack, const char *symbol)
{
	for (size_t i = 0; i < json_array_size(stack); i++) {
		json_t *frame = json_array_get(stack, i);
		const char *s = json_string_value(json_object_get(frame, "symbol"));

		if (s && !strcmp(s, symbol) && !json_is_true(json_object_get(frame, "inlined")))
			return (long)i;
	}
	return -1;
}

/*
 * The leafward frames of mixed (the allocation in C, before the first Python
 * frame) are the first frames of one of off's sites of the same blocks: those
 * before the first _PyEval_EvalFrameDefault, the calls inlined at its address
 * included, which the Python frames took the place of.
 */
static void assert_same_leafward(const json_t *mixed, const json_t *off, pid_t off_pid)
{
	const json_t *mstack = stack_of(mixed), *leak;
	long first = harness__first_python_frame(mstack);
	json_t *leaks = json_object_get(off, "leaks");
	size_t i;

	json_array_foreach(leaks, i, leak) {
		const json_t *ostack = stack_of(leak);
		uint64_t count = harness__u64(leak, "count");
		long eval = find_symbol(ostack, "_PyEval_EvalFrameDefault");
		const char *eval_ip;
		bool same = true;

		if (harness__u64(leak, "pid") != (uint64_t)off_pid || !count ||
		    harness__u64(leak, "bytes") / count < GROW_BYTES ||
		    harness__u64(leak, "bytes") / count > GROW_BYTES + BYTEARRAY_SLACK || eval < 0)
			continue;
		eval_ip = json_string_value(json_object_get(json_array_get(ostack, eval), "ip"));
		while (eval > 0 && eval_ip &&
		       !strcmp(json_string_value(json_object_get(json_array_get(ostack, eval - 1),
								 "ip")) ?: "",
			       eval_ip))
			eval--;
		if (eval != first)
			continue;
		for (long k = 0; k < first && same; k++)
			same = !strcmp(harness__frame_symbol(mixed, k), harness__frame_symbol(leak, k));
		if (same)
			return;
	}
	fail_stack(mstack, "--python=off against mixed",
		   "no --python=off site of grow.py's blocks starts with the native frames mixed "
		   "keeps above leak_here");
}

static void test_python_off(void **state)
{
	struct mt_run r, mixed;
	json_t *stack;
	struct py_sites s;
	long n;

	(void)state;
	require_extension();
	launch(&r, (const char *const[]){ "--python=off", NULL },
	       (const char *const[]){ ext_py, py->ext_dir, NULL });
	assert_all_native(r.snap);
	/* today's stack: the C function on its line, the evaluator, on to the entry point */
	stack = stack_of(harness__leak_of(r.snap, EXT_BYTES));
	assert_mtext_frame(stack, 0, "ext_alloc", "--python=off, ext_alloc's block");
	if (find_symbol(stack, "_PyEval_EvalFrameDefault") < 0)
		fail_stack(stack, "--python=off, ext_alloc's block", "no _PyEval_EvalFrameDefault");
	n = (long)json_array_size(stack);
	if (strcmp(harness__frame_symbol(harness__leak_of(r.snap, EXT_BYTES), n - 1), "_start"))
		fail_stack(stack, "--python=off, ext_alloc's block", "does not end at _start");
	assert_false(json_is_true(json_object_get(harness__leak_of(r.snap, EXT_BYTES),
						  "truncated")));
	harness__release(&r);

	/* what mixed keeps above the Python frames is what off shows there */
	launch(&mixed, (const char *const[]){ NULL },
	       (const char *const[]){ grow_py, STR(GROW_ITERATIONS), NULL });
	launch(&r, (const char *const[]){ "--python=off", NULL },
	       (const char *const[]){ grow_py, STR(GROW_ITERATIONS), NULL });
	assert_all_native(r.snap);
	s = grow_sites(mixed.snap, (pid_t)harness__u64(harness__only_process(mixed.snap), "pid"),
		       false);
	if (!s.largest)
		fail_no_site(mixed.snap, "a site under leak_here", mixed.err);
	assert_native_leafward(stack_of(s.largest), "leak_here's site");
	assert_same_leafward(s.largest, r.snap,
			     (pid_t)harness__u64(harness__only_process(r.snap), "pid"));
	harness__release(&mixed);
	harness__release(&r);
}

/* From the first Python frame on, Python frames only: the interpreter and C extensions gone. */
static void test_python_only(void **state)
{
	struct mt_run r;
	json_t *stack;
	pid_t pid;

	(void)state;
	require_extension();
	launch(&r, (const char *const[]){ "--python=only", NULL },
	       (const char *const[]){ ext_py, py->ext_dir, NULL });
	pid = (pid_t)harness__u64(harness__only_process(r.snap), "pid");

	/* the allocation in C is kept: it is above the first Python frame */
	stack = stack_of(harness__leak_of(r.snap, EXT_BYTES));
	assert_mtext_frame(stack, 0, "ext_alloc", "--python=only, ext_alloc's block");
	assert_python_chain(stack, assert_native_leafward(stack, "--python=only, ext_alloc"),
			    ext_py, ext_chain, sizeof(ext_chain) / sizeof(ext_chain[0]),
			    "--python=only, ext_alloc's block");
	stack = stack_of(harness__leak_of(r.snap, NOGIL_BYTES));
	assert_mtext_frame(stack, 0, "ext_alloc_nogil", "--python=only, ext_alloc_nogil's block");
	assert_python_chain(stack, assert_native_leafward(stack, "--python=only, ext_alloc_nogil"),
			    ext_py, nogil_chain, sizeof(nogil_chain) / sizeof(nogil_chain[0]),
			    "--python=only, ext_alloc_nogil's block");

	/* ext_call_back's C frame, between two Python frames, is gone */
	check_callback(r.snap, pid, false, r.err);
	harness__release(&r);
}

#define DEEP_BYTES 80000
#define DEEP_ITERATIONS 5

/*
 * 150 Python frames deep, more than a record holds with the native frames:
 * the leaf-most Python frames are kept (the native walk stops halfway for
 * them: 3.10's ~2.5 native frames a call would fill all 127 otherwise), the
 * site says truncated.
 */
static void test_deep_chain(void **state)
{
	unsigned int recurse = harness__py_marker_line(deep_py, "recurse");
	struct py_sites s;
	struct mt_run r;
	json_t *stack;
	long first;
	pid_t pid;

	(void)state;
	launch(&r, (const char *const[]){ NULL },
	       (const char *const[]){ deep_py, STR(DEEP_ITERATIONS), NULL });
	pid = (pid_t)harness__u64(harness__only_process(r.snap), "pid");
	s = python_sites(r.snap, pid, "deep_leak", DEEP_BYTES, DEEP_BYTES + BYTEARRAY_SLACK, false);
	if (!s.largest)
		fail_no_site(r.snap, "a site under deep_leak", r.err);
	if (s.count != DEEP_ITERATIONS)
		fail_msg("%s: %llu blocks under deep_leak, expected %d", py->label,
			 (unsigned long long)s.count, DEEP_ITERATIONS);
	stack = stack_of(s.largest);
	first = assert_native_leafward(stack, "deep_leak's site");
	harness__assert_python_frame(stack, (size_t)first, "deep_leak", deep_py,
				     harness__py_marker_line(deep_py, "deep_leak"), "deep_leak");
	harness__assert_python_frame(stack, (size_t)first + 1, "deep", deep_py,
				     harness__py_marker_line(deep_py, "bottom"), "deep_leak");
	for (long k = first + 2; k < first + 40; k++)
		harness__assert_python_frame(stack, (size_t)k, "deep", deep_py, recurse,
					     "deep_leak");
	if (!json_is_true(json_object_get(s.largest, "truncated")))
		fail_stack(stack, "deep_leak's site", "not marked truncated");
	harness__release(&r);
}

static void skip_loudly(const char *what)
{
	fprintf(stderr,
		"\n***************************************************************\n"
		"*** SKIP: python stacks: %s\n"
		"***************************************************************\n\n",
		what);
}

/* Whether label matches MEMTRACE_TEST_PYTHONS (unset: all do). */
static bool selected(const char *label)
{
	const char *want = getenv("MEMTRACE_TEST_PYTHONS");

	return !want || !*want || strstr(label, want);
}

/* pyenv's newest CPython 3.minor, when there is one (3.13.0, not 3.13.0t or 3.13-dev). */
static void add_pyenv(int minor)
{
	char pattern[PATH_MAX], what[128];
	struct python *p = &pythons[nr_pythons];
	const char *version = NULL;
	glob_t g;

	snprintf(pattern, sizeof(pattern), PYENV_VERSIONS "/3.%d.*", minor);
	if (!glob(pattern, 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *v = base_name(g.gl_pathv[i]);

			if (strspn(v, "0123456789.") == strlen(v))
				version = v;
		}
	}
	if (!version) {
		snprintf(what, sizeof(what), "no pyenv CPython 3.%d (%.64s)", minor, pattern);
		skip_loudly(what);
		globfree(&g);
		return;
	}
	snprintf(p->label, sizeof(p->label), "pyenv %s (libpython3.%d.so)", version, minor);
	snprintf(p->path, sizeof(p->path), PYENV_VERSIONS "/%s/bin/python3.%d", version, minor);
	snprintf(p->ext_dir, sizeof(p->ext_dir), "%.3000s/" EXT_BUILD_DIR "/pyenv-%.64s", cwd,
		 version);
	p->minor = minor;
	globfree(&g);
	if (access(p->path, X_OK)) {
		snprintf(what, sizeof(what), "%.64s is not executable", p->path);
		skip_loudly(what);
		return;
	}
	if (!selected(p->label)) {
		snprintf(what, sizeof(what), "%.64s left out by MEMTRACE_TEST_PYTHONS", p->label);
		skip_loudly(what);
		return;
	}
	nr_pythons++;
}

static void absolute(char *out, const char *path)
{
	if (!realpath(path, out)) {
		fprintf(stderr, "%s: %m\n", path);
		exit(1);
	}
}

static int cleanup_tmpdir(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth_attached),
		cmocka_unit_test(test_growth_launched),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_extension),
		cmocka_unit_test(test_cuda_ctypes),
		cmocka_unit_test(test_python_off),
		cmocka_unit_test(test_python_only),
		cmocka_unit_test(test_deep_chain),
	};
	char group[128];
	int failed = 0;

	harness__require_bpf("python_stacks");
	if (access(DEBIAN_PYTHON, X_OK)) {
		fprintf(stderr, "%s is missing: these tests need Debian's python3.11\n",
			DEBIAN_PYTHON);
		return 1;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return 1;
	absolute(grow_py, "tests/progs/python/grow.py");
	absolute(deep_py, "tests/progs/python/deep.py");
	absolute(threads_py, "tests/progs/python/threads.py");
	absolute(ext_py, "tests/progs/python/ext_caller.py");
	absolute(cuda_py, "tests/progs/python/cuda_ctypes.py");
	absolute(gpu_double_dir, GPU_DOUBLE_DIR);

	if (selected("Debian python3.11")) {
		struct python *p = &pythons[nr_pythons++];

		snprintf(p->label, sizeof(p->label), "Debian python3.11 (libpython linked in)");
		snprintf(p->path, sizeof(p->path), DEBIAN_PYTHON);
		snprintf(p->ext_dir, sizeof(p->ext_dir), "%.3000s/" EXT_BUILD_DIR "/debian-3.11",
			 cwd);
		p->minor = 11;
	} else {
		skip_loudly("Debian python3.11 left out by MEMTRACE_TEST_PYTHONS");
	}
	for (int minor = 10; minor <= 13; minor++)
		add_pyenv(minor);

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (getenv("MEMTRACE_TEST_FILTER"))
		cmocka_set_test_filter(getenv("MEMTRACE_TEST_FILTER"));
	for (size_t i = 0; i < nr_pythons; i++) {
		py = &pythons[i];
		snprintf(group, sizeof(group), "integration: python stacks, %.64s", py->label);
		failed += _cmocka_run_group_tests(group, tests, sizeof(tests) / sizeof(tests[0]),
						  NULL, NULL);
	}
	if (cleanup_tmpdir())
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return failed;
}
