// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The table of call sites kept from the processes' files
 * (user/attach/caller_table.c), with the kernel's table played by an array: what
 * goes in, at which address, and that an address stays while any process
 * holds it (a forked child, another process mapping the same file at the
 * same address) and goes with the last.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attach/caller_table.h"
#include "symbolize/elf_file.h"
#include "unit_helpers.h"

#define CXX_NEW "build/tests/fixtures/libfixture_cxx_new.so"
#define FREERES "build/tests/fixtures/libfixture_freeres.so"

/* The kernel's table, as the writer sees it. */
struct kernel_table {
	struct entry {
		uint64_t addr;
		struct mt_caller_site site;
	} e[64];
	int n;
	int writes, deletes;
	int room;		/* entries it takes before it is full */
};

static int fake_write(void *ctx, uint64_t addr, const struct mt_caller_site *site)
{
	struct kernel_table *k = ctx;

	for (int i = 0; i < k->n; i++) {
		if (k->e[i].addr != addr)
			continue;
		if (site) {
			fail_msg("%#lx written twice", (unsigned long)addr);
		} else {
			k->e[i] = k->e[--k->n];
			k->deletes++;
		}
		return 0;
	}
	if (!site)
		fail_msg("%#lx deleted but not there", (unsigned long)addr);
	if (k->n >= k->room)
		return -E2BIG;
	k->e[k->n++] = (struct entry){ .addr = addr, .site = *site };
	k->writes++;
	return 0;
}

static const struct entry *entry_at(const struct kernel_table *k, uint64_t addr)
{
	for (int i = 0; i < k->n; i++)
		if (k->e[i].addr == addr)
			return &k->e[i];
	return NULL;
}

struct fixture {
	struct kernel_table k;
	struct caller_table *t;
	char *cxx_path, *freeres_path;
	uint64_t znwm_ret, aligned_ret, fp_ret;	/* file offsets */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->k.room = 64;
	fx->cxx_path = realpath(CXX_NEW, NULL);
	fx->freeres_path = realpath(FREERES, NULL);
	if (!fx->cxx_path || !fx->freeres_path ||
	    caller_table__new(fake_write, &fx->k, &fx->t))
		return -1;
	fx->znwm_ret = unit__func_offset(CXX_NEW, "znwm_ret");
	fx->aligned_ret = unit__func_offset(CXX_NEW, "aligned_ret");
	fx->fp_ret = unit__func_offset(CXX_NEW, "fp_ret");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	caller_table__free(fx->t);
	free(fx->cxx_path);
	free(fx->freeres_path);
	free(fx);
	return 0;
}

/*
 * A process's maps: each path's first page of code at its base (file
 * offset 0x1000), after its headers; then its stack.
 */
static void maps_of(struct proc_maps *maps, const char *path, uint64_t base, const char *path2,
		    uint64_t base2)
{
	char text[2048];
	int len = 0;

	for (int i = 0; i < 2; i++) {
		const char *p = i ? path2 : path;
		unsigned long b = i ? base2 : base;

		if (!p)
			continue;
		len += snprintf(text + len, sizeof(text) - len,
				"%lx-%lx r--p 00000000 08:01 %d %s\n"
				"%lx-%lx r-xp 00001000 08:01 %d %s\n",
				b - 0x1000, b, 7 + i, p, b, b + 0x1000, 7 + i, p);
	}
	snprintf(text + len, sizeof(text) - len,
		 "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n");
	assert_int_equal(proc_maps__parse(text, maps), 0);
}

static void maps_with(struct proc_maps *maps, const char *path, uint64_t base)
{
	maps_of(maps, path, base, NULL, 0);
}

static uint64_t addr_of(uint64_t base, uint64_t file_offset)
{
	return base + (file_offset - 0x1000);
}

/* A process's sites go in at its mapping's addresses, with their values. */
static void test_add_file(void **state)
{
	struct fixture *fx = *state;
	const struct caller_site_list *sites;
	const uint64_t base = 0x7f1200001000;
	struct proc_maps maps;
	const struct entry *e;

	maps_with(&maps, fx->cxx_path, base);
	assert_int_equal(caller_table__add_file(fx->t, 100, MT_CALLER_CXX_NEW, fx->cxx_path,
						fx->cxx_path, &maps, &sites),
			 0);
	assert_int_equal(sites->n, 4);
	assert_int_equal(fx->k.n, 4);
	assert_int_equal(caller_table__size(fx->t), 4);
	e = entry_at(&fx->k, addr_of(base, fx->znwm_ret));
	assert_non_null(e);
	assert_int_equal(e->site.kind, MT_CALLER_CXX_NEW);
	assert_int_equal(e->site.caller_at, 16);
	e = entry_at(&fx->k, addr_of(base, fx->aligned_ret));
	assert_non_null(e);
	assert_int_equal(e->site.rbp_at, 24);
	e = entry_at(&fx->k, addr_of(base, fx->fp_ret));
	assert_non_null(e);
	assert_int_equal(e->site.flags, MT_CALLER_F_FROM_RBP);
	/* again for the same process: nothing more */
	assert_int_equal(caller_table__add_file(fx->t, 100, MT_CALLER_CXX_NEW, fx->cxx_path,
						fx->cxx_path, &maps, NULL),
			 0);
	assert_int_equal(fx->k.writes, 4);
	caller_table__drop(fx->t, 100);
	assert_int_equal(fx->k.n, 0);
	assert_int_equal(fx->k.deletes, 4);
	assert_int_equal(caller_table__size(fx->t), 0);
	proc_maps__release(&maps);
}

/* Two processes at one address: the sites stay until the last lets go. */
static void test_shared_address(void **state)
{
	struct fixture *fx = *state;
	const uint64_t base = 0x7f1200001000, other = 0x7f3400001000;
	struct proc_maps maps, maps2;

	maps_with(&maps, fx->cxx_path, base);
	maps_with(&maps2, fx->cxx_path, other);
	assert_int_equal(caller_table__add_file(fx->t, 100, MT_CALLER_CXX_NEW, fx->cxx_path,
						fx->cxx_path, &maps, NULL),
			 0);
	assert_int_equal(caller_table__add_file(fx->t, 200, MT_CALLER_CXX_NEW, fx->cxx_path,
						fx->cxx_path, &maps, NULL),
			 0);
	assert_int_equal(fx->k.writes, 4);
	/* a third maps it elsewhere: its own addresses */
	assert_int_equal(caller_table__add_file(fx->t, 300, MT_CALLER_CXX_NEW, fx->cxx_path,
						fx->cxx_path, &maps2, NULL),
			 0);
	assert_int_equal(fx->k.n, 8);
	assert_non_null(entry_at(&fx->k, addr_of(other, fx->znwm_ret)));
	caller_table__drop(fx->t, 100);
	assert_int_equal(fx->k.n, 8);
	assert_int_equal(fx->k.deletes, 0);
	caller_table__drop(fx->t, 200);
	assert_int_equal(fx->k.n, 4);
	assert_null(entry_at(&fx->k, addr_of(base, fx->znwm_ret)));
	assert_non_null(entry_at(&fx->k, addr_of(other, fx->znwm_ret)));
	caller_table__drop(fx->t, 300);
	assert_int_equal(fx->k.n, 0);
	/* a process that holds nothing: nothing to do */
	caller_table__drop(fx->t, 999);
	proc_maps__release(&maps);
	proc_maps__release(&maps2);
}

/* A forked child holds its parent's sites: they outlive the parent. */
static void test_fork(void **state)
{
	struct fixture *fx = *state;
	const uint64_t base = 0x7f1200001000;
	struct proc_maps maps;

	maps_with(&maps, fx->cxx_path, base);
	assert_int_equal(caller_table__add_file(fx->t, 100, MT_CALLER_CXX_NEW, fx->cxx_path,
						fx->cxx_path, &maps, NULL),
			 0);
	assert_int_equal(caller_table__copy(fx->t, 100, 101), 0);
	/* a child of a process holding nothing holds nothing */
	assert_int_equal(caller_table__copy(fx->t, 555, 556), 0);
	caller_table__drop(fx->t, 100);
	assert_int_equal(fx->k.n, 4);
	caller_table__drop(fx->t, 101);
	assert_int_equal(fx->k.n, 0);
	assert_int_equal(fx->k.writes, 4);
	assert_int_equal(fx->k.deletes, 4);
	proc_maps__release(&maps);
}

/* A file the process does not map, one without operator new, one gone. */
static void test_not_mapped(void **state)
{
	struct fixture *fx = *state;
	struct proc_maps maps;

	maps_with(&maps, "/usr/lib/other.so", 0x7f1200001000);
	assert_int_equal(caller_table__add_file(fx->t, 100, MT_CALLER_CXX_NEW, fx->cxx_path,
						fx->cxx_path, &maps, NULL),
			 0);
	assert_int_equal(fx->k.n, 0);
	assert_int_equal(caller_table__add_file(fx->t, 100, MT_CALLER_CXX_NEW, fx->freeres_path,
						fx->freeres_path, &maps, NULL),
			 -ENOENT);
	assert_int_equal(caller_table__add_file(fx->t, 100, MT_CALLER_CXX_NEW, "/nonexistent.so",
						"/nonexistent.so", &maps, NULL),
			 -ENOENT);
	caller_table__drop(fx->t, 100);
	proc_maps__release(&maps);
}

/* A full kernel table: what did not fit is left out, and not taken out later. */
static void test_full(void **state)
{
	struct fixture *fx = *state;
	struct proc_maps maps;

	fx->k.room = 3;
	maps_with(&maps, fx->cxx_path, 0x7f1200001000);
	assert_int_equal(caller_table__add_file(fx->t, 100, MT_CALLER_CXX_NEW, fx->cxx_path,
						fx->cxx_path, &maps, NULL),
			 0);
	assert_int_equal(fx->k.n, 3);
	assert_int_equal(caller_table__size(fx->t), 3);
	caller_table__drop(fx->t, 100);
	assert_int_equal(fx->k.deletes, 3);
	proc_maps__release(&maps);
}

/* A process: its libstdc++ image's sites and its libc's thread-exit frees. */
static void test_add_process(void **state)
{
	struct fixture *fx = *state;
	struct allocator_image img = { .allocator = MT_ALLOC_CXX, .path = fx->cxx_path,
				       .open_path = fx->cxx_path };
	struct allocator_set set = { .images = &img, .nr_images = 1 };
	const uint64_t base = 0x7f1200001000, libc_base = 0x7f5600001000;
	struct proc_maps maps;
	const struct entry *e;

	maps_of(&maps, fx->cxx_path, base, fx->freeres_path, libc_base);
	/* the path is the fixture's own: the process's root is its root */
	assert_int_equal(caller_table__add_process(fx->t, getpid(), &maps, &set, fx->freeres_path,
						   false),
			 0);
	assert_int_equal(fx->k.n, 4 + 2);
	e = entry_at(&fx->k,
		     addr_of(libc_base, unit__func_offset(fx->freeres_path, "freeres_ret1")));
	assert_non_null(e);
	assert_int_equal(e->site.kind, MT_CALLER_FREERES);
	caller_table__drop(fx->t, getpid());
	assert_int_equal(fx->k.n, 0);
	proc_maps__release(&maps);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_add_file),
		TEST(test_shared_address),
		TEST(test_fork),
		TEST(test_not_mapped),
		TEST(test_full),
		TEST(test_add_process),
	};

	return cmocka_run_group_tests_name("unit: caller table", tests, NULL, NULL);
}
