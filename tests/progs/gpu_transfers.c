// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gpu_transfers: copies and waits through the CUDA test double
 * (tests/gpu_double/: host memory, no GPU), for the resource profile
 * (tests/integration/test_resources.c). Prints nothing; exits 0 only when
 * every call succeeded and every copy arrived. Two threads, one after the
 * other (K = KiB, M = MiB):
 *   "copier"  cudaMemcpy host to device 1M three times, device to host 256K
 *             twice, device to device 512K once (the runtime calls the
 *             driver's copy: counted once); cuMemcpyHtoD_v2 64K, cuMemcpyDtoH_v2
 *             32K, cuMemcpyDtoD_v2 16K; cudaMemcpyAsync host to device 128K twice
 *   "waiter"  cudaDeviceSynchronize four times, cudaStreamSynchronize twice: each
 *             sleeps GPU_DOUBLE_SYNC_MS in the double
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_double_api.h"

#define K 1024
#define M (1024 * 1024)

static int failed;

static void check(int err)
{
	if (err)
		failed = 1;
}

static void *copier(void *arg)
{
	static char host[M], back[M];
	void *d1, *d2;

	(void)arg;
	pthread_setname_np(pthread_self(), "copier");
	check(cudaMalloc(&d1, M));
	check(cudaMalloc(&d2, M));
	memset(host, 'g', sizeof(host));
	for (int i = 0; i < 3; i++)
		check(cudaMemcpy(d1, host, M, cudaMemcpyHostToDevice));
	for (int i = 0; i < 2; i++)
		check(cudaMemcpy(back, d1, 256 * K, cudaMemcpyDeviceToHost));
	check(cudaMemcpy(d2, d1, 512 * K, cudaMemcpyDeviceToDevice));
	check(cuMemcpyHtoD_v2((CUdeviceptr)(uintptr_t)d1, host, 64 * K));
	check(cuMemcpyDtoH_v2(back, (CUdeviceptr)(uintptr_t)d2, 32 * K));
	check(cuMemcpyDtoD_v2((CUdeviceptr)(uintptr_t)d2, (CUdeviceptr)(uintptr_t)d1, 16 * K));
	for (int i = 0; i < 2; i++)
		check(cudaMemcpyAsync(d1, host, 128 * K, cudaMemcpyHostToDevice, NULL));
	if (memcmp(back, host, 32 * K))
		failed = 1;
	check(cudaFree(d1));
	check(cudaFree(d2));
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "waiter");
	for (int i = 0; i < 4; i++)
		check(cudaDeviceSynchronize());
	for (int i = 0; i < 2; i++)
		check(cudaStreamSynchronize(NULL));
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, copier, NULL) || pthread_join(t, NULL))
		return 2;
	if (pthread_create(&t, NULL, waiter, NULL) || pthread_join(t, NULL))
		return 2;
	return failed;
}
