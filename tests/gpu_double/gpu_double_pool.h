/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TEST DOUBLE, NOT A GPU: the simulated device memory behind the CUDA
 * driver and HIP doubles. Host pages from mmap (never malloc: the test
 * programs' libc counters must stay exactly what the programs make them),
 * and a simulated capacity that makes allocations fail with out of memory.
 *
 * Hidden visibility: each double links its own copy, and exports only the
 * API names memtrace probes.
 */
#ifndef GPU_DOUBLE_POOL_H
#define GPU_DOUBLE_POOL_H

#include <stddef.h>
#include <stdint.h>

#define POOL_API __attribute__((visibility("hidden")))

/* What a table entry is; a free only matches an entry of its own type. */
enum pool_type {
	POOL_BLOCK = 1,		/* memory handed out by address: counts against capacity */
	POOL_HANDLE,		/* cuMemCreate's physical memory: counts, but no address */
	POOL_RESERVATION,	/* address space only: never counts */
};

/* Default capacity; MEMTRACE_DOUBLE_CAPACITY=BYTES in the environment overrides it. */
#define POOL_DEFAULT_CAPACITY (16ULL << 30)

/* The results, as the CUDA and HIP enums number them. */
#define POOL_OK 0
#define POOL_INVALID 1
#define POOL_OOM 2

/*
 * A block of size bytes at *addr (untouched on failure). POOL_HANDLE entries
 * get a made-up non-zero handle instead of memory. POOL_OOM when the live
 * bytes plus size would exceed the capacity.
 */
POOL_API int pool__alloc(enum pool_type type, size_t size, uintptr_t *addr);
/* Address space only, PROT_NONE: no capacity check. */
POOL_API int pool__reserve(size_t size, uintptr_t *addr);
/* Gives back the entry of this type at addr; size 0 matches any size. */
POOL_API int pool__free(enum pool_type type, uintptr_t addr, size_t size);
/* The size of the entry of this type at addr, 0 when there is none. */
POOL_API size_t pool__size(enum pool_type type, uintptr_t addr);
/* Whether [addr, addr + size) lies inside one reservation. */
POOL_API int pool__reserved(uintptr_t addr, size_t size);

#endif /* GPU_DOUBLE_POOL_H */
