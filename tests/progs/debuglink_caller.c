// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Leaks 3333 bytes through libdebuglink.so, whose CFI is only in its
 * separate debug file: the kernel unwinder's table of it comes from there.
 */
#include <stddef.h>

void *debuglink_entry(size_t size);

static void *volatile sink;

int main(void)
{
	sink = debuglink_entry(3333); /* MARK: main */
	__asm__ volatile("" ::: "memory");
	return 0;
}
