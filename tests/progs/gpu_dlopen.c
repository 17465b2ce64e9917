// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gpu_dlopen [--now]: the CUDA test double (tests/gpu_double/: host
 * memory, no GPU) loaded only after memtrace has attached, as PyTorch loads
 * libcuda late. Not linked to it: dlopen("libcudart.so.13") by soname,
 * found through this program's RUNPATH, and every call through dlsym'd
 * pointers.
 *
 * Without --now: says "ready" and waits for a line on stdin (memtrace -p
 * attaches), then dlopens and calls at once, with no time in between for a
 * tracer to notice the new mapping: memtrace must have its probes in place
 * by then (it probes ahead the libraries a dlopen would find). With --now:
 * no output and no waiting.
 *
 * Exactly (M = MiB; one thread, no cudaSetDevice: device unknown):
 *   dl_rt_malloc   cudaMalloc 1M three times; cudaFree the first   device
 *   dl_drv_alloc   cuMemAlloc_v2 2M (through dlopen("libcuda.so.1"))  device
 * Live at exit: device 4M in 3 blocks (2 x 1M from dl_rt_malloc, 2M from
 * dl_drv_alloc); device allocs 4, frees 1, peak 4M. Exits 0 only when
 * every call succeeded.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define M (1024UL * 1024)

typedef int (*malloc_fn)(void **p, size_t bytes);
typedef int (*free_fn)(void *p);
typedef int (*drv_alloc_fn)(unsigned long long *dptr, size_t bytes);

static void *volatile sink;

static int wait_line(void)
{
	char c;

	if (write(STDOUT_FILENO, "ready\n", 6) != 6)
		return -1;
	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
	return 0;
}

__attribute__((noinline)) int dl_rt_malloc(malloc_fn cuda_malloc, free_fn cuda_free)
{
	void *p[3] = { NULL, NULL, NULL };
	int err = 0;

	for (int i = 0; i < 3; i++)
		err |= cuda_malloc(&p[i], 1 * M); /* MARK: dl_rt_malloc */
	err |= cuda_free(p[0]);
	sink = p[1];
	sink = p[2];
	return err;
}

__attribute__((noinline)) int dl_drv_alloc(drv_alloc_fn cu_mem_alloc)
{
	unsigned long long d = 0;
	int err = cu_mem_alloc(&d, 2 * M); /* MARK: dl_drv_alloc */

	sink = (void *)d;
	return err;
}

int main(int argc, char **argv)
{
	int now = argc > 1 && !strcmp(argv[1], "--now");
	void *rt, *drv;
	malloc_fn cuda_malloc;
	free_fn cuda_free;
	drv_alloc_fn cu_mem_alloc;

	if (!now && wait_line())
		return 1;
	rt = dlopen("libcudart.so.13", RTLD_NOW);
	drv = dlopen("libcuda.so.1", RTLD_NOW);
	if (!rt || !drv) {
		fprintf(stderr, "gpu_dlopen: %s\n", dlerror());
		return 1;
	}
	cuda_malloc = (malloc_fn)dlsym(rt, "cudaMalloc");
	cuda_free = (free_fn)dlsym(rt, "cudaFree");
	cu_mem_alloc = (drv_alloc_fn)dlsym(drv, "cuMemAlloc_v2");
	if (!cuda_malloc || !cuda_free || !cu_mem_alloc)
		return 1;
	if (dl_rt_malloc(cuda_malloc, cuda_free) || dl_drv_alloc(cu_mem_alloc))
		return 1;
	return 0;
}
