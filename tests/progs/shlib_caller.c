// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Allocates through a shared library: stacks must name frames in both modules. */
#include <stddef.h>

void *lib_alloc(size_t size);
void *lib_alloc_twice(size_t size);

static void *volatile sink;

__attribute__((noinline)) void app_calls_lib(void)
{
	sink = lib_alloc(555);
	sink = lib_alloc_twice(666);
}

int main(void)
{
	app_calls_lib();
	return 0;
}
