// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * process__add_map and process__reset_maps: a reported mapping replaces or
 * trims what it overlaps, the way mmap does, and an exec starts over.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "account/process.h"

/* Three mappings with gaps between, as a process's maps file would list them. */
static const char seed[] = "10000-14000 r-xp 00000000 08:01 11 /lib/a.so\n"
			   "20000-28000 r-xp 00004000 08:01 22 /lib/b.so\n"
			   "30000-31000 rw-p 00000000 00:00 0\n";

/* A process no PID can name: nothing of it is in /proc. */
static struct mt_process *process_seeded(void)
{
	struct mt_process *p;
	long pid_max;
	FILE *f;

	f = fopen("/proc/sys/kernel/pid_max", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid_max), 1);
	fclose(f);
	p = process__new((uint32_t)pid_max + 1);
	assert_non_null(p);
	assert_int_equal(proc_maps__parse(seed, &p->maps), 0);
	return p;
}

static void add(struct mt_process *p, uint64_t start, uint64_t end, uint64_t offset,
		uint64_t inode, const char *path)
{
	struct proc_map m = {
		.start = start,
		.end = end,
		.offset = offset,
		.inode = inode,
		.dev_major = 8,
		.dev_minor = 1,
		.readable = true,
		.executable = true,
		.path = (char *)path,
	};

	assert_int_equal(process__add_map(p, &m), 0);
}

static void assert_map(const struct proc_maps *maps, size_t i, uint64_t start, uint64_t end,
		       uint64_t offset, const char *path)
{
	const struct proc_map *m = &maps->maps[i];

	assert_true(i < maps->n);
	assert_int_equal(m->start, start);
	assert_int_equal(m->end, end);
	assert_int_equal(m->offset, offset);
	if (path)
		assert_string_equal(m->path, path);
	else
		assert_null(m->path);
}

static void test_into_gaps(void **state)
{
	struct mt_process *p = process_seeded();
	uint64_t gen = p->maps_gen;

	(void)state;
	add(p, 0x8000, 0x9000, 0, 1, "/first.so");
	add(p, 0x18000, 0x1a000, 0x1000, 2, "/between.so");
	add(p, 0x40000, 0x41000, 0, 3, "/last.so");
	assert_int_equal(p->maps.n, 6);
	assert_map(&p->maps, 0, 0x8000, 0x9000, 0, "/first.so");
	assert_map(&p->maps, 1, 0x10000, 0x14000, 0, "/lib/a.so");
	assert_map(&p->maps, 2, 0x18000, 0x1a000, 0x1000, "/between.so");
	assert_map(&p->maps, 3, 0x20000, 0x28000, 0x4000, "/lib/b.so");
	assert_map(&p->maps, 4, 0x30000, 0x31000, 0, NULL);
	assert_map(&p->maps, 5, 0x40000, 0x41000, 0, "/last.so");
	assert_int_equal(p->maps.maps[2].inode, 2);
	assert_int_equal(p->maps_gen, gen + 3);
	/* a record is not a read of /proc */
	assert_int_equal(p->maps_read_ns, 0);
	process__free(p);
}

static void test_into_empty(void **state)
{
	struct mt_process *p = process_seeded();

	(void)state;
	proc_maps__release(&p->maps);
	add(p, 0x10000, 0x11000, 0, 1, "/only.so");
	assert_int_equal(p->maps.n, 1);
	assert_map(&p->maps, 0, 0x10000, 0x11000, 0, "/only.so");
	process__free(p);
}

/* dlclose, then another library at the same place. */
static void test_replaces_exactly(void **state)
{
	struct mt_process *p = process_seeded();

	(void)state;
	add(p, 0x20000, 0x28000, 0x2000, 99, "/lib/c.so");
	assert_int_equal(p->maps.n, 3);
	assert_map(&p->maps, 1, 0x20000, 0x28000, 0x2000, "/lib/c.so");
	assert_int_equal(p->maps.maps[1].inode, 99);
	process__free(p);
}

/* The same record twice (a /proc read already had it) changes nothing. */
static void test_idempotent(void **state)
{
	struct mt_process *p = process_seeded();

	(void)state;
	add(p, 0x20000, 0x28000, 0x4000, 22, "/lib/b.so");
	add(p, 0x20000, 0x28000, 0x4000, 22, "/lib/b.so");
	assert_int_equal(p->maps.n, 3);
	assert_map(&p->maps, 0, 0x10000, 0x14000, 0, "/lib/a.so");
	assert_map(&p->maps, 1, 0x20000, 0x28000, 0x4000, "/lib/b.so");
	assert_map(&p->maps, 2, 0x30000, 0x31000, 0, NULL);
	process__free(p);
}

/* Over a's end and b's start: a keeps its start, b its end at a moved offset. */
static void test_trims_both_sides(void **state)
{
	struct mt_process *p = process_seeded();

	(void)state;
	add(p, 0x12000, 0x22000, 0, 5, "/lib/new.so");
	assert_int_equal(p->maps.n, 4);
	assert_map(&p->maps, 0, 0x10000, 0x12000, 0, "/lib/a.so");
	assert_map(&p->maps, 1, 0x12000, 0x22000, 0, "/lib/new.so");
	assert_map(&p->maps, 2, 0x22000, 0x28000, 0x6000, "/lib/b.so");
	assert_map(&p->maps, 3, 0x30000, 0x31000, 0, NULL);
	process__free(p);
}

/* Inside b: two pieces of b, each owning its path (ASan sees a double free). */
static void test_splits(void **state)
{
	struct mt_process *p = process_seeded();

	(void)state;
	add(p, 0x22000, 0x23000, 0, 6, "/lib/inner.so");
	assert_int_equal(p->maps.n, 5);
	assert_map(&p->maps, 1, 0x20000, 0x22000, 0x4000, "/lib/b.so");
	assert_map(&p->maps, 2, 0x22000, 0x23000, 0, "/lib/inner.so");
	assert_map(&p->maps, 3, 0x23000, 0x28000, 0x7000, "/lib/b.so");
	assert_ptr_not_equal(p->maps.maps[1].path, p->maps.maps[3].path);
	/* and an anonymous one split, with no path to copy */
	add(p, 0x30400, 0x30800, 0, 7, "/lib/jit.so");
	assert_int_equal(p->maps.n, 7);
	assert_map(&p->maps, 4, 0x30000, 0x30400, 0, NULL);
	assert_map(&p->maps, 5, 0x30400, 0x30800, 0, "/lib/jit.so");
	assert_map(&p->maps, 6, 0x30800, 0x31000, 0x800, NULL);
	assert_ptr_equal(proc_maps__find(&p->maps, 0x22fff), &p->maps.maps[2]);
	process__free(p);
}

/* One mapping over several, and an anonymous one (a JIT) over a file. */
static void test_swallows(void **state)
{
	struct mt_process *p = process_seeded();

	(void)state;
	add(p, 0x10000, 0x30800, 0, 0, NULL);
	assert_int_equal(p->maps.n, 2);
	assert_map(&p->maps, 0, 0x10000, 0x30800, 0, NULL);
	assert_map(&p->maps, 1, 0x30800, 0x31000, 0x800, NULL);
	add(p, 0x0, 0x100000, 0, 8, "/all.so");
	assert_int_equal(p->maps.n, 1);
	assert_map(&p->maps, 0, 0, 0x100000, 0, "/all.so");
	process__free(p);
}

/* Exec in a live process: what the old image mapped is gone, the new one read. */
static void test_reset_live(void **state)
{
	struct mt_process *p = process__new(getpid());
	char exe[PATH_MAX];
	const struct proc_map *m;
	uint64_t gen;

	(void)state;
	assert_non_null(p);
	assert_int_equal(proc_maps__parse(seed, &p->maps), 0);
	gen = p->maps_gen;
	assert_int_equal(process__reset_maps(p), 0);
	assert_null(proc_maps__find(&p->maps, 0x10000));
	m = proc_maps__find(&p->maps, (uintptr_t)test_reset_live);
	assert_non_null(m);
	assert_non_null(realpath("/proc/self/exe", exe));
	assert_string_equal(m->path, exe);
	assert_string_equal(p->exe, exe);
	assert_true(p->maps_read_ns > 0);
	assert_true(p->maps_gen > gen);
	process__free(p);
}

/* Exec, then gone before the reset: no maps, for the new image's records to fill. */
static void test_reset_gone(void **state)
{
	struct mt_process *p = process_seeded();
	uint64_t gen = p->maps_gen;

	(void)state;
	assert_int_equal(process__reset_maps(p), 0);
	assert_int_equal(p->maps.n, 0);
	assert_true(p->maps_gen > gen);
	add(p, 0x10000, 0x11000, 0, 1, "/new/image");
	assert_int_equal(p->maps.n, 1);
	process__free(p);
}

/*
 * The mappings' record of an exec before the process's record began (a
 * launched CMD: registered at its startup stop, after its exec), drained
 * once /proc shows a later image: the names and the maps read at the stop
 * stay, they are this image's.
 */
static void test_exec_before_record_keeps_read_maps(void **state)
{
	struct mt_process *p = process__new(getpid());
	uint64_t gen;

	(void)state;
	assert_non_null(p);
	snprintf(p->comm, sizeof(p->comm), "bash");
	free(p->exe);
	p->exe = strdup("/usr/bin/bash");
	assert_int_equal(proc_maps__parse(seed, &p->maps), 0);
	p->maps_read_ns = p->begin_ns + 1;
	gen = p->maps_gen;
	assert_int_equal(process__begin_exec_maps(p, p->begin_ns - 1000), 0);
	assert_string_equal(p->comm, "bash");
	assert_string_equal(p->exe, "/usr/bin/bash");
	assert_int_equal(p->maps.n, 3);
	assert_map(&p->maps, 0, 0x10000, 0x14000, 0, "/lib/a.so");
	assert_int_equal(p->maps_gen, gen);
	assert_int_equal(p->nr_next_maps, 0);
	process__free(p);
}

/* The same exec, maps never read (a process -a saw first): /proc's, names kept. */
static void test_exec_before_record_reads_maps(void **state)
{
	struct mt_process *p = process__new(getpid());
	char exe[PATH_MAX];

	(void)state;
	assert_non_null(p);
	snprintf(p->comm, sizeof(p->comm), "bash");
	assert_int_equal(proc_maps__parse(seed, &p->maps), 0);
	assert_int_equal(process__begin_exec_maps(p, p->begin_ns - 1000), 0);
	assert_string_equal(p->comm, "bash");
	assert_null(proc_maps__find(&p->maps, 0x10000));
	assert_non_null(realpath("/proc/self/exe", exe));
	assert_string_equal(proc_maps__find(&p->maps, (uintptr_t)test_reset_live)->path, exe);
	assert_true(p->maps_read_ns > 0);
	process__free(p);
}

/*
 * Two execs in a row (bash, fork_tree, exec_leaker), their mapping records
 * drained before the ring buffer's record of the first: each new image gets
 * its own exec's mappings, the first not the second's.
 */
static void test_two_execs_before_their_records(void **state)
{
	struct mt_process *bash = process_seeded(), *first, *second;

	(void)state;
	assert_int_equal(process__begin_exec_maps(bash, bash->begin_ns + 10), 0);
	add(bash, 0x40000, 0x41000, 0, 41, "/first/image");
	assert_int_equal(process__begin_exec_maps(bash, bash->begin_ns + 20), 0);
	add(bash, 0x50000, 0x51000, 0, 51, "/second/image");
	add(bash, 0x60000, 0x61000, 0, 61, "/second/lib.so");
	/* bash's own maps are untouched until its record ends */
	assert_int_equal(bash->maps.n, 3);

	first = process_seeded();
	free(first->exe);
	first->exe = NULL;
	process__take_exec_maps(bash, first);
	assert_int_equal(first->maps.n, 1);
	assert_map(&first->maps, 0, 0x40000, 0x41000, 0, "/first/image");
	assert_string_equal(first->exe, "/first/image");
	assert_false(first->awaiting_exec_maps);
	assert_int_equal(bash->nr_next_maps, 0);
	/* a mapping now is still the second image's: its exec record is to come */
	add(first, 0x70000, 0x71000, 0, 71, "/second/dlopened.so");
	assert_int_equal(first->maps.n, 1);

	second = process_seeded();
	free(second->exe);
	second->exe = NULL;
	process__take_exec_maps(first, second);
	assert_int_equal(second->maps.n, 3);
	assert_map(&second->maps, 0, 0x50000, 0x51000, 0, "/second/image");
	assert_map(&second->maps, 2, 0x70000, 0x71000, 0, "/second/dlopened.so");
	assert_string_equal(second->exe, "/second/image");
	assert_int_equal(first->nr_next_maps, 0);
	process__free(bash);
	process__free(first);
	process__free(second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_into_gaps),
		cmocka_unit_test(test_into_empty),
		cmocka_unit_test(test_replaces_exactly),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_trims_both_sides),
		cmocka_unit_test(test_splits),
		cmocka_unit_test(test_swallows),
		cmocka_unit_test(test_reset_live),
		cmocka_unit_test(test_reset_gone),
		cmocka_unit_test(test_exec_before_record_keeps_read_maps),
		cmocka_unit_test(test_exec_before_record_reads_maps),
		cmocka_unit_test(test_two_execs_before_their_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
