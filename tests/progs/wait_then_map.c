// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * For the -p mappings test: maps 4 pages, says "ready", waits for a line
 * on stdin, then (after_attach) maps 7 anonymous pages, unmaps the first
 * 2, shrinks the other 5 to 3 with mremap, maps 2 shared anonymous pages,
 * and unmaps the 4 pages from before the attach, which memtrace never saw.
 * Raw system calls only after the attach: no malloc maps anything.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096L
#define RW (PROT_READ | PROT_WRITE)

__attribute__((noinline)) static int after_attach(char *early)
{
	char *a = mmap(NULL, 7 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED || munmap(a, 2 * PG))
		return 1;
	if (mremap(a + 2 * PG, 5 * PG, 3 * PG, 0) != a + 2 * PG)
		return 1;
	if (mmap(NULL, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		return 1;
	return munmap(early, 4 * PG) ? 1 : 0;
}

int main(void)
{
	char *early = mmap(NULL, 4 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c;

	if (early == MAP_FAILED || write(STDOUT_FILENO, "ready\n", 6) != 6)
		return 1;
	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
	return after_attach(early);
}
