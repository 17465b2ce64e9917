// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * source_lines on the inline fixture: the chain of inlined calls at a
 * return address the fixture recorded itself, from the library's own DWARF
 * and from its separate debug file, with lines found by the MARK comments
 * of its source; and files without DWARF.
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_inline.h"
#include "symbolize/source_lines.h"

struct fixture {
	void *lib;
	uint64_t ret_vaddr;	/* the recorded return address, link-time */
	uint64_t entry_vaddr;	/* fixture_inline_entry */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct link_map *lm;
	void *entry;

	if (!f)
		return -1;
	*state = f;
	f->lib = dlopen(INLINE_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!f->lib || !fixture_inline__ret(f->lib, &f->ret_vaddr))
		return -1;
	entry = dlsym(f->lib, "fixture_inline_entry");
	if (!entry || dlinfo(f->lib, RTLD_DI_LINKMAP, &lm))
		return -1;
	f->entry_vaddr = (uint64_t)(uintptr_t)entry - lm->l_addr;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->lib)
		dlclose(f->lib);
	free(f);
	return 0;
}

static void assert_source(const struct source_frame *sf, const char *function, const char *mark)
{
	const char *base = sf->file ? strrchr(sf->file, '/') : NULL;

	assert_string_equal(sf->function, function);
	assert_non_null(base);
	assert_string_equal(base + 1, "fixture_inline.c");
	assert_int_not_equal(fixture_inline__line(mark), 0);
	assert_int_equal(sf->line, fixture_inline__line(mark));
}

/* Innermost first; each frame's line is where the next inner one was called. */
static void assert_chain(const char *path, uint64_t ret_vaddr)
{
	struct source_frame out[8];
	struct source_lines *sl;

	assert_int_equal(source_lines__open(path, &sl), 0);
	/* a return address: the call is at the byte before it */
	assert_int_equal(source_lines__lookup(sl, ret_vaddr - 1, out, 8), 3);
	assert_source(&out[0], "inline_leaf", "leaf_call");
	assert_source(&out[1], "inline_mid", "mid_call");
	assert_source(&out[2], "inline_outer", "outer_call");
	source_lines__free(sl);
}

static void test_inline_chain(void **state)
{
	struct fixture *f = *state;

	assert_chain(INLINE_LIB, f->ret_vaddr);
}

/* objcopy --only-keep-debug keeps the DWARF and its addresses. */
static void test_separate_debug_file(void **state)
{
	struct fixture *f = *state;

	assert_chain(INLINE_DEBUG, f->ret_vaddr);
}

static void test_max(void **state)
{
	struct fixture *f = *state;
	struct source_frame out[2] = { [1] = { .function = "untouched" } };
	struct source_lines *sl;

	assert_int_equal(source_lines__open(INLINE_LIB, &sl), 0);
	/* the whole chain's length, only max frames written */
	assert_int_equal(source_lines__lookup(sl, f->ret_vaddr - 1, out, 1), 3);
	assert_source(&out[0], "inline_leaf", "leaf_call");
	assert_string_equal(out[1].function, "untouched");
	assert_int_equal(source_lines__lookup(sl, f->ret_vaddr - 1, NULL, 0), 3);
	source_lines__free(sl);
}

static void test_not_inlined(void **state)
{
	struct fixture *f = *state;
	struct source_frame out[4];
	struct source_lines *sl;

	assert_int_equal(source_lines__open(INLINE_LIB, &sl), 0);
	assert_int_equal(source_lines__lookup(sl, f->entry_vaddr, out, 4), 1);
	assert_string_equal(out[0].function, "fixture_inline_entry");
	assert_non_null(strstr(out[0].file, "/fixture_inline.c"));
	/* its first instruction is on one of its own lines, after the call above it */
	assert_true(out[0].line > fixture_inline__line("outer_call"));
	/* repeated lookups read the unit once and answer the same */
	assert_int_equal(source_lines__lookup(sl, f->ret_vaddr - 1, out, 4), 3);
	assert_int_equal(source_lines__lookup(sl, f->entry_vaddr, out, 4), 1);
	assert_string_equal(out[0].function, "fixture_inline_entry");
	source_lines__free(sl);
}

static void test_outside(void **state)
{
	struct source_frame out[4];
	struct source_lines *sl;

	(void)state;
	assert_int_equal(source_lines__open(INLINE_LIB, &sl), 0);
	assert_int_equal(source_lines__lookup(sl, 0, out, 4), 0);
	assert_int_equal(source_lines__lookup(sl, UINT64_MAX, out, 4), 0);
	source_lines__free(sl);
}

static void test_open_errors(void **state)
{
	struct source_lines *sl = (struct source_lines *)&sl;

	(void)state;
	assert_int_equal(source_lines__open("build/tests/fixtures/no-such-file", &sl), -ENOENT);
	assert_null(sl);
	/* stripped: .gnu_debuglink says where the DWARF went */
	assert_int_equal(source_lines__open(INLINE_STRIPPED, &sl), -ENODATA);
	assert_null(sl);
	assert_int_equal(source_lines__open("Makefile", &sl), -ENODATA);
	assert_int_equal(source_lines__open("build", &sl), -ENODATA);
	source_lines__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_chain),
		cmocka_unit_test(test_separate_debug_file),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_not_inlined),
		cmocka_unit_test(test_outside),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests_name("unit: source_lines", tests, setup, teardown);
}
