// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A library with no CFI of its own (-fno-asynchronous-unwind-tables, no
 * start files) nor frame pointers: its .debug_frame is only in the debug
 * file its .gnu_debuglink names (tests/progs/progs.mk splits it out).
 */
#include <stdlib.h>

__attribute__((noinline)) void *debuglink_leak(size_t size)
{
	void *p = malloc(size); /* MARK: debuglink_leak */

	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) void *debuglink_entry(size_t size)
{
	void *p = debuglink_leak(size); /* MARK: debuglink_entry */

	__asm__ volatile("" ::: "memory");
	return p;
}
