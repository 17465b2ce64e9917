// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Finding the libc a process maps, and one probe site per distinct address. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attach/alloc_funcs.h"
#include "attach/libc_locate.h"
#include "symbolize/proc_maps.h"

/* The libc this test runs on, as the dynamic loader found it. */
static const char *own_libc(void)
{
	Dl_info info;

	assert_true(dladdr((void *)malloc, &info));
	return info.dli_fname;
}

static void test_every_function_found(void **state)
{
	struct libc_image img;

	(void)state;
	assert_int_equal(libc_locate__in_file(own_libc(), own_libc(), false, &img), 0);
	assert_int_equal(img.nr_sites, MT_FN_COUNT);
	assert_int_equal(img.sites[0].func, MT_FN_MALLOC);
	for (int fn = 0; fn < MT_FN_COUNT; fn++)
		assert_non_null(libc_locate__site(&img, fn));
	libc_locate__release(&img);
}

/* Sites share a probe exactly when the live functions share an address. */
static void test_aliases_match_live_addresses(void **state)
{
	void *handle = dlopen(own_libc(), RTLD_NOW | RTLD_NOLOAD);
	struct libc_image img;
	int aliases = 0;

	(void)state;
	assert_non_null(handle);
	assert_int_equal(libc_locate__in_file(own_libc(), own_libc(), false, &img), 0);
	for (int i = 0; i < img.nr_sites; i++) {
		const struct libc_site *s = &img.sites[i];
		void *addr = dlsym(handle, alloc_funcs__name(s->func));
		bool shares = false;

		for (int j = 0; j < i; j++)
			shares |= dlsym(handle, alloc_funcs__name(img.sites[j].func)) == addr;
		assert_int_equal(s->alias_of >= 0, shares);
		if (s->alias_of >= 0) {
			aliases++;
			assert_ptr_equal(dlsym(handle, alloc_funcs__name(img.sites[s->alias_of].func)),
					 addr);
			assert_int_equal(img.sites[s->alias_of].file_offset, s->file_offset);
		}
	}
	/* glibc: aligned_alloc and memalign are one function */
	if (dlsym(handle, "aligned_alloc") == dlsym(handle, "memalign")) {
		assert_int_equal(aliases, 1);
		assert_int_equal(libc_locate__site(&img, MT_FN_MEMALIGN)->alias_of,
				 libc_locate__site(&img, MT_FN_ALIGNED_ALLOC) - img.sites);
	}
	libc_locate__release(&img);
	dlclose(handle);
}

static void test_found_in_own_maps(void **state)
{
	struct proc_maps maps;
	struct libc_image img;
	char exe[4096];
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_int_equal(proc_maps__read(getpid(), &maps), 0);
	assert_int_equal(libc_locate__in_process(getpid(), &maps, exe, false, &img), 0);
	/* the path as mapped, which may be a symlink-free spelling of own_libc() */
	assert_non_null(strstr(img.path, "libc.so"));
	assert_non_null(strstr(img.open_path, "/root"));
	libc_locate__release(&img);
	proc_maps__release(&maps);
}

/* A statically linked program carries its own malloc. */
static void test_static_executable(void **state)
{
	const char *prog = "build/tests/progs/static_alloc";
	struct libc_image img;

	(void)state;
	if (access(prog, R_OK))
		fail_msg("%s is missing: make builds it before the unit tests", prog);
	assert_int_equal(libc_locate__in_file(prog, prog, false, &img), 0);
	assert_non_null(libc_locate__site(&img, MT_FN_FREE));
	libc_locate__release(&img);
}

static void test_not_a_libc(void **state)
{
	struct libc_image img;

	(void)state;
	assert_int_equal(libc_locate__in_file("build/tests/fixtures/libfixture.so",
					      "build/tests/fixtures/libfixture.so", false, &img),
			 -ENOEXEC);
	assert_int_equal(libc_locate__in_file("/nonexistent/libc.so.6", "/nonexistent/libc.so.6",
					      false, &img),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_function_found),
		cmocka_unit_test(test_aliases_match_live_addresses),
		cmocka_unit_test(test_found_in_own_maps),
		cmocka_unit_test(test_static_executable),
		cmocka_unit_test(test_not_a_libc),
	};

	return cmocka_run_group_tests_name("unit: libc_locate", tests, NULL, NULL);
}
