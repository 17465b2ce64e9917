// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>

#include "attach/gpu_funcs.h"

#define CUDA(fn, sym, twin, prog, kind, op) \
	[fn] = { { sym, twin }, prog, GPU_API_CUDA, GPU_KIND_##kind, GPU_OP_##op }
#define HIP(fn, sym, prog, kind, op) \
	[fn] = { { sym, NULL }, prog, GPU_API_HIP, GPU_KIND_##kind, GPU_OP_##op }

/* A transfer or a wait: one entry program per shape of arguments, one return for all */
#define RES(fn, sym, twin, prog, api, op) \
	[fn] = { { sym, twin }, prog, GPU_API_##api, GPU_KIND_DEVICE, GPU_OP_##op, "res_gpu_exit" }

static const struct gpu_func_info funcs[MT_GPU_FN_COUNT] = {
	CUDA(MT_GPU_CU_MEM_ALLOC, "cuMemAlloc_v2", NULL, "cu_mem_alloc", DEVICE, ALLOC),
	CUDA(MT_GPU_CU_MEM_ALLOC_PITCH, "cuMemAllocPitch_v2", NULL, "cu_mem_alloc_pitch", DEVICE,
	     ALLOC),
	CUDA(MT_GPU_CU_MEM_ALLOC_MANAGED, "cuMemAllocManaged", NULL, "cu_mem_alloc_managed", MANAGED,
	     ALLOC),
	CUDA(MT_GPU_CU_MEM_ALLOC_HOST, "cuMemAllocHost_v2", NULL, "cu_mem_alloc_host", PINNED, ALLOC),
	CUDA(MT_GPU_CU_MEM_HOST_ALLOC, "cuMemHostAlloc", NULL, "cu_mem_host_alloc", PINNED, ALLOC),
	CUDA(MT_GPU_CU_MEM_ALLOC_ASYNC, "cuMemAllocAsync", "cuMemAllocAsync_ptsz",
	     "cu_mem_alloc_async", ASYNC, ALLOC),
	CUDA(MT_GPU_CU_MEM_ALLOC_FROM_POOL_ASYNC, "cuMemAllocFromPoolAsync",
	     "cuMemAllocFromPoolAsync_ptsz", "cu_mem_alloc_from_pool_async", ASYNC, ALLOC),
	CUDA(MT_GPU_CU_MEM_FREE, "cuMemFree_v2", NULL, "cu_mem_free", DEVICE, FREE),
	CUDA(MT_GPU_CU_MEM_FREE_HOST, "cuMemFreeHost", NULL, "cu_mem_free_host", PINNED, FREE),
	CUDA(MT_GPU_CU_MEM_FREE_ASYNC, "cuMemFreeAsync", "cuMemFreeAsync_ptsz", "cu_mem_free_async",
	     ASYNC, FREE),
	CUDA(MT_GPU_CU_MEM_CREATE, "cuMemCreate", NULL, "cu_mem_create", VMM_PHYSICAL, ALLOC),
	CUDA(MT_GPU_CU_MEM_RELEASE, "cuMemRelease", NULL, "cu_mem_release", VMM_PHYSICAL, FREE),
	CUDA(MT_GPU_CU_MEM_MAP, "cuMemMap", NULL, "cu_mem_map", VMM_MAPPED, ALLOC),
	CUDA(MT_GPU_CU_MEM_UNMAP, "cuMemUnmap", NULL, "cu_mem_unmap", VMM_MAPPED, FREE),
	CUDA(MT_GPU_CU_MEM_ADDRESS_RESERVE, "cuMemAddressReserve", NULL, "cu_mem_address_reserve",
	     ADDRESS_RESERVED, ALLOC),
	CUDA(MT_GPU_CU_MEM_ADDRESS_FREE, "cuMemAddressFree", NULL, "cu_mem_address_free",
	     ADDRESS_RESERVED, FREE),
	CUDA(MT_GPU_CUDA_MALLOC, "cudaMalloc", NULL, "cuda_malloc", DEVICE, ALLOC),
	CUDA(MT_GPU_CUDA_MALLOC_PITCH, "cudaMallocPitch", NULL, "cuda_malloc_pitch", DEVICE, ALLOC),
	CUDA(MT_GPU_CUDA_MALLOC_MANAGED, "cudaMallocManaged", NULL, "cuda_malloc_managed", MANAGED,
	     ALLOC),
	CUDA(MT_GPU_CUDA_MALLOC_HOST, "cudaMallocHost", NULL, "cuda_malloc_host", PINNED, ALLOC),
	CUDA(MT_GPU_CUDA_HOST_ALLOC, "cudaHostAlloc", NULL, "cuda_host_alloc", PINNED, ALLOC),
	CUDA(MT_GPU_CUDA_MALLOC_ASYNC, "cudaMallocAsync", "cudaMallocAsync_ptsz", "cuda_malloc_async",
	     ASYNC, ALLOC),
	CUDA(MT_GPU_CUDA_MALLOC_FROM_POOL_ASYNC, "cudaMallocFromPoolAsync",
	     "cudaMallocFromPoolAsync_ptsz", "cuda_malloc_from_pool_async", ASYNC, ALLOC),
	CUDA(MT_GPU_CUDA_FREE, "cudaFree", NULL, "cuda_free", DEVICE, FREE),
	CUDA(MT_GPU_CUDA_FREE_HOST, "cudaFreeHost", NULL, "cuda_free_host", PINNED, FREE),
	CUDA(MT_GPU_CUDA_FREE_ASYNC, "cudaFreeAsync", "cudaFreeAsync_ptsz", "cuda_free_async", ASYNC,
	     FREE),
	CUDA(MT_GPU_CUDA_SET_DEVICE, "cudaSetDevice", NULL, "cuda_set_device", DEVICE, SET_DEVICE),
	HIP(MT_GPU_HIP_MALLOC, "hipMalloc", "hip_malloc", DEVICE, ALLOC),
	HIP(MT_GPU_HIP_MALLOC_MANAGED, "hipMallocManaged", "hip_malloc_managed", MANAGED, ALLOC),
	HIP(MT_GPU_HIP_HOST_MALLOC, "hipHostMalloc", "hip_host_malloc", PINNED, ALLOC),
	HIP(MT_GPU_HIP_MALLOC_ASYNC, "hipMallocAsync", "hip_malloc_async", ASYNC, ALLOC),
	HIP(MT_GPU_HIP_FREE, "hipFree", "hip_free", DEVICE, FREE),
	HIP(MT_GPU_HIP_HOST_FREE, "hipHostFree", "hip_host_free", PINNED, FREE),
	HIP(MT_GPU_HIP_FREE_ASYNC, "hipFreeAsync", "hip_free_async", ASYNC, FREE),
	HIP(MT_GPU_HIP_SET_DEVICE, "hipSetDevice", "hip_set_device", DEVICE, SET_DEVICE),
	RES(MT_GPU_CUDA_MEMCPY, "cudaMemcpy", NULL, "res_gpu_copy_kind", CUDA, TRANSFER),
	RES(MT_GPU_CUDA_MEMCPY_ASYNC, "cudaMemcpyAsync", "cudaMemcpyAsync_ptsz",
	    "res_gpu_copy_kind_async", CUDA, TRANSFER),
	RES(MT_GPU_CU_MEMCPY_HTOD, "cuMemcpyHtoD_v2", NULL, "res_gpu_copy_htod", CUDA, TRANSFER),
	RES(MT_GPU_CU_MEMCPY_DTOH, "cuMemcpyDtoH_v2", NULL, "res_gpu_copy_dtoh", CUDA, TRANSFER),
	RES(MT_GPU_CU_MEMCPY_DTOD, "cuMemcpyDtoD_v2", NULL, "res_gpu_copy_dtod", CUDA, TRANSFER),
	RES(MT_GPU_HIP_MEMCPY, "hipMemcpy", NULL, "res_gpu_copy_kind", HIP, TRANSFER),
	RES(MT_GPU_CUDA_DEVICE_SYNCHRONIZE, "cudaDeviceSynchronize", NULL, "res_gpu_sync", CUDA,
	    SYNC),
	RES(MT_GPU_CUDA_STREAM_SYNCHRONIZE, "cudaStreamSynchronize", "cudaStreamSynchronize_ptsz",
	    "res_gpu_sync", CUDA, SYNC),
	RES(MT_GPU_CU_CTX_SYNCHRONIZE, "cuCtxSynchronize", NULL, "res_gpu_sync", CUDA, SYNC),
	RES(MT_GPU_CU_STREAM_SYNCHRONIZE, "cuStreamSynchronize", "cuStreamSynchronize_ptsz",
	    "res_gpu_sync", CUDA, SYNC),
	RES(MT_GPU_HIP_DEVICE_SYNCHRONIZE, "hipDeviceSynchronize", NULL, "res_gpu_sync", HIP, SYNC),
	RES(MT_GPU_HIP_STREAM_SYNCHRONIZE, "hipStreamSynchronize", NULL, "res_gpu_sync", HIP, SYNC),
};

static const char *const kind_names[GPU_KIND_COUNT] = {
	[GPU_KIND_DEVICE] = "device",
	[GPU_KIND_MANAGED] = "managed",
	[GPU_KIND_PINNED] = "pinned",
	[GPU_KIND_ASYNC] = "async",
	[GPU_KIND_VMM_PHYSICAL] = "vmm_physical",
	[GPU_KIND_VMM_MAPPED] = "vmm_mapped",
	[GPU_KIND_ADDRESS_RESERVED] = "address_reserved",
};

static const char *const allocators[GPU_API_COUNT][GPU_KIND_COUNT] = {
	[GPU_API_CUDA] = { "cuda.device", "cuda.managed", "cuda.pinned", "cuda.async", "cuda.vmm" },
	[GPU_API_HIP] = { "hip.device", "hip.managed", "hip.pinned", "hip.async", "hip.vmm" },
};

const struct gpu_func_info *gpu_funcs__info(enum mt_gpu_func fn)
{
	return (unsigned int)fn < MT_GPU_FN_COUNT ? &funcs[fn] : NULL;
}

const char *gpu_funcs__name(enum mt_gpu_func fn)
{
	return (unsigned int)fn < MT_GPU_FN_COUNT ? funcs[fn].symbols[0] : "?";
}

const char *gpu_funcs__kind_name(enum gpu_kind kind)
{
	return (unsigned int)kind < GPU_KIND_COUNT ? kind_names[kind] : "?";
}

const char *gpu_funcs__api_name(enum gpu_api api)
{
	return api == GPU_API_HIP ? "hip" : "cuda";
}

const char *gpu_funcs__allocator(enum gpu_api api, enum gpu_kind kind)
{
	if ((unsigned int)api >= GPU_API_COUNT || (unsigned int)kind >= GPU_KIND_COUNT)
		return NULL;
	return allocators[api][kind];
}
