// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Python frames merged into native stacks (py_frames.h): the merge alone,
 * for each interpreter's way of marking activations and each --python
 * mode; the frame table's interning; and a record's words resolved
 * through a fake process (py_fake.h) into the stored stack.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "py_fake.h"
#include "symbolize/py_frames.h"
#include "symbolize/py_proc.h"

/* native frames: a pc of each kind */
#define LEAF 0x401100ULL	/* the allocating C code in the interpreter (PyByteArray_Resize) */
#define GLUE 0x402200ULL	/* the interpreter's call glue (_PyFunction_Vectorcall) */
#define EVAL (PY_FAKE_EVAL + 0x40)
#define EXT 0x7f1000001000ULL	/* a C extension's function */
#define LIBC 0x7f2000002000ULL	/* __libc_start_call_main, start_thread */

#define PY(i) (MT_PY_FRAME | (uint64_t)(i))
#define PY_END(i) (PY(i) | MT_PY_ACTIVATION_END)

static uint8_t flag_of(uint64_t pc)
{
	if (pc == EVAL)
		return PY_NATIVE_EVAL | PY_NATIVE_INTERP;
	return pc == LEAF || pc == GLUE ? PY_NATIVE_INTERP : 0;
}

/* Merges native with py by mode, and checks the result is want[0..nr_want) */
static void check_merge(const uint64_t *native, size_t nr_native, const uint64_t *py,
			size_t nr_py, enum mt_python_mode mode, const uint64_t *want,
			size_t nr_want, bool want_approximate)
{
	uint64_t out[64];
	uint8_t flags[32];
	bool approximate;
	size_t n;

	for (size_t i = 0; i < nr_native; i++)
		flags[i] = flag_of(native[i]);
	n = py_frames__merge(native, flags, nr_native, py, nr_py, mode, out, &approximate);
	for (size_t i = 0; i < n && i < nr_want; i++) {
		if (out[i] != want[i])
			fail_msg("frame %zu: 0x%llx, expected 0x%llx", i, (unsigned long long)out[i],
				 (unsigned long long)want[i]);
	}
	assert_int_equal(n, nr_want);
	assert_int_equal(approximate, want_approximate);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* 3.10: one C activation per Python frame, 2-3 native frames of glue each */
static void test_merge_310(void **state)
{
	const uint64_t native[] = { LEAF, EVAL, GLUE, GLUE, EVAL, GLUE, EVAL, GLUE, GLUE, LIBC };
	const uint64_t py[] = { PY_END(0), PY_END(1), PY_END(2) };
	const uint64_t want[] = { LEAF, PY(0), PY(1), PY(2) };

	(void)state;
	check_merge(native, N(native), py, N(py), MT_PYTHON_MIXED, want, N(want), false);
	check_merge(native, N(native), py, N(py), MT_PYTHON_ONLY, want, N(want), false);
}

/*
 * 3.11: is_entry on each activation's outermost frame. A C extension
 * between activations (a callback into Python) stays in mixed mode.
 */
static void test_merge_311_is_entry(void **state)
{
	const uint64_t native[] = { LEAF, GLUE, EVAL, GLUE, EXT, GLUE, EVAL, GLUE, LIBC };
	const uint64_t py[] = { PY(0), PY(1), PY_END(2), PY(3), PY_END(4) };
	const uint64_t mixed[] = { LEAF, GLUE, PY(0), PY(1), PY(2), EXT, PY(3), PY(4) };
	const uint64_t only[] = { LEAF, GLUE, PY(0), PY(1), PY(2), PY(3), PY(4) };

	(void)state;
	check_merge(native, N(native), py, N(py), MT_PYTHON_MIXED, mixed, N(mixed), false);
	check_merge(native, N(native), py, N(py), MT_PYTHON_ONLY, only, N(only), false);
}

/*
 * 3.12+: the kernel marks the frame before each shim. A thread's stack:
 * a C extension allocates; below the outermost Python frame, the thread's
 * start (libc) goes.
 */
static void test_merge_312_shim(void **state)
{
	const uint64_t native[] = { EXT, EXT + 8, GLUE, EVAL, GLUE, EXT + 16, EVAL, GLUE, LIBC,
				    LIBC + 8 };
	const uint64_t py[] = { PY(5), PY_END(6), PY(7), PY(8), PY_END(9) };
	const uint64_t mixed[] = { EXT, EXT + 8, GLUE, PY(5), PY(6), EXT + 16, PY(7), PY(8),
				   PY(9) };
	const uint64_t only[] = { EXT, EXT + 8, GLUE, PY(5), PY(6), PY(7), PY(8), PY(9) };

	(void)state;
	check_merge(native, N(native), py, N(py), MT_PYTHON_MIXED, mixed, N(mixed), false);
	check_merge(native, N(native), py, N(py), MT_PYTHON_ONLY, only, N(only), false);
}

/*
 * The native walk stopped short (3.10 past ~48 levels), or an eval pc went
 * unrecognised (a .cold part without a symbol): the activations left are
 * appended at the outer end, and the stack is approximate.
 */
static void test_merge_leftover_activations(void **state)
{
	const uint64_t short_walk[] = { LEAF, EVAL, GLUE };
	const uint64_t py[] = { PY_END(0), PY_END(1), PY_END(2) };
	const uint64_t want[] = { LEAF, PY(0), PY(1), PY(2) };
	const uint64_t no_eval[] = { LEAF, GLUE, EXT };
	const uint64_t py2[] = { PY(0), PY_END(1) };
	const uint64_t mixed[] = { LEAF, GLUE, EXT, PY(0), PY(1) };

	(void)state;
	check_merge(short_walk, N(short_walk), py, N(py), MT_PYTHON_MIXED, want, N(want), true);
	check_merge(short_walk, N(short_walk), py, N(py), MT_PYTHON_ONLY, want, N(want), true);
	check_merge(no_eval, N(no_eval), py2, N(py2), MT_PYTHON_MIXED, mixed, N(mixed), true);
	check_merge(no_eval, N(no_eval), py2, N(py2), MT_PYTHON_ONLY, mixed, N(mixed), true);
}

/*
 * More eval frames than activations (an allocation as an activation starts
 * or ends, before its frame is linked): the ones left over go, and so does
 * everything outer of the outermost Python frame. An activation the
 * kernel's walk cut (no end mark) is one activation still.
 */
static void test_merge_leftover_eval(void **state)
{
	const uint64_t native[] = { LEAF, EVAL, GLUE, EXT, EVAL, GLUE, EVAL, LIBC };
	const uint64_t py[] = { PY(0), PY(1) };
	const uint64_t want[] = { LEAF, PY(0), PY(1) };

	(void)state;
	check_merge(native, N(native), py, N(py), MT_PYTHON_MIXED, want, N(want), false);
	check_merge(native, N(native), py, N(py), MT_PYTHON_ONLY, want, N(want), false);
}

/* No Python word: the native stack as it was, eval frames and all */
static void test_merge_no_python(void **state)
{
	const uint64_t native[] = { LEAF, EVAL, GLUE, EXT, LIBC };

	(void)state;
	check_merge(native, N(native), NULL, 0, MT_PYTHON_MIXED, native, N(native), false);
	check_merge(native, N(native), NULL, 0, MT_PYTHON_ONLY, native, N(native), false);
	assert_false(py_frames__has_words(native, N(native)));
}

static void test_table_interning(void **state)
{
	struct py_frame_table t = {};
	char name[32];
	int64_t a, b, idx[2000];

	(void)state;
	a = py_frame_table__intern(&t, "Model.step", "/t/train.py", 42);
	assert_true(a >= 0);
	assert_int_equal(py_frame_table__intern(&t, "Model.step", "/t/train.py", 42), a);
	/* another line, another file, no file: each an entry of its own */
	b = py_frame_table__intern(&t, "Model.step", "/t/train.py", 43);
	assert_true(b >= 0 && b != a);
	assert_true(py_frame_table__intern(&t, "Model.step", "/u/train.py", 42) != a);
	assert_true(py_frame_table__intern(&t, "Model.step", NULL, 42) != a);
	assert_int_equal(py_frame_table__intern(&t, "Model.step", NULL, 42),
			 py_frame_table__intern(&t, "Model.step", NULL, 42));
	assert_true(py_frame_table__intern(&t, "Model.step", "", 42) !=
		    py_frame_table__intern(&t, "Model.step", NULL, 42));
	assert_string_equal(py_frame_table__get(&t, a)->symbol, "Model.step");
	assert_string_equal(py_frame_table__get(&t, a)->file, "/t/train.py");
	assert_int_equal(py_frame_table__get(&t, b)->line, 43);
	assert_null(py_frame_table__get(&t, t.n));
	/* indices stay as the table grows */
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		idx[i] = py_frame_table__intern(&t, name, "/t/x.py", (uint32_t)i);
		assert_true(idx[i] >= 0);
	}
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(py_frame_table__intern(&t, name, "/t/x.py", (uint32_t)i), idx[i]);
		assert_string_equal(py_frame_table__get(&t, (uint64_t)idx[i])->symbol, name);
	}
	assert_string_equal(py_frame_table__get(&t, a)->symbol, "Model.step");
	py_frame_table__release(&t);
}

/* A frame's entry in the table */
static const struct py_frame_entry *entry(const struct py_frame_table *t, uint64_t frame)
{
	const struct py_frame_entry *e;

	assert_true(py_frames__is_python(frame));
	e = py_frame_table__get(t, py_frames__index(frame));
	assert_non_null(e);
	return e;
}

/*
 * A record's words resolved through a fake 3.11 process: names, files and
 * lines from its code objects, the merge by the eval range, an unreadable
 * code object shown unknown and counted.
 */
static void test_resolve(void **state)
{
	static struct py_fake f;
	struct py_frame_table t = {};
	struct py_proc *pp;
	struct py_target target;
	uint64_t step, outer, frames[8];
	uint16_t nr = 0;

	(void)state;
	step = py_fake__code(&f, "Model.step", "/t/train.py", 10);
	outer = py_fake__code(&f, "outer", "/t/train.py", 30);
	py_fake__target(&target);
	pp = py_proc__new(&target, py_fake__read, &f);
	assert_non_null(pp);
	frames[nr++] = LEAF;
	frames[nr++] = EVAL;
	frames[nr++] = GLUE;
	frames[nr++] = LIBC;
	frames[nr++] = mt_py_word(step, 3, 0);
	frames[nr++] = mt_py_word(0x1000, 0, 0);
	frames[nr++] = mt_py_word(outer, MT_PY_INDEX_NONE, 1);
	assert_true(py_frames__has_words(frames, nr));
	assert_int_equal(py_frames__resolve(&t, MT_PYTHON_MIXED, &pp, 0, NULL, frames, &nr), 0);
	assert_int_equal(nr, 4);
	assert_int_equal(frames[0], LEAF);
	/* unit 3 is on the table's line: first + 2 */
	assert_string_equal(entry(&t, frames[1])->symbol, "Model.step");
	assert_string_equal(entry(&t, frames[1])->file, "/t/train.py");
	assert_int_equal(entry(&t, frames[1])->line, 12);
	assert_string_equal(entry(&t, frames[2])->symbol, PY_FRAME_UNKNOWN_CODE);
	assert_null(entry(&t, frames[2])->file);
	/* no index: the function's first line */
	assert_string_equal(entry(&t, frames[3])->symbol, "outer");
	assert_int_equal(entry(&t, frames[3])->line, 30);
	assert_int_equal(t.stats.unreadable_code, 1);
	assert_int_equal(t.stats.approximate_stacks, 0);
	py_proc__free(pp);
	py_frame_table__release(&t);
}

/* A process with Python words but no interpreter (or --python=off): its native frames alone */
static void test_resolve_no_interpreter(void **state)
{
	struct py_frame_table t = {};
	struct proc_maps maps = {};
	struct py_proc *pp = NULL;
	uint64_t frames[] = { LEAF, EVAL, mt_py_word(PY_FAKE_BASE, 0, 1) };
	uint16_t nr = 3;
	const char *why;

	(void)state;
	/* this test is no Python: looked for once, remembered */
	assert_int_equal(proc_maps__read(getpid(), &maps), 0);
	assert_int_equal(py_frames__resolve(&t, MT_PYTHON_MIXED, &pp, getpid(), &maps, frames,
					    &nr), 0);
	assert_non_null(pp);
	assert_false(py_proc__found(pp, &why));
	assert_non_null(why);
	assert_int_equal(nr, 2);
	assert_int_equal(t.stats.no_interpreter, 1);
	assert_int_equal(t.n, 0);
	nr = 3;
	assert_int_equal(py_frames__resolve(&t, MT_PYTHON_OFF, &pp, getpid(), &maps, frames, &nr),
			 0);
	assert_int_equal(nr, 2);
	py_proc__free(pp);
	proc_maps__release(&maps);
	py_frame_table__release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_310),
		cmocka_unit_test(test_merge_311_is_entry),
		cmocka_unit_test(test_merge_312_shim),
		cmocka_unit_test(test_merge_leftover_activations),
		cmocka_unit_test(test_merge_leftover_eval),
		cmocka_unit_test(test_merge_no_python),
		cmocka_unit_test(test_table_interning),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_no_interpreter),
	};

	return cmocka_run_group_tests_name("unit: py_frames", tests, NULL, NULL);
}
