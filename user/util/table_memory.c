// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <sys/mman.h>

#include "util/table_memory.h"

#define HUGE_PAGE_SIZE (2UL << 20)

#ifdef __SANITIZE_ADDRESS__
/* heap memory, so that AddressSanitizer still checks every slot access */
void *table_memory__alloc(size_t size)
{
	return calloc(1, size);
}

void table_memory__free(void *p, size_t size)
{
	(void)size;
	free(p);
}
#else
void *table_memory__alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/*
	 * Lookups land anywhere in a table: with 4 KiB pages nearly every one
	 * also misses the TLB, and filling the table faults 512 times as
	 * often. Then fault it all in at once, writable: a table is read
	 * before it is written, which would map the zero page first and copy
	 * it on the write, two faults a page. Both are only advice (the
	 * second needs Linux 5.14): the table works the same without them.
	 */
	if (size >= HUGE_PAGE_SIZE)
		madvise(p, size, MADV_HUGEPAGE);
	madvise(p, size, MADV_POPULATE_WRITE);
	return p;
}

void table_memory__free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}
#endif
