// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TEST DOUBLE, NOT A GPU RUNTIME: build/tests/gpu_double/libamdhip64.so.6
 * stands in for AMD's HIP runtime in memtrace's tests only. Host pages
 * behind the HIP memory functions (gpu_double_pool.c), the same simulated
 * capacity as the CUDA driver double (16 GiB, or MEMTRACE_DOUBLE_CAPACITY
 * bytes), hipErrorOutOfMemory (2) past it with the out-pointer untouched.
 * hipSetDevice keeps a per-thread device. Nothing here touches a GPU.
 *
 * Every export is a noinline function of its own, calling no other export.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "gpu_double_api.h"
#include "gpu_double_pool.h"

#define EXPORT __attribute__((visibility("default"), noinline))

static __thread int current_device __attribute__((tls_model("initial-exec")));

static hipError_t block_alloc(void **ptr, size_t size)
{
	uintptr_t addr;
	int err;

	if (!ptr)
		return hipErrorInvalidValue;
	err = pool__alloc(POOL_BLOCK, size, &addr);
	if (err)
		return (hipError_t)err;
	*ptr = (void *)addr;
	return hipSuccess;
}

static hipError_t block_free(void *ptr)
{
	return ptr ? (hipError_t)pool__free(POOL_BLOCK, (uintptr_t)ptr, 0) : hipSuccess;
}

EXPORT hipError_t hipMalloc(void **ptr, size_t size)
{
	return block_alloc(ptr, size);
}

EXPORT hipError_t hipFree(void *ptr)
{
	return block_free(ptr);
}

EXPORT hipError_t hipMallocManaged(void **dev_ptr, size_t size, unsigned int flags)
{
	(void)flags;
	return block_alloc(dev_ptr, size);
}

EXPORT hipError_t hipHostMalloc(void **ptr, size_t size, unsigned int flags)
{
	(void)flags;
	return block_alloc(ptr, size);
}

EXPORT hipError_t hipHostFree(void *ptr)
{
	return block_free(ptr);
}

EXPORT hipError_t hipMallocAsync(void **dev_ptr, size_t size, hipStream_t stream)
{
	(void)stream;
	return block_alloc(dev_ptr, size);
}

EXPORT hipError_t hipFreeAsync(void *dev_ptr, hipStream_t stream)
{
	(void)stream;
	return block_free(dev_ptr);
}

EXPORT hipError_t hipSetDevice(int deviceId)
{
	if (deviceId < 0 || deviceId >= GPU_DOUBLE_DEVICES)
		return hipErrorInvalidDevice;
	current_device = deviceId;
	return hipSuccess;
}

EXPORT hipError_t hipMemcpy(void *dst, const void *src, size_t sizeBytes, hipMemcpyKind kind)
{
	(void)kind;
	memmove(dst, src, sizeBytes);
	return hipSuccess;
}

static void device_wait(void)
{
	struct timespec ts = { 0, GPU_DOUBLE_SYNC_MS * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

EXPORT hipError_t hipDeviceSynchronize(void)
{
	device_wait();
	return hipSuccess;
}

EXPORT hipError_t hipStreamSynchronize(hipStream_t stream)
{
	(void)stream;
	device_wait();
	return hipSuccess;
}
