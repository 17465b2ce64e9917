// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TEST DOUBLE, NOT A GPU DRIVER: build/tests/gpu_double/libcuda.so.1 is a
 * stand-in for NVIDIA's libcuda.so.1 that only memtrace's tests load. It
 * exports the CUDA driver memory functions memtrace probes and backs them
 * with host pages (gpu_double_pool.c): nothing here touches a GPU, and
 * nothing else in the project pretends to be one.
 *
 * What it does, so that tests can assert exact numbers:
 * - every allocation gets its own mmap; out of memory (2) when the live
 *   bytes would pass the capacity (16 GiB, or MEMTRACE_DOUBLE_CAPACITY
 *   bytes), and the out-pointer is then left untouched;
 * - pitch allocations round the width up to a multiple of 512 bytes and
 *   hold pitch * height bytes;
 * - cuMemCreate returns a made-up handle (no memory behind it, but its
 *   bytes count against the capacity), cuMemAddressReserve a PROT_NONE
 *   range; cuMemMap and cuMemUnmap only check their arguments.
 *
 * Every exported function is its own noinline body that calls no other
 * export (memtrace attaches once per address, and a tail call or alias
 * would merge two names); the Makefile also turns off sibling calls and
 * identical-code folding.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "gpu_double_api.h"
#include "gpu_double_pool.h"

#define EXPORT __attribute__((visibility("default"), noinline))

/* Managed, pinned and async memory all come from the one simulated device. */
static CUresult device_alloc(CUdeviceptr *dptr, size_t bytes)
{
	uintptr_t addr;
	int err;

	if (!dptr)
		return CUDA_ERROR_INVALID_VALUE;
	err = pool__alloc(POOL_BLOCK, bytes, &addr);
	if (err)
		return (CUresult)err;
	*dptr = addr;
	return CUDA_SUCCESS;
}

static CUresult host_alloc(void **pp, size_t bytes)
{
	uintptr_t addr;
	int err;

	if (!pp)
		return CUDA_ERROR_INVALID_VALUE;
	err = pool__alloc(POOL_BLOCK, bytes, &addr);
	if (err)
		return (CUresult)err;
	*pp = (void *)addr;
	return CUDA_SUCCESS;
}

static CUresult block_free(CUdeviceptr dptr)
{
	/* the real driver accepts a null free */
	return dptr ? (CUresult)pool__free(POOL_BLOCK, dptr, 0) : CUDA_SUCCESS;
}

EXPORT CUresult cuInit(unsigned int Flags)
{
	return Flags ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
	return device_alloc(dptr, bytesize);
}

EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr)
{
	return block_free(dptr);
}

EXPORT CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
	if (flags != CU_MEM_ATTACH_GLOBAL && flags != 0x2 /* CU_MEM_ATTACH_HOST */)
		return CUDA_ERROR_INVALID_VALUE;
	return device_alloc(dptr, bytesize);
}

EXPORT CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes,
				   size_t Height, unsigned int ElementSizeBytes)
{
	size_t pitch = (WidthInBytes + 511) / 512 * 512;
	CUresult err;

	if (!pPitch || !ElementSizeBytes || !WidthInBytes || !Height)
		return CUDA_ERROR_INVALID_VALUE;
	err = device_alloc(dptr, pitch * Height);
	if (!err)
		*pPitch = pitch;
	return err;
}

EXPORT CUresult cuMemAllocHost_v2(void **pp, size_t bytesize)
{
	return host_alloc(pp, bytesize);
}

EXPORT CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags)
{
	(void)Flags;
	return host_alloc(pp, bytesize);
}

EXPORT CUresult cuMemFreeHost(void *p)
{
	return block_free((CUdeviceptr)(uintptr_t)p);
}

EXPORT CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)
{
	(void)hStream;
	return device_alloc(dptr, bytesize);
}

EXPORT CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)
{
	(void)hStream;
	return device_alloc(dptr, bytesize);
}

EXPORT CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
					CUstream hStream)
{
	(void)pool;
	(void)hStream;
	return device_alloc(dptr, bytesize);
}

EXPORT CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize,
					     CUmemoryPool pool, CUstream hStream)
{
	(void)pool;
	(void)hStream;
	return device_alloc(dptr, bytesize);
}

EXPORT CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream)
{
	(void)hStream;
	return block_free(dptr);
}

EXPORT CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream)
{
	(void)hStream;
	return block_free(dptr);
}

EXPORT CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
			    const CUmemAllocationProp *prop, unsigned long long flags)
{
	uintptr_t h;
	int err;

	if (!handle || !prop || flags || prop->type != CU_MEM_ALLOCATION_TYPE_PINNED ||
	    prop->location.type != CU_MEM_LOCATION_TYPE_DEVICE || prop->location.id < 0 ||
	    prop->location.id >= GPU_DOUBLE_DEVICES)
		return CUDA_ERROR_INVALID_VALUE;
	err = pool__alloc(POOL_HANDLE, size, &h);
	if (err)
		return (CUresult)err;
	*handle = h;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemRelease(CUmemGenericAllocationHandle handle)
{
	return (CUresult)pool__free(POOL_HANDLE, handle, 0);
}

EXPORT CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset,
			 CUmemGenericAllocationHandle handle, unsigned long long flags)
{
	size_t physical = pool__size(POOL_HANDLE, handle);

	if (flags || !size || offset > physical || size > physical - offset ||
	    !pool__reserved(ptr, size))
		return CUDA_ERROR_INVALID_VALUE;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemUnmap(CUdeviceptr ptr, size_t size)
{
	return size && pool__reserved(ptr, size) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment,
				    CUdeviceptr addr, unsigned long long flags)
{
	uintptr_t a;
	int err;

	/* placement and alignment hints are hints: the double takes what mmap gives */
	(void)alignment;
	(void)addr;
	if (!ptr || !size || flags)
		return CUDA_ERROR_INVALID_VALUE;
	err = pool__reserve(size, &a);
	if (err)
		return (CUresult)err;
	*ptr = a;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size)
{
	return (CUresult)pool__free(POOL_RESERVATION, ptr, size);
}

/* Copies: the "device" is host memory, so a copy is a memcpy, whatever the direction */
EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
{
	memcpy((void *)(uintptr_t)dstDevice, srcHost, ByteCount);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount)
{
	memcpy(dstHost, (const void *)(uintptr_t)srcDevice, ByteCount);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount)
{
	memmove((void *)(uintptr_t)dstDevice, (const void *)(uintptr_t)srcDevice, ByteCount);
	return CUDA_SUCCESS;
}

/* A wait for the device: GPU_DOUBLE_SYNC_MS asleep, as a blocking-sync context would */
static void device_wait(void)
{
	struct timespec ts = { 0, GPU_DOUBLE_SYNC_MS * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

EXPORT CUresult cuCtxSynchronize(void)
{
	device_wait();
	return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamSynchronize(CUstream hStream)
{
	(void)hStream;
	device_wait();
	return CUDA_SUCCESS;
}
