// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Site keys: what a rebuild, a relink elsewhere, a renamed source file or a
 * library upgrade must not change, and what must; and the site set that
 * groups a snapshot's leaks by key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "compare/site_key.h"
#include "compare/site_set.h"

#define FRAME(sym, mod, file, line) \
	{ (char *)(sym), (char *)(mod), (char *)(file), line, false, NULL, false, 0 }

static char *key_of(struct snap_frame *frames, size_t n, const char *allocator, unsigned int depth)
{
	struct snap_leak leak = {
		.allocator = (char *)allocator,
		.frames = frames,
		.nr_frames = n,
	};
	char *key = site_key__build(&leak, depth);

	assert_non_null(key);
	return key;
}

static void assert_key(struct snap_frame *frames, size_t n, unsigned int depth, const char *want)
{
	char *key = key_of(frames, n, "libc", depth);

	assert_string_equal(key, want);
	free(key);
}

static void assert_module(const char *path, const char *want)
{
	char buf[64];

	assert_string_equal(site_key__module(path, buf, sizeof(buf)), want);
}

static void test_module_names(void **state)
{
	(void)state;
	assert_module("/usr/lib/x86_64-linux-gnu/libc.so.6", "libc.so");
	assert_module("/opt/a/lib/libfoo.so.1.2.3", "libfoo.so");
	assert_module("/opt/b/lib/libfoo.so.1.2.4", "libfoo.so");
	assert_module("/opt/b/lib/libfoo.so", "libfoo.so");
	assert_module("/usr/lib/libtorch_python.so (deleted)", "libtorch_python.so");
	assert_module("/usr/lib/libfoo.so.2 (deleted)", "libfoo.so");
	assert_module("/work/build/app", "app");
	assert_module("app", "app");
	/* ".so" inside a name is not a version suffix */
	assert_module("/bin/resolver.sock", "resolver.sock");
	assert_module("/usr/bin/python3.11", "python3.11");
	assert_module("/usr/lib/libpython3.11.so.1.0", "libpython3.11.so");
}

static void test_module_name_cut(void **state)
{
	char buf[5];

	(void)state;
	assert_string_equal(site_key__module("/lib/libverylong.so.1", buf, sizeof(buf)), "libv");
}

static void test_key_format(void **state)
{
	struct snap_frame frames[] = {
		FRAME("parse_config", "/srv/app/bin/app", "/srv/app/src/config.c", 40),
		FRAME(NULL, "/usr/lib/libfoo.so.3", NULL, 0),
		FRAME("main", "/srv/app/bin/app", "/srv/app/src/main.c", 12),
		FRAME(NULL, NULL, NULL, 0),
	};
	char *key;

	(void)state;
	assert_key(frames, 4, 0, "libc;parse_config@app;?@libfoo.so;main@app;?@?");
	assert_key(frames, 0, 5, "libc");
	key = key_of(frames, 1, NULL, 5);
	assert_string_equal(key, "libc;parse_config@app");
	free(key);
	/* the allocator is part of the identity */
	key = key_of(frames, 1, "jemalloc", 5);
	assert_string_equal(key, "jemalloc;parse_config@app");
	free(key);
}

/* A renamed source file, another build directory, other lines: the same site. */
static void test_rename_and_relocation(void **state)
{
	struct snap_frame base[] = {
		FRAME("leak_site", "/work/build/progs/diff_base", "/work/progs/diff_base.c", 30),
		FRAME("main", "/work/build/progs/diff_base", "/work/progs/diff_base.c", 70),
		FRAME("__libc_start_call_main", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		      "../sysdeps/nptl/libc_start_call_main.h", 58),
	};
	struct snap_frame moved[] = {
		FRAME("leak_site", "/tmp/x/relocated/diff_base", "/tmp/x/other_name.c", 31),
		FRAME("main", "/tmp/x/relocated/diff_base", "/tmp/x/other_name.c", 77),
		FRAME("__libc_start_call_main", "/lib/x86_64-linux-gnu/libc.so.6", NULL, 0),
	};
	char *a = key_of(base, 3, "libc", 5), *b = key_of(moved, 3, "libc", 5);

	(void)state;
	assert_string_equal(a, b);
	assert_string_equal(a, "libc;leak_site@diff_base;main@diff_base;"
			       "__libc_start_call_main@libc.so");
	free(a);
	free(b);
}

static void test_upgraded_library(void **state)
{
	struct snap_frame old[] = { FRAME("foo_alloc", "/usr/lib/libfoo.so.1.2.3", NULL, 0) };
	struct snap_frame new[] = { FRAME("foo_alloc", "/opt/foo/lib/libfoo.so.1.2.4", NULL, 0) };
	char *a = key_of(old, 1, "libc", 5), *b = key_of(new, 1, "libc", 5);

	(void)state;
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_different_symbol(void **state)
{
	struct snap_frame one[] = { FRAME("leak_site", "/x/app", NULL, 0), FRAME("main", "/x/app",
										 NULL, 0) };
	struct snap_frame two[] = { FRAME("leak_more", "/x/app", NULL, 0), FRAME("main", "/x/app",
										 NULL, 0) };
	struct snap_frame caller[] = { FRAME("leak_site", "/x/app", NULL, 0),
				       FRAME("other_caller", "/x/app", NULL, 0) };
	char *a = key_of(one, 2, "libc", 5), *b = key_of(two, 2, "libc", 5);
	char *c = key_of(caller, 2, "libc", 5);

	(void)state;
	assert_string_not_equal(a, b);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
	/* the same function in another module is another site */
	one[0].module = "/x/libplugin.so";
	a = key_of(one, 2, "libc", 5);
	assert_string_equal(a, "libc;leak_site@libplugin.so;main@app");
	free(a);
}

/* Callers past the depth do not count: two paths into one leaf agree at depth 1 only. */
static void test_depth(void **state)
{
	struct snap_frame via_a[] = { FRAME("xmalloc", "/x/app", NULL, 0),
				      FRAME("load", "/x/app", NULL, 0),
				      FRAME("path_a", "/x/app", NULL, 0) };
	struct snap_frame via_b[] = { FRAME("xmalloc", "/x/app", NULL, 0),
				      FRAME("load", "/x/app", NULL, 0),
				      FRAME("path_b", "/x/app", NULL, 0) };
	char *a, *b;

	(void)state;
	for (unsigned int depth = 1; depth <= 3; depth++) {
		a = key_of(via_a, 3, "libc", depth);
		b = key_of(via_b, 3, "libc", depth);
		if (depth < 3)
			assert_string_equal(a, b);
		else
			assert_string_not_equal(a, b);
		free(a);
		free(b);
	}
	assert_key(via_a, 3, 1, "libc;xmalloc@app");
	assert_key(via_a, 3, 2, "libc;xmalloc@app;load@app");
	assert_key(via_a, 3, 0, "libc;xmalloc@app;load@app;path_a@app");
	assert_key(via_a, 3, 64, "libc;xmalloc@app;load@app;path_a@app");
}

/* An inlined call is a frame of its own in the key, as in the snapshot. */
static void test_inlined_frames(void **state)
{
	struct snap_frame frames[] = {
		{ (char *)"fill_buffer", (char *)"/x/app", NULL, 0, true, NULL, false, 0 },
		FRAME("process", "/x/app", NULL, 0),
	};

	(void)state;
	assert_key(frames, 2, 5, "libc;fill_buffer@app;process@app");
}

#define PY_FRAME(sym, file, line) \
	{ (char *)(sym), NULL, (char *)(file), line, false, NULL, true, 0 }

/*
 * A Python frame keys by its qualified name and its file's base name: the
 * line may move (an edit above it) and the directory too (another
 * checkout), the site stays; another function in the same file is another
 * site.
 */
static void test_python_frames(void **state)
{
	struct snap_frame before[] = {
		FRAME("PyByteArray_Resize", "/usr/bin/python3.11", NULL, 0),
		PY_FRAME("Model.step", "/home/a/train.py", 42),
		PY_FRAME("main", "/home/a/train.py", 80),
	};
	struct snap_frame after[] = {
		FRAME("PyByteArray_Resize", "/usr/bin/python3.11", NULL, 0),
		PY_FRAME("Model.step", "/ci/checkout/train.py", 47),
		PY_FRAME("main", "/ci/checkout/train.py", 85),
	};
	struct snap_frame other[] = { PY_FRAME("Model.eval", "/home/a/train.py", 42) };
	struct snap_frame no_file[] = { PY_FRAME("<unknown code>", NULL, 0) };
	char *a, *b;

	(void)state;
	assert_key(before, 3, 5,
		   "libc;PyByteArray_Resize@python3.11;py:Model.step@train.py;py:main@train.py");
	a = key_of(before, 3, "libc", 5);
	b = key_of(after, 3, "libc", 5);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_key(other, 1, 5, "libc;py:Model.eval@train.py");
	assert_key(no_file, 1, 5, "libc;py:<unknown code>@?");
}

/*
 * A C++ frame is keyed by its mangled name: a snapshot from before
 * linkage_name (the mangled name in symbol) and a newer one (readable
 * symbol, mangled linkage_name) give one key; two functions that print
 * alike but link apart give two.
 */
static void test_linkage_name(void **state)
{
	struct snap_frame old[] = { FRAME("_ZN2ns5Model4leakEi", "/x/app", NULL, 0),
				    FRAME("main", "/x/app", NULL, 0) };
	struct snap_frame new[] = { FRAME("ns::Model::leak(int)", "/y/app", NULL, 0),
				    FRAME("main", "/y/app", NULL, 0) };
	struct snap_frame other[] = { FRAME("ns::Model::leak(int)", "/y/app", NULL, 0),
				      FRAME("main", "/y/app", NULL, 0) };

	(void)state;
	new[0].linkage_name = (char *)"_ZN2ns5Model4leakEi";
	other[0].linkage_name = (char *)"_ZN2ns5Model4leakB5cxx11Ei";
	assert_key(old, 2, 5, "libc;_ZN2ns5Model4leakEi@app;main@app");
	assert_key(new, 2, 5, "libc;_ZN2ns5Model4leakEi@app;main@app");
	assert_key(other, 2, 5, "libc;_ZN2ns5Model4leakB5cxx11Ei@app;main@app");
}

static void test_site_set(void **state)
{
	struct snap_frame f1[] = { FRAME("a", "/x/app", "a.c", 1), FRAME("main", "/x/app", NULL, 0),
				   FRAME("deep1", "/x/app", NULL, 0) };
	struct snap_frame f2[] = { FRAME("a", "/y/app", "b.c", 9), FRAME("main", "/y/app", NULL, 0),
				   FRAME("deep2", "/x/app", NULL, 0) };
	struct snap_frame f3[] = { FRAME("b", "/x/app", NULL, 0) };
	struct snap_leak leaks[] = {
		{ .pid = 10, .bytes = 100, .count = 1, .frames = f1, .nr_frames = 3, .process = 0 },
		{ .pid = 10, .bytes = 300, .count = 3, .frames = f2, .nr_frames = 3, .process = 0,
		  .growing = true },
		{ .pid = 11, .bytes = 50, .count = 1, .frames = f1, .nr_frames = 3, .process = 1 },
		{ .pid = 10, .bytes = 7, .count = 7, .frames = f3, .nr_frames = 1, .process = 0 },
	};
	struct snapshot s = { .leaks = leaks, .nr_leaks = 4 };
	struct site_set set;

	(void)state;
	/* depth 2: f1 and f2 differ only below it, in file and module directory */
	assert_int_equal(site_set__build(&set, &s, 2), 0);
	assert_int_equal(set.n, 3);
	assert_string_equal(set.sites[0].key, "libc;a@app;main@app");
	assert_int_equal(set.sites[0].process, 0);
	assert_int_equal(set.sites[0].bytes, 400);
	assert_int_equal(set.sites[0].count, 4);
	assert_true(set.sites[0].growing);
	assert_ptr_equal(set.sites[0].shown, &leaks[1]);
	assert_string_equal(set.sites[1].key, "libc;b@app");
	assert_int_equal(set.sites[1].bytes, 7);
	assert_false(set.sites[1].growing);
	assert_int_equal(set.sites[2].process, 1);
	assert_int_equal(set.sites[2].bytes, 50);
	site_set__release(&set);
	/* the whole stack: deep1 and deep2 part them */
	assert_int_equal(site_set__build(&set, &s, 0), 0);
	assert_int_equal(set.n, 4);
	site_set__release(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_module_names),
		cmocka_unit_test(test_module_name_cut),
		cmocka_unit_test(test_key_format),
		cmocka_unit_test(test_rename_and_relocation),
		cmocka_unit_test(test_upgraded_library),
		cmocka_unit_test(test_different_symbol),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_inlined_frames),
		cmocka_unit_test(test_python_frames),
		cmocka_unit_test(test_linkage_name),
		cmocka_unit_test(test_site_set),
	};

	return cmocka_run_group_tests_name("site key", tests, NULL, NULL);
}
