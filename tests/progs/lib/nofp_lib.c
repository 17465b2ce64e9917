// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * dlopen-ed by dlopen_nofp, built without frame pointers: its leaks come
 * through three levels of its own.
 */
#include <stdlib.h>

__attribute__((noinline)) void *nofp_leak(size_t size)
{
	void *p = malloc(size); /* MARK: nofp_leak */

	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) void *nofp_middle(size_t size)
{
	void *p = nofp_leak(size); /* MARK: nofp_middle */

	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) void *nofp_entry(size_t size)
{
	void *p = nofp_middle(size); /* MARK: nofp_entry */

	__asm__ volatile("" ::: "memory");
	return p;
}
