// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <malloc.h>
#include <stddef.h>

#include "util/heap.h"

/* jemalloc's control interface: present only when jemalloc is linked in */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
	__attribute__((weak));

/* every arena at once (jemalloc's MALLCTL_ARENAS_ALL) */
#define ARENAS_ALL "4096"

void heap__give_back(void)
{
	if (mallctl)
		mallctl("arena." ARENAS_ALL ".purge", NULL, NULL, NULL, 0);
	else
		malloc_trim(0);
}
