// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which symbols of which allocator get a probe, from real ELF files: the
 * Debian builds of libstdc++, jemalloc and tcmalloc (tools/install-deps.sh
 * installs them), an executable with a je_-prefixed jemalloc linked in,
 * and a static one whose malloc is jemalloc's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attach/allocator_funcs.h"
#include "attach/allocator_locate.h"
#include "attach/libc_locate.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"
#define JE_PREFIXED "build/tests/fixtures/fixture_je_prefixed"
#define JE_STATIC "build/tests/progs/jemalloc_static"

static struct allocator_image locate(enum mt_allocator a, const char *path)
{
	struct allocator_image img;

	assert_int_equal(allocator_locate__in_file(allocator_funcs__family(a), path, path, NULL,
						   &img),
			 0);
	return img;
}

static const struct allocator_site *site(const struct allocator_image *img, const char *symbol)
{
	for (int i = 0; i < img->nr_sites; i++)
		if (!strcmp(img->sites[i].symbol, symbol))
			return &img->sites[i];
	return NULL;
}

static void assert_one_site_per_address(const struct allocator_image *img)
{
	for (int i = 0; i < img->nr_sites; i++)
		for (int j = i + 1; j < img->nr_sites; j++)
			assert_true(img->sites[i].vaddr != img->sites[j].vaddr);
}

static void test_names(void **state)
{
	char name[64];

	(void)state;
	assert_string_equal(allocator_funcs__name(MT_ALLOC_LIBC), "libc");
	assert_string_equal(allocator_funcs__name(MT_ALLOC_CXX), "cxx");
	assert_string_equal(allocator_funcs__name(MT_ALLOC_COUNT), "?");
	assert_int_equal(allocator_funcs__prog_name(MT_ALLOC_JEMALLOC, SHAPE_FREE_NESTED, name,
						    sizeof(name)),
			 0);
	assert_string_equal(name, "jemalloc_free_nested_enter");
	/* libc has programs of its own (bpf_loader's entry_prog) */
	assert_int_equal(allocator_funcs__prog_name(MT_ALLOC_LIBC, SHAPE_MALLOC, name,
						    sizeof(name)),
			 -EINVAL);
	assert_int_equal(allocator_funcs__prog_name(MT_ALLOC_CXX, SHAPE_MALLOC, name, 8),
			 -ENAMETOOLONG);
	assert_false(allocator_funcs__has_return(SHAPE_FREE));
	assert_false(allocator_funcs__has_return(SHAPE_CXX_NEW));
	assert_true(allocator_funcs__has_return(SHAPE_FREE_NESTED));
	/* libstdc++'s operator new: no probe at all, its call sites tell (caller_sites.h) */
	assert_false(allocator_funcs__is_probed(SHAPE_CXX_NEW));
	assert_true(allocator_funcs__is_probed(SHAPE_FREE));
}

static void test_library_names(void **state)
{
	const struct allocator_family *tc = allocator_funcs__family(MT_ALLOC_TCMALLOC);

	(void)state;
	assert_null(allocator_funcs__family(MT_ALLOC_LIBC));
	assert_true(allocator_funcs__is_library(tc, LIBDIR "libtcmalloc.so.4.5.10"));
	assert_true(allocator_funcs__is_library(tc, "libtcmalloc_minimal.so.4"));
	assert_false(allocator_funcs__is_library(tc, "libc.so.6"));
	assert_true(allocator_funcs__is_library(allocator_funcs__family(MT_ALLOC_JEMALLOC),
						"/opt/lib/libjemalloc.so.2"));
	assert_true(allocator_funcs__is_library(allocator_funcs__family(MT_ALLOC_CXX),
						LIBDIR "libstdc++.so.6.0.30"));
}

/*
 * libstdc++: every operator new, each its own function, none probed (told
 * by its calls of malloc); operator delete is not listed (it jumps to free)
 */
static void test_libstdcxx(void **state)
{
	struct allocator_image img = locate(MT_ALLOC_CXX, LIBDIR "libstdc++.so.6");

	(void)state;
	assert_int_equal(img.nr_sites, 8);
	assert_int_equal(img.nr_aliases, 0);
	assert_int_equal(site(&img, "_Znwm")->shape, SHAPE_CXX_NEW);
	assert_int_equal(site(&img, "_ZnwmSt11align_val_t")->shape, SHAPE_CXX_NEW);
	assert_int_equal(site(&img, "_ZnamSt11align_val_tRKSt9nothrow_t")->shape, SHAPE_CXX_NEW);
	assert_null(site(&img, "_ZdlPv"));
	assert_null(site(&img, "_ZdlPvm"));
	assert_null(site(&img, "malloc"));
	allocator_locate__release_image(&img);
}

/* jemalloc 5.3: its own operator new (inlined fast path), mallocx and the sized frees */
static void test_jemalloc(void **state)
{
	struct allocator_image img = locate(MT_ALLOC_JEMALLOC, LIBDIR "libjemalloc.so.2");

	(void)state;
	assert_int_equal(site(&img, "malloc")->shape, SHAPE_MALLOC);
	assert_int_equal(site(&img, "free")->shape, SHAPE_FREE);
	assert_int_equal(site(&img, "mallocx")->shape, SHAPE_MALLOC);
	assert_int_equal(site(&img, "rallocx")->shape, SHAPE_REALLOC);
	assert_int_equal(site(&img, "sdallocx")->shape, SHAPE_FREE_NESTED);
	assert_int_equal(site(&img, "_Znwm")->shape, SHAPE_MALLOC);
	assert_non_null(site(&img, "_ZdlPvm"));
	/* an unprefixed build: no je_ names */
	assert_null(site(&img, "je_malloc"));
	assert_one_site_per_address(&img);
	allocator_locate__release_image(&img);
}

/* tcmalloc: free is operator delete is tc_free: one site, the cheaper free program */
static void test_tcmalloc_aliases(void **state)
{
	struct allocator_image img = locate(MT_ALLOC_TCMALLOC, LIBDIR "libtcmalloc.so.4");

	(void)state;
	assert_int_equal(site(&img, "free")->shape, SHAPE_FREE);
	assert_null(site(&img, "_ZdlPv"));
	assert_null(site(&img, "tc_free"));
	assert_null(site(&img, "tc_malloc"));
	assert_non_null(site(&img, "_Znwm"));
	assert_true(img.nr_aliases > 10);
	assert_one_site_per_address(&img);
	allocator_locate__release_image(&img);
}

/* A je_-prefixed jemalloc in the executable: found by its marker, probed by its own names. */
static void test_je_prefixed_executable(void **state)
{
	struct allocator_set set;
	const struct allocator_image *img;

	(void)state;
	assert_int_equal(allocator_locate__in_executable(JE_PREFIXED, JE_PREFIXED, &set), 0);
	assert_int_equal(set.nr_images, 1);
	img = &set.images[0];
	assert_int_equal(img->allocator, MT_ALLOC_JEMALLOC);
	assert_int_equal(site(img, "je_malloc")->shape, SHAPE_MALLOC);
	assert_int_equal(site(img, "je_mallocx")->shape, SHAPE_MALLOC);
	assert_int_equal(site(img, "je_free")->shape, SHAPE_FREE);
	assert_int_equal(site(img, "je_sdallocx")->shape, SHAPE_FREE_NESTED);
	/* libc's malloc is the program's malloc */
	assert_null(site(img, "malloc"));
	allocator_locate__release(&set);
}

/* An executable with no allocator of its own: nothing, and no error. */
static void test_plain_executable(void **state)
{
	struct allocator_set set;

	(void)state;
	assert_int_equal(allocator_locate__in_executable("build/tests/fixtures/fixture_pie",
							 "build/tests/fixtures/fixture_pie", &set),
			 0);
	assert_int_equal(set.nr_images, 0);
	allocator_locate__release(&set);
}

/* Static with jemalloc: libc_locate finds malloc in the executable, but it is jemalloc's. */
static void test_static_jemalloc_takes_libc_sites(void **state)
{
	struct allocator_set set;
	struct libc_image libc;
	const struct allocator_image *je;

	(void)state;
	assert_int_equal(libc_locate__in_file(JE_STATIC, JE_STATIC, true, &libc), 0);
	assert_non_null(libc_locate__site(&libc, MT_FN_MALLOC));
	assert_int_equal(allocator_locate__in_executable(JE_STATIC, JE_STATIC, &set), 0);
	assert_true(set.nr_images >= 1);
	je = &set.images[0];
	assert_int_equal(je->allocator, MT_ALLOC_JEMALLOC);
	assert_non_null(site(je, "malloc"));
	assert_non_null(site(je, "mallocx"));
	allocator_locate__take_from_libc(&set, &libc);
	assert_null(libc_locate__site(&libc, MT_FN_MALLOC));
	assert_null(libc_locate__site(&libc, MT_FN_FREE));
	/* what is left has its aliases pointing inside the array */
	for (int i = 0; i < libc.nr_sites; i++)
		assert_true(libc.sites[i].alias_of < i);
	libc_locate__release(&libc);
	allocator_locate__release(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_library_names),
		cmocka_unit_test(test_libstdcxx),
		cmocka_unit_test(test_jemalloc),
		cmocka_unit_test(test_tcmalloc_aliases),
		cmocka_unit_test(test_je_prefixed_executable),
		cmocka_unit_test(test_plain_executable),
		cmocka_unit_test(test_static_jemalloc_takes_libc_sites),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
