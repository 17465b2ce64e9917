// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Never linked: tests/progs/dlopen_exit.c loads it after memtrace has attached. */
#include <stdlib.h>

__attribute__((noinline)) void *dl_leak(size_t size)
{
	return malloc(size);
}
