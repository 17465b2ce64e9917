// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gpu_dlsym: the CUDA test double (tests/gpu_double/: host memory, no GPU)
 * called only through function pointers, as frameworks that load CUDA
 * lazily do. Not linked to it: dlopen("libcudart.so.13") by soname through
 * this program's RUNPATH at once in main, dlsym, call. No output, no
 * waiting: for launch mode (memtrace -- gpu_dlsym).
 *
 * Exactly (K = KiB; one thread, no cudaSetDevice: device unknown):
 *   fp_malloc    cudaMalloc 256K twice; cudaFree the first      device
 *   fp_managed   cudaMallocManaged 768K                        managed
 * Live at exit: device 256K (1 block, fp_malloc), managed 768K (fp_managed);
 * device allocs 2, frees 1, peak 512K; managed allocs 1. Exits 0 only when
 * every call succeeded.
 */
#include <dlfcn.h>
#include <stdio.h>

#define K (1024UL)

typedef int (*malloc_fn)(void **p, size_t bytes);
typedef int (*managed_fn)(void **p, size_t bytes, unsigned int flags);
typedef int (*free_fn)(void *p);

#define CUDA_MEM_ATTACH_GLOBAL 1	/* cudaMemAttachGlobal */

static void *volatile sink;

__attribute__((noinline)) int fp_malloc(malloc_fn cuda_malloc, free_fn cuda_free)
{
	void *a = NULL, *b = NULL;
	int err;

	err = cuda_malloc(&a, 256 * K); /* MARK: fp_malloc_freed */
	err |= cuda_malloc(&b, 256 * K); /* MARK: fp_malloc_kept */
	err |= cuda_free(a);
	sink = b;
	return err;
}

__attribute__((noinline)) int fp_managed(managed_fn cuda_malloc_managed)
{
	void *p = NULL;
	int err = cuda_malloc_managed(&p, 768 * K, CUDA_MEM_ATTACH_GLOBAL); /* MARK: fp_managed */

	sink = p;
	return err;
}

int main(void)
{
	void *rt = dlopen("libcudart.so.13", RTLD_NOW);
	malloc_fn cuda_malloc;
	managed_fn cuda_malloc_managed;
	free_fn cuda_free;

	if (!rt) {
		fprintf(stderr, "gpu_dlsym: %s\n", dlerror());
		return 1;
	}
	cuda_malloc = (malloc_fn)dlsym(rt, "cudaMalloc");
	cuda_malloc_managed = (managed_fn)dlsym(rt, "cudaMallocManaged");
	cuda_free = (free_fn)dlsym(rt, "cudaFree");
	if (!cuda_malloc || !cuda_malloc_managed || !cuda_free)
		return 1;
	if (fp_malloc(cuda_malloc, cuda_free) || fp_managed(cuda_malloc_managed))
		return 1;
	return 0;
}
