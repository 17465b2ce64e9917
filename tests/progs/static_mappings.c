// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Linked statically: its mappings reach the kernel without a libc.so (the
 * memory of tests/integration/test_mappings.c). "control" exits once its
 * libc's startup has run, so a test can subtract what startup maps. The
 * sizes below are that test's expectations; PG is a page on x86-64.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096L
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

/* memtrace attaches to a static program only with a malloc in it to probe */
void *(*volatile keep_malloc)(size_t) = malloc;

static void fail(const char *what)
{
	write(2, what, strlen(what));
	write(2, "\n", 1);
	_exit(1);
}

__attribute__((noinline)) static void map_anonymous(void)
{
	char *a, *b, *r, *d, *moved;

	/* 40 pages, then 8 out of their middle */
	a = mmap(NULL, 40 * PG, RW, ANON, -1, 0);
	if (a == MAP_FAILED || munmap(a + 16 * PG, 8 * PG))
		fail("mmap/munmap a");
	/* 16 pages moved and grown to 24 over a 24-page reservation, which goes */
	b = mmap(NULL, 16 * PG, RW, ANON, -1, 0);
	r = mmap(NULL, 24 * PG, PROT_NONE, ANON, -1, 0);
	if (b == MAP_FAILED || r == MAP_FAILED)
		fail("mmap b, r");
	moved = mremap(b, 16 * PG, 24 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, r);
	if (moved != r)
		fail("mremap b");
	/* 8 pages, 4 of them replaced by a MAP_FIXED mapping */
	d = mmap(NULL, 8 * PG, RW, ANON, -1, 0);
	if (d == MAP_FAILED || mmap(d + 2 * PG, 4 * PG, RW, ANON | MAP_FIXED, -1, 0) != d + 2 * PG)
		fail("mmap d");
}

/* 3 pages of the program's own file: file-backed, in no anonymous count */
__attribute__((noinline)) static void map_file(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);

	if (fd < 0 || mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED)
		fail("mmap file");
	close(fd);
}

/* the heap: up by 20603 bytes, down by 8192 */
__attribute__((noinline)) static void move_break(void)
{
	if (sbrk(20603) == (void *)-1 || sbrk(-8192) == (void *)-1)
		fail("sbrk");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "control"))
		return 0;
	map_anonymous();
	map_file();
	move_break();
	return 0;
}
