// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gpu_hip [--now]: HIP memory through the HIP test double
 * (tests/gpu_double/hip_double.c: host memory, no GPU), linked against it
 * (libamdhip64.so.6). Without --now it says "ready" and waits for a line on
 * stdin first; with --now it prints nothing. Exits 0 only when every call
 * returned what the double must return.
 *
 * Exactly, in this order (K = KiB, M = MiB, T = TiB; one thread, on
 * device 2 from hipSetDevice(2)):
 *   hip_device    hipMalloc 1M, 2M; hipFree 1M        device   live 2M
 *   hip_pinned    hipHostMalloc 256K, hipHostFree it   pinned
 *   hip_managed   hipMallocManaged 3M                  managed  live 3M
 *   hip_async     hipMallocAsync 512K, hipFreeAsync    async
 *   hip_oom       hipMalloc 1T: 2 (hipErrorOutOfMemory) device  failed
 * Live at exit: device 2M, managed 3M; at the out-of-memory, 5M of device
 * and managed memory live.
 */
#include <string.h>
#include <stdio.h>
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
	fprintf(stderr, "gpu_hip: %s returned %d, expected %d\n", what, got, want);
	failures++;
}

__attribute__((noinline)) void hip_device(void)
{
	void *a = NULL, *b = NULL;
	int err;

	expect("hipMalloc 1M", hipMalloc(&a, 1 * M), 0);
	err = hipMalloc(&b, 2 * M); /* MARK: hip_device_kept */
	expect("hipMalloc 2M", err, 0);
	expect("hipFree 1M", hipFree(a), 0);
	sink = b;
}

__attribute__((noinline)) void hip_pinned(void)
{
	void *p = NULL;

	expect("hipHostMalloc", hipHostMalloc(&p, 256 * K, hipHostMallocDefault), 0);
	memset(p, 0xab, 256 * K);	/* pinned memory is host memory */
	expect("hipHostFree", hipHostFree(p), 0);
}

__attribute__((noinline)) void hip_managed(void)
{
	void *p = NULL;
	int err = hipMallocManaged(&p, 3 * M, hipMemAttachGlobal); /* MARK: hip_managed */

	expect("hipMallocManaged", err, 0);
	sink = p;
}

__attribute__((noinline)) void hip_async(void)
{
	void *p = NULL;

	expect("hipMallocAsync", hipMallocAsync(&p, 512 * K, NULL), 0);
	expect("hipFreeAsync", hipFreeAsync(p, NULL), 0);
}

__attribute__((noinline)) void hip_oom(void)
{
	void *p = &failures;
	int err = hipMalloc(&p, 1 * T); /* MARK: hip_oom */

	expect("hipMalloc 1T", err, 2);
	expect("hipMalloc 1T leaves the pointer", p == &failures, 1);
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
	expect("hipSetDevice(2)", hipSetDevice(2), 0);
	hip_device();
	hip_pinned();
	hip_managed();
	hip_async();
	hip_oom();
	return failures ? 1 : 0;
}
