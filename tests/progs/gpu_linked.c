// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gpu_linked [--now]: GPU memory through the CUDA test double
 * (tests/gpu_double/: host memory, no GPU), linked against its runtime
 * (libcudart.so.13) and driver (libcuda.so.1). Without --now it first says
 * "ready" and waits for a line on stdin (memtrace -p attaches in between);
 * with --now it prints nothing at all, so memtrace --json can own stdout.
 * Exits 0 only when every call returned what the double must return.
 *
 * Exactly, in this order (K = KiB, M = MiB; threads by name; device is
 * the thread's, set by cudaSetDevice, unless said otherwise):
 *   cudaFree(NULL)                                   ignored: context init
 *   cudaSetDevice(1) ok; cudaSetDevice(9) fails (101): main stays on device 1
 *   rt_malloc        cudaMalloc 1M, 2M, 3M; cudaFree 1M and 3M  device   live 2M
 *   rt_managed       cudaMallocManaged 5M                        managed  live 5M
 *   rt_pinned        cudaMallocHost 256K, cudaFreeHost it        pinned
 *                    cudaHostAlloc 512K                          pinned   live 512K
 *   rt_async         cudaMallocAsync 768K, cudaFreeAsync it      async
 *   rt_pitch         cudaMallocPitch 1000 x 100: pitch 1024      device   live 102400
 *   drv_alloc        cuMemAlloc_v2 7M                            device   live 7M
 *   drv_managed      cuMemAllocManaged 6M, cuMemFree_v2 it       managed
 *   drv_pinned       cuMemAllocHost_v2 128K, cuMemFreeHost it    pinned
 *                    cuMemHostAlloc 64K                          pinned   live 64K
 *   drv_async        cuMemAllocAsync 384K, cuMemFreeAsync_ptsz   async
 *                    cuMemAllocFromPoolAsync 192K                async    live 192K
 *   drv_pitch        cuMemAllocPitch_v2 3000 x 10: pitch 3072    device   live 30720
 *   vmm_cycle        cuMemCreate 4M on device 0; cuMemAddressReserve 8M; cuMemMap 4M of it;
 *                    cuMemUnmap; cuMemRelease; cuMemAddressFree: all given back
 *   vmm_keep         cuMemCreate 2M on device 2                  vmm_physical live 2M (dev 2)
 *                    cuMemAddressReserve 4M                      address_reserved live 4M
 *                    cuMemMap 2M                                 vmm_mapped live 2M (dev 2)
 *   thread "gpu_alloc" (no cudaSetDevice: device unknown), gpu_thread_alloc:
 *                    cudaMalloc 9M, 10M; after the join, main's cross_thread_free
 *                    cudaFrees the 9M one: charged to gpu_alloc  device   live 10M
 *   oom_runtime      cudaMalloc 1T: 2 (out of memory)            device   failed
 *   oom_driver       cuMemAlloc_v2 1T: 2                         device   failed
 *
 * Live at exit: device 19M + 133120 (10M of it gpu_alloc's), managed 5M,
 * pinned 576K, async 192K, vmm_physical 2M, vmm_mapped 2M,
 * address_reserved 4M. Host memory: only what libc and pthread_create
 * make; the double itself uses mmap.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gpu_double_api.h"

#define K (1024ULL)
#define M (1024ULL * 1024)
#define T (1024ULL * 1024 * 1024 * 1024)

static int failures;
static void *volatile sink;

static void expect(const char *what, int got, int want)
{
	if (got == want)
		return;
	fprintf(stderr, "gpu_linked: %s returned %d, expected %d\n", what, got, want);
	failures++;
}

__attribute__((noinline)) void context_init(void)
{
	expect("cudaFree(NULL)", cudaFree(NULL), 0);
	expect("cudaSetDevice(1)", cudaSetDevice(1), 0);
	expect("cudaSetDevice(9)", cudaSetDevice(9), 101);
}

__attribute__((noinline)) void rt_malloc(void)
{
	void *a = NULL, *b = NULL, *c = NULL;

	expect("cudaMalloc 1M", cudaMalloc(&a, 1 * M), 0);
	expect("cudaMalloc 2M", cudaMalloc(&b, 2 * M), 0); /* MARK: rt_malloc_2m */
	expect("cudaMalloc 3M", cudaMalloc(&c, 3 * M), 0);
	expect("cudaFree 1M", cudaFree(a), 0);
	expect("cudaFree 3M", cudaFree(c), 0);
	sink = b;
}

__attribute__((noinline)) void rt_managed(void)
{
	void *p = NULL;
	int err;

	err = cudaMallocManaged(&p, 5 * M, cudaMemAttachGlobal); /* MARK: rt_managed */
	expect("cudaMallocManaged", err, 0);
	sink = p;
}

__attribute__((noinline)) void rt_pinned(void)
{
	void *p = NULL, *q = NULL;
	int err;

	expect("cudaMallocHost", cudaMallocHost(&p, 256 * K), 0);
	memset(p, 0xab, 256 * K);	/* pinned memory is host memory */
	expect("cudaFreeHost", cudaFreeHost(p), 0);
	err = cudaHostAlloc(&q, 512 * K, cudaHostAllocDefault); /* MARK: rt_host_alloc */
	expect("cudaHostAlloc", err, 0);
	sink = q;
}

__attribute__((noinline)) void rt_async(void)
{
	void *p = NULL;

	expect("cudaMallocAsync", cudaMallocAsync(&p, 768 * K, NULL), 0);
	expect("cudaFreeAsync", cudaFreeAsync(p, NULL), 0);
}

__attribute__((noinline)) void rt_pitch(void)
{
	size_t pitch = 0;
	void *p = NULL;

	expect("cudaMallocPitch", cudaMallocPitch(&p, &pitch, 1000, 100), 0); /* MARK: rt_pitch */
	expect("cudaMallocPitch's pitch", (int)pitch, 1024);
	sink = p;
}

__attribute__((noinline)) void drv_alloc(void)
{
	CUdeviceptr d = 0;

	expect("cuMemAlloc_v2", cuMemAlloc_v2(&d, 7 * M), 0); /* MARK: drv_alloc */
	sink = (void *)(uintptr_t)d;
}

__attribute__((noinline)) void drv_managed(void)
{
	CUdeviceptr d = 0;

	expect("cuMemAllocManaged", cuMemAllocManaged(&d, 6 * M, CU_MEM_ATTACH_GLOBAL), 0);
	expect("cuMemFree_v2 managed", cuMemFree_v2(d), 0);
}

__attribute__((noinline)) void drv_pinned(void)
{
	void *p = NULL, *q = NULL;

	expect("cuMemAllocHost_v2", cuMemAllocHost_v2(&p, 128 * K), 0);
	expect("cuMemFreeHost", cuMemFreeHost(p), 0);
	expect("cuMemHostAlloc", cuMemHostAlloc(&q, 64 * K, 0), 0); /* MARK: drv_host_alloc */
	sink = q;
}

__attribute__((noinline)) void drv_async(void)
{
	CUdeviceptr d = 0, e = 0;
	int err;

	expect("cuMemAllocAsync", cuMemAllocAsync(&d, 384 * K, NULL), 0);
	expect("cuMemFreeAsync_ptsz", cuMemFreeAsync_ptsz(d, NULL), 0);
	err = cuMemAllocFromPoolAsync(&e, 192 * K, NULL, NULL); /* MARK: drv_pool_async */
	expect("cuMemAllocFromPoolAsync", err, 0);
	sink = (void *)(uintptr_t)e;
}

__attribute__((noinline)) void drv_pitch(void)
{
	CUdeviceptr d = 0;
	size_t pitch = 0;
	int err;

	err = cuMemAllocPitch_v2(&d, &pitch, 3000, 10, 4); /* MARK: drv_pitch */
	expect("cuMemAllocPitch_v2", err, 0);
	expect("cuMemAllocPitch_v2's pitch", (int)pitch, 3072);
	sink = (void *)(uintptr_t)d;
}

static CUmemAllocationProp device_prop(int device)
{
	CUmemAllocationProp prop;

	memset(&prop, 0, sizeof(prop));
	prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
	prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	prop.location.id = device;
	return prop;
}

__attribute__((noinline)) void vmm_cycle(void)
{
	CUmemAllocationProp prop = device_prop(0);
	CUmemGenericAllocationHandle h = 0;
	CUdeviceptr va = 0;

	expect("cuMemCreate 4M", cuMemCreate(&h, 4 * M, &prop, 0), 0);
	expect("cuMemAddressReserve 8M", cuMemAddressReserve(&va, 8 * M, 0, 0, 0), 0);
	expect("cuMemMap 4M", cuMemMap(va, 4 * M, 0, h, 0), 0);
	expect("cuMemUnmap 4M", cuMemUnmap(va, 4 * M), 0);
	expect("cuMemRelease", cuMemRelease(h), 0);
	expect("cuMemAddressFree 8M", cuMemAddressFree(va, 8 * M), 0);
}

__attribute__((noinline)) void vmm_keep(void)
{
	CUmemAllocationProp prop = device_prop(2);
	CUmemGenericAllocationHandle h = 0;
	CUdeviceptr va = 0;

	expect("cuMemCreate 2M", cuMemCreate(&h, 2 * M, &prop, 0), 0); /* MARK: vmm_keep_create */
	expect("cuMemAddressReserve 4M", cuMemAddressReserve(&va, 4 * M, 0, 0, 0), 0);
	expect("cuMemMap 2M", cuMemMap(va, 2 * M, 0, h, 0), 0);
}

__attribute__((noinline)) void gpu_thread_alloc(void **blocks)
{
	expect("thread cudaMalloc 9M", cudaMalloc(&blocks[0], 9 * M), 0);
	expect("thread cudaMalloc 10M", cudaMalloc(&blocks[1], 10 * M), 0); /* MARK: thread_10m */
}

static void *gpu_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "gpu_alloc");
	gpu_thread_alloc(arg);
	return NULL;
}

__attribute__((noinline)) void cross_thread_free(void *block)
{
	expect("cudaFree of gpu_alloc's 9M", cudaFree(block), 0);
}

__attribute__((noinline)) void cross_thread(void)
{
	void *blocks[2] = { NULL, NULL };
	pthread_t t;

	if (pthread_create(&t, NULL, gpu_thread, blocks) || pthread_join(t, NULL)) {
		failures++;
		return;
	}
	cross_thread_free(blocks[0]);
	sink = blocks[1];
}

__attribute__((noinline)) void oom_runtime(void)
{
	void *p = &failures;

	expect("cudaMalloc 1T", cudaMalloc(&p, 1 * T), 2); /* MARK: oom_runtime */
	expect("cudaMalloc 1T leaves the pointer", p == &failures, 1);
}

__attribute__((noinline)) void oom_driver(void)
{
	CUdeviceptr d = 42;

	expect("cuMemAlloc_v2 1T", cuMemAlloc_v2(&d, 1 * T), 2); /* MARK: oom_driver */
	expect("cuMemAlloc_v2 1T leaves the pointer", d == 42, 1);
}

int main(int argc, char **argv)
{
	char c;

	if (argc < 2 || strcmp(argv[1], "--now")) {
		if (write(STDOUT_FILENO, "ready\n", 6) != 6)
			return 1;
		while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
			;
	}
	context_init();
	rt_malloc();
	rt_managed();
	rt_pinned();
	rt_async();
	rt_pitch();
	drv_alloc();
	drv_managed();
	drv_pinned();
	drv_async();
	drv_pitch();
	vmm_cycle();
	vmm_keep();
	cross_thread();
	oom_runtime();
	oom_driver();
	return failures ? 1 : 0;
}
