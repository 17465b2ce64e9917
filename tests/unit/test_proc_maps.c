// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc_maps: parsing literal maps text, lookups at the edges, live reads, and
 * where a mapped file is opened (a deleted one through its mapping).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbolize/proc_maps.h"

/* Padding as the kernel prints it; the anonymous line ends in a blank, the last in no newline. */
static const char maps_text[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fe:01 1048602                    /usr/bin/cat\n"
	"55d0c0a02000-55d0c0a07000 r-xp 00002000 fe:01 1048602                    /usr/bin/cat\n"
	"55d0c1b3a000-55d0c1b5b000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0 \n"
	"7f1e2d400000-7f1e2d428000 r-xp 00028000 103:05 2621457                   "
	"/home/a b/lib x.so\n"
	"7f1e2d600000-7f1e2d601000 rwxs 00000000 00:05 9                          "
	"/memfd:jit (deleted)\n"
	"7ffd5a3fe000-7ffd5a400000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

static void assert_map(const struct proc_map *m, uint64_t start, uint64_t end, const char *perms,
		       uint64_t offset, uint32_t major, uint32_t minor, uint64_t inode,
		       const char *path)
{
	assert_int_equal(m->start, start);
	assert_int_equal(m->end, end);
	assert_int_equal(m->readable, perms[0] == 'r');
	assert_int_equal(m->writable, perms[1] == 'w');
	assert_int_equal(m->executable, perms[2] == 'x');
	assert_int_equal(m->offset, offset);
	assert_int_equal(m->dev_major, major);
	assert_int_equal(m->dev_minor, minor);
	assert_int_equal(m->inode, inode);
	if (path)
		assert_string_equal(m->path, path);
	else
		assert_null(m->path);
}

static void test_parse_fields(void **state)
{
	struct proc_maps m;

	(void)state;
	assert_int_equal(proc_maps__parse(maps_text, &m), 0);
	assert_int_equal(m.n, 8);
	assert_map(&m.maps[0], 0x55d0c0a00000, 0x55d0c0a02000, "r--", 0, 0xfe, 1, 1048602,
		   "/usr/bin/cat");
	assert_map(&m.maps[1], 0x55d0c0a02000, 0x55d0c0a07000, "r-x", 0x2000, 0xfe, 1, 1048602,
		   "/usr/bin/cat");
	assert_map(&m.maps[2], 0x55d0c1b3a000, 0x55d0c1b5b000, "rw-", 0, 0, 0, 0, "[heap]");
	assert_map(&m.maps[3], 0x7f1e2c000000, 0x7f1e2c021000, "rw-", 0, 0, 0, 0, NULL);
	assert_map(&m.maps[4], 0x7f1e2d400000, 0x7f1e2d428000, "r-x", 0x28000, 0x103, 5, 2621457,
		   "/home/a b/lib x.so");
	assert_map(&m.maps[5], 0x7f1e2d600000, 0x7f1e2d601000, "rwx", 0, 0, 5, 9,
		   "/memfd:jit (deleted)");
	assert_map(&m.maps[6], 0x7ffd5a3fe000, 0x7ffd5a400000, "r-x", 0, 0, 0, 0, "[vdso]");
	assert_map(&m.maps[7], 0xffffffffff600000, 0xffffffffff601000, "--x", 0, 0, 0, 0,
		   "[vsyscall]");
	proc_maps__release(&m);
	assert_null(m.maps);
	assert_int_equal(m.n, 0);
}

static void test_parse_anonymous_without_blank(void **state)
{
	struct proc_maps m;

	(void)state;
	assert_int_equal(proc_maps__parse("1000-2000 rw-p 00000000 00:00 0\n\n"
					  "3000-4000 r-xp 00001000 08:02 77\n",
					  &m),
			 0);
	assert_int_equal(m.n, 2);
	assert_map(&m.maps[0], 0x1000, 0x2000, "rw-", 0, 0, 0, 0, NULL);
	assert_map(&m.maps[1], 0x3000, 0x4000, "r-x", 0x1000, 8, 2, 77, NULL);
	proc_maps__release(&m);
}

static void test_parse_empty(void **state)
{
	struct proc_maps m;

	(void)state;
	assert_int_equal(proc_maps__parse("", &m), 0);
	assert_int_equal(m.n, 0);
	assert_null(proc_maps__find(&m, 0x1000));
	proc_maps__release(&m);
}

static void test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"1000 r-xp 00000000 00:00 0\n",			/* no end */
		"1000-2000 r-xq 00000000 00:00 0\n",		/* bad sharing flag */
		"1000-2000 r-x",					/* cut short */
		"1000-2000 r-xp 00000000 00-00 0\n",		/* bad device */
		"1000-2000 r-xp 00000000 00:00 0x1\n",		/* inode not decimal */
		"2000-1000 r-xp 00000000 00:00 0\n",		/* empty range */
		"1000-2000 r-xp -0000001 00:00 0\n",		/* sign */
		"11111111111111111-2000 r-xp 00000000 00:00 0\n", /* overflow */
		"1000-3000 r-xp 00000000 00:00 0\n2000-4000 r-xp 00000000 00:00 0\n", /* overlap */
	};
	struct proc_maps m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(proc_maps__parse(bad[i], &m), -EINVAL);
		assert_null(m.maps);
		assert_int_equal(m.n, 0);
	}
}

static void test_find_boundaries(void **state)
{
	struct proc_maps m;

	(void)state;
	assert_int_equal(proc_maps__parse(maps_text, &m), 0);
	/* Start inclusive, end exclusive, including where two mappings touch. */
	assert_ptr_equal(proc_maps__find(&m, 0x55d0c0a00000), &m.maps[0]);
	assert_ptr_equal(proc_maps__find(&m, 0x55d0c0a01fff), &m.maps[0]);
	assert_ptr_equal(proc_maps__find(&m, 0x55d0c0a02000), &m.maps[1]);
	assert_ptr_equal(proc_maps__find(&m, 0x55d0c0a06fff), &m.maps[1]);
	assert_ptr_equal(proc_maps__find(&m, 0x7f1e2d400123), &m.maps[4]);
	assert_ptr_equal(proc_maps__find(&m, 0x7ffd5a3fe000), &m.maps[6]);
	assert_ptr_equal(proc_maps__find(&m, 0xffffffffff600fff), &m.maps[7]);
	/* Gaps before, between and after. */
	assert_null(proc_maps__find(&m, 0));
	assert_null(proc_maps__find(&m, 0x55d0c09fffff));
	assert_null(proc_maps__find(&m, 0x55d0c0a07000));
	assert_null(proc_maps__find(&m, 0x55d0c1b39fff));
	assert_null(proc_maps__find(&m, 0x7f1e2c021000));
	assert_null(proc_maps__find(&m, 0xffffffffff601000));
	assert_null(proc_maps__find(&m, UINT64_MAX));
	proc_maps__release(&m);
}

static void test_read_self(void **state)
{
	const struct proc_map *map;
	char exe[PATH_MAX];
	struct proc_maps m;

	(void)state;
	assert_non_null(realpath("/proc/self/exe", exe));
	assert_int_equal(proc_maps__read(getpid(), &m), 0);
	assert_true(m.n > 0);
	map = proc_maps__find(&m, (uint64_t)(uintptr_t)test_read_self);
	assert_non_null(map);
	assert_true(map->readable);
	assert_true(map->executable);
	assert_false(map->writable);
	assert_non_null(map->path);
	assert_string_equal(map->path, exe);
	assert_true(map->inode != 0);

	map = proc_maps__find(&m, (uint64_t)(uintptr_t)&map);
	assert_non_null(map);
	assert_string_equal(map->path, "[stack]");
	assert_true(map->writable);
	proc_maps__release(&m);
}

static void test_read_missing_pid(void **state)
{
	struct proc_maps m;
	long pid_max;
	FILE *f;

	(void)state;
	/* No process can have a PID above pid_max. */
	f = fopen("/proc/sys/kernel/pid_max", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid_max), 1);
	fclose(f);
	assert_int_equal(proc_maps__read((pid_t)(pid_max + 1), &m), -ESRCH);
	assert_null(m.maps);
	assert_int_equal(m.n, 0);
	assert_int_equal(proc_maps__read(-1, &m), -ESRCH);
}

/* Paths under the process's root; a deleted file (memfd's too) through its mapping. */
static void test_open_path(void **state)
{
	struct proc_maps m;
	char out[96];

	(void)state;
	assert_int_equal(proc_maps__parse(maps_text, &m), 0);
	assert_false(proc_map__deleted(&m.maps[0]));
	assert_int_equal(proc_map__open_path(42, &m.maps[0], out, sizeof(out)), 0);
	assert_string_equal(out, "/proc/42/root/usr/bin/cat");
	assert_int_equal(proc_map__open_path(42, &m.maps[4], out, sizeof(out)), 0);
	assert_string_equal(out, "/proc/42/root/home/a b/lib x.so");
	assert_true(proc_map__deleted(&m.maps[5]));
	assert_int_equal(proc_map__open_path(42, &m.maps[5], out, sizeof(out)), 0);
	assert_string_equal(out, "/proc/42/map_files/7f1e2d600000-7f1e2d601000");
	assert_false(proc_map__deleted(&m.maps[3]));
	assert_int_equal(proc_map__open_path(42, &m.maps[0], out, 20), -ENAMETOOLONG);
	assert_int_equal(proc_maps__exe_open_path(7, "/usr/bin/cat", out, sizeof(out)), 0);
	assert_string_equal(out, "/proc/7/root/usr/bin/cat");
	assert_int_equal(proc_maps__exe_open_path(7, "/opt/job (deleted)", out, sizeof(out)), 0);
	assert_string_equal(out, "/proc/7/exe");
	/* only the kernel's suffix counts, not the words inside a name */
	assert_int_equal(proc_maps__exe_open_path(7, "/a (deleted)/b", out, sizeof(out)), 0);
	assert_string_equal(out, "/proc/7/root/a (deleted)/b");
	proc_maps__release(&m);
}

/* A file mapped here, then removed: its mapping's open path still reads its bytes. */
static void test_open_deleted_file(void **state)
{
	char path[] = "/tmp/memtrace-proc-maps-XXXXXX", open_path[96], buf[6] = "";
	const struct proc_map *map;
	struct proc_maps m;
	void *addr;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 6), 6);
	addr = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(addr != MAP_FAILED);
	close(fd);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(proc_maps__read(getpid(), &m), 0);
	map = proc_maps__find(&m, (uint64_t)(uintptr_t)addr);
	assert_non_null(map);
	assert_true(proc_map__deleted(map));
	assert_int_equal(proc_map__open_path(getpid(), map, open_path, sizeof(open_path)), 0);
	if (geteuid() != 0) {
		/* map_files links are followed for CAP_SYS_ADMIN only */
		fprintf(stderr, "*** NOT CHECKED: opening %s needs root\n", open_path);
	} else {
		fd = open(open_path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(read(fd, buf, sizeof(buf)), 6);
		assert_string_equal(buf, "hello");
		close(fd);
	}
	proc_maps__release(&m);
	munmap(addr, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_anonymous_without_blank),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_find_boundaries),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_missing_pid),
		cmocka_unit_test(test_open_path),
		cmocka_unit_test(test_open_deleted_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
