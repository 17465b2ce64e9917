// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TEST DOUBLE, NOT A GPU RUNTIME: build/tests/gpu_double/libcudart.so.13
 * stands in for NVIDIA's libcudart.so.13 in memtrace's tests only. Like the
 * real runtime, each memory function calls the matching driver function
 * (of the driver double, libcuda.so.1) on the calling thread and returns
 * its result: memtrace must count such a call once. cudaMalloc also
 * mallocs and frees a small bookkeeping record, as runtimes do. Nothing
 * here touches a GPU.
 *
 * cudaFree(NULL) returns 0 without calling the driver: programs use it to
 * create the context. cudaSetDevice keeps a per-thread device, 0 to
 * GPU_DOUBLE_DEVICES - 1; others fail with cudaErrorInvalidDevice.
 *
 * Every export is a noinline function of its own, calling no other export
 * of this library (see cuda_driver_double.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_double_api.h"

#define EXPORT __attribute__((visibility("default"), noinline))

/* initial-exec: a dlopen'ed library's dynamic TLS would come from malloc */
static __thread int current_device __attribute__((tls_model("initial-exec")));

/* The driver's numbers for success, invalid value and out of memory are the runtime's. */
static cudaError_t runtime_error(CUresult err)
{
	switch ((int)err) {
	case CUDA_SUCCESS:
	case CUDA_ERROR_INVALID_VALUE:
	case CUDA_ERROR_OUT_OF_MEMORY:
		return (cudaError_t)err;
	default:
		return cudaErrorUnknown;
	}
}

/*
 * A real runtime keeps host-side bookkeeping per call: so does this one,
 * so that the tests see host allocations nested inside a GPU call (whose
 * stacks, in --stack=dwarf, arrive between the GPU call's and its record).
 */
static __attribute__((noinline)) void runtime_bookkeeping(size_t size)
{
	volatile size_t *note = malloc(sizeof(*note) * 6);

	if (note)
		note[0] = size;
	free((void *)note);
}

EXPORT cudaError_t cudaMalloc(void **devPtr, size_t size)
{
	CUdeviceptr d;
	CUresult err;

	runtime_bookkeeping(size);
	err = cuMemAlloc_v2(&d, size);
	if (!err)
		*devPtr = (void *)(uintptr_t)d;
	return runtime_error(err);
}

EXPORT cudaError_t cudaMallocPitch(void **devPtr, size_t *pitch, size_t width, size_t height)
{
	CUdeviceptr d;
	CUresult err = cuMemAllocPitch_v2(&d, pitch, width, height, 4);

	if (!err)
		*devPtr = (void *)(uintptr_t)d;
	return runtime_error(err);
}

EXPORT cudaError_t cudaMallocManaged(void **devPtr, size_t size, unsigned int flags)
{
	CUdeviceptr d;
	CUresult err = cuMemAllocManaged(&d, size, flags);

	if (!err)
		*devPtr = (void *)(uintptr_t)d;
	return runtime_error(err);
}

EXPORT cudaError_t cudaMallocHost(void **ptr, size_t size)
{
	return runtime_error(cuMemAllocHost_v2(ptr, size));
}

EXPORT cudaError_t cudaHostAlloc(void **pHost, size_t size, unsigned int flags)
{
	return runtime_error(cuMemHostAlloc(pHost, size, flags));
}

EXPORT cudaError_t cudaMallocAsync(void **devPtr, size_t size, cudaStream_t hStream)
{
	CUdeviceptr d;
	CUresult err = cuMemAllocAsync(&d, size, hStream);

	if (!err)
		*devPtr = (void *)(uintptr_t)d;
	return runtime_error(err);
}

EXPORT cudaError_t cudaMallocAsync_ptsz(void **devPtr, size_t size, cudaStream_t hStream)
{
	CUdeviceptr d;
	CUresult err = cuMemAllocAsync_ptsz(&d, size, hStream);

	if (!err)
		*devPtr = (void *)(uintptr_t)d;
	return runtime_error(err);
}

EXPORT cudaError_t cudaMallocFromPoolAsync(void **ptr, size_t size, cudaMemPool_t memPool,
					   cudaStream_t stream)
{
	CUdeviceptr d;
	CUresult err = cuMemAllocFromPoolAsync(&d, size, memPool, stream);

	if (!err)
		*ptr = (void *)(uintptr_t)d;
	return runtime_error(err);
}

EXPORT cudaError_t cudaMallocFromPoolAsync_ptsz(void **ptr, size_t size, cudaMemPool_t memPool,
						cudaStream_t stream)
{
	CUdeviceptr d;
	CUresult err = cuMemAllocFromPoolAsync_ptsz(&d, size, memPool, stream);

	if (!err)
		*ptr = (void *)(uintptr_t)d;
	return runtime_error(err);
}

EXPORT cudaError_t cudaFree(void *devPtr)
{
	/* the context-init idiom: nothing to give back */
	if (!devPtr)
		return cudaSuccess;
	return runtime_error(cuMemFree_v2((CUdeviceptr)(uintptr_t)devPtr));
}

EXPORT cudaError_t cudaFreeHost(void *ptr)
{
	return runtime_error(cuMemFreeHost(ptr));
}

EXPORT cudaError_t cudaFreeAsync(void *devPtr, cudaStream_t hStream)
{
	return runtime_error(cuMemFreeAsync((CUdeviceptr)(uintptr_t)devPtr, hStream));
}

EXPORT cudaError_t cudaFreeAsync_ptsz(void *devPtr, cudaStream_t hStream)
{
	return runtime_error(cuMemFreeAsync_ptsz((CUdeviceptr)(uintptr_t)devPtr, hStream));
}

EXPORT cudaError_t cudaSetDevice(int device)
{
	if (device < 0 || device >= GPU_DOUBLE_DEVICES)
		return cudaErrorInvalidDevice;
	current_device = device;
	return cudaSuccess;
}

EXPORT cudaError_t cudaGetDevice(int *device)
{
	if (!device)
		return cudaErrorInvalidValue;
	*device = current_device;
	return cudaSuccess;
}

/* As the real runtime: the driver's copy of the direction, on the calling thread */
EXPORT cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
	switch (kind) {
	case cudaMemcpyHostToDevice:
		return runtime_error(cuMemcpyHtoD_v2((CUdeviceptr)(uintptr_t)dst, src, count));
	case cudaMemcpyDeviceToHost:
		return runtime_error(cuMemcpyDtoH_v2(dst, (CUdeviceptr)(uintptr_t)src, count));
	case cudaMemcpyDeviceToDevice:
		return runtime_error(cuMemcpyDtoD_v2((CUdeviceptr)(uintptr_t)dst,
						     (CUdeviceptr)(uintptr_t)src, count));
	default:
		memmove(dst, src, count);
		return cudaSuccess;
	}
}

/* Stream-ordered: done at once here, since the "device" is the host */
EXPORT cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count,
				   enum cudaMemcpyKind kind, cudaStream_t stream)
{
	(void)kind;
	(void)stream;
	memmove(dst, src, count);
	return cudaSuccess;
}

EXPORT cudaError_t cudaDeviceSynchronize(void)
{
	return runtime_error(cuCtxSynchronize());
}

EXPORT cudaError_t cudaStreamSynchronize(cudaStream_t stream)
{
	return runtime_error(cuStreamSynchronize(stream));
}
