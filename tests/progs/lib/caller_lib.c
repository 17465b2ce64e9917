// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A shared library that allocates on its callers' behalf (tests/progs/shlib_caller.c). */
#include <stdlib.h>

__attribute__((noinline)) void *lib_alloc(size_t size)
{
	return malloc(size);
}

__attribute__((noinline)) void *lib_alloc_twice(size_t size)
{
	free(lib_alloc(size));
	return lib_alloc(size);
}
